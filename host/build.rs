//! Builds what ships inside the binary: the first-party drivers in
//! `plugins/`, a cargo workspace built for wasm32-wasip2, whose paths reach
//! the crate as env vars (`src/plugins.rs` embeds them). The hostile test
//! components are built by the tests themselves (`tests/e2e/components.rs`).
//! Also reruns when a migration is added, since `sqlx::migrate!` embeds them.
//!
//! The drivers' workspace has its own target directory, so this nested build
//! never waits on the outer build's lock.

// A change to it recompiles this script, which then reruns: no
// rerun-if-changed needed.
#[path = "guest_build.rs"]
mod guest_build;

use std::env;
use std::path::PathBuf;

/// The drivers' workspace, below the root; also its target directory, below
/// `target/`.
const PLUGINS: &str = "plugins";
/// Each driver: its crate, and the env var through which the crate reads
/// the component's path.
const COMPONENTS: [(&str, &str); 3] = [
    ("kraken-sandbox", "TRADEHOST_WASM_KRAKEN_SANDBOX"),
    ("kraken", "TRADEHOST_WASM_KRAKEN"),
    ("binance", "TRADEHOST_WASM_BINANCE"),
];
/// The library crates the drivers share.
const LIBRARIES: [&str; 1] = ["driver-kit"];

fn main() {
    let manifest_dir =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .expect("host/ lives in the workspace root");
    println!("cargo:rerun-if-changed={}", root.join("wit").display());
    println!(
        "cargo:rerun-if-changed={}",
        root.join("migrations").display()
    );

    let dir = root.join(PLUGINS);
    let target_dir = root.join("target").join(PLUGINS);
    for path in [dir.join("Cargo.toml"), dir.join("Cargo.lock")] {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    let crates = COMPONENTS.iter().map(|(name, _)| name);
    for name in crates.chain(&LIBRARIES) {
        // The whole crate folder: sources, manifest and any WIT of its own.
        println!("cargo:rerun-if-changed={}", dir.join(name).display());
    }

    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let packages = COMPONENTS.map(|(name, _)| name);
    let status = guest_build::cargo_build(&cargo, &dir.join("Cargo.toml"), &target_dir, &packages)
        .status()
        .unwrap_or_else(|e| panic!("failed to run cargo for {}: {e}", dir.display()));
    if !status.success() {
        panic!(
            "building the wasm components in {} failed.\n\
             If the error above says the target is missing, run: rustup target add wasm32-wasip2",
            dir.display()
        );
    }

    for (name, var) in COMPONENTS {
        let wasm = target_dir
            .join("wasm32-wasip2")
            .join("release")
            .join(format!("{}.wasm", name.replace('-', "_")));
        assert!(
            wasm.exists(),
            "component {name} was built but {} is missing",
            wasm.display()
        );
        println!("cargo:rustc-env={var}={}", wasm.display());
    }
}
