//! Straight alpha to premultiplied alpha. PNGs and most RGBA video carry
//! straight alpha (colour independent of coverage), while `blend` takes
//! premultiplied colour: blending a straight-alpha picture as if it were
//! premultiplied brightens every soft edge.

use crate::color::div255;
use crate::cpu::{CpuLevel, multiversion};
use crate::layout::{Format, ImageMut, LayoutError};

/// Multiplies each RGBA pixel's colour by its alpha, in place (rounded:
/// `c * a / 255`). Only RGBA pictures have alpha.
pub fn premultiply(img: &mut ImageMut<'_>) -> Result<(), LayoutError> {
    premultiply_with(CpuLevel::active(), img)
}

pub fn premultiply_with(level: CpuLevel, img: &mut ImageMut<'_>) -> Result<(), LayoutError> {
    if img.layout.format != Format::Rgba {
        return Err(not_rgba(img));
    }
    let width = img.layout.width;
    for y in 0..img.layout.height {
        premultiply_row(level, &mut img.row_mut(0, y)[..4 * width]);
    }
    Ok(())
}

fn not_rgba(img: &ImageMut<'_>) -> LayoutError {
    LayoutError(format!(
        "premultiply takes RGBA, not {:?}: only RGBA has alpha",
        img.layout.format
    ))
}

multiversion! {
    fn premultiply_row(row: &mut [u8]) {
        for px in row.chunks_exact_mut(4) {
            let a = px[3] as u32;
            px[0] = div255(px[0] as u32 * a) as u8;
            px[1] = div255(px[1] as u32 * a) as u8;
            px[2] = div255(px[2] as u32 * a) as u8;
        }
    }
}

/// Pixel-at-a-time premultiply: the reference for the fast path.
pub mod reference {
    use super::*;

    pub fn premultiply(img: &mut ImageMut<'_>) -> Result<(), LayoutError> {
        if img.layout.format != Format::Rgba {
            return Err(not_rgba(img));
        }
        for y in 0..img.layout.height {
            for x in 0..img.layout.width {
                let px = &mut img.row_mut(0, y)[4 * x..4 * x + 4];
                let a = px[3] as f64;
                for c in &mut px[..3] {
                    *c = (*c as f64 * a / 255.0).round() as u8;
                }
            }
        }
        Ok(())
    }
}
