//! 3D colour lookup tables with tetrahedral interpolation, on RGBA, I420
//! and NV12.
//!
//! `reference.rs` holds the pixel-at-a-time reference and the scalar rows
//! (the baseline level, and SSE4.1's RGBA row); `avx2.rs` the hand-written
//! RGBA row (with gathers) and YUV row (plain loads); `sse41.rs` a YUV row
//! (SSE4.1 has no gathers: its RGBA level runs the scalar row).
//! `row_kernel` and `yuv_row_kernel` pick the row once per call. `yuv.rs` holds the YUV-domain table that I420 and
//! NV12 go through (no conversion to RGBA), cached in the `Lut3d`.

use std::sync::{Arc, Mutex};

use crate::cpu::CpuLevel;
#[cfg(target_arch = "x86_64")]
use crate::cpu::Isa;
use crate::layout::{Format, ImageMut, LayoutError};

#[cfg(target_arch = "x86_64")]
mod avx2;
pub mod reference;
#[cfg(target_arch = "x86_64")]
mod sse41;
mod yuv;

/// A cubic RGB table of `size`^3 entries, red varying fastest (.cube order).
#[derive(Debug)]
pub struct Lut3d {
    size: usize,
    table: Vec<[f32; 3]>,
    /// The YUV-domain table of the last strength applied to I420 or NV12.
    yuv_cache: Mutex<Option<Arc<yuv::YuvTable>>>,
}

impl Clone for Lut3d {
    fn clone(&self) -> Lut3d {
        let cache = self.yuv_cache.lock().unwrap_or_else(|e| e.into_inner());
        Lut3d {
            size: self.size,
            table: self.table.clone(),
            yuv_cache: Mutex::new(cache.clone()),
        }
    }
}

impl Lut3d {
    pub const MAX_SIZE: usize = 65;

    /// `table` holds size^3 RGB triples in 0.0..=1.0.
    pub fn new(size: usize, table: &[f32]) -> Result<Lut3d, LayoutError> {
        if !(2..=Self::MAX_SIZE).contains(&size) {
            return Err(LayoutError(format!(
                "LUT size must be 2..={}, got {size}",
                Self::MAX_SIZE
            )));
        }
        let entries = size * size * size;
        if table.len() != entries * 3 {
            return Err(LayoutError(format!(
                "a LUT of size {size} needs {} values, got {}",
                entries * 3,
                table.len()
            )));
        }
        if let Some(bad) = table.iter().find(|v| !v.is_finite()) {
            return Err(LayoutError(format!("LUT value {bad} is not finite")));
        }
        let table = table
            .chunks_exact(3)
            .map(|c| [c[0], c[1], c[2]].map(|v| v.clamp(0.0, 1.0)))
            .collect();
        Ok(Lut3d {
            size,
            table,
            yuv_cache: Mutex::new(None),
        })
    }

    /// The identity table: output equals input.
    pub fn identity(size: usize) -> Lut3d {
        let n = (size - 1) as f32;
        let mut table = Vec::with_capacity(size * size * size * 3);
        for b in 0..size {
            for g in 0..size {
                for r in 0..size {
                    table.extend([r as f32 / n, g as f32 / n, b as f32 / n]);
                }
            }
        }
        Lut3d::new(size, &table).expect("identity table is valid")
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// Memory the LUT may take: its table, and the YUV-domain table it
    /// builds when first applied to an I420 or NV12 picture (counted from
    /// the start, so a plugin's allowance covers it before it exists).
    pub fn byte_size(&self) -> usize {
        std::mem::size_of_val(self.table.as_slice()) + yuv::TABLE_BYTES
    }

    /// The table as one run of floats (R, G, B per entry).
    #[cfg(target_arch = "x86_64")]
    fn table_flat(&self) -> &[f32] {
        self.table.as_flattened()
    }

    #[inline(always)]
    fn at(&self, r: usize, g: usize, b: usize) -> [f32; 3] {
        self.table[(b * self.size + g) * self.size + r]
    }

    /// The table's colour for an 8-bit RGB input, interpolated inside the
    /// tetrahedron of the lattice cell that holds it.
    #[inline(always)]
    pub fn lookup(&self, rgb: [u8; 3]) -> [f32; 3] {
        let scale = (self.size - 1) as f32 / 255.0;
        let pos = rgb.map(|c| c as f32 * scale);
        let base = pos.map(|p| (p as usize).min(self.size - 2));
        let [fr, fg, fb] = [0, 1, 2].map(|i| pos[i] - base[i] as f32);
        let [r0, g0, b0] = base;
        let c000 = self.at(r0, g0, b0);
        let c111 = self.at(r0 + 1, g0 + 1, b0 + 1);
        // Pick the tetrahedron by ordering the fractions; each one's corners
        // walk from c000 to c111 adding one axis at a time.
        let (w, c1, c2) = if fr > fg {
            if fg > fb {
                (
                    [fr, fg, fb],
                    self.at(r0 + 1, g0, b0),
                    self.at(r0 + 1, g0 + 1, b0),
                )
            } else if fr > fb {
                (
                    [fr, fb, fg],
                    self.at(r0 + 1, g0, b0),
                    self.at(r0 + 1, g0, b0 + 1),
                )
            } else {
                (
                    [fb, fr, fg],
                    self.at(r0, g0, b0 + 1),
                    self.at(r0 + 1, g0, b0 + 1),
                )
            }
        } else if fb > fg {
            (
                [fb, fg, fr],
                self.at(r0, g0, b0 + 1),
                self.at(r0, g0 + 1, b0 + 1),
            )
        } else if fb > fr {
            (
                [fg, fb, fr],
                self.at(r0, g0 + 1, b0),
                self.at(r0, g0 + 1, b0 + 1),
            )
        } else {
            (
                [fg, fr, fb],
                self.at(r0, g0 + 1, b0),
                self.at(r0 + 1, g0 + 1, b0),
            )
        };
        let [a, b, c] = w;
        // Spelled out rather than `[0, 1, 2].map(..)`: that call stayed
        // out of line in the scalar row (a third slower).
        let mix = |i: usize| (1.0 - a) * c000[i] + (a - b) * c1[i] + (b - c) * c2[i] + c * c111[i];
        [mix(0), mix(1), mix(2)]
    }
}

/// Applies `lut` to a picture in place, mixed with the original by
/// `strength` (0.0..=1.0). On RGBA alpha is kept. On I420 and NV12 the
/// result is within about a code value of converting to RGBA, applying
/// the LUT there and converting back (see `yuv.rs`), far faster; strength
/// 0 leaves a YUV picture exactly as it was.
pub fn apply_lut3d(img: &mut ImageMut<'_>, lut: &Lut3d, strength: f32) -> Result<(), LayoutError> {
    apply_lut3d_with(CpuLevel::active(), img, lut, strength)
}

pub fn apply_lut3d_with(
    level: CpuLevel,
    img: &mut ImageMut<'_>,
    lut: &Lut3d,
    strength: f32,
) -> Result<(), LayoutError> {
    let strength = strength.clamp(0.0, 1.0);
    if img.layout.format != Format::Rgba {
        apply_yuv(level, img, lut, strength);
        return Ok(());
    }
    let lut_row = row_kernel(level);
    for y in 0..img.layout.height {
        // SAFETY: `lut_row` was chosen for `level`, and a `CpuLevel` is
        // only made by run-time detection: its instruction set is present.
        unsafe { lut_row(img.row_mut(0, y), lut, strength) };
    }
    Ok(())
}

/// I420 or NV12 through the YUV-domain table, two luma rows and their
/// chroma row at a time.
fn apply_yuv(level: CpuLevel, img: &mut ImageMut<'_>, lut: &Lut3d, strength: f32) {
    let (w, h) = (img.layout.width, img.layout.height);
    // Not even a round trip: at strength 0 the picture is left as it is.
    if strength == 0.0 || w == 0 || h == 0 {
        return;
    }
    let table = yuv::table(lut, strength);
    let yuv_row = yuv_row_kernel(level);
    let nv12 = img.layout.format == Format::Nv12;
    let cw = w.div_ceil(2);
    let (mut u, mut v) = (vec![0u8; cw], vec![0u8; cw]);
    // The bottom row of the last block of an odd height: a copy of the top.
    let mut spare = vec![0u8; w];
    for cy in 0..h.div_ceil(2) {
        if nv12 {
            for ((pair, cu), cv) in img.row(1, cy).chunks_exact(2).zip(&mut u).zip(&mut v) {
                (*cu, *cv) = (pair[0], pair[1]);
            }
        } else {
            u.copy_from_slice(img.row(1, cy));
            v.copy_from_slice(img.row(2, cy));
        }
        let (top, bottom) = if 2 * cy + 1 < h {
            img.rows_mut2((0, 2 * cy), (0, 2 * cy + 1))
        } else {
            let top = img.row_mut(0, 2 * cy);
            spare.copy_from_slice(top);
            (top, &mut spare[..])
        };
        // SAFETY: `yuv_row` was chosen for `level`, and a `CpuLevel` is
        // only made by run-time detection: its instruction set is present.
        unsafe { yuv_row(top, bottom, &mut u, &mut v, &table) };
        if nv12 {
            for ((pair, cu), cv) in img.row_mut(1, cy).chunks_exact_mut(2).zip(&u).zip(&v) {
                pair.copy_from_slice(&[*cu, *cv]);
            }
        } else {
            let (du, dv) = img.rows_mut2((1, cy), (2, cy));
            du.copy_from_slice(&u);
            dv.copy_from_slice(&v);
        }
    }
}

/// Two luma rows and their planar chroma, in place.
type YuvRowFn = unsafe fn(&mut [u8], &mut [u8], &mut [u8], &mut [u8], &yuv::YuvTable);

/// The YUV row kernel for `level` (sound to call as `row_kernel`'s).
fn yuv_row_kernel(level: CpuLevel) -> YuvRowFn {
    match level.isa() {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => avx2::yuv_row,
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 => sse41::yuv_row,
        _ => reference::yuv_row,
    }
}

/// The row kernel for `level`. Calling it is sound only on a CPU that has
/// `level` (`#[target_feature]` functions only coerce to `unsafe fn`).
fn row_kernel(level: CpuLevel) -> unsafe fn(&mut [u8], &Lut3d, f32) {
    match level.isa() {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => avx2::lut_row,
        _ => reference::lut_row,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_lut_keeps_colours() {
        let lut = Lut3d::identity(17);
        for rgb in [[0, 0, 0], [255, 255, 255], [12, 200, 99], [255, 0, 128]] {
            let out = lut.lookup(rgb);
            for c in 0..3 {
                assert!(
                    (out[c] * 255.0 - rgb[c] as f32).abs() < 0.01,
                    "{rgb:?} {out:?}"
                );
            }
        }
    }

    #[test]
    fn bad_tables_are_refused() {
        assert!(Lut3d::new(1, &[0.0; 3]).is_err());
        assert!(Lut3d::new(2, &[0.0; 23]).is_err());
        assert!(Lut3d::new(2, &[f32::NAN; 24]).is_err());
    }
}
