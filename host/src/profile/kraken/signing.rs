//! Kraken's request signature: a pure function of the private key and the
//! request bytes, checked against Kraken's published example. Only
//! `net::signer` calls it with a real key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};

/// Kraken's API-Sign: base64(HMAC-SHA512(secret, path ++ SHA256(nonce ++ body))).
pub fn kraken_signature(private_key: &[u8], path: &str, nonce: u64, body: &str) -> String {
    let mut inner = Sha256::new();
    inner.update(nonce.to_string().as_bytes());
    inner.update(body.as_bytes());
    let digest = inner.finalize();
    let mut mac = hmac_sha512(private_key);
    mac.update(path.as_bytes());
    mac.update(&digest);
    STANDARD.encode(mac.finalize().into_bytes())
}

fn hmac_sha512(key: &[u8]) -> Hmac<Sha512> {
    match Hmac::<Sha512>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kraken's published example (docs "Spot REST Authentication").
    #[test]
    #[allow(
        clippy::unreadable_literal,
        reason = "Kraken's published nonce, spelled as in the body it signs"
    )]
    fn reproduces_krakens_published_signature() {
        let key = STANDARD
            .decode("kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==")
            .unwrap();
        let body =
            "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25";
        assert_eq!(
            kraken_signature(&key, "/0/private/AddOrder", 1616492376594, body),
            "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="
        );
        assert_eq!(
            kraken_signature(
                &key,
                "/0/private/Balance",
                1616492376594,
                "nonce=1616492376594"
            ),
            "1nH4vwR+8FHiYh1QT649xXkGd3JR3x0DWkgv3u9Ed/Qqv6KPtgQpEU4m+Emb/VgpEji3j1XNwI+HCbfXxmrTOg=="
        );
    }
}
