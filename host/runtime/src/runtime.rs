//! The one wasmtime engine a process uses: compilation settings, the
//! pooling allocator, the epoch ticker behind time limits, the artefact
//! cache and the plugins loaded so far.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use wasmtime::component::Component;
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::cache::{Cache, Origin};
use crate::catalog::Catalog;
use crate::compile::{self, CompileLimits};
use crate::description::StageKind;
use crate::error::{Error, Result};
use crate::guest::Plugin as PluginWorld;
use crate::limits::{
    CORE_INSTANCES_PER_INSTANCE, EPOCH_TICK, MAX_INSTANCES, MEMORIES_PER_INSTANCE,
    TABLES_PER_INSTANCE,
};
use crate::plugin::Plugin;
use crate::sandbox::{MAX_MEMORY_BYTES, StoreState};

/// A loaded plugin and the file length and modification time it had.
type Loaded = (u64, std::time::SystemTime, Arc<Plugin>);

pub struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<StoreState>,
    cache: Option<Cache>,
    /// Why there is no cache, when there is none.
    cache_warning: Option<String>,
    limits: CompileLimits,
    /// Loaded plugins by canonical path, with the file's length and
    /// modification time so an edited file is loaded again.
    loaded: Mutex<HashMap<PathBuf, Loaded>>,
}

impl Runtime {
    /// The process-wide runtime, created on first use.
    pub fn global() -> Result<Arc<Runtime>> {
        static GLOBAL: OnceLock<std::result::Result<Arc<Runtime>, String>> = OnceLock::new();
        GLOBAL
            .get_or_init(|| {
                Runtime::new(Cache::default_dir().as_deref())
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(Error::Setup)
    }

    /// A runtime caching compiled plugins in `cache_dir` (None: no cache),
    /// with the default bounds on loading.
    pub fn new(cache_dir: Option<&Path>) -> Result<Runtime> {
        Runtime::with_limits(cache_dir, CompileLimits::default())
    }

    pub fn with_limits(cache_dir: Option<&Path>, limits: CompileLimits) -> Result<Runtime> {
        // A mistyped REEL_CPU_LEVEL must not quietly pick another path.
        reel_kernels::CpuLevel::configured().map_err(Error::Setup)?;
        // Every instance's share of memories, tables and core instances is
        // reserved in full, so a plugin with many memories cannot starve
        // the others; the address space reserved is virtual only.
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(MAX_INSTANCES as u32)
            .total_core_instances((MAX_INSTANCES * CORE_INSTANCES_PER_INSTANCE) as u32)
            .total_memories((MAX_INSTANCES * MEMORIES_PER_INSTANCE) as u32)
            .total_tables((MAX_INSTANCES * TABLES_PER_INSTANCE) as u32)
            .max_memories_per_component(MEMORIES_PER_INSTANCE as u32)
            .max_memories_per_module(MEMORIES_PER_INSTANCE as u32)
            .max_tables_per_module(TABLES_PER_INSTANCE as u32)
            .max_tables_per_component(TABLES_PER_INSTANCE as u32)
            .max_core_instances_per_component(CORE_INSTANCES_PER_INSTANCE as u32)
            .max_memory_size(MAX_MEMORY_BYTES);
        let mut config = compile::engine_config();
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let setup = |e: wasmtime::Error| Error::Setup(format!("the plugin engine: {e:#}"));
        let engine = Engine::new(&config).map_err(setup)?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(setup)?;
        PluginWorld::add_to_linker::<StoreState, HasSelf<StoreState>>(&mut linker, |s| s)
            .map_err(setup)?;
        crate::guest::add_direct_write_rows(&mut linker).map_err(setup)?;
        crate::clocks::add_bounded_clock(&mut linker).map_err(setup)?;

        start_epoch_ticker(&engine);
        raise_open_file_limit();
        // A cache that cannot be opened (read-only home, foreign owner) is
        // not fatal: plugins are compiled every run instead, and
        // [`Runtime::cache_warning`] says why.
        let (cache, cache_warning) = match cache_dir.map(|dir| Cache::open(dir, &engine)) {
            Some(Ok(cache)) => (Some(cache), None),
            Some(Err(e)) => (None, Some(format!("{e:#}"))),
            None => (
                None,
                Some("no cache directory (set REEL_CACHE_DIR or HOME)".into()),
            ),
        };
        Ok(Runtime {
            engine,
            linker,
            cache,
            cache_warning: cache_warning.map(|why| {
                format!("compiled plugins are not cached, so every run compiles them again: {why}")
            }),
            limits,
            loaded: Mutex::new(HashMap::new()),
        })
    }

    /// The plugin `name_or_path` names in `catalog`, loaded, as a `kind`
    /// stage: the one way the host's elements find, load and check a
    /// plugin.
    pub fn load_named(
        &self,
        catalog: &Catalog,
        name_or_path: &str,
        kind: StageKind,
    ) -> Result<Arc<Plugin>> {
        let plugin = self.load(&catalog.find(name_or_path)?)?;
        plugin.expect_kind(kind)?;
        Ok(plugin)
    }

    /// Loads the plugin at `path` (once per process while the file is
    /// unchanged): compile or fetch from cache, check its contract version,
    /// and read its description.
    pub fn load(&self, path: &Path) -> Result<Arc<Plugin>> {
        let file_error = |e: std::io::Error| Error::File {
            path: path.to_path_buf(),
            reason: format!("cannot read plugin file: {e}"),
        };
        let canonical = path.canonicalize().map_err(file_error)?;
        let meta = std::fs::metadata(&canonical).map_err(file_error)?;
        let stamp = (meta.len(), meta.modified().map_err(file_error)?);
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((len, modified, plugin)) = loaded.get(&canonical)
            && (*len, *modified) == stamp
        {
            return Ok(plugin.clone());
        }
        let plugin = Arc::new(self.load_uncached(&canonical)?);
        loaded.insert(canonical, (stamp.0, stamp.1, plugin.clone()));
        Ok(plugin)
    }

    /// Why compiled plugins are not being cached, if they are not.
    pub fn cache_warning(&self) -> Option<&str> {
        self.cache_warning.as_deref()
    }

    fn load_uncached(&self, path: &Path) -> Result<Plugin> {
        let wasm =
            crate::files::read_regular(path, self.limits.max_file_bytes, false).map_err(|e| {
                Error::File {
                    path: path.to_path_buf(),
                    reason: format!("plugin file {e}"),
                }
            })?;
        let plugin_error = |reason: String| Error::Plugin {
            path: path.to_path_buf(),
            reason,
        };
        let started = Instant::now();
        let (component, origin) = self
            .component(&wasm)
            .map_err(|e| plugin_error(format!("{e:#}")))?;
        Plugin::new(&self.linker, path, component, origin, started.elapsed()).map_err(plugin_error)
    }
}

impl Runtime {
    /// The compiled component, from the cache or compiled (within bounds)
    /// and cached.
    fn component(&self, wasm: &[u8]) -> anyhow::Result<(Component, Origin)> {
        if let Some(component) = self.cache.as_ref().and_then(|c| c.load(&self.engine, wasm)) {
            return Ok((component, Origin::FromCache));
        }
        let artefact = compile::compile(wasm, &self.limits)?;
        let component = compile::load(&self.engine, &artefact)?;
        if let Some(cache) = &self.cache {
            cache.store(wasm, &artefact);
        }
        Ok((component, Origin::Compiled))
    }
}

/// Plugins may each hold open files in their asset directories (up to
/// their WASI resource bound): lift the soft limit on open files to the
/// hard one, as servers do, so they cannot starve the process's own files.
fn raise_open_file_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: get/setrlimit only read and write the struct given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// Advances the engine's epoch every [`EPOCH_TICK`] for as long as the
/// engine lives, so a store's deadline (in ticks) interrupts runaway guests.
fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("reel-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawning the epoch thread");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::MemoryCap;

    /// A core module declaring `count` memories of 100 MiB each.
    fn memories(count: u8) -> Vec<u8> {
        // 1600 pages of 64 KiB, as LEB128.
        let mut section = vec![count];
        for _ in 0..count {
            section.extend([0x00, 0xc0, 0x0c]);
        }
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        wasm.push(5); // the memory section
        wasm.push(section.len() as u8);
        wasm.extend(section);
        wasm
    }

    fn instantiate(runtime: &Runtime, wasm: &[u8], cap: usize) -> (bool, MemoryCap) {
        // The pool refuses some modules outright (too many memories).
        let Ok(module) = wasmtime::Module::new(&runtime.engine, wasm) else {
            return (false, MemoryCap::new(cap));
        };
        let mut store = wasmtime::Store::new(&runtime.engine, MemoryCap::new(cap));
        store.limiter(|cap| cap);
        let ok = wasmtime::Instance::new(&mut store, &module, &[]).is_ok();
        (ok, store.into_data())
    }

    /// The cap is for the whole instance: two memories of 100 MiB do not
    /// fit in 128 MiB although each would alone, and no instance can take
    /// more memories than its share of the pool.
    #[test]
    fn the_cap_covers_every_memory_and_the_pool_share_is_bounded() {
        let runtime = Runtime::new(None).unwrap();
        let (ok, cap) = instantiate(&runtime, &memories(1), 128 << 20);
        assert!(ok && cap.linear == 100 << 20);
        let (ok, cap) = instantiate(&runtime, &memories(2), 128 << 20);
        assert!(!ok && cap.denied, "two memories fitted in one cap");
        let (ok, _) = instantiate(&runtime, &memories(2), 256 << 20);
        assert!(ok);
        let (ok, _) = instantiate(&runtime, &memories(9), 4 << 30);
        assert!(!ok, "an instance took more memories than its share");
    }
}
