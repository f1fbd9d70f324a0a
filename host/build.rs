//! Builds the first-party drivers in `plugins/` for wasm32-wasip2 and hands
//! their paths to the crate, which embeds them (`src/plugins.rs`).
//!
//! The drivers are their own cargo workspace with their own target
//! directory, so this nested build never waits on the outer build's lock.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// (crate name in plugins/, env var the crate reads)
const DRIVERS: [(&str, &str); 2] = [
    ("kraken-sandbox", "TRADEHOST_WASM_KRAKEN_SANDBOX"),
    ("kraken", "TRADEHOST_WASM_KRAKEN"),
];

fn main() {
    let manifest_dir =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .expect("host/ lives in the workspace root");
    let plugins = root.join("plugins");
    let wit = root.join("wit");
    let target_dir = root.join("target").join("plugins");

    for path in [
        plugins.join("Cargo.toml"),
        plugins.join("Cargo.lock"),
        wit.clone(),
    ] {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    for (name, _) in DRIVERS {
        println!(
            "cargo:rerun-if-changed={}",
            plugins.join(name).join("src").display()
        );
        println!(
            "cargo:rerun-if-changed={}",
            plugins.join(name).join("Cargo.toml").display()
        );
    }

    build_drivers(&plugins, &target_dir);

    for (name, var) in DRIVERS {
        let wasm = target_dir
            .join("wasm32-wasip2")
            .join("release")
            .join(format!("{}.wasm", name.replace('-', "_")));
        assert!(
            wasm.exists(),
            "driver {name} was built but {} is missing",
            wasm.display()
        );
        println!("cargo:rustc-env={var}={}", wasm.display());
    }
}

fn build_drivers(plugins: &Path, target_dir: &Path) {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .arg("build")
        .arg("--release")
        .arg("--locked")
        .args(["--target", "wasm32-wasip2"])
        .arg("--manifest-path")
        .arg(plugins.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir);
    for (name, _) in DRIVERS {
        command.args(["--package", name]);
    }
    // Flags meant for the host build must not leak into the guest build.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        command.env_remove(var);
    }
    let status = command
        .status()
        .expect("failed to run cargo for the drivers");
    if !status.success() {
        panic!(
            "building the wasm drivers in {} failed.\n\
             If the error above says the target is missing, run: rustup target add wasm32-wasip2",
            plugins.display()
        );
    }
}
