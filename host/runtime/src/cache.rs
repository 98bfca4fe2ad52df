//! Compiled plugins kept on disk so a second run does not recompile.
//!
//! An artefact is named by the hash of the wasm and the engine's
//! compatibility hash, and sealed with an HMAC under a key only this user
//! can read. Anything whose seal does not verify is ignored and rebuilt:
//! the host never deserializes machine code it did not write itself.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

type Seal = Hmac<Sha256>;
const SEAL_LEN: usize = 32;

pub struct Cache {
    dir: PathBuf,
    key: [u8; 32],
    engine_hash: String,
}

/// How a component was obtained, for `reel plugin inspect` and benchmarks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Compiled,
    FromCache,
}

impl Cache {
    /// The cache directory: `$REEL_CACHE_DIR`, else `$XDG_CACHE_HOME/reel`,
    /// else `~/.cache/reel`. None when no such place can be made private.
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("REEL_CACHE_DIR") {
            return Some(dir.into());
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))?;
        Some(base.join("reel"))
    }

    pub fn open(dir: &Path, engine: &Engine) -> Result<Cache> {
        create_private_dir(dir)?;
        let key = load_or_create_key(&dir.join("seal.key"))?;
        let engine_hash = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            engine.precompile_compatibility_hash().hash(&mut h);
            format!("{:016x}", h.finish())
        };
        Ok(Cache {
            dir: dir.to_path_buf(),
            key,
            engine_hash,
        })
    }

    fn seal(&self, wasm_hash: &str, artefact: &[u8]) -> Seal {
        let mut mac = Seal::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(wasm_hash.as_bytes());
        mac.update(self.engine_hash.as_bytes());
        mac.update(artefact);
        mac
    }

    fn path(&self, wasm_hash: &str) -> PathBuf {
        self.dir
            .join(format!("{wasm_hash}-{}.cwasm", self.engine_hash))
    }

    /// The component for `wasm`, from the cache when a sealed artefact is
    /// there, else compiled (and stored for next time).
    pub fn load_or_compile(&self, engine: &Engine, wasm: &[u8]) -> Result<(Component, Origin)> {
        let wasm_hash = hex(&Sha256::digest(wasm));
        let path = self.path(&wasm_hash);
        if let Ok(stored) = fs::read(&path)
            && stored.len() > SEAL_LEN
        {
            let (tag, artefact) = stored.split_at(SEAL_LEN);
            if self.seal(&wasm_hash, artefact).verify_slice(tag).is_ok() {
                // SAFETY: the HMAC proves these bytes are an artefact this
                // host serialized for this engine configuration; nobody
                // without the private key could have produced the seal.
                if let Ok(c) = unsafe { Component::deserialize(engine, artefact) } {
                    return Ok((c, Origin::FromCache));
                }
            }
        }
        let component = compile(engine, wasm)?;
        // A cache that cannot be written only costs time next run.
        let _ = self.store(&path, &wasm_hash, &component);
        Ok((component, Origin::Compiled))
    }

    fn store(&self, path: &Path, wasm_hash: &str, component: &Component) -> Result<()> {
        let artefact = component
            .serialize()
            .map_err(|e| anyhow::anyhow!("{e:#}"))?;
        let tag = self.seal(wasm_hash, &artefact).finalize().into_bytes();
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let mut file = fs::File::create(&tmp)?;
        file.write_all(&tag)?;
        file.write_all(&artefact)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        Ok(())
    }
}

pub fn compile(engine: &Engine, wasm: &[u8]) -> Result<Component> {
    Component::new(engine, wasm).map_err(|e| anyhow::anyhow!("{e:#}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating cache directory {}", dir.display()))?;
    let meta = fs::metadata(dir)?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc_geteuid() };
    if meta.uid() != me || meta.permissions().mode() & 0o022 != 0 {
        anyhow::bail!(
            "cache directory {} is not private to this user (owner {}, mode {:o})",
            dir.display(),
            meta.uid(),
            meta.permissions().mode() & 0o777
        );
    }
    Ok(())
}

unsafe extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

fn load_or_create_key(path: &Path) -> Result<[u8; 32]> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Ok(bytes) = fs::read(path)
        && let Ok(key) = <[u8; 32]>::try_from(bytes.as_slice())
    {
        return Ok(key);
    }
    let mut key = [0u8; 32];
    getrandom::fill(&mut key)
        .map_err(|e| anyhow::anyhow!("no randomness for the cache key: {e}"))?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    file.write_all(&key)?;
    file.sync_all()?;
    // Two processes may race to create the key: keep whichever landed first.
    if fs::hard_link(&tmp, path).is_err() {
        let _ = fs::remove_file(&tmp);
        let bytes = fs::read(path)?;
        return <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| anyhow::anyhow!("cache key {} is corrupt", path.display()));
    }
    let _ = fs::remove_file(&tmp);
    Ok(key)
}
