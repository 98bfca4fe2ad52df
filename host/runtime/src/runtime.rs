//! The one wasmtime engine a process uses: compilation settings, the
//! pooling allocator, the epoch ticker behind CPU deadlines, the artefact
//! cache and the plugins loaded so far.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::bindings::Plugin as PluginWorld;
use crate::cache::{self, Cache, Origin};
use crate::plugin::Plugin;
use crate::sandbox::{MAX_MEMORY_BYTES, StoreState};

/// How often the epoch advances; deadlines are counted in these ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(1);

/// A loaded plugin and the file length and modification time it had.
type Loaded = (u64, std::time::SystemTime, Arc<Plugin>);

pub struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<StoreState>,
    cache: Option<Cache>,
    /// Loaded plugins by canonical path, with the file's length and
    /// modification time so an edited file is loaded again.
    loaded: Mutex<HashMap<PathBuf, Loaded>>,
}

impl Runtime {
    /// The process-wide runtime, created on first use.
    pub fn global() -> Result<Arc<Runtime>> {
        static GLOBAL: OnceLock<Result<Arc<Runtime>, String>> = OnceLock::new();
        GLOBAL
            .get_or_init(|| {
                Runtime::new(Cache::default_dir().as_deref())
                    .map(Arc::new)
                    .map_err(|e| format!("{e:#}"))
            })
            .clone()
            .map_err(anyhow::Error::msg)
    }

    /// A runtime caching compiled plugins in `cache_dir` (None: no cache).
    pub fn new(cache_dir: Option<&Path>) -> Result<Runtime> {
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(64)
            .total_core_instances(640)
            .total_memories(128)
            .total_tables(640)
            .max_memories_per_component(8)
            .max_memory_size(MAX_MEMORY_BYTES);
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(|e| anyhow::anyhow!("{e:#}"))?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| anyhow::anyhow!("{e:#}"))?;
        PluginWorld::add_to_linker::<StoreState, HasSelf<StoreState>>(&mut linker, |s| s)
            .map_err(|e| anyhow::anyhow!("{e:#}"))?;
        crate::host_kernels::add_direct_write_rows(&mut linker)
            .map_err(|e| anyhow::anyhow!("{e:#}"))?;

        start_epoch_ticker(&engine);
        // A cache that cannot be opened (read-only home, foreign owner) is
        // not fatal: plugins are compiled every run instead.
        let cache = cache_dir.and_then(|dir| Cache::open(dir, &engine).ok());
        Ok(Runtime {
            engine,
            linker,
            cache,
            loaded: Mutex::new(HashMap::new()),
        })
    }

    /// Loads the plugin at `path` (once per process while the file is
    /// unchanged): compile or fetch from cache, check its contract version,
    /// and read its description.
    pub fn load(&self, path: &Path) -> Result<Arc<Plugin>> {
        let canonical = path
            .canonicalize()
            .with_context(|| format!("plugin file {}", path.display()))?;
        let meta = std::fs::metadata(&canonical)?;
        let stamp = (meta.len(), meta.modified()?);
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

    fn load_uncached(&self, path: &Path) -> Result<Plugin> {
        let wasm = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let started = Instant::now();
        let (component, origin) = match &self.cache {
            Some(cache) => cache.load_or_compile(&self.engine, &wasm),
            None => cache::compile(&self.engine, &wasm).map(|c| (c, Origin::Compiled)),
        }
        .with_context(|| format!("{} is not a valid WebAssembly component", path.display()))?;
        Plugin::new(self, path, component, origin, started.elapsed())
            .with_context(|| format!("cannot use plugin {}", path.display()))
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
