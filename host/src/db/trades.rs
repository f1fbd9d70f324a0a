//! Trade and order rows: every state change is one transaction that starts
//! with a write, so SQLite takes the write lock up front (no deadlock-prone
//! read-to-write upgrade) and Postgres sees the same statements.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
// Dynamic SQL below only interpolates the constant column lists.
use sqlx::{Any, AssertSqlSafe, Transaction};

use super::events::{self, Event, EventKind};
use super::records::{ORDER_COLUMNS, TRADE_COLUMNS, format_decimal, format_time};
use super::{Database, OrderRecord, TradeRecord, TradeStatus, db_error, is_position_conflict};
use crate::error::{Error, ErrorKind, Result};

/// A buy about to be sent: the trade row and its order row.
#[derive(Debug, Clone)]
pub struct NewBuy {
    pub trade_id: String,
    pub client_order_id: String,
    pub symbol: String,
    pub asset: String,
    pub exchange: String,
    pub amount_usd: Decimal,
    pub stop_loss_price: Option<Decimal>,
    pub take_profit_price: Option<Decimal>,
    pub now: DateTime<Utc>,
    /// After this the exchange must not execute the order.
    pub deadline: DateTime<Utc>,
}

/// The exchange's fill of one order, in quote terms.
#[derive(Debug, Clone)]
pub struct FillUpdate {
    pub order_id: String,
    pub filled_size: Decimal,
    pub average_price: Decimal,
    pub cost: Decimal,
    pub fee: Decimal,
    pub fee_currency: String,
    pub now: DateTime<Utc>,
    /// Whether the acknowledgement (PLACED) is already recorded; if not,
    /// it is recorded in the fill's own transaction.
    pub acknowledged: bool,
}

/// What a filled buy makes of its trade.
#[derive(Debug, Clone)]
pub struct EntryValues {
    /// Size held: the filled size, less a fee charged in the base currency.
    pub size: Decimal,
    pub entry_fee: Decimal,
    pub fees: Decimal,
}

/// A sell that has claimed its trade (status CLOSING) and recorded its order.
#[derive(Debug, Clone)]
pub struct SellClaim {
    pub trade: TradeRecord,
    pub client_order_id: String,
}

/// New values of a trade after a sell filled.
#[derive(Debug, Clone)]
pub struct SellResult {
    pub size: Decimal,
    pub exit_price: Decimal,
    pub exit_value: Decimal,
    pub exit_fees: Decimal,
    pub fees: Decimal,
    pub pnl: Decimal,
    pub closed: bool,
}

fn opt_decimal(value: Option<Decimal>) -> Option<String> {
    value.map(format_decimal)
}

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
    pub async fn reserve_buy(&self, buy: &NewBuy) -> Result<TradeRecord> {
        let now = format_time(buy.now);
        let mut tx = self.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO trades (id, symbol, asset, exchange, status, stop_loss_price, take_profit_price, fees, \
             client_order_id, requested_usd, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'PENDING', $5, $6, '0', $7, $8, $9, $9)",
        )
        .bind(&buy.trade_id)
        .bind(&buy.symbol)
        .bind(&buy.asset)
        .bind(&buy.exchange)
        .bind(opt_decimal(buy.stop_loss_price))
        .bind(opt_decimal(buy.take_profit_price))
        .bind(&buy.client_order_id)
        .bind(format_decimal(buy.amount_usd))
        .bind(&now)
        .execute(&mut *tx)
        .await;
        if let Err(err) = inserted {
            drop(tx);
            if is_position_conflict(&err) {
                return Err(self.duplicate_position_error(&buy.asset).await);
            }
            return Err(db_error("cannot record the trade", err));
        }
        insert_order(
            &mut tx,
            &buy.client_order_id,
            &buy.trade_id,
            "BUY",
            &buy.symbol,
            buy.amount_usd,
            &now,
            &format_time(buy.deadline),
        )
        .await?;
        let reserved =
            Event::new(EventKind::Reserved, buy.now).order(&buy.trade_id, &buy.client_order_id);
        events::insert(&mut tx, &reserved.what("BUY", &buy.symbol)).await?;
        tx.commit()
            .await
            .map_err(|e| db_error("cannot commit the trade", e))?;
        // The row as written; no read back needed.
        Ok(TradeRecord {
            id: buy.trade_id.clone(),
            symbol: buy.symbol.clone(),
            asset: buy.asset.clone(),
            exchange: buy.exchange.clone(),
            status: TradeStatus::Pending,
            entry_price: None,
            entry_size: None,
            entry_cost: None,
            entry_fee: None,
            size: None,
            entry_time: None,
            stop_loss_price: buy.stop_loss_price,
            take_profit_price: buy.take_profit_price,
            exit_price: None,
            exit_value: None,
            exit_fees: None,
            exit_time: None,
            pnl: None,
            fees: Decimal::ZERO,
            order_id: None,
            client_order_id: buy.client_order_id.clone(),
            created_at: buy.now,
        })
    }

    async fn duplicate_position_error(&self, asset: &str) -> Error {
        let detail = match self.active_position(asset).await {
            Ok(Some(trade)) => format!(" (trade {} is {})", trade.id, trade.status.as_str()),
            _ => String::new(),
        };
        Error::new(
            ErrorKind::DuplicatePosition,
            format!(
                "a position in {asset} is already open or in flight{detail}; close it before opening another"
            ),
        )
    }

    /// The buy filled: the trade is OPEN with the exchange's actual fill.
    /// `entry_fee` is the quote cash paid as fee; `fees` every fee in quote terms.
    pub async fn open_from_fill(
        &self,
        trade_id: &str,
        client_order_id: &str,
        entry: &EntryValues,
        fill: &FillUpdate,
        kind: EventKind,
    ) -> Result<TradeRecord> {
        let now = format_time(fill.now);
        let mut tx = self.begin().await?;
        let updated = sqlx::query(
            "UPDATE trades SET status = 'OPEN', entry_price = $2, entry_size = $3, entry_cost = $4, size = $3, \
             entry_time = $5, fees = $6, order_id = $7, entry_fee = $8, updated_at = $5 \
             WHERE id = $1 AND status = 'PENDING'",
        )
        .bind(trade_id)
        .bind(format_decimal(fill.average_price))
        .bind(format_decimal(entry.size))
        .bind(format_decimal(fill.cost))
        .bind(&now)
        .bind(format_decimal(entry.fees))
        .bind(&fill.order_id)
        .bind(format_decimal(entry.entry_fee))
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error("cannot record the fill", e))?;
        self.finish_fill(
            tx,
            updated.rows_affected(),
            trade_id,
            client_order_id,
            fill,
            kind,
        )
        .await
    }

    /// Claims an OPEN trade for a sell (status CLOSING) and records the sell
    /// order, atomically: two sellers cannot both claim one trade.
    pub async fn claim_sell(
        &self,
        trade_id: &str,
        client_order_id: &str,
        amount: Decimal,
        now: DateTime<Utc>,
        deadline: DateTime<Utc>,
    ) -> Result<SellClaim> {
        let at = now;
        let now = format_time(now);
        let mut tx = self.begin().await?;
        let claimed = sqlx::query("UPDATE trades SET status = 'CLOSING', updated_at = $2 WHERE id = $1 AND status = 'OPEN'")
            .bind(trade_id)
            .bind(&now)
            .execute(&mut *tx)
            .await
            .map_err(|e| db_error("cannot claim the trade", e))?;
        if claimed.rows_affected() != 1 {
            drop(tx);
            return Err(match self.trade(trade_id).await {
                Ok(trade) => Error::invalid_input(format!(
                    "trade {trade_id} is {}, not OPEN; only an open position can be sold",
                    trade.status.as_str()
                )),
                Err(err) => err,
            });
        }
        let trade = fetch_trade(&mut tx, trade_id).await?;
        insert_order(
            &mut tx,
            client_order_id,
            trade_id,
            "SELL",
            &trade.symbol,
            amount,
            &now,
            &format_time(deadline),
        )
        .await?;
        let reserved = Event::new(EventKind::Reserved, at).order(trade_id, client_order_id);
        events::insert(&mut tx, &reserved.what("SELL", &trade.symbol)).await?;
        tx.commit()
            .await
            .map_err(|e| db_error("cannot commit the sell", e))?;
        Ok(SellClaim {
            trade,
            client_order_id: client_order_id.to_owned(),
        })
    }

    pub async fn apply_sell_fill(
        &self,
        trade_id: &str,
        client_order_id: &str,
        fill: &FillUpdate,
        result: &SellResult,
        kind: EventKind,
    ) -> Result<TradeRecord> {
        let now = format_time(fill.now);
        let mut tx = self.begin().await?;
        let updated = sqlx::query(
            "UPDATE trades SET status = $2, size = $3, exit_price = $4, exit_value = $5, fees = $6, pnl = $7, \
             exit_time = $8, exit_fees = $9, updated_at = $8 WHERE id = $1 AND status = 'CLOSING'",
        )
        .bind(trade_id)
        .bind(if result.closed { TradeStatus::Closed } else { TradeStatus::Open }.as_str())
        .bind(format_decimal(result.size))
        .bind(format_decimal(result.exit_price))
        .bind(format_decimal(result.exit_value))
        .bind(format_decimal(result.fees))
        .bind(format_decimal(result.pnl))
        .bind(&now)
        .bind(format_decimal(result.exit_fees))
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error("cannot record the sell", e))?;
        self.finish_fill(
            tx,
            updated.rows_affected(),
            trade_id,
            client_order_id,
            fill,
            kind,
        )
        .await
    }

    /// Marks the order filled in the trade's transaction — unless the trade
    /// row did not change, when a concurrent reconciliation got there first.
    async fn finish_fill(
        &self,
        mut tx: Transaction<'static, Any>,
        trades_updated: u64,
        trade_id: &str,
        client_order_id: &str,
        fill: &FillUpdate,
        kind: EventKind,
    ) -> Result<TradeRecord> {
        if trades_updated != 1 {
            drop(tx);
            return self.already_filled(trade_id, client_order_id).await;
        }
        mark_filled(&mut tx, trade_id, client_order_id, fill, kind).await?;
        tx.commit()
            .await
            .map_err(|e| db_error("cannot commit the fill", e))?;
        self.trade(trade_id).await
    }

    pub async fn trade(&self, trade_id: &str) -> Result<TradeRecord> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {TRADE_COLUMNS} FROM trades WHERE id = $1"
        )))
        .bind(trade_id)
        .fetch_optional(self.pool())
        .await
        .map_err(|e| db_error("cannot read the trade", e))?;
        match row {
            Some(row) => TradeRecord::from_row(&row),
            None => Err(Error::not_found(format!("no trade with id {trade_id:?}"))),
        }
    }

    /// The asset's position that holds the slot (PENDING, OPEN or CLOSING).
    pub async fn active_position(&self, asset: &str) -> Result<Option<TradeRecord>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {TRADE_COLUMNS} FROM trades WHERE asset = $1 AND status IN ('PENDING', 'OPEN', 'CLOSING')"
        )))
        .bind(asset)
        .fetch_optional(self.pool())
        .await
        .map_err(|e| db_error("cannot read positions", e))?;
        row.as_ref().map(TradeRecord::from_row).transpose()
    }

    /// Positions holding a slot, oldest first.
    pub async fn positions(&self) -> Result<Vec<TradeRecord>> {
        self.select_trades(
            "WHERE status IN ('PENDING', 'OPEN', 'CLOSING') ORDER BY created_at, id",
            None,
        )
        .await
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
        rows.iter().map(TradeRecord::from_row).collect()
    }

    pub async fn orders_for_trade(&self, trade_id: &str) -> Result<Vec<OrderRecord>> {
        let rows = sqlx::query(AssertSqlSafe(format!("SELECT {ORDER_COLUMNS} FROM orders WHERE trade_id = $1 ORDER BY created_at, client_order_id")))
            .bind(trade_id)
            .fetch_all(self.pool())
            .await
            .map_err(|e| db_error("cannot read orders", e))?;
        rows.iter().map(OrderRecord::from_row).collect()
    }
}

pub(super) async fn insert_order(
    tx: &mut Transaction<'static, Any>,
    client_order_id: &str,
    trade_id: &str,
    side: &str,
    symbol: &str,
    amount: Decimal,
    now: &str,
    deadline: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO orders (client_order_id, trade_id, side, symbol, amount, status, created_at, updated_at, deadline) \
         VALUES ($1, $2, $3, $4, $5, 'PENDING', $6, $6, $7)",
    )
    .bind(client_order_id)
    .bind(trade_id)
    .bind(side)
    .bind(symbol)
    .bind(format_decimal(amount))
    .bind(now)
    .bind(deadline)
    .execute(&mut **tx)
    .await
    .map_err(|e| db_error("cannot record the order", e))?;
    Ok(())
}

async fn mark_filled(
    tx: &mut Transaction<'static, Any>,
    trade_id: &str,
    client_order_id: &str,
    fill: &FillUpdate,
    kind: EventKind,
) -> Result<()> {
    sqlx::query(
        "UPDATE orders SET status = 'FILLED', order_id = $2, filled_size = $3, average_price = $4, cost = $5, \
         fee = $6, fee_currency = $7, updated_at = $8 WHERE client_order_id = $1",
    )
    .bind(client_order_id)
    .bind(&fill.order_id)
    .bind(format_decimal(fill.filled_size))
    .bind(format_decimal(fill.average_price))
    .bind(format_decimal(fill.cost))
    .bind(format_decimal(fill.fee))
    .bind(&fill.fee_currency)
    .bind(format_time(fill.now))
    .execute(&mut **tx)
    .await
    .map_err(|e| db_error("cannot record the fill", e))?;
    if !fill.acknowledged {
        let placed = Event::new(EventKind::Placed, fill.now).order(trade_id, client_order_id);
        events::insert(tx, &placed.exchange_id(Some(&fill.order_id))).await?;
    }
    let filled = Event::new(kind, fill.now).order(trade_id, client_order_id);
    events::insert(tx, &filled.exchange_id(Some(&fill.order_id))).await
}

async fn fetch_trade(tx: &mut Transaction<'static, Any>, trade_id: &str) -> Result<TradeRecord> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {TRADE_COLUMNS} FROM trades WHERE id = $1"
    )))
    .bind(trade_id)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| db_error("cannot read the trade", e))?;
    TradeRecord::from_row(&row)
}
