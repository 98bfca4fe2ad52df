//! The palette a picture is posterised to, and its nearest-colour table:
//! 64 luma by 32 by 32 chroma cells of BT.709 limited-range YUV, each
//! holding the palette colour nearest (in CIELAB) to the cell's centre,
//! as `reel_style::toon::PaletteTable` does. A pixel costs one table
//! read, and borders between colours stay crisp. YUV pictures read the
//! colour's codes straight from the cell (256 KiB; the cell's colour
//! number then its codes, two dependent reads, measured 12% slower);
//! RGBA reads the colour's number, for its RGB.

use std::sync::Arc;

use crate::color::{rgb_to_u, rgb_to_v, rgb_to_y};
use crate::layout::LayoutError;

/// Cells in the table: 64 luma (4 codes each) by 32 U by 32 V (8 each).
pub(crate) const CELLS: usize = 64 * 32 * 32;

/// Bytes of [`Tables::index`].
pub(crate) const INDEX_LEN: usize = CELLS + 3;

/// The table cell of a YUV pixel. Luma varies fastest: the 64 cells of
/// one chroma pair are one 64-byte run, which a 2x2 block (one chroma
/// pair) reads four times.
#[inline(always)]
pub(crate) fn cell(y: u8, u: u8, v: u8) -> usize {
    ((u as usize >> 3) << 11) | ((v as usize >> 3) << 6) | (y as usize >> 2)
}

/// The tables one palette builds; shared by its clones.
pub(crate) struct Tables {
    /// The palette as given.
    pub(crate) rgb: Vec<[u8; 3]>,
    /// Each colour's Y, U and V codes at bits 0, 16 and 32: four summed
    /// (a 2x2 block's) never carry from one field into the next.
    pub(crate) yuv: [u64; 256],
    /// Each colour's R, G, B in bytes 0..=2 (byte 3 zero), for RGBA.
    pub(crate) rgb_word: [u32; 256],
    /// The nearest colour's number per [`cell`], then 3 spare bytes (so
    /// that AVX2 can gather 4 bytes at any cell).
    pub(crate) index: Box<[u8; INDEX_LEN]>,
    /// The nearest colour's Y, U, V per [`cell`], at bits 0, 10 and 20:
    /// four summed never carry into the next field.
    pub(crate) cells: Box<[u32; CELLS]>,
}

/// A palette colours are posterised to: each pixel becomes its nearest
/// palette colour in CIELAB. Clones share the tables.
#[derive(Clone)]
pub struct Palette {
    tables: Arc<Tables>,
}

impl std::fmt::Debug for Palette {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Palette")
            .field("colors", &self.tables.rgb)
            .finish_non_exhaustive()
    }
}

impl Palette {
    pub const MAX_COLORS: usize = 256;

    /// `colors`: straight 8-bit sRGB-coded RGB triples (the RGB a BT.709
    /// limited-range `convert` yields), 1..=256 of them. Builds the table
    /// (65536 cells against every colour: about 20 ms for 256 colours).
    pub fn new(colors: &[[u8; 3]]) -> Result<Palette, LayoutError> {
        if colors.is_empty() || colors.len() > Self::MAX_COLORS {
            return Err(LayoutError(format!(
                "a palette needs 1..={} colours, got {}",
                Self::MAX_COLORS,
                colors.len()
            )));
        }
        let mut yuv = [0u64; 256];
        let mut rgb_word = [0u32; 256];
        for (i, &[r, g, b]) in colors.iter().enumerate() {
            let (r, g, b) = (r as i32, g as i32, b as i32);
            yuv[i] = rgb_to_y(r, g, b) as u64
                | (rgb_to_u(r, g, b) as u64) << 16
                | (rgb_to_v(r, g, b) as u64) << 32;
            rgb_word[i] = u32::from_le_bytes([r as u8, g as u8, b as u8, 0]);
        }
        let lab: Vec<[f32; 3]> = colors
            .iter()
            .map(|c| to_lab(c.map(|v| v as f32 / 255.0)))
            .collect();
        let mut index = Box::new([0u8; INDEX_LEN]);
        for u in 0..32 {
            for v in 0..32 {
                for y in 0..64 {
                    // The cell's centre.
                    let (cy, cu, cv) = (y * 4 + 2, u * 8 + 4, v * 8 + 4);
                    let c = to_lab(to_rgb(cy as f32, cu as f32, cv as f32));
                    let mut best = (f32::INFINITY, 0);
                    for (i, p) in lab.iter().enumerate() {
                        let d =
                            (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2) + (p[2] - c[2]).powi(2);
                        // Strictly nearer: ties keep the first colour.
                        if d < best.0 {
                            best = (d, i);
                        }
                    }
                    index[cell(cy as u8, cu as u8, cv as u8)] = best.1 as u8;
                }
            }
        }
        let mut cells = Box::new([0u32; CELLS]);
        for (c, &i) in cells.iter_mut().zip(index.iter()) {
            let p = yuv[i as usize];
            *c = (p & 0xff) as u32 | ((p >> 16 & 0xff) as u32) << 10 | ((p >> 32) as u32) << 20;
        }
        Ok(Palette {
            tables: Arc::new(Tables {
                cells,
                rgb: colors.to_vec(),
                yuv,
                rgb_word,
                index,
            }),
        })
    }

    /// The colours, as given.
    pub fn colors(&self) -> &[[u8; 3]] {
        &self.tables.rgb
    }

    /// Bytes this palette holds (tables included), for a memory allowance.
    pub fn byte_size(&self) -> usize {
        std::mem::size_of::<Tables>()
            + std::mem::size_of::<[u8; INDEX_LEN]>()
            + std::mem::size_of::<[u32; CELLS]>()
            + std::mem::size_of_val(self.tables.rgb.as_slice())
    }

    pub(crate) fn tables(&self) -> &Tables {
        &self.tables
    }
}

/// BT.709 limited-range YUV (codes) to sRGB-coded RGB in 0..=1.
fn to_rgb(y: f32, u: f32, v: f32) -> [f32; 3] {
    let (y, u, v) = ((y - 16.0) / 219.0, (u - 128.0) / 224.0, (v - 128.0) / 224.0);
    [y + 1.5748 * v, y - 0.1873 * u - 0.4681 * v, y + 1.8556 * u].map(|c| c.clamp(0.0, 1.0))
}

/// sRGB in 0..=1 to CIELAB (D65, L 0..=100), as `reel_style::colour`.
fn to_lab(rgb: [f32; 3]) -> [f32; 3] {
    const WHITE: [f32; 3] = [0.950_47, 1.0, 1.088_83];
    let linear = |c: f32| {
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let [r, g, b] = rgb.map(linear);
    let xyz = [
        0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b,
        0.212_672_9 * r + 0.715_152_2 * g + 0.072_175 * b,
        0.019_333_9 * r + 0.119_192 * g + 0.950_304_1 * b,
    ];
    let f = |t: f32| {
        if t > 0.008_856 {
            t.cbrt()
        } else {
            7.787 * t + 16.0 / 116.0
        }
    };
    let [fx, fy, fz] = [0, 1, 2].map(|i| f(xyz[i] / WHITE[i]));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_of_white_and_black() {
        let w = to_lab([1.0, 1.0, 1.0]);
        assert!((w[0] - 100.0).abs() < 0.01 && w[1].abs() < 0.01 && w[2].abs() < 0.01);
        assert!(to_lab([0.0; 3])[0].abs() < 0.01);
    }

    #[test]
    fn nearest_colour_is_found() {
        let p = Palette::new(&[[230, 50, 25], [25, 75, 205]]).unwrap();
        let t = p.tables();
        let red = (
            rgb_to_y(205, 75, 50),
            rgb_to_u(205, 75, 50),
            rgb_to_v(205, 75, 50),
        );
        assert_eq!(t.index[cell(red.0, red.1, red.2)], 0);
        let blue = (
            rgb_to_y(50, 75, 180),
            rgb_to_u(50, 75, 180),
            rgb_to_v(50, 75, 180),
        );
        assert_eq!(t.index[cell(blue.0, blue.1, blue.2)], 1);
    }
}
