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

use crate::files::read_regular;

type Seal = Hmac<Sha256>;
const SEAL_LEN: usize = 32;
/// Largest artefact read back (a compiled Python plugin is tens of MB).
const MAX_ARTEFACT_BYTES: u64 = 1 << 30;

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

    /// The component for `wasm` when a sealed artefact of it is here.
    pub fn load(&self, engine: &Engine, wasm: &[u8]) -> Option<Component> {
        let wasm_hash = hex(&Sha256::digest(wasm));
        // Only a regular file, not through a link, of bounded size: anything
        // else in its place is ignored and replaced.
        let stored = read_regular(&self.path(&wasm_hash), MAX_ARTEFACT_BYTES, true).ok()?;
        if stored.len() <= SEAL_LEN {
            return None;
        }
        let (tag, artefact) = stored.split_at(SEAL_LEN);
        self.seal(&wasm_hash, artefact).verify_slice(tag).ok()?;
        // The seal proves these bytes are an artefact this host serialized
        // for this engine configuration: nobody without the private key
        // could have produced it.
        crate::compile::load(engine, artefact).ok()
    }

    /// Keeps the artefact of `wasm` for next time. A cache that cannot be
    /// written only costs time next run.
    pub fn store(&self, wasm: &[u8], artefact: &[u8]) {
        let wasm_hash = hex(&Sha256::digest(wasm));
        let _ = self.write(&self.path(&wasm_hash), &wasm_hash, artefact);
    }

    fn write(&self, path: &Path, wasm_hash: &str, artefact: &[u8]) -> Result<()> {
        let tag = self.seal(wasm_hash, artefact).finalize().into_bytes();
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let _ = fs::remove_file(&tmp);
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(&tag)?;
        file.write_all(artefact)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        Ok(())
    }
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
    if let Ok(bytes) = read_regular(path, 32, true)
        && let Ok(key) = <[u8; 32]>::try_from(bytes.as_slice())
    {
        return Ok(key);
    }
    // Whatever is there instead (a link, a FIFO, a short file) is replaced.
    let _ = fs::remove_file(path);
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
        let bytes = read_regular(path, 32, true).map_err(anyhow::Error::msg)?;
        return <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| anyhow::anyhow!("cache key {} is corrupt", path.display()));
    }
    let _ = fs::remove_file(&tmp);
    Ok(key)
}
