//! The `reel` command end to end: pipelines run file to file and their
//! output decoded again; every class of mistake reported at its
//! file:line:column with a non-zero exit and no output left behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use reel_tests::{decode_frames, decoded_span, png, test_plugin_path};

fn reel(args: &[&str], dir: &Path) -> Output {
    reel_tests::reel_in(dir, args)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Writes `body` as `pipeline.toml` in a fresh directory.
fn pipeline(body: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pipeline.toml");
    std::fs::write(&path, body).unwrap();
    (dir, path)
}

/// Whether `path` decodes to a video and an audio stream.
fn has_video_and_audio(path: &Path) -> bool {
    decoded_span(path, "video").is_some() && decoded_span(path, "audio").is_some()
}

const TEST_RUN: &str = r#"
[pipeline]
name = "t"

[[source]]
id = "main"
testsrc = { pattern = "white", size = "320x240", rate = 25, seconds = 2 }

[[stage]]
id = "neg"
plugin = "invert"
input = "main"

[[sink]]
input = "neg"
file = "out/result.mp4"
video = { preset = "ultrafast", crf = 20 }
"#;

#[test]
fn testsrc_pipeline_runs_file_to_file_with_audio_in_sync() {
    let (dir, path) = pipeline(TEST_RUN);
    let out = reel(&["run", path.to_str().unwrap()], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let result = dir.path().join("out/result.mp4");
    assert!(!dir.path().join("out/.result.mp4.partial").exists());
    let frames = decode_frames(&result, 320, 240);
    assert_eq!(frames.len(), 50);
    // White in, black out: the plugin ran on every frame.
    for (i, f) in frames.iter().enumerate() {
        let px = &f[(120 * 320 + 160) * 4..][..3];
        assert!(px.iter().all(|&c| c < 24), "frame {i}: {px:?}");
    }
    // Audio decoded again spans the same time as the video: in sync.
    let video = decoded_span(&result, "video").expect("a video stream");
    let audio = decoded_span(&result, "audio").expect("an audio stream");
    let secs = |d: Duration| d.as_secs_f64();
    assert!(
        secs(video.0) < 0.05 && (secs(video.1) - 2.0).abs() < 0.05,
        "video {video:?}"
    );
    assert!(
        (secs(audio.0) - secs(video.0)).abs() < 0.05,
        "audio starts at {audio:?}, video {video:?}"
    );
    assert!(
        (secs(audio.1) - secs(video.1)).abs() < 0.1,
        "audio ends at {audio:?}, video {video:?}"
    );
    // The end-of-run table names the stage.
    let text = stderr(&out);
    assert!(text.contains("neg") && text.contains("filter"), "{text}");
}

#[test]
fn file_source_keeps_every_frame_and_its_audio() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.mp4");
    let status = Command::new("gst-launch-1.0")
        .args([
            "-q",
            "-e",
            "videotestsrc",
            "num-buffers=40",
            "pattern=black",
            "!",
        ])
        .args([
            "video/x-raw,width=160,height=120,framerate=20/1",
            "!",
            "x264enc",
            "!",
            "mp4mux",
            "name=m",
            "!",
        ])
        .arg("filesink")
        .arg(format!("location={}", input.display()))
        .args([
            "audiotestsrc",
            "num-buffers=40",
            "samplesperbuffer=2400",
            "!",
            "audioconvert",
            "!",
            "avenc_aac",
            "!",
            "m.",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let path = dir.path().join("p.toml");
    std::fs::write(
        &path,
        r#"
[[source]]
id = "cam"
file = "input.mp4"

[[stage]]
id = "neg"
plugin = "invert"
input = "cam"

[[sink]]
input = "neg"
file = "result.mkv"
"#,
    )
    .unwrap();
    let out = reel(&["run", path.to_str().unwrap()], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let frames = decode_frames(&dir.path().join("result.mkv"), 160, 120);
    assert_eq!(frames.len(), 40);
    assert!(
        frames[20][(60 * 160 + 80) * 4] > 230,
        "black came out white"
    );
    assert!(has_video_and_audio(&dir.path().join("result.mkv")));
}

/// Writes one `pattern` picture of `w`x`h` as a PNG at `path`.

#[test]
fn image_sources_decode_stills_and_sequences_in_the_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    png(&dir.path().join("logo.png"), "red", 40, 30);
    for (i, colour) in ["red", "green", "blue"].iter().enumerate() {
        png(
            &dir.path().join(format!("seq_{:02}.png", i + 1)),
            colour,
            64,
            48,
        );
    }
    let testmix = test_plugin_path("testmix");
    let path = dir.path().join("p.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[[source]]
id = "main"
testsrc = {{ pattern = "white", size = "320x240", rate = 25, seconds = 1 }}

[[source]]
id = "logo"
images = {{ file = "logo.png" }}

[[source]]
id = "walk"
images = {{ file = "seq_%02d.png", rate = 10, seconds = 1 }}

[[stage]]
id = "mix"
plugin = "{}"
inputs = ["main", "logo"]
params = {{ x = 100, y = 60 }}

[[sink]]
input = "mix"
file = "mixed.mp4"

[[sink]]
input = "walk"
file = "walk.mkv"
video = {{ crf = 10 }}
"#,
            testmix.display()
        ),
    )
    .unwrap();
    let out = reel(&["run", path.to_str().unwrap()], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));

    // The still lasts as long as the main source and sits where it was put.
    let mixed = decode_frames(&dir.path().join("mixed.mp4"), 320, 240);
    assert_eq!(mixed.len(), 25);
    let px = &mixed[24][(75 * 320 + 120) * 4..][..3];
    assert!(
        px[0] > 200 && px[1] < 60 && px[2] < 60,
        "logo on the last frame: {px:?}"
    );

    // The sequence loops red, green, blue for 10 frames.
    let walk = decode_frames(&dir.path().join("walk.mkv"), 64, 48);
    assert_eq!(walk.len(), 10);
    let dominant = |f: &Vec<u8>| {
        let p = &f[(24 * 64 + 32) * 4..][..3];
        (0..3).max_by_key(|&c| p[c]).unwrap()
    };
    let order: Vec<usize> = walk.iter().map(dominant).collect();
    assert_eq!(order, [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);

    // A broken picture is refused by `check`, at the file.
    std::fs::write(dir.path().join("logo.png"), b"not a png").unwrap();
    let out = reel(&["check", path.to_str().unwrap()], dir.path());
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("p.toml:8:19:") && text.contains("logo.png"),
        "{text}"
    );
}

#[test]
fn set_overrides_a_parameter() {
    let (dir, path) = pipeline(TEST_RUN);
    let out = reel(
        &["run", path.to_str().unwrap(), "--set", "neg.strength=0"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let frames = decode_frames(&dir.path().join("out/result.mp4"), 320, 240);
    assert!(
        frames[10][(120 * 320 + 160) * 4] > 230,
        "strength 0 leaves white white"
    );

    let out = reel(
        &["check", path.to_str().unwrap(), "--set", "neg.strenght=1"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean `strength`"),
        "{}",
        stderr(&out)
    );
}

/// Through the binary, mistakes print as `file:line:column: message`,
/// with a count, and `check` and `run` both exit 2 (every class of mistake
/// is tested through the library, in `checks.rs`).
#[test]
fn mistakes_print_their_place_and_exit_2() {
    for (class, body, (line, column), phrase) in crate::checks::MISTAKES
        .iter()
        .filter(|(class, ..)| ["syntax", "missing plugin"].contains(class))
    {
        let (dir, path) = pipeline(body);
        for command in ["check", "run"] {
            let out = reel(&[command, path.to_str().unwrap()], dir.path());
            let text = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{class}: {text}");
            let location = format!("pipeline.toml:{line}:{column}:");
            assert!(
                text.contains(&location),
                "{class}: expected {location} in\n{text}"
            );
            assert!(
                text.contains(phrase),
                "{class}: expected `{phrase}` in\n{text}"
            );
            assert!(!text.contains("panicked"), "{class}: {text}");
        }
    }
    // Several problems at once, none of them leaking internals.
    let (dir, path) = pipeline(
        "[pipeline]\nnmae = \"x\"\n[[source]]\nid = \"main\"\ntestsrc = { rat = 25 }\n[[sink]]\ninput = \"main\"\nnull = true\n",
    );
    let out = reel(&["check", path.to_str().unwrap()], dir.path());
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("has 2 problems"), "{text}");
    assert!(
        !text.contains("GstPipeline") && !text.contains(".rs:"),
        "{text}"
    );
}

#[test]
fn corrupt_and_truncated_inputs_fail_cleanly_without_output() {
    let dir = tempfile::tempdir().unwrap();
    // A real clip, then a truncated copy and pure garbage.
    let good = dir.path().join("good.mp4");
    let status = Command::new("gst-launch-1.0")
        .args([
            "-q",
            "-e",
            "videotestsrc",
            "num-buffers=60",
            "!",
            "video/x-raw,width=160,height=120",
            "!",
        ])
        .args(["x264enc", "!", "mp4mux", "!", "filesink"])
        .arg(format!("location={}", good.display()))
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(dir.path().join("truncated.mp4"), &bytes[..bytes.len() / 2]).unwrap();
    std::fs::write(dir.path().join("garbage.mp4"), vec![0x5au8; 50_000]).unwrap();
    for input in ["truncated.mp4", "garbage.mp4"] {
        let path = dir.path().join("p.toml");
        std::fs::write(
            &path,
            format!("[[source]]\nid = \"in\"\nfile = \"{input}\"\n[[sink]]\ninput = \"in\"\nfile = \"out.mp4\"\n"),
        )
        .unwrap();
        let out = reel(&["run", path.to_str().unwrap()], dir.path());
        let text = stderr(&out);
        assert!(!out.status.success(), "{input}: {text}");
        assert!(
            text.contains("source `in`") || text.contains("in-decode"),
            "{input}: {text}"
        );
        assert!(!dir.path().join("out.mp4").exists(), "{input}: no output");
        assert!(
            !dir.path().join(".out.mp4.partial").exists(),
            "{input}: no partial output"
        );
        assert!(!text.contains("panicked"), "{text}");
    }
}

#[test]
fn a_hanging_plugin_does_not_stop_the_run() {
    let hostile = test_plugin_path("hostile");
    let (dir, path) = pipeline(&format!(
        r#"
[[source]]
id = "main"
testsrc = {{ pattern = "white", size = "64x48", rate = 25, seconds = 1 }}

[[stage]]
id = "stuck"
plugin = "{}"
params = {{ mode = "loop" }}
hang_guard_ms = 20
on_error = "passthrough"
input = "main"

[[sink]]
input = "stuck"
file = "out.mp4"
"#,
        hostile.display()
    ));
    let out = reel(&["run", path.to_str().unwrap()], dir.path());
    let text = stderr(&out);
    assert!(out.status.success(), "{text}");
    assert_eq!(text.matches("is bypassed").count(), 1, "{text}");
    assert!(text.contains("20 ms of CPU time"), "{text}");
    // Every frame came through, unchanged (white stays white).
    let frames = decode_frames(&dir.path().join("out.mp4"), 64, 48);
    assert_eq!(frames.len(), 25);
    assert!(frames.iter().all(|f| f[(24 * 64 + 32) * 4] > 230));
}

#[test]
fn plugin_inspect_list_and_graph() {
    let dir = tempfile::tempdir().unwrap();
    let out = reel(&["plugin", "inspect", "invert", "--json"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["name"], "invert");
    assert_eq!(json["kind"], "filter");
    assert_eq!(json["params"][0]["name"], "strength");
    assert_eq!(json["params"][0]["max"], 1.0);

    let out = reel(&["plugin", "inspect", "invert"], dir.path());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("strength") && table.contains("0..=1"),
        "{table}"
    );

    let out = reel(&["plugin", "list"], dir.path());
    let list = String::from_utf8_lossy(&out.stdout);
    for name in ["invert", "passthrough", "imagedec"] {
        assert!(list.contains(name), "{list}");
    }
    assert!(
        !list.contains("hostile"),
        "test plugins stay off the path: {list}"
    );

    let out = reel(&["plugin", "inspect", "nosuch"], dir.path());
    assert_eq!(out.status.code(), Some(2));

    let (dir, path) = pipeline(TEST_RUN);
    let out = reel(&["graph", path.to_str().unwrap()], dir.path());
    let dot = String::from_utf8_lossy(&out.stdout);
    assert!(
        dot.starts_with("digraph") && dot.contains("wasmfilter") || dot.contains("ReelWasmFilter"),
        "{dot}"
    );
}

/// A mistyped `REEL_CPU_LEVEL` stops the run with a message naming the
/// valid values, rather than quietly running another code path.
#[test]
fn an_unknown_cpu_level_is_an_error() {
    let (dir, path) = pipeline(
        "[[source]]\nid = \"main\"\ntestsrc = { size = \"64x48\", seconds = 1 }\n\n[[stage]]\nid = \"neg\"\nplugin = \"invert\"\ninput = \"main\"\n\n[[sink]]\ninput = \"neg\"\nnull = true\n",
    );
    let run = |level: &str| {
        Command::new(reel_tests::reel_bin())
            .args(["check", path.to_str().unwrap()])
            .current_dir(dir.path())
            .env("REEL_CACHE_DIR", dir.path().join("cache"))
            .env("REEL_CPU_LEVEL", level)
            .output()
            .unwrap()
    };
    let out = run("avx512");
    let text = stderr(&out);
    assert_ne!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("REEL_CPU_LEVEL=`avx512` is not one of baseline, sse4.1, avx2"),
        "{text}"
    );
    for level in ["baseline", "sse4.1", "avx2"] {
        let out = run(level);
        assert!(out.status.success(), "{level}: {}", stderr(&out));
    }
}
