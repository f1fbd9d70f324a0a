//! Exchange credentials: read from the environment once, held as secrets
//! that zeroize on drop and cannot be printed (their Debug is redacted).
//! Which variables are read follows from the profile of the loaded driver;
//! the key material is used only by `net::signer`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretBox, SecretString};

use crate::error::{Error, Result};
use crate::profile::CredentialVars;

/// An API key pair. The secret is kept decoded, ready for HMAC.
pub struct Credentials {
    api_key: SecretString,
    secret: SecretBox<Vec<u8>>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials([REDACTED])")
    }
}

impl Credentials {
    /// Credentials as a profile names them. Errors name the variable to fix
    /// and never echo any part of its value.
    pub fn for_profile(
        vars: CredentialVars,
        api_key: Option<String>,
        secret: Option<String>,
    ) -> Result<Credentials> {
        let api_key = required(vars, vars.api_key, api_key)?;
        let secret = required(vars, vars.secret, secret)?;
        let bytes = if vars.secret_is_base64 {
            STANDARD
                .decode(secret.expose_secret().as_bytes())
                .map_err(|_| {
                    Error::config(format!(
                        "{} is not valid base64; paste the key exactly as the exchange shows it",
                        vars.secret
                    ))
                })?
        } else {
            secret.expose_secret().as_bytes().to_vec()
        };
        if bytes.is_empty() {
            return Err(Error::config(format!("{} decodes to nothing", vars.secret)));
        }
        Ok(Credentials {
            api_key,
            secret: SecretBox::new(Box::new(bytes)),
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

    pub(crate) fn secret(&self) -> &[u8] {
        self.secret.expose_secret()
    }
}

fn required(vars: CredentialVars, var: &str, value: Option<String>) -> Result<SecretString> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(SecretString::from(v.trim().to_owned())),
        _ => Err(Error::config(format!(
            "{var} is not set; live trading with this driver needs {} and {} (or run the sandbox)",
            vars.api_key, vars.secret
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::kraken::CREDENTIALS as KRAKEN;

    fn kraken(api_key: Option<String>, secret: Option<String>) -> Result<Credentials> {
        Credentials::for_profile(KRAKEN, api_key, secret)
    }

    #[test]
    fn debug_never_shows_key_material() {
        let creds = kraken(
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
        let err = kraken(Some("k".into()), None).unwrap_err();
        assert!(err.message.contains(KRAKEN.secret));
        let err = kraken(Some("k".into()), Some("not base64 s3cr3t!".into())).unwrap_err();
        assert!(
            err.message.contains(KRAKEN.secret) && !err.message.contains("s3cr3t"),
            "{}",
            err.message
        );
        let err = kraken(Some("  ".into()), Some("eA==".into())).unwrap_err();
        assert!(err.message.contains(KRAKEN.api_key));
    }

    #[test]
    fn a_text_secret_is_kept_as_is() {
        let vars = CredentialVars {
            api_key: "X_KEY",
            secret: "X_SECRET",
            secret_is_base64: false,
        };
        let creds =
            Credentials::for_profile(vars, Some("k".into()), Some("plain-secret".into())).unwrap();
        assert_eq!(creds.secret(), b"plain-secret");
    }
}
