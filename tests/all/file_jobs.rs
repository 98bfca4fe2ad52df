//! File jobs a broadcaster can trust: exit 0 only when every frame went
//! through every stage (or the pipeline said failed frames may pass), a
//! service stop finishes the files, and mistakes that would fail later are
//! caught by `reel check`.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use reel_tests::{decode_frames, reel_bin, reel_in, test_plugin_path};

fn write_pipeline(dir: &Path, body: &str) -> String {
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, body).unwrap();
    path.to_str().unwrap().to_string()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A 1 s white test clip through the hostile plugin in `mode`, with
/// `extra` lines in its stage, into out.mp4.
fn hostile_job(mode: &str, extra: &str) -> String {
    format!(
        r#"
[[source]]
id = "main"
testsrc = {{ pattern = "white", size = "64x48", rate = 25, seconds = 1 }}

[[stage]]
id = "fragile"
plugin = "{}"
params = {{ mode = "{mode}" }}
input = "main"
{extra}

[[sink]]
input = "fragile"
file = "out.mp4"
"#,
        test_plugin_path("hostile").display()
    )
}

/// A plugin failing on frames fails a file job where the pipeline does
/// not say failed frames may pass: exit 1, no output, the stage and the
/// frame named, and how to allow it.
#[test]
fn a_failing_stage_fails_a_file_job_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_pipeline(dir.path(), &hostile_job("trap", ""));
    let out = reel_in(dir.path(), &["run", &path]);
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("stage `fragile` failed on frame 0"), "{text}");
    assert!(text.contains("--allow-failures"), "{text}");
    assert!(!text.contains(".rs("), "no source paths: {text}");
    assert!(!dir.path().join("out.mp4").exists());
    assert!(!dir.path().join(".out.mp4.partial").exists());

    // Allowed on the command line: every frame passes, and the summary
    // says how many failed and which.
    let out = reel_in(dir.path(), &["run", &path, "--allow-failures"]);
    let text = stderr(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("stage `fragile` failed on 5 frames (5 passed through unprocessed): frames 0, 1, 2, 3, 4"), "{text}");
    assert!(text.contains("(25 frames)"), "{text}");
    assert_eq!(decode_frames(&dir.path().join("out.mp4"), 64, 48).len(), 25);
}

/// `on_error = "drop"` written in the stage allows failures; the dropped
/// frames are missing from the output and named in the summary.
#[test]
fn dropped_frames_are_counted_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_pipeline(
        dir.path(),
        &hostile_job("error", "on_error = \"drop\"\nmax_failures = 1000"),
    );
    let out = reel_in(dir.path(), &["run", &path]);
    let text = stderr(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(
            "stage `fragile` failed on 25 frames (25 dropped): frames 0, 1, 2, 3, 4, ..."
        ),
        "{text}"
    );
    assert!(text.contains("(0 frames)"), "{text}");
}

/// Services and containers stop jobs with SIGTERM (and terminals hang up
/// with SIGHUP): both finish the files like a first Ctrl-C.
#[test]
fn sigterm_and_sighup_finish_a_playable_file() {
    for signal in [libc::SIGTERM, libc::SIGHUP] {
        let dir = tempfile::tempdir().unwrap();
        let path = write_pipeline(
            dir.path(),
            r#"
[[source]]
id = "main"
testsrc = { size = "160x120", rate = 25, seconds = 600 }

[[sink]]
input = "main"
file = "long.mp4"
video = { preset = "ultrafast" }
"#,
        );
        let child = Command::new(reel_bin())
            .args(["run", &path])
            .current_dir(dir.path())
            .env("REEL_CACHE_DIR", dir.path().join("cache"))
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_secs(3));
        // SAFETY: kill has no memory-safety preconditions.
        assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(130),
            "signal {signal}: {}",
            stderr(&out)
        );
        let frames = decode_frames(&dir.path().join("long.mp4"), 160, 120);
        assert!(
            frames.len() > 10,
            "signal {signal}: {} frames",
            frames.len()
        );
    }
}

/// A still image given as a clip points to `images`; a FIFO given as a
/// clip is refused at once instead of hanging the check.
#[test]
fn stills_and_fifos_given_as_clips_are_caught_by_check() {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("gst-launch-1.0")
        .args([
            "-q",
            "videotestsrc",
            "num-buffers=1",
            "!",
            "pngenc",
            "!",
            "filesink",
        ])
        .arg(format!(
            "location={}",
            dir.path().join("logo.png").display()
        ))
        .status()
        .unwrap();
    assert!(status.success());
    let clip = |source: &str| {
        format!("[[source]]\nid = \"main\"\n{source}\n\n[[sink]]\ninput = \"main\"\nnull = true\n")
    };
    let path = write_pipeline(dir.path(), &clip(r#"file = "logo.png""#));
    let out = reel_in(dir.path(), &["check", &path]);
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("pipeline.toml:3:"), "{text}");
    assert!(
        text.contains("still image") && text.contains("images = {"),
        "{text}"
    );

    let fifo = dir.path().join("feed.ts");
    let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    for source in [
        r#"file = "feed.ts""#.to_string(),
        format!("uri = \"file://{}\"", fifo.display()),
    ] {
        let path = write_pipeline(dir.path(), &clip(&source));
        let started = std::time::Instant::now();
        let out = reel_in(dir.path(), &["check", &path]);
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(text.contains("is not a regular file"), "{text}");
        assert!(started.elapsed() < Duration::from_secs(15));
    }
}
