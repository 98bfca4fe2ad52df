//! Every fast path, at every instruction-set level this CPU has, must give
//! exactly what the pixel-at-a-time reference gives, on sizes whose rows
//! end in a partial vector (1, 9, 17, 33, 1919 wide).

use reel_kernels::{
    CpuLevel, Format, Image, ImageMut, Layout, Lut3d, Rect, blend, chroma_key, convert, fill,
    lut3d, premultiply, scale,
};

const SIZES: [(usize, usize); 6] = [(1, 1), (9, 3), (17, 5), (33, 8), (64, 2), (1919, 3)];
const FORMATS: [Format; 3] = [Format::I420, Format::Nv12, Format::Rgba];

/// Deterministic noise, so failures reproduce.
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

/// A picture with padded strides (so stride != row bytes is exercised).
fn padded(format: Format, w: usize, h: usize, seed: u64) -> (Layout, Vec<u8>) {
    let mut offsets = Vec::new();
    let mut strides = Vec::new();
    let mut offset = 16;
    for plane in 0..format.plane_count() {
        let (row_bytes, rows) = format.plane_size(plane, w, h);
        let stride = row_bytes + 7;
        offsets.push(offset);
        strides.push(stride);
        offset += stride * rows + 5;
    }
    let data = noise(offset, seed);
    let layout = Layout::with_strides(format, w, h, &offsets, &strides, data.len()).unwrap();
    (layout, data)
}

/// Premultiplied RGBA noise: colour never above alpha.
fn premultiplied(w: usize, h: usize, seed: u64) -> (Layout, Vec<u8>) {
    let (layout, mut data) = padded(Format::Rgba, w, h, seed);
    for y in 0..h {
        let r = layout.row_range(0, y);
        for px in data[r].chunks_exact_mut(4) {
            for c in 0..3 {
                px[c] = px[c].min(px[3]);
            }
        }
    }
    (layout, data)
}

#[test]
fn convert_matches_reference() {
    for level in CpuLevel::all_supported() {
        for (w, h) in SIZES {
            for sf in FORMATS {
                for df in FORMATS {
                    let (sl, sd) = padded(sf, w, h, 1);
                    let (dl, dd) = padded(df, w, h, 2);
                    let src = Image::new(&sl, &sd).unwrap();
                    let (mut fast, mut slow) = (dd.clone(), dd.clone());
                    convert::convert_with(level, src, &mut ImageMut::new(&dl, &mut fast).unwrap())
                        .unwrap();
                    convert::reference::convert(src, &mut ImageMut::new(&dl, &mut slow).unwrap())
                        .unwrap();
                    assert!(fast == slow, "{level:?} {sf}->{df} {w}x{h}");
                }
            }
        }
    }
}

/// Sources small and wide (the wide ones reach the fused chroma path,
/// eight 2x2 blocks a step), at odd and even places, half and fully
/// opaque.
#[test]
fn blend_matches_reference_at_every_position() {
    for level in CpuLevel::all_supported() {
        for (w, h) in SIZES {
            for df in FORMATS {
                for (sw, sh) in [(13, 7), (75, 9)] {
                    for (x, y) in [
                        (0, 0),
                        (-3, 1),
                        (5, -2),
                        (2, 2),
                        (w as i32 - 2, h as i32 - 1),
                        (w as i32 - 40, 1),
                        (1000, 0),
                    ] {
                        for opacity in [0.7, 1.0] {
                            let (sl, sd) = premultiplied(sw, sh, 3);
                            let (dl, dd) = padded(df, w, h, 4);
                            let src = Image::new(&sl, &sd).unwrap();
                            let (mut fast, mut slow) = (dd.clone(), dd.clone());
                            blend::blend_with(
                                level,
                                &mut ImageMut::new(&dl, &mut fast).unwrap(),
                                src,
                                x,
                                y,
                                opacity,
                            )
                            .unwrap();
                            blend::reference::blend(
                                &mut ImageMut::new(&dl, &mut slow).unwrap(),
                                src,
                                x,
                                y,
                                opacity,
                            )
                            .unwrap();
                            assert!(
                                fast == slow,
                                "{level:?} {sw}x{sh} onto {df} {w}x{h} at {x},{y}, opacity {opacity}"
                            );
                        }
                    }
                }
            }
        }
    }
}

/// Wholly transparent spans (all four bytes zero) of every length and
/// phase, as round a keyed presenter, and pixels transparent but with
/// colour (light that adds): the spans skipped give exactly the
/// reference's picture.
#[test]
fn blend_skips_transparent_spans_exactly() {
    let (sw, sh) = (101, 9);
    let (sl, mut sd) = premultiplied(sw, sh, 5);
    for y in 0..sh {
        let row = sl.row_range(0, y);
        let pixels = &mut sd[row];
        // Runs of 0..=40 transparent pixels from a row-dependent phase.
        let mut x = y * 3;
        while x < sw {
            let len = (x * 7 + y) % 41;
            for px in pixels[4 * x..4 * (x + len).min(sw)].chunks_exact_mut(4) {
                px.copy_from_slice(&[0; 4]);
            }
            x += len + 1 + (x % 13);
        }
        if y == 4 {
            pixels[4 * 50..4 * 51].copy_from_slice(&[9, 9, 9, 0]);
        }
    }
    let src = Image::new(&sl, &sd).unwrap();
    for level in CpuLevel::all_supported() {
        for df in FORMATS {
            for (x, y) in [(0, 0), (1, 1), (-17, 3), (30, -2), (7, 0)] {
                let (dl, dd) = padded(df, 120, 12, 6);
                let (mut fast, mut slow) = (dd.clone(), dd.clone());
                blend::blend_with(
                    level,
                    &mut ImageMut::new(&dl, &mut fast).unwrap(),
                    src,
                    x,
                    y,
                    0.8,
                )
                .unwrap();
                blend::reference::blend(
                    &mut ImageMut::new(&dl, &mut slow).unwrap(),
                    src,
                    x,
                    y,
                    0.8,
                )
                .unwrap();
                assert!(fast == slow, "{level:?} onto {df} at {x},{y}");
            }
        }
    }
}

#[test]
fn blend_of_opaque_white_gives_white() {
    let (sl, mut sd) = padded(Format::Rgba, 4, 4, 5);
    sd.iter_mut().for_each(|b| *b = 255);
    let dl = Layout::packed(Format::Rgba, 4, 4);
    let mut dd = vec![0u8; dl.min_len()];
    blend::blend(
        &mut ImageMut::new(&dl, &mut dd).unwrap(),
        Image::new(&sl, &sd).unwrap(),
        0,
        0,
        1.0,
    )
    .unwrap();
    assert!(dd.iter().all(|&b| b == 255));
}

#[test]
fn chroma_key_matches_reference_and_clears_the_key() {
    for level in CpuLevel::all_supported() {
        for (w, h) in SIZES {
            let (l, mut d) = padded(Format::Rgba, w, h, 6);
            // Make the first pixel exactly the key colour, fully opaque.
            let first = l.row_range(0, 0).start;
            d[first..first + 4].copy_from_slice(&[0, 255, 0, 255]);
            let (mut fast, mut slow) = (d.clone(), d.clone());
            chroma_key::chroma_key_with(
                level,
                &mut ImageMut::new(&l, &mut fast).unwrap(),
                [0, 255, 0],
                0.2,
                0.1,
            )
            .unwrap();
            chroma_key::reference::chroma_key(
                &mut ImageMut::new(&l, &mut slow).unwrap(),
                [0, 255, 0],
                0.2,
                0.1,
            )
            .unwrap();
            assert!(fast == slow, "{level:?} {w}x{h}");
            assert_eq!(&fast[first..first + 4], &[0, 0, 0, 0]);
        }
    }
}

#[test]
fn premultiply_matches_reference_and_scales_colour_by_alpha() {
    for level in CpuLevel::all_supported() {
        for (w, h) in SIZES {
            let (l, d) = padded(Format::Rgba, w, h, 11);
            let (mut fast, mut slow) = (d.clone(), d.clone());
            premultiply::premultiply_with(level, &mut ImageMut::new(&l, &mut fast).unwrap())
                .unwrap();
            premultiply::reference::premultiply(&mut ImageMut::new(&l, &mut slow).unwrap())
                .unwrap();
            assert!(fast == slow, "{level:?} {w}x{h}");
        }
    }
    // Half-covered white becomes half-bright; alpha is kept; opaque and
    // clear pixels are exact.
    let l = Layout::packed(Format::Rgba, 3, 1);
    let mut px = vec![255, 255, 255, 128, 10, 20, 30, 255, 200, 100, 50, 0];
    premultiply::premultiply(&mut ImageMut::new(&l, &mut px).unwrap()).unwrap();
    assert_eq!(px, vec![128, 128, 128, 128, 10, 20, 30, 255, 0, 0, 0, 0]);
    // Only RGBA has alpha.
    let (l, mut d) = padded(Format::I420, 8, 8, 1);
    assert!(premultiply::premultiply(&mut ImageMut::new(&l, &mut d).unwrap()).is_err());
}

#[test]
fn lut_matches_reference() {
    // A LUT that swaps red and blue and darkens.
    let n = 9;
    let mut table = Vec::new();
    for b in 0..n {
        for g in 0..n {
            for r in 0..n {
                let f = |v: usize| v as f32 / (n - 1) as f32 * 0.8;
                table.extend([f(b), f(g), f(r)]);
            }
        }
    }
    let lut = Lut3d::new(n, &table).unwrap();
    for level in CpuLevel::all_supported() {
        for (w, h) in SIZES {
            let (l, d) = padded(Format::Rgba, w, h, 7);
            let (mut fast, mut slow) = (d.clone(), d.clone());
            lut3d::apply_lut3d_with(
                level,
                &mut ImageMut::new(&l, &mut fast).unwrap(),
                &lut,
                0.75,
            )
            .unwrap();
            lut3d::reference::apply_lut3d(&mut ImageMut::new(&l, &mut slow).unwrap(), &lut, 0.75);
            assert!(fast == slow, "{level:?} {w}x{h}");
        }
    }
    // Full strength on a lattice point gives the table value exactly.
    let l = Layout::packed(Format::Rgba, 1, 1);
    let mut px = vec![255, 0, 0, 77];
    lut3d::apply_lut3d(&mut ImageMut::new(&l, &mut px).unwrap(), &lut, 1.0).unwrap();
    assert_eq!(px, vec![0, 0, 204, 77]);
}

/// Sizes to scale each of `SIZES` to: enlarged, shrunk, the same, and
/// each axis alone both ways (one axis left as it is).
fn scale_targets(w: usize, h: usize) -> [(usize, usize); 7] {
    [
        (w * 2 + 1, h + 3),
        ((w / 2).max(1), (h / 2).max(1)),
        (w, h),
        (w * 3, h),
        ((w / 3).max(1), h),
        (w, h * 2 + 1),
        (w, (h / 3).max(1)),
    ]
}

/// `scale` and every filter of `scale_filtered`, at every level: exactly
/// the reference, so the levels are bit-identical to each other too.
#[test]
fn scale_matches_reference() {
    use scale::Filter;
    for (w, h) in SIZES {
        for f in FORMATS {
            for (dw, dh) in scale_targets(w, h) {
                for filter in [
                    None,
                    Some(Filter::Bilinear),
                    Some(Filter::Bicubic),
                    Some(Filter::Lanczos3),
                ] {
                    let (sl, sd) = padded(f, w, h, 8);
                    let (dl, dd) = padded(f, dw, dh, 9);
                    let src = Image::new(&sl, &sd).unwrap();
                    let mut slow = dd.clone();
                    let mut slow_img = ImageMut::new(&dl, &mut slow).unwrap();
                    match filter {
                        None => scale::reference::scale(src, &mut slow_img),
                        Some(filter) => {
                            scale::reference::scale_filtered(src, &mut slow_img, filter)
                        }
                    }
                    for level in CpuLevel::all_supported() {
                        let mut fast = dd.clone();
                        let mut fast_img = ImageMut::new(&dl, &mut fast).unwrap();
                        match filter {
                            None => scale::scale_with(level, src, &mut fast_img).unwrap(),
                            Some(filter) => {
                                scale::scale_filtered_with(level, src, &mut fast_img, filter)
                                    .unwrap()
                            }
                        }
                        assert!(
                            fast == slow,
                            "{level:?} {filter:?} {f} {w}x{h} -> {dw}x{dh}"
                        );
                    }
                }
            }
        }
    }
}

/// The vector kernels at the sizes of the benchmark (long rows, every
/// block kind: enlarging, shrinking by 1.5 and by 4 with wide filters).
#[test]
fn scale_matches_reference_at_video_sizes() {
    use scale::Filter;
    for f in FORMATS {
        for ((w, h), (dw, dh)) in [
            ((1280, 8), (1920, 12)),
            ((1920, 16), (480, 4)),
            ((1920, 12), (1280, 8)),
        ] {
            for filter in [Filter::Bilinear, Filter::Bicubic, Filter::Lanczos3] {
                let (sl, sd) = padded(f, w, h, 12);
                let (dl, dd) = padded(f, dw, dh, 13);
                let src = Image::new(&sl, &sd).unwrap();
                let mut slow = dd.clone();
                scale::reference::scale_filtered(
                    src,
                    &mut ImageMut::new(&dl, &mut slow).unwrap(),
                    filter,
                );
                for level in CpuLevel::all_supported() {
                    let mut fast = dd.clone();
                    scale::scale_filtered_with(
                        level,
                        src,
                        &mut ImageMut::new(&dl, &mut fast).unwrap(),
                        filter,
                    )
                    .unwrap();
                    assert!(
                        fast == slow,
                        "{level:?} {filter:?} {f} {w}x{h} -> {dw}x{dh}"
                    );
                }
            }
        }
    }
}

#[test]
fn scale_same_size_is_identity() {
    let (l, d) = padded(Format::I420, 33, 9, 10);
    let mut out = d.clone();
    scale::scale(
        Image::new(&l, &d).unwrap(),
        &mut ImageMut::new(&l, &mut out).unwrap(),
    )
    .unwrap();
    assert_eq!(out, d);
}

#[test]
fn fill_rect_every_level_agrees_and_clips() {
    for f in FORMATS {
        let (l, d) = padded(f, 17, 5, 11);
        let mut results = Vec::new();
        for level in CpuLevel::all_supported() {
            let mut out = d.clone();
            let rect = Rect {
                x: -2,
                y: 1,
                width: 9,
                height: 100,
            };
            fill::fill_rect_with(
                level,
                &mut ImageMut::new(&l, &mut out).unwrap(),
                rect,
                [255, 0, 0, 255],
            );
            results.push(out);
        }
        assert!(results.windows(2).all(|p| p[0] == p[1]), "{f}");
        let mut slow = d.clone();
        let rect = Rect {
            x: -2,
            y: 1,
            width: 9,
            height: 100,
        };
        fill::reference::fill_rect(
            &mut ImageMut::new(&l, &mut slow).unwrap(),
            rect,
            [255, 0, 0, 255],
        );
        assert!(
            results[0] == slow,
            "{f}: fast path differs from the reference"
        );
        // Translucent, at every level, on an odd-sized picture.
        for level in CpuLevel::all_supported() {
            let (l, d) = padded(f, 1919, 3, 12);
            let rect = Rect {
                x: 3,
                y: 0,
                width: 1000,
                height: 2,
            };
            let (mut fast, mut slow) = (d.clone(), d.clone());
            fill::fill_rect_with(
                level,
                &mut ImageMut::new(&l, &mut fast).unwrap(),
                rect,
                [20, 200, 90, 100],
            );
            fill::reference::fill_rect(
                &mut ImageMut::new(&l, &mut slow).unwrap(),
                rect,
                [20, 200, 90, 100],
            );
            assert!(fast == slow, "{level:?} {f}");
        }
        // An opaque red fill reads back as red (through the YUV round trip).
        let img = Image::new(&l, &results[0]).unwrap();
        let px = convert::reference::rgba_at(&img, 3, 2);
        assert!(px[0] > 240 && px[1] < 15 && px[2] < 15, "{f} {px:?}");
        // Row 0 is above the rectangle and untouched.
        assert_eq!(img.row(0, 0), Image::new(&l, &d).unwrap().row(0, 0));
    }
}
