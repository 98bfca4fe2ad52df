//! The `watermark` plugin and `reel watermark`: the invisible mark read
//! back exactly after broadcast attacks (real x264 re-encodes, scaling,
//! crops, brightness, contrast, frame-rate changes made with GStreamer),
//! no false alarm on unmarked clips or wrong keys, invisibility, the
//! visible mark, and keys that never show.

use std::path::{Path, PathBuf};

use image::imageops::FilterType;
use reel_kernels::{Format, Layout};
use reel_runtime::{HostFrame, ParamValue, Pixels, Secret, Stage, Verdict};
use reel_tests::{
    file_job_spec, gst_launch, plugin_path, reel_in, root, stderr_text, write_pipeline,
};
use reel_watermark::{Detector, Evidence, Key};

const PAYLOAD: &str = "0x0123456789abcdef";

/// A test key (64 hexadecimal digits), never for real use.
const FIXED_KEY: &str = "5eed5eed00112233445566778899aabbccddeeff0123456789abcdef00c0ffee";

/// A fresh key file (mode 600) in `dir`.
fn key_file(dir: &Path) -> PathBuf {
    let path = dir.join("test.key");
    let out = reel_in(
        dir,
        &["watermark", "keygen", "--out", path.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr_text(&out));
    path
}

/// Three seconds (90 frames) of 1080p at 30 fps from the repository's
/// clip of photographs (a shot and a cut into the next), nearly lossless.
/// `identity eos-after` stops GStreamer 1.22's decodebin a varying number
/// of frames late (and `splitmuxsink` cutting at 3 s sometimes hangs), so
/// the decoded frames are cut to exactly 90 before they are encoded.
fn source_clip(dir: &Path) -> PathBuf {
    const FRAMES: u64 = 90;
    const FRAME_BYTES: u64 = 1920 * 1080 * 3 / 2;
    let media = root().join("pipelines/media/photos.mp4");
    let raw = dir.join("source.yuv");
    gst_line(&format!(
        "filesrc location={} ! decodebin ! videoconvert ! videoscale ! videorate ! \
         video/x-raw,format=I420,width=1920,height=1080,framerate=30/1 ! identity eos-after=100 ! \
         filesink location={}",
        media.display(),
        raw.display()
    ));
    let file = std::fs::OpenOptions::new().write(true).open(&raw).unwrap();
    assert!(file.metadata().unwrap().len() >= FRAMES * FRAME_BYTES);
    file.set_len(FRAMES * FRAME_BYTES).unwrap();
    let out = dir.join("source.mp4");
    gst_line(&format!(
        "filesrc location={} ! rawvideoparse format=i420 width=1920 height=1080 framerate=30/1 ! \
         x264enc speed-preset=veryfast pass=qual quantizer=12 key-int-max=90 ! mp4mux ! \
         filesink location={}",
        raw.display(),
        out.display()
    ));
    std::fs::remove_file(&raw).unwrap();
    out
}

/// `input` marked by `reel run` into `dir/marked.mp4` (x264 CRF 18).
fn mark(dir: &Path, input: &Path, key: &Path) -> PathBuf {
    let out = run_watermark(
        dir,
        input,
        key,
        &format!("payload = \"{PAYLOAD}\""),
        "marked.mp4",
    );
    assert!(out.status.success(), "{}", stderr_text(&out));
    dir.join("marked.mp4")
}

/// `reel run` of `input` through a watermark stage `mark` with `params`
/// into `dir/output` (x264 CRF 18).
pub(crate) fn run_watermark(
    dir: &Path,
    input: &Path,
    key: &Path,
    params: &str,
    output: &str,
) -> std::process::Output {
    let pipeline = write_pipeline(
        dir,
        &format!(
            r#"
[[source]]
id = "clip"
file = "{}"

[[stage]]
id = "mark"
plugin = "{}"
input = "clip"
key_file = "{}"
params = {{ {params} }}

[[sink]]
input = "mark"
file = "{output}"
video = {{ preset = "veryfast", crf = 18 }}
"#,
            input.display(),
            plugin_path("watermark").display(),
            key.display()
        ),
    );
    reel_in(dir, &["run", &pipeline])
}

/// `reel watermark detect --json` on `input`: its exit code and report.
fn detect(dir: &Path, input: &Path, key: &Path) -> (i32, serde_json::Value) {
    let out = reel_in(
        dir,
        &[
            "watermark",
            "detect",
            input.to_str().unwrap(),
            "--key-file",
            key.to_str().unwrap(),
            "--json",
        ],
    );
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", stderr_text(&out)));
    (out.status.code().unwrap_or(-1), report)
}

/// `input` through GStreamer's `transform` (may be empty) and x264
/// (veryfast, constant quality `crf`) into `dir/name.mp4`.
fn attack(dir: &Path, input: &Path, name: &str, transform: &[&str], crf: u32) -> PathBuf {
    let out = dir.join(format!("{name}.mp4"));
    let mut args = vec![
        "filesrc".to_string(),
        format!("location={}", input.display()),
        "!".into(),
        "decodebin".into(),
        "!".into(),
        "videoconvert".into(),
        "!".into(),
    ];
    for part in transform {
        args.push(part.to_string());
    }
    if !transform.is_empty() {
        args.push("!".into());
    }
    args.extend(
        [
            "videoconvert",
            "!",
            "x264enc",
            "speed-preset=veryfast",
            "pass=qual",
            &format!("quantizer={crf}"),
            "!",
            "mp4mux",
            "!",
            "filesink",
            &format!("location={}", out.display()),
        ]
        .map(String::from),
    );
    gst_launch(&args.iter().map(String::as_str).collect::<Vec<_>>());
    out
}

/// The issue's attacks, each from the marked 1080p clip, each read back
/// to the exact 64-bit payload by the detector's 3-second windows, down to
/// 480p at CRF 28.
#[test]
fn the_payload_survives_broadcast_attacks() {
    let dir = tempfile::tempdir().unwrap();
    // One fixed key, so the test's outcome does not depend on the draw: how
    // the mark fares across fresh keys is the bench's to measure
    // (tests/bench/watermark_keys.sh).
    let key = dir.path().join("fixed.key");
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&key)
            .unwrap();
        std::io::Write::write_all(&mut f, FIXED_KEY.as_bytes()).unwrap();
    }
    let marked = mark(dir.path(), &source_clip(dir.path()), &key);
    let (code, report) = detect(dir.path(), &marked, &key);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["payload"], PAYLOAD);

    let scale = |w: u32, h: u32| format!("videoscale ! video/x-raw,width={w},height={h}");
    let crop = "videocrop left=96 right=96 top=54 bottom=54".to_string();
    let attacks: Vec<(&str, String, u32)> = vec![
        ("x264 CRF 23", String::new(), 23),
        ("x264 CRF 28", String::new(), 28),
        ("720p", scale(1280, 720), 23),
        ("480p", scale(854, 480), 23),
        ("720p, CRF 28", scale(1280, 720), 28),
        ("480p, CRF 28", scale(854, 480), 28),
        ("brightness +10%", "videobalance brightness=0.1".into(), 23),
        ("brightness -10%", "videobalance brightness=-0.1".into(), 23),
        ("contrast x0.8", "videobalance contrast=0.8".into(), 23),
        ("contrast x1.2", "videobalance contrast=1.2".into(), 23),
        ("5% crop each side", crop.clone(), 23),
        (
            "5% crop, scaled back",
            format!("{crop} ! {}", scale(1920, 1080)),
            23,
        ),
        (
            "30 to 25 fps",
            "videorate ! video/x-raw,framerate=25/1".into(),
            23,
        ),
    ];
    let mut failed = Vec::new();
    for (i, (name, transform, crf)) in attacks.iter().enumerate() {
        let parts: Vec<&str> = transform.split(' ').filter(|p| !p.is_empty()).collect();
        let attacked = attack(dir.path(), &marked, &format!("attack{i}"), &parts, *crf);
        let (code, report) = detect(dir.path(), &attacked, &key);
        println!(
            "{name:24} payload {} score {:.1} false-positive probability {}",
            report["payload"], report["score"], report["false_positive_probability"]
        );
        if code != 0 || report["payload"] != PAYLOAD {
            failed.push(*name);
        }
    }
    assert!(failed.is_empty(), "not read back after: {failed:?}");
}

/// 100 unmarked clips (stills of the repository's photographs and film
/// set, cropped and zoomed differently, 30 frames each with sensor
/// noise), and the marked clip read with 100 wrong keys: nothing is
/// reported, and the scores stay under the threshold.
#[test]
fn no_false_alarms_on_unmarked_clips_or_wrong_keys() {
    let key = Key::parse(&"5a".repeat(32)).unwrap();
    let detector = Detector::new(&key);
    let mut stills: Vec<PathBuf> = std::fs::read_dir(root().join("pipelines/media/film"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    stills.sort();
    for photo in [
        "coffee.png",
        "chelsea.png",
        "astronaut.png",
        "hubble_deep_field.jpg",
    ] {
        stills.push(root().join("pipelines/media").join(photo));
    }
    let mut scores = Vec::new();
    let mut state = 99u64;
    for clip in 0..100 {
        let still = image::open(&stills[clip % stills.len()])
            .unwrap()
            .to_luma8();
        // A different crop and zoom for each clip.
        let (w, h) = (still.width(), still.height());
        let k = 0.6 + 0.4 * ((clip * 37) % 100) as f32 / 100.0;
        let (cw, ch) = ((w as f32 * k) as u32, (h as f32 * k) as u32);
        let (x, y) = (
            (w - cw) * (clip as u32 % 3) / 2,
            (h - ch) * (clip as u32 % 5) / 4,
        );
        let picture = image::imageops::resize(
            &image::imageops::crop_imm(&still, x, y, cw, ch).to_image(),
            854,
            480,
            FilterType::Triangle,
        );
        let mut evidence = Evidence::new(854, 480);
        for _ in 0..30 {
            let frame: Vec<u8> = picture
                .as_raw()
                .iter()
                .map(|&v| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (v as i32 + (state >> 62) as i32 - 2).clamp(0, 255) as u8
                })
                .collect();
            evidence.add_frame(&frame, 854, 480, 854);
        }
        let reading = detector.read(&evidence);
        assert_eq!(reading.payload, None, "clip {clip}: {reading:?}");
        scores.push(reading.score);
    }
    // The marked clip's evidence, with wrong keys.
    let marked_key = Key::from_bytes([7; 32]);
    let picture = image::open(root().join("pipelines/media/astronaut.png"))
        .unwrap()
        .to_luma8();
    let picture = image::imageops::resize(&picture, 854, 480, FilterType::Triangle);
    let mut embedder =
        reel_watermark::Embedder::new(&marked_key, 0x0123_4567_89AB_CDEF, 854, 480, 1.0);
    let mut evidence = Evidence::new(854, 480);
    for _ in 0..30 {
        let mut frame = picture.as_raw().clone();
        embedder.embed(&mut frame, 854);
        evidence.add_frame(&frame, 854, 480, 854);
    }
    assert_eq!(
        Detector::new(&marked_key).read(&evidence).payload,
        Some(0x0123_4567_89AB_CDEF),
        "the right key reads it"
    );
    for k in 0..100u8 {
        let mut bytes = [k; 32];
        bytes[31] = 0xEE;
        let reading = Detector::new(&Key::from_bytes(bytes)).read(&evidence);
        assert_eq!(reading.payload, None, "wrong key {k}: {reading:?}");
        scores.push(reading.score);
    }
    scores.sort_by(f32::total_cmp);
    let max = scores[scores.len() - 1];
    println!(
        "200 readings without the mark: score median {:.2}, 99th {:.2}, max {max:.2} (threshold {})",
        scores[100],
        scores[198],
        reel_watermark::detect::THRESHOLD
    );
    assert!(max < reel_watermark::detect::THRESHOLD, "{max}");
}

/// A marking stage on `key`, as a file job runs it.
fn marker(params: Vec<(String, ParamValue)>) -> Stage {
    let mut all = vec![
        (
            "key".to_string(),
            ParamValue::Secret(Secret::new("3c".repeat(32))),
        ),
        ("payload".to_string(), ParamValue::Text(PAYLOAD.into())),
    ];
    all.extend(params);
    let mut spec = file_job_spec("mark", &plugin_path("watermark"), all);
    spec.sandbox.assets = Some(root().join("assets/fonts"));
    Stage::new(spec).unwrap()
}

fn i420_luma(luma: &[u8], w: usize, h: usize) -> HostFrame {
    let layout = Layout::packed(Format::I420, w, h);
    let mut data = vec![128u8; layout.min_len()];
    data[..w * h].copy_from_slice(luma);
    HostFrame::new(layout, Pixels::Owned(data)).unwrap()
}

fn marked_luma(stage: &mut Stage, luma: &[u8], w: usize, h: usize) -> Vec<u8> {
    let (out, verdict) = stage.filter(i420_luma(luma, w, h));
    assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
    out.bytes().unwrap()[..w * h].to_vec()
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let mse = a
        .iter()
        .zip(b)
        .map(|(x, y)| (*x as f64 - *y as f64).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    10.0 * (255.0 * 255.0 / mse).log10()
}

/// SSIM (Wang et al. 2004) of two luma planes, over 8x8 windows.
fn ssim(a: &[u8], b: &[u8], w: usize) -> f64 {
    let h = a.len() / w;
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let (mut sum, mut n) = (0.0, 0.0);
    for by in (0..h - 8).step_by(4) {
        for bx in (0..w - 8).step_by(4) {
            let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for y in by..by + 8 {
                for x in bx..bx + 8 {
                    let (p, q) = (a[y * w + x] as f64, b[y * w + x] as f64);
                    sa += p;
                    sb += q;
                    saa += p * p;
                    sbb += q * q;
                    sab += p * q;
                }
            }
            let (ma, mb) = (sa / 64.0, sb / 64.0);
            let (va, vb, cov) = (
                saa / 64.0 - ma * ma,
                sbb / 64.0 - mb * mb,
                sab / 64.0 - ma * mb,
            );
            sum += ((2.0 * ma * mb + c1) * (2.0 * cov + c2))
                / ((ma * ma + mb * mb + c1) * (va + vb + c2));
            n += 1.0;
        }
    }
    sum / n
}

/// Invisibility: on 1080p photographs, PSNR at least 42 dB and SSIM at
/// least 0.99 against the unmarked frame; on flat grey and a slow
/// gradient the mark stays within one code value, at most 0.5 RMS.
#[test]
fn the_invisible_mark_is_invisible() {
    let (w, h) = (1920usize, 1080usize);
    let mut stage = marker(vec![]);
    for name in [
        "coffee.png",
        "astronaut.png",
        "chelsea.png",
        "hubble_deep_field.jpg",
    ] {
        let picture = image::open(root().join("pipelines/media").join(name))
            .unwrap()
            .to_luma8();
        let picture = image::imageops::resize(&picture, w as u32, h as u32, FilterType::CatmullRom);
        let before = picture.as_raw().clone();
        let after = marked_luma(&mut stage, &before, w, h);
        let (p, s) = (psnr(&before, &after), ssim(&before, &after, w));
        println!("{name}: PSNR {p:.2} dB, SSIM {s:.4}");
        assert!(p >= 42.0 && s >= 0.99, "{name}: PSNR {p}, SSIM {s}");
    }
    let grey = vec![128u8; w * h];
    let ramp: Vec<u8> = (0..w * h).map(|i| (60 + 40 * (i % w) / w) as u8).collect();
    for (name, before) in [("flat grey", grey), ("slow gradient", ramp)] {
        let after = marked_luma(&mut stage, &before, w, h);
        let diffs: Vec<i32> = before
            .iter()
            .zip(&after)
            .map(|(a, b)| *b as i32 - *a as i32)
            .collect();
        let max = diffs.iter().map(|d| d.abs()).max().unwrap();
        let rms = (diffs.iter().map(|d| (d * d) as f64).sum::<f64>() / diffs.len() as f64).sqrt();
        println!("{name}: the mark's RMS {rms:.3} code values, largest {max}");
        assert!(max <= 1 && rms <= 0.5, "{name}: max {max}, RMS {rms}");
    }
}

/// The visible mark: a logo with alpha (decoded in the sandbox) in the
/// chosen corner, the rest of the frame untouched; a text the same way.
#[test]
fn the_visible_mark_sits_in_its_corner() {
    let dir = tempfile::tempdir().unwrap();
    // A white disc on transparency.
    let logo = image::RgbaImage::from_fn(64, 64, |x, y| {
        let d = ((x as f32 - 31.5).powi(2) + (y as f32 - 31.5).powi(2)).sqrt();
        image::Rgba([255, 255, 255, if d < 28.0 { 255 } else { 0 }])
    });
    logo.save(dir.path().join("logo.png")).unwrap();
    let (w, h) = (640usize, 360usize);
    let grey = vec![60u8; w * h];
    for (source, value) in [("logo", "logo.png"), ("text", "ON AIR")] {
        let mut spec = file_job_spec(
            "mark",
            &plugin_path("watermark"),
            vec![
                ("mode".into(), ParamValue::Text("visible".into())),
                (source.into(), ParamValue::Text(value.into())),
                ("position".into(), ParamValue::Text("top-left".into())),
                ("opacity".into(), ParamValue::Number(1.0)),
                ("size".into(), ParamValue::Number(0.2)),
            ],
        );
        spec.sandbox.assets = Some(match source {
            "logo" => dir.path().to_path_buf(),
            _ => root().join("assets/fonts"),
        });
        let mut stage = Stage::new(spec).unwrap();
        let after = marked_luma(&mut stage, &grey, w, h);
        // The mark is 72 px tall, 11 px (3%) from the top-left corner.
        let region = |x0: usize, y0: usize, x1: usize, y1: usize| {
            (y0..y1)
                .flat_map(|y| (x0..x1).map(move |x| (x, y)))
                .filter(|&(x, y)| after[y * w + x] > 150)
                .count()
        };
        let inside = region(11, 11, 400, 83);
        let elsewhere = region(0, 100, w, h) + region(400, 0, w, 100);
        println!("{source}: {inside} bright pixels in the corner, {elsewhere} elsewhere");
        assert!(
            inside > 500 && elsewhere == 0,
            "{source}: {inside} inside, {elsewhere} elsewhere"
        );
    }
}

/// The demo pipeline marks its clip, `reel watermark detect` names the
/// payload and when it was found; an unmarked clip exits 1, a file with
/// no video 2, each with a clear message.
#[test]
fn reel_marks_the_demo_and_detect_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = reel_in(
        dir.path(),
        &[
            "run",
            root().join("pipelines/watermark.toml").to_str().unwrap(),
            "--set",
            "mark.payload=0xABCD",
        ],
    );
    // The demo writes into the repository's out/: a copy of the pipeline
    // next to the media would too, so run it where it is and look there.
    assert!(out.status.success(), "{}", stderr_text(&out));
    let key = root().join("pipelines/keys/demo.key");
    let marked = root().join("out/watermark.mp4");
    let text = reel_in(
        dir.path(),
        &[
            "watermark",
            "detect",
            marked.to_str().unwrap(),
            "--key-file",
            key.to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&text.stdout).to_string();
    assert_eq!(
        text.status.code(),
        Some(0),
        "{stdout}{}",
        stderr_text(&text)
    );
    assert!(
        stdout.contains("0x000000000000abcd") && stdout.contains("found in    0:00"),
        "{stdout}"
    );
    let (code, report) = detect(dir.path(), &marked, &key);
    assert_eq!(code, 0);
    let ranges = report["ranges"].as_array().unwrap();
    assert_eq!(ranges.len(), 1, "{report}");
    assert!(
        ranges[0][0].as_f64().unwrap() < 0.5 && ranges[0][1].as_f64().unwrap() > 9.5,
        "{report}"
    );
    assert!(
        report["false_positive_probability"].as_f64().unwrap() < 1e-6,
        "{report}"
    );

    let (code, report) = detect(dir.path(), &root().join("pipelines/media/photos.mp4"), &key);
    assert_eq!(
        (code, &report["found"]),
        (1, &serde_json::Value::Bool(false)),
        "{report}"
    );

    let sound = dir.path().join("sound.m4a");
    gst_launch(&[
        "audiotestsrc",
        "num-buffers=50",
        "!",
        "audioconvert",
        "!",
        "avenc_aac",
        "!",
        "mp4mux",
        "!",
        "filesink",
        &format!("location={}", sound.display()),
    ]);
    let out = reel_in(
        dir.path(),
        &[
            "watermark",
            "detect",
            sound.to_str().unwrap(),
            "--key-file",
            key.to_str().unwrap(),
        ],
    );
    let err = stderr_text(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("sound.m4a") && err.contains("video"), "{err}");
}

/// Live monitoring: `mode = "detect"` says when the mark appears and
/// when it goes, on a clip marked for its first three seconds and not
/// for the next three.
#[test]
fn the_monitor_says_when_the_mark_comes_and_goes() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path());
    let source = source_clip(dir.path());
    let marked = mark(dir.path(), &source, &key);
    // Decoded to raw 960x540 frames, the marked clip then the unmarked one
    // twice (3 s marked, 6 s not: a 3-second window past 6 s holds no
    // marked frame, so the mark must be lost by then whatever the key),
    // encoded again: timestamps that simply run on.
    let (mut raw, mut frames) = (Vec::new(), Vec::new());
    for (i, clip) in [&marked, &source, &source].into_iter().enumerate() {
        let part = dir.path().join(format!("part{i}.yuv"));
        gst_line(&format!(
            "filesrc location={} ! decodebin ! videoconvert ! videoscale ! \
             video/x-raw,format=I420,width=960,height=540 ! filesink location={}",
            clip.display(),
            part.display()
        ));
        raw.extend(std::fs::read(&part).unwrap());
        frames.push(raw.len() / (960 * 540 * 3 / 2));
    }
    let (raw_path, joined) = (dir.path().join("joined.yuv"), dir.path().join("joined.mp4"));
    std::fs::write(&raw_path, raw).unwrap();
    gst_line(&format!(
        "filesrc location={} ! rawvideoparse format=i420 width=960 height=540 framerate=30/1 ! \
         x264enc speed-preset=veryfast pass=qual quantizer=20 ! mp4mux ! filesink location={}",
        raw_path.display(),
        joined.display()
    ));
    let out = run_watermark(
        dir.path(),
        &joined,
        &key,
        "mode = \"detect\"",
        "watched.mp4",
    );
    // What stages say goes with the progress, to standard error.
    let stdout = stderr_text(&out);
    assert!(out.status.success(), "{stdout}");
    // "[mark] watermark found at 1.0 s: payload 0x0123456789abcdef ..."
    let said: Vec<(&str, f64)> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("[mark] watermark "))
        .map(|l| {
            let (event, rest) = l.split_once(" at ").unwrap();
            let time = rest.split_once(' ').unwrap().0.parse().unwrap();
            (event, time)
        })
        .collect();
    assert_eq!(said.len(), 2, "{stdout}");
    assert_eq!(said[0].0, "found", "{stdout}");
    // Within one detection window (3 s of video, the issue's bound); with
    // most keys 2 s of evidence already do, with some it takes the whole
    // window (the key is fresh each run).
    assert!(said[0].1 <= 3.0, "{stdout}");
    assert!(stdout.contains(&format!("payload {PAYLOAD} ")), "{stdout}");
    // Gone once a window holds little of the marked part.
    let marked_end = frames[0] as f64 / 30.0;
    assert_eq!(said[1].0, "lost", "{stdout}");
    assert!(
        (marked_end + 1.0..=marked_end + 3.5).contains(&said[1].1),
        "marked part ends at {marked_end:.2} s: {stdout}"
    );
    // Every frame went through.
    assert!(
        stdout.contains(&format!("watched.mp4 ({} frames)", frames[2])),
        "{stdout}"
    );
}

/// `gst-launch-1.0` of a pipeline written as one line (no spaces in
/// its paths).
fn gst_line(line: &str) {
    gst_launch(&line.split_whitespace().collect::<Vec<_>>());
}

/// Keys: never inline, never shown. A key written in the pipeline or on
/// the command line is refused without being echoed; a missing, empty or
/// malformed key, a payload over 64 bits and an unreadable logo are
/// errors at `reel check` naming the place; the key is in no output.
#[test]
fn keys_stay_secret_and_bad_marks_are_check_errors() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path());
    let secret = std::fs::read_to_string(&key).unwrap().trim().to_string();
    std::fs::write(dir.path().join("empty.key"), "\n").unwrap();
    std::fs::write(dir.path().join("bad.key"), "not a key\n").unwrap();
    std::fs::write(dir.path().join("logo.png"), "not a png").unwrap();
    let pipeline = |stage: &str| {
        write_pipeline(
            dir.path(),
            &format!(
                "[[source]]\nid = \"clip\"\ntestsrc = {{ pattern = \"smpte\", size = \"320x180\", seconds = 1, audio = false }}\n\n[[stage]]\nid = \"mark\"\nplugin = \"{}\"\ninput = \"clip\"\n{stage}\n\n[[sink]]\ninput = \"mark\"\nnull = true\n",
                plugin_path("watermark").display()
            ),
        )
    };
    let check = |stage: &str, args: &[&str]| {
        let file = pipeline(stage);
        let mut all = vec!["check", file.as_str()];
        all.extend(args);
        let out = reel_in(dir.path(), &all);
        (
            out.status.code(),
            stderr_text(&out) + &String::from_utf8_lossy(&out.stdout),
        )
    };
    let refused = |stage: &str, args: &[&str], phrase: &str| {
        let (code, text) = check(stage, args);
        assert_eq!(code, Some(2), "{stage}: {text}");
        assert!(
            text.contains(phrase),
            "{stage}: wanted `{phrase}` in {text}"
        );
        assert!(!text.contains(&secret), "the key leaked: {text}");
    };
    let with_key = format!("key_file = \"{}\"", key.display());
    refused(
        &format!("params = {{ payload = \"1\", key = \"{secret}\" }}"),
        &[],
        "pipeline.toml:9:",
    );
    refused(
        &format!("params = {{ payload = \"1\", key = \"{secret}\" }}"),
        &[],
        "a key is never written in a pipeline file",
    );
    refused(
        &format!("{with_key}\nparams = {{ payload = \"1\" }}"),
        &["--set", &format!("mark.key={secret}")],
        "a key is never written",
    );
    refused("params = { payload = \"1\" }", &[], "needs a key");
    refused(
        "key_file = \"nope.key\"\nparams = { payload = \"1\" }",
        &[],
        "pipeline.toml:9:12: key_file",
    );
    refused(
        "key_file = \"empty.key\"\nparams = { payload = \"1\" }",
        &[],
        "is empty",
    );
    refused(
        "key_file = \"bad.key\"\nparams = { payload = \"1\" }",
        &[],
        "64 hexadecimal digits",
    );
    refused(
        "key_env = \"REEL_TEST_NO_SUCH_KEY\"\nparams = { payload = \"1\" }",
        &[],
        "REEL_TEST_NO_SUCH_KEY is not set",
    );
    refused(
        &format!("{with_key}\nparams = {{ payload = \"18446744073709551616\" }}"),
        &[],
        "does not fit 64 bits",
    );
    refused(
        &format!("{with_key}\nparams = {{ payload = \"0x1ffffffffffffffff\" }}"),
        &[],
        "does not fit 64 bits",
    );
    refused(
        "assets = \".\"\nparams = { mode = \"visible\", logo = \"logo.png\" }",
        &[],
        "logo logo.png",
    );

    // A good stage: checked and run, its graph drawn; the key is nowhere.
    let good = format!("{with_key}\nparams = {{ payload = \"7\" }}");
    let (code, text) = check(&good, &[]);
    assert_eq!(code, Some(0), "{text}");
    let file = pipeline(&good);
    for args in [vec!["graph", file.as_str()], vec!["run", file.as_str()]] {
        let out = reel_in(dir.path(), &args);
        let all = String::from_utf8_lossy(&out.stdout).to_string() + &stderr_text(&out);
        assert!(out.status.success(), "{all}");
        assert!(
            !all.to_lowercase().contains(&secret),
            "the key leaked from {args:?}"
        );
    }
}
