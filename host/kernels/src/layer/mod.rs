//! A layer onto a picture: `blend`'s premultiplied "over" generalised to
//! the blend modes graphics use (add, multiply, screen) and to sources
//! with straight alpha (PNG logos, most RGBA video).
//!
//! "Over" runs `blend`'s fast rows; a straight-alpha source is
//! premultiplied first (only the part that lands on the picture, into a
//! scratch buffer), so it gives exactly the picture `premultiply` then
//! `blend` gives. The other modes are computed per pixel in `reference.rs`
//! (no SIMD rows yet: they are rarer, and measured separately). On a YUV
//! picture they work in RGB: the covered pixels are converted, blended as
//! onto an opaque backdrop and converted back.

pub mod reference;

use crate::blend::{blend_with, overlap};
use crate::cpu::CpuLevel;
use crate::layout::{Format, Image, ImageMut, Layout, LayoutError};

/// How a layer's colour combines with what is under it (the W3C
/// compositing formulas, with premultiplied colour).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlendMode {
    /// Source over: `s + d (1 - sa)`.
    Over,
    /// Plus (linear dodge): `min(1, s + d)`.
    Add,
    /// `s (1 - da) + d (1 - sa) + s d`: darkens; white is neutral.
    Multiply,
    /// `s + d - s d`: lightens; black is neutral.
    Screen,
}

/// Whether a source's colour is already multiplied by its alpha.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alpha {
    Premultiplied,
    Straight,
}

/// Blends `src` (RGBA) onto `dst` (RGBA, I420 or NV12) at (x, y) with
/// `opacity`, `mode` and the source's kind of `alpha`.
pub fn blend_layer(
    dst: &mut ImageMut<'_>,
    src: Image<'_>,
    at: (i32, i32),
    opacity: f32,
    mode: BlendMode,
    alpha: Alpha,
) -> Result<(), LayoutError> {
    blend_layer_with(CpuLevel::active(), dst, src, at, opacity, mode, alpha)
}

pub fn blend_layer_with(
    level: CpuLevel,
    dst: &mut ImageMut<'_>,
    src: Image<'_>,
    (x, y): (i32, i32),
    opacity: f32,
    mode: BlendMode,
    alpha: Alpha,
) -> Result<(), LayoutError> {
    if src.layout.format != Format::Rgba {
        return Err(LayoutError(format!(
            "a layer must be RGBA, got {}",
            src.layout.format
        )));
    }
    match (mode, alpha) {
        (BlendMode::Over, Alpha::Premultiplied) => blend_with(level, dst, src, x, y, opacity),
        (BlendMode::Over, Alpha::Straight) => {
            let Some((layout, data, at)) = premultiplied_part(dst, src, x, y) else {
                return Ok(());
            };
            blend_with(level, dst, Image::new(&layout, &data)?, at.0, at.1, opacity)
        }
        _ => reference::blend_layer(dst, src, (x, y), opacity, mode, alpha),
    }
}

/// The part of `src` placed at (x, y) that lands on `dst`, premultiplied,
/// with where it goes; None when nothing does.
fn premultiplied_part(
    dst: &ImageMut<'_>,
    src: Image<'_>,
    x: i32,
    y: i32,
) -> Option<(Layout, Vec<u8>, (i32, i32))> {
    let (xs, ys) = overlap(
        (dst.layout.width, dst.layout.height),
        (src.layout.width, src.layout.height),
        x as i64,
        y as i64,
    )?;
    let layout = Layout::packed(Format::Rgba, xs.len(), ys.len());
    let mut data = Vec::with_capacity(layout.min_len());
    let sx = (xs.start as i64 - x as i64) as usize;
    for dy in ys.clone() {
        let row = &src.row(0, (dy as i64 - y as i64) as usize)[4 * sx..4 * (sx + xs.len())];
        data.extend(row.chunks_exact(4).flat_map(reference::premultiplied));
    }
    Some((layout, data, (xs.start as i32, ys.start as i32)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODES: [BlendMode; 4] = [
        BlendMode::Over,
        BlendMode::Add,
        BlendMode::Multiply,
        BlendMode::Screen,
    ];

    /// Pixels of a small deterministic generator, premultiplied-valid
    /// (colour <= alpha).
    fn pixels(n: usize, seed: u32) -> Vec<u8> {
        let mut state = seed;
        let mut next = || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        };
        (0..n)
            .flat_map(|_| {
                let a = next();
                let c = [next(), next(), next()].map(|c| (c as u32 * a as u32 / 255) as u8);
                [c[0], c[1], c[2], a]
            })
            .collect()
    }

    /// The W3C formulas in floating point, premultiplied.
    fn formula(s: [f64; 4], d: [f64; 4], mode: BlendMode) -> [f64; 4] {
        let (sa, da) = (s[3], d[3]);
        let mut out = [0.0; 4];
        for c in 0..3 {
            out[c] = match mode {
                BlendMode::Over => s[c] + d[c] * (1.0 - sa),
                BlendMode::Add => (s[c] + d[c]).min(1.0),
                BlendMode::Multiply => s[c] * (1.0 - da) + d[c] * (1.0 - sa) + s[c] * d[c],
                BlendMode::Screen => s[c] + d[c] - s[c] * d[c],
            };
        }
        out[3] = match mode {
            BlendMode::Add => (sa + da).min(1.0),
            _ => sa + da - sa * da,
        };
        out
    }

    #[test]
    fn every_mode_matches_its_formula_within_one_code_value() {
        let (w, h) = (33, 9);
        let layout = Layout::packed(Format::Rgba, w, h);
        let src = pixels(w * h, 7);
        for mode in MODES {
            for level in CpuLevel::all_supported() {
                let before = pixels(w * h, 11);
                let mut out = before.clone();
                blend_layer_with(
                    level,
                    &mut ImageMut::new(&layout, &mut out).unwrap(),
                    Image::new(&layout, &src).unwrap(),
                    (0, 0),
                    1.0,
                    mode,
                    Alpha::Premultiplied,
                )
                .unwrap();
                for i in 0..w * h {
                    let f = |v: &[u8]| [0, 1, 2, 3].map(|c| v[4 * i + c] as f64 / 255.0);
                    let want = formula(f(&src), f(&before), mode);
                    for c in 0..4 {
                        let got = out[4 * i + c] as f64;
                        assert!(
                            (got - want[c] * 255.0).abs() <= 1.0,
                            "{mode:?} at {level:?}, pixel {i}, channel {c}: {got} against {}",
                            want[c] * 255.0
                        );
                    }
                }
            }
        }
    }

    /// Premultiplied "over" at full opacity is exactly rounded: every
    /// channel is `s + d (255 - sa) / 255` rounded to the nearest integer,
    /// over every source alpha and a spread of colours, at every level.
    #[test]
    fn over_is_exactly_rounded() {
        let mut src = Vec::new();
        let mut dst = Vec::new();
        for sa in 0..=255u32 {
            for d in (0..=255u32).step_by(5) {
                let s = sa * 3 / 4;
                src.extend([s as u8, (sa / 2) as u8, 0, sa as u8]);
                dst.extend([d as u8, (255 - d) as u8, 255, 255]);
            }
        }
        let n = src.len() / 4;
        let layout = Layout::packed(Format::Rgba, n, 1);
        for level in CpuLevel::all_supported() {
            let mut out = dst.clone();
            blend_layer_with(
                level,
                &mut ImageMut::new(&layout, &mut out).unwrap(),
                Image::new(&layout, &src).unwrap(),
                (0, 0),
                1.0,
                BlendMode::Over,
                Alpha::Premultiplied,
            )
            .unwrap();
            for i in 0..n {
                let sa = src[4 * i + 3] as f64;
                for c in 0..4 {
                    let (s, d) = (src[4 * i + c] as f64, dst[4 * i + c] as f64);
                    let want = (s + d * (255.0 - sa) / 255.0).round();
                    assert_eq!(
                        out[4 * i + c] as f64,
                        want,
                        "{level:?} pixel {i} channel {c}"
                    );
                }
            }
        }
    }

    /// A straight-alpha layer gives exactly the picture of premultiplying
    /// it first, on RGBA and I420, in every mode, partly off the picture,
    /// on an odd width.
    #[test]
    fn straight_alpha_is_the_same_as_premultiplying_first() {
        let (sw, sh) = (7, 5);
        let src_layout = Layout::packed(Format::Rgba, sw, sh);
        let straight: Vec<u8> = (0..sw * sh * 4).map(|i| (i * 37 % 256) as u8).collect();
        let premul: Vec<u8> = straight
            .chunks_exact(4)
            .flat_map(reference::premultiplied)
            .collect();
        for format in [Format::Rgba, Format::I420, Format::Nv12] {
            let layout = Layout::packed(format, 19, 7);
            for mode in MODES {
                for at in [(-3, -2), (15, 4), (6, 1)] {
                    let base: Vec<u8> = (0..layout.min_len())
                        .map(|i| (i * 11 % 256) as u8)
                        .collect();
                    let run = |data: &[u8], alpha| {
                        let mut out = base.clone();
                        blend_layer(
                            &mut ImageMut::new(&layout, &mut out).unwrap(),
                            Image::new(&src_layout, data).unwrap(),
                            at,
                            0.8,
                            mode,
                            alpha,
                        )
                        .unwrap();
                        out
                    };
                    assert_eq!(
                        run(&straight, Alpha::Straight),
                        run(&premul, Alpha::Premultiplied),
                        "{format} {mode:?} at {at:?}"
                    );
                }
            }
        }
    }

    /// Layers wholly off the picture change nothing; a 1-pixel picture and
    /// odd sizes clip without panics; a non-RGBA layer is an error.
    #[test]
    fn layers_clip_and_sizes_are_checked() {
        let src_layout = Layout::packed(Format::Rgba, 4, 4);
        let src = vec![200u8; src_layout.min_len()];
        for (format, w, h) in [
            (Format::I420, 1, 1),
            (Format::Nv12, 1919, 3),
            (Format::Rgba, 3, 1),
        ] {
            let layout = Layout::packed(format, w, h);
            let base = vec![90u8; layout.min_len()];
            for at in [
                (-4, 0),
                (0, -4),
                (w as i32, 0),
                (0, h as i32),
                (i32::MIN, i32::MAX),
            ] {
                let mut out = base.clone();
                blend_layer(
                    &mut ImageMut::new(&layout, &mut out).unwrap(),
                    Image::new(&src_layout, &src).unwrap(),
                    at,
                    1.0,
                    BlendMode::Screen,
                    Alpha::Straight,
                )
                .unwrap();
                assert_eq!(out, base, "{format} {w}x{h} at {at:?}");
            }
            let mut out = base.clone();
            blend_layer(
                &mut ImageMut::new(&layout, &mut out).unwrap(),
                Image::new(&src_layout, &src).unwrap(),
                (-1, -1),
                1.0,
                BlendMode::Multiply,
                Alpha::Premultiplied,
            )
            .unwrap();
        }
        let yuv = Layout::packed(Format::I420, 4, 4);
        let data = vec![0u8; yuv.min_len()];
        let mut out = vec![0u8; src_layout.min_len()];
        assert!(
            blend_layer(
                &mut ImageMut::new(&src_layout, &mut out).unwrap(),
                Image::new(&yuv, &data).unwrap(),
                (0, 0),
                1.0,
                BlendMode::Add,
                Alpha::Straight,
            )
            .is_err()
        );
    }

    /// On YUV, adding black or screening black leaves the picture (within
    /// the colour round trip); multiplying by white too.
    #[test]
    fn neutral_layers_leave_a_yuv_picture_alone() {
        let layout = Layout::packed(Format::I420, 16, 8);
        let base: Vec<u8> = (0..layout.min_len())
            .map(|i| {
                if i < 128 {
                    40 + (i % 180) as u8
                } else {
                    100 + (i % 50) as u8
                }
            })
            .collect();
        let src_layout = Layout::packed(Format::Rgba, 16, 8);
        for (mode, px) in [
            (BlendMode::Add, [0, 0, 0, 255]),
            (BlendMode::Screen, [0, 0, 0, 255]),
            (BlendMode::Multiply, [255, 255, 255, 255]),
        ] {
            let src: Vec<u8> = (0..16 * 8).flat_map(|_| px).collect();
            let mut out = base.clone();
            blend_layer(
                &mut ImageMut::new(&layout, &mut out).unwrap(),
                Image::new(&src_layout, &src).unwrap(),
                (0, 0),
                1.0,
                mode,
                Alpha::Premultiplied,
            )
            .unwrap();
            for (i, (a, b)) in out.iter().zip(&base).enumerate() {
                assert!(a.abs_diff(*b) <= 2, "{mode:?} byte {i}: {a} against {b}");
            }
        }
    }
}
