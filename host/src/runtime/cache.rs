//! Compiling a driver once: the compiled artifact is kept in a cache
//! directory keyed by the component's content hash and the engine's
//! compatibility hash, and later starts load it instead of compiling.
//!
//! Loading compiled code is only safe for artifacts this host wrote (they
//! are native code). The cache directory must not be writable by others,
//! and each artifact is checked against the SHA-256 recorded when it was
//! written, so a corrupt or swapped file is recompiled, never loaded.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// How a component was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Compiled,
    /// Compiled and written to the cache.
    CompiledAndCached,
    LoadedFromCache,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn key(engine: &Engine, wasm_sha256: &str) -> String {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{}-{:016x}", &wasm_sha256[..32], hasher.finish())
}

/// A usable cache directory: created private if missing, refused if others
/// may write to it.
fn usable(dir: &Path) -> Option<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .ok()?;
    }
    let mode = std::fs::metadata(dir).ok()?.permissions().mode();
    if mode & 0o022 != 0 {
        tracing::warn!(dir = %dir.display(), "compiled-driver cache is writable by others; not using it");
        return None;
    }
    Some(())
}

pub fn load(
    engine: &Engine,
    wasm: &[u8],
    cache_dir: Option<&Path>,
) -> wasmtime::Result<(Component, Origin)> {
    let Some(dir) = cache_dir.filter(|dir| usable(dir).is_some()) else {
        return Ok((Component::new(engine, wasm)?, Origin::Compiled));
    };
    let key = key(engine, &sha256_hex(wasm));
    let artifact: PathBuf = dir.join(format!("{key}.cwasm"));
    let checksum = dir.join(format!("{key}.sha256"));
    if let (Ok(bytes), Ok(expected)) =
        (std::fs::read(&artifact), std::fs::read_to_string(&checksum))
    {
        if sha256_hex(&bytes) == expected.trim() {
            // SAFETY: the artifact is one this host serialized into its own
            // private cache directory, verified against the checksum it
            // recorded; the engine rejects artifacts of another version or
            // configuration.
            #[allow(
                unsafe_code,
                reason = "loading a host-written compiled artifact, verified above"
            )]
            let loaded = unsafe { Component::deserialize(engine, &bytes) };
            match loaded {
                Ok(component) => return Ok((component, Origin::LoadedFromCache)),
                Err(err) => {
                    tracing::warn!(error = %err, "cached driver artifact unusable; recompiling")
                }
            }
        } else {
            tracing::warn!(artifact = %artifact.display(), "cached driver artifact does not match its checksum; recompiling");
        }
    }
    let component = Component::new(engine, wasm)?;
    let origin = match write(&component, &artifact, &checksum) {
        Ok(()) => Origin::CompiledAndCached,
        Err(err) => {
            tracing::warn!(error = %err, "could not write the compiled-driver cache");
            Origin::Compiled
        }
    };
    Ok((component, origin))
}

/// Writes atomically: a reader sees a whole artifact or none.
fn write(component: &Component, artifact: &Path, checksum: &Path) -> Result<(), String> {
    let bytes = component.serialize().map_err(|e| e.to_string())?;
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let tmp = artifact.with_extension(format!("tmp-{unique}"));
    std::fs::write(&tmp, &bytes).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, artifact).map_err(|e| e.to_string())?;
    let tmp = checksum.with_extension(format!("tmp-{unique}"));
    std::fs::write(&tmp, sha256_hex(&bytes)).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, checksum).map_err(|e| e.to_string())
}
