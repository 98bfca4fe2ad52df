//! The toon kernels: posterising to a palette and XDoG lines, on I420,
//! NV12 and RGBA, odd sizes and wide strides, at every CPU level.

use reel_kernels::toon::{self, LineThreshold, Palette, Xdog};
use reel_kernels::{CpuLevel, Format, Image, ImageMut, Layout, convert};

const RED: [u8; 3] = [230, 50, 25];
const BLUE: [u8; 3] = [25, 75, 205];

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

/// An RGBA picture (alpha `x + y`) of `f(x, y)`.
fn rgba(w: usize, h: usize, f: impl Fn(usize, usize) -> [u8; 3]) -> Vec<u8> {
    let mut out = vec![0u8; w * h * 4];
    for y in 0..h {
        for x in 0..w {
            let [r, g, b] = f(x, y);
            out[4 * (y * w + x)..][..4].copy_from_slice(&[r, g, b, (x + y) as u8]);
        }
    }
    out
}

/// A packed picture of `format` made from packed RGBA by `convert`.
fn to_format(format: Format, w: usize, h: usize, rgba: &[u8]) -> Vec<u8> {
    let rl = Layout::packed(Format::Rgba, w, h);
    if format == Format::Rgba {
        return rgba.to_vec();
    }
    let l = Layout::packed(format, w, h);
    let mut out = vec![0u8; l.min_len()];
    convert(
        Image::new(&rl, rgba).unwrap(),
        &mut ImageMut::new(&l, &mut out).unwrap(),
    )
    .unwrap();
    out
}

/// The Y, U, V `convert` gives a flat picture of `rgb`.
fn yuv_of(rgb: [u8; 3]) -> [u8; 3] {
    let i420 = to_format(Format::I420, 2, 2, &rgba(2, 2, |_, _| rgb));
    [i420[0], i420[4], i420[5]]
}

/// Every pixel's (Y, U, V) of a packed I420 or NV12 picture, or (R, G, B)
/// of RGBA.
fn pixels(format: Format, w: usize, h: usize, data: &[u8]) -> Vec<[u8; 3]> {
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let mut out = Vec::new();
    for y in 0..h {
        for x in 0..w {
            out.push(match format {
                Format::Rgba => data[4 * (y * w + x)..][..3].try_into().unwrap(),
                Format::I420 => {
                    let c = (y / 2) * cw + x / 2;
                    [data[y * w + x], data[w * h + c], data[w * h + cw * ch + c]]
                }
                Format::Nv12 => {
                    let c = w * h + (y / 2) * 2 * cw + 2 * (x / 2);
                    [data[y * w + x], data[c], data[c + 1]]
                }
            });
        }
    }
    out
}

fn posterized(
    level: CpuLevel,
    format: Format,
    w: usize,
    h: usize,
    data: &[u8],
    p: &Palette,
) -> Vec<u8> {
    let l = Layout::packed(format, w, h);
    let mut out = data.to_vec();
    toon::posterize_with(level, &mut ImageMut::new(&l, &mut out).unwrap(), p).unwrap();
    out
}

const FORMATS: [Format; 3] = [Format::I420, Format::Nv12, Format::Rgba];

#[test]
fn two_regions_become_exactly_the_two_palette_colours() {
    let palette = Palette::new(&[RED, BLUE]).unwrap();
    let (w, h) = (40, 22);
    // Near the palette's colours, with grain; the border on an even column.
    let mut rng = Rng(3);
    let grain: Vec<u8> = (0..w * h).map(|_| rng.next() % 13).collect();
    let pic = rgba(w, h, |x, y| {
        let g = grain[y * w + x];
        if x < 18 {
            [205 + g, 75 - g, 50]
        } else {
            [50, 75 + g, 180 - g]
        }
    });
    for format in FORMATS {
        let src = to_format(format, w, h, &pic);
        for level in CpuLevel::all_supported() {
            let out = posterized(level, format, w, h, &src, &palette);
            let want = |x: usize| {
                let rgb = if x < 18 { RED } else { BLUE };
                if format == Format::Rgba {
                    rgb
                } else {
                    yuv_of(rgb)
                }
            };
            for (i, px) in pixels(format, w, h, &out).iter().enumerate() {
                assert_eq!(*px, want(i % w), "{format} {level:?} pixel {i}");
            }
            if format == Format::Rgba {
                for (i, (a, b)) in out.chunks_exact(4).zip(src.chunks_exact(4)).enumerate() {
                    assert_eq!(a[3], b[3], "alpha of pixel {i} kept");
                }
            }
        }
    }
}

#[test]
fn rgba_comes_out_in_palette_colours_only() {
    let colors = [[0, 0, 0], [255, 255, 255], RED, BLUE, [40, 200, 60]];
    let palette = Palette::new(&colors).unwrap();
    let (w, h) = (64, 48);
    let mut rng = Rng(5);
    let noise: Vec<u8> = (0..w * h * 3).map(|_| rng.next()).collect();
    let pic = rgba(w, h, |x, y| {
        noise[3 * (y * w + x)..][..3].try_into().unwrap()
    });
    let out = posterized(CpuLevel::supported(), Format::Rgba, w, h, &pic, &palette);
    let mut seen: Vec<[u8; 3]> = pixels(Format::Rgba, w, h, &out);
    seen.sort();
    seen.dedup();
    assert!(seen.len() <= colors.len(), "{} colours", seen.len());
    assert!(
        seen.len() >= 3,
        "noise should reach several colours: {seen:?}"
    );
    for c in &seen {
        assert!(colors.contains(c), "{c:?} is not in the palette");
    }
}

#[test]
fn one_colour_palette_gives_a_flat_frame() {
    let palette = Palette::new(&[[120, 180, 90]]).unwrap();
    let (w, h) = (17, 9);
    let mut rng = Rng(9);
    let noise: Vec<u8> = (0..w * h * 3).map(|_| rng.next()).collect();
    let pic = rgba(w, h, |x, y| {
        noise[3 * (y * w + x)..][..3].try_into().unwrap()
    });
    for format in FORMATS {
        let out = posterized(
            CpuLevel::supported(),
            format,
            w,
            h,
            &to_format(format, w, h, &pic),
            &palette,
        );
        let want = if format == Format::Rgba {
            [120, 180, 90]
        } else {
            yuv_of([120, 180, 90])
        };
        assert!(
            pixels(format, w, h, &out).iter().all(|p| *p == want),
            "{format}: not flat"
        );
    }
}

#[test]
fn palettes_of_no_colour_or_too_many_are_refused() {
    let err = Palette::new(&[]).unwrap_err();
    assert!(err.0.contains("1..=256"), "{err}");
    assert!(Palette::new(&[[1, 2, 3]; 257]).is_err());
    let p = Palette::new(&[[1, 2, 3]; 256]).unwrap();
    assert!(p.byte_size() >= 65536);
}

/// A picture with texture everywhere (noise blobs), soft shading and a
/// few hard edges: many responses below zero.
fn textured(w: usize, h: usize) -> Vec<u8> {
    let mut rng = Rng(17);
    let blobs: Vec<u8> = (0..(w / 4 + 1) * (h / 4 + 1)).map(|_| rng.next()).collect();
    rgba(w, h, |x, y| {
        let b = blobs[(y / 4) * (w / 4 + 1) + x / 4];
        let edge = if x > w / 3 { 60 } else { 0 };
        [b / 2 + edge, b / 3 + 40, 200 - b / 2]
    })
}

fn lined(
    level: CpuLevel,
    format: Format,
    w: usize,
    h: usize,
    data: &[u8],
    th: LineThreshold,
) -> (Vec<u8>, f32) {
    let l = Layout::packed(format, w, h);
    let mut out = data.to_vec();
    let t = toon::draw_lines_with(
        level,
        &mut ImageMut::new(&l, &mut out).unwrap(),
        &xdog(w, h),
        th,
    )
    .unwrap();
    (out, t)
}

/// The restyle plugin's parameters for a frame.
fn xdog(w: usize, h: usize) -> Xdog {
    Xdog {
        sigma: w.max(h) as f32 / 512.0,
        k: 1.6,
        tau: 0.98,
        phi: 200.0,
    }
}

#[test]
fn a_bright_square_gets_dark_lines_along_its_border_only() {
    let (w, h) = (128, 96);
    let inside = |x: usize, y: usize| (32..96).contains(&x) && (24..72).contains(&y);
    let pic = rgba(w, h, |x, y| if inside(x, y) { [200; 3] } else { [60; 3] });
    for format in FORMATS {
        let src = to_format(format, w, h, &pic);
        let (out, t) = lined(
            CpuLevel::supported(),
            format,
            w,
            h,
            &src,
            LineThreshold::Density(0.05),
        );
        assert!(t < 0.0, "{format}: threshold {t}");
        let (a, b) = (pixels(format, w, h, &src), pixels(format, w, h, &out));
        let at = |x: usize, y: usize| (a[y * w + x][0] as i32, b[y * w + x][0] as i32);
        // Flat areas far from the border: untouched.
        for (x, y) in [(64, 48), (5, 5), (120, 90), (50, 40), (10, 60)] {
            assert_eq!(at(x, y).0, at(x, y).1, "{format}: ({x}, {y}) changed");
        }
        // Along each side, on the dark ground next to it, a line.
        for (xs, y) in [(20..34, 48), (94..110, 48)] {
            assert!(
                xs.clone().any(|x| at(x, y).1 + 20 < at(x, y).0),
                "{format}: row {y} {:?}",
                &b[y * w + 16..y * w + 40]
            );
        }
        for (x, ys) in [(64, 12..26), (64, 70..84)] {
            assert!(
                ys.clone().any(|y| at(x, y).1 + 20 < at(x, y).0),
                "{format}: column {x}"
            );
        }
        // Nothing is brightened, nor darkened past black (luma 16).
        assert!(a.iter().zip(&b).all(|(p, q)| q[0] <= p[0]), "{format}");
        if format != Format::Rgba {
            assert!(b.iter().all(|q| q[0] >= 16), "{format}");
            // Lines are luma only: chroma kept.
            assert!(a.iter().zip(&b).all(|(p, q)| p[1..] == q[1..]), "{format}");
        }
    }
}

#[test]
fn density_marks_about_that_share_and_its_threshold_gives_the_same_bytes() {
    let (w, h) = (320, 180);
    let pic = textured(w, h);
    for format in FORMATS {
        let src = to_format(format, w, h, &pic);
        for d in [0.03, 0.08, 0.15] {
            let (out, t) = lined(
                CpuLevel::BASELINE,
                format,
                w,
                h,
                &src,
                LineThreshold::Density(d),
            );
            assert!(t < 0.0, "{format} {d}: {t}");
            let darkened = pixels(format, w, h, &out)
                .iter()
                .zip(pixels(format, w, h, &src))
                .filter(|(a, b)| a[0] + 3 < b[0])
                .count() as f32
                / (w * h) as f32;
            // Half-size factors spread bilinearly: a little over d darkens
            // at all (measured: 1.07 to 1.2 times d by more than 3 codes).
            assert!(
                (0.8 * d..=1.4 * d).contains(&darkened),
                "{format}: density {d} darkened {darkened}"
            );
            let (again, t2) = lined(
                CpuLevel::BASELINE,
                format,
                w,
                h,
                &src,
                LineThreshold::Value(t),
            );
            assert_eq!(t2, t);
            assert!(
                again == out,
                "{format} {d}: Value({t}) differs from Density({d})"
            );
        }
    }
}

#[test]
fn every_level_gives_the_baselines_bytes() {
    let palette = Palette::new(&[
        [0, 0, 0],
        [250, 250, 240],
        RED,
        BLUE,
        [40, 200, 60],
        [200, 180, 40],
    ])
    .unwrap();
    for (w, h) in [(320, 180), (17, 9), (1, 1), (2, 3), (33, 2), (1, 9), (9, 1)] {
        let pic = textured(w, h);
        for format in FORMATS {
            let src = to_format(format, w, h, &pic);
            let base_p = posterized(CpuLevel::BASELINE, format, w, h, &src, &palette);
            let (base_l, base_t) = lined(
                CpuLevel::BASELINE,
                format,
                w,
                h,
                &src,
                LineThreshold::Density(0.1),
            );
            for level in CpuLevel::all_supported() {
                assert!(
                    posterized(level, format, w, h, &src, &palette) == base_p,
                    "{format} {w}x{h} {level:?}"
                );
                let (l, t) = lined(level, format, w, h, &src, LineThreshold::Density(0.1));
                assert_eq!(t.to_bits(), base_t.to_bits(), "{format} {w}x{h} {level:?}");
                assert!(l == base_l, "{format} {w}x{h} {level:?}: lines differ");
            }
        }
    }
}

#[test]
fn posterize_matches_the_pixel_at_a_time_reference() {
    let palette = Palette::new(&[
        [0, 0, 0],
        [250, 250, 240],
        RED,
        BLUE,
        [40, 200, 60],
        [200, 180, 40],
        [128, 128, 128],
    ])
    .unwrap();
    for (w, h) in [(320, 180), (17, 9), (1, 1), (3, 1), (1, 4)] {
        let pic = textured(w, h);
        for format in FORMATS {
            let src = to_format(format, w, h, &pic);
            let l = Layout::packed(format, w, h);
            let mut want = src.clone();
            toon::reference::posterize(&mut ImageMut::new(&l, &mut want).unwrap(), &palette);
            assert_ne!(want, src);
            for level in CpuLevel::all_supported() {
                assert!(
                    posterized(level, format, w, h, &src, &palette) == want,
                    "{format} {w}x{h} {level:?}"
                );
            }
        }
    }
}

/// The packed picture copied into planes with wide strides (and gaps
/// between planes) filled with 0xA5; the layout, and the buffer.
fn strided(format: Format, w: usize, h: usize, packed: &[u8]) -> (Layout, Vec<u8>) {
    let pl = Layout::packed(format, w, h);
    let n = format.plane_count();
    let strides: Vec<usize> = (0..n).map(|i| pl.plane(i).row_bytes + 13 + 3 * i).collect();
    let mut offsets = Vec::new();
    let mut at = 7;
    for (i, stride) in strides.iter().enumerate() {
        offsets.push(at);
        at += stride * pl.plane(i).rows + 5;
    }
    let l = Layout::with_strides(format, w, h, &offsets, &strides, at).unwrap();
    let mut data = vec![0xA5u8; at];
    for i in 0..n {
        for y in 0..pl.plane(i).rows {
            data[l.row_range(i, y)].copy_from_slice(&packed[pl.row_range(i, y)]);
        }
    }
    (l, data)
}

#[test]
fn wide_strides_give_the_packed_results_and_leave_padding() {
    let palette = Palette::new(&[[0, 0, 0], [250, 250, 240], RED, BLUE]).unwrap();
    for (w, h) in [(17, 9), (64, 30)] {
        let pic = textured(w, h);
        for format in FORMATS {
            let src = to_format(format, w, h, &pic);
            for level in CpuLevel::all_supported() {
                let want_p = posterized(level, format, w, h, &src, &palette);
                let (want_l, want_t) =
                    lined(level, format, w, h, &src, LineThreshold::Density(0.1));
                let (l, data) = strided(format, w, h, &src);
                let pl = Layout::packed(format, w, h);
                let rows_of = |data: &[u8]| {
                    let mut packed = vec![0u8; pl.min_len()];
                    for i in 0..format.plane_count() {
                        for y in 0..pl.plane(i).rows {
                            packed[pl.row_range(i, y)].copy_from_slice(&data[l.row_range(i, y)]);
                        }
                    }
                    packed
                };
                let padding = |data: &[u8]| {
                    let mut pad = data.to_vec();
                    for i in 0..format.plane_count() {
                        for y in 0..pl.plane(i).rows {
                            pad[l.row_range(i, y)].fill(0xA5);
                        }
                    }
                    pad.iter().all(|&b| b == 0xA5)
                };
                let mut a = data.clone();
                toon::posterize_with(level, &mut ImageMut::new(&l, &mut a).unwrap(), &palette)
                    .unwrap();
                assert!(
                    rows_of(&a) == want_p && padding(&a),
                    "posterize {format} {w}x{h} {level:?}"
                );
                let mut b = data.clone();
                let t = toon::draw_lines_with(
                    level,
                    &mut ImageMut::new(&l, &mut b).unwrap(),
                    &xdog(w, h),
                    LineThreshold::Density(0.1),
                )
                .unwrap();
                assert_eq!(t, want_t);
                assert!(
                    rows_of(&b) == want_l && padding(&b),
                    "lines {format} {w}x{h} {level:?}"
                );
            }
        }
    }
}

#[test]
fn nv12_and_i420_agree() {
    let palette = Palette::new(&[[0, 0, 0], [250, 250, 240], RED, BLUE, [40, 200, 60]]).unwrap();
    let (w, h) = (17, 9);
    let pic = textured(w, h);
    let level = CpuLevel::supported();
    let (i, n) = (
        to_format(Format::I420, w, h, &pic),
        to_format(Format::Nv12, w, h, &pic),
    );
    let pi = posterized(level, Format::I420, w, h, &i, &palette);
    let pn = posterized(level, Format::Nv12, w, h, &n, &palette);
    assert_eq!(
        pixels(Format::I420, w, h, &pi),
        pixels(Format::Nv12, w, h, &pn)
    );
    let (li, ti) = lined(level, Format::I420, w, h, &i, LineThreshold::Density(0.2));
    let (ln, tn) = lined(level, Format::Nv12, w, h, &n, LineThreshold::Density(0.2));
    assert_eq!(ti, tn);
    assert_eq!(
        pixels(Format::I420, w, h, &li),
        pixels(Format::Nv12, w, h, &ln)
    );
}

#[test]
fn bad_parameters_are_refused_and_empty_frames_pass() {
    let (w, h) = (8, 8);
    let l = Layout::packed(Format::I420, w, h);
    let mut data = vec![100u8; l.min_len()];
    let good = xdog(w, h);
    let bad = [
        Xdog { sigma: 0.0, ..good },
        Xdog {
            sigma: f32::NAN,
            ..good
        },
        Xdog { sigma: 1e9, ..good },
        Xdog { k: 1.0, ..good },
        Xdog {
            k: f32::INFINITY,
            ..good
        },
        Xdog {
            tau: f32::NAN,
            ..good
        },
        Xdog { phi: 0.0, ..good },
        Xdog { phi: -1.0, ..good },
    ];
    for x in bad {
        let err = toon::draw_lines(
            &mut ImageMut::new(&l, &mut data).unwrap(),
            &x,
            LineThreshold::Value(0.0),
        )
        .unwrap_err();
        assert!(err.0.contains("XDoG"), "{x:?}: {err}");
    }
    for th in [
        LineThreshold::Value(f32::NAN),
        LineThreshold::Density(f32::INFINITY),
    ] {
        assert!(toon::draw_lines(&mut ImageMut::new(&l, &mut data).unwrap(), &good, th).is_err());
    }
    assert!(
        data.iter().all(|&b| b == 100),
        "refused calls touch nothing"
    );
    let palette = Palette::new(&[RED]).unwrap();
    for format in FORMATS {
        for (w, h) in [(0, 0), (0, 5), (5, 0)] {
            let l = Layout::packed(format, w, h);
            let mut data = vec![0u8; l.min_len()];
            let mut img = ImageMut::new(&l, &mut data).unwrap();
            toon::posterize(&mut img, &palette).unwrap();
            assert_eq!(
                toon::draw_lines(&mut img, &good, LineThreshold::Value(-0.01)).unwrap(),
                -0.01
            );
            assert_eq!(
                toon::draw_lines(&mut img, &good, LineThreshold::Density(0.1)).unwrap(),
                0.0
            );
        }
    }
}

/// The restyle plugin's lines (`reel_style::toon`, before these kernels),
/// on a packed luma plane: f32 planes, running-sum box blurs, the exact
/// tanh, each half-size factor over its 2x2 pixels.
fn plugin_lines(luma: &mut [u8], w: usize, h: usize, x: &Xdog, t: f32) {
    let (hw, hh) = (w.div_ceil(2), h.div_ceil(2));
    let mut half = vec![0f32; hw * hh];
    for y in 0..hh {
        for xx in 0..hw {
            let (x0, y0) = (2 * xx, 2 * y);
            let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
            let s = luma[y0 * w + x0] as u32
                + luma[y0 * w + x1] as u32
                + luma[y1 * w + x0] as u32
                + luma[y1 * w + x1] as u32;
            half[y * hw + xx] = s as f32 / 1020.0;
        }
    }
    let gaussian = |sigma: f32| {
        let r = (((4.0 * sigma * sigma + 1.0).sqrt() - 1.0) / 2.0)
            .round()
            .max(1.0) as isize;
        let mut a = half.clone();
        for pass in 0..6 {
            let mut b = vec![0f32; hw * hh];
            for y in 0..hh as isize {
                for xx in 0..hw as isize {
                    let mut s = 0.0;
                    for d in -r..=r {
                        let (sx, sy) = if pass < 3 {
                            ((xx + d).clamp(0, hw as isize - 1), y)
                        } else {
                            (xx, (y + d).clamp(0, hh as isize - 1))
                        };
                        s += a[sy as usize * hw + sx as usize];
                    }
                    b[y as usize * hw + xx as usize] = s / (2 * r + 1) as f32;
                }
            }
            a = b;
        }
        a
    };
    let sigma = (x.sigma / 2.0).max(2.0);
    let (inner, outer) = (gaussian(sigma), gaussian(sigma * x.k));
    for y in 0..h {
        for xx in 0..w {
            let i = (y / 2) * hw + xx / 2;
            let r = inner[i] - x.tau * outer[i];
            if r < t {
                let f = 1.0 + (x.phi * (r - t)).tanh();
                let px = &mut luma[y * w + xx];
                *px = (16.0 + (*px as f32 - 16.0).max(0.0) * f).round() as u8;
            }
        }
    }
}

#[test]
fn lines_agree_with_the_plugins_maths() {
    // The model is given the threshold Density found here.
    let (w, h) = (320, 180);
    let src = to_format(Format::I420, w, h, &textured(w, h));
    let (out, t) = lined(
        CpuLevel::supported(),
        Format::I420,
        w,
        h,
        &src,
        LineThreshold::Density(0.08),
    );
    let mut model = src[..w * h].to_vec();
    plugin_lines(&mut model, w, h, &xdog(w, h), t);
    let (mut diff, mut max, mut ours, mut theirs, mut both) = (0u64, 0u8, 0, 0, 0);
    for ((&a, &b), &s) in out[..w * h].iter().zip(&model).zip(&src) {
        diff += a.abs_diff(b) as u64;
        max = max.max(a.abs_diff(b));
        let (da, db) = (a + 3 < s, b + 3 < s);
        ours += da as usize;
        theirs += db as usize;
        both += (da && db) as usize;
    }
    // Measured: a mean difference of 0.6 codes; 5535 pixels darkened by
    // more than 3 codes here against 4312 there, 4210 of those in both:
    // the same lines, a little wider (factors spread bilinearly, not
    // over 2x2 blocks).
    let mean = diff as f64 / (w * h) as f64;
    assert!(mean < 1.0, "mean difference {mean}");
    assert!(both as f64 >= 0.95 * theirs as f64, "{both} of {theirs}");
    assert!(
        (ours as f64) < 1.5 * theirs as f64,
        "{ours} against {theirs}"
    );
    assert!(theirs > w * h / 50, "lines to compare: {theirs}");
}
