//! The `dhuman` plugin. Keying is measured against a ground truth the test
//! composites itself: the repository's astronaut portrait behind a matte
//! with soft edges, 160 hair-like strands 0.4-1.2 px wide, a motion-blurred
//! hand and green spill near the edges, over an unevenly lit, noisy green
//! screen. The alpha Reel's keyer recovers (through the plugin, with its
//! defaults and the screen colour it finds itself) is compared with
//! ffmpeg's `chromakey` + `despill` and GStreamer's `alpha`, each at its
//! best over a sweep of its parameters and given the screen's true colour.

use std::path::Path;
use std::process::Command;

use image::{Rgba, RgbaImage};
use reel_runtime::{Format, HostFrame, ParamValue, Stage, Verdict};
use reel_tests::{
    decode_frames, file_job_spec, frame, gst_launch, plugin_path, reel_in, root, stderr_text,
    write_pipeline,
};

const W: usize = 1280;
const H: usize = 720;

/// Deterministic uniform and normal draws.
struct Rng(u64);
impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-12), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// A Gaussian blur of a W x H plane (clamped edges).
fn gaussian(plane: &[f64], sigma: f64) -> Vec<f64> {
    let r = (3.0 * sigma).ceil() as isize;
    let weights: Vec<f64> = (-r..=r)
        .map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f64 = weights.iter().sum();
    let pass = |src: &[f64], across: bool| -> Vec<f64> {
        let mut out = vec![0.0; W * H];
        for y in 0..H as isize {
            for x in 0..W as isize {
                let mut s = 0.0;
                for (k, w) in weights.iter().enumerate() {
                    let d = k as isize - r;
                    let (sx, sy) = if across {
                        ((x + d).clamp(0, W as isize - 1), y)
                    } else {
                        (x, (y + d).clamp(0, H as isize - 1))
                    };
                    s += w * src[sy as usize * W + sx as usize];
                }
                out[y as usize * W + x as usize] = s / total;
            }
        }
        out
    };
    pass(&pass(plane, true), false)
}

/// The ground truth: the composite shot, its true alpha, and the
/// subject's colours before spill.
struct Truth {
    shot: RgbaImage,
    alpha: Vec<f64>,
    screen: [u8; 3],
}

fn ground_truth() -> Truth {
    let mut rng = Rng(7);
    let portrait = image::open(root().join("pipelines/media/astronaut.png"))
        .unwrap()
        .resize_exact(720, 720, image::imageops::FilterType::Lanczos3)
        .to_rgb8();
    // Head and shoulders, 4x4 samples a pixel for anti-aliased edges.
    const S: usize = 4;
    let mut alpha = vec![0.0f64; W * H];
    for y in 0..H {
        for x in 0..W {
            let mut inside = 0;
            for sy in 0..S {
                for sx in 0..S {
                    let (fx, fy) = (
                        x as f64 + (sx as f64 + 0.5) / S as f64,
                        y as f64 + (sy as f64 + 0.5) / S as f64,
                    );
                    let head =
                        ((fx - 640.0) / 170.0).powi(2) + ((fy - 300.0) / 210.0).powi(2) <= 1.0;
                    let body = fy > 470.0
                        && (fx - 640.0).abs() < 150.0 + (fy - 470.0) * 1.3
                        && (282.0..998.0).contains(&fx);
                    inside += (head || body) as usize;
                }
            }
            alpha[y * W + x] = inside as f64 / (S * S) as f64;
        }
    }
    let mut alpha = gaussian(&alpha, 1.2);
    // Hair: strands from the top of the head, drawn as discs along curves
    // on a 4x finer grid, then averaged down.
    let mut fine = vec![0.0f64; W * S * H * S];
    for _ in 0..160 {
        let t0 = rng.range(-2.6, -0.5);
        let (mut x, mut y) = (640.0 + 170.0 * t0.cos(), 300.0 + 210.0 * t0.sin());
        let mut angle = t0 + 0.35 * rng.normal();
        let (length, width, opacity, bend) = (
            rng.range(30.0, 110.0),
            rng.range(0.4, 1.2),
            rng.range(0.35, 0.95),
            0.012 * rng.normal(),
        );
        for _ in 0..(length * 2.0) as usize {
            angle += bend;
            x += 0.5 * angle.cos();
            y += 0.5 * angle.sin();
            let (cx, cy, r) = (x * S as f64, y * S as f64, width * S as f64 / 2.0);
            if cx - r < 1.0
                || cy - r < 1.0
                || cx + r + 2.0 >= (W * S) as f64
                || cy + r + 2.0 >= (H * S) as f64
            {
                break;
            }
            for fy in (cy - r) as usize..=(cy + r + 1.0) as usize {
                for fx in (cx - r) as usize..=(cx + r + 1.0) as usize {
                    if (fx as f64 - cx).hypot(fy as f64 - cy) <= r {
                        let v = &mut fine[fy * W * S + fx];
                        *v = v.max(opacity);
                    }
                }
            }
        }
    }
    let mut hair = vec![0.0f64; W * H];
    for y in 0..H {
        for x in 0..W {
            let mut s = 0.0;
            for sy in 0..S {
                for sx in 0..S {
                    s += fine[(y * S + sy) * W * S + x * S + sx];
                }
            }
            hair[y * W + x] = s / (S * S) as f64;
        }
    }
    // A raised hand, blurred by motion along x (41 px).
    let mut hand = vec![0.0f64; W * H];
    for y in 0..H {
        for x in 0..W {
            let inside =
                ((x as f64 - 950.0) / 60.0).powi(2) + ((y as f64 - 420.0) / 45.0).powi(2) <= 1.0;
            hand[y * W + x] = inside as u8 as f64;
        }
    }
    let mut blurred = vec![0.0f64; W * H];
    for y in 0..H {
        for x in 0..W {
            let (a, b) = (x.saturating_sub(20), (x + 20).min(W - 1));
            blurred[y * W + x] = hand[y * W + a..=y * W + b].iter().sum::<f64>() / 41.0;
        }
    }
    let hand = blurred;
    for i in 0..W * H {
        alpha[i] = (alpha[i].max(hair[i]).max(hand[i]).clamp(0.0, 1.0) * 255.0).round() / 255.0;
    }
    // Colours: the portrait; hair dark brown; the hand skin.
    let subject = |x: usize, y: usize| -> [f64; 3] {
        let i = y * W + x;
        let mut c = if (280..1000).contains(&x) {
            portrait
                .get_pixel((x - 280) as u32, y as u32)
                .0
                .map(|v| v as f64)
        } else {
            [0.0; 3]
        };
        if hair[i] > 0.01 {
            let brown = [70.0, 45.0, 30.0];
            c = std::array::from_fn(|k| c[k] * 0.3 + brown[k] * 0.7);
        }
        if hand[i] > 0.01 {
            c = [205.0, 160.0, 130.0];
        }
        c
    };
    // The screen: lit brighter towards the upper left, with noise.
    let green = [45.0, 175.0, 70.0];
    let light = |x: usize, y: usize| {
        0.85 + 0.25
            * (-(((x as f64 - 500.0) / 700.0).powi(2) + ((y as f64 - 250.0) / 500.0).powi(2))).exp()
    };
    // Spill: green light on the subject near its edges.
    let edge = gaussian(&alpha, 12.0);
    let mut shot = RgbaImage::new(W as u32, H as u32);
    for y in 0..H {
        for x in 0..W {
            let i = y * W + x;
            let g: [f64; 3] = std::array::from_fn(|k| green[k] * light(x, y) + 2.0 * rng.normal());
            let f = subject(x, y);
            let spill = if alpha[i] > 0.0 {
                0.30 * (1.0 - edge[i]).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let weights = [0.3, 1.0, 0.3];
            let lit: [f64; 3] = std::array::from_fn(|k| f[k] + spill * (g[k] - f[k]) * weights[k]);
            let c: [f64; 3] = std::array::from_fn(|k| alpha[i] * lit[k] + (1.0 - alpha[i]) * g[k]);
            let [r, gg, b] = c.map(|v| v.round().clamp(0.0, 255.0) as u8);
            shot.put_pixel(x as u32, y as u32, Rgba([r, gg, b, 255]));
        }
    }
    // The screen's true colour: its light at the middle of the frame.
    let mid = light(W / 2, H / 2);
    Truth {
        shot,
        alpha,
        screen: green.map(|c| (c * mid).round() as u8),
    }
}

/// Sum of absolute differences (in thousands) and mean squared error
/// (x 1000) of an alpha against the truth.
fn errors(alpha: &[f64], truth: &[f64]) -> (f64, f64) {
    let (mut sad, mut sse) = (0.0, 0.0);
    for (a, t) in alpha.iter().zip(truth) {
        sad += (a - t).abs();
        sse += (a - t) * (a - t);
    }
    (sad / 1000.0, sse / truth.len() as f64 * 1000.0)
}

/// The mean green excess (G over the larger of R and B) of straight
/// colours, over the pixels whose true alpha is above one half.
fn green_excess(colors: &[[f64; 3]], truth: &[f64]) -> f64 {
    let chosen: Vec<f64> = colors
        .iter()
        .zip(truth)
        .filter(|(_, t)| **t > 0.5)
        .map(|(c, _)| (c[1] - c[0].max(c[2])).max(0.0))
        .collect();
    chosen.iter().sum::<f64>() / chosen.len() as f64
}

fn alpha_of(image: &RgbaImage) -> Vec<f64> {
    image.pixels().map(|p| p.0[3] as f64 / 255.0).collect()
}

fn straight(image: &RgbaImage) -> Vec<[f64; 3]> {
    image
        .pixels()
        .map(|p| {
            let a = p.0[3] as f64 / 255.0;
            std::array::from_fn(|k| if a > 0.0 { p.0[k] as f64 / a } else { 0.0 })
        })
        .collect()
}

/// The shot keyed by the `dhuman` plugin, placed 1:1 at the top left with
/// `extra` parameters, over an opaque RGBA programme of one `color`.
fn composite_by_reel(shot: &RgbaImage, extra: &[(&str, ParamValue)], color: [u8; 3]) -> Vec<u8> {
    composite_by_reel_from(shot, Format::Rgba, extra, color)
}

/// [`composite_by_reel`] with the shot handed over in `format` (converted
/// from RGBA by the host's kernel).
fn composite_by_reel_from(
    shot: &RgbaImage,
    format: Format,
    extra: &[(&str, ParamValue)],
    color: [u8; 3],
) -> Vec<u8> {
    let mut params = vec![
        ("anchor".to_string(), ParamValue::Text("top-left".into())),
        ("margin_x".to_string(), ParamValue::Number(0.0)),
        ("height".to_string(), ParamValue::Number(1.0)),
    ];
    params.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let mut stage = Stage::new(file_job_spec("presenter", &plugin_path("dhuman"), params)).unwrap();
    let programme = frame(Format::Rgba, W, H, |i| {
        if i % 4 == 3 { 255 } else { color[i % 4] }
    });
    let rgba_layout = reel_kernels::Layout::packed(reel_kernels::Format::Rgba, W, H);
    let layout = reel_kernels::Layout::packed(kernel_format(format), W, H);
    let mut converted = vec![0u8; layout.min_len()];
    reel_kernels::convert(
        reel_kernels::Image::new(&rgba_layout, shot.as_raw()).unwrap(),
        &mut reel_kernels::ImageMut::new(&layout, &mut converted).unwrap(),
    )
    .unwrap();
    let presenter = frame(format, W, H, |i| converted[i]);
    let inputs = vec![
        ("programme".into(), programme),
        ("presenter".into(), presenter),
    ];
    let (out, verdict) = stage.mix(inputs, HostFrame::blank(Format::Rgba, W, H));
    assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
    out.bytes().unwrap().to_vec()
}

/// `shot` through I420 and back, by the host's kernels.
fn i420_round_trip(shot: &RgbaImage) -> RgbaImage {
    let rgba = reel_kernels::Layout::packed(reel_kernels::Format::Rgba, W, H);
    let yuv = reel_kernels::Layout::packed(reel_kernels::Format::I420, W, H);
    let mut middle = vec![0u8; yuv.min_len()];
    reel_kernels::convert(
        reel_kernels::Image::new(&rgba, shot.as_raw()).unwrap(),
        &mut reel_kernels::ImageMut::new(&yuv, &mut middle).unwrap(),
    )
    .unwrap();
    let mut back = vec![0u8; rgba.min_len()];
    reel_kernels::convert(
        reel_kernels::Image::new(&yuv, &middle).unwrap(),
        &mut reel_kernels::ImageMut::new(&rgba, &mut back).unwrap(),
    )
    .unwrap();
    RgbaImage::from_raw(W as u32, H as u32, back).unwrap()
}

fn kernel_format(format: Format) -> reel_kernels::Format {
    match format {
        Format::I420 => reel_kernels::Format::I420,
        Format::Nv12 => reel_kernels::Format::Nv12,
        Format::Rgba => reel_kernels::Format::Rgba,
    }
}

/// The shot, handed over in `format`, keyed by the `dhuman` plugin with
/// its defaults over black and over white RGBA programmes: alpha and
/// premultiplied colour follow from the two.
fn keyed_by_reel(shot: &RgbaImage, format: Format) -> (Vec<f64>, Vec<[f64; 3]>) {
    let (black, white) = (
        composite_by_reel_from(shot, format, &[], [0; 3]),
        composite_by_reel_from(shot, format, &[], [255; 3]),
    );
    let mut alpha = Vec::with_capacity(W * H);
    let mut colors = Vec::with_capacity(W * H);
    for (b, w) in black.chunks_exact(4).zip(white.chunks_exact(4)) {
        let a = 1.0 - (w[1] as f64 - b[1] as f64) / 255.0;
        alpha.push(a.clamp(0.0, 1.0));
        colors.push(std::array::from_fn(|k| {
            if a > 0.0 { b[k] as f64 / a } else { 0.0 }
        }));
    }
    (alpha, colors)
}

/// `presenter = "pip"`: the presenter's whole picture, not keyed, in a
/// corner, framed by a white border, the programme round it untouched.
#[test]
fn a_picture_in_picture_frames_the_whole_presenter() {
    let params = vec![
        ("presenter".to_string(), ParamValue::Text("pip".into())),
        (
            "anchor".to_string(),
            ParamValue::Text("bottom-right".into()),
        ),
        ("height".to_string(), ParamValue::Number(0.25)),
        ("margin_x".to_string(), ParamValue::Number(0.05)),
        ("margin_y".to_string(), ParamValue::Number(0.05)),
        ("border".to_string(), ParamValue::Integer(6)),
    ];
    let mut stage = Stage::new(file_job_spec("pip", &plugin_path("dhuman"), params)).unwrap();
    let (w, h) = (640, 360);
    let programme = frame(Format::Rgba, w, h, |i| [20, 40, 200, 255][i % 4]);
    // A green-screen shot: a pip shows the screen as it is.
    let presenter = frame(Format::Rgba, 320, 180, |i| [0, 177, 64, 255][i % 4]);
    let inputs = vec![
        ("programme".into(), programme),
        ("presenter".into(), presenter),
    ];
    let (out, verdict) = stage.mix(inputs, HostFrame::blank(Format::Rgba, w, h));
    assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
    let out = out.bytes().unwrap().to_vec();
    let px = |x: usize, y: usize| -> [u8; 4] { out[4 * (y * w + x)..][..4].try_into().unwrap() };
    let green: Vec<(usize, usize)> = (0..w * h)
        .map(|i| (i % w, i / w))
        .filter(|&(x, y)| px(x, y) == [0, 177, 64, 255])
        .collect();
    let (x0, x1) = (
        green.iter().map(|p| p.0).min().unwrap(),
        green.iter().map(|p| p.0).max().unwrap(),
    );
    let (y0, y1) = (
        green.iter().map(|p| p.1).min().unwrap(),
        green.iter().map(|p| p.1).max().unwrap(),
    );
    // 90 rows (a quarter of 360) by 160, wholly green, in the bottom right.
    assert_eq!((x1 - x0 + 1, y1 - y0 + 1), (160, 90));
    assert_eq!(green.len(), 160 * 90);
    assert!(x0 > w / 2 && y0 > h / 2, "at {x0},{y0}");
    // The white frame round it, 6 pixels wide; the programme beyond.
    for (x, y) in [
        (x0 - 3, y0 + 40),
        (x1 + 3, y0 + 40),
        (x0 + 80, y0 - 6),
        (x0 + 80, y1 + 6),
    ] {
        assert_eq!(px(x, y), [255, 255, 255, 255], "border at {x},{y}");
    }
    for (x, y) in [(x0 - 7, y0 + 40), (x0 + 80, y0 - 7), (10, 10)] {
        assert_eq!(px(x, y), [20, 40, 200, 255], "programme at {x},{y}");
    }
}

/// Light wrap (contract 0.1.7): over a red programme the presenter's rim,
/// just inside its edge, takes on the programme's red; its middle, far
/// from any edge, is exactly as without, and the programme round it is.
#[test]
fn light_wrap_brings_the_programme_s_light_round_the_edges() {
    let truth = ground_truth();
    let red = [200, 30, 40];
    let plain = composite_by_reel(&truth.shot, &[], red);
    let wrap = [
        ("wrap", ParamValue::Number(0.8)),
        ("wrap_radius", ParamValue::Number(16.0)),
    ];
    let wrapped = composite_by_reel(&truth.shot, &wrap, red);
    let near = gaussian(&truth.alpha, 3.0);
    let far = gaussian(&truth.alpha, 20.0);
    let redness = |f: &[u8], i: usize| f[4 * i] as f64 - f[4 * i + 1] as f64;
    let (mut rim, mut rim_plain, mut rim_count) = (0.0, 0.0, 0);
    let (mut off, mut off_count) = (0.0, 0);
    for i in 0..W * H {
        if truth.alpha[i] >= 1.0 && near[i] < 0.9 {
            rim += redness(&wrapped, i);
            rim_plain += redness(&plain, i);
            rim_count += 1;
        }
        let (a, b) = (&wrapped[4 * i..4 * i + 4], &plain[4 * i..4 * i + 4]);
        if far[i] >= 0.999 {
            assert_eq!(a, b, "pixel {i} in the middle changed");
        }
        // Off the presenter only the faint alpha the key leaves on the
        // screen's noise can take a trace of the programme's colour.
        if truth.alpha[i] <= 0.0 && near[i] <= 0.0 {
            off += a
                .iter()
                .zip(b)
                .map(|(x, y)| x.abs_diff(*y) as f64)
                .sum::<f64>();
            off_count += 1;
        }
    }
    assert!(rim_count > 1000, "{rim_count} rim pixels");
    let off = off / (3 * off_count) as f64;
    assert!(
        off < 0.05,
        "the programme round the presenter changed by {off:.3} on average"
    );
    let (rim, rim_plain) = (rim / rim_count as f64, rim_plain / rim_count as f64);
    println!("light wrap: the rim's red minus green {rim_plain:.1} plain, {rim:.1} wrapped");
    assert!(
        rim > rim_plain + 25.0,
        "rim {rim:.1}, without the wrap {rim_plain:.1}"
    );
}

fn hex(c: [u8; 3]) -> String {
    format!("{:02X}{:02X}{:02X}", c[0], c[1], c[2])
}

/// ffmpeg's chromakey (then despill) at its best over a sweep.
fn best_ffmpeg(dir: &Path, truth: &Truth) -> ((f64, f64), String, RgbaImage) {
    let mut best: Option<((f64, f64), String, RgbaImage)> = None;
    for similarity in [0.02, 0.03, 0.05, 0.08, 0.12] {
        for blend in [0.0, 0.05, 0.1, 0.2] {
            let out = dir.join("ffmpeg.png");
            let filter = format!(
                "format=yuv444p,chromakey=0x{}:{similarity}:{blend},despill=type=green,format=rgba",
                hex(truth.screen)
            );
            let status = Command::new("ffmpeg")
                .args(["-v", "error", "-y", "-i"])
                .arg(dir.join("shot.png"))
                .args(["-vf", &filter])
                .arg(&out)
                .status()
                .expect("ffmpeg runs");
            assert!(status.success());
            let image = image::open(&out).unwrap().to_rgba8();
            let e = errors(&alpha_of(&image), &truth.alpha);
            if best.as_ref().is_none_or(|b| e.0 < b.0.0) {
                best = Some((e, format!("similarity {similarity}, blend {blend}"), image));
            }
        }
    }
    best.unwrap()
}

/// GStreamer's alpha (green or the screen's own colour) at its best over
/// a sweep.
fn best_gstreamer(dir: &Path, truth: &Truth) -> ((f64, f64), String, RgbaImage) {
    let mut best: Option<((f64, f64), String, RgbaImage)> = None;
    let [r, g, b] = truth.screen;
    for method in ["green", "custom"] {
        for angle in [45, 60, 75, 90] {
            for noise in [4, 8, 16, 32] {
                let out = dir.join("gst.png");
                let shot = format!("location={}", dir.join("shot.png").display());
                let (angle, noise) = (format!("angle={angle}"), format!("noise-level={noise}"));
                let (tr, tg, tb) = (
                    format!("target-r={r}"),
                    format!("target-g={g}"),
                    format!("target-b={b}"),
                );
                let location = format!("location={}", out.display());
                let method_arg = format!("method={method}");
                let mut args = vec![
                    "filesrc",
                    &shot,
                    "!",
                    "pngdec",
                    "!",
                    "videoconvert",
                    "!",
                    "alpha",
                    &method_arg,
                    &angle,
                    &noise,
                ];
                if method == "custom" {
                    args.extend([tr.as_str(), tg.as_str(), tb.as_str()]);
                }
                args.extend([
                    "!",
                    "videoconvert",
                    "!",
                    "video/x-raw,format=RGBA",
                    "!",
                    "pngenc",
                    "!",
                    "filesink",
                    &location,
                ]);
                gst_launch(&args);
                let image = image::open(&out).unwrap().to_rgba8();
                let e = errors(&alpha_of(&image), &truth.alpha);
                if best.as_ref().is_none_or(|b| e.0 < b.0.0) {
                    best = Some((e, format!("method {method}, {angle}, {noise}"), image));
                }
            }
        }
    }
    best.unwrap()
}

#[test]
fn the_keyer_beats_ffmpeg_and_gstreamer_at_their_best() {
    let dir = tempfile::tempdir().unwrap();
    let truth = ground_truth();
    truth.shot.save(dir.path().join("shot.png")).unwrap();
    let (alpha, colors) = keyed_by_reel(&truth.shot, Format::Rgba);
    let reel = errors(&alpha, &truth.alpha);
    // The shot as video brings it, I420, keyed on its samples directly;
    // and the same I420 picture converted back to RGBA and keyed there.
    let (alpha_yuv, _) = keyed_by_reel(&truth.shot, Format::I420);
    let reel_yuv = errors(&alpha_yuv, &truth.alpha);
    let (alpha_rt, _) = keyed_by_reel(&i420_round_trip(&truth.shot), Format::Rgba);
    let reel_rt = errors(&alpha_rt, &truth.alpha);
    let (ffmpeg, ff_params, ff_image) = best_ffmpeg(dir.path(), &truth);
    let (gst, gst_params, gst_image) = best_gstreamer(dir.path(), &truth);
    let shot_colors: Vec<[f64; 3]> = truth
        .shot
        .pixels()
        .map(|p| std::array::from_fn(|k| p.0[k] as f64))
        .collect();
    let spill = [
        green_excess(&shot_colors, &truth.alpha),
        green_excess(&colors, &truth.alpha),
        green_excess(&straight(&ff_image), &truth.alpha),
        green_excess(&straight(&gst_image), &truth.alpha),
    ];
    println!(
        "keying a 1280x720 green-screen shot (alpha SAD in thousands, MSE x 1000; green excess on the subject):"
    );
    println!(
        "  Reel dhuman (defaults, screen found)  SAD {:.3}  MSE {:.4}  green excess {:.2}",
        reel.0, reel.1, spill[1]
    );
    println!(
        "  Reel dhuman from I420                 SAD {:.3}  MSE {:.4}  (the I420 picture as RGBA: SAD {:.3}  MSE {:.4})",
        reel_yuv.0, reel_yuv.1, reel_rt.0, reel_rt.1
    );
    println!(
        "  ffmpeg chromakey+despill ({ff_params})  SAD {:.3}  MSE {:.4}  green excess {:.2}",
        ffmpeg.0, ffmpeg.1, spill[2]
    );
    println!(
        "  GStreamer alpha ({gst_params})  SAD {:.3}  MSE {:.4}  green excess {:.2}",
        gst.0, gst.1, spill[3]
    );
    println!("  the shot itself: green excess {:.2}", spill[0]);
    assert!(
        reel.0 < ffmpeg.0 && reel.0 < gst.0,
        "SAD: Reel {reel:?}, ffmpeg {ffmpeg:?}, GStreamer {gst:?}"
    );
    assert!(
        reel.1 < ffmpeg.1 && reel.1 < gst.1,
        "MSE: Reel {reel:?}, ffmpeg {ffmpeg:?}, GStreamer {gst:?}"
    );
    // Keying I420 samples directly loses nothing against converting the
    // same picture first (what I420 itself loses, its halved chroma on the
    // hair, is another matter).
    assert!(
        (reel_yuv.0 - reel_rt.0).abs() < 0.02 * reel_rt.0
            && (reel_yuv.1 - reel_rt.1).abs() < 0.02 * reel_rt.1,
        "from I420 {reel_yuv:?}, from it converted {reel_rt:?}"
    );
    // Spill measurably removed: most of the shot's green cast is gone.
    assert!(spill[1] < 0.25 * spill[0], "green excess {spill:?}");
}

/// A keyed-presenter pipeline over the repository's programme, with
/// `params` for the stage, in `dir`.
fn presenter_pipeline(dir: &Path, params: &str) -> String {
    write_pipeline(
        dir,
        &format!(
            r#"
[[source]]
id = "programme"
file = "{media}/photos.mp4"

[[source]]
id = "studio"
file = "{media}/presenter_green.mp4"

[[stage]]
id = "presenter"
plugin = "{plugin}"
inputs = ["programme", "studio"]
params = {{ {params} }}

[[sink]]
input = "presenter"
file = "out.mp4"
video = {{ crf = 16 }}
"#,
            media = root().join("pipelines/media").display(),
            plugin = plugin_path("dhuman").display(),
        ),
    )
}

/// Mean green excess over a region of an RGBA frame.
fn region_green(frame: &[u8], w: usize, (x0, y0, x1, y1): (usize, usize, usize, usize)) -> f64 {
    let mut sum = 0.0;
    for y in y0..y1 {
        for x in x0..x1 {
            let p = &frame[4 * (y * w + x)..][..3];
            sum += (p[1] as f64 - p[0].max(p[2]) as f64).max(0.0);
        }
    }
    sum / ((x1 - x0) * (y1 - y0)) as f64
}

#[test]
fn a_keyed_presenter_comes_on_over_the_programme() {
    let dir = tempfile::tempdir().unwrap();
    let path = presenter_pipeline(
        dir.path(),
        r#"anchor = "bottom-right", height = 0.8, start = 1.0, fade_in = 0.4, shadow = 0.5"#,
    );
    let out = reel_in(dir.path(), &["run", &path]);
    assert!(out.status.success(), "{}", stderr_text(&out));
    let w = 320;
    let frames = decode_frames(&dir.path().join("out.mp4"), 320, 180);
    let programme = decode_frames(&root().join("pipelines/media/photos.mp4"), 320, 180);
    assert_eq!(frames.len(), programme.len());
    let differs = |a: &[u8], b: &[u8]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| x.abs_diff(*y) as f64)
            .sum::<f64>()
            / a.len() as f64
    };
    // Before the start: the programme alone.
    assert!(differs(&frames[10], &programme[10]) < 2.0);
    // On air: where the presenter's suit is (its box is 256x144 at the
    // bottom right, 4% in from the edge: x 51..307, y 36..180) changed,
    // the far left not, and no screen green is left over the programme.
    let (a, b) = (&frames[100], &programme[100]);
    let region = |f: &[u8], x0: usize, x1: usize, y0: usize, y1: usize| -> Vec<u8> {
        (y0..y1)
            .flat_map(|y| f[4 * (y * w + x0)..4 * (y * w + x1)].to_vec())
            .collect()
    };
    let suit = differs(
        &region(a, 128, 230, 144, 180),
        &region(b, 128, 230, 144, 180),
    );
    assert!(suit > 20.0, "{suit}");
    let left = differs(&region(a, 0, 40, 0, 180), &region(b, 0, 40, 0, 180));
    assert!(left < 3.0, "{left}");
    let green_after = region_green(a, w, (150, 0, 320, 180));
    let green_before = region_green(b, w, (150, 0, 320, 180));
    assert!(
        green_after <= green_before + 2.0,
        "green {green_after} (programme {green_before})"
    );
}

#[test]
fn bad_presenter_settings_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    // A key colour that is not a colour: a check error at its line.
    let path = presenter_pipeline(dir.path(), r#"key_color = "greenish""#);
    let out = reel_in(dir.path(), &["check", &path]);
    assert_eq!(out.status.code(), Some(2));
    let e = stderr_text(&out);
    assert!(
        e.contains("pipeline.toml:14:") && e.contains("key_color"),
        "{e}"
    );
    // So is a picture-in-picture's border colour.
    let path = presenter_pipeline(dir.path(), r##"presenter = "pip", border_color = "#12""##);
    let out = reel_in(dir.path(), &["check", &path]);
    assert_eq!(out.status.code(), Some(2));
    let e = stderr_text(&out);
    assert!(
        e.contains("pipeline.toml:14:") && e.contains("border_color"),
        "{e}"
    );
    // An alpha presenter without alpha: the run fails naming the stage,
    // and writes nothing.
    let path = presenter_pipeline(dir.path(), r#"presenter = "alpha""#);
    let out = reel_in(dir.path(), &["run", &path]);
    assert_eq!(out.status.code(), Some(1));
    let e = stderr_text(&out);
    assert!(
        e.contains("presenter") && e.contains("needs a picture with alpha"),
        "{e}"
    );
    assert!(!dir.path().join("out.mp4").exists());
    // Wired without its presenter: a warning at check time naming it.
    let only = write_pipeline(
        dir.path(),
        &format!(
            "[[source]]\nid = \"programme\"\nfile = \"{}\"\n\n[[stage]]\nid = \"presenter\"\nplugin = \"{}\"\ninputs = [\"programme\"]\n\n[[sink]]\ninput = \"presenter\"\nfile = \"out.mp4\"\n",
            root().join("pipelines/media/photos.mp4").display(),
            plugin_path("dhuman").display()
        ),
    );
    let out = reel_in(dir.path(), &["check", &only]);
    let e = stderr_text(&out);
    assert!(
        e.contains("pipeline.toml:8:") && e.contains("`presenter` is not connected"),
        "{e}"
    );
}

/// A presenter with its own alpha over a white programme: an opaque red
/// disc in a ring of red at half alpha, the rest transparent. `source` is
/// the presenter's source line. Returns the output's middle frame at
/// 160x90 (RGBA).
fn alpha_presenter_over_white(dir: &Path, source: &str, alpha: &str) -> Vec<u8> {
    let path = write_pipeline(
        dir,
        &format!(
            r#"
[[source]]
id = "programme"
testsrc = {{ pattern = "white", size = "320x180", rate = 25, seconds = 1, audio = false }}

[[source]]
id = "studio"
{source}

[[stage]]
id = "presenter"
plugin = "{}"
inputs = ["programme", "studio"]
params = {{ presenter = "alpha", alpha = "{alpha}", anchor = "center", margin_x = 0.0, height = 1.0 }}

[[sink]]
input = "presenter"
file = "out.mp4"
video = {{ crf = 10, pixel_format = "yuv444p" }}
"#,
            plugin_path("dhuman").display()
        ),
    );
    let out = reel_in(dir, &["run", &path]);
    assert!(out.status.success(), "{}", stderr_text(&out));
    let frames = decode_frames(&dir.join("out.mp4"), 160, 90);
    assert_eq!(frames.len(), 25);
    frames[12].clone()
}

/// Red over white at the picture's middle (opaque), in the ring (half
/// alpha: pink, straight alpha weighed once), and outside (white: the
/// transparent pixels' own colour never shows).
fn assert_disc_and_ring(frame: &[u8], what: &str) {
    let px = |x: usize, y: usize| &frame[4 * (y * 160 + x)..][..3];
    let near =
        |p: &[u8], want: [u8; 3], tol: u8| p.iter().zip(want).all(|(a, b)| a.abs_diff(b) <= tol);
    assert!(
        near(px(80, 45), [255, 0, 0], 40),
        "{what}: middle {:?}",
        px(80, 45)
    );
    assert!(
        near(px(96, 45), [255, 128, 128], 40),
        "{what}: ring {:?}",
        px(96, 45)
    );
    assert!(
        near(px(5, 5), [255, 255, 255], 12),
        "{what}: outside {:?}",
        px(5, 5)
    );
}

/// The test picture's alpha at (x, y) of 320x180: 255 within 25 px of
/// the middle, 128 to 40 px, 0 beyond.
fn disc_alpha(x: u32, y: u32) -> u8 {
    let d = (x as f64 - 160.0).hypot(y as f64 - 90.0);
    if d < 25.0 {
        255
    } else if d < 40.0 {
        128
    } else {
        0
    }
}

#[test]
fn presenters_with_their_own_alpha_from_webm_and_png() {
    let dir = tempfile::tempdir().unwrap();
    // VP8 and VP9 with alpha, as ffmpeg's libvpx writes them; GStreamer's
    // decodebin reads the alpha through vp8alphadecodebin / vp9alphadecodebin.
    // Transparent pixels are green: they must not show.
    let geq = "geq=r='if(lt(hypot(X-160,Y-90),40),255,0)':g='if(lt(hypot(X-160,Y-90),40),0,255)':b=0:\
               a='if(lt(hypot(X-160,Y-90),25),255,if(lt(hypot(X-160,Y-90),40),128,0))'";
    for codec in ["libvpx", "libvpx-vp9"] {
        let webm = dir.path().join(format!("{codec}.webm"));
        let status = Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "color=black:s=320x180:r=25:d=1",
            ])
            .args(["-vf", &format!("format=rgba,{geq},format=yuva420p")])
            .args([
                "-c:v",
                codec,
                "-pix_fmt",
                "yuva420p",
                "-auto-alt-ref",
                "0",
                "-crf",
                "4",
                "-b:v",
                "4M",
            ])
            .arg(&webm)
            .status()
            .expect("ffmpeg runs");
        assert!(status.success());
        let frame = alpha_presenter_over_white(
            dir.path(),
            &format!("file = \"{}\"", webm.display()),
            "straight",
        );
        assert_disc_and_ring(&frame, codec);
    }
    // A PNG sequence with straight alpha, decoded in the sandbox by
    // imagedec, which hands on premultiplied colour.
    for i in 0..5 {
        let picture = RgbaImage::from_fn(320, 180, |x, y| {
            let a = disc_alpha(x, y);
            if a > 0 {
                Rgba([255, 0, 0, a])
            } else {
                Rgba([0, 255, 0, 0])
            }
        });
        picture
            .save(dir.path().join(format!("walk_{i:03}.png")))
            .unwrap();
    }
    let frame = alpha_presenter_over_white(
        dir.path(),
        r#"images = { file = "walk_%03d.png", decoder = "imagedec", rate = 25, seconds = 1 }"#,
        "premultiplied",
    );
    assert_disc_and_ring(&frame, "PNG sequence");
}
