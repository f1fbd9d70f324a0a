//! Compiling a driver once: the compiled artifact is kept in a cache
//! directory keyed by the component's content hash and the engine's
//! compatibility hash, and later starts load it instead of compiling.
//!
//! A compiled artifact is native code: whoever can write the cache can run
//! code as the user. So the directory must be the user's own, mode 0700, and
//! not a symlink; artifacts are written 0600, opened without following
//! symlinks, checked to be the user's own private regular files, and checked
//! against the SHA-256 recorded when they were written. Anything else is
//! recompiled, never loaded.

use std::fs::{File, Metadata, OpenOptions};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// How a component was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Compiled, not cached (no usable cache directory, or writing failed).
    Compiled,
    /// Compiled and written to the cache.
    CompiledAndCached,
    /// Loaded from a verified artifact in the cache.
    LoadedFromCache,
}

/// SHA-256 of `bytes`, lower-case hex: how a component is pinned and named.
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

/// The user's own, private: owned by this process's user, no access for
/// group or others.
fn private(meta: &Metadata) -> bool {
    meta.uid() == rustix::process::geteuid().as_raw() && meta.permissions().mode() & 0o077 == 0
}

/// Why a directory cannot hold compiled code, if it cannot. Created 0700 if
/// missing.
pub fn refuse_dir(dir: &Path) -> Option<String> {
    if std::fs::symlink_metadata(dir).is_err()
        && let Err(err) = std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    {
        return Some(format!("it cannot be created: {err}"));
    }
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(err) => return Some(err.to_string()),
    };
    if !meta.is_dir() {
        return Some("it is not a directory (or is a symlink)".to_owned());
    }
    if !private(&meta) {
        return Some(format!(
            "it must be owned by this user with mode 0700 (it is {:o}, owner {})",
            meta.permissions().mode() & 0o7777,
            meta.uid()
        ));
    }
    None
}

/// Reads a file only if it is the user's own private regular file, without
/// following a symlink.
fn read_private(path: &Path) -> Option<Vec<u8>> {
    let mut file = OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits().cast_signed())
        .open(path)
        .ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || !private(&meta) {
        tracing::warn!(path = %path.display(), "cached driver file is not this user's private file; ignoring it");
        return None;
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// The compiled component for `wasm`: loaded from the private cache in
/// `cache_dir` when a verified artifact is there, else compiled (and cached
/// when the directory is usable).
pub fn load(
    engine: &Engine,
    wasm: &[u8],
    cache_dir: Option<&Path>,
) -> wasmtime::Result<(Component, Origin)> {
    let dir = cache_dir.filter(|dir| match refuse_dir(dir) {
        None => true,
        Some(why) => {
            tracing::warn!(dir = %dir.display(), %why, "not using the compiled-driver cache");
            false
        }
    });
    let Some(dir) = dir else {
        return Ok((Component::new(engine, wasm)?, Origin::Compiled));
    };
    let key = key(engine, &sha256_hex(wasm));
    let artifact: PathBuf = dir.join(format!("{key}.cwasm"));
    let checksum = dir.join(format!("{key}.sha256"));
    if let (Some(bytes), Some(expected)) = (read_private(&artifact), read_private(&checksum)) {
        if sha256_hex(&bytes).as_bytes() == expected.trim_ascii() {
            // SAFETY: the artifact is one this host serialized into the
            // user's private cache directory, read without following links
            // from a private file, and verified against the checksum it
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
                    tracing::warn!(error = %err, "cached driver artifact unusable; recompiling");
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

/// Writes a private file atomically: a reader sees a whole file or none.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let tmp = path.with_extension(format!("tmp-{unique}"));
    let mut file: File = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits().cast_signed())
        .open(&tmp)
        .map_err(|e| e.to_string())?;
    file.write_all(bytes).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, path).map_err(|e| e.to_string())
}

fn write(component: &Component, artifact: &Path, checksum: &Path) -> Result<(), String> {
    let bytes = component.serialize().map_err(|e| e.to_string())?;
    write_private(artifact, &bytes)?;
    write_private(checksum, sha256_hex(&bytes).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_others_can_touch_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cache");
        assert_eq!(refuse_dir(&dir), None, "created private");
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o750)).unwrap();
        assert!(refuse_dir(&dir).unwrap().contains("0700"));
        let link = tmp.path().join("link");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        assert!(refuse_dir(&link).unwrap().contains("symlink"));
    }

    #[test]
    fn only_private_files_are_read_and_links_are_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let own = tmp.path().join("own");
        write_private(&own, b"code").unwrap();
        assert_eq!(
            std::fs::metadata(&own).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(read_private(&own).as_deref(), Some(&b"code"[..]));
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&own, &link).unwrap();
        assert_eq!(read_private(&link), None, "a symlink is not followed");
        std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(
            read_private(&own),
            None,
            "a file others can read is not trusted"
        );
    }
}
