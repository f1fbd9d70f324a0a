//! Exchange credentials: read from the environment once, held as secrets
//! that zeroize on drop and cannot be printed (their Debug is redacted).
//! They are used in exactly one place: `signing`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretBox, SecretString};

use crate::error::{Error, Result};

pub const API_KEY_VAR: &str = "KRAKEN_API_KEY";
pub const PRIVATE_KEY_VAR: &str = "KRAKEN_PRIVATE_KEY";

/// A Kraken API key pair. The private key is kept decoded, ready for HMAC.
pub struct Credentials {
    api_key: SecretString,
    private_key: SecretBox<Vec<u8>>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials([REDACTED])")
    }
}

impl Credentials {
    /// Builds credentials from the two variables' values. Errors name the
    /// variable to fix and never echo any part of its value.
    pub fn from_values(
        api_key: Option<String>,
        private_key: Option<String>,
    ) -> Result<Credentials> {
        let api_key = required(API_KEY_VAR, api_key)?;
        let private_key = required(PRIVATE_KEY_VAR, private_key)?;
        let decoded = STANDARD.decode(private_key.expose_secret().trim().as_bytes()).map_err(|_| {
            Error::config(format!("{PRIVATE_KEY_VAR} is not valid base64; paste the private key exactly as Kraken shows it"))
        })?;
        if decoded.is_empty() {
            return Err(Error::config(format!(
                "{PRIVATE_KEY_VAR} decodes to nothing"
            )));
        }
        Ok(Credentials {
            api_key,
            private_key: SecretBox::new(Box::new(decoded)),
        })
    }

    /// A stable, non-reversible id of the key, for per-key bookkeeping
    /// (nonces) without storing key material.
    pub fn key_id(&self) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(self.api_key.expose_secret().as_bytes());
        digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    pub(crate) fn api_key(&self) -> &str {
        self.api_key.expose_secret()
    }

    pub(crate) fn private_key(&self) -> &[u8] {
        self.private_key.expose_secret()
    }
}

fn required(var: &str, value: Option<String>) -> Result<SecretString> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(SecretString::from(v.trim().to_owned())),
        _ => Err(Error::config(format!(
            "{var} is not set; live trading needs a Kraken API key (set {API_KEY_VAR} and {PRIVATE_KEY_VAR}, \
             or set KRAKEN_SANDBOX_MODE=true)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_key_material() {
        let creds = Credentials::from_values(
            Some("my-public-key".into()),
            Some(STANDARD.encode(b"top-secret")),
        )
        .unwrap();
        let shown = format!("{creds:?}");
        assert!(
            !shown.contains("my-public-key") && !shown.contains("top-secret"),
            "{shown}"
        );
    }

    #[test]
    fn errors_name_the_variable_not_the_value() {
        let err = Credentials::from_values(Some("k".into()), None).unwrap_err();
        assert!(err.message.contains(PRIVATE_KEY_VAR));
        let err = Credentials::from_values(Some("k".into()), Some("not base64 s3cr3t!".into()))
            .unwrap_err();
        assert!(
            err.message.contains(PRIVATE_KEY_VAR) && !err.message.contains("s3cr3t"),
            "{}",
            err.message
        );
        let err = Credentials::from_values(Some("  ".into()), Some("eA==".into())).unwrap_err();
        assert!(err.message.contains(API_KEY_VAR));
    }
}
