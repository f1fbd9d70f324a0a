//! Tickers: fixed, overridden by state and from Kraken's public prices.

use super::*;
use crate::config;
use crate::env::mem::MemEnv;

const SAMPLE: &str = r#"{"error":[],"result":{"XXBTZUSD":{"a":["30300.10000","1","1.000"],"b":["30300.00000","1","1.000"],"c":["30303.20000","0.00067643"],"v":["4083.67001100","4412.73601799"],"p":["30706.77771","30689.13205"],"t":[34619,38907],"l":["29868.30000","29868.30000"],"h":["31631.00000","31631.00000"],"o":"30502.80000"}}}"#;

fn parse_kraken_ticker(body: &str, pair_id: &str) -> Result<Quote, DriverError> {
    parse_kraken_tickers(body, &[pair_id]).map(|mut quotes| quotes.remove(0))
}

fn tick(env: &MemEnv, symbol: &str) -> Result<Ticker, DriverError> {
    let cfg = config::load(env)?;
    ticker(env, &cfg, symbol)
}

/// Symbol, bid, ask, last of each; an error as its debug text.
fn ticks(env: &MemEnv, symbols: &[&str]) -> Result<Vec<[String; 4]>, String> {
    let cfg = config::load(env).map_err(|e| format!("{e:?}"))?;
    let symbols: Vec<String> = symbols.iter().map(ToString::to_string).collect();
    let list = tickers(env, &cfg, &symbols).map_err(|e| format!("{e:?}"))?;
    Ok(list
        .into_iter()
        .map(|t| [t.symbol, t.bid, t.ask, t.last])
        .collect())
}

fn fails_with(r: Result<Vec<[String; 4]>, String>, variant: &str) -> bool {
    r.is_err_and(|e| e.starts_with(&format!("DriverError::{variant}(")))
}

fn row(symbol: &str, bid: &str, ask: &str, last: &str) -> [String; 4] {
    [symbol, bid, ask, last].map(String::from)
}

#[test]
fn parses_kraken_sample() {
    let q = parse_kraken_ticker(SAMPLE, "XXBTZUSD").expect("parses");
    assert_eq!(
        (num::fmt(q.ask), num::fmt(q.bid), num::fmt(q.last)),
        ("30300.1".into(), "30300".into(), "30303.2".into())
    );
}

#[test]
fn kraken_error_body_is_unavailable() {
    let body = r#"{"error":["EQuery:Unknown asset pair"]}"#;
    match parse_kraken_ticker(body, "XXBTZUSD") {
        Err(DriverError::Unavailable(msg)) => {
            assert!(msg.contains("EQuery:Unknown asset pair"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    for bad in [
        "",
        "not json",
        r#"{"error":[],"result":{}}"#,
        r#"{"error":[],"result":{"XXBTZUSD":{"a":["1e3"],"b":["1"],"c":["1"]}}}"#,
    ] {
        assert!(
            matches!(
                parse_kraken_ticker(bad, "XXBTZUSD"),
                Err(DriverError::Unavailable(_))
            ),
            "{bad}"
        );
    }
}

#[test]
fn kraken_source_sends_ticker_request() {
    let mut env = MemEnv::with(&[("price-source", "kraken")]);
    env.http = Some(Ok((200, SAMPLE.into())));
    let t = tick(&env, "xbt/usd").expect("ticker");
    assert_eq!(
        (
            t.symbol.as_str(),
            t.bid.as_str(),
            t.ask.as_str(),
            t.last.as_str()
        ),
        ("BTC/USD", "30300", "30300.1", "30303.2")
    );
    let calls = env.http_calls.borrow();
    assert_eq!(
        calls.as_slice(),
        &[(
            TICKER_PATH.to_string(),
            vec![("pair".to_string(), "XXBTZUSD".to_string())]
        )]
    );
}

#[test]
fn kraken_transport_failures_are_unavailable() {
    for answer in [
        Err("no-answer: timeout".to_string()),
        Ok((503, "busy".to_string())),
        Ok((200, r#"{"error":["EService:Unavailable"]}"#.to_string())),
    ] {
        let mut env = MemEnv::with(&[("price-source", "kraken")]);
        env.http = Some(answer);
        assert!(matches!(
            tick(&env, "BTC/USD"),
            Err(DriverError::Unavailable(_))
        ));
    }
}

#[test]
fn absurd_configured_price_is_an_error_not_a_panic() {
    let env = MemEnv::with(&[("prices", "BTC/USD=79228162514264337593543950335")]);
    assert!(matches!(
        tick(&env, "BTC/USD"),
        Err(DriverError::InvalidRequest(_))
    ));
}

#[test]
fn fixed_prices_spread_and_rounding() {
    let env = MemEnv::with(&[("prices", "SOL/USD=150.5")]);
    let t = tick(&env, "BTC/USD").expect("btc");
    assert_eq!(
        (t.bid.as_str(), t.ask.as_str(), t.last.as_str()),
        ("59970", "60030", "60000")
    );
    // 150.5 * 1.0005 = 150.57525 -> up 150.58; 150.5 * 0.9995 = 150.42475 -> down 150.42
    let t = tick(&env, "SOL/USD").expect("sol");
    assert_eq!(
        (t.bid.as_str(), t.ask.as_str(), t.last.as_str()),
        ("150.42", "150.58", "150.5")
    );
    let t = tick(&env, "DOGE/USD").expect("doge");
    assert_eq!((t.bid.as_str(), t.ask.as_str()), ("0.149925", "0.150075"));
    assert!(env.http_calls.borrow().is_empty());
}

#[test]
fn tickers_fixed_in_the_order_asked() {
    let env = MemEnv::with(&[("prices", "SOL/USD=150.5")]);
    assert_eq!(
        ticks(&env, &["sol/usd", "XBT/USD", "DOGE/USD", "SOL/USD"]),
        Ok(vec![
            row("SOL/USD", "150.42", "150.58", "150.5"),
            row("BTC/USD", "59970", "60030", "60000"),
            row("DOGE/USD", "0.149925", "0.150075", "0.15"),
            row("SOL/USD", "150.42", "150.58", "150.5"),
        ])
    );
    assert_eq!(ticks(&env, &[]), Ok(Vec::new()));
    assert!(fails_with(
        ticks(&env, &["BTC/USD", "BTC/EUR"]),
        "InvalidSymbol"
    ));
    assert!(env.http_calls.borrow().is_empty());
    // One market: the same answer as `ticker`.
    let one = tick(&env, "ETH/USD").expect("ticker");
    assert_eq!(
        ticks(&env, &["ETH/USD"]),
        Ok(vec![[one.symbol, one.bid, one.ask, one.last]])
    );
}

#[test]
fn tickers_from_kraken_in_one_request() {
    let body = r#"{"error":[],"result":{
        "SOLUSD":{"a":["150.01"],"b":["150"],"c":["150.005"]},
        "XXBTZUSD":{"a":["30300.1"],"b":["30300"],"c":["30303.2"]}}}"#;
    let mut env = MemEnv::with(&[("price-source", "kraken")]);
    env.http = Some(Ok((200, body.into())));
    assert_eq!(
        ticks(&env, &["BTC/USD", "SOL/USD", "xbt/usd"]),
        Ok(vec![
            row("BTC/USD", "30300", "30300.1", "30303.2"),
            row("SOL/USD", "150", "150.01", "150.005"),
            row("BTC/USD", "30300", "30300.1", "30303.2"),
        ])
    );
    assert_eq!(
        env.http_calls.borrow().as_slice(),
        &[(
            TICKER_PATH.to_string(),
            vec![("pair".to_string(), "XXBTZUSD,SOLUSD".to_string())]
        )]
    );
    // An entry missing from Kraken's answer: no quote is made up.
    assert!(fails_with(
        ticks(&env, &["BTC/USD", "ETH/USD"]),
        "Unavailable"
    ));
    // Unknown symbols fail before any request; none asked, none sent.
    env.http_calls.borrow_mut().clear();
    assert!(fails_with(
        ticks(&env, &["BTC/USD", "FOO/USD"]),
        "InvalidSymbol"
    ));
    assert_eq!(ticks(&env, &[]), Ok(Vec::new()));
    assert!(env.http_calls.borrow().is_empty());
}

/// What the host's command does: write `price/<SYMBOL>`.
fn set_price(env: &MemEnv, key: &str, value: &str) {
    let old = env.get(key);
    assert!(env.state_cas(key, old.as_deref(), value), "{key}");
}

#[test]
fn state_override_wins_over_configured_and_default_prices() {
    let env = MemEnv::with(&[("prices", "SOL/USD=150.5"), ("spread-bps", "20")]);
    assert_eq!(
        ticks(&env, &["SOL/USD", "BTC/USD"]),
        Ok(vec![
            row("SOL/USD", "150.34", "150.66", "150.5"),
            row("BTC/USD", "59940", "60060", "60000"),
        ])
    );
    set_price(&env, "price/SOL/USD", "142.5");
    set_price(&env, "price/BTC/USD", " 50000\n");
    // 142.5 * 1.001 = 142.6425 -> up 142.65; 142.5 * 0.999 = 142.3575 -> down 142.35
    assert_eq!(
        ticks(&env, &["SOL/USD", "XBT/USD", "ETH/USD"]),
        Ok(vec![
            row("SOL/USD", "142.35", "142.65", "142.5"),
            row("BTC/USD", "49950", "50050", "50000"),
            row("ETH/USD", "2997", "3003", "3000"),
        ])
    );
    let t = tick(&env, "sol/usd").expect("ticker");
    assert_eq!((t.bid.as_str(), t.ask.as_str()), ("142.35", "142.65"));
    // Moved again: the next call sees it.
    set_price(&env, "price/SOL/USD", "99");
    let t = tick(&env, "SOL/USD").expect("ticker");
    assert_eq!(t.last, "99");
    // Cleared (an empty value): the configured price again.
    set_price(&env, "price/SOL/USD", "");
    let t = tick(&env, "SOL/USD").expect("ticker");
    assert_eq!(t.last, "150.5");
    set_price(&env, "price/SOL/USD", " ");
    assert_eq!(
        tick(&env, "SOL/USD").map(|t| t.last).ok(),
        Some("150.5".into())
    );
    assert_eq!(
        override_key(market::parse_symbol("xdg/usd").expect("doge")),
        "price/DOGE/USD"
    );
}

#[test]
fn only_the_canonical_symbol_key_counts() {
    let env = MemEnv::default();
    set_price(&env, "price/XBT/USD", "1");
    set_price(&env, "price/btc/usd", "1");
    set_price(&env, "price/BTCUSD", "1");
    let t = tick(&env, "BTC/USD").expect("ticker");
    assert_eq!(t.last, "60000");
}

#[test]
fn state_override_wins_over_kraken_and_is_not_fetched() {
    let mut env = MemEnv::with(&[("price-source", "kraken")]);
    env.http = Some(Ok((200, SAMPLE.into())));
    set_price(&env, "price/SOL/USD", "142.5");
    let t = tick(&env, "SOL/USD").expect("ticker");
    assert_eq!(
        (t.bid.as_str(), t.ask.as_str(), t.last.as_str()),
        ("142.42", "142.58", "142.5")
    );
    assert!(env.http_calls.borrow().is_empty());
    assert_eq!(
        ticks(&env, &["SOL/USD", "BTC/USD"]),
        Ok(vec![
            row("SOL/USD", "142.42", "142.58", "142.5"),
            row("BTC/USD", "30300", "30300.1", "30303.2"),
        ])
    );
    // Only the pair without an override was asked for.
    assert_eq!(
        env.http_calls.borrow().as_slice(),
        &[(
            TICKER_PATH.to_string(),
            vec![("pair".to_string(), "XXBTZUSD".to_string())]
        )]
    );
}

#[test]
fn invalid_override_names_key_and_value() {
    for bad in ["abc", "0", "-1", "1e3", "1,5", "150 USD"] {
        let env = MemEnv::default();
        set_price(&env, "price/ETH/USD", bad);
        match tick(&env, "ETH/USD") {
            Err(DriverError::InvalidRequest(msg)) => {
                assert!(msg.contains("`price/ETH/USD`"), "{msg}");
                assert!(msg.contains(&format!("{bad:?}")), "{msg}");
            }
            other => panic!("{bad:?}: {other:?}"),
        }
        assert!(fails_with(
            ticks(&env, &["BTC/USD", "ETH/USD"]),
            "InvalidRequest"
        ));
        // Other markets are unaffected.
        assert!(tick(&env, "BTC/USD").is_ok());
    }
    let env = MemEnv::default();
    set_price(&env, "price/BTC/USD", "79228162514264337593543950335");
    match tick(&env, "BTC/USD") {
        Err(DriverError::InvalidRequest(msg)) => {
            assert!(msg.contains("`price/BTC/USD`"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
}
