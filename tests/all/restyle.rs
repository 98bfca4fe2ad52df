//! The `restyle` plugin and `reel style`: a look learned from example
//! images, transferred onto real photographs and measured (sliced
//! Wasserstein distance to the style, edges kept, flicker, cuts), with
//! Reinhard's mean and variance matching as the baseline.

use std::path::Path;

use image::{RgbImage, imageops::FilterType};
use reel_kernels::{Format, ImageMut, Layout};
use reel_runtime::{HostFrame, ParamValue, Pixels, SandboxConfig, Stage, Verdict};
use reel_style::measure::sliced_wasserstein;
use reel_tests::{
    decode_frames, file_job_spec, plugin_path, reel_in, root, stderr_text, write_pipeline,
};

const PHOTOS: [&str; 5] = [
    "coffee.png",
    "chelsea.png",
    "astronaut.png",
    "rocket.jpg",
    "hubble_deep_field.jpg",
];

/// A photograph from pipelines/media, at most 320 wide, even sizes.
fn photo(name: &str) -> RgbImage {
    let image = image::open(root().join("pipelines/media").join(name)).unwrap();
    let image = image.resize(320, 320, FilterType::Triangle).to_rgb8();
    let (w, h) = (image.width() & !1, image.height() & !1);
    image::imageops::crop_imm(&image, 0, 0, w, h).to_image()
}

/// An RGB picture as an I420 frame (the host's conversion).
fn i420(image: &RgbImage) -> HostFrame {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let rgba: Vec<u8> = image
        .pixels()
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    let src_layout = Layout::packed(Format::Rgba, w, h);
    let layout = Layout::packed(Format::I420, w, h);
    let mut out = vec![0u8; layout.min_len()];
    reel_kernels::convert(
        reel_kernels::Image::new(&src_layout, &rgba).unwrap(),
        &mut ImageMut::new(&layout, &mut out).unwrap(),
    )
    .unwrap();
    HostFrame::new(layout, Pixels::Owned(out)).unwrap()
}

/// A frame's pixels as RGB in 0..=1 (the host's conversion).
fn colours(frame: &HostFrame) -> Vec<[f32; 3]> {
    let (w, h) = (frame.layout.width, frame.layout.height);
    let layout = Layout::packed(Format::Rgba, w, h);
    let mut rgba = vec![0u8; layout.min_len()];
    reel_kernels::convert(
        frame.image().unwrap(),
        &mut ImageMut::new(&layout, &mut rgba).unwrap(),
    )
    .unwrap();
    rgba.chunks_exact(4)
        .map(|p| [p[0], p[1], p[2]].map(|v| v as f32 / 255.0))
        .collect()
}

fn luma(frame: &HostFrame) -> Vec<u8> {
    let (w, h) = (frame.layout.width, frame.layout.height);
    let image = frame.image().unwrap();
    (0..h).flat_map(|y| image.row(0, y)[..w].to_vec()).collect()
}

/// A look: RGB in 0..=1 to RGB.
type Look = fn([f32; 3]) -> [f32; 3];

/// Seven crops of the photograph `name`, graded by `look`, into `dir`:
/// a style set whose answer is known (the look applied to that
/// photograph's content).
fn style_set(dir: &Path, name: &str, look: Look) {
    let image = image::open(root().join("pipelines/media").join(name)).unwrap();
    let (w, h) = (image.width(), image.height());
    for k in 0..7u32 {
        // Half the photo each way, walking across it.
        let (cw, ch) = (w / 2, h / 2);
        let (x, y) = ((w - cw) * (k % 4) / 3, (h - ch) * (k / 4));
        let crop = image
            .crop_imm(x, y, cw, ch)
            .resize(256, 256, FilterType::Triangle)
            .to_rgb8();
        graded(&crop, look)
            .save(dir.join(format!("still-{k}.png")))
            .unwrap();
    }
}

/// `image` with `look` applied to every pixel.
fn graded(image: &RgbImage, look: Look) -> RgbImage {
    RgbImage::from_fn(image.width(), image.height(), |x, y| {
        let p = image.get_pixel(x, y).0.map(|v| v as f32 / 255.0);
        image::Rgb(look(p).map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8))
    })
}

/// The film look of the shipped style set (as `make_style_set.rs`).
fn film(rgb: [f32; 3]) -> [f32; 3] {
    let l = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
    let soft = rgb.map(|c| 0.5 + 0.8 * (l + 0.7 * (c - l) - 0.5));
    let (shadow, light) = ((1.0 - l).powi(2), l.powi(2));
    [
        soft[0] + 0.10 * light - 0.04 * shadow,
        soft[1] + 0.03 * light + 0.03 * shadow,
        soft[2] - 0.08 * light + 0.06 * shadow,
    ]
}

/// Sepia: every colour onto a brown-to-cream ramp by its luma.
fn sepia(rgb: [f32; 3]) -> [f32; 3] {
    let l = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
    [0.12 + 0.85 * l, 0.08 + 0.75 * l, 0.04 + 0.55 * l]
}

/// Night: darker, blue, low saturation.
fn night(rgb: [f32; 3]) -> [f32; 3] {
    let l = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
    let d = rgb.map(|c| 0.6 * (l + 0.4 * (c - l)));
    [d[0] * 0.8, d[1] * 0.95, d[2] * 1.2 + 0.06]
}

/// Trains a style from `images` into `dir/NAME.style`.
fn trained(images: &Path, dir: &Path, name: &str) -> reel_style::Style {
    let options = reel_style::train::TrainOptions {
        name: name.into(),
        ..Default::default()
    };
    let (style, summary) = reel_style::train::train(images, &options, &|_, _, _| {}).unwrap();
    assert!(summary.skipped.is_empty(), "{:?}", summary.skipped);
    std::fs::write(dir.join(format!("{name}.style")), style.to_bytes()).unwrap();
    style
}

fn restyle(assets: &Path, style: &str, strength: f64) -> Stage {
    restyle_in(assets, style, strength, "color").unwrap()
}

/// A `restyle` stage in `mode`, or why it would not start.
fn restyle_in(
    assets: &Path,
    style: &str,
    strength: f64,
    mode: &str,
) -> reel_runtime::Result<Stage> {
    let mut spec = file_job_spec(
        "look",
        &plugin_path("restyle"),
        vec![
            ("style".into(), ParamValue::Text(style.into())),
            ("strength".into(), ParamValue::Number(strength)),
            ("mode".into(), ParamValue::Text(mode.into())),
        ],
    );
    spec.sandbox = SandboxConfig {
        assets: Some(assets.to_path_buf()),
        ..SandboxConfig::default()
    };
    Stage::new(spec)
}

fn run(stage: &mut Stage, frame: HostFrame) -> HostFrame {
    let (out, verdict) = stage.filter(frame);
    assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
    out
}

/// Reinhard et al. (2001): each channel's mean and spread matched to the
/// style's (here in RGB), the classic baseline.
fn reinhard(content: &[[f32; 3]], style: &[[f32; 3]]) -> Vec<[f32; 3]> {
    let stats = |set: &[[f32; 3]], c: usize| {
        let n = set.len() as f32;
        let mean = set.iter().map(|p| p[c]).sum::<f32>() / n;
        let var = set.iter().map(|p| (p[c] - mean).powi(2)).sum::<f32>() / n;
        (mean, var.sqrt().max(1e-6))
    };
    let s: Vec<_> = (0..3)
        .map(|c| (stats(content, c), stats(style, c)))
        .collect();
    content
        .iter()
        .map(|p| {
            std::array::from_fn(|c| {
                let ((mc, sc), (ms, ss)) = s[c];
                ((p[c] - mc) / sc * ss + ms).clamp(0.0, 1.0)
            })
        })
        .collect()
}

/// Pearson correlation of the luma gradient magnitudes of two pictures.
fn edge_correlation(a: &[u8], b: &[u8], w: usize) -> f64 {
    let grad = |p: &[u8]| -> Vec<f64> {
        let h = p.len() / w;
        let mut g = Vec::new();
        for y in 1..h - 1 {
            for x in 1..w - 1 {
                let at = |x: usize, y: usize| p[y * w + x] as f64;
                let gx = at(x + 1, y) - at(x - 1, y);
                let gy = at(x, y + 1) - at(x, y - 1);
                g.push((gx * gx + gy * gy).sqrt());
            }
        }
        g
    };
    let (ga, gb) = (grad(a), grad(b));
    let n = ga.len() as f64;
    let (ma, mb) = (ga.iter().sum::<f64>() / n, gb.iter().sum::<f64>() / n);
    let cov: f64 = ga.iter().zip(&gb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ga.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = gb.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

struct Measured {
    /// Sliced Wasserstein distances to the style: input, output, the
    /// known answer, Reinhard's matching.
    input: f32,
    output: f32,
    answer: f32,
    reinhard: f32,
    edges: f64,
    /// Mean distance (code values) of the output from the known answer.
    off: f32,
}

/// The photograph `name` restyled by `style` in `dir` through the plugin
/// (I420, strength 1), measured against the style's colours and the
/// known answer `look`.
fn measure(dir: &Path, style: &reel_style::Style, file: &str, name: &str, look: Look) -> Measured {
    let picture = photo(name);
    let input = i420(&picture);
    let before = colours(&input);
    let in_luma = luma(&input);
    let out = run(&mut restyle(dir, file, 1.0), input);
    let after = colours(&out);
    let answer = colours(&i420(&graded(&picture, look)));
    let off = answer
        .iter()
        .zip(&after)
        .map(|(w, a)| (0..3).map(|c| (w[c] - a[c]).abs()).sum::<f32>() / 3.0)
        .sum::<f32>()
        / answer.len() as f32
        * 255.0;
    Measured {
        input: sliced_wasserstein(&before, &style.colours),
        output: sliced_wasserstein(&after, &style.colours),
        answer: sliced_wasserstein(&answer, &style.colours),
        reinhard: sliced_wasserstein(&reinhard(&before, &style.colours), &style.colours),
        edges: edge_correlation(&in_luma, &luma(&out), picture.width() as usize),
        off,
    }
}

/// Colour mode at strength 1 with a known answer: for each photograph and
/// each of three looks (sepia, night, the demo's film look), a style set
/// of seven crops of that photograph in that look; the photograph is
/// restyled by the plugin. The distance from the output's colours to the
/// style's falls by at least 85% from the input's, or to no more than the
/// known answer's own distance (the crops are not the whole photograph);
/// Reinhard's matching is printed beside it. Luma edges stay (correlation
/// at least 0.9), and the output lands within 10 code values on average
/// of the look applied to the photograph.
#[test]
fn colour_transfer_finds_the_look_of_a_style_set() {
    let dir = tempfile::tempdir().unwrap();
    let looks: [(&str, Look); 3] = [("sepia", sepia), ("night", night), ("film", film)];
    for (look_name, look) in looks {
        for (i, name) in PHOTOS.iter().enumerate() {
            let set = format!("{look_name}-{i}");
            let images = dir.path().join(&set);
            std::fs::create_dir(&images).unwrap();
            style_set(&images, name, look);
            let style = trained(&images, dir.path(), &set);
            let m = measure(dir.path(), &style, &format!("{set}.style"), name, look);
            let fell = 1.0 - m.output / m.input;
            println!(
                "{look_name} on {name}: SWD {:.1} -> {:.1} (fell {:.0}%; the known answer {:.1}; Reinhard fell {:.0}%), edges {:.3}, {:.1} from the answer",
                m.input,
                m.output,
                100.0 * fell,
                m.answer,
                100.0 * (1.0 - m.reinhard / m.input),
                m.edges,
                m.off
            );
            assert!(
                fell >= 0.85 || m.output <= m.answer,
                "{look_name} on {name}: fell {fell}"
            );
            assert!(m.edges >= 0.9, "{look_name} on {name}: edges {}", m.edges);
            assert!(
                m.off <= 10.0,
                "{look_name} on {name}: {} from the answer",
                m.off
            );
        }
    }
}

/// The shipped film stills (crops of all five photographs) on each
/// photograph: one style for varied content, the demo's case, where the
/// style's distribution is not any one photograph's look (so the known
/// answer is not the aim, and the distance falls less). The transfer
/// moves the photographs further towards the style than Reinhard's
/// matching on average, and keeps luma edges.
#[test]
fn the_shipped_film_style_restyles_varied_photographs() {
    let dir = tempfile::tempdir().unwrap();
    let style = trained(&root().join("pipelines/media/film"), dir.path(), "film");
    let (mut ours, mut theirs) = (0.0, 0.0);
    for name in PHOTOS {
        let m = measure(dir.path(), &style, "film.style", name, film);
        println!(
            "film stills on {name}: SWD {:.1} -> {:.1} (fell {:.0}%; Reinhard fell {:.0}%), edges {:.3}, {:.1} from the film formula",
            m.input,
            m.output,
            100.0 * (1.0 - m.output / m.input),
            100.0 * (1.0 - m.reinhard / m.input),
            m.edges,
            m.off
        );
        ours += 1.0 - m.output / m.input;
        theirs += 1.0 - m.reinhard / m.input;
        assert!(m.edges >= 0.85, "{name}: edges {}", m.edges);
    }
    let n = PHOTOS.len() as f32;
    println!(
        "mean fall: ours {:.0}%, Reinhard {:.0}%",
        100.0 * ours / n,
        100.0 * theirs / n
    );
    assert!(ours > theirs, "ours {ours}, Reinhard {theirs}");
}

/// A photograph as I420 frames with sensor-like noise (Gaussian, 2 code
/// values on luma, 1 on chroma), a different noise each frame.
fn noisy(picture: &RgbImage, frames: usize, seed: u64) -> Vec<HostFrame> {
    let clean = i420(picture);
    let luma_len = picture.width() as usize * picture.height() as usize;
    let mut state = seed;
    let mut normal = move || {
        // Sum of uniforms: near enough Gaussian for noise.
        (0..4)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .sum::<f32>()
            * 3f32.sqrt()
    };
    (0..frames)
        .map(|_| {
            let data: Vec<u8> = clean
                .bytes()
                .unwrap()
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let sigma = if i < luma_len { 2.0 } else { 1.0 };
                    (v as f32 + sigma * normal()).round().clamp(0.0, 255.0) as u8
                })
                .collect();
            HostFrame::new(clean.layout.clone(), Pixels::Owned(data)).unwrap()
        })
        .collect()
}

fn mean_difference(a: &[u8], b: &[u8]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.abs_diff(*y) as f64)
        .sum::<f64>()
        / a.len() as f64
}

fn meta<'a>(frame: &'a HostFrame, key: &str) -> Option<&'a str> {
    frame
        .meta
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A static shot with sensor noise: the look is fitted once (and refined
/// once, faded in), so the output's frame-to-frame change is the noise
/// through the look, no more than 10% above the input's, in every mode:
/// `paint` smooths the noise away, and `toon` keeps its lines' threshold
/// for the scene.
#[test]
fn a_static_noisy_shot_does_not_flicker() {
    let dir = tempfile::tempdir().unwrap();
    let images = dir.path().join("set");
    std::fs::create_dir(&images).unwrap();
    style_set(&images, "coffee.png", film);
    trained(&images, dir.path(), "film");
    let inputs: Vec<Vec<u8>> = noisy(&photo("coffee.png"), 30, 7)
        .iter()
        .map(luma)
        .collect();
    let change = |frames: &[Vec<u8>]| {
        frames
            .windows(2)
            .map(|w| mean_difference(&w[0], &w[1]))
            .sum::<f64>()
            / (frames.len() - 1) as f64
    };
    let before = change(&inputs);
    for mode in ["color", "paint", "toon"] {
        let mut stage = restyle_in(dir.path(), "film.style", 1.0, mode).unwrap();
        // The same noise for every mode.
        let outputs: Vec<Vec<u8>> = noisy(&photo("coffee.png"), 30, 7)
            .into_iter()
            .map(|f| luma(&run(&mut stage, f)))
            .collect();
        let after = change(&outputs);
        println!(
            "{mode}: mean frame-to-frame change: input {before:.3}, output {after:.3} ({:.2}x)",
            after / before
        );
        assert!(
            after <= 1.10 * before,
            "{mode}: input {before}, output {after}"
        );
    }
}

/// A cut is found on the frame it happens (scene 1, then 2 from frame
/// 12), nowhere else in noisy static shots, and the new look settles
/// within 10 frames: from then on frames differ only by their noise.
#[test]
fn a_cut_refits_the_look_which_settles_within_ten_frames() {
    let dir = tempfile::tempdir().unwrap();
    let images = dir.path().join("set");
    std::fs::create_dir(&images).unwrap();
    style_set(&images, "chelsea.png", sepia);
    trained(&images, dir.path(), "sepia");
    let mut stage = restyle(dir.path(), "sepia.style", 1.0);
    // Same size shots: the coffee photo cropped to the cat's size.
    let cat = photo("chelsea.png");
    let cup =
        image::imageops::crop_imm(&photo("coffee.png"), 0, 0, cat.width(), cat.height()).to_image();
    let mut frames = noisy(&cup, 12, 1);
    frames.extend(noisy(&cat, 20, 2));
    let inputs: Vec<Vec<u8>> = frames.iter().map(luma).collect();
    let mut scenes = Vec::new();
    let mut outputs = Vec::new();
    for frame in frames {
        let out = run(&mut stage, frame);
        scenes.push(meta(&out, "restyle.scene").unwrap_or("").to_string());
        outputs.push(luma(&out));
    }
    let want: Vec<String> = (0..32)
        .map(|i| if i < 12 { "1" } else { "2" }.to_string())
        .collect();
    assert_eq!(scenes, want);
    // Ten frames after the cut against the last frame: only noise apart.
    let (settled, last) = (
        mean_difference(&outputs[22], &outputs[31]),
        mean_difference(&inputs[22], &inputs[31]),
    );
    println!("frame 22 against 31: output {settled:.3}, input {last:.3}");
    assert!(settled <= 1.1 * last, "output {settled}, input {last}");
}

/// Baking the fitted map into the plugin's 33³ LUT changes the picture
/// little: against the map applied exactly to every pixel, at most 1.5
/// code values on average and 8 at the 99th percentile (the LUT applied
/// by the host's kernel, on RGBA). The shipped film stills on four
/// photographs, and on the star field a film set of its own crops: the
/// film stills on the star field ask for its near-black sky to be spread
/// over the stills' mid-tones, a map too steep for a 33³ lattice
/// (measured 3.3 code values on average, 16 at the 99th percentile; see
/// BENCHMARKS.md and the notes).
#[test]
fn baking_the_map_into_a_lut_changes_little() {
    let dir = tempfile::tempdir().unwrap();
    let stills = trained(&root().join("pipelines/media/film"), dir.path(), "film");
    let own = dir.path().join("hubble-film");
    std::fs::create_dir(&own).unwrap();
    style_set(&own, "hubble_deep_field.jpg", film);
    let hubble_film = trained(&own, dir.path(), "hubble-film");
    for name in PHOTOS {
        let style = if name == "hubble_deep_field.jpg" {
            &hubble_film
        } else {
            &stills
        };
        let picture = photo(name);
        let pixels: Vec<[f32; 3]> = picture
            .pixels()
            .map(|p| p.0.map(|v| v as f32 / 255.0))
            .collect();
        let content: Vec<[f32; 3]> = pixels.iter().step_by(7).copied().collect();
        let map =
            reel_style::Transfer::fit(&content, &style.colours, &reel_style::FitOptions::default());
        let exact: Vec<u8> = pixels
            .iter()
            .flat_map(|&c| map.apply(c).map(|v| (v * 255.0).round() as u8))
            .collect();
        let cube = map.bake(33, 1.0);
        let lut = reel_kernels::Lut3d::new(33, &cube.kernel_table()).unwrap();
        let (w, h) = (picture.width() as usize, picture.height() as usize);
        let layout = Layout::packed(Format::Rgba, w, h);
        let mut rgba: Vec<u8> = picture
            .pixels()
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect();
        reel_kernels::apply_lut3d(&mut ImageMut::new(&layout, &mut rgba).unwrap(), &lut, 1.0)
            .unwrap();
        let mut diffs: Vec<u8> = rgba
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .zip(&exact)
            .map(|(a, b)| a.abs_diff(*b))
            .collect();
        diffs.sort_unstable();
        let mean = diffs.iter().map(|&d| d as f64).sum::<f64>() / diffs.len() as f64;
        let p99 = diffs[diffs.len() * 99 / 100];
        println!(
            "{name}: baked against exact, mean {mean:.2}, 99th percentile {p99}, max {}",
            diffs.last().unwrap()
        );
        assert!(mean <= 1.5 && p99 <= 8, "{name}: mean {mean}, p99 {p99}");
    }
}

/// Runs `reel` with `args` in `dir`: it must refuse (exit 2) saying
/// `phrase`.
fn refused(dir: &Path, args: &[&str], phrase: &str) {
    let out = reel_in(dir, args);
    let text = stderr_text(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {text}");
    assert!(text.contains(phrase), "{args:?}: {text}");
}

/// `reel style train`: 40 stills learned with a summary; too few images,
/// an empty folder or a missing one refused (exit 2) naming what was
/// skipped, and nothing written; fewer than 20 warned about.
#[test]
fn reel_style_train_learns_and_refuses_what_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let stills = root().join("pipelines/media/film");
    let out = reel_in(
        dir.path(),
        &[
            "style",
            "train",
            "--images",
            stills.to_str().unwrap(),
            "--out",
            "film.style",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr_text(&out));
    assert!(
        text.contains("learned from 40 images (0 skipped)"),
        "{text}"
    );
    let style =
        reel_style::Style::from_bytes(&std::fs::read(dir.path().join("film.style")).unwrap())
            .unwrap();
    assert_eq!(style.header.images, 40);
    assert_eq!(style.header.name, "film");

    let few = dir.path().join("few");
    std::fs::create_dir(&few).unwrap();
    for k in 1..=3 {
        std::fs::copy(
            stills.join(format!("film-{k:02}.jpg")),
            few.join(format!("{k}.jpg")),
        )
        .unwrap();
    }
    std::fs::write(few.join("notes.txt"), "shot on film").unwrap();
    let out = reel_in(
        dir.path(),
        &["style", "train", "--images", "few", "--out", "few.style"],
    );
    let text = stderr_text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("notes.txt: not a JPEG, PNG or WebP image"),
        "{text}"
    );
    assert!(
        text.contains("3 usable image(s) (1 file(s) skipped); a style needs at least 5"),
        "{text}"
    );
    assert!(!dir.path().join("few.style").exists());

    for k in 4..=6 {
        std::fs::copy(
            stills.join(format!("film-{k:02}.jpg")),
            few.join(format!("{k}.jpg")),
        )
        .unwrap();
    }
    let out = reel_in(
        dir.path(),
        &["style", "train", "--images", "few", "--out", "few.style"],
    );
    assert!(out.status.success(), "{}", stderr_text(&out));
    assert!(stderr_text(&out).contains("warning: only 6 images; 20-50 give a reliable style"));

    std::fs::create_dir(dir.path().join("empty")).unwrap();
    refused(
        dir.path(),
        &["style", "train", "--images", "empty", "--out", "e.style"],
        "0 usable image(s)",
    );
    refused(
        dir.path(),
        &["style", "train", "--images", "nowhere", "--out", "e.style"],
        "cannot read the folder nowhere",
    );
}

/// `reel style export-cube`: the shipped style fitted to the demo clip
/// (frames sampled by GStreamer) and to a folder of images, written as a
/// `.cube` that parses back to the same table; the look moves mid grey;
/// a size other than 17, 33 or 65 is a usage error.
#[test]
fn reel_style_export_cube_bakes_the_look_for_a_clip() {
    let dir = tempfile::tempdir().unwrap();
    let style = root().join("assets/styles/film.style");
    // `reel style export-cube` of the style for `reference`, with `extra`
    // arguments: the cube written, parsed.
    let export = |reference: &Path, out: &str, extra: &[&str]| {
        let mut args = vec![
            "style",
            "export-cube",
            style.to_str().unwrap(),
            "--reference",
            reference.to_str().unwrap(),
            "--out",
            out,
        ];
        args.extend(extra);
        let run = reel_in(dir.path(), &args);
        assert!(run.status.success(), "{}", stderr_text(&run));
        let text = std::fs::read_to_string(dir.path().join(out)).unwrap();
        reel_style::Cube::parse(&text).unwrap()
    };
    let cube = export(
        &root().join("pipelines/media/photos.mp4"),
        "look.cube",
        &["--size", "17"],
    );
    assert_eq!(cube.size, 17);
    assert_eq!(cube.title.as_deref(), Some("film for photos.mp4"));
    assert_eq!(reel_style::Cube::parse(&cube.to_text()).unwrap(), cube);
    let grey = cube.lookup([0.5, 0.5, 0.5]);
    assert!(grey.iter().any(|v| (v - 0.5).abs() > 0.02), "{grey:?}");

    let folder = root().join("pipelines/media/film");
    assert_eq!(export(&folder, "stills.cube", &[]).size, 33);
    refused(
        dir.path(),
        &[
            "style",
            "export-cube",
            style.to_str().unwrap(),
            "--reference",
            folder.to_str().unwrap(),
            "--out",
            "x.cube",
            "--size",
            "20",
        ],
        "17, 33 or 65",
    );
}

/// A pipeline like `pipelines/restyle.toml` through `reel run`: every
/// frame of the clip graded, found in the shipped `styles` bundle.
#[test]
fn reel_runs_a_restyle_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let clip = root().join("pipelines/media/photos.mp4");
    let path = write_pipeline(
        dir.path(),
        &format!(
            "[[source]]\nid = \"clip\"\nfile = \"{}\"\n\n[[stage]]\nid = \"look\"\nplugin = \"restyle\"\ninput = \"clip\"\nassets = \"styles\"\nparams = {{ style = \"film.style\" }}\n\n[[sink]]\ninput = \"look\"\nfile = \"out.mp4\"\nvideo = {{ crf = 12 }}\n",
            clip.display()
        ),
    );
    let out = reel_in(dir.path(), &["run", &path]);
    assert!(out.status.success(), "{}", stderr_text(&out));
    let graded = decode_frames(&dir.path().join("out.mp4"), 160, 90);
    let source = decode_frames(&clip, 160, 90);
    assert_eq!(graded.len(), 250);
    assert_eq!(source.len(), 250);
    // Every shot changed by the look (frames 25, 75, ... 225).
    for shot in 0..5 {
        let i = 25 + 50 * shot;
        let moved = graded[i]
            .iter()
            .zip(&source[i])
            .map(|(a, b)| a.abs_diff(*b) as f64)
            .sum::<f64>()
            / graded[i].len() as f64;
        assert!(moved > 6.0, "shot {shot}: {moved}");
    }
}

/// Bad input at `reel check`, each naming the file or the key: a style
/// from a newer Reel, a damaged one, a missing one, a strength out of
/// range.
#[test]
fn bad_styles_are_check_errors() {
    let dir = tempfile::tempdir().unwrap();
    let assets = dir.path().join("looks");
    std::fs::create_dir(&assets).unwrap();
    let good = std::fs::read(root().join("assets/styles/film.style")).unwrap();
    let newer = String::from_utf8_lossy(&good[..11]).replace("REELSTYLE 1", "REELSTYLE 9");
    let mut bytes = newer.into_bytes();
    bytes.extend_from_slice(&good[11..]);
    std::fs::write(assets.join("newer.style"), bytes).unwrap();
    let mut damaged = good.clone();
    let at = damaged.len() / 2;
    damaged[at] ^= 0x40;
    std::fs::write(assets.join("damaged.style"), damaged).unwrap();
    let check = |style: &str, strength: &str| {
        let path = write_pipeline(
            dir.path(),
            &format!(
                "[[source]]\nid = \"main\"\ntestsrc = {{ size = \"64x48\", seconds = 1 }}\n\n[[stage]]\nid = \"look\"\nplugin = \"restyle\"\ninput = \"main\"\nassets = \"looks\"\nparams = {{ style = \"{style}\", strength = {strength} }}\n\n[[sink]]\ninput = \"look\"\nnull = true\n"
            ),
        );
        let out = reel_in(dir.path(), &["check", &path]);
        assert_eq!(out.status.code(), Some(2), "{style}: {}", stderr_text(&out));
        stderr_text(&out)
    };
    let text = check("newer.style", "1.0");
    assert!(
        text.contains("newer.style: written in .style format 9 by a newer Reel"),
        "{text}"
    );
    let text = check("damaged.style", "1.0");
    assert!(
        text.contains("damaged.style: damaged .style file"),
        "{text}"
    );
    let text = check("missing.style", "1.0");
    assert!(text.contains("cannot read missing.style"), "{text}");
    let text = check("newer.style", "1.5");
    assert!(
        text.contains("pipeline.toml:10:") && text.contains("strength"),
        "{text}"
    );
}

/// `toon`: the colours collapse onto the style's palette (far fewer
/// distinct colours, each near a palette colour), and lines are drawn
/// where the photograph has edges, as dense as the style's, not on flat
/// areas; a `.cube` (no palette) is refused.
#[test]
fn toon_posterises_to_the_palette_and_draws_lines_at_edges() {
    let dir = tempfile::tempdir().unwrap();
    let style = trained(&root().join("pipelines/media/film"), dir.path(), "film");
    let picture = photo("coffee.png");
    let input = i420(&picture);
    let mut stage = restyle_in(dir.path(), "film.style", 1.0, "toon").unwrap();
    let out = run(&mut stage, input);
    let after = colours(&out);
    // Near a palette colour (or a line's darkening of one): the distance
    // to the nearest palette colour, for pixels off the lines.
    let palette: Vec<[f32; 3]> = style.header.palette.iter().map(|p| p.rgb).collect();
    let colour_mode_out = colours(&run(
        &mut restyle(dir.path(), "film.style", 1.0),
        i420(&picture),
    ));
    let near = |set: &[[f32; 3]]| {
        set.iter()
            .map(|c| {
                palette
                    .iter()
                    .map(|p| (0..3).map(|i| (p[i] - c[i]).abs()).sum::<f32>() / 3.0)
                    .fold(f32::MAX, f32::min)
            })
            .sum::<f32>()
            / set.len() as f32
            * 255.0
    };
    let (toon_off, colour_off) = (near(&after), near(&colour_mode_out));
    // Distinct colours at 5 bits a channel.
    let distinct = |set: &[[f32; 3]]| {
        let mut bins: Vec<u16> = set
            .iter()
            .map(|c| {
                c.iter()
                    .fold(0u16, |acc, v| acc << 5 | (v * 31.0).round() as u16)
            })
            .collect();
        bins.sort_unstable();
        bins.dedup();
        bins.len()
    };
    let (toon_n, colour_n) = (distinct(&after), distinct(&colour_mode_out));
    println!(
        "mean distance to the palette: toon {toon_off:.1}, colour mode {colour_off:.1}; distinct colours {toon_n} against {colour_n}"
    );
    assert!(
        toon_off < 0.7 * colour_off,
        "toon {toon_off}, colour {colour_off}"
    );
    assert!(toon_n * 2 < colour_n, "{toon_n} against {colour_n}");
    // Lines: two of the palette's colours side by side (posterising
    // leaves each as it is) get a dark line along their border, and
    // nothing elsewhere.
    let (a, b) = (style.header.palette[0].rgb, style.header.palette[1].rgb);
    let pair = RgbImage::from_fn(160, 90, |x, _| {
        image::Rgb((if x < 80 { a } else { b }).map(|v| (v * 255.0).round() as u8))
    });
    let input = i420(&pair);
    let before = luma(&input);
    // Strength 0: no colour transfer, so the palette's own colours.
    let mut toon_stage = restyle_in(dir.path(), "film.style", 0.0, "toon").unwrap();
    let after = luma(&run(&mut toon_stage, input));
    let row = 45 * 160;
    let darkest = (72..88).map(|x| after[row + x]).min().unwrap();
    let sides = before[row + 40].min(before[row + 120]);
    println!(
        "the border's darkest luma {darkest} against the sides' {sides}; row {:?}",
        &after[row + 68..row + 92]
    );
    // At least 40% of the way to black (luma 16) from the darker side.
    assert!(
        (darkest as f32) < 16.0 + 0.6 * (sides as f32 - 16.0),
        "{darkest} against {sides}"
    );
    for x in [10, 40, 120, 150] {
        assert!(
            after[row + x].abs_diff(before[row + x]) <= 2,
            "x {x}: {} against {}",
            after[row + x],
            before[row + x]
        );
    }

    let cube = std::fs::read_to_string(root().join("assets/looks/warm.cube")).unwrap();
    std::fs::write(dir.path().join("warm.cube"), cube).unwrap();
    let err = restyle_in(dir.path(), "warm.cube", 1.0, "toon")
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("mode `toon` needs a .style"), "{err}");
}

/// Mean absolute Laplacian of luma: the fine texture and noise in a
/// picture, which painting smooths away.
fn fine_texture(p: &[u8], w: usize) -> f64 {
    let h = p.len() / w;
    let at = |x: usize, y: usize| p[y * w + x] as f64;
    let mut sum = 0.0;
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            sum +=
                (4.0 * at(x, y) - at(x - 1, y) - at(x + 1, y) - at(x, y - 1) - at(x, y + 1)).abs();
        }
    }
    sum / ((w - 2) * (h - 2)) as f64
}

/// `paint`: the graded picture smoothed into strokes — on a photograph
/// the fine texture falls to well under that of `color` mode while its
/// edges stay where they were; on a noisy border between two colours the
/// noise goes and the border stays sharp. A `.cube` is refused.
#[test]
fn paint_smooths_into_strokes_and_keeps_edges() {
    let dir = tempfile::tempdir().unwrap();
    trained(&root().join("pipelines/media/film"), dir.path(), "film");
    let picture = photo("coffee.png");
    let w = picture.width() as usize;
    let colour = luma(&run(
        &mut restyle(dir.path(), "film.style", 1.0),
        i420(&picture),
    ));
    let mut stage = restyle_in(dir.path(), "film.style", 1.0, "paint").unwrap();
    let paint = luma(&run(&mut stage, i420(&picture)));
    let (t_colour, t_paint) = (fine_texture(&colour, w), fine_texture(&paint, w));
    let edges = edge_correlation(&colour, &paint, w);
    println!("fine texture: colour {t_colour:.2}, paint {t_paint:.2}; edge correlation {edges:.3}");
    // Anisotropic smoothing keeps stroke-like texture (the wood grain) as
    // strokes: the fall is real but partial.
    assert!(
        t_paint < 0.75 * t_colour,
        "paint {t_paint}, colour {t_colour}"
    );
    assert!(edges > 0.6, "{edges}");

    // A border between two greys, with noise (a fixed pattern): strength
    // 0, so only the painting changes the picture.
    let noisy = RgbImage::from_fn(160, 90, |x, y| {
        let base = if x < 80 { 70 } else { 170 };
        let n = ((x * 7919 + y * 104729) % 31) as i32 - 15;
        image::Rgb([(base + n).clamp(0, 255) as u8; 3])
    });
    let input = i420(&noisy);
    let before = luma(&input);
    let mut stage = restyle_in(dir.path(), "film.style", 0.0, "paint").unwrap();
    let after = luma(&run(&mut stage, input));
    let spread = |p: &[u8], xs: std::ops::Range<usize>| {
        let v: Vec<f64> = (20..70)
            .flat_map(|y| xs.clone().map(move |x| (x, y)))
            .map(|(x, y)| p[y * 160 + x] as f64)
            .collect();
        let m = v.iter().sum::<f64>() / v.len() as f64;
        (v.iter().map(|a| (a - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
    };
    let (noise_before, noise_after) = (spread(&before, 10..60), spread(&after, 10..60));
    println!("noise {noise_before:.1} to {noise_after:.1}");
    assert!(
        noise_after < 0.5 * noise_before,
        "{noise_before} to {noise_after}"
    );
    // The border: from 10% to 90% of the way across within 3 pixels, on
    // the mean of the middle rows.
    let column = |x: usize| (30..60).map(|y| after[y * 160 + x] as f64).sum::<f64>() / 30.0;
    let (lo, hi) = (column(60), column(100));
    let crossing = |share: f64| {
        (60..100)
            .find(|&x| column(x) > lo + share * (hi - lo))
            .unwrap()
    };
    let width = crossing(0.9) - crossing(0.1);
    assert!(width <= 3, "border {width} pixels wide");

    let cube = std::fs::read_to_string(root().join("assets/looks/warm.cube")).unwrap();
    std::fs::write(dir.path().join("warm.cube"), cube).unwrap();
    let err = restyle_in(dir.path(), "warm.cube", 1.0, "paint")
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("mode `paint` needs a .style"), "{err}");
}
