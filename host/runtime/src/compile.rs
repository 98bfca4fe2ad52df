//! Turning a plugin into machine code, within bounds. Cranelift's time and
//! memory grow with what a plugin's author chose to write (a pathological
//! function took 95 s and 874 MB), and compilation cannot be interrupted
//! from inside. So it runs in a child process, `reel-compile`, with a cap
//! on its memory, killed at a deadline or when the user interrupts (Ctrl-C
//! reaches the whole process group). The child sends back the serialized
//! artefact, which the host loads into its own engine.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use wasmtime::component::Component;
use wasmtime::{Config, Engine};

/// Bounds on loading one plugin.
#[derive(Clone, Copy, Debug)]
pub struct CompileLimits {
    /// Largest plugin file read.
    pub max_file_bytes: u64,
    /// Wall-clock time compilation may take.
    pub timeout: Duration,
    /// Memory the compiler may use.
    pub memory_bytes: u64,
}

impl Default for CompileLimits {
    fn default() -> Self {
        CompileLimits {
            max_file_bytes: 256 << 20,
            timeout: Duration::from_secs(120),
            memory_bytes: 4 << 30,
        }
    }
}

/// The compiler program: `$REEL_COMPILER`, else `reel-compile` next to the
/// running program or to the library holding this code (the GStreamer
/// plugin inside gst-launch), or one folder up from cargo's `deps/`.
fn compiler_program() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("REEL_COMPILER") {
        return Some(path.into());
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        dirs.push(dir.to_path_buf());
    }
    if let Some(dir) = this_library().as_deref().and_then(Path::parent) {
        dirs.push(dir.to_path_buf());
    }
    for dir in dirs.clone() {
        if dir.file_name().is_some_and(|n| n == "deps")
            && let Some(up) = dir.parent()
        {
            dirs.push(up.to_path_buf());
        }
    }
    dirs.into_iter()
        .map(|d| d.join("reel-compile"))
        .find(|p| p.is_file())
}

/// The file this code was loaded from (a shared library or the program).
fn this_library() -> Option<PathBuf> {
    let mut info = std::mem::MaybeUninit::<libc::Dl_info>::zeroed();
    let here = this_library as fn() -> Option<PathBuf> as *const libc::c_void;
    // SAFETY: `here` is an address inside this object; dladdr only fills
    // `info`, whose strings live as long as the object stays loaded.
    let found = unsafe { libc::dladdr(here, info.as_mut_ptr()) };
    if found == 0 {
        return None;
    }
    // SAFETY: dladdr succeeded, so `info` is initialised.
    let info = unsafe { info.assume_init() };
    if info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: a NUL-terminated path owned by the dynamic loader.
    let name = unsafe { std::ffi::CStr::from_ptr(info.dli_fname) };
    use std::os::unix::ffi::OsStrExt;
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(name.to_bytes())))
}

/// The engine settings that decide what compiled code looks like; the
/// host adds its allocator (which does not change compiled code).
pub(crate) fn engine_config() -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true).epoch_interruption(true);
    config
}

/// Compiles `wasm` for `engine` within `limits`, in the child process when
/// it can be found (else in this process, bounded in time only).
pub(crate) fn compile(engine: &Engine, wasm: &[u8], limits: &CompileLimits) -> Result<Vec<u8>> {
    match compiler_program() {
        Some(program) => compile_in_child(&program, wasm, limits),
        None => compile_in_thread(engine, wasm, limits),
    }
}

/// Loads an artefact made by [`compile`] or read from the sealed cache.
pub(crate) fn load(engine: &Engine, artefact: &[u8]) -> Result<Component> {
    // SAFETY: artefacts come from our own compiler (a program of this
    // build, or this process) or from the cache, whose HMAC seal proves
    // this host wrote them; wasmtime checks the engine settings match.
    unsafe { Component::deserialize(engine, artefact) }.map_err(|e| anyhow!("{e:#}"))
}

fn compile_in_child(program: &Path, wasm: &[u8], limits: &CompileLimits) -> Result<Vec<u8>> {
    let mut child = Command::new(program)
        .env("REEL_COMPILE_MEMORY", limits.memory_bytes.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| anyhow!("cannot start the compiler {}: {e}", program.display()))?;
    let (mut stdin, stdout, stderr) =
        match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
            (Some(i), Some(o), Some(e)) => (i, o, e),
            _ => bail!("the compiler's pipes could not be opened"),
        };
    // Feed and drain on threads so neither side can block the other.
    let wasm = wasm.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&wasm);
    });
    let max_artefact = 1u64 << 30;
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.take(max_artefact + 1).read_to_end(&mut out);
        out
    });
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.take(64 << 10).read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > limits.timeout => {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "it took longer than {} s to compile, the most a plugin may take",
                    limits.timeout.as_secs_f64()
                );
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => bail!("waiting for the compiler: {e}"),
        }
    };
    let _ = feeder.join();
    let artefact = reader.join().unwrap_or_default();
    let message = errors.join().unwrap_or_default();
    if status.success() && artefact.len() as u64 <= max_artefact {
        return Ok(artefact);
    }
    use std::os::unix::process::ExitStatusExt;
    if message.contains("memory allocation") || message.contains("out of memory") {
        bail!(
            "compiling it needed more than {} MiB, the most a plugin may take",
            limits.memory_bytes >> 20
        );
    }
    match status.signal() {
        Some(libc::SIGINT) | Some(libc::SIGTERM) => bail!("compilation was interrupted"),
        Some(signal) => bail!("the compiler was stopped by signal {signal}"),
        None => bail!(
            "it is not a valid WebAssembly component: {}",
            message.trim()
        ),
    }
}

/// Without the compiler program: compile on a thread, give up waiting at
/// the deadline. The thread cannot be stopped; it finishes in the
/// background (this fallback bounds time, not memory).
fn compile_in_thread(engine: &Engine, wasm: &[u8], limits: &CompileLimits) -> Result<Vec<u8>> {
    let (engine, wasm) = (engine.clone(), wasm.to_vec());
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("reel-compile".into())
        .spawn(move || {
            let compiled = engine.precompile_component(&wasm);
            let _ = send.send(
                compiled.map_err(|e| anyhow!("it is not a valid WebAssembly component: {e:#}")),
            );
        })?;
    receive.recv_timeout(limits.timeout).unwrap_or_else(|_| {
        Err(anyhow!(
            "it took longer than {} s to compile, the most a plugin may take",
            limits.timeout.as_secs_f64()
        ))
    })
}

/// The `reel-compile` program: a component on stdin, its artefact on
/// stdout, within the memory given in `REEL_COMPILE_MEMORY`.
pub fn compiler_main() -> ExitCode {
    // Die with the host rather than compile for nobody.
    // SAFETY: prctl with these arguments only sets this process's signal.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    if let Some(bytes) = std::env::var("REEL_COMPILE_MEMORY")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        let limit = libc::rlimit {
            rlim_cur: bytes,
            rlim_max: bytes,
        };
        // SAFETY: a valid rlimit for this process.
        unsafe { libc::setrlimit(libc::RLIMIT_DATA, &limit) };
    }
    let mut wasm = Vec::new();
    let limit = CompileLimits::default().max_file_bytes;
    if let Err(e) = std::io::stdin().take(limit + 1).read_to_end(&mut wasm) {
        eprintln!("reading the component: {e}");
        return ExitCode::FAILURE;
    }
    let compiled = Engine::new(&engine_config()).and_then(|e| e.precompile_component(&wasm));
    match compiled {
        Ok(artefact) => match std::io::stdout().lock().write_all(&artefact) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("writing the artefact: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("{e:#}");
            ExitCode::FAILURE
        }
    }
}
