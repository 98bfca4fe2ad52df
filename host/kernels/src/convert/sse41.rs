//! SSE4.1 conversion: hand-written kernels for YUV to RGBA and RGBA to Y
//! and to chroma (the last also serves the AVX2 level), and the NV12
//! (de)interleaving rows compiled with SSE4.1 enabled. Each kernel
//! computes exactly what its scalar twin in `reference.rs` computes (same
//! fixed-point formulas, same rounding), a vector of pixels at a time, and
//! leaves the tail of the row to that scalar code.

use std::arch::x86_64::*;

use super::reference;
use crate::color::{CBU, CGU, CGV, CRV, CY, KU, KV, KY};
use crate::simd::sse41::{dot3, splat, store4};

/// A whole row: the kernel, then the scalar tail.
#[target_feature(enable = "sse4.1")]
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
#[target_feature(enable = "sse4.1")]
pub(super) fn rgba_to_y_row(rgba: &[u8], y: &mut [u8]) {
    let done = rgba_to_y(rgba, y);
    reference::rgba_to_y_row(&rgba[4 * done..], &mut y[done..]);
}

/// A whole row: the kernel, then the scalar tail (AVX2 uses it too).
#[target_feature(enable = "sse4.1")]
pub(super) fn rgba_to_uv_row(top: &[u8], bottom: &[u8], u: &mut [u8], v: &mut [u8]) {
    let done = rgba_to_uv(top, bottom, u, v);
    reference::rgba_to_uv_from(top, bottom, u, v, done);
}

/// The scalar row, vectorised by the compiler for SSE4.1.
#[target_feature(enable = "sse4.1")]
pub(super) fn interleave_row(u: &[u8], v: &[u8], uv: &mut [u8]) {
    reference::interleave_row(u, v, uv)
}

/// The scalar row, vectorised by the compiler for SSE4.1.
#[target_feature(enable = "sse4.1")]
pub(super) fn deinterleave_row(uv: &[u8], u: &mut [u8], v: &mut [u8]) {
    reference::deinterleave_row(uv, u, v)
}

/// Two RGBA rows to one row of U and V (2x2 averages), 4 chroma
/// samples a step, as `reference::rgba_to_uv_row`; returns the samples done.
#[target_feature(enable = "sse4.1")]
fn rgba_to_uv(top: &[u8], bottom: &[u8], u: &mut [u8], v: &mut [u8]) -> usize {
    // Only whole 2x2 blocks: the odd last column is left to the tail.
    let n = (top.len().min(bottom.len()) / 8).min(u.len()).min(v.len()) & !3;
    let mut c = 0;
    while c < n {
        // SAFETY: c + 4 <= n: 32 bytes of each row read (8 pixels), 4
        // bytes of u and v written.
        unsafe {
            let p = |row: &[u8], i: usize| {
                _mm_loadu_si128(row.as_ptr().add(8 * c + 16 * i) as *const __m128i)
            };
            let (t0, t1, b0, b1) = (p(top, 0), p(top, 1), p(bottom, 0), p(bottom, 1));
            let avg = |shift: i32| {
                let ch = |px: __m128i| {
                    _mm_and_si128(
                        match shift {
                            0 => px,
                            8 => _mm_srli_epi32::<8>(px),
                            _ => _mm_srli_epi32::<16>(px),
                        },
                        splat(0xff),
                    )
                };
                let sum =
                    _mm_hadd_epi32(_mm_add_epi32(ch(t0), ch(b0)), _mm_add_epi32(ch(t1), ch(b1)));
                _mm_srai_epi32::<2>(_mm_add_epi32(sum, splat(2)))
            };
            let (r, g, b) = (avg(0), avg(8), avg(16));
            store4(
                u.as_mut_ptr().add(c),
                dot3(r, g, b, KU, (128 << 15) + (1 << 14), 15),
            );
            store4(
                v.as_mut_ptr().add(c),
                dot3(r, g, b, KV, (128 << 15) + (1 << 14), 15),
            );
        }
        c += 4;
    }
    n
}

/// Y, U, V (planar, U and V at half width) to RGBA; returns the pixels done.
#[target_feature(enable = "sse4.1")]
fn yuv_to_rgba(y: &[u8], u: &[u8], v: &[u8], out: &mut [u8]) -> usize {
    let n = (y.len().min(out.len() / 4).min(2 * u.len()).min(2 * v.len())) & !3;
    let mut x = 0;
    while x < n {
        // SAFETY: x + 4 <= n keeps every load and store in bounds:
        // 4 luma bytes, 2 chroma bytes each, 16 output bytes.
        unsafe {
            let yl = _mm_cvtepu8_epi32(_mm_cvtsi32_si128(i32::from_le_bytes(
                y[x..x + 4].try_into().unwrap(),
            )));
            let c = x / 2;
            let ul = _mm_cvtepu8_epi32(_mm_cvtsi32_si128(
                u16::from_le_bytes([u[c], u[c + 1]]) as i32
            ));
            let vl = _mm_cvtepu8_epi32(_mm_cvtsi32_si128(
                u16::from_le_bytes([v[c], v[c + 1]]) as i32
            ));
            // [c0, c0, c1, c1]: each chroma sample covers two pixels.
            let d = _mm_sub_epi32(_mm_shuffle_epi32::<0b01_01_00_00>(ul), splat(128));
            let e = _mm_sub_epi32(_mm_shuffle_epi32::<0b01_01_00_00>(vl), splat(128));
            let cy = _mm_add_epi32(
                _mm_mullo_epi32(_mm_sub_epi32(yl, splat(16)), splat(CY)),
                splat(1 << 12),
            );
            let zero = splat(0);
            let r = dot3(cy, zero, e, [1, 0, CRV], 0, 13);
            let g = dot3(cy, d, e, [1, -CGU, -CGV], 0, 13);
            let b = dot3(cy, d, zero, [1, CBU, 0], 0, 13);
            let px = _mm_or_si128(
                _mm_or_si128(r, _mm_slli_epi32::<8>(g)),
                _mm_or_si128(_mm_slli_epi32::<16>(b), splat(0xff << 24)),
            );
            _mm_storeu_si128(out.as_mut_ptr().add(4 * x) as *mut __m128i, px);
        }
        x += 4;
    }
    n
}

/// RGBA to Y; returns the pixels done.
#[target_feature(enable = "sse4.1")]
fn rgba_to_y(rgba: &[u8], y: &mut [u8]) -> usize {
    let n = (rgba.len() / 4).min(y.len()) & !3;
    let mut x = 0;
    while x < n {
        // SAFETY: x + 4 <= n: 16 bytes read, 4 written, in bounds.
        unsafe {
            let px = _mm_loadu_si128(rgba.as_ptr().add(4 * x) as *const __m128i);
            let mask = splat(0xff);
            let r = _mm_and_si128(px, mask);
            let g = _mm_and_si128(_mm_srli_epi32::<8>(px), mask);
            let b = _mm_and_si128(_mm_srli_epi32::<16>(px), mask);
            let l = dot3(r, g, b, KY, (16 << 15) + (1 << 14), 15);
            let packed = _mm_packus_epi16(_mm_packs_epi32(l, l), _mm_setzero_si128());
            let bytes = _mm_cvtsi128_si32(packed).to_le_bytes();
            y[x..x + 4].copy_from_slice(&bytes);
        }
        x += 4;
    }
    n
}
