//! What the resizers compute, held against a plain floating-point
//! resizer written here from the kernels' formulas (independent of the
//! crate's fixed-point taps), and the properties a scaler must have:
//! flat stays flat, a fine pattern shrunk does not alias, edges clamp,
//! NV12 and I420 agree, odd sizes do not panic.

use reel_kernels::scale::{self, Filter};
use reel_kernels::{CpuLevel, Format, Image, ImageMut, Layout};

const FORMATS: [Format; 3] = [Format::I420, Format::Nv12, Format::Rgba];

/// `scale` (None) or `scale_filtered` with a filter.
const FILTERS: [Option<Filter>; 4] = [
    None,
    Some(Filter::Bilinear),
    Some(Filter::Bicubic),
    Some(Filter::Lanczos3),
];

fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

fn run(level: CpuLevel, filter: Option<Filter>, src: Image<'_>, dst: &mut ImageMut<'_>) {
    match filter {
        None => scale::scale_with(level, src, dst).unwrap(),
        Some(f) => scale::scale_filtered_with(level, src, dst, f).unwrap(),
    }
}

/// Resizes a packed picture at every level; checks the levels agree and
/// returns the result.
fn resized(
    filter: Option<Filter>,
    format: Format,
    (w, h): (usize, usize),
    data: &[u8],
    (dw, dh): (usize, usize),
) -> Vec<u8> {
    let sl = Layout::packed(format, w, h);
    let dl = Layout::packed(format, dw, dh);
    let src = Image::new(&sl, data).unwrap();
    let mut results = Vec::new();
    for level in CpuLevel::all_supported() {
        let mut out = vec![0u8; dl.min_len()];
        run(
            level,
            filter,
            src,
            &mut ImageMut::new(&dl, &mut out).unwrap(),
        );
        results.push(out);
    }
    assert!(results.windows(2).all(|p| p[0] == p[1]), "levels differ");
    results.pop().unwrap()
}

/// The kernels, from their textbook formulas.
fn kernel(filter: Filter, x: f64) -> f64 {
    let x = x.abs();
    match filter {
        Filter::Bilinear => (1.0 - x).max(0.0),
        Filter::Bicubic => {
            // Catmull-Rom: Keys' cubic with a = -0.5.
            if x < 1.0 {
                1.5 * x * x * x - 2.5 * x * x + 1.0
            } else if x < 2.0 {
                -0.5 * x * x * x + 2.5 * x * x - 4.0 * x + 2.0
            } else {
                0.0
            }
        }
        Filter::Lanczos3 => {
            let sinc = |x: f64| {
                if x == 0.0 {
                    1.0
                } else {
                    (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x)
                }
            };
            if x < 3.0 {
                sinc(x) * sinc(x / 3.0)
            } else {
                0.0
            }
        }
    }
}

/// Normalised weights of every source sample for output `d` (centres
/// aligned, widened when shrinking, indices outside clamped to the edge).
fn weights(filter: Option<Filter>, src: usize, dst: usize, d: usize) -> Vec<f64> {
    let ratio = src as f64 / dst as f64;
    let (k, stretch) = match filter {
        None => (Filter::Bilinear, 1.0),
        Some(f) => (f, ratio.max(1.0)),
    };
    let centre = (d as f64 + 0.5) * ratio - 0.5;
    let mut w = vec![0.0; src];
    let reach = 3.0 * stretch + 1.0;
    for i in (centre - reach).floor() as i64..=(centre + reach).ceil() as i64 {
        w[i.clamp(0, src as i64 - 1) as usize] += kernel(k, (i as f64 - centre) / stretch);
    }
    let sum: f64 = w.iter().sum();
    w.iter().map(|x| x / sum).collect()
}

/// The float resizer: each plane, each sample, the double sum, rounded.
fn float_resize(
    filter: Option<Filter>,
    format: Format,
    (w, h): (usize, usize),
    data: &[u8],
    (dw, dh): (usize, usize),
) -> Vec<u8> {
    let sl = Layout::packed(format, w, h);
    let dl = Layout::packed(format, dw, dh);
    let src = Image::new(&sl, data).unwrap();
    let mut out = vec![0u8; dl.min_len()];
    let mut dst = ImageMut::new(&dl, &mut out).unwrap();
    for plane in 0..format.plane_count() {
        let ch = if format == Format::Rgba {
            4
        } else if format == Format::Nv12 && plane == 1 {
            2
        } else {
            1
        };
        let (sp, dp) = (*sl.plane(plane), *dl.plane(plane));
        let (sw, dpw) = (sp.row_bytes / ch, dp.row_bytes / ch);
        let wx: Vec<Vec<f64>> = (0..dpw).map(|x| weights(filter, sw, dpw, x)).collect();
        for y in 0..dp.rows {
            let wy = weights(filter, sp.rows, dp.rows, y);
            for (x, wx) in wx.iter().enumerate() {
                for c in 0..ch {
                    let mut v = 0.0;
                    for (sy, &a) in wy.iter().enumerate().filter(|(_, a)| **a != 0.0) {
                        let row = src.row(plane, sy);
                        for (sx, &b) in wx.iter().enumerate().filter(|(_, b)| **b != 0.0) {
                            v += a * b * row[sx * ch + c] as f64;
                        }
                    }
                    dst.row_mut(plane, y)[x * ch + c] = v.round().clamp(0.0, 255.0) as u8;
                }
            }
        }
    }
    out
}

/// Every sample within one code value of the float resizer, on noise
/// (the worst case for rounding and for Lanczos' overshoot).
#[test]
fn within_one_of_float_reference() {
    let cases = [
        ((40, 24), (61, 37)),
        ((61, 37), (40, 24)),
        ((64, 36), (16, 9)),
        ((96, 20), (64, 7)),
        ((37, 5), (37, 12)),
        ((12, 9), (5, 9)),
        ((1, 1), (3, 2)),
        ((7, 1), (30, 4)),
        // A quarter, as a picture-in-picture (the vector rows' joined
        // loads), with rows that are not a whole number of vector steps.
        ((400, 36), (100, 9)),
        ((1920, 16), (480, 4)),
    ];
    for filter in FILTERS {
        for format in FORMATS {
            for (from, to) in cases {
                let data = noise(Layout::packed(format, from.0, from.1).min_len(), 21);
                let fast = resized(filter, format, from, &data, to);
                let exact = float_resize(filter, format, from, &data, to);
                let worst = fast
                    .iter()
                    .zip(&exact)
                    .map(|(a, b)| a.abs_diff(*b))
                    .max()
                    .unwrap();
                assert!(
                    worst <= 1,
                    "{filter:?} {format} {from:?} -> {to:?}: off by {worst}"
                );
            }
        }
    }
}

/// A flat picture comes out exactly flat, at any size, with any filter
/// (the taps sum to exactly one).
#[test]
fn constant_stays_constant_exactly() {
    for filter in FILTERS {
        for format in FORMATS {
            for (from, to) in [
                ((33, 17), (120, 70)),
                ((120, 70), (33, 17)),
                ((1919, 3), (480, 1)),
                ((5, 5), (1, 1)),
            ] {
                let sl = Layout::packed(format, from.0, from.1);
                let data: Vec<u8> = (0..sl.min_len())
                    .map(|i| {
                        if format == Format::Rgba {
                            [17, 128, 240, 255][i % 4]
                        } else {
                            201
                        }
                    })
                    .collect();
                let out = resized(filter, format, from, &data, to);
                let want: Vec<u8> = (0..out.len())
                    .map(|i| {
                        if format == Format::Rgba {
                            [17, 128, 240, 255][i % 4]
                        } else {
                            201
                        }
                    })
                    .collect();
                assert!(out == want, "{filter:?} {format} {from:?} -> {to:?}");
            }
        }
    }
}

/// A one-pixel checkerboard shrunk (by whole and fractional factors)
/// averages to grey with every widened filter instead of aliasing into
/// stripes or moiré. (The outermost output pixels are left out: there
/// the clamped edge weighs one colour of the board twice.)
#[test]
fn fine_checkerboard_shrinks_to_flat_grey() {
    let (w, h) = (240, 144);
    let board: Vec<u8> = (0..w * h)
        .map(|i| if (i % w + i / w) % 2 == 0 { 0 } else { 255 })
        .collect();
    for filter in [Filter::Bilinear, Filter::Bicubic, Filter::Lanczos3] {
        for to in [(60, 36), (73, 41), (48, 29), (16, 9)] {
            let out = resized(Some(filter), Format::Rgba, (w, h), &rgba_grey(&board), to);
            let inner = out
                .chunks_exact(4 * to.0)
                .skip(1)
                .take(to.1 - 2)
                .flat_map(|row| &row[4..4 * (to.0 - 1)]);
            let (lo, hi) = inner.fold((255, 0), |(lo, hi), &v| (v.min(lo), v.max(hi)));
            assert!(lo >= 125 && hi <= 130, "{filter:?} -> {to:?}: {lo}..={hi}");
        }
    }
    // What the test guards against: the two-tap `scale` aliases at a
    // fractional factor (its taps land on the board's squares unevenly).
    let out = resized(None, Format::Rgba, (w, h), &rgba_grey(&board), (73, 41));
    let (lo, hi) = (out.iter().min().unwrap(), out.iter().max().unwrap());
    assert!(hi - lo > 100, "two taps: {lo}..={hi}");
}

/// Grey bytes as opaque RGBA with the grey in R, G and B... and alpha
/// grey too, so every channel is the pattern.
fn rgba_grey(grey: &[u8]) -> Vec<u8> {
    grey.iter().flat_map(|&g| [g, g, g, g]).collect()
}

/// Edges clamp: beyond the picture is the edge sample again, not black,
/// so a flat region at an edge stays exactly flat up to it (Lanczos'
/// and bicubic's outer taps included), and an edge between two flat
/// regions overshoots only inside.
#[test]
fn edges_clamp() {
    let (w, h) = (32, 8);
    // Left 12 columns 200, the rest 40.
    let data: Vec<u8> = (0..w * h)
        .map(|i| if i % w < 12 { 200 } else { 40 })
        .collect();
    for filter in FILTERS {
        for to in [(96, 24), (20, 5), (32, 3)] {
            let out = resized(filter, Format::I420, (w, h), &grey_i420(&data, w, h), to);
            let luma = &out[..to.0 * to.1];
            for row in luma.chunks_exact(to.0) {
                // The first and last output columns see only their flat side.
                assert_eq!(row[0], 200, "{filter:?} -> {to:?}: {row:?}");
                assert_eq!(row[to.0 - 1], 40, "{filter:?} -> {to:?}: {row:?}");
            }
        }
    }
}

/// An I420 picture of `luma` with flat chroma.
fn grey_i420(luma: &[u8], w: usize, h: usize) -> Vec<u8> {
    let mut data = luma.to_vec();
    data.resize(Layout::packed(Format::I420, w, h).min_len(), 128);
    data
}

/// NV12's interleaved chroma scales as I420's planar chroma does: same
/// samples, U and V never mixed.
#[test]
fn nv12_chroma_matches_i420() {
    for filter in FILTERS {
        for (from, to) in [
            ((37, 21), (80, 45)),
            ((80, 45), (37, 21)),
            ((1919, 4), (640, 3)),
        ] {
            let il = Layout::packed(Format::I420, from.0, from.1);
            let i420 = noise(il.min_len(), 5);
            // The same planes, U and V interleaved.
            let (y, uv) = i420.split_at(il.plane(1).offset);
            let (u, v) = uv.split_at(il.plane(1).rows * il.plane(1).row_bytes);
            let mut nv12 = y.to_vec();
            nv12.extend(u.iter().zip(v).flat_map(|(&u, &v)| [u, v]));
            let a = resized(filter, Format::I420, from, &i420, to);
            let b = resized(filter, Format::Nv12, from, &nv12, to);
            let ol = Layout::packed(Format::I420, to.0, to.1);
            let (ya, uva) = a.split_at(ol.plane(1).offset);
            let (ua, va) = uva.split_at(ol.plane(1).rows * ol.plane(1).row_bytes);
            assert_eq!(ya, &b[..ya.len()], "{filter:?} luma");
            let (ub, vb): (Vec<u8>, Vec<u8>) =
                b[ya.len()..].chunks_exact(2).map(|p| (p[0], p[1])).unzip();
            assert!(ua == ub && va == vb, "{filter:?} {from:?} -> {to:?} chroma");
        }
    }
}

/// Odd and degenerate sizes, one axis at a time, every format and
/// filter: no panic; a 1x1 source fills the output with its colour; the
/// same size copies.
#[test]
fn any_size_works() {
    let sizes = [
        (1, 1),
        (1, 7),
        (7, 1),
        (2, 2),
        (3, 1),
        (1919, 1),
        (1919, 2),
        (16, 3),
    ];
    for filter in FILTERS {
        for format in FORMATS {
            for from in sizes {
                let data = noise(Layout::packed(format, from.0, from.1).min_len(), 3);
                for to in sizes
                    .iter()
                    .copied()
                    .chain([(from.0, from.1 * 3), (from.0 * 2, from.1)])
                {
                    let out = resized(filter, format, from, &data, to);
                    if from == to {
                        assert_eq!(out, data, "{filter:?} {format} {from:?} copy");
                    }
                    if from == (1, 1) {
                        let want = resized(filter, format, (1, 1), &data, (1, 1));
                        let sl = Layout::packed(format, to.0, to.1);
                        for plane in 0..format.plane_count() {
                            let px = &want[Layout::packed(format, 1, 1).row_range(plane, 0)];
                            let row = &out[sl.row_range(plane, 0)];
                            assert!(
                                row.chunks_exact(px.len()).all(|p| p == px),
                                "{filter:?} {format} 1x1 -> {to:?}"
                            );
                        }
                    }
                }
            }
        }
    }
}

/// A format mismatch is an error, not a panic; empty pictures are no-ops.
#[test]
fn mismatches_are_errors_and_empty_is_fine() {
    let sl = Layout::packed(Format::I420, 8, 8);
    let dl = Layout::packed(Format::Rgba, 4, 4);
    let sd = vec![0u8; sl.min_len()];
    let mut dd = vec![0u8; dl.min_len()];
    let src = Image::new(&sl, &sd).unwrap();
    assert!(scale::scale(src, &mut ImageMut::new(&dl, &mut dd).unwrap()).is_err());
    assert!(
        scale::scale_filtered(
            src,
            &mut ImageMut::new(&dl, &mut dd).unwrap(),
            Filter::Lanczos3
        )
        .is_err()
    );
    let el = Layout::packed(Format::I420, 0, 0);
    let mut ed: Vec<u8> = Vec::new();
    scale::scale(src, &mut ImageMut::new(&el, &mut ed).unwrap()).unwrap();
    let fl = Layout::packed(Format::I420, 8, 8);
    let mut fd = vec![7u8; fl.min_len()];
    scale::scale_filtered(
        Image::new(&el, &ed).unwrap(),
        &mut ImageMut::new(&fl, &mut fd).unwrap(),
        Filter::Bicubic,
    )
    .unwrap();
}

/// `resample` of an area is the scale of a copy of that area: the crop
/// reads in place, on every format, with odd corners moved to even ones
/// on YUV; an area missing the picture is an error.
#[test]
fn resample_scales_an_area_as_a_copy_of_it_would() {
    use reel_kernels::{Rect, resample, scale_filtered};
    for format in [Format::Rgba, Format::I420, Format::Nv12] {
        let (w, h) = (37, 23);
        let layout = Layout::packed(format, w, h);
        let data: Vec<u8> = (0..layout.min_len())
            .map(|i| (i * 31 % 251) as u8)
            .collect();
        let src = Image::new(&layout, &data).unwrap();
        // (x, y, width, height) of the area, and the area a YUV crop uses.
        for (x, y, cw, ch) in [(4, 6, 20, 10), (5, 3, 9, 7), (0, 0, 37, 23)] {
            let even = format != Format::Rgba;
            let (x0, y0) = if even { (x & !1, y & !1) } else { (x, y) };
            let (cw0, ch0) = (cw + x - x0, ch + y - y0);
            // The copy: the area's rows, plane by plane, packed.
            let copy_layout = Layout::packed(format, cw0, ch0);
            let mut copy = vec![0u8; copy_layout.min_len()];
            {
                let mut out = ImageMut::new(&copy_layout, &mut copy).unwrap();
                for plane in 0..format.plane_count() {
                    let (sx, sy) = match (format, plane) {
                        (Format::Rgba, _) => (4 * x0, y0),
                        (_, 0) => (x0, y0),
                        (Format::I420, _) => (x0 / 2, y0 / 2),
                        (Format::Nv12, _) => (x0, y0 / 2),
                    };
                    for row in 0..copy_layout.plane(plane).rows {
                        let n = copy_layout.plane(plane).row_bytes;
                        out.row_mut(plane, row)
                            .copy_from_slice(&src.row(plane, sy + row)[sx..sx + n]);
                    }
                }
            }
            let dl = Layout::packed(format, 16, 12);
            for filter in [Filter::Bilinear, Filter::Lanczos3] {
                let mut want = vec![0u8; dl.min_len()];
                scale_filtered(
                    Image::new(&copy_layout, &copy).unwrap(),
                    &mut ImageMut::new(&dl, &mut want).unwrap(),
                    filter,
                )
                .unwrap();
                let mut got = vec![0u8; dl.min_len()];
                let area = Rect {
                    x: x as i64,
                    y: y as i64,
                    width: cw,
                    height: ch,
                };
                resample(
                    src,
                    area,
                    &mut ImageMut::new(&dl, &mut got).unwrap(),
                    None,
                    filter,
                )
                .unwrap();
                assert_eq!(got, want, "{format} area {x},{y} {cw}x{ch} {filter:?}");
            }
        }
        // Clipped to the picture; wholly outside is an error.
        let dl = Layout::packed(format, 4, 4);
        let mut out = vec![0u8; dl.min_len()];
        let mut dst = ImageMut::new(&dl, &mut out).unwrap();
        let part = Rect {
            x: -5,
            y: -5,
            width: 10,
            height: 10,
        };
        assert!(resample(src, part, &mut dst, None, Filter::Bicubic).is_ok());
        let off = Rect {
            x: 40,
            y: 0,
            width: 4,
            height: 4,
        };
        assert!(resample(src, off, &mut dst, None, Filter::Bicubic).is_err());
    }
}

/// Resampling into a place on a bigger picture writes exactly what
/// resampling into a picture of the place's size writes, there, and
/// leaves the rest alone; places outside, or at odd coordinates on YUV,
/// are refused.
#[test]
fn resample_into_a_place_writes_only_there() {
    use reel_kernels::{Rect, resample};
    for format in [Format::Rgba, Format::I420, Format::Nv12] {
        let sl = Layout::packed(format, 40, 30);
        let sd: Vec<u8> = (0..sl.min_len()).map(|i| (i * 13 % 241) as u8).collect();
        let src = Image::new(&sl, &sd).unwrap();
        let whole = Rect {
            x: 0,
            y: 0,
            width: 40,
            height: 30,
        };
        let small = Layout::packed(format, 10, 8);
        let mut want = vec![0u8; small.min_len()];
        resample(
            src,
            whole,
            &mut ImageMut::new(&small, &mut want).unwrap(),
            None,
            Filter::Bicubic,
        )
        .unwrap();
        let big = Layout::packed(format, 32, 20);
        let mut got = vec![7u8; big.min_len()];
        let place = Rect {
            x: 12,
            y: 6,
            width: 10,
            height: 8,
        };
        resample(
            src,
            whole,
            &mut ImageMut::new(&big, &mut got).unwrap(),
            Some(place),
            Filter::Bicubic,
        )
        .unwrap();
        // Each plane: the place holds the small picture, the rest is 7.
        let got_image = Image::new(&big, &got).unwrap();
        let want_image = Image::new(&small, &want).unwrap();
        for plane in 0..format.plane_count() {
            let (bx, by, per) = match (format, plane) {
                (Format::Rgba, _) => (12 * 4, 6, 4),
                (_, 0) => (12, 6, 1),
                (Format::I420, _) => (6, 3, 1),
                (Format::Nv12, _) => (12, 3, 2),
            };
            let _ = per;
            for row in 0..big.plane(plane).rows {
                let line = got_image.row(plane, row);
                let inside = row >= by && row < by + small.plane(plane).rows;
                for (i, &v) in line.iter().enumerate() {
                    let in_place = inside && i >= bx && i < bx + small.plane(plane).row_bytes;
                    if in_place {
                        assert_eq!(
                            v,
                            want_image.row(plane, row - by)[i - bx],
                            "{format} plane {plane} {i},{row}"
                        );
                    } else {
                        assert_eq!(v, 7, "{format} plane {plane} {i},{row} outside the place");
                    }
                }
            }
        }
        let mut dst = ImageMut::new(&big, &mut got).unwrap();
        let outside = Rect {
            x: 28,
            y: 0,
            width: 10,
            height: 8,
        };
        assert!(resample(src, whole, &mut dst, Some(outside), Filter::Bicubic).is_err());
        let odd = Rect {
            x: 11,
            y: 6,
            width: 10,
            height: 8,
        };
        assert_eq!(
            resample(src, whole, &mut dst, Some(odd), Filter::Bicubic).is_err(),
            format != Format::Rgba
        );
    }
}
