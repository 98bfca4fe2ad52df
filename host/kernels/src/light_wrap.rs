//! Light wrap: the background's light spilling round a keyed subject's
//! edges, as it does round someone really standing in front of it. Without
//! it a subject keyed off a green screen looks cut out and pasted on.
//!
//! The compositor's recipe (Nuke's LightWrap, After Effects' light wrap):
//! blur the background under the subject and the subject's alpha; where
//! the blurred alpha falls below one (near an edge, from inside) mix the
//! blurred background into the subject, by `strength (1 - blurred alpha)`.
//! In premultiplied colour that is the wrap layer `W` (the blurred
//! background with that coverage) composited *atop* the subject:
//! `W a + s (1 - Wa)`, so the subject's alpha, and everything outside it,
//! stays as it was.
//!
//! Both blurs are made small: the background and the alpha are averaged
//! over cells of about half the radius, smoothed once by a [1 2 1] tent
//! and read back by bilinear interpolation between cell centres.

use crate::color::yuv_to_rgb;
use crate::layout::{Format, Image, ImageMut, LayoutError};

/// How strongly, and how far in, the background wraps the subject.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Wrap {
    /// About how far into the subject the light reaches, in pixels of the
    /// layer (1 to 64; it reaches at least about 8).
    pub radius: f32,
    /// The share of the blurred background mixed in at the very edge
    /// (0 to 1; 0 leaves the layer untouched).
    pub strength: f32,
}

/// Wraps `layer` (premultiplied RGBA, in place) in the light of
/// `background` (RGBA, I420 or NV12) under it, the layer's top left corner
/// being at `at` on the background. Parts of the layer off the background
/// take the nearest background pixels.
pub fn light_wrap(
    layer: &mut ImageMut<'_>,
    background: Image<'_>,
    at: (i32, i32),
    wrap: &Wrap,
) -> Result<(), LayoutError> {
    if layer.layout.format != Format::Rgba {
        return Err(LayoutError(format!(
            "light wrap: the layer must be RGBA, got {}",
            layer.layout.format
        )));
    }
    let strength = if wrap.strength.is_finite() {
        wrap.strength.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let radius = if wrap.radius.is_finite() {
        wrap.radius.clamp(1.0, 64.0)
    } else {
        8.0
    };
    let (w, h) = (layer.layout.width, layer.layout.height);
    let (bw, bh) = (background.layout.width, background.layout.height);
    if strength == 0.0 || w == 0 || h == 0 || bw == 0 || bh == 0 {
        return Ok(());
    }
    // Cells of at least 4x4 pixels: the grids (a few floats a cell) stay
    // well below the layer's own size however small the radius asked.
    let cell = ((radius / 2.0).round() as usize).max(4);
    let mut grid = Grid::measure(layer, &background, at, cell);
    grid.smooth();
    grid.apply(layer, strength);
    Ok(())
}

/// The blurred alpha and background, one value per cell of the layer.
struct Grid {
    cell: usize,
    across: usize,
    down: usize,
    /// Per cell: the layer's mean alpha (0..=1) and the background's mean
    /// R, G, B (0..=255).
    values: Vec<[f32; 4]>,
}

impl Grid {
    fn measure(layer: &ImageMut<'_>, background: &Image<'_>, at: (i32, i32), cell: usize) -> Grid {
        let (w, h) = (layer.layout.width, layer.layout.height);
        let (across, down) = (w.div_ceil(cell), h.div_ceil(cell));
        // Per cell: the sums of the layer's alpha and of the background's
        // three channels as stored (RGB, or YUV: converted once per cell,
        // the conversion being linear), and the number of samples.
        let mut sums = vec![[0u32; 5]; across * down];
        // A blur this wide needs no more than two samples a cell side,
        // counted from each cell's start so that every cell, the short
        // last ones too, gets some.
        let step = (cell / 2).max(1);
        let picks = |n: usize| (0..n).filter(move |p| (p % cell).is_multiple_of(step));
        let (bw, bh) = (background.layout.width, background.layout.height);
        let yuv = background.layout.format != Format::Rgba;
        let xs: Vec<usize> = picks(w).collect();
        let columns: Vec<usize> = xs
            .iter()
            .map(|&x| (at.0 as i64 + x as i64).clamp(0, bw as i64 - 1) as usize)
            .collect();
        for y in picks(h) {
            let by = (at.1 as i64 + y as i64).clamp(0, bh as i64 - 1) as usize;
            let row = layer.row(0, y);
            let cells = &mut sums[(y / cell) * across..][..across];
            let bg = background.row(0, by);
            let (chroma, interleaved) = match background.layout.format {
                Format::Rgba => (None, false),
                Format::I420 => (
                    Some((background.row(1, by / 2), background.row(2, by / 2))),
                    false,
                ),
                Format::Nv12 => {
                    let uv = background.row(1, by / 2);
                    (Some((uv, uv)), true)
                }
            };
            for (&x, &bx) in xs.iter().zip(&columns) {
                let [c0, c1, c2] = match chroma {
                    None => [bg[4 * bx], bg[4 * bx + 1], bg[4 * bx + 2]],
                    Some((u, _)) if interleaved => [bg[bx], u[bx & !1], u[bx | 1]],
                    Some((u, v)) => [bg[bx], u[bx / 2], v[bx / 2]],
                };
                let c = [row[4 * x + 3], c0, c1, c2];
                let s = &mut cells[x / cell];
                for k in 0..4 {
                    s[k] += c[k] as u32;
                }
                s[4] += 1;
            }
        }
        let values = sums
            .iter()
            .map(|s| {
                let n = s[4].max(1) as f32;
                let mean = |k: usize| s[k] as f32 / n;
                let rgb = if yuv {
                    let c = [mean(1), mean(2), mean(3)].map(|v| v.round() as u8);
                    yuv_to_rgb(c[0], c[1], c[2]).map(|v| v as f32)
                } else {
                    [mean(1), mean(2), mean(3)]
                };
                [mean(0) / 255.0, rgb[0], rgb[1], rgb[2]]
            })
            .collect();
        Grid {
            cell,
            across,
            down,
            values,
        }
    }

    /// One [1 2 1] tent across and down (edges repeated).
    fn smooth(&mut self) {
        let (across, down) = (self.across, self.down);
        let tent = |a: [f32; 4], b: [f32; 4], c: [f32; 4]| -> [f32; 4] {
            std::array::from_fn(|k| 0.25 * a[k] + 0.5 * b[k] + 0.25 * c[k])
        };
        let v = &self.values;
        let mut across_done = Vec::with_capacity(v.len());
        for y in 0..down {
            for x in 0..across {
                let at = |x: usize| v[y * across + x];
                across_done.push(tent(
                    at(x.saturating_sub(1)),
                    at(x),
                    at((x + 1).min(across - 1)),
                ));
            }
        }
        let v = &across_done;
        self.values = (0..down)
            .flat_map(|y| {
                (0..across).map(move |x| {
                    let at = |y: usize| v[y * across + x];
                    tent(at(y.saturating_sub(1)), at(y), at((y + 1).min(down - 1)))
                })
            })
            .collect();
    }

    /// A position along `n` cells: the cell centres either side and the
    /// weight of the second.
    fn place(&self, p: usize, n: usize) -> (usize, usize, f32) {
        let f = ((p as f32 + 0.5) / self.cell as f32 - 0.5).clamp(0.0, (n - 1) as f32);
        let i = f as usize;
        (i, (i + 1).min(n - 1), f - i as f32)
    }

    /// Mixes the wrap into the layer, atop it.
    fn apply(&self, layer: &mut ImageMut<'_>, strength: f32) {
        let (w, h) = (layer.layout.width, layer.layout.height);
        let mut columns = vec![[0.0f32; 4]; self.across];
        // Where each pixel falls between cell centres, the same every row,
        // as spans of pixels between the same two centres.
        let across: Vec<(usize, usize, f32)> = (0..w).map(|x| self.place(x, self.across)).collect();
        let mut spans: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
        for (x, &(i0, _, _)) in across.iter().enumerate() {
            match spans.last_mut() {
                Some((i, xs)) if *i == i0 => xs.end = x + 1,
                _ => spans.push((i0, x..x + 1)),
            }
        }
        for y in 0..h {
            let (y0, y1, ty) = self.place(y, self.down);
            let (r0, r1) = (y0 * self.across, y1 * self.across);
            for (x, column) in columns.iter_mut().enumerate() {
                let (a, b) = (self.values[r0 + x], self.values[r1 + x]);
                *column = std::array::from_fn(|k| a[k] + (b[k] - a[k]) * ty);
            }
            let row = &mut layer.row_mut(0, y)[..4 * w];
            for (i0, xs) in &spans {
                let (c0, c1) = (columns[*i0], columns[(*i0 + 1).min(self.across - 1)]);
                // Deep inside the subject the blurred alpha is whole: no wrap.
                if c0[0] >= 0.999 && c1[0] >= 0.999 {
                    continue;
                }
                // Nor outside it (an OR over the span, which vectorises).
                let pixels = &row[4 * xs.start..4 * xs.end];
                if pixels.iter().fold(0u8, |a, b| a | b) == 0 {
                    continue;
                }
                for x in xs.clone() {
                    let px = &mut row[4 * x..4 * x + 4];
                    let alpha = px[3];
                    if alpha == 0 {
                        continue;
                    }
                    let t = across[x].2;
                    let blurred = c0[0] + (c1[0] - c0[0]) * t;
                    let m = strength * (1.0 - blurred);
                    if m <= 0.0 {
                        continue;
                    }
                    let cover = m * alpha as f32 / 255.0;
                    for k in 0..3 {
                        let bg = c0[k + 1] + (c1[k + 1] - c0[k + 1]) * t;
                        let mixed = px[k] as f32 * (1.0 - m) + cover * bg;
                        px[k] = (mixed.round() as u32).min(alpha as u32) as u8;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Layout;

    /// A layer of `w` x `h`: an opaque white disc of radius `r` in the
    /// middle, transparent round it.
    fn disc(w: usize, h: usize, r: f32) -> (Layout, Vec<u8>) {
        let layout = Layout::packed(Format::Rgba, w, h);
        let mut data = vec![0u8; layout.min_len()];
        for y in 0..h {
            for x in 0..w {
                let d = ((x as f32 - w as f32 / 2.0).powi(2) + (y as f32 - h as f32 / 2.0).powi(2))
                    .sqrt();
                if d < r {
                    data[4 * (y * w + x)..4 * (y * w + x) + 4].copy_from_slice(&[230; 4]);
                    data[4 * (y * w + x) + 3] = 255;
                }
            }
        }
        (layout, data)
    }

    fn red_background(w: usize, h: usize) -> (Layout, Vec<u8>) {
        let layout = Layout::packed(Format::Rgba, w, h);
        let data = [220u8, 20, 20, 255].repeat(w * h);
        (layout, data)
    }

    fn wrapped(strength: f32, background: (Layout, Vec<u8>)) -> Vec<u8> {
        let (layout, mut data) = disc(96, 96, 30.0);
        let mut img = ImageMut::new(&layout, &mut data).unwrap();
        let bg = Image::new(&background.0, &background.1).unwrap();
        light_wrap(
            &mut img,
            bg,
            (10, 10),
            &Wrap {
                radius: 8.0,
                strength,
            },
        )
        .unwrap();
        data
    }

    fn px(data: &[u8], x: usize, y: usize) -> [u8; 4] {
        data[4 * (y * 96 + x)..4 * (y * 96 + x) + 4]
            .try_into()
            .unwrap()
    }

    #[test]
    fn the_edge_takes_the_background_s_colour_and_the_middle_stays() {
        let before = disc(96, 96, 30.0).1;
        let after = wrapped(0.8, red_background(200, 200));
        // Just inside the disc's left edge (x = 18..19 at the middle row).
        let [r, g, b, a] = px(&after, 19, 48);
        assert_eq!(a, 255);
        assert!(
            r > g + 40 && r > b + 40,
            "the edge is not reddened: {r} {g} {b}"
        );
        // The middle, 30 pixels from any edge, is untouched.
        assert_eq!(px(&after, 48, 48), px(&before, 48, 48));
        // Outside the disc nothing appears.
        assert_eq!(px(&after, 5, 48), [0, 0, 0, 0]);
        // Alpha is never changed.
        assert!(
            before
                .iter()
                .zip(&after)
                .skip(3)
                .step_by(4)
                .all(|(a, b)| a == b)
        );
    }

    #[test]
    fn a_yuv_background_wraps_like_its_rgba_picture() {
        let (rgba_layout, rgba) = red_background(200, 200);
        let yuv_layout = Layout::packed(Format::I420, 200, 200);
        let mut yuv = vec![0u8; yuv_layout.min_len()];
        crate::convert(
            Image::new(&rgba_layout, &rgba).unwrap(),
            &mut ImageMut::new(&yuv_layout, &mut yuv).unwrap(),
        )
        .unwrap();
        // And NV12 of an odd size: as I420.
        let nv12_layout = Layout::packed(Format::Nv12, 199, 201);
        let mut nv12 = vec![0u8; nv12_layout.min_len()];
        let odd = Layout::packed(Format::Rgba, 199, 201);
        let odd_rgba = [220u8, 20, 20, 255].repeat(199 * 201);
        crate::convert(
            Image::new(&odd, &odd_rgba).unwrap(),
            &mut ImageMut::new(&nv12_layout, &mut nv12).unwrap(),
        )
        .unwrap();
        let from_rgba = wrapped(0.8, (rgba_layout, rgba));
        let from_nv12 = wrapped(0.8, (nv12_layout, nv12));
        let from_yuv = wrapped(0.8, (yuv_layout, yuv));
        assert_eq!(from_nv12, from_yuv);
        let worst = from_rgba
            .iter()
            .zip(&from_yuv)
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap();
        assert!(worst <= 3, "YUV and RGBA backgrounds differ by {worst}");
    }

    /// A radius whose cells do not divide the layer (the last ones short)
    /// leaves an opaque layer's edges over a background of its own colour
    /// as they were: no cell goes unsampled and reads as black.
    #[test]
    fn short_last_cells_are_sampled() {
        for (w, h, radius) in [(16, 16, 10.0), (23, 17, 14.0), (9, 31, 9.0)] {
            let layout = Layout::packed(Format::Rgba, w, h);
            let before = [200u8, 20, 20, 255].repeat(w * h);
            let mut data = before.clone();
            let bg = red_background(w, h);
            let mut img = ImageMut::new(&layout, &mut data).unwrap();
            let wrap = Wrap {
                radius,
                strength: 1.0,
            };
            light_wrap(&mut img, Image::new(&bg.0, &bg.1).unwrap(), (0, 0), &wrap).unwrap();
            // Wholly opaque: the blurred alpha is whole everywhere.
            assert_eq!(data, before, "{w}x{h}, radius {radius}");
        }
    }

    #[test]
    fn no_strength_changes_nothing_and_nonsense_is_survived() {
        let before = disc(96, 96, 30.0).1;
        assert_eq!(wrapped(0.0, red_background(200, 200)), before);
        assert_eq!(wrapped(f32::NAN, red_background(200, 200)), before);
        // A layer wholly off the background takes its nearest pixels.
        let (layout, mut data) = disc(96, 96, 30.0);
        let bg = red_background(4, 4);
        let mut img = ImageMut::new(&layout, &mut data).unwrap();
        let wrap = Wrap {
            radius: f32::INFINITY,
            strength: 1.0,
        };
        light_wrap(
            &mut img,
            Image::new(&bg.0, &bg.1).unwrap(),
            (-5000, 9000),
            &wrap,
        )
        .unwrap();
    }
}
