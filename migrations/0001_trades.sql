-- Trades, order attempts and driver state.
--
-- One schema for SQLite and Postgres. Money is stored as canonical decimal
-- text (rust_decimal's plain notation), so both engines hold exactly the
-- digits the exchange reported; no float ever touches a price or a size.
-- Times are RFC 3339 UTC text with fixed width, so they sort correctly.

CREATE TABLE trades (
    id                TEXT PRIMARY KEY,
    symbol            TEXT NOT NULL,
    asset             TEXT NOT NULL,
    exchange          TEXT NOT NULL,
    status            TEXT NOT NULL
        CHECK (status IN ('PENDING', 'OPEN', 'CLOSING', 'CLOSED', 'REJECTED')),
    -- Filled by the exchange's actual fill once the buy is known.
    entry_price       TEXT,
    entry_size        TEXT,
    entry_cost        TEXT,
    -- Fee paid in the quote currency to open (part of the cost basis).
    entry_fee         TEXT,
    size              TEXT,
    entry_time        TEXT,
    stop_loss_price   TEXT,
    take_profit_price TEXT,
    exit_price        TEXT,
    exit_value        TEXT,
    exit_fees         TEXT,
    exit_time         TEXT,
    pnl               TEXT,
    -- Every fee of the trade, in quote-currency terms.
    fees              TEXT NOT NULL DEFAULT '0',
    order_id          TEXT,
    client_order_id   TEXT NOT NULL UNIQUE,
    requested_usd     TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

-- The safety rule: at most one position per asset that is being opened,
-- is open, or is being closed. Enforced by the database, so it holds across
-- threads, processes and hosts sharing one database.
CREATE UNIQUE INDEX one_open_position_per_asset
    ON trades (asset)
    WHERE status IN ('PENDING', 'OPEN', 'CLOSING');

CREATE INDEX trades_created_at ON trades (created_at);

-- Every order the host sends, written before the request leaves the host.
CREATE TABLE orders (
    client_order_id   TEXT PRIMARY KEY,
    trade_id          TEXT NOT NULL REFERENCES trades (id),
    side              TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
    symbol            TEXT NOT NULL,
    -- Quote amount for a buy, base amount for a sell.
    amount            TEXT NOT NULL,
    status            TEXT NOT NULL
        CHECK (status IN ('PENDING', 'PLACED', 'FILLED', 'REJECTED', 'UNKNOWN')),
    order_id          TEXT,
    filled_size       TEXT,
    average_price     TEXT,
    cost              TEXT,
    fee               TEXT,
    fee_currency      TEXT,
    error_kind        TEXT,
    error_message     TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

CREATE INDEX orders_trade_id ON orders (trade_id);

-- Durable key-value state the host keeps for each driver (e.g. the sandbox's
-- simulated account). Drivers never hold secrets, so neither does this.
CREATE TABLE driver_state (
    driver            TEXT NOT NULL,
    key               TEXT NOT NULL,
    value             TEXT NOT NULL,
    PRIMARY KEY (driver, key)
);
