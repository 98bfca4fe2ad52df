//! Loading a plugin is bounded like running one: the file's size, the
//! time and memory its compilation takes, the size of its description and
//! the time `describe` takes. A plugin over any bound is refused with a
//! sentence saying which, quickly, and never hangs the host.

use std::time::{Duration, Instant};

use reel_runtime::{CompileLimits, Runtime};
use reel_tests::{plugin_path, runtime, test_plugin_path};

/// A component whose compilation takes seconds: many functions, each a
/// long chain of arithmetic and branches for Cranelift to optimise.
pub fn slow_to_compile() -> Vec<u8> {
    let mut body = String::new();
    for i in 0..2000 {
        body.push_str(&format!(
            "(local.set $a (i32.add (local.get $a) (i32.mul (local.get $b) (i32.const {i})))) \
             (block (br_if 0 (i32.eqz (local.get $a))) (local.set $b (i32.xor (local.get $b) (local.get $a)))) "
        ));
    }
    let functions: String = (0..150)
        .map(|f| {
            format!(
                "(func (export \"f{f}\") (param $a i32) (param $b i32) (result i32) {body} (local.get $a))"
            )
        })
        .collect();
    wat::parse_str(format!("(component (core module {functions}))")).expect("valid text")
}

fn limited(limits: CompileLimits) -> Runtime {
    Runtime::with_limits(None, limits).expect("runtime starts")
}

#[test]
fn a_plugin_file_larger_than_the_limit_is_not_read() {
    let limits = CompileLimits {
        max_file_bytes: 1000,
        ..CompileLimits::default()
    };
    let err = format!(
        "{:#}",
        limited(limits).load(&plugin_path("invert")).unwrap_err()
    );
    assert!(err.contains("more than the 1000 allowed"), "{err}");
}

#[test]
fn a_fifo_given_as_a_plugin_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plugin.wasm");
    let name = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    let err = format!("{:#}", runtime().load(&path).unwrap_err());
    assert!(err.contains("is not a regular file"), "{err}");
}

#[test]
fn compilation_past_its_deadline_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slow.wasm");
    std::fs::write(&path, slow_to_compile()).unwrap();
    // Unbounded, it takes seconds (it is a component, but not a plugin).
    let started = Instant::now();
    let err = format!(
        "{:#}",
        limited(CompileLimits::default()).load(&path).unwrap_err()
    );
    let full = started.elapsed();
    assert!(err.contains("not a Reel plugin"), "{err}");
    assert!(full > Duration::from_millis(1500), "compiled in {full:?}");

    let limits = CompileLimits {
        timeout: Duration::from_millis(300),
        ..CompileLimits::default()
    };
    let started = Instant::now();
    let err = format!("{:#}", limited(limits).load(&path).unwrap_err());
    assert!(err.contains("longer than 0.3 s to compile"), "{err}");
    assert!(
        started.elapsed() < full,
        "stopped after {:?}",
        started.elapsed()
    );
}

#[test]
fn compilation_over_its_memory_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slow.wasm");
    std::fs::write(&path, slow_to_compile()).unwrap();
    let limits = CompileLimits {
        memory_bytes: 64 << 20,
        ..CompileLimits::default()
    };
    let err = format!("{:#}", limited(limits).load(&path).unwrap_err());
    assert!(err.contains("needed more than 64 MiB"), "{err}");
}

#[test]
fn a_describe_that_sleeps_is_stopped_at_its_time_limit() {
    let started = Instant::now();
    let err = format!(
        "{:#}",
        runtime()
            .load(&test_plugin_path("slow_describe"))
            .unwrap_err()
    );
    assert!(err.contains("`describe` failed"), "{err}");
    assert!(err.contains("waited until the end of its time"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_huge_description_is_refused_at_once() {
    let started = Instant::now();
    let err = format!(
        "{:#}",
        runtime()
            .load(&test_plugin_path("huge_describe"))
            .unwrap_err()
    );
    assert!(
        err.contains("it declares 5000 parameters; at most 256 are allowed"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

/// A process has a fixed number of plugin instances: one more is refused
/// with a sentence saying so (not "trapped"), and a freed one is reused.
#[test]
fn instances_beyond_the_pool_are_refused_with_a_message() {
    use reel_runtime::{MAX_INSTANCES, OnError, SandboxConfig, Stage, StageSpec};
    // A runtime of its own: the tests running beside this one keep theirs.
    let runtime = Runtime::new(None).unwrap();
    let plugin = runtime.load(&plugin_path("passthrough")).unwrap();
    let spec = |i: usize| StageSpec {
        id: format!("s{i}"),
        plugin: plugin.clone(),
        params: Vec::new(),
        sandbox: SandboxConfig::default(),
        on_error: OnError::Fail,
        max_failures: 5,
        live: false,
    };
    let stages: Vec<Stage> = (0..MAX_INSTANCES)
        .map(|i| Stage::new(spec(i)).unwrap())
        .collect();
    let err = format!(
        "{:#}",
        Stage::new(spec(MAX_INSTANCES)).map(|_| ()).unwrap_err()
    );
    assert!(
        err.contains(&format!("already runs {MAX_INSTANCES} plugin instances")),
        "{err}"
    );
    drop(stages);
    Stage::new(spec(0)).unwrap();
}
