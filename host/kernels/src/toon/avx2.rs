//! AVX2: the line steps of `xdog.rs` compiled again, eight lanes wide
//! (nothing hand-written: the compiler's vectors do the same operations
//! per element as the baseline's, so the bytes agree); and the RGBA
//! posterising row, by hand (its YUV in vectors, the table by gathers).

use std::arch::x86_64::*;

use super::palette::Tables;
use super::{Steps, reference, xdog};
use crate::color::{KU, KV, KY};
use crate::simd::avx2::{channel, dot3, load8, splat, store8};

pub(super) const STEPS: Steps = Steps {
    half_row,
    response,
    blend_rows,
    full_factors,
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
fn full_factors(blend: &[u16], out: &mut [u16]) {
    xdog::full_factors(blend, out)
}

#[target_feature(enable = "avx2")]
fn darken_luma(row: &mut [u8], factors: &[u16]) {
    xdog::darken_luma(row, factors)
}

#[target_feature(enable = "avx2")]
fn rgba_luma(row: &[u8], out: &mut [u8]) {
    xdog::rgba_luma(row, out)
}

#[target_feature(enable = "avx2")]
fn darken_rgba(row: &mut [u8], factors: &[u16]) {
    xdog::darken_rgba(row, factors)
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

/// Posterises two luma rows and their planar chroma, 8 blocks (16
/// pixels by 2) a step: the blocks' cells computed in vectors, the four
/// pixels' colours gathered from the cell table, luma and chroma means
/// packed back; the tail (and an odd height's last row) by the scalar
/// rows. The same bytes as `reference::yuv_rows`.
#[target_feature(enable = "avx2")]
pub(super) fn posterize_yuv_rows(
    top: &mut [u8],
    bottom: Option<&mut [u8]>,
    u: &mut [u8],
    v: &mut [u8],
    t: &Tables,
) {
    let Some(bottom) = bottom else {
        return reference::yuv_rows(top, None, u, v, t);
    };
    let pairs = (top.len().min(bottom.len()) / 2).min(u.len()).min(v.len());
    let n = pairs / 8 * 8;
    let even = _mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, -1, -1, -1, -1, -1, -1, -1, -1);
    let odd = _mm_setr_epi8(1, 3, 5, 7, 9, 11, 13, 15, -1, -1, -1, -1, -1, -1, -1, -1);
    let cells = t.cells.as_ptr() as *const i32;
    let mut cx = 0;
    while cx < n {
        // SAFETY: cx + 8 <= n <= pairs: 16 luma bytes of each row and 8
        // chroma bytes of each plane from the block, read and written.
        // Every cell index is below `CELLS` (chroma cell bits 6..=15,
        // luma bits 0..=5): each gather is inside the table.
        unsafe {
            let (pt, pb) = (
                top.as_mut_ptr().add(2 * cx),
                bottom.as_mut_ptr().add(2 * cx),
            );
            let (pu, pv) = (u.as_mut_ptr().add(cx), v.as_mut_ptr().add(cx));
            let base = _mm256_or_si256(
                _mm256_slli_epi32::<11>(_mm256_srli_epi32::<3>(load8(pu))),
                _mm256_slli_epi32::<6>(_mm256_srli_epi32::<3>(load8(pv))),
            );
            let look = |px: __m128i, pick: __m128i| {
                let luma = _mm256_cvtepu8_epi32(_mm_shuffle_epi8(px, pick));
                let cell = _mm256_or_si256(base, _mm256_srli_epi32::<2>(luma));
                _mm256_i32gather_epi32::<4>(cells, cell)
            };
            let (t16, b16) = (
                _mm_loadu_si128(pt as *const __m128i),
                _mm_loadu_si128(pb as *const __m128i),
            );
            let (a, b) = (look(t16, even), look(t16, odd));
            let (c, d) = (look(b16, even), look(b16, odd));
            // Each lane's two luma bytes, left then right, as 16 bytes.
            let pack = |l: __m256i, r: __m256i| {
                let byte = splat(0xff);
                let pair = _mm256_or_si256(
                    _mm256_and_si256(l, byte),
                    _mm256_slli_epi32::<8>(_mm256_and_si256(r, byte)),
                );
                let words = _mm256_packus_epi32(pair, pair);
                _mm256_castsi256_si128(_mm256_permute4x64_epi64::<0b1000>(words))
            };
            _mm_storeu_si128(pt as *mut __m128i, pack(a, b));
            _mm_storeu_si128(pb as *mut __m128i, pack(c, d));
            // Rounded means of four: (sum + 2) / 4 in each 10-bit field.
            let sum = _mm256_add_epi32(
                _mm256_add_epi32(a, b),
                _mm256_add_epi32(_mm256_add_epi32(c, d), splat(2 << 10 | 2 << 20)),
            );
            let mean_u = _mm256_and_si256(_mm256_srli_epi32::<12>(sum), splat(0xff));
            let mean_v = _mm256_and_si256(_mm256_srli_epi32::<22>(sum), splat(0xff));
            store8(pu, mean_u);
            store8(pv, mean_v);
        }
        cx += 8;
    }
    reference::yuv_rows_from(top, Some(bottom), u, v, t, n);
}
