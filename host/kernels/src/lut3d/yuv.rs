//! The LUT applied straight to I420 and NV12, without going through RGBA.
//!
//! What it approximates is the RGBA path: `convert` to RGBA (chroma
//! replicated over each 2x2 block), the LUT mixed in by strength, `convert`
//! back (luma per pixel, chroma from the block's averaged RGB). Since a
//! block's four pixels share one input chroma and differ only in luma, a
//! [`YuvTable`] holds, for every cell of a chroma grid (U and V every
//! [`SPACING`] codes) and every luma code, the RGBA path's output Y', U', V'
//! at the cell's four corners. A pixel's Y' is those four interpolated
//! bilinearly at the block's chroma; the block's U' and V' are the rounded
//! average of its four pixels' (interpolated the same way), as `convert`
//! averages the block. All in exact integers (8-bit corners, weights in
//! 1/64), so the scalar and AVX2 rows agree to the bit. The table is built once per strength and cached in the
//! `Lut3d`: a video applies the same LUT at the same strength every frame.

use std::sync::Arc;

use super::Lut3d;
use super::reference::mix;
use crate::color::{CBU, CGU, CGV, CRV, CY, clamp_u8, rgb_to_u, rgb_to_v, rgb_to_y};

/// Chroma codes between grid nodes (a power of two: the cell is the high
/// bits of a code, the fraction the low ones). 16 was measured too coarse
/// for strong looks (a mean error of 2 on luma); see LUT-NOTES.md.
pub(crate) const SPACING: usize = 8;
const FRACTION_BITS: u32 = SPACING.trailing_zeros();
/// Cells along U or V; the last node sits at 256 (extrapolated), so every
/// code 0..=255 has a cell with a node on each side.
pub(crate) const CELLS: usize = 256 / SPACING;
/// Bilinear weights sum to this (the fractions are exact: `SPACING`^2).
pub(crate) const WEIGHT_BITS: u32 = 2 * FRACTION_BITS;
const WEIGHT_SUM: u64 = 1 << WEIGHT_BITS;

/// One cell's outputs for one luma code: Y', U' and V' at the four corners
/// of the cell, each a `u32` whose byte k is corner k, the corners in the
/// order (u0, v0), (u1, v0), (u0, v1), (u1, v1); then a spare word (16
/// bytes: an entry never straddles a cache line, and the SIMD rows read
/// one by a single 16-byte load). 12-byte entries (no spare word, 3 MiB)
/// measured no faster (LUT-SPEED-NOTES.md).
pub(crate) type Entry = [u32; 4];

/// The memory of a table: an entry per cell and luma code.
pub(crate) const TABLE_BYTES: usize = CELLS * CELLS * 256 * std::mem::size_of::<Entry>();

/// The YUV-domain form of a LUT at one strength: `CELLS`^2 runs of 256
/// entries (one per luma code), the cell of chroma (u, v) at
/// `(v / SPACING) * CELLS + u / SPACING`.
pub(crate) struct YuvTable {
    pub(crate) strength: f32,
    pub(crate) entries: Vec<Entry>,
}

impl std::fmt::Debug for YuvTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YuvTable")
            .field("strength", &self.strength)
            .finish_non_exhaustive()
    }
}

impl YuvTable {
    pub(crate) fn new(lut: &Lut3d, strength: f32) -> YuvTable {
        let nodes = CELLS + 1;
        // The RGBA path's (Y', U', V') at every node and luma code.
        let mut grid = vec![[0u8; 3]; nodes * nodes * 256];
        for vi in 0..nodes {
            for ui in 0..nodes {
                let (u, v) = ((ui * SPACING) as i32, (vi * SPACING) as i32);
                for y in 0..256 {
                    let rgb = yuv_to_rgb_wide(y, u, v);
                    let mapped = lut.lookup(rgb);
                    let [r, g, b] = [0, 1, 2].map(|c| mix(rgb[c], mapped[c], strength) as i32);
                    grid[(vi * nodes + ui) * 256 + y as usize] =
                        [rgb_to_y(r, g, b), rgb_to_u(r, g, b), rgb_to_v(r, g, b)];
                }
            }
        }
        let mut entries = Vec::with_capacity(CELLS * CELLS * 256);
        for vi in 0..CELLS {
            for ui in 0..CELLS {
                let corners = [(ui, vi), (ui + 1, vi), (ui, vi + 1), (ui + 1, vi + 1)];
                for y in 0..256 {
                    let channel = |c: usize| {
                        u32::from_le_bytes(corners.map(|(u, v)| grid[(v * nodes + u) * 256 + y][c]))
                    };
                    entries.push([channel(0), channel(1), channel(2), 0]);
                }
            }
        }
        YuvTable { strength, entries }
    }

    /// The 256 entries of the cell holding chroma (u, v), and the block's
    /// [`Weights`].
    #[inline(always)]
    pub(crate) fn cell(&self, u: u8, v: u8) -> (&[Entry; 256], Weights) {
        let (u, v) = (u as usize, v as usize);
        let cell = (v >> FRACTION_BITS) * CELLS + (u >> FRACTION_BITS);
        let run = self.entries[cell * 256..][..256]
            .try_into()
            .expect("a cell holds 256 entries");
        (run, Weights::new(u % SPACING, v % SPACING))
    }

    /// All the entries, as an array (so that indexing by cell and luma
    /// code needs no bounds checks); `None` never happens.
    #[inline(always)]
    pub(crate) fn all(&self) -> Option<&[Entry; ENTRIES]> {
        self.entries.as_slice().try_into().ok()
    }
}

/// The entries of a table: `CELLS`^2 runs of 256.
pub(crate) const ENTRIES: usize = CELLS * CELLS * 256;

/// The first entry of the run of chroma (u, v)'s cell, and the cell's
/// weights as bytes ([`PACKED_WEIGHTS`]).
#[inline(always)]
pub(crate) fn cell_packed(u: u8, v: u8) -> (usize, u32) {
    let (u, v) = (u as usize, v as usize);
    let cell = (v >> FRACTION_BITS) * CELLS + (u >> FRACTION_BITS);
    (
        cell * 256,
        PACKED_WEIGHTS[(v % SPACING) * SPACING + u % SPACING],
    )
}

/// Every fraction pair's bilinear weights as bytes, byte k corner k's
/// weight, at `fv * SPACING + fu` (the SIMD rows' form of [`Weights`]).
pub(crate) const PACKED_WEIGHTS: [u32; SPACING * SPACING] = {
    let mut packed = [0u32; SPACING * SPACING];
    let s = SPACING as u32;
    let mut i = 0;
    while i < SPACING * SPACING {
        let (fu, fv) = ((i % SPACING) as u32, (i / SPACING) as u32);
        packed[i] = ((s - fu) * (s - fv))
            | ((fu * (s - fv)) << 8)
            | (((s - fu) * fv) << 16)
            | ((fu * fv) << 24);
        i += 1;
    }
    packed
};

/// A block's bilinear weights (corner k's weight `w[k]`, the four summing
/// to `WEIGHT_SUM`), packed for the multiplications of [`luma`] and
/// [`chroma`].
#[derive(Clone, Copy)]
pub(crate) struct Weights {
    /// w0..w3 in 16-bit fields, reversed: w3 lowest.
    corners: u64,
    /// w2 and w0, then w3 and w1, in 16-bit fields.
    even: u64,
    odd: u64,
}

impl Weights {
    #[inline(always)]
    fn new(fu: usize, fv: usize) -> Weights {
        let s = SPACING as u64;
        let (fu, fv) = (fu as u64, fv as u64);
        let w = [(s - fu) * (s - fv), fu * (s - fv), (s - fu) * fv, fu * fv];
        Weights {
            corners: w[3] | w[2] << 16 | w[1] << 32 | w[0] << 48,
            even: w[2] | w[0] << 16,
            odd: w[3] | w[1] << 16,
        }
    }
}

/// Bytes 0..=3 of `quad` in the four 16-bit fields of a `u64`.
#[inline(always)]
fn spread(quad: u32) -> u64 {
    let x = quad as u64;
    let x = (x | x << 16) & 0x0000_ffff_0000_ffff;
    (x | x << 8) & 0x00ff_00ff_00ff_00ff
}

/// A pixel's Y' from its entry's luma quad: the corners' weighted sum by
/// one multiplication. With the weights packed in reverse order, the
/// product's field at bit 48 gathers corner k times weight k for every k;
/// every field of the product is below 3 * 255 * 64 < 2^16, so nothing
/// carries into another: the exact sum, as the AVX2 row's.
#[inline(always)]
pub(crate) fn luma(quad: u32, w: Weights) -> u8 {
    let sum = spread(quad).wrapping_mul(w.corners) >> 48;
    ((sum + WEIGHT_SUM / 2) >> WEIGHT_BITS) as u8
}

/// A block's U' and V' from its four pixels' entries: the rounded average
/// of the four pixels' bilinear values, exactly.
#[inline(always)]
pub(crate) fn chroma(entries: [&Entry; 4]) -> ChromaSum {
    const EVEN: u64 = 0x00ff_00ff_00ff_00ff;
    let mut sum = ChromaSum { even: 0, odd: 0 };
    for e in entries {
        // U's quad then V's: bytes U0 U1 U2 U3 V0 V1 V2 V3.
        let uv = e[1] as u64 | (e[2] as u64) << 32;
        // Fields (U0, U2, V0, V2) and (U1, U3, V1, V3), each summed over
        // the block (at most 4 * 255: no carries).
        sum.even += uv & EVEN;
        sum.odd += (uv >> 8) & EVEN;
    }
    sum
}

/// The four pixels' chroma quads of a block, summed by corner.
pub(crate) struct ChromaSum {
    even: u64,
    odd: u64,
}

impl ChromaSum {
    /// (U', V'). Each multiplication puts U's two weighted corners in
    /// field 1 and V's in field 3; every field stays below 4 * 255 * 64 <
    /// 2^16, both products added too (the weights sum to 64).
    #[inline(always)]
    pub(crate) fn finish(&self, w: Weights) -> (u8, u8) {
        let r = self.even.wrapping_mul(w.even) + self.odd.wrapping_mul(w.odd);
        let round = |s: u64| ((s + 2 * WEIGHT_SUM) >> (WEIGHT_BITS + 2)) as u8;
        (round((r >> 16) & 0xffff), round(r >> 48))
    }
}

/// `color::yuv_to_rgb` for chroma up to 256 (the last grid node lies one
/// past the last code; the formula extends it linearly before clamping).
fn yuv_to_rgb_wide(y: i32, u: i32, v: i32) -> [u8; 3] {
    let c = CY * (y - 16) + (1 << 12);
    let (d, e) = (u - 128, v - 128);
    [
        clamp_u8((c + CRV * e) >> 13),
        clamp_u8((c - CGU * d - CGV * e) >> 13),
        clamp_u8((c + CBU * d) >> 13),
    ]
}

/// The cached table of `lut` at `strength`, built if the cache holds
/// another strength (or none).
pub(crate) fn table(lut: &Lut3d, strength: f32) -> Arc<YuvTable> {
    let mut cache = lut.yuv_cache.lock().unwrap_or_else(|e| e.into_inner());
    match &*cache {
        Some(t) if t.strength.to_bits() == strength.to_bits() => t.clone(),
        _ => {
            let t = Arc::new(YuvTable::new(lut, strength));
            *cache = Some(t.clone());
            t
        }
    }
}
