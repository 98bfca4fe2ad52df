//! Times the toon kernels on a 1920x1080 frame (or `WxH`), I420 then
//! RGBA, one thread, at every CPU level this machine has
//! (`REEL_CPU_LEVEL`: that one alone).
//!
//! `toon_bench [WxH] [RUNS]`: prints, per level, the median milliseconds
//! of RUNS runs (default 31), and the best in brackets (the machines here
//! are shared: the best is the least disturbed run), of `posterize` (a
//! 17-colour palette of the picture's hues), `draw_lines` with a fixed
//! threshold, `draw_lines` with a density (the quantile found too, as at
//! a scene's start), and both (posterize, then lines on the result);
//! then the palette's build. The frame is fresh before each run (the
//! copy is not timed). The picture: gradients, a few hard-edged shapes,
//! soft shading, grain.

use std::time::Instant;

use reel_kernels::toon::{self, LineThreshold, Palette, Xdog};
use reel_kernels::{CpuLevel, Format, Image, ImageMut, Layout, convert};

/// The picture in `format`.
fn picture(format: Format, w: usize, h: usize) -> Vec<u8> {
    let rl = Layout::packed(Format::Rgba, w, h);
    let mut rgba = vec![255u8; rl.min_len()];
    let mut seed = 7u64;
    for y in 0..h {
        for x in 0..w {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let grain = ((seed >> 56) as f32 - 128.0) / 1024.0;
            let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
            let sky = [0.35 + 0.3 * fy, 0.55 + 0.2 * fy, 0.9 - 0.5 * fy];
            let d = ((fx - 0.4).powi(2) + (fy - 0.45).powi(2)).sqrt();
            let disc = (d < 0.2) as u8 as f32;
            let square = ((0.65..0.85).contains(&fx) && (0.2..0.5).contains(&fy)) as u8 as f32;
            let band = (((fx * 30.0).sin() > 0.6) && fy > 0.75) as u8 as f32;
            let shade = 0.7 + 0.3 * (fx * 3.0 + fy * 2.0).cos();
            let mut rgb = sky;
            for (c, v) in rgb.iter_mut().enumerate() {
                *v = *v * (1.0 - disc) + [0.85, 0.6, 0.45][c] * disc;
                *v = *v * (1.0 - square) + [0.1, 0.15, 0.2][c] * square;
                *v = *v * (1.0 - band) + [0.9, 0.8, 0.1][c] * band;
            }
            let px = &mut rgba[4 * (y * w + x)..][..3];
            for (p, v) in px.iter_mut().zip(rgb) {
                *p = ((v * shade + grain).clamp(0.0, 1.0) * 255.0 + 0.5) as u8;
            }
        }
    }
    if format == Format::Rgba {
        return rgba;
    }
    let l = Layout::packed(format, w, h);
    let mut out = vec![0u8; l.min_len()];
    convert(
        Image::new(&rl, &rgba).unwrap(),
        &mut ImageMut::new(&l, &mut out).unwrap(),
    )
    .unwrap();
    out
}

/// The median and the best of a set of timings.
#[derive(Clone, Copy, Default)]
struct Ms(f64, f64);

impl std::fmt::Display for Ms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.2} ({:.2})", self.0, self.1)
    }
}

fn median(mut v: Vec<f64>) -> Ms {
    v.sort_by(f64::total_cmp);
    Ms(v[v.len() / 2], v[0])
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (w, h) = match args.first() {
        Some(s) => {
            let (w, h) = s.split_once('x').expect("size is WxH");
            (w.parse().expect("width"), h.parse().expect("height"))
        }
        None => (1920, 1080),
    };
    let runs: usize = args.get(1).map_or(31, |r| r.parse().expect("runs"));
    // The picture's own hues in a few shades each (as a style's palette
    // would be), and black and white.
    let colors: Vec<[u8; 3]> = [
        [0.35, 0.55, 0.9],
        [0.65, 0.75, 0.4],
        [0.85, 0.6, 0.45],
        [0.1, 0.15, 0.2],
        [0.9, 0.8, 0.1],
    ]
    .iter()
    .flat_map(|c: &[f32; 3]| [0.6, 0.85, 1.1].map(|s| c.map(|v| ((v * s).min(1.0) * 255.0) as u8)))
    .chain([[0, 0, 0], [255, 255, 255]])
    .collect();
    let palette = Palette::new(&colors).unwrap();
    let xdog = Xdog {
        sigma: w.max(h) as f32 / 512.0,
        k: 1.6,
        tau: 0.98,
        phi: 200.0,
    };
    // `REEL_CPU_LEVEL` set: that level alone.
    let levels = match std::env::var_os("REEL_CPU_LEVEL") {
        Some(_) => vec![CpuLevel::configured().expect("REEL_CPU_LEVEL")],
        None => CpuLevel::all_supported(),
    };
    for format in [Format::I420, Format::Rgba] {
        let l = Layout::packed(format, w, h);
        let input = picture(format, w, h);
        let mut frame = input.clone();
        println!("{w}x{h} {format}, ms: median of {runs} runs (best)");
        for &level in &levels {
            let mut time = |run: &mut dyn FnMut(&mut ImageMut<'_>)| {
                let mut ms = Vec::with_capacity(runs);
                for i in 0..runs + 2 {
                    frame.copy_from_slice(&input);
                    let mut img = ImageMut::new(&l, &mut frame).unwrap();
                    let t = Instant::now();
                    run(&mut img);
                    if i >= 2 {
                        ms.push(t.elapsed().as_secs_f64() * 1e3);
                    }
                }
                median(ms)
            };
            let post = time(&mut |img| toon::posterize_with(level, img, &palette).unwrap());
            let mut threshold = 0.0;
            let density = time(&mut |img| {
                threshold =
                    toon::draw_lines_with(level, img, &xdog, LineThreshold::Density(0.04)).unwrap();
            });
            let value = time(&mut |img| {
                toon::draw_lines_with(level, img, &xdog, LineThreshold::Value(threshold)).unwrap();
            });
            let both = time(&mut |img| {
                toon::posterize_with(level, img, &palette).unwrap();
                toon::draw_lines_with(level, img, &xdog, LineThreshold::Value(threshold)).unwrap();
            });
            println!(
                "{:>8}: posterize {post}  lines {value}  lines+density {density}  both {both}  (threshold {threshold:.5})",
                level.name()
            );
        }
    }
    let big: Vec<[u8; 3]> = (0..256)
        .map(|i| {
            [
                (i * 37 % 256) as u8,
                (i * 91 % 256) as u8,
                (i * 13 % 256) as u8,
            ]
        })
        .collect();
    for (n, colors) in [(colors.len(), &colors), (256, &big)] {
        let t = Instant::now();
        let p = Palette::new(colors).unwrap();
        println!(
            "palette build, {n} colours: {:.1} ms ({} bytes)",
            t.elapsed().as_secs_f64() * 1e3,
            p.byte_size()
        );
    }
}
