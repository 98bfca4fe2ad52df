//! A file's sound tracks: every one kept, in order, unless the source
//! chooses some (`audio_tracks`); none is ever dropped silently.

use std::path::Path;

use reel_tests::{gst_launch, init_gst, reel_in, stderr_text as stderr, write_pipeline};

/// A 2 s clip with three sound tracks, tones of 300, 700 and 1500 Hz in
/// that order.
fn three_track_clip(dir: &Path) -> std::path::PathBuf {
    let clip = dir.join("tracks.mkv");
    let mut args: Vec<String> = [
        "videotestsrc",
        "num-buffers=50",
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
    ]
    .map(String::from)
    .to_vec();
    args.push(format!("location={}", clip.display()));
    for freq in [300, 700, 1500] {
        args.extend([
            "audiotestsrc".to_string(),
            format!("freq={freq}"),
            "num-buffers=100".into(),
            "samplesperbuffer=960".into(),
            "!".into(),
            "audio/x-raw,rate=48000,channels=1,format=S16LE".into(),
            "!".into(),
            "m.".into(),
        ]);
    }
    gst_launch(&args.iter().map(String::as_str).collect::<Vec<_>>());
    clip
}

/// The pitch of each sound track of the MP4 `path`, in the file's order,
/// measured by GStreamer decoding it again (zero crossings per second).
fn track_pitches(path: &Path) -> Vec<f64> {
    init_gst();
    let uri = gst::glib::filename_to_uri(path, None).unwrap();
    let info = gst_pbutils::Discoverer::new(gst::ClockTime::from_seconds(10))
        .unwrap()
        .discover_uri(&uri)
        .unwrap();
    (0..info.audio_streams().len())
        .map(|n| {
            let samples = reel_tests::pull_samples(
                &format!(
                    "filesrc location={} ! qtdemux name=d d.audio_{n} ! decodebin ! audioconvert ! \
                     audioresample ! audio/x-raw,format=S16LE,channels=1,rate=48000 ! \
                     appsink name=out sync=false",
                    path.display()
                ),
                usize::MAX,
            );
            let pcm: Vec<i16> = samples
                .iter()
                .flat_map(|s| {
                    let map = s.buffer().unwrap().map_readable().unwrap();
                    map.chunks_exact(2)
                        .map(|b| i16::from_le_bytes([b[0], b[1]]))
                        .collect::<Vec<_>>()
                })
                .collect();
            // Rising crossings with hysteresis: coding noise near zero
            // does not count.
            let (mut low, mut cycles) = (false, 0usize);
            for v in &pcm {
                if *v < -2000 {
                    low = true;
                } else if *v > 2000 && low {
                    low = false;
                    cycles += 1;
                }
            }
            cycles as f64 / (pcm.len() as f64 / 48_000.0)
        })
        .collect()
}

fn run_with(dir: &Path, choice: &str) -> std::process::Output {
    let path = write_pipeline(
        dir,
        &format!(
            "[[source]]\nid = \"main\"\nfile = \"tracks.mkv\"\n{choice}\n\n[[sink]]\ninput = \"main\"\nfile = \"out.mp4\"\n"
        ),
    );
    reel_in(dir, &["run", &path])
}

fn assert_pitches(found: &[f64], want: &[f64]) {
    assert_eq!(found.len(), want.len(), "{found:?} against {want:?}");
    for (f, w) in found.iter().zip(want) {
        assert!((f - w).abs() < w * 0.03, "{found:?} against {want:?}");
    }
}

#[test]
fn every_sound_track_is_kept_in_order_unless_chosen() {
    let dir = tempfile::tempdir().unwrap();
    three_track_clip(dir.path());
    let out = dir.path().join("out.mp4");

    let run = run_with(dir.path(), "");
    assert!(run.status.success(), "{}", stderr(&run));
    assert_pitches(&track_pitches(&out), &[300.0, 700.0, 1500.0]);

    let run = run_with(dir.path(), "audio_tracks = [3, 1]");
    assert!(run.status.success(), "{}", stderr(&run));
    assert_pitches(&track_pitches(&out), &[1500.0, 300.0]);

    let run = run_with(dir.path(), "audio_tracks = \"none\"");
    assert!(run.status.success(), "{}", stderr(&run));
    assert_pitches(&track_pitches(&out), &[]);
}

#[test]
fn a_sound_track_that_is_not_there_is_a_check_error() {
    let dir = tempfile::tempdir().unwrap();
    three_track_clip(dir.path());
    for (choice, says) in [
        (
            "audio_tracks = [1, 4]",
            "has 3 sound tracks (1..=3); there is no track 4",
        ),
        ("audio_tracks = [2, 2]", "track 2 is listed twice"),
        (
            "audio_tracks = \"first\"",
            "must be \"all\", \"none\" or track numbers",
        ),
    ] {
        let run = run_with(dir.path(), choice);
        let text = stderr(&run);
        assert_eq!(run.status.code(), Some(2), "{choice}: {text}");
        assert!(text.contains("pipeline.toml:4:16"), "{choice}: {text}");
        assert!(text.contains(says), "{choice}: {text}");
        assert!(!dir.path().join("out.mp4").exists());
    }
}
