//! AVX2 conversion: hand-written kernels for YUV to RGBA and RGBA to Y,
//! and the NV12 (de)interleaving rows compiled with AVX2 enabled (RGBA to
//! chroma uses the SSE4.1 kernel). Each kernel computes exactly what its
//! scalar twin in `reference.rs` computes (same fixed-point formulas, same
//! rounding), a vector of pixels at a time, and leaves the tail of the row
//! to that scalar code.

use std::arch::x86_64::*;

use super::reference;
use crate::color::{CBU, CGU, CGV, CRV, CY, KY};
use crate::simd::avx2::{dot3, splat};

/// A whole row: the kernel, then the scalar tail.
#[target_feature(enable = "avx2")]
pub(super) fn yuv_to_rgba_row(y: &[u8], u: &[u8], v: &[u8], out: &mut [u8]) {
    let done = yuv_to_rgba(y, u, v, out);
    // `done` is a multiple of 4, so the tail starts on a chroma boundary.
    reference::yuv_to_rgba_row(
        &y[done..],
        &u[done / 2..],
        &v[done / 2..],
        &mut out[4 * done..],
    );
}

/// A whole row: the kernel, then the scalar tail.
#[target_feature(enable = "avx2")]
pub(super) fn rgba_to_y_row(rgba: &[u8], y: &mut [u8]) {
    let done = rgba_to_y(rgba, y);
    reference::rgba_to_y_row(&rgba[4 * done..], &mut y[done..]);
}

/// The scalar row, vectorised by the compiler for AVX2.
#[target_feature(enable = "avx2")]
pub(super) fn interleave_row(u: &[u8], v: &[u8], uv: &mut [u8]) {
    reference::interleave_row(u, v, uv)
}

/// The scalar row, vectorised by the compiler for AVX2.
#[target_feature(enable = "avx2")]
pub(super) fn deinterleave_row(uv: &[u8], u: &mut [u8], v: &mut [u8]) {
    reference::deinterleave_row(uv, u, v)
}

/// Y, U, V (planar, U and V at half width) to RGBA; returns the pixels done.
#[target_feature(enable = "avx2")]
fn yuv_to_rgba(y: &[u8], u: &[u8], v: &[u8], out: &mut [u8]) -> usize {
    let n = (y.len().min(out.len() / 4).min(2 * u.len()).min(2 * v.len())) & !7;
    let mut x = 0;
    while x < n {
        // SAFETY: x + 8 <= n: 8 luma bytes, 4 chroma bytes each and
        // 32 output bytes, all in bounds.
        unsafe {
            let yl = _mm256_cvtepu8_epi32(_mm_loadl_epi64(y.as_ptr().add(x) as *const __m128i));
            let c = x / 2;
            let pairs = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
            let load4 =
                |p: &[u8]| _mm_cvtsi32_si128(i32::from_le_bytes(p[c..c + 4].try_into().unwrap()));
            let ul = _mm256_permutevar8x32_epi32(_mm256_cvtepu8_epi32(load4(u)), pairs);
            let vl = _mm256_permutevar8x32_epi32(_mm256_cvtepu8_epi32(load4(v)), pairs);
            let d = _mm256_sub_epi32(ul, splat(128));
            let e = _mm256_sub_epi32(vl, splat(128));
            let cy = _mm256_add_epi32(
                _mm256_mullo_epi32(_mm256_sub_epi32(yl, splat(16)), splat(CY)),
                splat(1 << 12),
            );
            let zero = splat(0);
            let r = dot3(cy, zero, e, [1, 0, CRV], 0, 13);
            let g = dot3(cy, d, e, [1, -CGU, -CGV], 0, 13);
            let b = dot3(cy, d, zero, [1, CBU, 0], 0, 13);
            let px = _mm256_or_si256(
                _mm256_or_si256(r, _mm256_slli_epi32::<8>(g)),
                _mm256_or_si256(_mm256_slli_epi32::<16>(b), splat(0xff << 24)),
            );
            _mm256_storeu_si256(out.as_mut_ptr().add(4 * x) as *mut __m256i, px);
        }
        x += 8;
    }
    n
}

/// RGBA to Y; returns the pixels done.
#[target_feature(enable = "avx2")]
fn rgba_to_y(rgba: &[u8], y: &mut [u8]) -> usize {
    let n = (rgba.len() / 4).min(y.len()) & !7;
    let mut x = 0;
    while x < n {
        // SAFETY: x + 8 <= n: 32 bytes read, 8 written, in bounds.
        unsafe {
            let px = _mm256_loadu_si256(rgba.as_ptr().add(4 * x) as *const __m256i);
            let mask = splat(0xff);
            let r = _mm256_and_si256(px, mask);
            let g = _mm256_and_si256(_mm256_srli_epi32::<8>(px), mask);
            let b = _mm256_and_si256(_mm256_srli_epi32::<16>(px), mask);
            let l = dot3(r, g, b, KY, (16 << 15) + (1 << 14), 15);
            // Lanes hold 0..=255: take the low byte of each.
            let bytes = _mm256_shuffle_epi8(
                l,
                _mm256_setr_epi8(
                    0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12, -1,
                    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                ),
            );
            let lo = _mm_cvtsi128_si32(_mm256_castsi256_si128(bytes));
            let hi = _mm_cvtsi128_si32(_mm256_extracti128_si256::<1>(bytes));
            y[x..x + 4].copy_from_slice(&lo.to_le_bytes());
            y[x + 4..x + 8].copy_from_slice(&hi.to_le_bytes());
        }
        x += 8;
    }
    n
}
