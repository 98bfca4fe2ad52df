//! AVX2 chroma key: the hand-written row. It computes exactly what the
//! scalar row in `reference.rs` computes (same fixed-point colour maths,
//! same float steps and rounding), 8 pixels at a time, and leaves the tail
//! of the row to that scalar code.

use std::arch::x86_64::*;

use super::{KeyParams, reference};
use crate::color::{KU, KV};
use crate::simd::avx2::{channel, div255, dot3};

/// A whole row: the kernel, then the scalar tail.
#[target_feature(enable = "avx2")]
pub(super) fn key_row(row: &mut [u8], p: &KeyParams) {
    let done = chroma_key(row, p.ku, p.kv, p.similarity, p.inv_smooth);
    reference::key_row(&mut row[4 * done..], p);
}

/// Chroma key on RGBA, as `reference::key_row`, 8 pixels a step; returns
/// the pixels done.
#[target_feature(enable = "avx2")]
fn chroma_key(row: &mut [u8], ku: f32, kv: f32, similarity: f32, inv_smooth: f32) -> usize {
    let n = row.len() / 4 / 8 * 8;
    let mut x = 0;
    while x < n {
        // SAFETY: x + 8 <= n: 32 bytes read and written.
        unsafe {
            let px = _mm256_loadu_si256(row.as_ptr().add(4 * x) as *const __m256i);
            let [r, g, b, a] = [0, 8, 16, 24].map(|s| channel(px, s));
            let u = dot3(r, g, b, KU, (128 << 15) + (1 << 14), 15);
            let v = dot3(r, g, b, KV, (128 << 15) + (1 << 14), 15);
            let du = _mm256_sub_ps(_mm256_cvtepi32_ps(u), _mm256_set1_ps(ku));
            let dv = _mm256_sub_ps(_mm256_cvtepi32_ps(v), _mm256_set1_ps(kv));
            let distance = _mm256_mul_ps(
                _mm256_sqrt_ps(_mm256_add_ps(_mm256_mul_ps(du, du), _mm256_mul_ps(dv, dv))),
                _mm256_set1_ps(1.0 / 255.0),
            );
            let t = _mm256_mul_ps(
                _mm256_sub_ps(distance, _mm256_set1_ps(similarity)),
                _mm256_set1_ps(inv_smooth),
            );
            let t = _mm256_min_ps(_mm256_max_ps(t, _mm256_set1_ps(0.0)), _mm256_set1_ps(1.0));
            let alpha = _mm256_cvttps_epi32(_mm256_add_ps(
                _mm256_mul_ps(t, _mm256_cvtepi32_ps(a)),
                _mm256_set1_ps(0.5),
            ));
            let [r, g, b] = [r, g, b].map(|c| div255(_mm256_mullo_epi32(c, alpha)));
            let out = _mm256_or_si256(
                _mm256_or_si256(r, _mm256_slli_epi32::<8>(g)),
                _mm256_or_si256(_mm256_slli_epi32::<16>(b), _mm256_slli_epi32::<24>(alpha)),
            );
            _mm256_storeu_si256(row.as_mut_ptr().add(4 * x) as *mut __m256i, out);
        }
        x += 8;
    }
    n
}
