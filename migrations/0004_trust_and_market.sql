-- What the host needs to hold an exchange to the truth and a driver to its
-- word: the price an order was checked against, every fee as reported, how
-- much was sold, fees in a third currency, dust, the sell that holds a
-- trade's claim, and how much each driver keeps.

-- The ask (buy) or bid the pre-trade check read: the bound of a fill.
ALTER TABLE orders ADD COLUMN quote_price TEXT;
-- Every fee of the order as the exchange reported it: JSON
-- [{"amount":"0.26","currency":"USD"}]. `fee` holds their value in the
-- quote currency and `fee_currency` that currency.
ALTER TABLE orders ADD COLUMN fees TEXT;

-- A buy spends an amount of its market's quote currency, not only USD.
ALTER TABLE trades RENAME COLUMN requested_usd TO requested_amount;

-- The ask the buy's pre-trade check read: the entry's slippage is measured
-- against it.
ALTER TABLE trades ADD COLUMN entry_quote TEXT;
-- Base units sold: the weight of the exit price (an average of the
-- exchange's average prices, weighted by size).
ALTER TABLE trades ADD COLUMN exit_size TEXT;
-- Fees in a currency that is neither base nor quote (e.g. BNB): JSON, not
-- valued in PnL.
ALTER TABLE trades ADD COLUMN other_fees TEXT;
-- A remainder below the exchange's minimum order size, left when the trade
-- closed: it stays in the account, valued at nothing.
ALTER TABLE trades ADD COLUMN dust TEXT;
-- The client order id of the sell that holds the trade in CLOSING: only
-- that sell's outcome may change the trade.
ALTER TABLE trades ADD COLUMN closing_order TEXT;

-- How many keys and bytes each driver keeps (its quota), kept in step with
-- driver_state by every write.
CREATE TABLE driver_state_usage (
    driver      TEXT PRIMARY KEY,
    key_count   BIGINT NOT NULL,
    byte_count  BIGINT NOT NULL
);

INSERT INTO driver_state_usage (driver, key_count, byte_count)
    SELECT driver, COUNT(*), SUM(LENGTH(key) + LENGTH(value)) FROM driver_state GROUP BY driver;
