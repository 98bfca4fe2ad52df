//! File jobs a broadcaster can trust: exit 0 only when every frame went
//! through every stage (or the pipeline said failed frames may pass), a
//! service stop finishes the files, and mistakes that would fail later are
//! caught by `reel check`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use gst::prelude::*;

use reel_tests::{
    audio_overhang, decode_frames, gst_launch, reel_bin, reel_in, send_signal,
    stderr_text as stderr, test_plugin_path, write_pipeline,
};

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

/// Ctrl-C, and SIGTERM (services and containers stop jobs with it) and
/// SIGHUP (a terminal hanging up), all finish the files: playable, every
/// stream ending at the same time, exit 130.
#[test]
fn ctrl_c_sigterm_and_sighup_finish_a_playable_file() {
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
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
        send_signal(child.id() as i32, signal);
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(130),
            "signal {signal}: {}",
            stderr(&out)
        );
        let file = dir.path().join("long.mp4");
        let frames = decode_frames(&file, 160, 120);
        assert!(
            frames.len() > 10 && frames.len() < 15000,
            "signal {signal}: {} frames",
            frames.len()
        );
        // Cut short, the sound still ends with the pictures.
        let over = audio_overhang(&file);
        assert!(
            over.abs() < 0.045,
            "signal {signal}: audio lasts {over:.3} s longer"
        );
    }
}

/// The coded caps of an MP4's H.264 stream, as a player sees them.
fn h264_caps(path: &Path) -> String {
    let samples = reel_tests::pull_samples(
        &format!(
            "filesrc location={} ! qtdemux ! h264parse ! appsink name=out",
            path.display()
        ),
        1,
    );
    samples[0].caps().unwrap().to_string()
}

/// Whatever comes from upstream (videotestsrc offers 4:4:4 first), output
/// is 8-bit 4:2:0 High profile unless a sink asks otherwise; bitrate,
/// keyframe interval, profile and pixel format are honoured.
#[test]
fn outputs_play_everywhere_by_default_and_sink_settings_apply() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_pipeline(
        dir.path(),
        r#"
[[source]]
id = "main"
testsrc = { pattern = "smpte", size = "320x240", rate = 25, seconds = 2, audio = false }

[[sink]]
input = "main"
file = "default.mp4"

[[sink]]
input = "main"
file = "cbr.mp4"
video = { bitrate_kbps = 300, keyframe_interval = 10, profile = "main", tune = "film" }

[[sink]]
input = "main"
file = "master.mov"
video = { pixel_format = "yuv422p", crf = 12 }
"#,
    );
    let out = reel_in(dir.path(), &["run", &path]);
    assert!(out.status.success(), "{}", stderr(&out));
    let default = h264_caps(&dir.path().join("default.mp4"));
    for want in [
        "profile=(string)high,",
        "chroma-format=(string)4:2:0",
        "bit-depth-luma=(uint)8",
    ] {
        assert!(default.contains(want), "{want} in {default}");
    }
    let cbr = h264_caps(&dir.path().join("cbr.mp4"));
    assert!(cbr.contains("profile=(string)main,"), "{cbr}");
    // 300 kbit/s for 2 s: about 75 kB (the smpte bars need far more at
    // the default quality).
    let size = std::fs::metadata(dir.path().join("cbr.mp4")).unwrap().len();
    assert!((50_000..=100_000).contains(&size), "{size} bytes");
    let master = h264_caps(&dir.path().join("master.mov"));
    assert!(master.contains("profile=(string)high-4:2:2"), "{master}");
    assert!(master.contains("chroma-format=(string)4:2:2"), "{master}");
}

/// An output that is also an input, by another name or through a link, is
/// refused; --no-overwrite refuses an existing output and keeps it.
#[test]
fn inputs_are_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    gst_launch(&[
        "videotestsrc",
        "num-buffers=10",
        "!",
        "x264enc",
        "!",
        "mp4mux",
        "!",
        "filesink",
        &format!("location={}", clip.display()),
    ]);
    std::fs::create_dir(dir.path().join("out")).unwrap();
    std::os::unix::fs::symlink(&clip, dir.path().join("out/same.mp4")).unwrap();
    let before = std::fs::read(&clip).unwrap();
    for output in ["clip.mp4", "./out/../clip.mp4", "out/same.mp4"] {
        let path = write_pipeline(
            dir.path(),
            &format!(
                "[[source]]\nid = \"main\"\nfile = \"clip.mp4\"\n\n[[sink]]\ninput = \"main\"\nfile = \"{output}\"\n"
            ),
        );
        let out = reel_in(dir.path(), &["run", &path]);
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{output}: {text}");
        assert!(text.contains("is an input of source `main`"), "{text}");
    }
    assert_eq!(
        std::fs::read(&clip).unwrap(),
        before,
        "the input is untouched"
    );

    let existing = dir.path().join("taken.mp4");
    std::fs::write(&existing, b"keep me").unwrap();
    let path = write_pipeline(
        dir.path(),
        "[[source]]\nid = \"main\"\nfile = \"clip.mp4\"\n\n[[sink]]\ninput = \"main\"\nfile = \"taken.mp4\"\n",
    );
    let out = reel_in(dir.path(), &["run", &path, "--no-overwrite"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--no-overwrite"));
    assert_eq!(std::fs::read(&existing).unwrap(), b"keep me");
    // Without the flag it is replaced, on success.
    let out = reel_in(dir.path(), &["run", &path]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(decode_frames(&existing, 320, 240).len(), 10);
}

/// What would only fail once media flows is reported by `reel check`, at
/// the stage's line and column, in the pipeline's own terms.
#[test]
fn a_window_without_a_graphical_session_is_refused_by_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_pipeline(
        dir.path(),
        "[[source]]\nid = \"main\"\ntestsrc = { size = \"64x48\", seconds = 1 }\n\n[[sink]]\ninput = \"main\"\ndisplay = true\n",
    );
    // The environment is the binary's own: a test cannot change its own
    // safely while other tests run.
    let out = Command::new(reel_bin())
        .args(["check", &path])
        .current_dir(dir.path())
        .env("REEL_CACHE_DIR", dir.path().join("cache"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("pipeline.toml:7:11: display = true needs a graphical session"),
        "{text}"
    );
    assert!(
        !text.contains("GstPipeline") && !text.contains(".rs:"),
        "{text}"
    );
}

/// Mono 48 kHz samples of `path`'s first audio stream, decoded by
/// GStreamer.
fn audio_samples(path: &Path) -> Vec<i16> {
    let samples = reel_tests::pull_samples(
        &format!(
            "uridecodebin uri=file://{} caps=audio/x-raw ! audioconvert ! audioresample ! \
             audio/x-raw,format=S16LE,channels=1,rate=48000 ! appsink name=out sync=false",
            path.display()
        ),
        usize::MAX,
    );
    samples
        .iter()
        .flat_map(|s| {
            let map = s.buffer().unwrap().map_readable().unwrap();
            map.chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Where the loud ticks of `samples` start (one per burst).
fn tick_onsets(samples: &[i16]) -> Vec<usize> {
    let mut onsets: Vec<usize> = Vec::new();
    for (i, v) in samples.iter().enumerate() {
        if v.unsigned_abs() > 3000 && onsets.last().is_none_or(|&last| i > last + 4800) {
            onsets.push(i);
        }
    }
    onsets
}

/// Sound plays with its pictures: a tick in the input is heard at the
/// same time in the output (the AAC encoder's priming frame would put it
/// 21 ms late), and the sound ends with the video.
#[test]
fn audio_stays_in_sync_and_ends_with_the_video() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("ticks.mkv");
    gst_launch(&[
        "videotestsrc",
        "num-buffers=75",
        "!",
        "video/x-raw,width=160,height=120,framerate=25/1",
        "!",
        "x264enc",
        "!",
        "h264parse",
        "!",
        "matroskamux",
        "name=m",
        "!",
        "filesink",
        &format!("location={}", clip.display()),
        "audiotestsrc",
        "wave=ticks",
        "num-buffers=160",
        "samplesperbuffer=960",
        "!",
        "audio/x-raw,rate=48000,channels=1,format=S16LE",
        "!",
        "m.",
    ]);
    let path = write_pipeline(
        dir.path(),
        "[[source]]\nid = \"main\"\nfile = \"ticks.mkv\"\n\n[[sink]]\ninput = \"main\"\nfile = \"out.mp4\"\n",
    );
    let out = reel_in(dir.path(), &["run", &path]);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = tick_onsets(&audio_samples(&clip));
    let after = tick_onsets(&audio_samples(&dir.path().join("out.mp4")));
    assert!(before.len() >= 3, "{before:?}");
    // The first tick, at the very start, may be softened below the
    // threshold by the decoder starting up; the later ones are exact to a
    // millisecond (48 samples).
    for b in &before[1..] {
        let a = after.iter().min_by_key(|a| a.abs_diff(*b)).unwrap();
        assert!(
            b.abs_diff(*a) < 48,
            "tick at sample {b} came out at {a}: {before:?} {after:?}"
        );
    }
    // 160 buffers of 20 ms of sound against 3 s of video: the sound lasts
    // as long as the pictures (to within two AAC frames).
    let over = audio_overhang(&dir.path().join("out.mp4"));
    assert!(
        over.abs() < 0.045,
        "audio lasts {over:.3} s longer than the video"
    );
}

/// A clip whose frames come ever further apart (a phone slowing its
/// capture in low light): 120 raw frames, the n-th at n/40 + n²/3000 s.
fn slowing_clip(path: &Path) {
    reel_tests::init_gst();
    let pipeline = gst::parse::launch(&format!(
        "appsrc name=in format=time ! matroskamux ! filesink location={}",
        path.display()
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let src = pipeline
        .by_name("in")
        .unwrap()
        .downcast::<gst_app::AppSrc>()
        .unwrap();
    src.set_caps(Some(
        &gst::Caps::builder("video/x-raw")
            .field("format", "I420")
            .field("width", 160)
            .field("height", 120)
            .field("framerate", gst::Fraction::new(0, 1))
            .build(),
    ));
    pipeline.set_state(gst::State::Playing).unwrap();
    let at = |n: u64| gst::ClockTime::from_nseconds(n * 25_000_000 + n * n * 1_000_000_000 / 3000);
    for n in 0..120 {
        let mut buffer = gst::Buffer::from_mut_slice(vec![(n * 2) as u8; 160 * 120 * 3 / 2]);
        let b = buffer.get_mut().unwrap();
        b.set_pts(at(n));
        b.set_duration(at(n + 1) - at(n));
        src.push_buffer(buffer).unwrap();
    }
    src.end_of_stream().unwrap();
    let bus = pipeline.bus().unwrap();
    let ended = bus.timed_pop_filtered(
        gst::ClockTime::from_seconds(30),
        &[gst::MessageType::Eos, gst::MessageType::Error],
    );
    assert!(matches!(
        ended.map(|m| m.type_()),
        Some(gst::MessageType::Eos)
    ));
    pipeline.set_state(gst::State::Null).unwrap();
}

/// Variable-frame-rate input keeps every frame, and the run reports the
/// count it wrote: frames missing at random from a 30 fps clip, and frames
/// ever further apart (where the MP4 muxer's edit list used to end before
/// the last frames, so players never showed them).
#[test]
fn variable_frame_rate_input_keeps_every_frame() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("vfr.mp4");
    gst_launch(&[
        "videotestsrc",
        "num-buffers=150",
        "!",
        "video/x-raw,width=160,height=120,framerate=30/1",
        "!",
        "identity",
        "drop-probability=0.2",
        "!",
        "x264enc",
        "!",
        "h264parse",
        "!",
        "mp4mux",
        "!",
        "filesink",
        &format!("location={}", clip.display()),
    ]);
    slowing_clip(&dir.path().join("slowing.mkv"));
    for (name, frames) in [("vfr.mp4", None), ("slowing.mkv", Some(120))] {
        let input = decode_frames(&dir.path().join(name), 160, 120).len();
        assert!(
            (90..150).contains(&input) && frames.is_none_or(|f| f == input),
            "{name}: {input} frames"
        );
        for output in ["out.mp4", "out.mov", "out.mkv"] {
            let path = write_pipeline(
                dir.path(),
                &format!(
                    "[[source]]\nid = \"main\"\nfile = \"{name}\"\n\n[[stage]]\nid = \"neg\"\nplugin = \"invert\"\ninput = \"main\"\n\n[[sink]]\ninput = \"neg\"\nfile = \"{output}\"\n"
                ),
            );
            let out = reel_in(dir.path(), &["run", &path]);
            let text = stderr(&out);
            assert!(out.status.success(), "{text}");
            assert!(
                text.contains(&format!("({input} frames)")),
                "{name} to {output}: {input}: {text}"
            );
            assert_eq!(
                decode_frames(&dir.path().join(output), 160, 120).len(),
                input,
                "{name} to {output}"
            );
        }
    }
}
