//! The drivers built into the binary, and how a deployment names a driver:
//! a built-in name or a `.wasm` path. Loading and binding a driver is
//! `app`'s job.

use std::borrow::Cow;
use std::path::PathBuf;

use crate::error::{Error, Result};

/// The simulated Kraken: the default in sandbox mode; never sees a key.
pub const SANDBOX: &str = "kraken-sandbox";
/// Kraken spot, live: the default in live mode.
pub const LIVE: &str = "kraken";
/// Binance Spot, live.
pub const BINANCE: &str = "binance";

struct Embedded {
    name: &'static str,
    /// Moves money: refused in sandbox mode.
    live: bool,
    wasm: &'static [u8],
}

const EMBEDDED: [Embedded; 3] = [
    Embedded {
        name: SANDBOX,
        live: false,
        wasm: include_bytes!(env!("TRADEHOST_WASM_KRAKEN_SANDBOX")),
    },
    Embedded {
        name: LIVE,
        live: true,
        wasm: include_bytes!(env!("TRADEHOST_WASM_KRAKEN")),
    },
    Embedded {
        name: BINANCE,
        live: true,
        wasm: include_bytes!(env!("TRADEHOST_WASM_BINANCE")),
    },
];

/// Which driver to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginChoice {
    /// One of the drivers built into the binary, by name.
    Embedded(&'static str),
    /// A `.wasm` component on disk.
    Path(PathBuf),
}

impl PluginChoice {
    /// The built-in name, or the component's path, for messages.
    pub fn name(&self) -> String {
        match self {
            PluginChoice::Embedded(name) => (*name).to_owned(),
            PluginChoice::Path(path) => path.display().to_string(),
        }
    }

    /// The namespace of the driver's durable state: a built-in driver's
    /// name, or a component file's SHA-256 — never its file name, so a
    /// file cannot pose as another driver to read or spoil its state.
    pub fn state_namespace(&self, bytes: &[u8]) -> String {
        match self {
            PluginChoice::Embedded(name) => (*name).to_owned(),
            PluginChoice::Path(_) => format!("sha256:{}", crate::runtime::cache::sha256_hex(bytes)),
        }
    }
}

/// The built-in drivers' names.
pub fn embedded_names() -> impl Iterator<Item = &'static str> {
    EMBEDDED.iter().map(|e| e.name)
}

/// Whether a built-in driver trades for real.
pub fn is_live(name: &str) -> bool {
    EMBEDDED.iter().any(|e| e.name == name && e.live)
}

/// A built-in name or a path to a component; otherwise why not.
pub fn parse_choice(value: &str) -> std::result::Result<PluginChoice, String> {
    if let Some(name) = embedded_names().find(|name| *name == value) {
        return Ok(PluginChoice::Embedded(name));
    }
    if value.contains('/') || value.ends_with(".wasm") {
        return Ok(PluginChoice::Path(PathBuf::from(value)));
    }
    Err(format!(
        "neither a built-in driver ({}) nor a path to a .wasm component",
        embedded_names().collect::<Vec<_>>().join(", ")
    ))
}

/// The component bytes of a driver choice.
pub fn component_bytes(choice: &PluginChoice) -> Result<Cow<'static, [u8]>> {
    match choice {
        PluginChoice::Embedded(name) => EMBEDDED
            .iter()
            .find(|e| e.name == *name)
            .map(|e| Cow::Borrowed(e.wasm))
            .ok_or_else(|| {
                Error::config(format!(
                    "the {name:?} driver is not built into this version of tradehost"
                ))
            }),
        PluginChoice::Path(path) => std::fs::read(path).map(Cow::Owned).map_err(|e| {
            Error::config(format!(
                "cannot read driver component {}: {e}",
                path.display()
            ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_never_shares_a_built_in_drivers_state() {
        let posing = PluginChoice::Path(PathBuf::from("/x/kraken-sandbox.wasm"));
        let embedded = PluginChoice::Embedded(SANDBOX);
        let bytes = component_bytes(&embedded).unwrap();
        assert_eq!(embedded.state_namespace(&bytes), SANDBOX);
        assert!(posing.state_namespace(&bytes).starts_with("sha256:"));
        assert_ne!(
            posing.state_namespace(&bytes),
            posing.state_namespace(b"other")
        );
    }

    #[test]
    fn names_and_paths() {
        assert_eq!(parse_choice(SANDBOX), Ok(PluginChoice::Embedded(SANDBOX)));
        assert!(matches!(
            parse_choice("./d.wasm"),
            Ok(PluginChoice::Path(_))
        ));
        assert!(parse_choice("nonesuch").is_err());
        assert!(is_live(LIVE) && !is_live(SANDBOX));
        // Binance moves money: refused in sandbox mode like Kraken.
        assert_eq!(parse_choice(BINANCE), Ok(PluginChoice::Embedded(BINANCE)));
        assert!(is_live(BINANCE));
    }
}
