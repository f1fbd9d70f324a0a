//! A conformance suite any exchange driver can run (`tradehost plugin
//! test`): standalone for a simulator, against a local fake exchange for a
//! live driver, so a third party can prove a new driver before deploying it.

use std::time::Duration;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::domain::Symbol;
use crate::exchange::{
    DriverError, ExchangeDriver, MarketOrder, MarketRules, OrderAmount, OrderReport, Side,
};
use crate::outbound::forbidden_part;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub passed: bool,
    pub detail: String,
}

fn check(name: &'static str, result: Result<String, String>) -> Check {
    match result {
        Ok(detail) => Check {
            name,
            passed: true,
            detail,
        },
        Err(detail) => Check {
            name,
            passed: false,
            detail,
        },
    }
}

/// Runs the suite on `symbol`. With `with_orders`, it also buys and sells
/// the market's minimum: only ever against a sandbox or a fake exchange.
pub async fn run<D: ExchangeDriver>(driver: &D, symbol: &Symbol, with_orders: bool) -> Vec<Check> {
    let mut checks = vec![check_info(driver)];
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
        "balances",
        driver
            .balances()
            .await
            .map(|b| format!("{} currencies", b.len()))
            .map_err(|e| e.to_string()),
    ));
    let malformed = MarketOrder {
        client_order_id: uuid::Uuid::new_v4().to_string(),
        symbol: symbol.clone(),
        side: Side::Buy,
        amount: OrderAmount::Base(Decimal::ONE),
        deadline: None,
    };
    checks.push(check(
        "malformed-order-refused",
        match driver.place_market_order(&malformed).await {
            Err(DriverError::InvalidRequest(_)) => {
                Ok("a buy by base amount is refused as invalid-request".to_owned())
            }
            other => Err(format!("expected invalid-request, got {other:?}")),
        },
    ));
    checks.push(check(
        "unknown-order",
        match driver.query_order("OZZZZZ-ZZZZZ-ZZZZZZ").await {
            Err(DriverError::NotFound(_)) => Ok("not-found".to_owned()),
            other => Err(format!("expected not-found, got {other:?}")),
        },
    ));
    checks.push(check(
        "unknown-client-order-id",
        match driver.find_order(&uuid::Uuid::new_v4().to_string()).await {
            Ok(None) => Ok("none".to_owned()),
            other => Err(format!("expected none, got {other:?}")),
        },
    ));
    if with_orders {
        match (rules, ticker) {
            (Ok(rules), Ok(ticker)) => {
                checks.extend(round_trip(driver, symbol, &rules, ticker.ask).await)
            }
            _ => checks.push(Check {
                name: "orders",
                passed: false,
                detail: "skipped: no rules or ticker".to_owned(),
            }),
        }
    }
    checks
}

fn check_info<D: ExchangeDriver>(driver: &D) -> Check {
    let info = driver.info();
    let result = if info.exchange_id.is_empty() {
        Err("empty exchange id".to_owned())
    } else if let Some(path) = info
        .request_paths
        .iter()
        .find(|p| !p.starts_with('/') || forbidden_part(p).is_some())
    {
        Err(format!("declares a path the host will refuse: {path}"))
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
    if rules.size_decimals > 18 || rules.price_decimals > 18 {
        return Err("more than 18 decimals".to_owned());
    }
    Ok(format!(
        "{} min size {} min cost {} ({:?})",
        rules.pair_id, rules.min_size, rules.min_cost, rules.status
    ))
}

async fn await_terminal<D: ExchangeDriver>(
    driver: &D,
    order_id: &str,
) -> Result<OrderReport, String> {
    let mut last = String::new();
    for attempt in 0..20u32 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        match driver.query_order(order_id).await {
            Ok(report) if report.state.is_terminal() => return Ok(report),
            Ok(report) => last = format!("still {:?}", report.state),
            Err(err) => last = err.to_string(),
        }
    }
    Err(format!("order {order_id} did not complete: {last}"))
}

fn consistent(report: &OrderReport) -> Result<(), String> {
    let expected = report.filled_size * report.average_price;
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

/// Buys about twice the market's minimum, finds it by client order id, and
/// sells it back.
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
    };
    let report = match driver.place_market_order(&buy).await {
        Ok(order_id) => await_terminal(driver, &order_id).await,
        Err(err) => Err(err.to_string()),
    };
    let bought = report.clone().and_then(|r| {
        consistent(&r)?;
        if r.cost > quote * Decimal::new(101, 2) {
            return Err(format!("spent {} for an order of {quote}", r.cost));
        }
        Ok(r)
    });
    checks.push(check(
        "buy",
        bought
            .as_ref()
            .map(|r| format!("{} at {} for {}", r.filled_size, r.average_price, r.cost))
            .map_err(Clone::clone),
    ));
    let Ok(bought) = bought else { return checks };
    checks.push(check(
        "find-by-client-order-id",
        match driver.find_order(&buy.client_order_id).await {
            Ok(Some(found)) if found.order_id == bought.order_id => Ok(found.order_id),
            other => Err(format!("expected order {}, got {other:?}", bought.order_id)),
        },
    ));
    let size = if bought.fee_currency.eq_ignore_ascii_case(symbol.base()) {
        bought.filled_size - bought.fee
    } else {
        bought.filled_size
    };
    let sell = MarketOrder {
        client_order_id: uuid::Uuid::new_v4().to_string(),
        symbol: symbol.clone(),
        side: Side::Sell,
        amount: OrderAmount::Base(
            size.round_dp_with_strategy(rules.size_decimals, RoundingStrategy::ToZero),
        ),
        deadline,
    };
    let sold = match driver.place_market_order(&sell).await {
        Ok(order_id) => await_terminal(driver, &order_id)
            .await
            .and_then(|r| consistent(&r).map(|()| r)),
        Err(err) => Err(err.to_string()),
    };
    checks.push(check(
        "sell",
        sold.map(|r| format!("{} at {}", r.filled_size, r.average_price)),
    ));
    checks
}
