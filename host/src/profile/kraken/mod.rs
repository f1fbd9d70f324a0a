//! The Kraken spot REST profile (facts: shared/reference/kraken-api.md).
//! Private endpoints: balances, the three order queries, and AddOrder with
//! the parameters of a market order — nothing that cancels, edits, batches,
//! stakes or moves funds.

mod counter;
pub mod signing;

use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use super::{
    CredentialVars, DecodedOrder, Endpoint, MarketRef, Observations, OrderAnswer, OrderSize,
    Profile, Purpose, SignStyle, get, plain_decimal, refused, required, single,
};
use crate::domain::Symbol;
use crate::exchange::{DriverError, Side};
use crate::net::{CounterLimits, Method, Request};

use counter::STARTER;
pub use counter::parse_tier;

/// Kraken's key variables; the private key is base64 as Kraken shows it.
pub const CREDENTIALS: CredentialVars = CredentialVars {
    api_key: "KRAKEN_API_KEY",
    secret: "KRAKEN_PRIVATE_KEY",
    secret_is_base64: true,
};

/// Kraken's order-placing endpoint.
pub const ADD_ORDER: &str = "/0/private/AddOrder";
const ASSET_PAIRS: &str = "/0/public/AssetPairs";
const TICKER: &str = "/0/public/Ticker";
const TIME: &str = "/0/public/Time";

const HOUR: Duration = Duration::from_secs(3600);
/// Exchange status may be a few seconds old when an order is checked.
const STATUS_CACHE: Duration = Duration::from_secs(10);
/// Prices may be served from the cache briefly (the pre-trade check's read).
const PRICE_CACHE: Duration = Duration::from_secs(5);

const fn public(
    path: &'static str,
    params: &'static [&'static str],
    purpose: Purpose,
    max_cache: Duration,
) -> Endpoint {
    Endpoint {
        method: Method::Get,
        path,
        signed: false,
        params,
        purpose,
        max_cache,
    }
}

const fn private(
    path: &'static str,
    params: &'static [&'static str],
    purpose: Purpose,
) -> Endpoint {
    Endpoint {
        method: Method::Post,
        path,
        signed: true,
        params,
        purpose,
        max_cache: Duration::ZERO,
    }
}

const PUBLIC: [Endpoint; 5] = [
    public(TIME, &[], Purpose::Time, Duration::ZERO),
    public("/0/public/SystemStatus", &[], Purpose::Read, STATUS_CACHE),
    public(
        "/0/public/Assets",
        &["asset", "aclass"],
        Purpose::Read,
        HOUR,
    ),
    public(
        ASSET_PAIRS,
        &["pair", "info", "aclass_base", "country_code"],
        Purpose::Markets,
        HOUR,
    ),
    public(TICKER, &["pair"], Purpose::Prices, PRICE_CACHE),
];

const TRADING: [Endpoint; 11] = [
    PUBLIC[0],
    PUBLIC[1],
    PUBLIC[2],
    PUBLIC[3],
    PUBLIC[4],
    private("/0/private/Balance", &[], Purpose::Read),
    private("/0/private/BalanceEx", &[], Purpose::Read),
    private(
        "/0/private/QueryOrders",
        &["txid", "trades", "userref", "consolidate_taker"],
        Purpose::Read,
    ),
    private(
        "/0/private/OpenOrders",
        &["trades", "userref", "cl_ord_id"],
        Purpose::Read,
    ),
    private(
        "/0/private/ClosedOrders",
        &[
            "trades",
            "userref",
            "cl_ord_id",
            "start",
            "end",
            "ofs",
            "closetime",
            "consolidate_taker",
            "without_count",
        ],
        Purpose::Read,
    ),
    private(
        ADD_ORDER,
        &[
            "pair",
            "type",
            "ordertype",
            "volume",
            "oflags",
            "cl_ord_id",
            "deadline",
        ],
        Purpose::PlaceOrder,
    ),
];

/// Kraken, trading (`kraken-hmac-sha512`) or public data only (`none`).
#[derive(Debug, Clone, Copy)]
pub struct Kraken {
    trading: bool,
}

impl Kraken {
    /// The profile of the live driver: private endpoints, orders included.
    pub fn trading() -> Kraken {
        Kraken { trading: true }
    }

    /// The profile of a driver that signs nothing (the simulator): public
    /// endpoints only.
    pub fn public_only() -> Kraken {
        Kraken { trading: false }
    }
}

/// Kraken error strings that prove an AddOrder was not placed, and what
/// they mean. Anything else — `EService:Unavailable`, internal errors,
/// `EOrder:Duplicate cl_ord_id`, strings never seen — proves nothing.
fn refusal(error: &str) -> Option<DriverError> {
    type Kind = fn(String) -> DriverError;
    const KINDS: &[(&str, Kind)] = &[
        ("EOrder:Insufficient funds", DriverError::InsufficientFunds),
        ("EOrder:Order minimum not met", DriverError::BelowMinimum),
        ("EOrder:Cost minimum not met", DriverError::BelowMinimum),
        ("EQuery:Unknown asset pair", DriverError::InvalidSymbol),
        ("EQuery:Invalid asset pair", DriverError::InvalidSymbol),
        ("EQuery:Unknown asset", DriverError::InvalidSymbol),
        ("EAPI:Rate limit exceeded", DriverError::RateLimited),
        ("EOrder:Rate limit exceeded", DriverError::RateLimited),
        (
            "EOrder:Domain rate limit exceeded",
            DriverError::RateLimited,
        ),
        ("EGeneral:Too many requests", DriverError::RateLimited),
        ("EGeneral:Temporary lockout", DriverError::RateLimited),
        ("EService:Throttled", DriverError::RateLimited),
        ("EAPI:Invalid key", DriverError::Auth),
        ("EAPI:Invalid signature", DriverError::Auth),
        ("EGeneral:Permission denied", DriverError::Auth),
        ("EAccount:Invalid permissions", DriverError::Auth),
        ("EService:Market in", DriverError::Unavailable),
        ("EService:Deadline elapsed", DriverError::Unavailable),
        ("EAPI:Invalid nonce", DriverError::OrderRejected),
        ("EGeneral:Invalid arguments", DriverError::OrderRejected),
        ("EOrder:Invalid order", DriverError::OrderRejected),
        ("EOrder:Invalid price", DriverError::OrderRejected),
        ("EOrder:Tick size check failed", DriverError::OrderRejected),
        ("EOrder:Orders limit exceeded", DriverError::OrderRejected),
        ("ETrade:", DriverError::OrderRejected),
    ];
    KINDS
        .iter()
        .find(|(prefix, _)| error.starts_with(prefix))
        .map(|(_, kind)| kind(crate::text::clip(error, 200)))
}

fn decimal_text(value: &Value) -> Option<Decimal> {
    value.as_str().and_then(plain_decimal)
}

impl Profile for Kraken {
    fn name(&self) -> &'static str {
        if self.trading {
            "kraken"
        } else {
            "kraken-public"
        }
    }

    fn default_base_url(&self) -> &'static str {
        "https://api.kraken.com"
    }

    fn sign_style(&self) -> Option<SignStyle> {
        self.trading.then_some(SignStyle::KrakenNonce)
    }

    fn credential_vars(&self) -> Option<CredentialVars> {
        self.trading.then_some(CREDENTIALS)
    }

    fn endpoints(&self) -> &'static [Endpoint] {
        if self.trading { &TRADING } else { &PUBLIC }
    }

    fn reserved_params(&self) -> &'static [&'static str] {
        &["nonce", "otp"]
    }

    fn decode_order(&self, request: &Request) -> Result<DecodedOrder, String> {
        if !request.query.is_empty() {
            return Err("AddOrder carries no query parameters".to_owned());
        }
        let form = &request.form;
        if required(form, "ordertype")? != "market" {
            return Err("only market orders are placed".to_owned());
        }
        let side = match required(form, "type")? {
            "buy" => Side::Buy,
            "sell" => Side::Sell,
            other => {
                return Err(format!(
                    "order type {:?} is neither buy nor sell",
                    crate::text::clip(other, 20)
                ));
            }
        };
        if let Some(flags) = single(form, "oflags")? {
            // Fees in the quote currency only; no volume-in-quote, no post-only.
            if flags != "fciq" {
                return Err(format!(
                    "order flags {:?} are not allowed (only fciq)",
                    crate::text::clip(flags, 40)
                ));
            }
        }
        let volume = required(form, "volume")?;
        let volume = plain_decimal(volume).ok_or_else(|| {
            format!(
                "volume {:?} is not a plain decimal",
                crate::text::clip(volume, 40)
            )
        })?;
        Ok(DecodedOrder {
            pair: required(form, "pair")?.to_owned(),
            side,
            client_order_id: required(form, "cl_ord_id")?.to_owned(),
            deadline: single(form, "deadline")?.map(str::to_owned),
            size: OrderSize::Base(volume),
        })
    }

    fn decode_order_answer(&self, status: u16, body: &str) -> OrderAnswer {
        if status != 200 {
            return OrderAnswer::Unclear(format!("AddOrder answered HTTP {status}"));
        }
        let Ok(envelope) = serde_json::from_str::<Value>(body) else {
            return OrderAnswer::Unclear("AddOrder's answer is not JSON".to_owned());
        };
        let errors: Vec<&str> = envelope["error"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .filter(|e| !e.starts_with('W'))
                    .collect()
            })
            .unwrap_or_default();
        let txids: Vec<&str> = envelope["result"]["txid"]
            .as_array()
            .map(|list| list.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        match (errors.as_slice(), txids.as_slice()) {
            ([], [txid]) if !txid.is_empty() && txid.len() <= 64 => OrderAnswer::Accepted {
                order_id: (*txid).to_owned(),
            },
            ([], _) => OrderAnswer::Unclear("AddOrder's answer has no single txid".to_owned()),
            (errors, []) => {
                let refusals: Option<Vec<DriverError>> =
                    errors.iter().map(|e| refusal(e)).collect();
                match refusals.and_then(|r| r.into_iter().next()) {
                    Some(error) => refused(error),
                    None => OrderAnswer::Unclear(format!(
                        "AddOrder answered {}",
                        crate::text::clip(&errors.join(", "), 200)
                    )),
                }
            }
            (_, _) => {
                OrderAnswer::Unclear("AddOrder's answer has both errors and a txid".to_owned())
            }
        }
    }

    fn observe(
        &self,
        endpoint: &Endpoint,
        _request: &Request,
        body: &str,
        into: &mut Observations,
    ) {
        let Ok(envelope) = serde_json::from_str::<Value>(body) else {
            return;
        };
        let Some(result) = envelope["result"].as_object() else {
            return;
        };
        match endpoint.purpose {
            Purpose::Markets => {
                for (id, pair) in result {
                    let (Some(altname), Some(wsname)) =
                        (pair["altname"].as_str(), pair["wsname"].as_str())
                    else {
                        continue;
                    };
                    if let Ok(symbol) = Symbol::parse(wsname) {
                        let market = MarketRef {
                            symbol,
                            pair_id: id.clone(),
                        };
                        into.market(&[id.as_str(), altname], market);
                    }
                }
            }
            Purpose::Prices => {
                for (id, ticker) in result {
                    if let (Some(bid), Some(ask)) =
                        (decimal_text(&ticker["b"][0]), decimal_text(&ticker["a"][0]))
                    {
                        into.price(id, bid, ask);
                    }
                }
            }
            _ => {}
        }
    }

    fn markets_request(&self, _name: &str) -> Request {
        // Every pair in one answer, cached for an hour: Kraken's list is small.
        let mut request = get(ASSET_PAIRS, Vec::new());
        request.cache_for = HOUR;
        request
    }

    fn price_request(&self, pair_id: &str) -> Request {
        get(TICKER, vec![("pair".to_owned(), pair_id.to_owned())])
    }

    fn time_request(&self) -> Request {
        get(TIME, Vec::new())
    }

    fn parse_time(&self, body: &str) -> Option<DateTime<Utc>> {
        let envelope = serde_json::from_str::<Value>(body).ok()?;
        DateTime::from_timestamp(envelope["result"]["unixtime"].as_i64()?, 0)
    }

    fn call_counter(&self) -> Option<CounterLimits> {
        self.trading.then_some(STARTER)
    }

    fn private_cost(&self, path: &str) -> u32 {
        counter::call_cost(path)
    }

    fn order_carries_deadline(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn order(form: &[(&str, &str)]) -> Request {
        Request {
            method: Method::Post,
            path: ADD_ORDER.to_owned(),
            query: Vec::new(),
            form: form
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            signed: true,
            cache_for: Duration::ZERO,
        }
    }

    const GOOD: [(&str, &str); 7] = [
        ("pair", "SOLUSD"),
        ("type", "buy"),
        ("ordertype", "market"),
        ("volume", "0.66"),
        ("oflags", "fciq"),
        ("cl_ord_id", "6d1b345e-2821-40e2-ad83-4ecb18a06876"),
        ("deadline", "2026-12-01T10:00:30Z"),
    ];

    #[test]
    fn reads_a_market_order() {
        let decoded = Kraken::trading().decode_order(&order(&GOOD)).unwrap();
        assert_eq!(decoded.pair, "SOLUSD");
        assert_eq!(decoded.side, Side::Buy);
        assert_eq!(
            decoded.size,
            OrderSize::Base(Decimal::from_str("0.66").unwrap())
        );
        assert_eq!(decoded.deadline.as_deref(), Some("2026-12-01T10:00:30Z"));
    }

    #[test]
    fn refuses_what_is_not_a_plain_market_order() {
        let kraken = Kraken::trading();
        for (name, value) in [
            ("ordertype", "limit"),
            ("type", "short"),
            ("oflags", "viqc"),
            ("oflags", "fcib"),
            ("oflags", "post,fciq"),
            ("volume", "1e3"),
            ("volume", "-1"),
        ] {
            let mut form = GOOD.to_vec();
            form.retain(|(k, _)| *k != name);
            form.push((name, value));
            assert!(
                kraken.decode_order(&order(&form)).is_err(),
                "{name}={value}"
            );
        }
        let mut twice = GOOD.to_vec();
        twice.push(("volume", "100"));
        assert!(
            kraken
                .decode_order(&order(&twice))
                .unwrap_err()
                .contains("twice")
        );
        let mut missing = GOOD.to_vec();
        missing.retain(|(k, _)| *k != "cl_ord_id");
        assert!(kraken.decode_order(&order(&missing)).is_err());
    }

    #[test]
    fn reads_the_answer_conservatively() {
        let kraken = Kraken::trading();
        assert_eq!(
            kraken.decode_order_answer(
                200,
                r#"{"error":[],"result":{"descr":{"order":"x"},"txid":["OUF4EM-FRGI2-MQMWZD"]}}"#
            ),
            OrderAnswer::Accepted {
                order_id: "OUF4EM-FRGI2-MQMWZD".into()
            }
        );
        assert!(matches!(
            kraken.decode_order_answer(200, r#"{"error":["EOrder:Insufficient funds"]}"#),
            OrderAnswer::Refused(DriverError::InsufficientFunds(_))
        ));
        for unclear in [
            (200, r#"{"error":["EService:Unavailable"]}"#),
            (200, r#"{"error":["EOrder:Duplicate cl_ord_id"]}"#),
            (200, r#"{"error":["EFuture:Something new"]}"#),
            (200, r#"{"error":[],"result":{"descr":{"order":"x"}}}"#),
            (
                200,
                r#"{"error":["EOrder:Insufficient funds"],"result":{"txid":["OUF4EM-FRGI2-MQMWZD"]}}"#,
            ),
            (200, "<html>"),
            (502, "<html>502</html>"),
        ] {
            assert!(
                matches!(
                    kraken.decode_order_answer(unclear.0, unclear.1),
                    OrderAnswer::Unclear(_)
                ),
                "{unclear:?}"
            );
        }
    }

    #[test]
    fn observes_markets_and_prices() {
        let kraken = Kraken::trading();
        let mut seen = Observations::default();
        let pairs = kraken
            .endpoints()
            .iter()
            .find(|e| e.path == ASSET_PAIRS)
            .unwrap();
        kraken.observe(
            pairs,
            &kraken.markets_request("XBTUSD"),
            r#"{"error":[],"result":{"XXBTZUSD":{"altname":"XBTUSD","wsname":"XBT/USD"},"SOLUSD":{"altname":"SOLUSD","wsname":"SOL/USD"}}}"#,
            &mut seen,
        );
        assert_eq!(
            seen.market_named("XBTUSD").unwrap().symbol.to_string(),
            "BTC/USD"
        );
        assert_eq!(seen.market_named("XXBTZUSD").unwrap().pair_id, "XXBTZUSD");
        let ticker = kraken
            .endpoints()
            .iter()
            .find(|e| e.path == TICKER)
            .unwrap();
        kraken.observe(
            ticker,
            &kraken.price_request("SOLUSD"),
            r#"{"error":[],"result":{"SOLUSD":{"a":["150.05","1","1.000"],"b":["149.95","1","1.000"],"c":["150","0.1"]}}}"#,
            &mut seen,
        );
        assert_eq!(
            seen.fresh_price("SOLUSD").unwrap().ask,
            Decimal::from_str("150.05").unwrap()
        );
    }

    #[test]
    fn the_public_profile_has_no_private_endpoint() {
        let public = Kraken::public_only();
        assert!(public.endpoints().iter().all(|e| !e.signed));
        assert!(public.sign_style().is_none());
    }
}
