//! SSE4.1 chroma key: the hand-written row. It computes exactly what the
//! scalar row in `reference.rs` computes (same fixed-point colour maths,
//! same float steps and rounding), 4 pixels at a time, and leaves the tail
//! of the row to that scalar code.

use std::arch::x86_64::*;

use super::{KeyParams, reference};
use crate::color::{KU, KV};
use crate::simd::sse41::{channel, div255, dot3};

/// A whole row: the kernel, then the scalar tail.
#[target_feature(enable = "sse4.1")]
pub(super) fn key_row(row: &mut [u8], p: &KeyParams) {
    let done = chroma_key(row, p.ku, p.kv, p.similarity, p.inv_smooth);
    reference::key_row(&mut row[4 * done..], p);
}

/// Chroma key on RGBA, as `reference::key_row`, 4 pixels a step; returns
/// the pixels done.
#[target_feature(enable = "sse4.1")]
fn chroma_key(row: &mut [u8], ku: f32, kv: f32, similarity: f32, inv_smooth: f32) -> usize {
    let n = row.len() / 4 / 4 * 4;
    let mut x = 0;
    while x < n {
        // SAFETY: x + 4 <= n: 16 bytes read and written.
        unsafe {
            let px = _mm_loadu_si128(row.as_ptr().add(4 * x) as *const __m128i);
            let [r, g, b, a] = [0, 8, 16, 24].map(|s| channel(px, s));
            let u = dot3(r, g, b, KU, (128 << 15) + (1 << 14), 15);
            let v = dot3(r, g, b, KV, (128 << 15) + (1 << 14), 15);
            let du = _mm_sub_ps(_mm_cvtepi32_ps(u), _mm_set1_ps(ku));
            let dv = _mm_sub_ps(_mm_cvtepi32_ps(v), _mm_set1_ps(kv));
            let distance = _mm_mul_ps(
                _mm_sqrt_ps(_mm_add_ps(_mm_mul_ps(du, du), _mm_mul_ps(dv, dv))),
                _mm_set1_ps(1.0 / 255.0),
            );
            let t = _mm_mul_ps(
                _mm_sub_ps(distance, _mm_set1_ps(similarity)),
                _mm_set1_ps(inv_smooth),
            );
            let t = _mm_min_ps(_mm_max_ps(t, _mm_set1_ps(0.0)), _mm_set1_ps(1.0));
            let alpha = _mm_cvttps_epi32(_mm_add_ps(
                _mm_mul_ps(t, _mm_cvtepi32_ps(a)),
                _mm_set1_ps(0.5),
            ));
            let [r, g, b] = [r, g, b].map(|c| div255(_mm_mullo_epi32(c, alpha)));
            let out = _mm_or_si128(
                _mm_or_si128(r, _mm_slli_epi32::<8>(g)),
                _mm_or_si128(_mm_slli_epi32::<16>(b), _mm_slli_epi32::<24>(alpha)),
            );
            _mm_storeu_si128(row.as_mut_ptr().add(4 * x) as *mut __m128i, out);
        }
        x += 4;
    }
    n
}
