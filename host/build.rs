//! Builds what ships inside the binary: the first-party drivers in
//! `plugins/`, a cargo workspace built for wasm32-wasip2, whose paths reach
//! the crate as env vars (`src/plugins.rs` embeds them). The hostile test
//! components are built by the tests themselves (`tests/e2e/components.rs`).
//! Also reruns when a migration is added, since `sqlx::migrate!` embeds them.
//!
//! The drivers' workspace has its own target directory, so this nested build
//! never waits on the outer build's lock.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A cargo workspace of components: its folder (below the root), its target
/// directory (below `target/`), (crate name, env var the crate reads), and
/// the library crates the components share.
struct Workspace {
    dir: &'static str,
    target: &'static str,
    components: &'static [(&'static str, &'static str)],
    libraries: &'static [&'static str],
}

const WORKSPACES: [Workspace; 1] = [Workspace {
    dir: "plugins",
    target: "plugins",
    components: &[
        ("kraken-sandbox", "TRADEHOST_WASM_KRAKEN_SANDBOX"),
        ("kraken", "TRADEHOST_WASM_KRAKEN"),
        ("binance", "TRADEHOST_WASM_BINANCE"),
    ],
    libraries: &["driver-kit"],
}];

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
    for workspace in &WORKSPACES {
        build_workspace(root, workspace);
    }
}

fn build_workspace(root: &Path, workspace: &Workspace) {
    let dir = root.join(workspace.dir);
    let target_dir = root.join("target").join(workspace.target);

    for path in [dir.join("Cargo.toml"), dir.join("Cargo.lock")] {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    let crates = workspace.components.iter().map(|(name, _)| name);
    for name in crates.chain(workspace.libraries) {
        // The whole crate folder: sources, manifest and any WIT of its own.
        println!("cargo:rerun-if-changed={}", dir.join(name).display());
    }

    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .arg("build")
        .arg("--release")
        .arg("--locked")
        .args(["--target", "wasm32-wasip2"])
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    for (name, _) in workspace.components {
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
        .unwrap_or_else(|e| panic!("failed to run cargo for {}: {e}", dir.display()));
    if !status.success() {
        panic!(
            "building the wasm components in {} failed.\n\
             If the error above says the target is missing, run: rustup target add wasm32-wasip2",
            dir.display()
        );
    }

    for (name, var) in workspace.components {
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
