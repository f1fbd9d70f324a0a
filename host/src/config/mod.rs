//! Typed configuration from the environment (and `.env`, loaded by the
//! binary), validated once at start. Every variable is documented in
//! `.env.example`. Credentials are only captured here (live mode only);
//! which ones are required follows from the loaded driver's profile.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};

use crate::db::DEFAULT_DATABASE_URL;
use crate::error::{Error, Result};
use crate::net::{NetSettings, PublicRate};
use crate::plugins::{self, PluginChoice};
use crate::profile;
use crate::runtime::LoadOptions;
use crate::serve::ServeSettings;
use crate::service::Policy;

/// The driver: a built-in name or a path to a `.wasm` component.
pub const PLUGIN_VAR: &str = "TRADEHOST_PLUGIN";
/// Simulated trading (true, the default) or live (false).
pub const SANDBOX_VAR: &str = "TRADEHOST_SANDBOX_MODE";
/// The original name of the sandbox switch, still read (the two must agree).
pub const LEGACY_SANDBOX_VAR: &str = "KRAKEN_SANDBOX_MODE";
/// The trade database's URL (SQLite or Postgres).
pub const DATABASE_VAR: &str = "DATABASE_URL";
/// Kraken's base URL, when not Kraken's own (a local fake, in tests).
pub const API_URL_VAR: &str = "KRAKEN_API_URL";
/// Binance's base URL, when not Binance's own.
pub const BINANCE_API_URL_VAR: &str = "BINANCE_API_URL";
/// Trade on Binance's Spot testnet instead (when no Binance URL is set).
pub const BINANCE_TESTNET_VAR: &str = "BINANCE_TESTNET";
/// Per-request HTTP timeout, in seconds.
pub const HTTP_TIMEOUT_VAR: &str = "TRADEHOST_HTTP_TIMEOUT_SECS";
/// Kraken's REST call-counter tier, or MAX/DECAY.
pub const RATE_TIER_VAR: &str = "KRAKEN_RATE_TIER";
/// Public requests per process: BURST/PER_SECOND.
pub const PUBLIC_RATE_VAR: &str = "TRADEHOST_PUBLIC_RATE";
/// "off" drops the host-side rate limits (only against a local fake).
pub const RATE_LIMITS_VAR: &str = "TRADEHOST_RATE_LIMITS";
/// Seconds an order may wait at the exchange; sent as its deadline.
pub const ORDER_DEADLINE_VAR: &str = "TRADEHOST_ORDER_DEADLINE_SECS";
/// Clock-skew allowance before an order not found past its deadline is
/// concluded never executed.
pub const RECONCILE_GRACE_VAR: &str = "TRADEHOST_RECONCILE_GRACE_SECS";
/// The pre-trade guard on a buy sized in base units, in basis points.
pub const MAX_SLIPPAGE_VAR: &str = "TRADEHOST_MAX_SLIPPAGE_BPS";
/// The driver component's pinned SHA-256.
pub const PLUGIN_SHA256_VAR: &str = "TRADEHOST_PLUGIN_SHA256";
/// The compiled-driver cache's directory, or "off".
pub const CACHE_DIR_VAR: &str = "TRADEHOST_CACHE_DIR";
/// Wall-clock budget of one driver call, in seconds, host I/O included.
pub const CALL_DEADLINE_VAR: &str = "TRADEHOST_DRIVER_CALL_SECS";
/// The service's address and port.
pub const LISTEN_VAR: &str = "TRADEHOST_LISTEN";
/// The service's bearer token (required to serve).
pub const API_TOKEN_VAR: &str = "TRADEHOST_API_TOKEN";
/// Seconds between two looks of the stop monitor at the prices.
pub const MONITOR_INTERVAL_VAR: &str = "TRADEHOST_MONITOR_SECS";
/// How fast prices must arrive for the stop monitor to act on them.
pub const MAX_PRICE_AGE_VAR: &str = "TRADEHOST_MONITOR_MAX_PRICE_AGE_SECS";
/// Seconds between two background reconciliations.
pub const RECONCILE_INTERVAL_VAR: &str = "TRADEHOST_RECONCILE_SECS";
/// An order unsettled longer than this (seconds) makes `/readyz` fail.
pub const READY_UNSETTLED_VAR: &str = "TRADEHOST_READY_UNSETTLED_SECS";
/// The longest a shutdown waits for orders in flight, in seconds.
pub const SHUTDOWN_VAR: &str = "TRADEHOST_SHUTDOWN_SECS";
/// The shortest API token accepted.
const MIN_TOKEN_LEN: usize = 16;
/// `TRADEHOST_DRIVER_PRICE_SOURCE=kraken` reaches the driver as `price-source`.
pub const DRIVER_CONFIG_PREFIX: &str = "TRADEHOST_DRIVER_";

/// Every variable that may hold a credential, for any profile.
const CREDENTIAL_VARS: [&str; 4] = [
    profile::kraken::CREDENTIALS.api_key,
    profile::kraken::CREDENTIALS.secret,
    profile::binance::CREDENTIALS.api_key,
    profile::binance::CREDENTIALS.secret,
];

const BINANCE_TESTNET_URL: &str = "https://testnet.binance.vision";

/// Everything the host reads from its environment, validated once at start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The driver to load.
    pub plugin: PluginChoice,
    /// Simulated trading: no credential is read.
    pub sandbox_mode: bool,
    /// The trade database.
    pub database_url: String,
    /// Captured in live mode only; never handed to a driver.
    credentials: BTreeMap<&'static str, SecretString>,
    /// Base URL overrides by profile name.
    api_urls: BTreeMap<&'static str, String>,
    /// The driver's non-secret configuration (`TRADEHOST_DRIVER_*`).
    pub driver_config: BTreeMap<String, String>,
    /// The outbound HTTP layer's settings.
    pub net: NetSettings,
    /// The order lifecycle's settings.
    pub policy: Policy,
    /// How the driver is verified, cached and bounded.
    pub load: LoadOptions,
    /// `tradehost serve`'s settings, read (and checked) with the rest.
    serve: ServeVars,
}

/// The service's variables; the token is only required to serve.
#[derive(Debug, Clone)]
struct ServeVars {
    listen: SocketAddr,
    token: Option<SecretString>,
    monitor_every: Duration,
    max_price_age: Duration,
    reconcile_every: Duration,
    ready_unsettled_for: Duration,
    shutdown_within: Duration,
}

/// The variables, trimmed, empty ones absent.
struct Vars(BTreeMap<String, String>);

impl Vars {
    fn get(&self, name: &str) -> Option<String> {
        self.0
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// Whole seconds from `range`, or `default`.
    fn seconds(
        &self,
        var: &str,
        default: Duration,
        range: RangeInclusive<u64>,
    ) -> Result<Duration> {
        let Some(text) = self.get(var) else {
            return Ok(default);
        };
        match text.parse::<u64>() {
            Ok(secs) if range.contains(&secs) => Ok(Duration::from_secs(secs)),
            _ => Err(Error::config(format!(
                "{var} must be a whole number of seconds from {} to {}, got {text:?}",
                range.start(),
                range.end()
            ))),
        }
    }

    /// Seconds with up to three decimals (`5`, `0.25`) from `range`, or
    /// `default`.
    fn fractional_seconds(
        &self,
        var: &str,
        default: Duration,
        range: RangeInclusive<Duration>,
    ) -> Result<Duration> {
        let Some(text) = self.get(var) else {
            return Ok(default);
        };
        let parsed = Decimal::from_str_exact(&text)
            .ok()
            .filter(|secs| secs.scale() <= 3 && !secs.is_sign_negative())
            .and_then(|secs| u64::try_from(secs * Decimal::from(1000)).ok())
            .map(Duration::from_millis);
        match parsed {
            Some(duration) if range.contains(&duration) => Ok(duration),
            _ => Err(Error::config(format!(
                "{var} must be seconds from {} to {} (up to three decimals, e.g. 0.5), got {text:?}",
                range.start().as_secs_f64(),
                range.end().as_secs_f64()
            ))),
        }
    }

    fn flag(&self, var: &str, default: bool) -> Result<bool> {
        Ok(self.optional_flag(var)?.unwrap_or(default))
    }

    /// The switch's value, if it is set.
    fn optional_flag(&self, var: &str) -> Result<Option<bool>> {
        self.get(var)
            .map(|v| {
                parse_bool(&v)
                    .ok_or_else(|| Error::config(format!("{var} must be true or false, got {v:?}")))
            })
            .transpose()
    }
}

impl Settings {
    /// From the process's environment.
    pub fn from_env() -> Result<Settings> {
        Settings::from_vars(std::env::vars())
    }

    /// From these variables (the environment, or a test's own).
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Settings> {
        let vars = Vars(vars.into_iter().collect());
        let (plugin, sandbox_mode) = mode(&vars)?;
        Ok(Settings {
            plugin,
            sandbox_mode,
            database_url: vars
                .get(DATABASE_VAR)
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            credentials: if sandbox_mode {
                BTreeMap::new()
            } else {
                credentials(&vars)
            },
            api_urls: api_urls(&vars)?,
            driver_config: driver_config(&vars),
            net: net(&vars)?,
            policy: policy(&vars)?,
            load: load(&vars)?,
            serve: serve(&vars)?,
        })
    }

    /// The service's settings; `listen` overrides `TRADEHOST_LISTEN`.
    pub fn serve_settings(
        &self,
        listen: Option<SocketAddr>,
        allow_remote: bool,
    ) -> Result<ServeSettings> {
        let serve = &self.serve;
        let token = match &serve.token {
            Some(token) if token.expose_secret().len() >= MIN_TOKEN_LEN => token.clone(),
            Some(_) => {
                return Err(Error::config(format!(
                    "{API_TOKEN_VAR} must be at least {MIN_TOKEN_LEN} characters (e.g. `openssl rand -hex 32`)"
                )));
            }
            None => {
                return Err(Error::config(format!(
                    "{API_TOKEN_VAR} is not set: the API needs a bearer token (e.g. `openssl rand -hex 32`)"
                )));
            }
        };
        Ok(ServeSettings {
            listen: listen.unwrap_or(serve.listen),
            allow_remote,
            token,
            monitor_every: serve.monitor_every,
            max_price_age: serve.max_price_age,
            reconcile_every: serve.reconcile_every,
            ready_unsettled_for: serve.ready_unsettled_for,
            shutdown_within: serve.shutdown_within,
            // Past the order's deadline and the reconcile grace, a request
            // still in flight belongs to a process that is gone.
            key_lease: self.policy.order_deadline
                + self.policy.reconcile_grace
                + Duration::from_secs(30),
        })
    }

    /// A captured credential's value (live mode only).
    pub fn credential(&self, var: &str) -> Option<String> {
        self.credentials
            .get(var)
            .map(|s| s.expose_secret().to_owned())
    }

    /// The operator's base URL for a profile, if set.
    pub fn api_url(&self, profile: &str) -> Option<&str> {
        self.api_urls.get(profile).map(String::as_str)
    }

    /// The same settings without any credential (e.g. to vet a driver).
    pub fn without_credentials(mut self) -> Settings {
        self.credentials.clear();
        self
    }
}

/// Sandbox (simulated, the default) or live: `TRADEHOST_SANDBOX_MODE`, or
/// its original name `KRAKEN_SANDBOX_MODE`.
fn sandbox_mode(vars: &Vars) -> Result<bool> {
    let current = vars.optional_flag(SANDBOX_VAR)?;
    let legacy = vars.optional_flag(LEGACY_SANDBOX_VAR)?;
    match (current, legacy) {
        (Some(a), Some(b)) if a != b => Err(Error::config(format!(
            "{SANDBOX_VAR}={a} and {LEGACY_SANDBOX_VAR}={b} disagree; set one of them"
        ))),
        (Some(mode), _) | (None, Some(mode)) => Ok(mode),
        (None, None) => Ok(true),
    }
}

/// Sandbox or live, and which driver.
fn mode(vars: &Vars) -> Result<(PluginChoice, bool)> {
    let sandbox_mode = sandbox_mode(vars)?;
    let plugin = match vars.get(PLUGIN_VAR) {
        Some(value) => plugins::parse_choice(&value)
            .map_err(|why| Error::config(format!("{PLUGIN_VAR}={value:?} is {why}")))?,
        None if sandbox_mode => PluginChoice::Embedded(plugins::SANDBOX),
        None => PluginChoice::Embedded(plugins::LIVE),
    };
    let embedded_live = matches!(plugin, PluginChoice::Embedded(name) if plugins::is_live(name));
    if sandbox_mode && embedded_live {
        return Err(Error::config(format!(
            "{PLUGIN_VAR}={} is a live driver but {SANDBOX_VAR} is true; set {SANDBOX_VAR}=false to trade for real",
            plugin.name()
        )));
    }
    if !sandbox_mode && plugin == PluginChoice::Embedded(plugins::SANDBOX) {
        return Err(Error::config(format!(
            "{SANDBOX_VAR}=false asks for live trading but {PLUGIN_VAR} is the sandbox driver; choose one"
        )));
    }
    Ok((plugin, sandbox_mode))
}

fn credentials(vars: &Vars) -> BTreeMap<&'static str, SecretString> {
    CREDENTIAL_VARS
        .iter()
        .filter_map(|name| Some((*name, SecretString::from(vars.get(name)?))))
        .collect()
}

fn url(var: &str, value: String) -> Result<String> {
    if value.starts_with("http://") || value.starts_with("https://") {
        Ok(value)
    } else {
        Err(Error::config(format!(
            "{var} must be an http:// or https:// URL, got {value:?}"
        )))
    }
}

fn api_urls(vars: &Vars) -> Result<BTreeMap<&'static str, String>> {
    let mut urls = BTreeMap::new();
    if let Some(kraken) = vars.get(API_URL_VAR) {
        let kraken = url(API_URL_VAR, kraken)?;
        urls.insert("kraken", kraken.clone());
        urls.insert("kraken-public", kraken);
    }
    let binance = match vars.get(BINANCE_API_URL_VAR) {
        Some(value) => Some(url(BINANCE_API_URL_VAR, value)?),
        None if vars.flag(BINANCE_TESTNET_VAR, false)? => Some(BINANCE_TESTNET_URL.to_owned()),
        None => None,
    };
    if let Some(binance) = binance {
        urls.insert("binance", binance);
    }
    Ok(urls)
}

fn driver_config(vars: &Vars) -> BTreeMap<String, String> {
    vars.0
        .iter()
        // The host's own driver budget shares the prefix; it is not config.
        .filter(|(name, _)| name.as_str() != CALL_DEADLINE_VAR)
        .filter_map(|(name, value)| {
            let key = name.strip_prefix(DRIVER_CONFIG_PREFIX)?;
            Some((
                key.to_ascii_lowercase().replace('_', "-"),
                value.trim().to_owned(),
            ))
        })
        .filter(|(key, _)| !key.is_empty())
        .collect()
}

fn net(vars: &Vars) -> Result<NetSettings> {
    let limits = vars.flag(RATE_LIMITS_VAR, true)?;
    // Kraken's verification tier sizes its call counter.
    let counter = vars
        .get(RATE_TIER_VAR)
        .map(|v| profile::kraken::parse_tier(&v))
        .transpose()
        .map_err(|e| Error::config(format!("{RATE_TIER_VAR}: {}", e.message)))?;
    let public = vars
        .get(PUBLIC_RATE_VAR)
        .map(|v| PublicRate::parse(&v))
        .transpose()
        .map_err(|e| Error::config(format!("{PUBLIC_RATE_VAR}: {}", e.message)))?;
    Ok(NetSettings {
        timeout: vars.seconds(HTTP_TIMEOUT_VAR, Duration::from_secs(10), 1..=300)?,
        limits,
        counter,
        public_rate: public,
    })
}

fn policy(vars: &Vars) -> Result<Policy> {
    let defaults = Policy::default();
    let max_slippage = match vars.get(MAX_SLIPPAGE_VAR) {
        None => defaults.max_slippage,
        Some(v) => match v.parse::<u32>() {
            Ok(bps) if bps <= 5_000 => Decimal::new(i64::from(bps), 4),
            _ => {
                return Err(Error::config(format!(
                    "{MAX_SLIPPAGE_VAR} must be basis points from 0 to 5000, got {v:?}"
                )));
            }
        },
    };
    Ok(Policy {
        // Kraken accepts a deadline 2 to 60 seconds ahead.
        order_deadline: vars.seconds(ORDER_DEADLINE_VAR, defaults.order_deadline, 2..=60)?,
        reconcile_grace: vars.seconds(RECONCILE_GRACE_VAR, defaults.reconcile_grace, 0..=600)?,
        max_slippage,
    })
}

fn serve(vars: &Vars) -> Result<ServeVars> {
    const TENTH: Duration = Duration::from_millis(100);
    const MINUTE: Duration = Duration::from_secs(60);
    const HOUR: Duration = Duration::from_secs(3600);
    let listen = match vars.get(LISTEN_VAR) {
        None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        Some(text) => text.parse().map_err(|_| {
            Error::config(format!(
                "{LISTEN_VAR} must be an address and port like 127.0.0.1:8080, got {text:?}"
            ))
        })?,
    };
    let token = vars.get(API_TOKEN_VAR).map(SecretString::from);
    if let Some(token) = &token
        && !token.expose_secret().bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(Error::config(format!(
            "{API_TOKEN_VAR} must be printable ASCII without spaces"
        )));
    }
    Ok(ServeVars {
        listen,
        token,
        monitor_every: vars.fractional_seconds(
            MONITOR_INTERVAL_VAR,
            Duration::from_secs(5),
            TENTH..=HOUR,
        )?,
        max_price_age: vars.fractional_seconds(
            MAX_PRICE_AGE_VAR,
            Duration::from_secs(2),
            TENTH..=MINUTE,
        )?,
        reconcile_every: vars.fractional_seconds(
            RECONCILE_INTERVAL_VAR,
            Duration::from_secs(10),
            TENTH..=HOUR,
        )?,
        ready_unsettled_for: vars.seconds(
            READY_UNSETTLED_VAR,
            Duration::from_secs(300),
            1..=86_400,
        )?,
        shutdown_within: vars.seconds(SHUTDOWN_VAR, Duration::from_secs(90), 1..=3_600)?,
    })
}

fn load(vars: &Vars) -> Result<LoadOptions> {
    let sha256_pin = match vars.get(PLUGIN_SHA256_VAR) {
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
    let cache_dir = match vars.get(CACHE_DIR_VAR).as_deref() {
        Some("off") => None,
        Some(dir) => Some(PathBuf::from(dir)),
        None => vars
            .get("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| {
                vars.get("HOME")
                    .map(|home| PathBuf::from(home).join(".cache"))
            })
            .map(|base| base.join("tradehost")),
    };
    Ok(LoadOptions {
        cache_dir,
        sha256_pin,
        call_deadline: Some(vars.seconds(
            CALL_DEADLINE_VAR,
            crate::runtime::limits::DEFAULT_CALL_DEADLINE,
            1..=300,
        )?),
    })
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
