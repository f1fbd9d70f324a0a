//! The drivers built into the binary, and loading the configured one.

use crate::config::{PluginChoice, Settings};
use crate::db::{Database, DriverState};
use crate::error::{Error, Result};
use crate::outbound::OutboundHttp;
use crate::runtime::{DriverServices, WasmDriver};

pub const SANDBOX: &str = "kraken-sandbox";
pub const LIVE: &str = "kraken";

struct Embedded {
    name: &'static str,
    wasm: &'static [u8],
}

const EMBEDDED: [Embedded; 2] = [
    Embedded {
        name: SANDBOX,
        wasm: include_bytes!(env!("TRADEHOST_WASM_KRAKEN_SANDBOX")),
    },
    Embedded {
        name: LIVE,
        wasm: include_bytes!(env!("TRADEHOST_WASM_KRAKEN")),
    },
];

pub fn embedded_names() -> impl Iterator<Item = &'static str> {
    EMBEDDED.iter().map(|e| e.name)
}

/// The component bytes of a driver choice.
pub fn component_bytes(choice: &PluginChoice) -> Result<std::borrow::Cow<'static, [u8]>> {
    match choice {
        PluginChoice::Embedded(name) => EMBEDDED
            .iter()
            .find(|e| e.name == *name)
            .map(|e| std::borrow::Cow::Borrowed(e.wasm))
            .ok_or_else(|| {
                Error::config(format!(
                    "the {name:?} driver is not built into this version of tradehost"
                ))
            }),
        PluginChoice::Path(path) => std::fs::read(path)
            .map(std::borrow::Cow::Owned)
            .map_err(|e| {
                Error::config(format!(
                    "cannot read driver component {}: {e}",
                    path.display()
                ))
            }),
    }
}

/// Loads the configured driver, wired to the host's services.
pub async fn load(settings: &Settings, db: &Database) -> Result<WasmDriver> {
    let bytes = component_bytes(&settings.plugin)?;
    let base_url = settings
        .api_url
        .clone()
        .unwrap_or_else(|| "https://api.kraken.com".to_owned());
    let http = OutboundHttp::new(
        &base_url,
        settings.http_timeout,
        settings.credentials.clone(),
        Some(db.clone()),
        settings.rate_tier,
    )
    .map_err(Error::config)?;
    let services = DriverServices {
        name: settings.plugin.name(),
        config: settings.driver_config.clone(),
        http,
        state: DriverState::new(db.clone(), settings.plugin.state_namespace()),
    };
    WasmDriver::load(&bytes, services, &settings.load).await
}
