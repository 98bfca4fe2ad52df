//! The `avatar` plugin: a presenter from one photograph (or drawn) whose
//! mouth follows the programme's sound, measured against the sound itself.

use std::collections::HashMap;
use std::path::Path;

use reel_tests::{
    decode_frames, frames_following, padded_wav, pictures_following, plugin_path, reel_in, root,
    speech, stderr_text, write_pipeline, write_wav,
};

const RATE: usize = 48_000;
const FPS: usize = 30;

/// The avatar (`params`, an inline TOML table) following `wav`.
fn avatar_meta(wav: &Path, frames: usize, params: &str) -> Vec<HashMap<String, String>> {
    frames_following(
        &format!("filesrc location={} ! wavparse", wav.display()),
        frames,
        &format!(
            "plugin={} params=\"{params}\"",
            plugin_path("avatar").display()
        ),
    )
}

fn value(meta: &HashMap<String, String>, key: &str) -> f64 {
    meta.get(key)
        .unwrap_or_else(|| panic!("no {key} in {meta:?}"))
        .parse()
        .unwrap()
}

/// Pearson's correlation.
fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len()) as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        ab += (x - ma) * (y - mb);
        aa += (x - ma).powi(2);
        bb += (y - mb).powi(2);
    }
    ab / (aa * bb).sqrt()
}

#[test]
fn the_mouth_follows_the_voice_and_rests_in_silence() {
    let dir = tempfile::tempdir().unwrap();
    let voice = speech(
        dir.path(),
        "Good evening. Here is the news at six. The river rose again tonight, and the bridge is closed until morning.",
    );
    let wav = dir.path().join("news.wav");
    let all = padded_wav(&wav, &voice);
    let frames = all.len() * FPS / RATE;
    let meta = avatar_meta(&wav, frames, "look = 'procedural'");
    assert_eq!(meta.len(), frames);
    let open: Vec<f64> = meta.iter().map(|m| value(m, "avatar.mouth_open")).collect();
    // The sound's envelope, from the samples themselves: each frame's RMS.
    let span = RATE / FPS;
    let envelope: Vec<f64> = (0..frames)
        .map(|i| {
            let s = &all[i * span..((i + 1) * span).min(all.len())];
            (s.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / s.len() as f64).sqrt()
        })
        .collect();
    // Silence before and after: closed.
    assert!(
        open[..FPS - 2].iter().all(|o| *o == 0.0),
        "{:?}",
        &open[..FPS]
    );
    assert!(
        open[frames - FPS + 6..].iter().all(|o| *o == 0.0),
        "{:?}",
        &open[frames - FPS..]
    );
    // In step with the voice: the best lag within a frame, and at least 0.8.
    let lagged = |lag: isize| {
        let (a, b): (Vec<f64>, Vec<f64>) = (0..frames as isize)
            .filter_map(|i| {
                let j = i + lag;
                (j >= 0 && (j as usize) < frames).then(|| (open[j as usize], envelope[i as usize]))
            })
            .unzip();
        correlation(&a, &b)
    };
    let by_lag: Vec<(isize, f64)> = (-3..=3).map(|lag| (lag, lagged(lag))).collect();
    println!("mouth against envelope, by lag in frames: {by_lag:?}");
    let best = by_lag.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    assert!(best.0.abs() <= 1, "{by_lag:?}");
    assert!(lagged(0) >= 0.8, "{by_lag:?}");
}

/// The drawn avatar filling a frame of `size` (500x600: twice its own
/// size) over videotestsrc's `pattern`, following `wav`: each frame's RGBA
/// pixels and metadata.
fn avatar_pictures(
    wav: &Path,
    frames: usize,
    size: (usize, usize),
    pattern: &str,
) -> Vec<(Vec<u8>, HashMap<String, String>)> {
    pictures_following(
        &format!("filesrc location={} ! wavparse", wav.display()),
        frames,
        &format!(
            "plugin={} params=\"look = 'procedural', anchor = 'top-left', margin_x = 0, margin_y = 0, height = 1.0\"",
            plugin_path("avatar").display()
        ),
        size,
        pattern,
    )
}

/// The dark of the mouth on a picture from [`avatar_pictures`]: how many
/// rows hold some of it, and its widest row, in pixels. The drawing's
/// mouth is at (200, 278) of its 400-unit face, 250 pixels wide at 1.6
/// units a pixel, drawn here at twice that: (250, 348) on the frame.
fn mouth_box(picture: &[u8]) -> (usize, usize) {
    let (mut rows, mut widest) = (0, 0);
    for y in 300..400 {
        let dark = (180..320)
            .filter(|x| {
                let p = &picture[4 * (y * 500 + x)..][..3];
                p.iter().map(|&c| c as u32).sum::<u32>() < 150
            })
            .count();
        rows += (dark >= 3) as usize;
        widest = widest.max(dark);
    }
    (rows, widest)
}

#[test]
fn vowels_shape_the_mouth_differently() {
    let dir = tempfile::tempdir().unwrap();
    let mut shapes = Vec::new();
    let mut boxes = Vec::new();
    for vowel in ["[[a:a:a:a:]]", "[[i:i:i:i:]]", "[[o:o:o:o:]]"] {
        let voice = speech(dir.path(), vowel);
        let wav = dir.path().join("vowel.wav");
        let frames = padded_wav(&wav, &voice).len() * FPS / RATE;
        let pictures = avatar_pictures(&wav, frames, (500, 600), "white");
        assert_eq!(pictures.len(), frames);
        // The middle of the vowel.
        let middle: Vec<&(Vec<u8>, HashMap<String, String>)> = pictures[FPS..frames - FPS]
            .iter()
            .filter(|(_, m)| value(m, "avatar.mouth_open") > 0.2)
            .collect();
        assert!(middle.len() >= 5, "{vowel}: {} open frames", middle.len());
        let mean = |key: &str| {
            middle.iter().map(|(_, m)| value(m, key)).sum::<f64>() / middle.len() as f64
        };
        let mut names: Vec<&str> = middle
            .iter()
            .map(|(_, m)| m["avatar.shape"].as_str())
            .collect();
        names.sort();
        names.dedup();
        // On the picture: the mouth's dark, as the viewer sees it.
        let seen: Vec<(usize, usize)> = middle.iter().map(|(p, _)| mouth_box(p)).collect();
        let tall = seen.iter().map(|b| b.0 as f64).sum::<f64>() / seen.len() as f64;
        let wide = seen.iter().map(|b| b.1 as f64).sum::<f64>() / seen.len() as f64;
        // Before the vowel, in silence: shut, only the line between the lips.
        let shut = mouth_box(&pictures[5].0);
        println!(
            "{vowel}: open {:.2}, width {:.2}, shapes {names:?}; on the picture {tall:.1} rows tall, {wide:.1} px wide (shut: {shut:?})",
            mean("avatar.mouth_open"),
            mean("avatar.mouth_width")
        );
        assert!(shut.0 <= 4, "{vowel}: shut mouth {shut:?}");
        shapes.push((mean("avatar.mouth_open"), mean("avatar.mouth_width")));
        boxes.push((tall, wide));
    }
    let [(aa_open, aa_width), (ee_open, ee_width), (_, oh_width)] = shapes[..] else {
        unreachable!()
    };
    // "ee" spreads wide, "oh" rounds narrow, "aa" opens tallest.
    assert!(
        ee_width > aa_width + 0.05 && aa_width > oh_width + 0.05,
        "{shapes:?}"
    );
    assert!(aa_open > ee_open, "{shapes:?}");
    // And so they look: aa's dark is the tallest, ee's the widest for its
    // height, oh's narrower than ee's.
    let [(aa_tall, aa_wide), (ee_tall, ee_wide), (oh_tall, oh_wide)] = boxes[..] else {
        unreachable!()
    };
    assert!(aa_tall > ee_tall + 2.0 && aa_tall > oh_tall, "{boxes:?}");
    assert!(ee_wide / ee_tall > 1.3 * aa_wide / aa_tall, "{boxes:?}");
    assert!(ee_wide > oh_wide + 4.0, "{boxes:?}");
}

#[test]
fn blinks_come_at_varied_intervals() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("silence.wav");
    write_wav(&wav, RATE as u32, 1, &vec![0.0; 20 * RATE]);
    let meta = avatar_meta(&wav, 20 * FPS, "look = 'procedural', seed = 3");
    let shut: Vec<bool> = meta
        .iter()
        .map(|m| value(m, "avatar.blink") > 0.5)
        .collect();
    let starts: Vec<usize> = (1..shut.len())
        .filter(|&i| shut[i] && !shut[i - 1])
        .collect();
    let gaps: Vec<usize> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    println!("blinks at frames {starts:?}");
    assert!(starts.len() >= 3, "{starts:?}");
    assert!(
        gaps.iter().max().unwrap() - gaps.iter().min().unwrap() > FPS / 2,
        "{gaps:?}"
    );
}

/// In silence the head still moves, a little: the eyes' centre drifts by
/// a pixel or more across and down over six seconds (blinks aside), never
/// far.
#[test]
fn the_head_sways_and_nods_a_little() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("silence.wav");
    write_wav(&wav, RATE as u32, 1, &vec![0.0; 6 * RATE]);
    // At its own size, 250x300.
    let pictures = avatar_pictures(&wav, 6 * FPS, (250, 300), "black");
    assert_eq!(pictures.len(), 6 * FPS);
    let centres: Vec<(f64, f64)> = pictures
        .iter()
        .filter(|(_, m)| value(m, "avatar.blink") == 0.0)
        .map(|(p, _)| {
            // The whites of the eyes (the drawing's 246, 246, 242), on the
            // rows round them (127 of 300).
            let (mut sx, mut sy, mut n) = (0.0, 0.0, 0.0);
            for y in 100..160 {
                for x in 0..250 {
                    let q = &p[4 * (y * 250 + x)..][..3];
                    if q.iter().all(|&c| c > 225) {
                        (sx, sy, n) = (sx + x as f64, sy + y as f64, n + 1.0);
                    }
                }
            }
            assert!(n > 100.0, "{n} pixels of the eyes' whites");
            (sx / n, sy / n)
        })
        .collect();
    assert!(
        centres.len() > 4 * FPS,
        "{} frames without a blink",
        centres.len()
    );
    let range = |f: fn(&(f64, f64)) -> f64| {
        let v: Vec<f64> = centres.iter().map(f).collect();
        v.iter().cloned().fold(f64::MIN, f64::max) - v.iter().cloned().fold(f64::MAX, f64::min)
    };
    let (across, down) = (range(|c| c.0), range(|c| c.1));
    println!("the eyes' centre moved {across:.2} px across and {down:.2} px down");
    assert!((0.5..10.0).contains(&across), "{across}");
    assert!((0.5..10.0).contains(&down), "{down}");
}

/// The shipped pipeline: the portrait avatar talking with the programme's
/// bulletin, written with its sound; its mouth moves where the bulletin
/// speaks and rests after it.
#[test]
fn the_avatar_pipeline_talks_with_the_programme() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("pipelines/avatar.toml"))
        .unwrap()
        .replace(
            "media/",
            &format!("{}/", root().join("pipelines/media").display()),
        )
        .replace(
            "\"media\"",
            &format!("\"{}\"", root().join("pipelines/media").display()),
        )
        .replace("../out/avatar.mp4", "avatar.mp4");
    let path = write_pipeline(dir.path(), &text);
    let out = reel_in(dir.path(), &["run", &path]);
    assert!(out.status.success(), "{}", stderr_text(&out));
    let file = dir.path().join("avatar.mp4");
    let frames = decode_frames(&file, 640, 360);
    assert_eq!(frames.len(), 250);
    let probe = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type",
            "-of",
            "csv=p=0",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&probe.stdout).trim(),
        "video\naudio"
    );
    // The mouth's box on the output: the avatar is 0.62 of 360 rows high
    // at the bottom right, 0.03 in from the edges; the rig's mouth at
    // (226, 145) of 512.
    let scale = (0.62f64 * 360.0).round() / 512.0;
    let (left, top) = (
        640.0 - 0.03 * 640.0 - 512.0 * scale,
        360.0 - 0.03 * 360.0 - 512.0 * scale,
    );
    let (mx, my) = (
        (left + 226.0 * scale) as usize,
        (top + 150.0 * scale) as usize,
    );
    let dark = |f: &Vec<u8>| {
        let mut n = 0;
        for y in my - 4..my + 6 {
            for x in mx - 8..mx + 8 {
                let p = &f[(y * 640 + x) * 4..][..3];
                n += (p.iter().map(|&c| c as u32).sum::<u32>() < 200) as usize;
            }
        }
        n
    };
    let talking = frames[..220].iter().filter(|f| dark(f) > 10).count();
    let after: Vec<usize> = frames[240..].iter().map(dark).collect();
    println!(
        "open mouths in the first 220 frames: {talking}; dark pixels after the bulletin: {after:?}"
    );
    assert!(talking > 40, "{talking}");
    assert!(after.iter().all(|n| *n <= 2), "{after:?}");
}

#[test]
fn a_bad_portrait_or_rig_is_a_located_check_error() {
    let dir = tempfile::tempdir().unwrap();
    let assets = dir.path().join("faces");
    std::fs::create_dir(&assets).unwrap();
    std::fs::copy(
        root().join("pipelines/media/astronaut.png"),
        assets.join("face.png"),
    )
    .unwrap();
    let pipeline = |params: &str| {
        write_pipeline(
            dir.path(),
            &format!(
                "[[source]]\nid = \"main\"\ntestsrc = {{ size = \"320x180\", seconds = 1 }}\n\n[[stage]]\nid = \"anchor\"\nplugin = \"{}\"\ninput = \"main\"\nassets = \"{}\"\nparams = {{ look = \"portrait\", {params} }}\n\n[[sink]]\ninput = \"anchor\"\nfile = \"out.mp4\"\n",
                plugin_path("avatar").display(),
                assets.display()
            ),
        )
    };
    let check = |params: &str| {
        let path = pipeline(params);
        let out = reel_in(dir.path(), &["check", &path]);
        assert!(!out.status.success(), "{params}");
        stderr_text(&out)
    };
    let e = check("portrait = \"missing.png\"");
    assert!(
        e.contains("pipeline.toml:10:") && e.contains("cannot read missing.png"),
        "{e}"
    );
    let e = check("portrait = \"face.png\"");
    assert!(e.contains("face.rig.toml"), "{e}");
    std::fs::write(
        assets.join("face.rig.toml"),
        "left_eye = [205, 101]\nright_eye = [246, 104]\nmouth = [226, 600]\nmouth_width = 46\n",
    )
    .unwrap();
    let e = check("portrait = \"face.png\"");
    assert!(
        e.contains("`mouth` = [226, 600] is outside the 512x512 portrait"),
        "{e}"
    );
    // No sound to follow: a warning at check time, and the run fails on
    // the first frame, naming the stage and why.
    let path = write_pipeline(
        dir.path(),
        &format!(
            "[[source]]\nid = \"main\"\ntestsrc = {{ size = \"320x180\", seconds = 1, audio = false }}\n\n[[stage]]\nid = \"anchor\"\nplugin = \"{}\"\ninput = \"main\"\n\n[[sink]]\ninput = \"anchor\"\nfile = \"out.mp4\"\n",
            plugin_path("avatar").display()
        ),
    );
    let out = reel_in(dir.path(), &["run", &path]);
    let e = stderr_text(&out);
    assert!(!out.status.success(), "{e}");
    assert!(
        e.contains("follows the programme's sound, but source `main` has none"),
        "{e}"
    );
    assert!(
        e.contains("anchor") && e.contains("no sound to follow"),
        "{e}"
    );
    assert!(!dir.path().join("out.mp4").exists());
}
