//! AVX2 blend: hand-written kernels for RGBA and luma rows and the fused
//! 2x2 chroma-block kernel, and the scalar chroma rows compiled with AVX2
//! enabled. Each kernel computes exactly what its scalar twin in
//! `reference.rs` computes (same fixed-point formulas, same rounding), a
//! vector of pixels at a time, and leaves the tail of the row to that
//! scalar code.

use std::arch::x86_64::*;

use super::reference;
use crate::color::{KU, KV, KY};
use crate::simd::avx2::{load8, store8};

/// A whole RGBA row: the kernel, then the scalar tail.
#[target_feature(enable = "avx2")]
pub(super) fn blend_rgba_row(src: &[u8], dst: &mut [u8], op: u32) {
    let done = blend_rgba(src, dst, op);
    reference::blend_rgba_row(&src[4 * done..], &mut dst[4 * done..], op);
}

/// A whole luma row: the kernel, then the scalar tail.
#[target_feature(enable = "avx2")]
pub(super) fn blend_luma_row(src: &[u8], dst: &mut [u8], op: u32) {
    let done = blend_luma_madd(src, dst, op);
    reference::blend_luma_row(&src[4 * done..], &mut dst[done..], op);
}

/// A whole run of chroma blocks: the kernel, then the scalar tail.
#[target_feature(enable = "avx2")]
pub(super) fn chroma_blocks_row(top: &[u8], bottom: &[u8], op: u32, u: &mut [u8], v: &mut [u8]) {
    let done = chroma_blocks(top, bottom, op, u, v);
    reference::chroma_blocks_from(top, bottom, op, u, v, done);
}

/// The scalar row, vectorised by the compiler for AVX2.
#[target_feature(enable = "avx2")]
pub(super) fn accumulate_premultiplied(src: &[u8], op: u32, acc: &mut [u32]) {
    reference::accumulate_premultiplied(src, op, acc)
}

/// The scalar row, vectorised by the compiler for AVX2.
#[target_feature(enable = "avx2")]
pub(super) fn chroma_over_shift(acc: &[u32], shift: u32, u: &mut [u8], v: &mut [u8]) {
    reference::chroma_over_shift(acc, shift, u, v)
}

/// Premultiplied RGBA `src` over RGBA `dst`, 16-bit lanes, 4 pixels a
/// step; returns the pixels done.
#[target_feature(enable = "avx2")]
fn blend_rgba(src: &[u8], dst: &mut [u8], op: u32) -> usize {
    let n = (src.len().min(dst.len()) / 4) & !3;
    let mut x = 0;
    let (op16, c128, c255) = (
        _mm256_set1_epi16(op as i16),
        _mm256_set1_epi16(128),
        _mm256_set1_epi16(255),
    );
    while x < n {
        // SAFETY: x + 4 <= n: 16 bytes read from each side, 16 written.
        unsafe {
            let s =
                _mm256_cvtepu8_epi16(_mm_loadu_si128(src.as_ptr().add(4 * x) as *const __m128i));
            let d =
                _mm256_cvtepu8_epi16(_mm_loadu_si128(dst.as_ptr().add(4 * x) as *const __m128i));
            let div255 = |x: __m256i| {
                let x = _mm256_add_epi16(x, c128);
                _mm256_srli_epi16::<8>(_mm256_add_epi16(x, _mm256_srli_epi16::<8>(x)))
            };
            let sp = div255(_mm256_mullo_epi16(s, op16));
            let a = _mm256_shufflehi_epi16::<0xff>(_mm256_shufflelo_epi16::<0xff>(sp));
            let keep = div255(_mm256_mullo_epi16(d, _mm256_sub_epi16(c255, a)));
            let out = _mm256_min_epu16(_mm256_add_epi16(sp, keep), c255);
            // packus works per 128-bit half: gather both halves' bytes.
            let packed = _mm256_packus_epi16(out, out);
            let bytes = _mm256_permute4x64_epi64::<0b00_00_10_00>(packed);
            _mm_storeu_si128(
                dst.as_mut_ptr().add(4 * x) as *mut __m128i,
                _mm256_castsi256_si128(bytes),
            );
        }
        x += 4;
    }
    n
}

/// Premultiplied RGBA over luma, as `reference::blend_luma_row`, in 16-bit
/// arithmetic: the colour is scaled by the opacity two bytes at a time
/// and the luma dot product is one `madd` per pair of channels, where
/// the 32-bit version spends nine 32-bit multiplies per 8 pixels.
#[target_feature(enable = "avx2")]
fn blend_luma_madd(src: &[u8], dst: &mut [u8], op: u32) -> usize {
    let n = (src.len() / 4).min(dst.len()) / 8 * 8;
    let zero = _mm256_setzero_si256();
    let (c128, op16) = (_mm256_set1_epi16(128), _mm256_set1_epi16(op as i16));
    let div255_16 = |x: __m256i| {
        let x = _mm256_add_epi16(x, c128);
        _mm256_srli_epi16::<8>(_mm256_add_epi16(x, _mm256_srli_epi16::<8>(x)))
    };
    // The r, g, b and a weights as four words, pixel after pixel.
    let weights = [KY[0], KY[1], KY[2], 16 * 128];
    let k = _mm256_set1_epi64x(
        weights
            .iter()
            .rev()
            .fold(0i64, |packed, w| packed << 16 | (*w as u16 as i64)),
    );
    let mut x = 0;
    while x < n {
        // SAFETY: x + 8 <= n: 32 bytes of `src` and 8 of `dst` read and
        // written, in bounds.
        unsafe {
            let px = _mm256_loadu_si256(src.as_ptr().add(4 * x) as *const __m256i);
            // Per 128-bit lane: pixels 0-1 (lo) and 2-3 (hi) as words.
            let (mut lo, mut hi) = (
                _mm256_unpacklo_epi8(px, zero),
                _mm256_unpackhi_epi8(px, zero),
            );
            if op != 255 {
                lo = div255_16(_mm256_mullo_epi16(lo, op16));
                hi = div255_16(_mm256_mullo_epi16(hi, op16));
            }
            // r*KY0 + g*KY1 and b*KY2 + a*2048 per pixel, then summed:
            // hadd keeps the pixels in order within each lane.
            let sums = _mm256_hadd_epi32(_mm256_madd_epi16(lo, k), _mm256_madd_epi16(hi, k));
            let yc = _mm256_srai_epi32::<15>(_mm256_add_epi32(sums, _mm256_set1_epi32(1 << 14)));
            // The (scaled) alpha of each pixel, in the same order.
            let a = _mm256_srli_epi32::<24>(_mm256_packus_epi16(lo, hi));
            let d = load8(dst.as_ptr().add(x));
            let keep = _mm256_mullo_epi32(d, _mm256_sub_epi32(_mm256_set1_epi32(255), a));
            let keep = {
                let t = _mm256_add_epi32(keep, _mm256_set1_epi32(128));
                _mm256_srli_epi32::<8>(_mm256_add_epi32(t, _mm256_srli_epi32::<8>(t)))
            };
            let out = _mm256_min_epi32(
                _mm256_max_epi32(_mm256_add_epi32(yc, keep), zero),
                _mm256_set1_epi32(255),
            );
            store8(dst.as_mut_ptr().add(x), out);
        }
        x += 8;
    }
    n
}

/// Chroma of 2x2 blocks wholly under a premultiplied RGBA source, as
/// `reference::chroma_blocks_from`: `top` and `bottom` hold the blocks' two
/// rows of pixels, `u` and `v` their samples, blended in place. Eight
/// blocks a step, in 16-bit arithmetic; returns the blocks done.
#[target_feature(enable = "avx2")]
fn chroma_blocks(top: &[u8], bottom: &[u8], op: u32, u: &mut [u8], v: &mut [u8]) -> usize {
    let blocks = u
        .len()
        .min(v.len())
        .min(top.len() / 8)
        .min(bottom.len() / 8);
    let n = blocks / 8 * 8;
    let zero = _mm256_setzero_si256();
    let (c128, op16) = (_mm256_set1_epi16(128), _mm256_set1_epi16(op as i16));
    let div255_16 = |x: __m256i| {
        let x = _mm256_add_epi16(x, c128);
        _mm256_srli_epi16::<8>(_mm256_add_epi16(x, _mm256_srli_epi16::<8>(x)))
    };
    let div255_32 = |x: __m256i| {
        let x = _mm256_add_epi32(x, _mm256_set1_epi32(128));
        _mm256_srli_epi32::<8>(_mm256_add_epi32(x, _mm256_srli_epi32::<8>(x)))
    };
    let words = |w: [i32; 4]| {
        _mm256_set1_epi64x(
            w.iter()
                .rev()
                .fold(0i64, |p, w| p << 16 | (*w as u16 as i64)),
        )
    };
    let (ku, kv, ka) = (
        words([KU[0], KU[1], KU[2], 128 * 128]),
        words([KV[0], KV[1], KV[2], 128 * 128]),
        words([0, 0, 0, 1]),
    );
    let mut i = 0;
    while i < n {
        // SAFETY: i + 8 <= blocks: 64 bytes of each row from 8 * i, and
        // 8 samples of `u` and `v` from i, are in bounds.
        unsafe {
            // Two halves of 4 blocks (8 pixels, 32 bytes) each: the
            // words of each block's 2x2 pixels summed, then averaged.
            let half = |h: usize| {
                let t = _mm256_loadu_si256(top.as_ptr().add(8 * i + 32 * h) as *const __m256i);
                let b = _mm256_loadu_si256(bottom.as_ptr().add(8 * i + 32 * h) as *const __m256i);
                let mut w = [
                    _mm256_unpacklo_epi8(t, zero),
                    _mm256_unpackhi_epi8(t, zero),
                    _mm256_unpacklo_epi8(b, zero),
                    _mm256_unpackhi_epi8(b, zero),
                ];
                if op != 255 {
                    w = w.map(|x| div255_16(_mm256_mullo_epi16(x, op16)));
                }
                // Per lane: lo = pixels 0-1, hi = pixels 2-3.
                let lo = _mm256_add_epi16(w[0], w[2]);
                let hi = _mm256_add_epi16(w[1], w[3]);
                let sum =
                    _mm256_add_epi16(_mm256_unpacklo_epi64(lo, hi), _mm256_unpackhi_epi64(lo, hi));
                _mm256_srli_epi16::<2>(_mm256_add_epi16(sum, _mm256_set1_epi16(2)))
            };
            let (first, second) = (half(0), half(1));
            // madd gives two sums per block, hadd joins them: blocks
            // 0 1 4 5 | 2 3 6 7, put back in order by the permute.
            let per_block = |k: __m256i| {
                _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_hadd_epi32(
                    _mm256_madd_epi16(first, k),
                    _mm256_madd_epi16(second, k),
                ))
            };
            let round = _mm256_set1_epi32(1 << 14);
            let uc = _mm256_srai_epi32::<15>(_mm256_add_epi32(per_block(ku), round));
            let vc = _mm256_srai_epi32::<15>(_mm256_add_epi32(per_block(kv), round));
            let keep = _mm256_sub_epi32(_mm256_set1_epi32(255), per_block(ka));
            let over = |c: __m256i, p: *mut u8| {
                let d = load8(p);
                let out = _mm256_add_epi32(c, div255_32(_mm256_mullo_epi32(d, keep)));
                store8(
                    p,
                    _mm256_min_epi32(_mm256_max_epi32(out, zero), _mm256_set1_epi32(255)),
                );
            };
            over(uc, u.as_mut_ptr().add(i));
            over(vc, v.as_mut_ptr().add(i));
        }
        i += 8;
    }
    n
}
