//! The hostile test components of `tests/components`, built for
//! wasm32-wasip2 the first time a test asks for one: a test-only build step,
//! so the production build script builds only what ships. One build per
//! test process (its own target directory, so it never waits on the outer
//! build's lock); cargo's incremental build makes every later one cheap.

#[path = "../../host/guest_build.rs"]
mod guest_build;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Every component of the workspace, built together.
const COMPONENTS: [&str; 4] = ["evil", "fs-reader", "socket-opener", "future-version"];

/// The path of a hostile component, built if needed.
pub fn path(name: &str) -> String {
    assert!(COMPONENTS.contains(&name), "no test component {name}");
    let dir = built().unwrap_or_else(|why| panic!("{why}"));
    dir.join(format!("{}.wasm", name.replace('-', "_")))
        .to_str()
        .expect("a UTF-8 path")
        .to_owned()
}

/// The hostile driver the security tests load.
pub fn evil() -> String {
    path("evil")
}

fn built() -> Result<&'static Path, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT.get_or_init(build).as_deref().map_err(Clone::clone)
}

fn build() -> Result<PathBuf, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("host/ lives in the workspace root")?;
    let workspace = root.join("tests").join("components");
    let target = root.join("target").join("test-components");
    let output = guest_build::cargo_build(
        option_env!("CARGO").unwrap_or("cargo"),
        &workspace.join("Cargo.toml"),
        &target,
        &COMPONENTS,
    )
    .output()
    .map_err(|e| format!("cannot run cargo to build the test components: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "building the test components in {} failed (is the wasm32-wasip2 target installed? \
             scripts/setup.sh adds it):\n{}",
            workspace.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(target.join("wasm32-wasip2").join("release"))
}
