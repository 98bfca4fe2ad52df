//! Straight alpha to premultiplied alpha. PNGs and most RGBA video carry
//! straight alpha (colour independent of coverage), while `blend` takes
//! premultiplied colour: blending a straight-alpha picture as if it were
//! premultiplied brightens every soft edge.
//!
//! No hand-written intrinsics: `sse41.rs` and `avx2.rs` compile the scalar
//! row of `reference.rs` again with their instruction set enabled, so the
//! compiler vectorises it for each; `row_kernel` picks one per call.

use crate::cpu::CpuLevel;
#[cfg(target_arch = "x86_64")]
use crate::cpu::Isa;
use crate::layout::{Format, ImageMut, LayoutError};

#[cfg(target_arch = "x86_64")]
mod avx2;
pub mod reference;
#[cfg(target_arch = "x86_64")]
mod sse41;

/// Multiplies each RGBA pixel's colour by its alpha, in place (rounded:
/// `c * a / 255`). Only RGBA pictures have alpha.
pub fn premultiply(img: &mut ImageMut<'_>) -> Result<(), LayoutError> {
    premultiply_with(CpuLevel::active(), img)
}

pub fn premultiply_with(level: CpuLevel, img: &mut ImageMut<'_>) -> Result<(), LayoutError> {
    if img.layout.format != Format::Rgba {
        return Err(not_rgba(img));
    }
    let premultiply_row = row_kernel(level);
    let width = img.layout.width;
    for y in 0..img.layout.height {
        // SAFETY: `premultiply_row` was chosen for `level`, and a
        // `CpuLevel` is only made by run-time detection: its instruction
        // set is present.
        unsafe { premultiply_row(&mut img.row_mut(0, y)[..4 * width]) };
    }
    Ok(())
}

/// The row kernel for `level`. Calling it is sound only on a CPU that has
/// `level` (`#[target_feature]` functions only coerce to `unsafe fn`).
fn row_kernel(level: CpuLevel) -> unsafe fn(&mut [u8]) {
    match level.isa() {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => avx2::premultiply_row,
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 => sse41::premultiply_row,
        _ => reference::premultiply_row,
    }
}

fn not_rgba(img: &ImageMut<'_>) -> LayoutError {
    LayoutError(format!(
        "premultiply takes RGBA, not {:?}: only RGBA has alpha",
        img.layout.format
    ))
}
