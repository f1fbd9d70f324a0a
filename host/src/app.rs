//! Wiring: from settings to a trade database and a driver bound to its
//! exchange profile. The one place that knows every part; the CLI and the
//! tests open the host through it.

use std::sync::Arc;

use crate::config::Settings;
use crate::credentials::Credentials;
use crate::db::{Database, DriverState};
use crate::error::{Error, Result};
use crate::exchange::ExchangeDriver;
use crate::net::{Binding, NonceStore, Outbound, Signer};
use crate::plugins;
use crate::profile;
use crate::runtime::{DriverServices, WasmDriver};
use crate::service::Executor;

/// Whether a live key is attached to the driver's signed requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// The credentials the profile names (live mode): missing ones are an error.
    Attach,
    /// No key at all: signed requests are refused (vetting a driver).
    Withhold,
}

/// The database, the configured driver bound to its profile, and the order
/// lifecycle over both.
pub async fn open(settings: &Settings) -> Result<Executor<WasmDriver>> {
    let db = Database::connect(&settings.database_url).await?;
    let driver = load_driver(settings, &db, Keys::Attach).await?;
    Ok(Executor::new(db, driver).with_policy(settings.policy))
}

/// Loads the configured driver and binds it to the profile its signing
/// scheme names, with the operator's base URL and (if asked) key.
pub async fn load_driver(settings: &Settings, db: &Database, keys: Keys) -> Result<WasmDriver> {
    let bytes = plugins::component_bytes(&settings.plugin)?;
    let services = DriverServices {
        name: settings.plugin.name(),
        config: settings.driver_config.clone(),
        http: Outbound::new(&settings.net).map_err(Error::config)?,
        state: DriverState::new(db.clone(), settings.plugin.state_namespace(&bytes)),
    };
    let driver = WasmDriver::load(
        &bytes,
        services,
        &settings.load,
        settings.policy.max_slippage,
    )
    .await?;
    let profile = profile::for_scheme(driver.info().signing)
        .map_err(|why| Error::plugin(format!("driver {:?}: {why}", settings.plugin.name())))?;
    let signer = match (profile.sign_style(), profile.credential_vars()) {
        (Some(style), Some(vars)) if keys == Keys::Attach && !settings.sandbox_mode => {
            let credentials = Credentials::for_profile(
                vars,
                settings.credential(vars.api_key),
                settings.credential(vars.secret),
            )?;
            let nonces: Arc<dyn NonceStore> = Arc::new(db.clone());
            Some(Signer::new(style, Arc::new(credentials), Some(nonces)))
        }
        _ => None,
    };
    let base_url = settings
        .api_url(profile.name())
        .unwrap_or(profile.default_base_url())
        .trim_end_matches('/')
        .to_owned();
    driver.bind(Binding {
        declared: driver.info().request_paths.clone(),
        profile,
        base_url,
        signer,
    });
    Ok(driver)
}
