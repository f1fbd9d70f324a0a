//! Load-time checks of what a component imports and exports: the WIT
//! version must be one this host speaks, and the only capabilities a driver
//! may ask for are the host's own interfaces plus the minimal WASI that a
//! Rust std guest links (stdio, environment, exit — all empty here).

/// The contract versions this host implements, newest first.
pub const SUPPORTED_WIT: &str = "tradehost:exchange@0.2.x and @0.1.x";
const CONTRACT_PACKAGE: &str = "tradehost:exchange";
const EXPORTED_INTERFACE: &str = "exchange";

const HOST_INTERFACES: [&str; 5] = ["types", "http", "log", "config", "state"];

/// A contract version the host speaks: the component's bindings are
/// chosen by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contract {
    /// `tradehost:exchange@0.1.x`, adapted to the current types.
    V0_1,
    /// `tradehost:exchange@0.2.x`, the current contract.
    V0_2,
}

impl Contract {
    fn of(version: Option<&str>) -> Option<Contract> {
        let version = version?;
        let minor = |prefix: &str| version == prefix || version.starts_with(&format!("{prefix}."));
        if minor("0.2") {
            Some(Contract::V0_2)
        } else if minor("0.1") {
            Some(Contract::V0_1)
        } else {
            None
        }
    }
}

/// WASI interfaces a driver may import (version 0.2.x), and why they are
/// harmless: stdio is captured, the environment is empty, exit traps,
/// random and clocks reveal nothing about the host.
const ALLOWED_WASI: [&str; 18] = [
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:clocks/wall-clock",
    "wasi:clocks/monotonic-clock",
];

/// Splits `ns:pkg/iface@1.2.3` into (`ns:pkg/iface`, `1.2.3`).
fn split(name: &str) -> (&str, Option<&str>) {
    match name.split_once('@') {
        Some((path, version)) => (path, Some(version)),
        None => (name, None),
    }
}

/// Checks a component's import and export names; returns the contract it
/// was built against and its full version. Every contract interface it
/// imports must be of the version it exports.
pub fn check(imports: &[String], exports: &[String]) -> Result<(Contract, String), String> {
    let export = exports
        .iter()
        .map(|e| split(e))
        .find(|(path, _)| *path == format!("{CONTRACT_PACKAGE}/{EXPORTED_INTERFACE}"))
        .ok_or_else(|| format!("the component does not export {CONTRACT_PACKAGE}/{EXPORTED_INTERFACE}; it is not a tradehost driver"))?;
    let version = export.1.unwrap_or("unversioned").to_owned();
    let contract = Contract::of(export.1).ok_or_else(|| {
        format!(
            "the driver is built for {CONTRACT_PACKAGE}@{version}, but this host supports {SUPPORTED_WIT}; \
             rebuild the driver against a supported contract"
        )
    })?;
    let mut refused = Vec::new();
    for name in imports {
        let (path, v) = split(name);
        if let Some(iface) = path.strip_prefix(&format!("{CONTRACT_PACKAGE}/")) {
            if Contract::of(v) != Some(contract) {
                return Err(format!(
                    "the driver imports {name} but exports {CONTRACT_PACKAGE}@{version}; a driver speaks one \
                     contract version (this host supports {SUPPORTED_WIT})"
                ));
            }
            if HOST_INTERFACES.contains(&iface) {
                continue;
            }
        } else if ALLOWED_WASI.contains(&path) && v.is_some_and(|v| v.starts_with("0.2.")) {
            continue;
        }
        refused.push(name.clone());
    }
    if !refused.is_empty() {
        return Err(format!(
            "the driver imports {} which tradehost does not grant: drivers get no filesystem, sockets, \
             HTTP of their own or any other capability — only the host's interfaces",
            refused.join(", ")
        ));
    }
    Ok((contract, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    const EXPORT: &[&str] = &["tradehost:exchange/exchange@0.1.0"];

    #[test]
    fn a_std_driver_passes() {
        let imports = names(&[
            "tradehost:exchange/http@0.1.0",
            "tradehost:exchange/types@0.1.0",
            "wasi:io/streams@0.2.6",
            "wasi:cli/environment@0.2.6",
        ]);
        assert_eq!(
            check(&imports, &names(EXPORT)).unwrap(),
            (Contract::V0_1, "0.1.0".to_owned())
        );
        let current = names(&[
            "tradehost:exchange/http@0.2.0",
            "tradehost:exchange/types@0.2.0",
        ]);
        assert_eq!(
            check(&current, &names(&["tradehost:exchange/exchange@0.2.0"]))
                .unwrap()
                .0,
            Contract::V0_2
        );
    }

    #[test]
    fn capabilities_are_refused_by_name() {
        for bad in [
            "wasi:filesystem/types@0.2.6",
            "wasi:sockets/tcp@0.2.6",
            "wasi:http/outgoing-handler@0.2.6",
            "evil:thing/x@1.0.0",
            "tradehost:exchange/secrets@0.1.0",
        ] {
            let err = check(
                &names(&["tradehost:exchange/http@0.1.0", bad]),
                &names(EXPORT),
            )
            .unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn other_contract_versions_are_refused_naming_both() {
        let err = check(
            &names(&["tradehost:exchange/http@9.0.0"]),
            &names(&["tradehost:exchange/exchange@9.0.0"]),
        )
        .unwrap_err();
        assert!(
            err.contains("@9.0.0") && err.contains(SUPPORTED_WIT),
            "{err}"
        );
        assert!(check(&[], &names(&["other:thing/exchange@0.1.0"])).is_err());
        assert!(check(&names(&["wasi:io/streams@0.3.0"]), &names(EXPORT)).is_err());
        // One component naming both versions is refused.
        let err = check(
            &names(&["tradehost:exchange/http@0.1.0"]),
            &names(&["tradehost:exchange/exchange@0.2.0"]),
        )
        .unwrap_err();
        assert!(err.contains("one contract version"), "{err}");
    }
}
