//! The sandbox's bounds where a user meets them: `reel run` and `reel
//! check` with misbehaving plugins, and gst-launch compiling one.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use reel_tests::{gst_launch, reel_bin, root, send_signal, test_plugin_path, write_pipeline};

fn reel(args: &[&str], dir: &Path) -> Output {
    reel_tests::reel_in(dir, args)
}

/// Waits at most `limit` for `child` to end.
fn wait_at_most(
    child: &mut std::process::Child,
    limit: Duration,
) -> Option<std::process::ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    None
}

/// A second Ctrl-C abandons the run at once, even while a plugin call is
/// in progress with a long deadline: the output is removed, exit 130.
#[test]
fn a_second_ctrl_c_abandons_the_run_during_a_plugin_call() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_pipeline(
        dir.path(),
        &format!(
            r#"
[[source]]
id = "main"
testsrc = {{ size = "64x48", rate = 25, seconds = 5 }}

[[stage]]
id = "sleepy"
plugin = "{}"
params = {{ mode = "sleep" }}
hang_guard_ms = 600000
input = "main"

[[sink]]
input = "sleepy"
file = "out.mp4"
"#,
            test_plugin_path("hostile").display()
        ),
    );
    let mut child = Command::new(reel_bin())
        .args(["run", &path])
        .current_dir(dir.path())
        .env("REEL_CACHE_DIR", dir.path().join("cache"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Long enough for check, start and the first plugin call to begin.
    std::thread::sleep(Duration::from_secs(4));
    assert!(child.try_wait().unwrap().is_none(), "the run is under way");
    send_signal(child.id() as i32, libc::SIGINT);
    std::thread::sleep(Duration::from_millis(500));
    send_signal(child.id() as i32, libc::SIGINT);
    let status = wait_at_most(&mut child, Duration::from_secs(10)).expect("reel stopped");
    assert_eq!(status.code(), Some(130));
    assert!(!dir.path().join("out.mp4").exists());
    assert!(!dir.path().join(".out.mp4.partial").exists());
}

fn chain(stages: usize) -> String {
    let mut text = String::from(
        r#"
[[source]]
id = "main"
testsrc = { pattern = "white", size = "32x16", rate = 10, seconds = 0.5, audio = false }
"#,
    );
    let mut input = "main".to_string();
    for i in 0..stages {
        text.push_str(&format!(
            "\n[[stage]]\nid = \"s{i}\"\nplugin = \"passthrough\"\ninput = \"{input}\"\n"
        ));
        input = format!("s{i}");
    }
    text.push_str(&format!("\n[[sink]]\ninput = \"{input}\"\nnull = true\n"));
    text
}

/// Every plugin stage holds an instance: 70 run; more than one process
/// can hold are refused by check, at the first stage over the limit.
#[test]
fn plugin_instances_are_counted_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_pipeline(dir.path(), &chain(70));
    let out = reel(&["run", &path], dir.path());
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");

    let path = write_pipeline(dir.path(), &chain(reel_runtime::MAX_INSTANCES + 2));
    let out = reel(&["check", &path], dir.path());
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    let first_over = format!("id = \"s{}\"", reel_runtime::MAX_INSTANCES);
    assert!(text.contains(&first_over), "{text}");
    assert!(text.contains("one process can run at most"), "{text}");
}

/// `reel plugin inspect` shows a hostile plugin's description with its
/// escape sequences written out, never acting on the terminal.
#[test]
fn plugin_inspect_prints_guest_text_sanitised() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = test_plugin_path("hostile");
    for args in [
        vec!["plugin", "inspect"],
        vec!["plugin", "inspect", "--json"],
    ] {
        let mut args: Vec<&str> = args;
        args.insert(2, hostile.to_str().unwrap());
        let out = reel(&args, dir.path());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains('\x1b') && !text.contains('\r'), "{text:?}");
        assert!(text.contains("forged: all is well"), "{text}");
    }
}

/// Whether a process named `name` has `parent` as its parent (from /proc).
fn has_child_named(parent: u32, name: &str) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|e| {
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        // pid (comm) state ppid ...
        let Some((comm, rest)) = stat.split_once(") ") else {
            return false;
        };
        let ppid = rest.split(' ').nth(1).and_then(|p| p.parse::<u32>().ok());
        comm.ends_with(&format!("({name}")) && ppid == Some(parent)
    })
}

/// gst-launch compiling a plugin stops on Ctrl-C (sent to its process
/// group, as a terminal does) instead of finishing the compilation first.
#[test]
fn gst_launch_stops_compiling_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let slow = dir.path().join("slow.wasm");
    std::fs::write(&slow, crate::loading::slow_to_compile()).unwrap();
    use std::os::unix::process::CommandExt;
    let mut child = Command::new("gst-launch-1.0")
        .args([
            "videotestsrc",
            "num-buffers=1",
            "!",
            "wasmfilter",
            &format!("plugin={}", slow.display()),
            "!",
            "fakesink",
        ])
        .env("GST_PLUGIN_PATH", root().join("target/release"))
        .env("REEL_CACHE_DIR", dir.path().join("cache"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    // Wait until the compiler runs as gst-launch's child.
    let started = Instant::now();
    while !has_child_named(child.id(), "reel-compile") {
        assert!(
            child.try_wait().unwrap().is_none(),
            "gst-launch ended before compiling"
        );
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no compiler started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let signalled = Instant::now();
    send_signal(-(child.id() as i32), libc::SIGINT);
    let status = wait_at_most(&mut child, Duration::from_secs(20)).expect("gst-launch stopped");
    assert!(!status.success());
    assert!(
        signalled.elapsed() < Duration::from_secs(3),
        "took {:?} after Ctrl-C",
        signalled.elapsed()
    );
}

/// A decoder's picture larger than the source allows fails the check at
/// the source, naming both sizes; `max_size` raises the limit.
#[test]
fn image_sources_limit_the_decoded_picture() {
    let dir = tempfile::tempdir().unwrap();
    gst_launch(&[
        "videotestsrc",
        "num-buffers=1",
        "!",
        "video/x-raw,width=64,height=40",
        "!",
        "pngenc",
        "!",
        "filesink",
        &format!("location={}", dir.path().join("big.png").display()),
    ]);
    let body = |max: &str| {
        format!(
            r#"
[[source]]
id = "logo"
images = {{ file = "big.png", seconds = 1, {max} }}

[[sink]]
input = "logo"
null = true
"#
        )
    };
    let path = write_pipeline(dir.path(), &body(r#"max_size = "32x32""#));
    let out = reel(&["check", &path], dir.path());
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("pipeline.toml:4:"), "{text}");
    assert!(
        text.contains("decoded a 64x40 picture, larger than the 32x32 allowed"),
        "{text}"
    );

    let path = write_pipeline(dir.path(), &body(r#"max_size = "64x40""#));
    let out = reel(&["check", &path], dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let path = write_pipeline(dir.path(), &body(r#"max_size = "99999x2""#));
    let out = reel(&["check", &path], dir.path());
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("max_size must be WIDTHxHEIGHT, each 1..=16384"),
        "{text}"
    );
}
