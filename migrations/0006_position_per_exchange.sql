-- The one-position rule is per base asset per exchange: a deployment on
-- Binance and one on Kraken sharing a database each hold their own BTC
-- position. Same name, so the rule keeps its name everywhere it is cited.
DROP INDEX one_open_position_per_asset;
CREATE UNIQUE INDEX one_open_position_per_asset
    ON trades (exchange, asset)
    WHERE status IN ('PENDING', 'OPEN', 'CLOSING');
