//! Kraken's API-Sign, written here independently of tradehost's signer:
//! base64(HMAC-SHA512(base64decode(secret), path ++ SHA256(nonce ++ body))).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};

fn mac(secret: &[u8], path: &str, nonce: &str, body: &[u8]) -> Hmac<Sha512> {
    let inner = Sha256::new()
        .chain_update(nonce.as_bytes())
        .chain_update(body)
        .finalize();
    let mut mac = <Hmac<Sha512> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(path.as_bytes());
    mac.update(&inner);
    mac
}

/// The API-Sign for `body` (raw bytes as sent) on `path`, with `secret`
/// being the already base64-decoded private key.
pub fn kraken_sign(secret: &[u8], path: &str, nonce: &str, body: &[u8]) -> String {
    STANDARD.encode(mac(secret, path, nonce, body).finalize().into_bytes())
}

/// Whether `api_sign` is the valid signature (constant-time comparison).
pub fn verify_signature(
    secret: &[u8],
    path: &str,
    nonce: &str,
    body: &[u8],
    api_sign: &str,
) -> bool {
    match STANDARD.decode(api_sign.trim()) {
        Ok(sig) => mac(secret, path, nonce, body).verify_slice(&sig).is_ok(),
        Err(_) => false,
    }
}
