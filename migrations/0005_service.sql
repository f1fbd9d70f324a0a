-- The long-running service: why a trade closed, and idempotency keys that
-- survive restarts.

-- Why a sell was sent: manual, stop_loss, take_profit or liquidation. Kept on
-- the order (a reconciling host may settle it) and copied to the trade when
-- the sell closes it.
ALTER TABLE orders ADD COLUMN exit_reason TEXT;
ALTER TABLE trades ADD COLUMN exit_reason TEXT;

-- POST /v1/orders requests by Idempotency-Key. A key executes under a client
-- order id derived from it, so a request retried after a crash finds its
-- order instead of placing another.
CREATE TABLE idempotency_keys (
    key              TEXT PRIMARY KEY,
    -- SHA-256 of the request body: the same key with another body is refused.
    request_hash     TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('IN_FLIGHT', 'DONE')),
    response_status  INTEGER,
    response_body    TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
