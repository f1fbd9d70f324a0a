//! The service's background loops: the soft stop-loss / take-profit monitor
//! and the reconciler. Each round runs to its end once begun (a triggered
//! sell is never cut in half); a shutdown stops them between rounds.

use std::collections::HashMap;
use std::time::Instant;

use chrono::Utc;
use metrics::{counter, gauge};
use rust_decimal::Decimal;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::{Duration, MissedTickBehavior};

use super::Shared;
use crate::domain::Symbol;
use crate::domain::trade::{ExitReason, TradeRecord, TradeStatus};
use crate::error::{ErrorKind, Result};
use crate::exchange::{ExchangeDriver, ExchangeState};
use crate::service::SellRequest;

/// Runs `round` every `every` until the service stops.
async fn every<F, Fut>(every: Duration, mut stopping: watch::Receiver<bool>, mut round: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopping.wait_for(|stopped| *stopped) => return,
        }
        if *stopping.borrow() {
            return;
        }
        round().await;
    }
}

/// The soft stop-loss / take-profit monitor.
pub async fn monitor(state: Shared, stopping: watch::Receiver<bool>) {
    let interval = state.settings.monitor_every;
    every(interval, stopping, || watch_prices(&state)).await;
}

fn skipped(why: &'static str) {
    counter!("tradehost_monitor_skips_total", "why" => why).increment(1);
}

/// One look at the prices of the open trades that have stops. Nothing is
/// sold on a price the host cannot vouch for: not while the exchange is
/// not online, not on a read slower than the freshness bound, not on a
/// market missing from the answer.
async fn watch_prices(state: &Shared) {
    let executor = &state.executor;
    let watched: Vec<TradeRecord> = match executor.positions().await {
        Ok(trades) => trades
            .into_iter()
            .filter(|t| {
                t.status == TradeStatus::Open
                    && (t.stop_loss_price.is_some() || t.take_profit_price.is_some())
            })
            .collect(),
        Err(err) => {
            tracing::warn!(error = %err, "monitor: cannot read the open trades");
            return skipped("database");
        }
    };
    if watched.is_empty() {
        return;
    }
    counter!("tradehost_monitor_checks_total").increment(1);
    match executor.fresh_status().await {
        Ok(status) if status.state == ExchangeState::Online => {}
        Ok(status) => {
            tracing::info!(state = ?status.state, "monitor: the exchange is not online; no stop acts");
            return skipped("exchange_not_online");
        }
        Err(err) => {
            tracing::warn!(error = %err, "monitor: cannot read the exchange's status");
            return skipped("status_unreadable");
        }
    }
    let mut symbols: Vec<Symbol> = Vec::new();
    for trade in &watched {
        match Symbol::parse(&trade.symbol) {
            Ok(symbol) if !symbols.contains(&symbol) => symbols.push(symbol),
            _ => {}
        }
    }
    let asked = Instant::now();
    let tickers = match executor.driver().tickers(&symbols).await {
        Ok(tickers) => tickers,
        Err(err) => {
            tracing::warn!(error = %err, "monitor: cannot read prices");
            return skipped("prices_unreadable");
        }
    };
    let age = asked.elapsed();
    gauge!("tradehost_monitor_price_age_seconds").set(age.as_secs_f64());
    if age > state.settings.max_price_age {
        tracing::warn!(
            seconds = age.as_secs_f64(),
            "monitor: the prices took too long to arrive to act on"
        );
        return skipped("stale_prices");
    }
    let bids: HashMap<String, Decimal> = tickers
        .into_iter()
        .map(|t| (t.symbol.to_string(), t.bid))
        .collect();
    let mut sells = JoinSet::new();
    for trade in watched {
        let Some(bid) = bids
            .get(&trade.symbol)
            .copied()
            .filter(|b| *b > Decimal::ZERO)
        else {
            skipped("no_price");
            continue;
        };
        let Some(reason) = trade.exit_trigger(bid) else {
            continue;
        };
        counter!("tradehost_monitor_triggers_total", "reason" => reason.as_str()).increment(1);
        tracing::info!(trade_id = %trade.id, symbol = %trade.symbol, %bid, reason = reason.as_str(), "soft stop reached: selling");
        let state = state.clone();
        // Each trade's sell on its own: one slow exchange answer does not
        // hold back the others.
        sells.spawn(async move { close(&state, &trade, reason).await });
    }
    while sells.join_next().await.is_some() {}
}

async fn close(state: &Shared, trade: &TradeRecord, reason: ExitReason) {
    let sold = async {
        let request = SellRequest {
            symbol: Symbol::parse(&trade.symbol)?,
            amount: None,
            trade_id: Some(trade.id.clone()),
            reason,
            client_order_id: None,
        };
        state.executor.sell(&request).await
    };
    match sold.await {
        Ok(closed) => tracing::info!(
            trade_id = %closed.id,
            status = closed.status.as_str(),
            exit_price = ?closed.exit_price,
            pnl = ?closed.pnl,
            reason = reason.as_str(),
            "soft stop: sold"
        ),
        Err(err) if err.kind == ErrorKind::UnknownOutcome => tracing::warn!(
            trade_id = %trade.id,
            error = %err,
            "soft stop: the sell's outcome is unknown; it is being reconciled"
        ),
        // The trade stays open with its stops; the next round tries again.
        Err(err) => {
            tracing::warn!(trade_id = %trade.id, error = %err, "soft stop: the sell failed");
        }
    }
}

/// Reconciles unsettled orders in the background.
pub async fn reconcile(state: Shared, stopping: watch::Receiver<bool>) {
    let interval = state.settings.reconcile_every;
    every(interval, stopping, || reconcile_round(&state)).await;
}

async fn reconcile_round(state: &Shared) {
    if let Err(err) = try_reconcile(state).await {
        tracing::warn!(error = %err, "reconciler: round failed");
    }
}

/// Sets `tradehost_unsettled_orders`; the time of the oldest unsettled
/// order, if any.
async fn count_unsettled(state: &Shared) -> Result<Option<chrono::DateTime<Utc>>> {
    let executor = &state.executor;
    let (unsettled, oldest) = executor
        .database()
        .unsettled_summary(executor.exchange())
        .await?;
    #[allow(
        clippy::cast_precision_loss,
        reason = "a count of orders: exact in f64 up to 2^53"
    )]
    gauge!("tradehost_unsettled_orders").set(unsettled as f64);
    Ok(oldest)
}

async fn try_reconcile(state: &Shared) -> Result<()> {
    let oldest = count_unsettled(state).await?;
    // An order younger than one round may still be in its own request's
    // hands; it is looked at next round if it stays unsettled.
    let settled_enough = chrono::Duration::from_std(state.settings.reconcile_every)
        .unwrap_or(chrono::Duration::seconds(10));
    match oldest {
        Some(oldest) if Utc::now() - oldest >= settled_enough => {}
        _ => return Ok(()),
    }
    state.executor.reconcile().await?;
    count_unsettled(state).await?;
    Ok(())
}
