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

use crate::text::{MAX_LINE, sanitize};
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

/// Compiles `wasm` within `limits` in the `reel-compile` child process.
/// Without that program there is no way to bound compilation, so the
/// plugin is refused rather than compiled unbounded.
pub(crate) fn compile(wasm: &[u8], limits: &CompileLimits) -> Result<Vec<u8>> {
    let program = compiler_program().ok_or_else(|| {
        anyhow!(
            "the plugin compiler `reel-compile` was not found next to this program or libgstreel.so; set REEL_COMPILER to its path"
        )
    })?;
    compile_in_child(&program, wasm, limits)
}

/// Loads an artefact made by [`compile`] or read from the sealed cache.
pub(crate) fn load(engine: &Engine, artefact: &[u8]) -> Result<Component> {
    // SAFETY: artefacts come from our own compiler program or from the
    // cache, whose HMAC seal proves this host wrote them; wasmtime checks
    // that the engine settings match.
    unsafe { Component::deserialize(engine, artefact) }.map_err(|e| anyhow!("{e:#}"))
}

/// Largest artefact taken back from the compiler.
const MAX_ARTEFACT_BYTES: u64 = 1 << 30;

/// The wasm as a file the child reads as its stdin: unlike a pipe, a
/// child that stops reading early cannot leave the host writing into a
/// broken pipe (SIGPIPE kills gst-launch).
fn input_file(wasm: &[u8]) -> Result<std::fs::File> {
    use std::io::Seek;
    use std::os::fd::FromRawFd;
    // SAFETY: a NUL-terminated name; memfd_create returns a new descriptor
    // or -1.
    let fd = unsafe { libc::memfd_create(c"reel-plugin".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        bail!(
            "cannot hold the plugin for the compiler: {}",
            std::io::Error::last_os_error()
        );
    }
    // SAFETY: `fd` is a fresh descriptor owned by nothing else.
    let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
    file.write_all(wasm)?;
    file.rewind()?;
    Ok(file)
}

fn compile_in_child(program: &Path, wasm: &[u8], limits: &CompileLimits) -> Result<Vec<u8>> {
    let mut child = Command::new(program)
        .env("REEL_COMPILE_MEMORY", limits.memory_bytes.to_string())
        .env("REEL_COMPILE_MAX_INPUT", limits.max_file_bytes.to_string())
        .stdin(input_file(wasm)?)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| anyhow!("cannot start the compiler {}: {e}", program.display()))?;
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        bail!("the compiler's output could not be read");
    };
    // Drain both on threads so the child never blocks on a full pipe.
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.take(MAX_ARTEFACT_BYTES + 1).read_to_end(&mut out);
        out
    });
    let errors = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.take(64 << 10).read_to_end(&mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if started.elapsed() > limits.timeout => {
                break Err(anyhow!(
                    "it took longer than {} s to compile, the most a plugin may take",
                    limits.timeout.as_secs_f64()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => break Err(anyhow!("waiting for the compiler: {e}")),
        }
    };
    let status = match status {
        Ok(status) => status,
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
    };
    let artefact = reader.join().unwrap_or_default();
    let message = errors.join().unwrap_or_default();
    // The compiler's errors quote names from the plugin: guest text.
    let message = sanitize(String::from_utf8_lossy(&message).trim(), MAX_LINE);
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        None if status.success() && artefact.len() as u64 <= MAX_ARTEFACT_BYTES => Ok(artefact),
        None if status.success() => {
            bail!("its compiled code is larger than {MAX_ARTEFACT_BYTES} bytes")
        }
        // Rust reports a failed allocation, then aborts.
        Some(libc::SIGABRT) if message.contains("memory allocation of") => bail!(
            "compiling it needed more than {} MiB, the most a plugin may take",
            limits.memory_bytes >> 20
        ),
        Some(libc::SIGINT) | Some(libc::SIGTERM) => bail!("compilation was interrupted"),
        Some(signal) => bail!("the compiler was stopped by signal {signal}"),
        None => bail!("it is not a valid WebAssembly component: {message}"),
    }
}

/// The `reel-compile` program: a component on stdin, its artefact on
/// stdout, within the memory given in `REEL_COMPILE_MEMORY`.
pub fn compiler_main() -> ExitCode {
    // Die with the host rather than compile for nobody (and if the host is
    // already gone, do not start).
    // SAFETY: prctl with these arguments only sets this process's signal.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    // SAFETY: getppid has no preconditions and cannot fail.
    if unsafe { libc::getppid() } == 1 {
        return ExitCode::FAILURE;
    }
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
    let limit = std::env::var("REEL_COMPILE_MAX_INPUT")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(CompileLimits::default().max_file_bytes);
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
