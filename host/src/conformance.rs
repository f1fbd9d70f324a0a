//! A conformance suite any exchange driver can run (`tradehost plugin
//! test`): standalone for a simulator, against a local fake exchange for a
//! live driver, so a third party can prove a new driver before deploying it.

use std::time::Duration;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::domain::Symbol;
use crate::exchange::{
    DriverError, ExchangeDriver, MarketOrder, MarketRules, OrderAmount, OrderLookup, OrderReport,
    Side,
};
use crate::text::untrusted;

/// One conformance check and how it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// The check's stable name ("market-rules").
    pub name: &'static str,
    /// It passed (or was skipped).
    pub passed: bool,
    /// `Some` when the check did not run, and why.
    pub skipped: Option<String>,
    /// What was found, or what went wrong, as text safe to show.
    pub detail: String,
}

fn check(name: &'static str, result: Result<String, String>) -> Check {
    let (passed, detail) = match result {
        Ok(detail) => (true, detail),
        Err(detail) => (false, detail),
    };
    Check {
        name,
        passed,
        skipped: None,
        detail: untrusted(&detail, 400),
    }
}

fn skipped(name: &'static str, why: &str) -> Check {
    Check {
        name,
        passed: true,
        skipped: Some(why.to_owned()),
        detail: format!("skipped: {why}"),
    }
}

/// What the suite may do.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The market the suite exercises.
    pub symbol: Symbol,
    /// Buy and sell the market's minimum: only against a sandbox or a fake.
    pub orders: bool,
    /// A key is attached, so private reads can be tried.
    pub credentials: bool,
    /// Declared paths the host's profile would refuse.
    pub refused_paths: Vec<String>,
}

fn lookup(symbol: &Symbol, order_id: Option<String>, client_order_id: String) -> OrderLookup {
    OrderLookup {
        order_id,
        client_order_id,
        symbol: symbol.clone(),
        side: Side::Buy,
        sent_at: chrono::Utc::now(),
    }
}

/// Runs the suite on `scope.symbol`.
pub async fn run<D: ExchangeDriver>(driver: &D, scope: &Scope) -> Vec<Check> {
    let symbol = &scope.symbol;
    let mut checks = vec![check_info(driver, scope)];
    checks.push(check(
        "status",
        driver
            .status()
            .await
            .map(|s| format!("{:?}", s.state))
            .map_err(|e| e.to_string()),
    ));
    let rules = driver.market_rules(symbol).await;
    checks.push(check("market-rules", check_rules(symbol, &rules)));
    checks.push(check(
        "unknown-symbol",
        match driver
            .market_rules(&Symbol::parse("ZZQQ/USD").unwrap_or_else(|_| symbol.clone()))
            .await
        {
            Err(DriverError::InvalidSymbol(_)) => Ok("refused as invalid-symbol".to_owned()),
            other => Err(format!("expected invalid-symbol, got {other:?}")),
        },
    ));
    let ticker = driver.ticker(symbol).await;
    checks.push(check(
        "ticker",
        match &ticker {
            Ok(t) if t.bid <= t.ask => Ok(format!("bid {} ask {}", t.bid, t.ask)),
            Ok(t) => Err(format!("bid {} above ask {}", t.bid, t.ask)),
            Err(e) => Err(e.to_string()),
        },
    ));
    checks.push(check(
        "tickers",
        match driver.tickers(&[symbol.clone(), symbol.clone()]).await {
            Ok(list) if list.len() == 2 => Ok("two markets in one call".to_owned()),
            Ok(list) => Err(format!("{} tickers for 2 symbols", list.len())),
            Err(e) => Err(e.to_string()),
        },
    ));
    if !scope.credentials && driver.info().signing != crate::exchange::SigningScheme::None {
        checks.push(skipped(
            "balances",
            "no credentials attached (--with-credentials)",
        ));
    } else {
        checks.push(check(
            "balances",
            driver
                .balances()
                .await
                .map(|b| format!("{} currencies", b.len()))
                .map_err(|e| e.to_string()),
        ));
    }
    let malformed = MarketOrder {
        client_order_id: uuid::Uuid::new_v4().to_string(),
        symbol: symbol.clone(),
        side: Side::Buy,
        amount: OrderAmount::Base(Decimal::ONE),
        deadline: None,
        quote_price: None,
    };
    checks.push(check(
        "malformed-order-refused",
        match driver.place_market_order(&malformed).await {
            Err(failure) if matches!(failure.error, DriverError::InvalidRequest(_)) => {
                Ok("a buy by base amount is refused as invalid-request".to_owned())
            }
            other => Err(format!("expected invalid-request, got {other:?}")),
        },
    ));
    if scope.credentials || driver.info().signing == crate::exchange::SigningScheme::None {
        checks.extend(lookups(driver, symbol).await);
    } else {
        checks.push(skipped("unknown-order", "no credentials attached"));
    }
    if scope.orders {
        match (rules, ticker) {
            (Ok(rules), Ok(ticker)) => {
                checks.extend(round_trip(driver, symbol, &rules, ticker.ask).await);
            }
            _ => checks.push(check("orders", Err("no rules or ticker".to_owned()))),
        }
    }
    checks
}

/// Order ids no exchange has issued, in the forms exchanges use: Kraken's
/// txid, and the integers of Binance and most others.
const UNKNOWN_ORDER_IDS: [&str; 2] = ["OZZZZZ-ZZZZZ-ZZZZZZ", "9000000000000000001"];

/// An order id of the exchange's own form that it never issued is
/// `not-found`; one not of its form may be refused as `invalid-request`.
async fn unknown_order<D: ExchangeDriver>(driver: &D, symbol: &Symbol) -> Result<String, String> {
    let mut refused = Vec::new();
    for id in UNKNOWN_ORDER_IDS {
        let unknown = lookup(
            symbol,
            Some(id.to_owned()),
            uuid::Uuid::new_v4().to_string(),
        );
        match driver.query_order(&unknown).await {
            Err(DriverError::NotFound(_)) => return Ok(format!("not-found ({id})")),
            Err(DriverError::InvalidRequest(_)) => refused.push(id),
            other => return Err(format!("expected not-found for {id}, got {other:?}")),
        }
    }
    Err(format!(
        "expected not-found, got invalid-request for every id tried ({})",
        refused.join(", ")
    ))
}

async fn lookups<D: ExchangeDriver>(driver: &D, symbol: &Symbol) -> Vec<Check> {
    let nobody = lookup(symbol, None, uuid::Uuid::new_v4().to_string());
    vec![
        check("unknown-order", unknown_order(driver, symbol).await),
        check(
            "unknown-client-order-id",
            match driver.find_order(&nobody).await {
                Ok(None) => Ok("none".to_owned()),
                other => Err(format!("expected none, got {other:?}")),
            },
        ),
    ]
}

fn check_info<D: ExchangeDriver>(driver: &D, scope: &Scope) -> Check {
    let info = driver.info();
    let result = if info.exchange_id.is_empty() {
        Err("empty exchange id".to_owned())
    } else if let Some(path) = scope.refused_paths.first() {
        Err(format!(
            "declares a path the host's profile refuses: {path}"
        ))
    } else {
        Ok(format!(
            "{} {} ({} request paths)",
            info.exchange_id,
            info.driver_version,
            info.request_paths.len()
        ))
    };
    check("info", result)
}

fn check_rules(
    symbol: &Symbol,
    rules: &Result<MarketRules, DriverError>,
) -> Result<String, String> {
    let rules = rules.as_ref().map_err(|e| e.to_string())?;
    if &rules.symbol != symbol {
        return Err(format!(
            "asked for {symbol}, got rules for {}",
            rules.symbol
        ));
    }
    Ok(format!(
        "{} min size {} min cost {} ({:?})",
        rules.pair_id, rules.min_size, rules.min_cost, rules.status
    ))
}

async fn await_terminal<D: ExchangeDriver>(
    driver: &D,
    lookup: &OrderLookup,
) -> Result<OrderReport, String> {
    let mut last = String::new();
    for attempt in 0..20u32 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        match driver.query_order(lookup).await {
            Ok(report) if report.state.is_terminal() => return Ok(report),
            Ok(report) => last = format!("still {:?}", report.state),
            Err(err) => last = err.to_string(),
        }
    }
    Err(format!(
        "order {} did not complete: {last}",
        lookup.order_id.as_deref().unwrap_or("?")
    ))
}

fn consistent(report: &OrderReport) -> Result<(), String> {
    let expected = report
        .filled_size
        .checked_mul(report.average_price)
        .ok_or("size × price overflows")?;
    if report.filled_size.is_zero()
        || (report.cost - expected).abs() > expected / Decimal::from(100)
    {
        return Err(format!(
            "fill does not add up: size {} × price {} vs cost {}",
            report.filled_size, report.average_price, report.cost
        ));
    }
    Ok(())
}

async fn place<D: ExchangeDriver>(driver: &D, order: &MarketOrder) -> Result<OrderReport, String> {
    let placed = driver
        .place_market_order(order)
        .await
        .map_err(|e| e.to_string())?;
    let lookup = OrderLookup {
        order_id: Some(placed.order_id),
        client_order_id: order.client_order_id.clone(),
        symbol: order.symbol.clone(),
        side: order.side,
        sent_at: chrono::Utc::now(),
    };
    let report = match placed.fill {
        Some(report) if report.state.is_terminal() => report,
        _ => await_terminal(driver, &lookup).await?,
    };
    consistent(&report)?;
    Ok(report)
}

/// Buys about twice the market's minimum, finds it by client order id, and
/// sells nearly all of it back.
async fn round_trip<D: ExchangeDriver>(
    driver: &D,
    symbol: &Symbol,
    rules: &MarketRules,
    ask: Decimal,
) -> Vec<Check> {
    let mut checks = Vec::new();
    let quote = (rules.min_cost.max(rules.min_size * ask) * Decimal::from(2))
        .round_dp_with_strategy(2, RoundingStrategy::AwayFromZero);
    let deadline = Some(chrono::Utc::now() + chrono::Duration::seconds(30));
    let buy = MarketOrder {
        client_order_id: uuid::Uuid::new_v4().to_string(),
        symbol: symbol.clone(),
        side: Side::Buy,
        amount: OrderAmount::Quote(quote),
        deadline,
        quote_price: Some(ask),
    };
    let bought = place(driver, &buy).await;
    checks.push(check(
        "buy",
        bought
            .as_ref()
            .map(|r| format!("{} at {} for {}", r.filled_size, r.average_price, r.cost))
            .map_err(Clone::clone),
    ));
    let Ok(bought) = bought else { return checks };
    let by_client = lookup(symbol, None, buy.client_order_id.clone());
    checks.push(check(
        "find-by-client-order-id",
        match driver.find_order(&by_client).await {
            Ok(Some(found)) if found.order_id == bought.order_id => Ok(found.order_id),
            other => Err(format!("expected order {}, got {other:?}", bought.order_id)),
        },
    ));
    let base_fees: Decimal = bought
        .fees
        .iter()
        .filter(|f| f.currency.eq_ignore_ascii_case(symbol.base()))
        .map(|f| f.amount)
        .sum();
    // Less 1 %: an exchange may charge the sell's fee in the base currency
    // (Kraken's default), which must still be held when the sell executes.
    let size = (bought.filled_size - base_fees) * Decimal::new(99, 2);
    let sell = MarketOrder {
        client_order_id: uuid::Uuid::new_v4().to_string(),
        symbol: symbol.clone(),
        side: Side::Sell,
        amount: OrderAmount::Base(
            size.round_dp_with_strategy(rules.size_decimals, RoundingStrategy::ToZero),
        ),
        deadline,
        quote_price: None,
    };
    checks.push(check(
        "sell",
        place(driver, &sell)
            .await
            .map(|r| format!("{} at {}", r.filled_size, r.average_price)),
    ));
    checks
}
