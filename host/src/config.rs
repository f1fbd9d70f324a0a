//! Typed configuration from the environment (and `.env`, loaded by the
//! binary), validated once at start. Every variable is documented in
//! `.env.example`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::credentials::Credentials;
use crate::db::DEFAULT_DATABASE_URL;
use crate::error::{Error, Result};
use crate::plugins;
use crate::ratelimit::Tier;
use crate::runtime::LoadOptions;
use crate::service::Policy;

pub const PLUGIN_VAR: &str = "TRADEHOST_PLUGIN";
pub const SANDBOX_VAR: &str = "KRAKEN_SANDBOX_MODE";
pub const DATABASE_VAR: &str = "DATABASE_URL";
pub const API_URL_VAR: &str = "KRAKEN_API_URL";
pub const HTTP_TIMEOUT_VAR: &str = "TRADEHOST_HTTP_TIMEOUT_SECS";
pub const RATE_TIER_VAR: &str = "KRAKEN_RATE_TIER";
pub const ORDER_DEADLINE_VAR: &str = "TRADEHOST_ORDER_DEADLINE_SECS";
pub const PLUGIN_SHA256_VAR: &str = "TRADEHOST_PLUGIN_SHA256";
pub const CACHE_DIR_VAR: &str = "TRADEHOST_CACHE_DIR";
pub const CALL_DEADLINE_VAR: &str = "TRADEHOST_DRIVER_CALL_SECS";
pub const RECONCILE_GRACE_VAR: &str = "TRADEHOST_RECONCILE_GRACE_SECS";
/// `TRADEHOST_DRIVER_PRICE_SOURCE=kraken` reaches the driver as `price-source`.
pub const DRIVER_CONFIG_PREFIX: &str = "TRADEHOST_DRIVER_";

/// Which driver to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginChoice {
    /// One of the drivers built into the binary, by name.
    Embedded(&'static str),
    /// A `.wasm` component on disk.
    Path(PathBuf),
}

impl PluginChoice {
    pub fn name(&self) -> String {
        match self {
            PluginChoice::Embedded(name) => (*name).to_owned(),
            PluginChoice::Path(path) => path.display().to_string(),
        }
    }

    /// The namespace of the driver's durable state: the exchange simulation
    /// of a sandbox is shared by every process that runs the same driver.
    pub fn state_namespace(&self) -> String {
        match self {
            PluginChoice::Embedded(name) => (*name).to_owned(),
            PluginChoice::Path(path) => path
                .file_stem()
                .map(|s| s.to_string_lossy().replace('_', "-"))
                .unwrap_or_else(|| "driver".to_owned()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub plugin: PluginChoice,
    pub sandbox_mode: bool,
    pub database_url: String,
    /// Only present in live mode; never handed to a driver.
    pub credentials: Option<Arc<Credentials>>,
    pub api_url: Option<String>,
    pub driver_config: BTreeMap<String, String>,
    pub http_timeout: Duration,
    /// Kraken REST counter of the account's verification tier.
    pub rate_tier: Tier,
    pub policy: Policy,
    /// How the driver is verified, cached and bounded.
    pub load: LoadOptions,
}

impl Settings {
    pub fn from_env() -> Result<Settings> {
        Settings::from_vars(std::env::vars())
    }

    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Settings> {
        let vars: BTreeMap<String, String> = vars.into_iter().collect();
        let get = |name: &str| {
            vars.get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let sandbox_mode = match get(SANDBOX_VAR) {
            None => true,
            Some(v) => parse_bool(&v).ok_or_else(|| {
                Error::config(format!("{SANDBOX_VAR} must be true or false, got {v:?}"))
            })?,
        };
        let plugin = match get(PLUGIN_VAR) {
            Some(value) => parse_plugin(&value)?,
            None if sandbox_mode => PluginChoice::Embedded(plugins::SANDBOX),
            None => PluginChoice::Embedded(plugins::LIVE),
        };
        if sandbox_mode && plugin == PluginChoice::Embedded(plugins::LIVE) {
            return Err(Error::config(format!(
                "{PLUGIN_VAR}={} is the live driver but {SANDBOX_VAR} is true; set {SANDBOX_VAR}=false to trade for real",
                plugins::LIVE
            )));
        }
        if !sandbox_mode && plugin == PluginChoice::Embedded(plugins::SANDBOX) {
            return Err(Error::config(format!(
                "{SANDBOX_VAR}=false asks for live trading but {PLUGIN_VAR} is the sandbox driver; choose one"
            )));
        }
        // Credentials are read only for live trading: a sandbox never has them.
        let credentials = if sandbox_mode {
            None
        } else {
            Some(Arc::new(Credentials::from_values(
                vars.get(crate::credentials::API_KEY_VAR).cloned(),
                vars.get(crate::credentials::PRIVATE_KEY_VAR).cloned(),
            )?))
        };
        let api_url = match get(API_URL_VAR) {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => Some(url),
            Some(url) => {
                return Err(Error::config(format!(
                    "{API_URL_VAR} must be an http:// or https:// URL, got {url:?}"
                )));
            }
            None => None,
        };
        let http_timeout = match get(HTTP_TIMEOUT_VAR) {
            None => Duration::from_secs(10),
            Some(v) => match v.parse::<u64>() {
                Ok(secs) if (1..=300).contains(&secs) => Duration::from_secs(secs),
                _ => {
                    return Err(Error::config(format!(
                        "{HTTP_TIMEOUT_VAR} must be a whole number of seconds from 1 to 300, got {v:?}"
                    )));
                }
            },
        };
        let rate_tier = match get(RATE_TIER_VAR) {
            None => Tier::STARTER,
            Some(v) => Tier::parse(&v)
                .map_err(|e| Error::config(format!("{RATE_TIER_VAR}: {}", e.message)))?,
        };
        let seconds =
            |var: &str, default: u64, range: std::ops::RangeInclusive<u64>| -> Result<Duration> {
                match get(var) {
                    None => Ok(Duration::from_secs(default)),
                    Some(v) => match v.parse::<u64>() {
                        Ok(secs) if range.contains(&secs) => Ok(Duration::from_secs(secs)),
                        _ => Err(Error::config(format!(
                            "{var} must be a whole number of seconds from {} to {}, got {v:?}",
                            range.start(),
                            range.end()
                        ))),
                    },
                }
            };
        // Kraken accepts a deadline 2 to 60 seconds ahead.
        let defaults = Policy::default();
        let policy = Policy {
            order_deadline: seconds(
                ORDER_DEADLINE_VAR,
                defaults.order_deadline.as_secs(),
                2..=60,
            )?,
            reconcile_grace: seconds(
                RECONCILE_GRACE_VAR,
                defaults.reconcile_grace.as_secs(),
                0..=600,
            )?,
        };
        let sha256_pin = match get(PLUGIN_SHA256_VAR) {
            Some(pin) if pin.len() == 64 && pin.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(pin.to_ascii_lowercase())
            }
            Some(pin) => {
                return Err(Error::config(format!(
                    "{PLUGIN_SHA256_VAR} must be 64 hex digits, got {pin:?}"
                )));
            }
            None => None,
        };
        // The compiled-driver cache: explicit, or the user's cache directory.
        let cache_dir = match get(CACHE_DIR_VAR).as_deref() {
            Some("off") => None,
            Some(dir) => Some(PathBuf::from(dir)),
            None => get("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| get("HOME").map(|home| PathBuf::from(home).join(".cache")))
                .map(|base| base.join("tradehost")),
        };
        let load = LoadOptions {
            cache_dir,
            sha256_pin,
            call_deadline: Some(seconds(
                CALL_DEADLINE_VAR,
                crate::runtime::limits::DEFAULT_CALL_DEADLINE.as_secs(),
                1..=300,
            )?),
        };
        let driver_config = vars
            .iter()
            .filter_map(|(name, value)| {
                let key = name.strip_prefix(DRIVER_CONFIG_PREFIX)?;
                Some((
                    key.to_ascii_lowercase().replace('_', "-"),
                    value.trim().to_owned(),
                ))
            })
            .filter(|(key, _)| !key.is_empty())
            .collect();
        Ok(Settings {
            plugin,
            sandbox_mode,
            database_url: get(DATABASE_VAR).unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            credentials,
            api_url,
            driver_config,
            http_timeout,
            rate_tier,
            policy,
            load,
        })
    }
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn parse_plugin(value: &str) -> Result<PluginChoice> {
    if let Some(name) = plugins::embedded_names().find(|name| *name == value) {
        return Ok(PluginChoice::Embedded(name));
    }
    if value.contains('/') || value.ends_with(".wasm") {
        return Ok(PluginChoice::Path(PathBuf::from(value)));
    }
    Err(Error::config(format!(
        "{PLUGIN_VAR}={value:?} is neither a built-in driver ({}) nor a path to a .wasm component",
        plugins::embedded_names().collect::<Vec<_>>().join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings> {
        Settings::from_vars(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
    }

    #[test]
    fn defaults_to_the_sandbox_and_a_local_sqlite_file() {
        let s = settings(&[]).unwrap();
        assert!(s.sandbox_mode);
        assert_eq!(s.plugin, PluginChoice::Embedded(plugins::SANDBOX));
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
        assert!(s.credentials.is_none());
    }

    #[test]
    fn sandbox_never_reads_credentials() {
        let s = settings(&[("KRAKEN_API_KEY", "k"), ("KRAKEN_PRIVATE_KEY", "eA==")]).unwrap();
        assert!(s.credentials.is_none());
    }

    #[test]
    fn live_mode_without_credentials_names_the_variable() {
        let err = settings(&[(SANDBOX_VAR, "false"), (PLUGIN_VAR, "/x/driver.wasm")]).unwrap_err();
        assert!(err.message.contains("KRAKEN_API_KEY"), "{}", err.message);
        let err = settings(&[
            (SANDBOX_VAR, "false"),
            (PLUGIN_VAR, "/x/driver.wasm"),
            ("KRAKEN_API_KEY", "k"),
        ])
        .unwrap_err();
        assert!(
            err.message.contains("KRAKEN_PRIVATE_KEY"),
            "{}",
            err.message
        );
    }

    #[test]
    fn driver_config_comes_from_prefixed_variables_only() {
        let s = settings(&[
            ("TRADEHOST_DRIVER_PRICE_SOURCE", "kraken"),
            ("TRADEHOST_DRIVER_FAIL", "rejected"),
            ("KRAKEN_API_KEY", "k"),
        ])
        .unwrap();
        assert_eq!(
            s.driver_config.get("price-source").map(String::as_str),
            Some("kraken")
        );
        assert_eq!(
            s.driver_config.get("fail").map(String::as_str),
            Some("rejected")
        );
        assert_eq!(s.driver_config.len(), 2);
    }

    #[test]
    fn rejects_bad_values() {
        assert!(settings(&[(SANDBOX_VAR, "maybe")]).is_err());
        assert!(settings(&[(PLUGIN_VAR, "binance")]).is_err());
        assert!(settings(&[(API_URL_VAR, "ftp://x")]).is_err());
        assert!(settings(&[(HTTP_TIMEOUT_VAR, "0")]).is_err());
        assert!(settings(&[(ORDER_DEADLINE_VAR, "61")]).is_err());
        assert!(settings(&[(ORDER_DEADLINE_VAR, "1")]).is_err());
        assert!(settings(&[(RECONCILE_GRACE_VAR, "-1")]).is_err());
        assert!(settings(&[(PLUGIN_SHA256_VAR, "abc")]).is_err());
        assert!(settings(&[(CALL_DEADLINE_VAR, "0")]).is_err());
        assert!(
            settings(&[
                (PLUGIN_VAR, plugins::SANDBOX),
                (SANDBOX_VAR, "false"),
                ("KRAKEN_API_KEY", "k"),
                ("KRAKEN_PRIVATE_KEY", "eA==")
            ])
            .is_err()
        );
    }

    #[test]
    fn a_path_selects_a_component_file() {
        let s = settings(&[(PLUGIN_VAR, "./target/my_driver.wasm")]).unwrap();
        assert_eq!(
            s.plugin,
            PluginChoice::Path(PathBuf::from("./target/my_driver.wasm"))
        );
        assert_eq!(s.plugin.state_namespace(), "my-driver");
    }
}
