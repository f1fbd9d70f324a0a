//! Every request the driver makes. The host adds `nonce` and the signature
//! to signed requests, so no builder here ever sets a nonce.

use crate::tradehost::exchange::types::Side;
pub use driver_kit::http::Req;
use driver_kit::http::param;

pub const SYSTEM_STATUS: &str = "/0/public/SystemStatus";
pub const ASSET_PAIRS: &str = "/0/public/AssetPairs";
pub const TICKER: &str = "/0/public/Ticker";
pub const BALANCE_EX: &str = "/0/private/BalanceEx";
pub const ADD_ORDER: &str = "/0/private/AddOrder";
pub const QUERY_ORDERS: &str = "/0/private/QueryOrders";
pub const OPEN_ORDERS: &str = "/0/private/OpenOrders";
pub const CLOSED_ORDERS: &str = "/0/private/ClosedOrders";

/// Declared in `info()`: the host refuses any other path.
pub const PATHS: [&str; 8] = [
    SYSTEM_STATUS,
    ASSET_PAIRS,
    TICKER,
    BALANCE_EX,
    ADD_ORDER,
    QUERY_ORDERS,
    OPEN_ORDERS,
    CLOSED_ORDERS,
];

/// Pair reference data changes rarely; the host caches it per process.
/// (Each call runs in a fresh instance, so the driver cannot cache it.)
pub const ASSET_PAIRS_CACHE_SECONDS: u32 = 3600;

pub fn system_status() -> Req {
    Req::public_get(SYSTEM_STATUS, Vec::new(), 0)
}

/// All pairs, unfiltered: one cached answer serves every symbol.
pub fn asset_pairs() -> Req {
    Req::public_get(ASSET_PAIRS, Vec::new(), ASSET_PAIRS_CACHE_SECONDS)
}

pub fn ticker(pair_id: &str) -> Req {
    tickers(&[pair_id])
}

/// One Ticker request for several pairs: `pair=A,B,C`.
pub fn tickers(pair_ids: &[&str]) -> Req {
    Req::public_get(TICKER, vec![param("pair", &pair_ids.join(","))], 0)
}

pub fn balance_ex() -> Req {
    Req::signed_post(BALANCE_EX, Vec::new())
}

/// A market order for `volume` base units. Volume is always in base units
/// (no `oflags=viqc`): see `ops::place_market_order`. `oflags=fciq` puts
/// the fee in the quote currency on both sides: Kraken's default charges a
/// sell's fee in the base, which would leave a position one fee short of
/// being sold in full. The host checks this form and refuses any other.
pub fn add_order(
    pair_id: &str,
    side: Side,
    volume: &str,
    client_order_id: &str,
    deadline: Option<&str>,
) -> Req {
    let side = match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    };
    let mut form = vec![
        param("pair", pair_id),
        param("type", side),
        param("ordertype", "market"),
        param("volume", volume),
        param("oflags", "fciq"),
        param("cl_ord_id", client_order_id),
    ];
    // The engine refuses the order once this passes, which makes "not found
    // after the deadline" a final answer for reconciliation.
    if let Some(deadline) = deadline {
        form.push(param("deadline", deadline));
    }
    Req::signed_post(ADD_ORDER, form)
}

pub fn query_orders(txid: &str) -> Req {
    Req::signed_post(QUERY_ORDERS, vec![param("txid", txid)])
}

pub fn open_orders(client_order_id: &str) -> Req {
    Req::signed_post(OPEN_ORDERS, vec![param("cl_ord_id", client_order_id)])
}

/// One page of ClosedOrders (Kraken sends 50, newest first): orders after
/// `start` (unix seconds, exclusive), from result offset `ofs`.
/// `closetime` is left at its default (both).
pub fn closed_orders(client_order_id: &str, start: i64, ofs: u64) -> Req {
    Req::signed_post(
        CLOSED_ORDERS,
        vec![
            param("cl_ord_id", client_order_id),
            param("start", &start.to_string()),
            param("ofs", &ofs.to_string()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use driver_kit::http::Method;

    fn all() -> Vec<Req> {
        vec![
            system_status(),
            asset_pairs(),
            ticker("XXBTZUSD"),
            balance_ex(),
            add_order("XXBTZUSD", Side::Buy, "0.001", "c1", None),
            query_orders("OUF4EM-FRGI2-MQMWZD"),
            open_orders("c1"),
            closed_orders("c1", 1_700_000_000, 50),
        ]
    }

    #[test]
    fn add_order_form_exactly() {
        let req = add_order(
            "XXBTZUSD",
            Side::Sell,
            "0.00123",
            "6d1b345e-2821-40e2-ad83-4ecb18a06876",
            Some("2026-11-24T04:20:00Z"),
        );
        let form: Vec<(&str, &str)> = req
            .form
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            form,
            [
                ("pair", "XXBTZUSD"),
                ("type", "sell"),
                ("ordertype", "market"),
                ("volume", "0.00123"),
                ("oflags", "fciq"),
                ("cl_ord_id", "6d1b345e-2821-40e2-ad83-4ecb18a06876"),
                ("deadline", "2026-11-24T04:20:00Z"),
            ]
        );
        let buy = add_order("SOLUSD", Side::Buy, "0.06", "c1", None);
        let keys: Vec<&str> = buy.form.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["pair", "type", "ordertype", "volume", "oflags", "cl_ord_id"]
        );
        assert_eq!(
            (req.method, req.path, req.signed),
            (Method::Post, ADD_ORDER, true)
        );
        assert!(req.query.is_empty());
    }

    #[test]
    fn no_request_carries_a_nonce_and_every_path_is_declared() {
        for req in all() {
            assert!(PATHS.contains(&req.path), "{}", req.path);
            assert!(
                req.form.iter().chain(&req.query).all(|(k, _)| k != "nonce"),
                "{req:?}"
            );
        }
    }

    #[test]
    fn public_vs_private() {
        for req in all() {
            let private = req.path.starts_with("/0/private/");
            assert_eq!(req.signed, private, "{}", req.path);
            assert_eq!(req.method == Method::Post, private, "{}", req.path);
            assert!(private || req.form.is_empty(), "{}", req.path);
            let cache = if req.path == ASSET_PAIRS { 3600 } else { 0 };
            assert_eq!(req.cache_seconds, cache, "{}", req.path);
        }
        assert_eq!(
            ticker("XDGUSD").query,
            [("pair".to_string(), "XDGUSD".to_string())]
        );
        assert!(asset_pairs().query.is_empty());
        assert_eq!(
            tickers(&["XXBTZUSD", "SOLUSD"]).query,
            [("pair".to_string(), "XXBTZUSD,SOLUSD".to_string())]
        );
    }

    #[test]
    fn closed_orders_page_form() {
        let req = closed_orders("cid-7", 1_700_000_000, 100);
        assert_eq!(
            req.form,
            [
                ("cl_ord_id".to_string(), "cid-7".to_string()),
                ("start".to_string(), "1700000000".to_string()),
                ("ofs".to_string(), "100".to_string()),
            ]
        );
    }
}
