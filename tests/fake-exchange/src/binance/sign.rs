//! Binance's HMAC request signature, written here independently of
//! tradehost's signer: `signature` = lowercase hex of
//! HMAC-SHA256(secretKey, payload), where the payload is the query string as
//! sent immediately followed by the body as sent (no separator between
//! them), each without its `signature=` parameter.

use hmac::{Hmac, Mac};
use sha2::Sha256;

fn mac(secret: &str, payload: &[u8]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(payload);
    mac
}

/// The signature of `payload` (lowercase hex, 64 chars).
pub fn binance_sign(secret: &str, payload: impl AsRef<[u8]>) -> String {
    let digest = mac(secret, payload.as_ref()).finalize().into_bytes();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `signature` (hex, either case) signs `payload`; constant-time
/// comparison of the digests.
pub fn verify_signature(secret: &str, payload: impl AsRef<[u8]>, signature: &str) -> bool {
    match hex_decode(signature) {
        Some(sig) => mac(secret, payload.as_ref()).verify_slice(&sig).is_ok(),
        None => false,
    }
}

/// `raw` (`k=v&k=v…`, as sent) without its `signature=…` pairs, every other
/// byte kept as is.
pub fn without_signature(raw: &[u8]) -> Vec<u8> {
    let kept: Vec<&[u8]> = raw
        .split(|&b| b == b'&')
        .filter(|pair| pair.split(|&b| b == b'=').next() != Some(b"signature".as_slice()))
        .collect();
    kept.join(&b'&')
}

/// The signed payload of a request: its raw query string, then its raw
/// body, concatenated without a separator, `signature=` left out of both.
pub fn signature_payload(raw_query: &[u8], raw_body: &[u8]) -> Vec<u8> {
    let mut payload = without_signature(raw_query);
    payload.extend(without_signature(raw_body));
    payload
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    text.chunks(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference's test vectors (binance-api.md §2).
    const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

    #[test]
    fn the_three_reference_vectors_sign_and_verify() {
        let vectors = [
            (
                "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
                "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71",
            ),
            (
                "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
                "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3",
            ),
            (
                "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTCquantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
                "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77",
            ),
        ];
        for (payload, signature) in vectors {
            assert_eq!(binance_sign(SECRET, payload), signature);
            assert!(verify_signature(SECRET, payload, signature));
            assert!(verify_signature(
                SECRET,
                payload,
                &signature.to_ascii_uppercase()
            ));
            assert!(!verify_signature(SECRET, &payload[1..], signature));
            assert!(!verify_signature("another secret", payload, signature));
        }
        // Vector 3 is query + body without a separator.
        let payload = signature_payload(
            b"symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC",
            b"quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559&signature=0fd1",
        );
        assert_eq!(
            binance_sign(SECRET, &payload),
            "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"
        );
    }

    #[test]
    fn signature_pairs_are_dropped_wherever_they_are() {
        assert_eq!(without_signature(b"a=1&signature=ff&b=2"), b"a=1&b=2");
        assert_eq!(without_signature(b"signature=ff"), b"");
        assert_eq!(without_signature(b"signatures=1&x=2"), b"signatures=1&x=2");
        assert_eq!(signature_payload(b"", b""), b"");
        assert!(!verify_signature(SECRET, "x", "zz"));
        assert!(!verify_signature(SECRET, "x", "abc"));
        assert!(!verify_signature(SECRET, "x", ""));
    }
}
