//! The anisotropic Kuwahara filter: what it must do to pictures (flat
//! stays flat, a noisy edge stays sharp while the noise goes, stripes keep
//! their direction, far sharper than a box blur), on every format, odd
//! size and stride, the same bytes at every CPU level and thread count,
//! and bad parameters refused.

use reel_kernels::kuwahara::{Options, Resolution, kuwahara_opts};
use reel_kernels::{CpuLevel, Format, ImageMut, Layout, kuwahara};

const RESOLUTIONS: [Resolution; 2] = [Resolution::Full, Resolution::Half];

/// Deterministic noise, uniform in -amp..amp.
struct Rng(u64);
impl Rng {
    fn next(&mut self, amp: f32) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * amp
    }
}

/// A packed I420 picture with luma `f(x, y)` and the given flat chroma.
fn i420(w: usize, h: usize, f: impl Fn(usize, usize) -> f32, uv: (u8, u8)) -> (Layout, Vec<u8>) {
    let l = Layout::packed(Format::I420, w, h);
    let mut data = vec![0u8; l.min_len()];
    for y in 0..h {
        for x in 0..w {
            data[y * w + x] = f(x, y).round().clamp(0.0, 255.0) as u8;
        }
    }
    let c = w.div_ceil(2) * h.div_ceil(2);
    data[w * h..w * h + c].fill(uv.0);
    data[w * h + c..].fill(uv.1);
    (l, data)
}

fn run(l: &Layout, data: &mut [u8], radius: f32, opts: Options) {
    kuwahara_opts(
        CpuLevel::supported(),
        &mut ImageMut::new(l, data).unwrap(),
        radius,
        8.0,
        opts,
    )
    .unwrap();
}

fn opts(resolution: Resolution) -> Options {
    Options {
        threads: 1,
        resolution,
    }
}

/// The luma plane of a packed picture as floats.
fn luma(data: &[u8], w: usize, h: usize) -> Vec<f32> {
    data[..w * h].iter().map(|&v| v as f32).collect()
}

/// Standard deviation of luma over the rectangle x0..x1, y0..y1.
fn std_dev(p: &[f32], w: usize, (x0, x1): (usize, usize), (y0, y1): (usize, usize)) -> f32 {
    let vals: Vec<f32> = (y0..y1)
        .flat_map(|y| (x0..x1).map(move |x| (x, y)))
        .map(|(x, y)| p[y * w + x])
        .collect();
    let mean = vals.iter().sum::<f32>() / vals.len() as f32;
    (vals.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / vals.len() as f32).sqrt()
}

/// The 10-90% width in pixels of a rising step in the row-averaged
/// profile over rows y0..y1, between levels `lo` and `hi`.
fn edge_width(p: &[f32], w: usize, (y0, y1): (usize, usize), lo: f32, hi: f32) -> f32 {
    let profile: Vec<f32> = (0..w)
        .map(|x| (y0..y1).map(|y| p[y * w + x]).sum::<f32>() / (y1 - y0) as f32)
        .collect();
    // Where the profile crosses a level, interpolated between pixels.
    let cross = |level: f32| {
        let x = profile.iter().position(|&v| v >= level).expect("crosses");
        let (a, b) = (profile[x - 1], profile[x]);
        (x - 1) as f32 + (level - a) / (b - a)
    };
    let (l10, l90) = (lo + 0.1 * (hi - lo), lo + 0.9 * (hi - lo));
    cross(l90) - cross(l10)
}

/// A vertical step from 60 to 180 at x = w / 2, noise of +-20 (sigma ~11.5).
fn noisy_edge(w: usize, h: usize) -> (Layout, Vec<u8>) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let noise: Vec<f32> = (0..w * h).map(|_| rng.next(20.0)).collect();
    i420(
        w,
        h,
        |x, y| if x < w / 2 { 60.0 } else { 180.0 } + noise[y * w + x],
        (128, 128),
    )
}

/// A plain box blur of luma, radius `r` (clamped edges).
fn box_blur(p: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    let mut out = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut sum = 0.0;
            let mut n = 0.0;
            for yy in y.saturating_sub(r)..(y + r + 1).min(h) {
                for xx in x.saturating_sub(r)..(x + r + 1).min(w) {
                    sum += p[yy * w + xx];
                    n += 1.0;
                }
            }
            out[y * w + x] = sum / n;
        }
    }
    out
}

#[test]
fn flat_pictures_stay_exactly_flat() {
    for (w, h) in [(48, 32), (17, 9)] {
        for resolution in RESOLUTIONS {
            for radius in [1.0, 6.0, 10.0] {
                for format in [Format::I420, Format::Nv12] {
                    let l = Layout::packed(format, w, h);
                    let mut data = vec![0u8; l.min_len()];
                    data[..w * h].fill(100);
                    match format {
                        Format::I420 => {
                            let c = w.div_ceil(2) * h.div_ceil(2);
                            data[w * h..w * h + c].fill(90);
                            data[w * h + c..].fill(160);
                        }
                        _ => {
                            for pair in data[w * h..].chunks_exact_mut(2) {
                                pair.copy_from_slice(&[90, 160]);
                            }
                        }
                    }
                    let before = data.clone();
                    run(&l, &mut data, radius, opts(resolution));
                    assert_eq!(data, before, "{format} {w}x{h} {resolution:?} r {radius}");
                }
                let l = Layout::packed(Format::Rgba, w, h);
                let mut data: Vec<u8> = [10u8, 200, 50, 77].repeat(w * h);
                let before = data.clone();
                run(&l, &mut data, radius, opts(resolution));
                assert_eq!(data, before, "RGBA {w}x{h} {resolution:?} r {radius}");
            }
        }
    }
}

#[test]
fn noisy_edge_stays_sharp_while_noise_goes() {
    let (w, h) = (128, 64);
    let (l, input) = noisy_edge(w, h);
    let before = luma(&input, w, h);
    let flat = [(8, 48), (80, 120)];
    let rows = (8, h - 8);
    for resolution in RESOLUTIONS {
        // (Half size: every pixel, a quincunx, every second pixel.)
        for radius in [6.0, 8.0, 10.0] {
            let mut data = input.clone();
            run(&l, &mut data, radius, opts(resolution));
            let after = luma(&data, w, h);
            let width = edge_width(&after, w, rows, 60.0, 180.0);
            assert!(
                width <= 2.5,
                "{resolution:?} r {radius}: edge 10-90% width {width}"
            );
            for xs in flat {
                let (s0, s1) = (std_dev(&before, w, xs, rows), std_dev(&after, w, xs, rows));
                assert!(
                    s1 <= 0.5 * s0,
                    "{resolution:?} r {radius}: noise sigma {s0} -> {s1}"
                );
            }
            // The two sides keep their levels.
            let mean = |x: usize| {
                (rows.0..rows.1).map(|y| after[y * w + x]).sum::<f32>() / (rows.1 - rows.0) as f32
            };
            assert!((mean(20) - 60.0).abs() < 4.0 && (mean(108) - 180.0).abs() < 4.0);
        }
    }
}

#[test]
fn sharpness_sharpens() {
    // q weighs the sectors by 1 / (1 + variance^(q/2)): a higher q trusts
    // the calmest sector more, so the edge's ramp shortens.
    let (w, h) = (128, 64);
    let (l, input) = noisy_edge(w, h);
    let rows = (8, h - 8);
    let width = |q: f32| {
        let mut data = input.clone();
        kuwahara_opts(
            CpuLevel::supported(),
            &mut ImageMut::new(&l, &mut data).unwrap(),
            10.0,
            q,
            opts(Resolution::Full),
        )
        .unwrap();
        (edge_width(&luma(&data, w, h), w, rows, 60.0, 180.0), data)
    };
    let ((soft, a), (sharp, b)) = (width(1.0), width(16.0));
    assert_ne!(a, b);
    assert!(sharp < soft, "q 16: {sharp}, q 1: {soft}");
}

#[test]
fn far_sharper_than_a_box_blur() {
    let (w, h) = (128, 64);
    let (l, input) = noisy_edge(w, h);
    let rows = (8, h - 8);
    let blurred = box_blur(&luma(&input, w, h), w, h, 6);
    let box_width = edge_width(&blurred, w, rows, 60.0, 180.0);
    let mut data = input.clone();
    run(&l, &mut data, 6.0, Options::default());
    let width = edge_width(&luma(&data, w, h), w, rows, 60.0, 180.0);
    // A box of radius 6 ramps over ~10 pixels; the filter keeps ~1-2.
    assert!(box_width >= 8.0, "box {box_width}");
    assert!(
        width * 4.0 <= box_width,
        "kuwahara {width} against box {box_width}"
    );
}

#[test]
fn diagonal_stripes_keep_their_direction() {
    let (w, h) = (96, 96);
    let period = 16.0;
    let stripes = |x: usize, y: usize, sign: f32| {
        let phase = (x as f32 + sign * y as f32) * std::f32::consts::TAU / period;
        // Square bands (what the filter's flat regions can hold).
        128.0 + 60.0 * phase.sin().signum()
    };
    let mut rng = Rng(7);
    let noise: Vec<f32> = (0..w * h).map(|_| rng.next(30.0)).collect();
    let (l, input) = i420(
        w,
        h,
        |x, y| stripes(x, y, 1.0) + noise[y * w + x],
        (128, 128),
    );
    let clean: Vec<f32> = (0..w * h).map(|i| stripes(i % w, i / w, 1.0)).collect();
    let crossed: Vec<f32> = (0..w * h).map(|i| stripes(i % w, i / w, -1.0)).collect();
    // Correlation over the inside (away from the borders).
    let corr = |a: &[f32], b: &[f32]| {
        let idx: Vec<usize> = (0..w * h)
            .filter(|i| (8..w - 8).contains(&(i % w)) && (8..h - 8).contains(&(i / w)))
            .collect();
        let mean = |p: &[f32]| idx.iter().map(|&i| p[i]).sum::<f32>() / idx.len() as f32;
        let (ma, mb) = (mean(a), mean(b));
        let cov: f32 = idx.iter().map(|&i| (a[i] - ma) * (b[i] - mb)).sum();
        let va: f32 = idx.iter().map(|&i| (a[i] - ma) * (a[i] - ma)).sum();
        let vb: f32 = idx.iter().map(|&i| (b[i] - mb) * (b[i] - mb)).sum();
        cov / (va * vb).sqrt()
    };
    // Mean absolute difference between neighbours one step along (1, -1)
    // (along the stripes: equal in the clean picture) and along (1, 1)
    // (across them).
    let diff = |p: &[f32], sign: isize| {
        let mut sum = 0.0;
        let mut n = 0.0;
        for y in 8..h - 8 {
            for x in 8..w - 8 {
                let y2 = (y as isize + sign) as usize;
                sum += (p[y * w + x] - p[y2 * w + x + 1]).abs();
                n += 1.0;
            }
        }
        sum / n
    };
    let before = luma(&input, w, h);
    let noisy = corr(&before, &clean);
    for resolution in RESOLUTIONS {
        let mut data = input.clone();
        run(&l, &mut data, 6.0, opts(resolution));
        let after = luma(&data, w, h);
        let c = corr(&after, &clean);
        let (along0, along1, across1) = (diff(&before, -1), diff(&after, -1), diff(&after, 1));
        eprintln!(
            "{resolution:?}: correlation {noisy} -> {c}, crossed {}; along {along0} -> {along1}, across {across1}",
            corr(&after, &crossed)
        );
        // Still the same stripes (at half size their 45-degree steps are
        // softened by the upsampling, hence no gain over the input there).
        assert!(c >= 0.9, "{resolution:?}: correlation {noisy} -> {c}");
        if resolution == Resolution::Full {
            assert!(c > noisy, "correlation {noisy} -> {c}");
        }
        assert!(corr(&after, &crossed).abs() < 0.1, "{resolution:?}: turned");
        // Smoothed along the stripes, not across them.
        assert!(
            along1 <= 0.5 * along0,
            "{resolution:?}: along {along0} -> {along1}"
        );
        assert!(
            across1 >= 3.0 * along1,
            "{resolution:?}: across {across1}, along {along1}"
        );
    }
}

#[test]
fn nv12_and_rgba_agree_with_i420() {
    let (w, h) = (33, 21);
    let (l, input) = noisy_edge(w, h);
    let mut rng = Rng(99);
    // Chroma with structure of its own.
    let c = w.div_ceil(2) * h.div_ceil(2);
    let mut input = input;
    for v in &mut input[w * h..] {
        *v = (128.0 + rng.next(40.0)) as u8;
    }
    for resolution in RESOLUTIONS {
        let mut a = input.clone();
        run(&l, &mut a, 5.0, opts(resolution));
        // The same picture as NV12.
        let nl = Layout::packed(Format::Nv12, w, h);
        let mut nv = input[..w * h].to_vec();
        for i in 0..c {
            nv.extend([input[w * h + i], input[w * h + c + i]]);
        }
        run(&nl, &mut nv, 5.0, opts(resolution));
        assert_eq!(nv[..w * h], a[..w * h], "{resolution:?} luma");
        for i in 0..c {
            assert_eq!(
                [nv[w * h + 2 * i], nv[w * h + 2 * i + 1]],
                [a[w * h + i], a[w * h + c + i]]
            );
        }
    }
    // RGBA: a grey noisy edge stays grey-ish and sharp; alpha is untouched.
    let (w, h) = (64, 32);
    let (_, grey) = noisy_edge(w, h);
    let rl = Layout::packed(Format::Rgba, w, h);
    let mut rgba: Vec<u8> = (0..w * h)
        .flat_map(|i| {
            let v = grey[i];
            [v, v, v, (i * 7 % 256) as u8]
        })
        .collect();
    let before = rgba.clone();
    run(&rl, &mut rgba, 6.0, opts(Resolution::Full));
    for (i, (px, old)) in rgba.chunks_exact(4).zip(before.chunks_exact(4)).enumerate() {
        assert_eq!(px[3], old[3], "alpha of pixel {i}");
        assert!(
            px[0].abs_diff(px[1]) <= 1 && px[1].abs_diff(px[2]) <= 1,
            "{px:?}"
        );
    }
    let g: Vec<f32> = rgba.chunks_exact(4).map(|p| p[1] as f32).collect();
    assert!(edge_width(&g, w, (4, h - 4), 60.0, 180.0) <= 2.5);
}

#[test]
fn odd_sizes_and_wide_strides() {
    for format in [Format::I420, Format::Nv12, Format::Rgba] {
        for (w, h) in [(17, 9), (1, 1), (2, 3), (9, 1)] {
            let packed = Layout::packed(format, w, h);
            let mut rng = Rng(w as u64 * 31 + h as u64);
            let input: Vec<u8> = (0..packed.min_len())
                .map(|_| (128.0 + rng.next(100.0)) as u8)
                .collect();
            for resolution in RESOLUTIONS {
                let mut want = input.clone();
                run(&packed, &mut want, 4.0, opts(resolution));
                // The same picture with 13 spare bytes after each row.
                let strides: Vec<usize> =
                    packed.planes().iter().map(|p| p.row_bytes + 13).collect();
                let mut offsets = Vec::new();
                let mut end = 5;
                for (p, s) in packed.planes().iter().zip(&strides) {
                    offsets.push(end);
                    end += s * p.rows;
                }
                let mut data = vec![0xAAu8; end + 7];
                let strided =
                    Layout::with_strides(format, w, h, &offsets, &strides, data.len()).unwrap();
                for (i, p) in packed.planes().iter().enumerate() {
                    for y in 0..p.rows {
                        let src = &input[packed.row_range(i, y)];
                        data[strided.row_range(i, y)].copy_from_slice(src);
                    }
                }
                run(&strided, &mut data, 4.0, opts(resolution));
                let mut gaps = 0;
                for (i, p) in packed.planes().iter().enumerate() {
                    for y in 0..p.rows {
                        assert_eq!(
                            data[strided.row_range(i, y)],
                            want[packed.row_range(i, y)],
                            "{format} {w}x{h}"
                        );
                    }
                }
                for (i, v) in data.iter().enumerate() {
                    let inside = (0..format.plane_count()).any(|p| {
                        (0..strided.plane(p).rows).any(|y| strided.row_range(p, y).contains(&i))
                    });
                    if !inside {
                        assert_eq!(*v, 0xAA, "byte {i} outside the rows changed");
                        gaps += 1;
                    }
                }
                assert!(gaps > 0);
            }
        }
    }
}

#[test]
fn every_level_and_thread_count_gives_the_same_bytes() {
    let (w, h) = (101, 67);
    let mut rng = Rng(3);
    let noise: Vec<f32> = (0..w * h).map(|_| rng.next(25.0)).collect();
    let (l, input) = i420(
        w,
        h,
        |x, y| {
            let ring = ((x as f32 - 50.0).hypot(y as f32 - 30.0) / 9.0) as i32 % 2;
            40.0 + 150.0 * ring as f32 + noise[y * w + x]
        },
        (100, 150),
    );
    // q = 8 takes the power by multiplications, q = 7 through log2/exp2.
    for (resolution, q) in [
        (Resolution::Full, 8.0),
        (Resolution::Half, 8.0),
        (Resolution::Full, 7.0),
    ] {
        // Full, quincunx and step-2 lattices at both resolutions.
        for radius in [2.0, 4.0, 6.0, 8.0, 12.0, 32.0] {
            let mut baseline = input.clone();
            kuwahara_opts(
                CpuLevel::BASELINE,
                &mut ImageMut::new(&l, &mut baseline).unwrap(),
                radius,
                q,
                Options {
                    threads: 1,
                    resolution,
                },
            )
            .unwrap();
            assert_ne!(baseline, input);
            for level in CpuLevel::all_supported() {
                for threads in [1, 2, 3, 8] {
                    let mut data = input.clone();
                    kuwahara_opts(
                        level,
                        &mut ImageMut::new(&l, &mut data).unwrap(),
                        radius,
                        q,
                        Options {
                            threads,
                            resolution,
                        },
                    )
                    .unwrap();
                    assert!(
                        data == baseline,
                        "{} with {threads} threads differs from the baseline ({resolution:?} r {radius})",
                        level.name()
                    );
                }
            }
        }
    }
}

#[test]
fn bad_parameters_are_refused_and_empty_frames_pass() {
    let l = Layout::packed(Format::I420, 8, 8);
    let mut data = vec![128u8; l.min_len()];
    let mut img = ImageMut::new(&l, &mut data).unwrap();
    for radius in [0.0, 0.99, 32.5, -3.0, f32::NAN, f32::INFINITY] {
        let err = kuwahara(&mut img, radius, 8.0).unwrap_err();
        assert!(err.0.contains("radius"), "{err}");
    }
    for q in [0.0, 0.5, 33.0, f32::NAN, f32::NEG_INFINITY] {
        let err = kuwahara(&mut img, 6.0, q).unwrap_err();
        assert!(err.0.contains("sharpness"), "{err}");
    }
    assert!(kuwahara(&mut img, 1.0, 1.0).is_ok());
    assert!(kuwahara(&mut img, 32.0, 32.0).is_ok());
    for format in [Format::I420, Format::Nv12, Format::Rgba] {
        for (w, h) in [(0, 0), (0, 5), (7, 0)] {
            let l = Layout::packed(format, w, h);
            let mut data = vec![0u8; l.min_len()];
            assert!(kuwahara(&mut ImageMut::new(&l, &mut data).unwrap(), 6.0, 8.0).is_ok());
        }
    }
}
