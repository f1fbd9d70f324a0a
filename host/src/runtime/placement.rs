//! Who decides what a placement proves. When the driver's exchange has an
//! order endpoint the host can see, the host's own record of the order
//! request — refused, never sent, sent and answered — decides; the driver's
//! claim only adds detail. A driver can therefore neither free a slot for
//! an order the exchange accepted, nor claim an order it never sent.

use crate::exchange::{DriverError, DriverResult, Placement, PlacementError};
use crate::profile::{OrderAnswer, PermitState};
use crate::text::clip;

pub fn arbitrate(
    permit: &PermitState,
    driver: DriverResult<Placement>,
) -> Result<Placement, PlacementError> {
    match permit {
        // No order request left the host in this call: nothing was placed.
        PermitState::Unused => Err(PlacementError::not_placed(match driver {
            Ok(placed) => DriverError::Plugin(format!(
                "the driver reported order {} placed, but no order request left the host",
                clip(&placed.order_id, 40)
            )),
            Err(err) => err,
        })),
        PermitState::Refused(rule) => Err(PlacementError::not_placed(DriverError::Plugin(
            rule.clone(),
        ))),
        // Cut off while the request was leaving or in flight.
        PermitState::Sending => Err(PlacementError::may_exist(
            DriverError::UnknownOutcome(format!(
                "the order request was sent and no answer was read ({})",
                driver.err().map_or_else(String::new, |e| e.to_string())
            )),
            None,
        )),
        PermitState::Sent(answer) => sent(answer, driver),
    }
}

fn sent(
    answer: &OrderAnswer,
    driver: DriverResult<Placement>,
) -> Result<Placement, PlacementError> {
    match (answer, driver) {
        (OrderAnswer::Accepted { order_id }, Ok(placed)) => {
            if &placed.order_id == order_id {
                Ok(placed)
            } else {
                tracing::warn!(exchange = %order_id, driver = %clip(&placed.order_id, 40), "driver reported another order id than the exchange; using the exchange's");
                Ok(Placement {
                    order_id: order_id.clone(),
                    fill: None,
                })
            }
        }
        (OrderAnswer::Accepted { order_id }, Err(err)) => Err(PlacementError::may_exist(
            DriverError::UnknownOutcome(format!(
                "the exchange accepted order {order_id}, but the driver reported: {err}"
            )),
            Some(order_id.clone()),
        )),
        (OrderAnswer::Refused(refusal), driver) => {
            if driver.is_ok() {
                tracing::warn!(
                    "driver reported a placement the exchange refused; recording the refusal"
                );
            }
            Err(PlacementError::not_placed(refusal.clone()))
        }
        (OrderAnswer::Unclear(why), driver) => Err(PlacementError::may_exist(
            DriverError::UnknownOutcome(match driver {
                Err(err) => format!("{why}; the driver reported: {err}"),
                Ok(_) => why.clone(),
            }),
            None,
        )),
        (OrderAnswer::NotSent(why), _) => Err(PlacementError::not_placed(
            DriverError::Unavailable(format!("the order request could not be sent: {why}")),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::Exposure;

    fn placed(id: &str) -> DriverResult<Placement> {
        Ok(Placement {
            order_id: id.into(),
            fill: None,
        })
    }

    fn accepted(id: &str) -> PermitState {
        PermitState::Sent(OrderAnswer::Accepted {
            order_id: id.into(),
        })
    }

    #[test]
    fn a_refusal_claimed_after_an_accepted_order_keeps_it_reserved() {
        let err = arbitrate(
            &accepted("OX"),
            Err(DriverError::OrderRejected("no".into())),
        )
        .unwrap_err();
        assert_eq!(
            err.exposure,
            Exposure::MayExist {
                order_id: Some("OX".into())
            }
        );
        assert!(matches!(err.error, DriverError::UnknownOutcome(_)));
    }

    #[test]
    fn the_exchanges_order_id_wins() {
        assert_eq!(
            arbitrate(&accepted("OX"), placed("OTHER"))
                .unwrap()
                .order_id,
            "OX"
        );
        assert_eq!(
            arbitrate(&accepted("OX"), placed("OX")).unwrap().order_id,
            "OX"
        );
    }

    #[test]
    fn a_claimed_placement_without_a_request_is_not_placed() {
        let err = arbitrate(&PermitState::Unused, placed("OX")).unwrap_err();
        assert_eq!(err.exposure, Exposure::NotPlaced);
        assert!(matches!(err.error, DriverError::Plugin(_)));
        // Nothing left the host: even "unknown" proves nothing was placed.
        let err = arbitrate(
            &PermitState::Unused,
            Err(DriverError::UnknownOutcome("?".into())),
        )
        .unwrap_err();
        assert_eq!(err.exposure, Exposure::NotPlaced);
    }

    #[test]
    fn the_exchanges_refusal_and_the_hosts_uncertainty_decide() {
        let refused = PermitState::Sent(OrderAnswer::Refused(DriverError::InsufficientFunds(
            "x".into(),
        )));
        let err = arbitrate(&refused, placed("OX")).unwrap_err();
        assert_eq!(err.exposure, Exposure::NotPlaced);
        assert!(matches!(err.error, DriverError::InsufficientFunds(_)));
        // A driver cannot turn an unclear answer into a refusal.
        let unclear = PermitState::Sent(OrderAnswer::Unclear("HTTP 502".into()));
        let err = arbitrate(&unclear, Err(DriverError::OrderRejected("no".into()))).unwrap_err();
        assert_eq!(err.exposure, Exposure::MayExist { order_id: None });
        let err = arbitrate(
            &PermitState::Sending,
            Err(DriverError::Plugin("timeout".into())),
        )
        .unwrap_err();
        assert_eq!(err.exposure, Exposure::MayExist { order_id: None });
        let err = arbitrate(&PermitState::Refused("rule".into()), placed("OX")).unwrap_err();
        assert_eq!(err.exposure, Exposure::NotPlaced);
    }
}
