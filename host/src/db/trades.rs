//! Trade rows and the state changes that settle orders. Every change is one
//! transaction that starts with a write, so SQLite takes the write lock up
//! front (no deadlock-prone read-to-write upgrade) and Postgres sees the
//! same statements.
//!
//! Exactly once: a fill or a rejection first moves the order out of its
//! unsettled states, guarded by that status in the same statement; a second
//! settler changes nothing. A sell's outcome changes the trade only while
//! that sell holds the trade's claim, at the size it was sized against.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
// Dynamic SQL below only interpolates the constant column lists.
use sqlx::{Any, AssertSqlSafe, Transaction};

use super::events::{self, Event, EventKind};
use super::records::{self, TRADE_COLUMNS, fee_list_text, format_time, opt_decimal_text};
use super::{Database, db_error, is_position_conflict};
use crate::domain::amount::to_plain;
use crate::domain::trade::{
    EntryValues, ExitReason, FillUpdate, SellResult, TradeRecord, TradeStatus,
};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::Side;

/// A buy about to be sent: the trade row and its order row.
#[derive(Debug, Clone)]
pub struct NewBuy {
    /// The new trade's id.
    pub trade_id: String,
    /// The host's id of the buy order.
    pub client_order_id: String,
    /// The market, unified.
    pub symbol: String,
    /// The base asset, whose one position slot the row takes.
    pub asset: String,
    /// The exchange the buy goes to.
    pub exchange: String,
    /// Quote currency to spend.
    pub amount: Decimal,
    /// The ask the pre-trade check read.
    pub quote_price: Option<Decimal>,
    /// The soft stop-loss, if any.
    pub stop_loss_price: Option<Decimal>,
    /// The soft take-profit, if any.
    pub take_profit_price: Option<Decimal>,
    /// When the rows are written.
    pub now: DateTime<Utc>,
    /// After this the exchange must not execute the order.
    pub deadline: DateTime<Utc>,
}

/// A sell about to be sent: the claim on its trade and its order row.
#[derive(Debug, Clone)]
pub struct NewSell {
    /// The trade to sell from.
    pub trade_id: String,
    /// The host's id of the sell order.
    pub client_order_id: String,
    /// The market, unified.
    pub symbol: String,
    /// Base units to sell.
    pub amount: Decimal,
    /// The open size the amount was checked against; the claim holds only
    /// if the trade still has exactly this size.
    pub open_size: Decimal,
    /// The price the pre-trade check read, when it read one.
    pub quote_price: Option<Decimal>,
    /// Why the sell is sent.
    pub reason: ExitReason,
    /// When the rows are written.
    pub now: DateTime<Utc>,
    /// After this the exchange must not execute the order.
    pub deadline: DateTime<Utc>,
}

/// The order row a fill or rejection settles.
#[derive(Debug, Clone, Copy)]
pub struct Settling<'a> {
    /// The order's trade.
    pub trade_id: &'a str,
    /// The host's id of the order.
    pub client_order_id: &'a str,
    /// The audit event the settlement records (a fill, a reconciliation, an
    /// operator's word).
    pub kind: EventKind,
}

const UNSETTLED: &str = "('PENDING', 'PLACED', 'UNKNOWN')";

impl Database {
    pub(super) async fn begin(&self) -> Result<Transaction<'static, Any>> {
        self.pool()
            .begin()
            .await
            .map_err(|e| db_error("cannot start a transaction", e))
    }

    /// Reserves the asset's position slot with a durable row, before any
    /// request is sent. A second position for the asset is refused by the
    /// database's unique index, whoever tries.
    pub async fn reserve_buy(&self, buy: &NewBuy) -> Result<()> {
        let now = format_time(buy.now);
        let mut tx = self.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO trades (id, symbol, asset, exchange, status, stop_loss_price, take_profit_price, fees, \
             client_order_id, requested_amount, entry_quote, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'PENDING', $5, $6, '0', $7, $8, $10, $9, $9)",
        )
        .bind(&buy.trade_id)
        .bind(&buy.symbol)
        .bind(&buy.asset)
        .bind(&buy.exchange)
        .bind(opt_decimal_text(buy.stop_loss_price))
        .bind(opt_decimal_text(buy.take_profit_price))
        .bind(&buy.client_order_id)
        .bind(to_plain(buy.amount))
        .bind(&now)
        .bind(opt_decimal_text(buy.quote_price))
        .execute(&mut *tx)
        .await;
        if let Err(err) = inserted {
            drop(tx);
            if is_position_conflict(&err) {
                return Err(self
                    .duplicate_position_error(&buy.exchange, &buy.asset)
                    .await);
            }
            return Err(db_error("cannot record the trade", err));
        }
        let order = NewOrder {
            client_order_id: &buy.client_order_id,
            trade_id: &buy.trade_id,
            side: Side::Buy,
            symbol: &buy.symbol,
            amount: buy.amount,
            quote_price: buy.quote_price,
            reason: None,
            now: &now,
            deadline: &format_time(buy.deadline),
        };
        insert_order(&mut tx, &order).await?;
        let reserved =
            Event::new(EventKind::Reserved, buy.now).order(&buy.trade_id, &buy.client_order_id);
        events::insert(&mut tx, &reserved.what(Side::Buy, &buy.symbol)).await?;
        tx.commit()
            .await
            .map_err(|e| db_error("cannot commit the trade", e))
    }

    async fn duplicate_position_error(&self, exchange: &str, asset: &str) -> Error {
        let detail = match self.active_position(exchange, asset).await {
            Ok(Some(trade)) => format!(" (trade {} is {})", trade.id, trade.status.as_str()),
            _ => String::new(),
        };
        Error::new(
            ErrorKind::DuplicatePosition,
            format!("a position in {asset} is already open or in flight{detail}"),
        )
    }

    /// The buy filled: the trade is OPEN with the exchange's actual fill —
    /// or CLOSED at once when what was bought is below the exchange's
    /// minimum order size (`dust`): it could never be sold.
    pub async fn open_from_fill(
        &self,
        settling: Settling<'_>,
        entry: &EntryValues,
        fill: &FillUpdate,
        dust: bool,
    ) -> Result<TradeRecord> {
        let now = format_time(fill.now);
        let mut tx = self.begin().await?;
        if mark_filled(&mut tx, settling.client_order_id, fill).await? == 0 {
            drop(tx);
            return self.trade(settling.trade_id).await;
        }
        // The row comes back with the update: no read after the commit.
        let updated = sqlx::query(AssertSqlSafe(format!(
            "UPDATE trades SET status = $2, entry_price = $3, entry_size = $4, entry_cost = $5, \
             size = $6, entry_time = $7, fees = $8, order_id = $9, entry_fee = $10, other_fees = $11, \
             dust = $12, pnl = $13, exit_time = $14, updated_at = $7 \
             WHERE id = $1 AND status = 'PENDING' RETURNING {TRADE_COLUMNS}"
        )))
        .bind(settling.trade_id)
        .bind(if dust { TradeStatus::Closed } else { TradeStatus::Open }.as_str())
        .bind(to_plain(fill.average_price))
        .bind(to_plain(entry.size))
        .bind(to_plain(fill.cost))
        .bind(to_plain(if dust { Decimal::ZERO } else { entry.size }))
        .bind(&now)
        .bind(to_plain(entry.fees))
        .bind(&fill.order_id)
        .bind(to_plain(entry.entry_fee))
        .bind(fee_list_text(&entry.other_fees))
        .bind(dust.then(|| to_plain(entry.size)))
        .bind(dust.then(|| to_plain(-entry.basis)))
        .bind(dust.then_some(now.as_str()))
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| db_error("cannot record the fill", e))?;
        let trade = updated.as_ref().map(records::trade).transpose()?;
        finish_fill(tx, trade, settling, fill).await
    }

    /// Claims an OPEN trade for a sell (status CLOSING, this sell named as
    /// the claim) at the size the sell was checked against, and records the
    /// sell order — atomically: two sellers cannot both claim one trade, and
    /// a size that changed meanwhile refuses the claim.
    pub async fn claim_sell(&self, sell: &NewSell) -> Result<()> {
        let now = format_time(sell.now);
        let mut tx = self.begin().await?;
        let claimed = sqlx::query(
            "UPDATE trades SET status = 'CLOSING', closing_order = $2, updated_at = $3 \
             WHERE id = $1 AND status = 'OPEN' AND size = $4",
        )
        .bind(&sell.trade_id)
        .bind(&sell.client_order_id)
        .bind(&now)
        .bind(to_plain(sell.open_size))
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error("cannot claim the trade", e))?;
        if claimed.rows_affected() != 1 {
            drop(tx);
            let trade = self.trade(&sell.trade_id).await?;
            return Err(if trade.status == TradeStatus::Open {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "trade {}'s open size changed to {} while the sell was prepared; nothing was sent",
                        trade.id,
                        trade.size.map(to_plain).unwrap_or_default()
                    ),
                )
            } else {
                Error::invalid_input(format!(
                    "trade {} is {}, not OPEN; only an open position can be sold",
                    trade.id,
                    trade.status.as_str()
                ))
            });
        }
        let order = NewOrder {
            client_order_id: &sell.client_order_id,
            trade_id: &sell.trade_id,
            side: Side::Sell,
            symbol: &sell.symbol,
            amount: sell.amount,
            quote_price: sell.quote_price,
            reason: Some(sell.reason),
            now: &now,
            deadline: &format_time(sell.deadline),
        };
        insert_order(&mut tx, &order).await?;
        let reserved = Event::new(EventKind::Reserved, sell.now)
            .order(&sell.trade_id, &sell.client_order_id)
            .what(Side::Sell, &sell.symbol)
            .note(format!("reason {}", sell.reason.as_str()));
        events::insert(&mut tx, &reserved).await?;
        tx.commit()
            .await
            .map_err(|e| db_error("cannot commit the sell", e))
    }

    /// A sell filled: the trade shrinks (OPEN) or closes, once, and only if
    /// this sell still holds its claim at the size it was computed from.
    pub async fn apply_sell_fill(
        &self,
        settling: Settling<'_>,
        fill: &FillUpdate,
        result: &SellResult,
    ) -> Result<TradeRecord> {
        let now = format_time(fill.now);
        let mut tx = self.begin().await?;
        if mark_filled(&mut tx, settling.client_order_id, fill).await? == 0 {
            drop(tx);
            return self.trade(settling.trade_id).await;
        }
        let updated = sqlx::query(AssertSqlSafe(format!(
            "UPDATE trades SET status = $2, size = $3, exit_price = $4, exit_value = $5, fees = $6, pnl = $7, \
             exit_time = $8, exit_fees = $9, exit_size = $10, other_fees = $11, dust = $12, \
             exit_reason = COALESCE($15, exit_reason), closing_order = NULL, updated_at = $8 \
             WHERE id = $1 AND status = 'CLOSING' AND (closing_order = $13 OR closing_order IS NULL) AND size = $14 \
             RETURNING {TRADE_COLUMNS}"
        )))
        .bind(settling.trade_id)
        .bind(if result.closed { TradeStatus::Closed } else { TradeStatus::Open }.as_str())
        .bind(to_plain(result.size))
        .bind(to_plain(result.exit_price))
        .bind(to_plain(result.exit_value))
        .bind(to_plain(result.fees))
        .bind(to_plain(result.pnl))
        .bind(&now)
        .bind(to_plain(result.exit_fees))
        .bind(to_plain(result.exit_size))
        .bind(fee_list_text(&result.other_fees))
        .bind(opt_decimal_text(result.dust))
        .bind(settling.client_order_id)
        .bind(to_plain(result.size_before))
        .bind(result.closed.then_some(result.exit_reason).flatten().map(ExitReason::as_str))
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| db_error("cannot record the sell", e))?;
        let trade = updated.as_ref().map(records::trade).transpose()?;
        finish_fill(tx, trade, settling, fill).await
    }

    /// Moves an open (or opening) trade's soft stop and target. `None`
    /// leaves one as it is; `Some(None)` clears it.
    pub async fn update_stops(
        &self,
        trade_id: &str,
        stop_loss: Option<Option<Decimal>>,
        take_profit: Option<Option<Decimal>>,
        now: DateTime<Utc>,
    ) -> Result<TradeRecord> {
        let current = self.trade(trade_id).await?;
        let mut tx = self.begin().await?;
        // Only the columns asked for are written, so two changes of
        // different stops do not undo each other.
        let mut updated = sqlx::query(
            "UPDATE trades SET updated_at = $2 WHERE id = $1 AND status IN ('PENDING', 'OPEN')",
        )
        .bind(trade_id)
        .bind(format_time(now))
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error("cannot move the stops", e))?;
        for (column, change) in [
            ("stop_loss_price", stop_loss),
            ("take_profit_price", take_profit),
        ] {
            let Some(price) = change else { continue };
            updated = sqlx::query(AssertSqlSafe(format!(
                "UPDATE trades SET {column} = $2 WHERE id = $1 AND status IN ('PENDING', 'OPEN')"
            )))
            .bind(trade_id)
            .bind(opt_decimal_text(price))
            .execute(&mut *tx)
            .await
            .map_err(|e| db_error("cannot move the stops", e))?;
        }
        let stop_loss = stop_loss.unwrap_or(current.stop_loss_price);
        let take_profit = take_profit.unwrap_or(current.take_profit_price);
        if updated.rows_affected() != 1 {
            return Err(Error::invalid_input(format!(
                "trade {trade_id} is {}; only an open position's stops can move",
                current.status.as_str()
            )));
        }
        let shown = |p: Option<Decimal>| p.map_or_else(|| "none".to_owned(), to_plain);
        let event = Event::new(EventKind::StopsUpdated, now)
            .order(trade_id, &current.client_order_id)
            .note(format!(
                "stop-loss {} → {}, take-profit {} → {}",
                shown(current.stop_loss_price),
                shown(stop_loss),
                shown(current.take_profit_price),
                shown(take_profit)
            ));
        events::insert(&mut tx, &event).await?;
        tx.commit()
            .await
            .map_err(|e| db_error("cannot move the stops", e))?;
        self.trade(trade_id).await
    }

    /// The trade an order (by its client order id) belongs to, if any.
    pub async fn trade_of_order(&self, client_order_id: &str) -> Result<Option<TradeRecord>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {TRADE_COLUMNS} FROM trades WHERE id = (SELECT trade_id FROM orders WHERE client_order_id = $1)"
        )))
        .bind(client_order_id)
        .fetch_optional(self.pool())
        .await
        .map_err(|e| db_error("cannot read the trade", e))?;
        row.as_ref().map(records::trade).transpose()
    }

    /// The trade with this id; `NotFound` if there is none.
    pub async fn trade(&self, trade_id: &str) -> Result<TradeRecord> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {TRADE_COLUMNS} FROM trades WHERE id = $1"
        )))
        .bind(trade_id)
        .fetch_optional(self.pool())
        .await
        .map_err(|e| db_error("cannot read the trade", e))?;
        match row {
            Some(row) => records::trade(&row),
            None => Err(Error::not_found(format!("no trade with id {trade_id:?}"))),
        }
    }

    /// The asset's position on `exchange` that holds the slot (PENDING,
    /// OPEN or CLOSING).
    pub async fn active_position(
        &self,
        exchange: &str,
        asset: &str,
    ) -> Result<Option<TradeRecord>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {TRADE_COLUMNS} FROM trades WHERE exchange = $1 AND asset = $2 \
             AND status IN ('PENDING', 'OPEN', 'CLOSING')"
        )))
        .bind(exchange)
        .bind(asset)
        .fetch_optional(self.pool())
        .await
        .map_err(|e| db_error("cannot read positions", e))?;
        row.as_ref().map(records::trade).transpose()
    }

    /// Positions holding a slot on `exchange`, oldest first.
    pub async fn positions(&self, exchange: &str) -> Result<Vec<TradeRecord>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {TRADE_COLUMNS} FROM trades WHERE exchange = $1 \
             AND status IN ('PENDING', 'OPEN', 'CLOSING') ORDER BY created_at, id"
        )))
        .bind(exchange)
        .fetch_all(self.pool())
        .await
        .map_err(|e| db_error("cannot read positions", e))?;
        rows.iter().map(records::trade).collect()
    }

    /// All trades, newest first.
    pub async fn trades(&self, limit: i64) -> Result<Vec<TradeRecord>> {
        self.select_trades("ORDER BY created_at DESC, id LIMIT $1", Some(limit))
            .await
    }

    async fn select_trades(&self, clause: &str, limit: Option<i64>) -> Result<Vec<TradeRecord>> {
        let sql = format!("SELECT {TRADE_COLUMNS} FROM trades {clause}");
        let mut query = sqlx::query(AssertSqlSafe(sql));
        if let Some(limit) = limit {
            query = query.bind(limit);
        }
        let rows = query
            .fetch_all(self.pool())
            .await
            .map_err(|e| db_error("cannot read trades", e))?;
        rows.iter().map(records::trade).collect()
    }
}

/// An order row as written before its request is sent.
pub(super) struct NewOrder<'a> {
    pub client_order_id: &'a str,
    pub trade_id: &'a str,
    pub side: Side,
    pub symbol: &'a str,
    pub amount: Decimal,
    pub quote_price: Option<Decimal>,
    pub reason: Option<ExitReason>,
    pub now: &'a str,
    pub deadline: &'a str,
}

pub(super) async fn insert_order(
    tx: &mut Transaction<'static, Any>,
    order: &NewOrder<'_>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO orders (client_order_id, trade_id, side, symbol, amount, quote_price, exit_reason, status, \
         created_at, updated_at, deadline) VALUES ($1, $2, $3, $4, $5, $6, $9, 'PENDING', $7, $7, $8)",
    )
    .bind(order.client_order_id)
    .bind(order.trade_id)
    .bind(order.side.as_str())
    .bind(order.symbol)
    .bind(to_plain(order.amount))
    .bind(opt_decimal_text(order.quote_price))
    .bind(order.now)
    .bind(order.deadline)
    .bind(order.reason.map(ExitReason::as_str))
    .execute(&mut **tx)
    .await
    .map_err(|e| db_error("cannot record the order", e))?;
    Ok(())
}

/// Moves the order to FILLED if it is still unsettled; how many rows moved.
async fn mark_filled(
    tx: &mut Transaction<'static, Any>,
    client_order_id: &str,
    fill: &FillUpdate,
) -> Result<u64> {
    let done = sqlx::query(AssertSqlSafe(format!(
        "UPDATE orders SET status = 'FILLED', order_id = $2, filled_size = $3, average_price = $4, cost = $5, \
         fee = $6, fee_currency = $7, fees = $8, updated_at = $9 WHERE client_order_id = $1 AND status IN {UNSETTLED}"
    )))
    .bind(client_order_id)
    .bind(&fill.order_id)
    .bind(to_plain(fill.filled_size))
    .bind(to_plain(fill.average_price))
    .bind(to_plain(fill.cost))
    .bind(to_plain(fill.fee_value))
    .bind(&fill.quote)
    .bind(fee_list_text(&fill.fees))
    .bind(format_time(fill.now))
    .execute(&mut **tx)
    .await
    .map_err(|e| db_error("cannot record the fill", e))?;
    Ok(done.rows_affected())
}

/// Records the fill's events and commits; the trade as the update left it.
/// The trade row must have changed with the order: a trade that did not
/// change means the order's trade is not where its settlement says it must
/// be, and nothing is recorded.
async fn finish_fill(
    mut tx: Transaction<'static, Any>,
    updated: Option<TradeRecord>,
    settling: Settling<'_>,
    fill: &FillUpdate,
) -> Result<TradeRecord> {
    let Some(trade) = updated else {
        drop(tx);
        return Err(Error::new(
            ErrorKind::Database,
            format!(
                "trade {} is not in the state its order {} was sent from; nothing was recorded",
                settling.trade_id, settling.client_order_id
            ),
        ));
    };
    let mut trail = Vec::with_capacity(2);
    if !fill.acknowledged {
        let placed = Event::new(EventKind::Placed, fill.now)
            .order(settling.trade_id, settling.client_order_id);
        trail.push(placed.exchange_id(Some(&fill.order_id)));
    }
    trail.push(
        Event::new(settling.kind, fill.now)
            .order(settling.trade_id, settling.client_order_id)
            .exchange_id(Some(&fill.order_id))
            .note(fill_note(fill)),
    );
    events::insert_all(&mut tx, &trail).await?;
    tx.commit()
        .await
        .map_err(|e| db_error("cannot commit the fill", e))?;
    Ok(trade)
}

/// The fill as the audit trail shows it.
fn fill_note(fill: &FillUpdate) -> String {
    let slippage = fill
        .slippage_bps
        .map(|bps| format!(", slippage {} bps", to_plain(bps.round_dp(2))))
        .unwrap_or_default();
    format!(
        "filled {} at {} for {} {}, fees worth {} {}{slippage}",
        to_plain(fill.filled_size),
        to_plain(fill.average_price),
        to_plain(fill.cost),
        fill.quote,
        to_plain(fill.fee_value),
        fill.quote
    )
}
