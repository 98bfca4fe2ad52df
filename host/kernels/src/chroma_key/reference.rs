//! Pixel-at-a-time key, the reference for the fast paths; and the plain
//! scalar row (the baseline level, and the tail of the SIMD rows).

use super::KeyParams;
use crate::color::div255;
use crate::layout::{Format, ImageMut, LayoutError};

pub fn chroma_key(
    img: &mut ImageMut<'_>,
    key: [u8; 3],
    similarity: f32,
    smoothness: f32,
) -> Result<(), LayoutError> {
    assert_eq!(img.layout.format, Format::Rgba);
    let params = KeyParams::new(key, similarity, smoothness);
    for y in 0..img.layout.height {
        for x in 0..img.layout.width {
            let px = &mut img.row_mut(0, y)[4 * x..4 * x + 4];
            let a = params.alpha(px[0], px[1], px[2], px[3]);
            for c in px.iter_mut().take(3) {
                *c = div255(*c as u32 * a) as u8;
            }
            px[3] = a as u8;
        }
    }
    Ok(())
}

/// One row of RGBA, keyed in place.
#[inline]
pub(super) fn key_row(row: &mut [u8], params: &KeyParams) {
    for px in row.chunks_exact_mut(4) {
        let a = params.alpha(px[0], px[1], px[2], px[3]);
        for c in px.iter_mut().take(3) {
            *c = div255(*c as u32 * a) as u8;
        }
        px[3] = a as u8;
    }
}
