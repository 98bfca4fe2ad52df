//! The programme's sound reaching plugins (contract 0.1.6, `audio`): the
//! `soundmeter` test plugin paints each frame by the level of the sound
//! the host hands it and writes what it got as frame metadata.

use std::path::Path;

use std::collections::HashMap;

use reel_tests::{
    decode_frames, frames_following, gst_launch, padded_wav, pull_samples, reel_in, speech,
    stderr_text, test_plugin_path, write_pipeline, write_wav,
};

const RATE: u32 = 48_000;

/// 1 s of 440 Hz at half scale, 1 s of silence, 1 s of 5 kHz at half
/// scale: stereo at 48 kHz.
fn tones(path: &Path) {
    let samples: Vec<f32> = (0..3 * RATE)
        .map(|i| {
            let t = i as f32 / RATE as f32;
            let freq = match i / RATE {
                0 => 440.0,
                1 => return 0.0,
                _ => 5000.0,
            };
            0.5 * (std::f32::consts::TAU * freq * t).sin()
        })
        .collect();
    write_wav(path, RATE, 2, &samples);
}

/// Each frame's `sound.*` metadata from `wasmfilter plugin=soundmeter`
/// following the sound of `audio` over `frames` frames of 30 fps video.
fn metered(audio: &str, frames: usize) -> Vec<HashMap<String, String>> {
    frames_following(
        audio,
        frames,
        &format!("plugin={}", test_plugin_path("soundmeter").display()),
    )
}

fn number(meta: &HashMap<String, String>, key: &str) -> f64 {
    meta.get(key)
        .unwrap_or_else(|| panic!("no {key} in {meta:?}"))
        .parse()
        .unwrap()
}

#[test]
fn each_frame_gets_the_sound_that_plays_during_it() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("tones.wav");
    tones(&wav);
    let frames = metered(
        &format!("filesrc location={} ! wavparse", wav.display()),
        90,
    );
    assert_eq!(frames.len(), 90);
    for (i, meta) in frames.iter().enumerate() {
        assert_eq!(number(meta, "sound.rate"), RATE as f64, "frame {i}");
        assert_eq!(number(meta, "sound.frame_samples"), 1600.0, "frame {i}");
        assert_eq!(number(meta, "sound.missing"), 0.0, "frame {i}");
        // 100 ms of look-ahead, less where the sound ends.
        let ahead = number(meta, "sound.lookahead_samples");
        let left = (3 * RATE) as f64 - (i as f64 + 1.0) * 1600.0;
        assert_eq!(ahead, left.min(4800.0), "frame {i}");
        let level = number(meta, "sound.level");
        let bands: Vec<f64> = meta["sound.bands"]
            .split(',')
            .map(|b| b.parse().unwrap())
            .collect();
        let loudest = (0..6)
            .max_by(|&a, &b| bands[a].total_cmp(&bands[b]))
            .unwrap();
        match i / 30 {
            // Half scale: -9 dBFS; 440 Hz in the first formant's band,
            // 5 kHz in the sibilants'.
            0 | 2 => {
                assert!((level + 9.03).abs() < 0.3, "frame {i}: {meta:?}");
                assert_eq!(loudest, if i < 30 { 1 } else { 4 }, "frame {i}: {meta:?}");
                assert!((number(meta, "sound.peak") + 6.02).abs() < 0.3);
            }
            _ => assert_eq!(level, -120.0, "frame {i}: {meta:?}"),
        }
        // The host's level is the frame's own samples'.
        assert!((number(meta, "sound.own_level") - level).abs() < 0.05);
    }
    // The look-ahead is what plays just after the frame: silence after
    // the first tone, the second tone after the silence.
    assert_eq!(number(&frames[29], "sound.lookahead_level"), -120.0);
    assert!(number(&frames[59], "sound.lookahead_level") > -10.0);
}

#[test]
fn voice_activity_tells_speech_from_silence() {
    let dir = tempfile::tempdir().unwrap();
    let voice = speech(
        dir.path(),
        "Good evening, here is the news. The river rose again tonight.",
    );
    let padded = dir.path().join("padded.wav");
    let frames = padded_wav(&padded, &voice).len() * 30 / RATE as usize;
    let metered = metered(
        &format!("filesrc location={} ! wavparse", padded.display()),
        frames,
    );
    assert_eq!(metered.len(), frames);
    let voice = |range: std::ops::Range<usize>| -> Vec<f64> {
        range.map(|i| number(&metered[i], "sound.voice")).collect()
    };
    let before = voice(0..27);
    let during = voice(33..frames - 33);
    let after = voice(frames - 27..frames);
    let speaking = during.iter().filter(|v| **v > 0.5).count();
    println!(
        "voice: silence before max {:.2}, speech {speaking} of {} frames over 0.5, silence after max {:.2}",
        before.iter().fold(0f64, |m, v| m.max(*v)),
        during.len(),
        after.iter().fold(0f64, |m, v| m.max(*v))
    );
    // Silence is not voice.
    assert!(before.iter().chain(&after).all(|v| *v == 0.0));
    assert!(speaking * 2 > during.len(), "{during:?}");
}

/// A stage that follows sound in a `reel run` file job: the sound of its
/// source's file, by time, into a playable output; and a job long enough
/// that the sound runs its 10 s ahead of the video and waits.
#[test]
fn a_pipeline_stage_follows_its_sources_sound() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("tones.wav");
    tones(&wav);
    let clip = dir.path().join("clip.mkv");
    gst_launch(&[
        "videotestsrc",
        "num-buffers=90",
        "pattern=black",
        "!",
        "video/x-raw,width=64,height=48,framerate=30/1",
        "!",
        "x264enc",
        "!",
        "matroskamux",
        "name=m",
        "!",
        "filesink",
        &format!("location={}", clip.display()),
        "filesrc",
        &format!("location={}", wav.display()),
        "!",
        "wavparse",
        "!",
        "m.",
    ]);
    let meter = test_plugin_path("soundmeter");
    let pipeline = |source: &str, output: &str| {
        write_pipeline(
            dir.path(),
            &format!(
                "[[source]]\nid = \"main\"\n{source}\n\n[[stage]]\nid = \"meter\"\nplugin = \"{}\"\ninput = \"main\"\n\n[[sink]]\ninput = \"meter\"\nfile = \"{output}\"\n",
                meter.display()
            ),
        )
    };
    let path = pipeline(&format!("file = \"{}\"", clip.display()), "out.mp4");
    let out = reel_in(dir.path(), &["run", &path]);
    assert!(out.status.success(), "{}", stderr_text(&out));
    let frames = decode_frames(&dir.path().join("out.mp4"), 64, 48);
    assert_eq!(frames.len(), 90);
    for (i, f) in frames.iter().enumerate() {
        // Tone: luma 235 (about 255 as RGB); silence: 16 (about 0). Not
        // at the changes: Matroska keeps times to the millisecond, so a
        // few samples may cross into the neighbouring frame.
        if [29, 30, 59, 60].contains(&i) {
            continue;
        }
        let bright = f[0] > 200;
        assert_eq!(bright, i / 30 != 1, "frame {i}: {}", f[0]);
    }

    let path = pipeline(
        "testsrc = { pattern = \"black\", size = \"64x48\", rate = 30, seconds = 15 }",
        "long.mp4",
    );
    let out = reel_in(dir.path(), &["run", &path]);
    assert!(out.status.success(), "{}", stderr_text(&out));
    let frames = decode_frames(&dir.path().join("long.mp4"), 64, 48);
    assert_eq!(frames.len(), 450);
    assert!(frames.iter().all(|f| f[0] > 200));
}

#[test]
fn a_live_stage_never_waits_for_sound() {
    // Nothing feeds the channel: a live stage's frames go on, with
    // silence counted missing.
    let description = format!(
        "videotestsrc is-live=true num-buffers=15 ! video/x-raw,format=I420,width=64,height=48,framerate=30/1 \
         ! wasmfilter plugin={} sound=nobody-feeds-this ! appsink name=out",
        test_plugin_path("soundmeter").display()
    );
    let started = std::time::Instant::now();
    let samples = pull_samples(&description, usize::MAX);
    assert_eq!(samples.len(), 15);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    for s in &samples {
        let meta: HashMap<String, String> = gstreel::frame_meta::read(s.buffer().unwrap())
            .into_iter()
            .collect();
        assert_eq!(number(&meta, "sound.level"), -120.0, "{meta:?}");
        assert_eq!(
            number(&meta, "sound.missing"),
            number(&meta, "sound.frame_samples"),
            "{meta:?}"
        );
    }
}

#[test]
fn a_stage_following_sound_over_a_silent_source_is_warned_of() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_pipeline(
        dir.path(),
        &format!(
            "[[source]]\nid = \"main\"\ntestsrc = {{ size = \"64x48\", seconds = 1, audio = false }}\n\n[[stage]]\nid = \"meter\"\nplugin = \"{}\"\ninput = \"main\"\n\n[[sink]]\ninput = \"meter\"\nfile = \"out.mp4\"\n",
            test_plugin_path("soundmeter").display()
        ),
    );
    let out = reel_in(dir.path(), &["check", &path]);
    assert!(out.status.success());
    let text = stderr_text(&out);
    assert!(
        text.contains("pipeline.toml:6:6")
            && text.contains("follows the programme's sound, but source `main` has none"),
        "{text}"
    );
}
