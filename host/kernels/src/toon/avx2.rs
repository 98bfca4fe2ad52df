//! AVX2: the line steps of `xdog.rs` compiled again, eight lanes wide
//! (nothing hand-written: the compiler's vectors do the same operations
//! per element as the baseline's, so the bytes agree); and the RGBA
//! posterising row, by hand (its YUV in vectors, the table by gathers).

use std::arch::x86_64::*;

use super::palette::Tables;
use super::{Steps, reference, xdog};
use crate::color::{KU, KV, KY};
use crate::simd::avx2::{channel, dot3, splat};

pub(super) const STEPS: Steps = Steps {
    half_row,
    response,
    blend_rows,
    darken_luma,
    rgba_luma,
    darken_rgba,
};

#[target_feature(enable = "avx2")]
fn half_row(top: &[u8], bottom: &[u8], out: &mut [f32]) {
    xdog::half_row(top, bottom, out)
}

#[target_feature(enable = "avx2")]
fn response(plane: &mut [f32], w: usize, h: usize, inner: usize, outer: usize, tau: f32) {
    xdog::response(plane, w, h, inner, outer, tau)
}

#[target_feature(enable = "avx2")]
fn blend_rows(a: &[u16], b: &[u16], out: &mut [u16]) {
    xdog::blend_rows(a, b, out)
}

#[target_feature(enable = "avx2")]
fn darken_luma(row: &mut [u8], blend: &[u16]) {
    xdog::darken_luma(row, blend)
}

#[target_feature(enable = "avx2")]
fn rgba_luma(row: &[u8], out: &mut [u8]) {
    xdog::rgba_luma(row, out)
}

#[target_feature(enable = "avx2")]
fn darken_rgba(row: &mut [u8], blend: &[u16]) {
    xdog::darken_rgba(row, blend)
}

/// Posterises an RGBA row, 8 pixels a step: their YUV as `convert`
/// computes it (the same integer maths as `color.rs`), the cells' colour
/// numbers and the colours' RGB gathered; the tail by the scalar row.
/// The same bytes as `reference::rgba_row`.
#[target_feature(enable = "avx2")]
pub(super) fn posterize_rgba_row(row: &mut [u8], t: &Tables) {
    let n = row.len() / 4 / 8 * 8;
    let round = 1 << 14;
    let mut x = 0;
    while x < n {
        // SAFETY: x + 8 <= n: 32 bytes read and written. Every cell is
        // below `CELLS` (Y, U, V are clamped to 0..=255) and the index
        // table holds 3 bytes past the last cell, so each 4-byte gather
        // is inside it; colour numbers are bytes, inside the 256 words.
        unsafe {
            let p = row.as_mut_ptr().add(4 * x);
            let px = _mm256_loadu_si256(p as *const __m256i);
            let (r, g, b) = (channel(px, 0), channel(px, 8), channel(px, 16));
            let y = dot3(r, g, b, KY, (16 << 15) + round, 15);
            let u = dot3(r, g, b, KU, (128 << 15) + round, 15);
            let v = dot3(r, g, b, KV, (128 << 15) + round, 15);
            let cell = _mm256_or_si256(
                _mm256_or_si256(
                    _mm256_slli_epi32::<11>(_mm256_srli_epi32::<3>(u)),
                    _mm256_slli_epi32::<6>(_mm256_srli_epi32::<3>(v)),
                ),
                _mm256_srli_epi32::<2>(y),
            );
            let number = _mm256_and_si256(
                _mm256_i32gather_epi32::<1>(t.index.as_ptr() as *const i32, cell),
                splat(0xff),
            );
            let rgb = _mm256_i32gather_epi32::<4>(t.rgb_word.as_ptr() as *const i32, number);
            let alpha = _mm256_and_si256(px, splat(0xff00_0000u32 as i32));
            _mm256_storeu_si256(p as *mut __m256i, _mm256_or_si256(rgb, alpha));
        }
        x += 8;
    }
    reference::rgba_row(&mut row[4 * n..], t);
}
