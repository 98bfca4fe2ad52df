//! The 3D LUT on I420 and NV12 against the RGBA path it stands for:
//! `convert` to RGBA, the LUT there, `convert` back.

use reel_kernels::lut3d::apply_lut3d_with;
use reel_kernels::{CpuLevel, Format, Image, ImageMut, Layout, Lut3d, apply_lut3d, convert};

/// A .cube file: `LUT_3D_SIZE`, `TITLE`, `DOMAIN_*` and `#` comments
/// skipped, then size^3 lines of R G B, red fastest.
fn parse_cube(text: &str) -> Lut3d {
    let mut size = 0;
    let mut table = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(n) = line.strip_prefix("LUT_3D_SIZE") {
            size = n.trim().parse().expect("LUT_3D_SIZE");
        } else if line.starts_with(|c: char| c.is_ascii_alphabetic()) {
            // TITLE, DOMAIN_MIN, DOMAIN_MAX (the looks use 0..1).
        } else {
            table.extend(
                line.split_whitespace()
                    .map(|v| v.parse::<f32>().expect("a number")),
            );
        }
    }
    Lut3d::new(size, &table).expect("a valid .cube")
}

fn looks() -> Vec<(String, Lut3d)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/looks");
    let mut looks: Vec<(String, Lut3d)> = ["warm", "mono", "teal-orange"]
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(format!("{dir}/{name}.cube")).expect("look");
            (name.to_string(), parse_cube(&text))
        })
        .collect();
    looks.push(("hue+contrast".into(), strong_lut()));
    looks
}

/// A strong synthetic look: hue rotated by 120 degrees plus a steep
/// S-curve, saturation raised: far from the identity everywhere.
fn strong_lut() -> Lut3d {
    let n = 33;
    let mut table = Vec::new();
    let curve = |x: f32| {
        let s = x * x * (3.0 - 2.0 * x);
        s * s * (3.0 - 2.0 * s)
    };
    for b in 0..n {
        for g in 0..n {
            for r in 0..n {
                let [r, g, b] = [r, g, b].map(|c| c as f32 / (n - 1) as f32);
                let grey = (r + g + b) / 3.0;
                let [r, g, b] = [g, b, r].map(|c| grey + (c - grey) * 1.6);
                table.extend([r, g, b].map(|c| curve(c.clamp(0.0, 1.0))));
            }
        }
    }
    Lut3d::new(n, &table).unwrap()
}

/// Deterministic noise.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u8 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 56) as u8
    }
}

/// A YUV picture of `format` made from RGBA pixels `f(x, y)` by `convert`.
fn from_rgb(format: Format, w: usize, h: usize, f: impl Fn(usize, usize) -> [u8; 3]) -> Vec<u8> {
    let rl = Layout::packed(Format::Rgba, w, h);
    let mut rgba = vec![255u8; rl.min_len()];
    for y in 0..h {
        for x in 0..w {
            rgba[4 * (y * w + x)..][..3].copy_from_slice(&f(x, y));
        }
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

/// Pictures to compare on: smooth gradients (in gamut),
/// noise (every code, legal or not), and a photo-like one (smooth
/// shading of several hues, soft edges, a little grain). I420, packed.
fn pictures(w: usize, h: usize) -> Vec<(&'static str, Vec<u8>)> {
    let l = Layout::packed(Format::I420, w, h);
    // Ramps of R, G and B across the picture, every mix of the three
    // somewhere: legal codes, in gamut.
    let gradients = from_rgb(Format::I420, w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        [fx, fy, 1.0 - (fx + fy) / 2.0].map(|c| (c * 255.0 + 0.5) as u8)
    });
    let mut rng = Rng(7);
    let noise: Vec<u8> = (0..l.min_len()).map(|_| rng.next()).collect();
    let mut rng = Rng(11);
    let grain: Vec<u8> = (0..w * h).map(|_| rng.next()).collect();
    let photo = from_rgb(Format::I420, w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        // Sky to ground, a warm disc (a face), a saturated band, shading.
        let sky = [0.35 + 0.3 * fy, 0.55 + 0.2 * fy, 0.9 - 0.5 * fy];
        let d = ((fx - 0.4).powi(2) + (fy - 0.45).powi(2)).sqrt();
        let face = (1.0 - ((d - 0.18) * 40.0).clamp(0.0, 1.0)) * (1.0 - d);
        let band = (((fx * 9.0).sin() * 0.5 + 0.5) * (fy > 0.75) as u8 as f32) * 0.8;
        let shade = 0.6 + 0.4 * (fx * 3.0 + fy * 2.0).cos();
        let rgb = [
            sky[0] * (1.0 - face) + 0.85 * face + 0.1 * band,
            sky[1] * (1.0 - face) + 0.6 * face + 0.7 * band,
            sky[2] * (1.0 - face) + 0.45 * face - 0.3 * band,
        ];
        let g = (grain[y * w + x] as f32 - 128.0) / 2048.0;
        rgb.map(|c| ((c * shade + g).clamp(0.0, 1.0) * 255.0 + 0.5) as u8)
    });
    vec![("gradients", gradients), ("noise", noise), ("photo", photo)]
}

/// The RGBA path: `convert` to RGBA, the LUT, `convert` back.
fn rgba_path(
    format: Format,
    w: usize,
    h: usize,
    pic: &[u8],
    lut: &Lut3d,
    strength: f32,
) -> Vec<u8> {
    let l = Layout::packed(format, w, h);
    let rl = Layout::packed(Format::Rgba, w, h);
    let mut rgba = vec![0u8; rl.min_len()];
    convert(
        Image::new(&l, pic).unwrap(),
        &mut ImageMut::new(&rl, &mut rgba).unwrap(),
    )
    .unwrap();
    apply_lut3d(&mut ImageMut::new(&rl, &mut rgba).unwrap(), lut, strength).unwrap();
    let mut out = vec![0u8; l.min_len()];
    convert(
        Image::new(&rl, &rgba).unwrap(),
        &mut ImageMut::new(&l, &mut out).unwrap(),
    )
    .unwrap();
    out
}

fn yuv_path(
    level: CpuLevel,
    format: Format,
    w: usize,
    h: usize,
    pic: &[u8],
    lut: &Lut3d,
    strength: f32,
) -> Vec<u8> {
    let l = Layout::packed(format, w, h);
    let mut out = pic.to_vec();
    apply_lut3d_with(
        level,
        &mut ImageMut::new(&l, &mut out).unwrap(),
        lut,
        strength,
    )
    .unwrap();
    out
}

fn to_format(format: Format, w: usize, h: usize, i420: &[u8]) -> Vec<u8> {
    let (sl, dl) = (
        Layout::packed(Format::I420, w, h),
        Layout::packed(format, w, h),
    );
    let mut out = vec![0u8; dl.min_len()];
    convert(
        Image::new(&sl, i420).unwrap(),
        &mut ImageMut::new(&dl, &mut out).unwrap(),
    )
    .unwrap();
    out
}

/// Mean, 99th percentile and largest |a - b| over each plane of an I420
/// picture (Y, U, V).
fn plane_stats(w: usize, h: usize, a: &[u8], b: &[u8]) -> [(f64, u8, u8); 3] {
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let spans = [
        0..w * h,
        w * h..w * h + cw * ch,
        w * h + cw * ch..w * h + 2 * cw * ch,
    ];
    spans.map(|span| {
        let mut d: Vec<u8> = a[span.clone()]
            .iter()
            .zip(&b[span])
            .map(|(x, y)| x.abs_diff(*y))
            .collect();
        let mean = d.iter().map(|&x| x as f64).sum::<f64>() / d.len() as f64;
        d.sort_unstable();
        (
            mean,
            d[(d.len() * 99 / 100).min(d.len() - 1)],
            d[d.len() - 1],
        )
    })
}

const PLANES: [&str; 3] = ["Y", "U", "V"];

#[test]
fn i420_and_nv12_match_the_rgba_path() {
    let (w, h) = (320, 180);
    // The scalar row, the reference: `all_levels_agree` ties the others to it.
    let level = CpuLevel::BASELINE;
    let mut worst = 0.0f64;
    for (look, lut) in looks() {
        for (name, pic) in pictures(w, h) {
            for strength in [1.0, 0.5] {
                let want = rgba_path(Format::I420, w, h, &pic, &lut, strength);
                let got = yuv_path(level, Format::I420, w, h, &pic, &lut, strength);
                let stats = plane_stats(w, h, &got, &want);
                for (plane, (mean, p99, max)) in PLANES.iter().zip(stats) {
                    println!(
                        "{look:>12} {name:>9} s={strength} {plane}: mean {mean:.3} p99 {p99} max {max}"
                    );
                    assert!(mean <= 1.0, "{look} {name} {strength} {plane}: mean {mean}");
                    worst = worst.max(mean);
                }
                // NV12 goes through the same table: the same samples.
                let nv12 = to_format(Format::Nv12, w, h, &pic);
                let got_nv12 = yuv_path(level, Format::Nv12, w, h, &nv12, &lut, strength);
                assert!(
                    got_nv12 == to_format(Format::Nv12, w, h, &got),
                    "{look} {name}"
                );
            }
        }
    }
    println!("worst plane mean {worst:.3}");
}

#[test]
fn identity_lut_keeps_the_picture() {
    let (w, h) = (64, 48);
    let lut = Lut3d::identity(17);
    for (name, pic) in pictures(w, h) {
        let got = yuv_path(CpuLevel::BASELINE, Format::I420, w, h, &pic, &lut, 1.0);
        // What the RGBA path keeps: its round trip through RGB is not exact
        // either (and clamps illegal codes): compare on legal pictures.
        let stats = plane_stats(w, h, &got, &pic);
        println!("identity {name}: {stats:?}");
        if name != "noise" {
            for (plane, (mean, _, max)) in PLANES.iter().zip(stats) {
                assert!(
                    mean <= 1.0 && max <= 2,
                    "{name} {plane}: mean {mean} max {max}"
                );
            }
        }
    }
}

#[test]
fn strength_zero_leaves_the_picture_exactly() {
    let (w, h) = (33, 17);
    let lut = strong_lut();
    for format in [Format::I420, Format::Nv12] {
        for (name, pic) in pictures(w, h) {
            let pic = to_format(format, w, h, &pic);
            for level in CpuLevel::all_supported() {
                let got = yuv_path(level, format, w, h, &pic, &lut, 0.0);
                assert!(got == pic, "{format} {name} {level:?}");
            }
        }
    }
}

#[test]
fn all_levels_agree() {
    // Narrow, and wide (many whole groups of the SIMD rows, an odd tail).
    for (w, h) in [(67, 35), (1921, 7)] {
        levels_agree(w, h);
    }
}

fn levels_agree(w: usize, h: usize) {
    for (look, lut) in looks() {
        for (name, pic) in pictures(w, h) {
            for format in [Format::I420, Format::Nv12] {
                let pic = to_format(format, w, h, &pic);
                let base = yuv_path(CpuLevel::BASELINE, format, w, h, &pic, &lut, 0.8);
                for level in CpuLevel::all_supported() {
                    let got = yuv_path(level, format, w, h, &pic, &lut, 0.8);
                    assert!(got == base, "{w}x{h} {look} {name} {format} {level:?}");
                }
            }
        }
    }
}

#[test]
fn odd_sizes_match_the_rgba_path() {
    let lut = strong_lut();
    for (w, h) in [(1919, 1079), (1, 1), (3, 1), (1, 3), (5, 7), (2, 1)] {
        for (name, pic) in pictures(w, h) {
            for format in [Format::I420, Format::Nv12] {
                let pic = to_format(format, w, h, &pic);
                let want = to_format(
                    Format::I420,
                    w,
                    h,
                    &rgba_path(format, w, h, &pic, &lut, 1.0),
                );
                for level in CpuLevel::all_supported() {
                    let got = yuv_path(level, format, w, h, &pic, &lut, 1.0);
                    let got = to_format(Format::I420, w, h, &got);
                    let stats = plane_stats(w, h, &got, &want);
                    for (plane, (mean, _, max)) in PLANES.iter().zip(stats) {
                        // Tiny pictures: a few samples, so a bound on each.
                        let ok = if w * h > 64 { mean <= 1.0 } else { max <= 3 };
                        assert!(ok, "{w}x{h} {name} {format} {plane}: {stats:?}");
                    }
                }
            }
        }
    }
}

/// Padding after every row (and between planes) must be neither read as
/// pixels nor written.
#[test]
fn strides_wider_than_rows() {
    let (w, h) = (37, 21);
    let lut = looks().remove(0).1;
    for format in [Format::I420, Format::Nv12] {
        let pic = to_format(format, w, h, &pictures(w, h).remove(2).1);
        let packed = Layout::packed(format, w, h);
        let strides: Vec<usize> = packed.planes().iter().map(|p| p.row_bytes + 13).collect();
        let mut offsets = vec![5];
        for (i, p) in packed.planes().iter().enumerate().skip(1) {
            let prev = packed.plane(i - 1);
            offsets.push(offsets[i - 1] + prev.rows * strides[i - 1] + 3);
            let _ = p;
        }
        let len = offsets.last().unwrap()
            + packed.planes().last().unwrap().rows * strides.last().unwrap();
        let l = Layout::with_strides(format, w, h, &offsets, &strides, len).unwrap();
        let mut data = vec![0xA5u8; len];
        for (i, p) in packed.planes().iter().enumerate() {
            for y in 0..p.rows {
                let row = &pic[packed.row_range(i, y)];
                data[l.row_range(i, y)].copy_from_slice(row);
            }
        }
        let want = yuv_path(CpuLevel::supported(), format, w, h, &pic, &lut, 1.0);
        apply_lut3d(&mut ImageMut::new(&l, &mut data).unwrap(), &lut, 1.0).unwrap();
        let mut got = vec![0u8; packed.min_len()];
        for (i, p) in packed.planes().iter().enumerate() {
            for y in 0..p.rows {
                got[packed.row_range(i, y)].copy_from_slice(&data[l.row_range(i, y)]);
                // The padding after the row is untouched.
                let end = l.row_range(i, y).end;
                assert!(
                    data[end..end + 13.min(len - end)]
                        .iter()
                        .all(|&b| b == 0xA5)
                );
            }
        }
        assert!(data[..5].iter().all(|&b| b == 0xA5));
        assert!(got == want, "{format}");
    }
}

/// The LUT at another strength gives another table (the cache is keyed by
/// strength), and clones share nothing that breaks either.
#[test]
fn cache_follows_strength() {
    let (w, h) = (16, 8);
    let lut = strong_lut();
    let pic = pictures(w, h).remove(2).1;
    let full = yuv_path(CpuLevel::supported(), Format::I420, w, h, &pic, &lut, 1.0);
    let half = yuv_path(CpuLevel::supported(), Format::I420, w, h, &pic, &lut, 0.5);
    assert!(full != half);
    let copy = lut.clone();
    assert!(yuv_path(CpuLevel::supported(), Format::I420, w, h, &pic, &copy, 1.0) == full);
    assert!(yuv_path(CpuLevel::supported(), Format::I420, w, h, &pic, &lut, 0.5) == half);
    fn shared<T: Send + Sync>(_: &T) {}
    shared(&lut);
}
