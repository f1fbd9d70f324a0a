//! Names: the host speaks unified `BASE/QUOTE` (BTC/USD); Kraken speaks
//! asset ids (XXBT, ZUSD), pair ids (XXBTZUSD, the AssetPairs key, which is
//! what we send), altnames (XBTUSD, what orders report) and wsnames
//! (XBT/USD, what we match symbols against).

use crate::num;
use crate::responses::Pair;
use crate::tradehost::exchange::types::{DriverError, MarketStatus};
use rust_decimal::Decimal;

/// Kraken asset ids and altnames whose unified code differs. Only these are
/// rewritten: stripping any X/Z prefix would break e.g. XTZ or ZEC.
const CURRENCY: &[(&str, &str)] = &[
    ("XBT", "BTC"),
    ("XXBT", "BTC"),
    ("XDG", "DOGE"),
    ("XXDG", "DOGE"),
    ("XETH", "ETH"),
    ("XLTC", "LTC"),
    ("XXRP", "XRP"),
    ("XXLM", "XLM"),
    ("XXMR", "XMR"),
    ("XZEC", "ZEC"),
    ("XETC", "ETC"),
    ("XMLN", "MLN"),
    ("XREP", "REP"),
    ("ZUSD", "USD"),
    ("ZEUR", "EUR"),
    ("ZGBP", "GBP"),
    ("ZCAD", "CAD"),
    ("ZJPY", "JPY"),
    ("ZAUD", "AUD"),
];

/// Unified code of a Kraken asset id or altname. A balance suffix
/// (".M", ".S", ".F"…) is kept: those are separate balances.
pub fn currency(code: &str) -> String {
    let (head, suffix) = match code.find('.') {
        Some(i) => code.split_at(i),
        None => (code, ""),
    };
    let head = CURRENCY
        .iter()
        .find(|(kraken, _)| *kraken == head)
        .map_or(head, |(_, unified)| unified);
    format!("{head}{suffix}")
}

/// Splits and normalises a host symbol; "xbt/usd" becomes ("BTC", "USD").
pub fn parse_symbol(symbol: &str) -> Result<(String, String), DriverError> {
    let invalid =
        || DriverError::InvalidSymbol(format!("not a BASE/QUOTE symbol: {}", num::clip(symbol)));
    let (base, quote) = symbol.split_once('/').ok_or_else(invalid)?;
    let ok = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.');
    if !ok(base) || !ok(quote) {
        return Err(invalid());
    }
    Ok((
        currency(&base.to_ascii_uppercase()),
        currency(&quote.to_ascii_uppercase()),
    ))
}

/// A tradable pair with every field the driver relies on present.
#[derive(Clone, Debug, PartialEq)]
pub struct Market {
    /// Unified, e.g. "BTC/USD".
    pub symbol: String,
    /// AssetPairs key, e.g. "XXBTZUSD".
    pub id: String,
    pub base: String,
    pub quote: String,
    pub ordermin: Decimal,
    pub costmin: Decimal,
    pub lot_decimals: u8,
    pub pair_decimals: u8,
    pub status: MarketStatus,
}

/// Unified (base, quote) of a pair: from the wsname, else the asset ids.
fn unified(pair: &Pair) -> Option<(String, String)> {
    if let Some((b, q)) = pair.wsname.as_deref().and_then(|w| w.split_once('/')) {
        return Some((currency(b), currency(q)));
    }
    Some((
        currency(pair.base.as_deref()?),
        currency(pair.quote.as_deref()?),
    ))
}

/// Finds the pair for a host symbol. Pairs are matched on their wsname;
/// only pairs without one fall back to their asset ids (never the ".d"
/// dark-pool twins, which share the asset ids of the real pair).
pub fn resolve(pairs: &[Pair], symbol: &str) -> Result<Market, DriverError> {
    let wanted = parse_symbol(symbol)?;
    let by_wsname = pairs.iter().find(|p| {
        p.wsname
            .as_deref()
            .and_then(|w| w.split_once('/'))
            .map(|(b, q)| (currency(b), currency(q)))
            == Some(wanted.clone())
    });
    let fallback = || {
        pairs.iter().find(|p| {
            p.wsname.is_none() && !p.id.ends_with(".d") && unified(p) == Some(wanted.clone())
        })
    };
    let pair = by_wsname.or_else(fallback).ok_or_else(|| {
        DriverError::InvalidSymbol(format!("kraken lists no pair for {}", num::clip(symbol)))
    })?;
    market(pair).map_err(DriverError::Unavailable)
}

/// Unified (symbol, base, quote) of an order's `descr.pair` (an altname).
pub fn by_altname(pairs: &[Pair], altname: &str) -> Option<(String, String, String)> {
    let pair = pairs
        .iter()
        .find(|p| p.altname.as_deref() == Some(altname))?;
    let (base, quote) = unified(pair)?;
    Some((format!("{base}/{quote}"), base, quote))
}

/// Checks that the entry carries every field the driver needs.
pub fn market(pair: &Pair) -> Result<Market, String> {
    let missing = |field: &str| {
        format!(
            "kraken AssetPairs entry {} lacks {field}",
            num::clip(&pair.id)
        )
    };
    let (base, quote) = unified(pair).ok_or_else(|| missing("wsname and base/quote"))?;
    Ok(Market {
        symbol: format!("{base}/{quote}"),
        id: pair.id.clone(),
        base,
        quote,
        ordermin: pair.ordermin.ok_or_else(|| missing("ordermin"))?,
        // Pairs without a cost minimum have none.
        costmin: pair.costmin.unwrap_or(Decimal::ZERO),
        lot_decimals: pair.lot_decimals.ok_or_else(|| missing("lot_decimals"))?,
        pair_decimals: pair.pair_decimals.ok_or_else(|| missing("pair_decimals"))?,
        status: market_status(pair.status.as_deref()),
    })
}

/// Kraken pair status; anything unknown or absent is treated as
/// maintenance, so new statuses block trading rather than allow it.
pub fn market_status(status: Option<&str>) -> MarketStatus {
    match status {
        Some("online") => MarketStatus::Online,
        Some("cancel_only") => MarketStatus::CancelOnly,
        Some("post_only") => MarketStatus::PostOnly,
        Some("limit_only") => MarketStatus::LimitOnly,
        Some("reduce_only") => MarketStatus::ReduceOnly,
        Some("delisted") => MarketStatus::Delisted,
        _ => MarketStatus::Maintenance,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::responses;

    fn live() -> Vec<Pair> {
        responses::asset_pairs(include_str!("../tests/fixtures/assetpairs_live.json"))
            .expect("fixture parses")
    }

    #[test]
    fn currencies_normalise() {
        for (kraken, unified) in [
            ("XXBT", "BTC"),
            ("XBT", "BTC"),
            ("XXDG", "DOGE"),
            ("XDG", "DOGE"),
            ("ZUSD", "USD"),
            ("XETH", "ETH"),
            ("XXRP", "XRP"),
            ("ZJPY", "JPY"),
            ("SOL", "SOL"),
            ("USDT", "USDT"),
            ("XTZ", "XTZ"),
            ("XBT.M", "BTC.M"),
            ("USD.HOLD", "USD.HOLD"),
            ("ETH2.S", "ETH2.S"),
        ] {
            assert_eq!(currency(kraken), unified, "{kraken}");
        }
    }

    #[test]
    fn symbols_resolve_to_pair_ids() {
        let pairs = live();
        for (symbol, id, canonical) in [
            ("BTC/USD", "XXBTZUSD", "BTC/USD"),
            ("XBT/USD", "XXBTZUSD", "BTC/USD"),
            ("btc/usd", "XXBTZUSD", "BTC/USD"),
            ("DOGE/USD", "XDGUSD", "DOGE/USD"),
            ("XDG/USD", "XDGUSD", "DOGE/USD"),
            ("SOL/USD", "SOLUSD", "SOL/USD"),
        ] {
            let m = resolve(&pairs, symbol).expect(symbol);
            assert_eq!(
                (m.id.as_str(), m.symbol.as_str()),
                (id, canonical),
                "{symbol}"
            );
        }
    }

    #[test]
    fn unknown_or_malformed_symbols_are_invalid() {
        let pairs = live();
        for bad in [
            "ETH/USD",
            "BTCUSD",
            "XXBTZUSD",
            "XBTUSD",
            "BTC/",
            "/USD",
            "BTC/USD/X",
            "BTC /USD",
            "",
        ] {
            match resolve(&pairs, bad) {
                Err(DriverError::InvalidSymbol(msg)) => assert!(msg.contains(bad), "{msg}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn altnames_map_back_to_unified_symbols() {
        let pairs = live();
        let name = |alt: &str| by_altname(&pairs, alt);
        assert_eq!(
            name("XBTUSD"),
            Some(("BTC/USD".into(), "BTC".into(), "USD".into()))
        );
        assert_eq!(
            name("XDGUSD"),
            Some(("DOGE/USD".into(), "DOGE".into(), "USD".into()))
        );
        assert_eq!(name("SOLUSD").map(|s| s.0), Some("SOL/USD".into()));
        // Neither the pair id nor the wsname is an altname.
        assert_eq!(name("XXBTZUSD"), None);
        assert_eq!(name("XBT/USD"), None);
    }

    #[test]
    fn pairs_without_wsname_match_on_asset_ids_but_not_dark_pools() {
        let pair = |id: &str, base: &str| Pair {
            id: id.into(),
            base: Some(base.into()),
            quote: Some("ZEUR".into()),
            ordermin: Some(Decimal::ONE),
            lot_decimals: Some(8),
            pair_decimals: Some(2),
            status: Some("online".into()),
            ..Pair::default()
        };
        let pairs = [pair("XXBTZEUR.d", "XXBT"), pair("XETHZEUR", "XETH")];
        assert!(matches!(
            resolve(&pairs, "BTC/EUR"),
            Err(DriverError::InvalidSymbol(_))
        ));
        assert_eq!(
            resolve(&pairs, "ETH/EUR").map(|m| m.id),
            Ok("XETHZEUR".into())
        );
    }

    #[test]
    fn incomplete_entry_is_unavailable_not_invalid() {
        let pairs = [Pair {
            id: "SOLUSD".into(),
            wsname: Some("SOL/USD".into()),
            ..Pair::default()
        }];
        match resolve(&pairs, "SOL/USD") {
            Err(DriverError::Unavailable(msg)) => assert!(msg.contains("ordermin"), "{msg}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn statuses() {
        assert_eq!(market_status(Some("online")), MarketStatus::Online);
        assert_eq!(market_status(Some("cancel_only")), MarketStatus::CancelOnly);
        assert_eq!(market_status(Some("post_only")), MarketStatus::PostOnly);
        assert_eq!(market_status(Some("limit_only")), MarketStatus::LimitOnly);
        assert_eq!(market_status(Some("reduce_only")), MarketStatus::ReduceOnly);
        assert_eq!(market_status(Some("delisted")), MarketStatus::Delisted);
        assert_eq!(market_status(Some("halted")), MarketStatus::Maintenance);
        assert_eq!(market_status(None), MarketStatus::Maintenance);
    }
}
