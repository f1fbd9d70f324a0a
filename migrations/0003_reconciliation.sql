-- Reconciliation and audit.

-- The deadline sent with an order: the exchange refuses to execute it
-- afterwards, so an order not found once it has passed was never executed.
ALTER TABLE orders ADD COLUMN deadline TEXT;

-- Every attempt and state change, appended, never updated or deleted: the
-- host only ever INSERTs here. `id` is a UUIDv7, so it sorts by time.
CREATE TABLE order_events (
    id              TEXT PRIMARY KEY,
    at              TEXT NOT NULL,
    trade_id        TEXT,
    client_order_id TEXT,
    order_id        TEXT,
    side            TEXT,
    symbol          TEXT,
    event           TEXT NOT NULL,
    -- The error kind (e.g. unknown_outcome), when the event is a failure.
    outcome         TEXT,
    message         TEXT
);

CREATE INDEX order_events_trade_id ON order_events (trade_id);
CREATE INDEX order_events_client_order_id ON order_events (client_order_id);
