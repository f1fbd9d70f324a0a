-- The last nonce issued for each API key, so nonces strictly increase per
-- key across processes, restarts and hosts sharing the database. The key is
-- identified by a hash; no key material is stored.
CREATE TABLE api_nonces (
    key_id     TEXT PRIMARY KEY,
    last_nonce BIGINT NOT NULL
);
