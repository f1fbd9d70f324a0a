//! Building a cargo workspace of wasm32-wasip2 components from inside
//! another cargo run: shared by the build script (`host/build.rs`, the
//! drivers) and the end-to-end tests (`tests/e2e/components.rs`, the hostile
//! test components), each of which includes this file with `#[path]`.

use std::path::Path;
use std::process::Command;

/// Variables the outer cargo run sets for the host build. The guest build
/// inherits the environment, and these would give it the host's compiler
/// flags, target directory, target or wrapper.
const HOST_ONLY_VARS: [&str; 6] = [
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "RUSTC_WORKSPACE_WRAPPER",
];

/// The command that builds `packages` of the workspace at `manifest`, in
/// release for wasm32-wasip2, into `target_dir`, without the host-only
/// variables. The components land in `target_dir/wasm32-wasip2/release`.
pub fn cargo_build(cargo: &str, manifest: &Path, target_dir: &Path, packages: &[&str]) -> Command {
    let mut command = Command::new(cargo);
    command
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            "wasm32-wasip2",
        ])
        .arg("--manifest-path")
        .arg(manifest)
        .arg("--target-dir")
        .arg(target_dir);
    for name in packages {
        command.args(["--package", name]);
    }
    for var in HOST_ONLY_VARS {
        command.env_remove(var);
    }
    command
}
