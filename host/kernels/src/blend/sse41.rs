//! SSE4.1 blend: hand-written kernels for RGBA and luma rows, and the
//! scalar chroma rows compiled with SSE4.1 enabled. Each kernel computes
//! exactly what its scalar twin in `reference.rs` computes (same
//! fixed-point formulas, same rounding), a vector of pixels at a time, and
//! leaves the tail of the row to that scalar code.

use std::arch::x86_64::*;

use super::reference;
use crate::color::KY;
use crate::simd::sse41::{channel, div255, load4, splat, store4};

/// A whole RGBA row: the kernel, then the scalar tail.
#[target_feature(enable = "sse4.1")]
pub(super) fn blend_rgba_row(src: &[u8], dst: &mut [u8], op: u32) {
    let done = blend_rgba(src, dst, op);
    reference::blend_rgba_row(&src[4 * done..], &mut dst[4 * done..], op);
}

/// A whole luma row: the kernel, then the scalar tail.
#[target_feature(enable = "sse4.1")]
pub(super) fn blend_luma_row(src: &[u8], dst: &mut [u8], op: u32) {
    let done = blend_luma(src, dst, op);
    reference::blend_luma_row(&src[4 * done..], &mut dst[done..], op);
}

/// The scalar row, vectorised by the compiler for SSE4.1.
#[target_feature(enable = "sse4.1")]
pub(super) fn accumulate_premultiplied(src: &[u8], op: u32, acc: &mut [u32]) {
    reference::accumulate_premultiplied(src, op, acc)
}

/// The scalar row, vectorised by the compiler for SSE4.1.
#[target_feature(enable = "sse4.1")]
pub(super) fn chroma_over_shift(acc: &[u32], shift: u32, u: &mut [u8], v: &mut [u8]) {
    reference::chroma_over_shift(acc, shift, u, v)
}

/// Premultiplied RGBA `src` over RGBA `dst`, 16-bit lanes, 4 pixels a
/// step; returns the pixels done.
#[target_feature(enable = "sse4.1")]
fn blend_rgba(src: &[u8], dst: &mut [u8], op: u32) -> usize {
    let n = (src.len().min(dst.len()) / 4) & !3;
    let mut x = 0;
    let (op16, c128, c255) = (
        _mm_set1_epi16(op as i16),
        _mm_set1_epi16(128),
        _mm_set1_epi16(255),
    );
    while x < n {
        // SAFETY: x + 4 <= n: 16 bytes read from each side, 16 written.
        unsafe {
            let s = _mm_loadu_si128(src.as_ptr().add(4 * x) as *const __m128i);
            let d = _mm_loadu_si128(dst.as_ptr().add(4 * x) as *const __m128i);
            let zero = _mm_setzero_si128();
            let mut halves = [zero; 2];
            for (half, (s, d)) in halves.iter_mut().zip([
                (_mm_unpacklo_epi8(s, zero), _mm_unpacklo_epi8(d, zero)),
                (_mm_unpackhi_epi8(s, zero), _mm_unpackhi_epi8(d, zero)),
            ]) {
                let div255 = |x: __m128i| {
                    let x = _mm_add_epi16(x, c128);
                    _mm_srli_epi16::<8>(_mm_add_epi16(x, _mm_srli_epi16::<8>(x)))
                };
                let sp = div255(_mm_mullo_epi16(s, op16));
                // Each pixel's alpha, copied to its four lanes.
                let a = _mm_shufflehi_epi16::<0xff>(_mm_shufflelo_epi16::<0xff>(sp));
                let keep = div255(_mm_mullo_epi16(d, _mm_sub_epi16(c255, a)));
                *half = _mm_min_epu16(_mm_add_epi16(sp, keep), c255);
            }
            _mm_storeu_si128(
                dst.as_mut_ptr().add(4 * x) as *mut __m128i,
                _mm_packus_epi16(halves[0], halves[1]),
            );
        }
        x += 4;
    }
    n
}

/// Premultiplied RGBA over luma, as `reference::blend_luma_row`, 32-bit
/// lanes, 4 pixels a step; returns the pixels done.
#[target_feature(enable = "sse4.1")]
fn blend_luma(src: &[u8], dst: &mut [u8], op: u32) -> usize {
    let n = (src.len() / 4).min(dst.len()) / 4 * 4;
    let op = splat(op as i32);
    let mut x = 0;
    while x < n {
        // SAFETY: x + 4 <= n: 16 bytes of `src` and 4 bytes of `dst` are
        // read and written, in bounds.
        unsafe {
            let px = _mm_loadu_si128(src.as_ptr().add(4 * x) as *const __m128i);
            let [r, g, b, a] = [0, 8, 16, 24].map(|s| div255(_mm_mullo_epi32(channel(px, s), op)));
            let yc = _mm_add_epi32(
                _mm_add_epi32(
                    _mm_mullo_epi32(r, splat(KY[0])),
                    _mm_mullo_epi32(g, splat(KY[1])),
                ),
                _mm_add_epi32(
                    _mm_add_epi32(
                        _mm_mullo_epi32(b, splat(KY[2])),
                        _mm_mullo_epi32(a, splat(16 * 128)),
                    ),
                    splat(1 << 14),
                ),
            );
            let yc = _mm_srai_epi32::<15>(yc);
            let d = load4(dst.as_ptr().add(x));
            let keep = div255(_mm_mullo_epi32(d, _mm_sub_epi32(splat(255), a)));
            let out = _mm_min_epi32(_mm_max_epi32(_mm_add_epi32(yc, keep), splat(0)), splat(255));
            store4(dst.as_mut_ptr().add(x), out);
        }
        x += 4;
    }
    n
}
