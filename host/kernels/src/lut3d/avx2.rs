//! AVX2 3D LUT: the hand-written row, eight pixels a step with gathers.
//! It computes exactly what the scalar row in `reference.rs` computes (the
//! same tetrahedra, the same float steps and rounding) and leaves the tail
//! of the row to that scalar code.

use std::arch::x86_64::*;

use super::{Lut3d, reference};
use crate::simd::avx2::splat;

/// A whole row: the kernel, then the scalar tail.
#[target_feature(enable = "avx2")]
pub(super) fn lut_row(row: &mut [u8], lut: &Lut3d, strength: f32) {
    let done = lut3d(row, lut.table_flat(), lut.size, strength);
    reference::lut_row(&mut row[4 * done..], lut, strength);
}

/// Tetrahedral 3D LUT on RGBA, 8 pixels a step with gathers, as
/// `Lut3d::lookup` followed by `reference::mix`; returns the pixels
/// done. `table` holds size^3 RGB float triples, red fastest.
#[target_feature(enable = "avx2")]
fn lut3d(row: &mut [u8], table: &[f32], size: usize, strength: f32) -> usize {
    // Gather offsets are i32: refuse tables they cannot address. The
    // gathers' safety rests on the table holding every lattice corner.
    if table.len() > i32::MAX as usize || size < 2 || table.len() != size * size * size * 3 {
        return 0;
    }
    let n = row.len() / 4 / 8 * 8;
    let scale = _mm256_set1_ps((size - 1) as f32 / 255.0);
    let last = splat(size as i32 - 2);
    let (dr, dg, db) = (1, size as i32, (size * size) as i32);
    let one = _mm256_set1_ps(1.0);
    let strength = _mm256_set1_ps(strength);
    let mut x = 0;
    while x < n {
        // SAFETY: x + 8 <= n: 32 bytes read and written. Every gather
        // index is a lattice corner inside the table: base <= size - 2
        // on each axis, plus at most one step per axis.
        unsafe {
            let px = _mm256_loadu_si256(row.as_ptr().add(4 * x) as *const __m256i);
            let ch = |shift: i32| {
                let v = match shift {
                    0 => px,
                    8 => _mm256_srli_epi32::<8>(px),
                    _ => _mm256_srli_epi32::<16>(px),
                };
                _mm256_and_si256(v, splat(0xff))
            };
            let (ri, gi, bi) = (ch(0), ch(8), ch(16));
            let pos = |c: __m256i| _mm256_mul_ps(_mm256_cvtepi32_ps(c), scale);
            let (pr, pg, pb) = (pos(ri), pos(gi), pos(bi));
            let base = |p: __m256i| _mm256_min_epi32(p, last);
            let (r0, g0, b0) = (
                base(_mm256_cvttps_epi32(pr)),
                base(_mm256_cvttps_epi32(pg)),
                base(_mm256_cvttps_epi32(pb)),
            );
            let fr = _mm256_sub_ps(pr, _mm256_cvtepi32_ps(r0));
            let fg = _mm256_sub_ps(pg, _mm256_cvtepi32_ps(g0));
            let fb = _mm256_sub_ps(pb, _mm256_cvtepi32_ps(b0));
            let origin = _mm256_add_epi32(
                _mm256_mullo_epi32(
                    _mm256_add_epi32(_mm256_mullo_epi32(b0, splat(size as i32)), g0),
                    splat(size as i32),
                ),
                r0,
            );
            // The six tetrahedra, chosen exactly as `lookup` does.
            let gt = |a: __m256, b: __m256| _mm256_castps_si256(_mm256_cmp_ps::<_CMP_GT_OQ>(a, b));
            let (m1, m2, m3, m4, m5) = (gt(fr, fg), gt(fg, fb), gt(fr, fb), gt(fb, fg), gt(fb, fr));
            let not = |m: __m256i| _mm256_xor_si256(m, splat(-1));
            let and = _mm256_and_si256;
            let cases = [
                (and(m1, m2), [fr, fg, fb], dr, dr + dg),
                (and(m1, and(not(m2), m3)), [fr, fb, fg], dr, dr + db),
                (and(m1, and(not(m2), not(m3))), [fb, fr, fg], db, db + dr),
                (and(not(m1), m4), [fb, fg, fr], db, db + dg),
                (and(not(m1), and(not(m4), m5)), [fg, fb, fr], dg, dg + db),
                (
                    and(not(m1), and(not(m4), not(m5))),
                    [fg, fr, fb],
                    dg,
                    dg + dr,
                ),
            ];
            let (mut wa, mut wb, mut wc) = (
                _mm256_setzero_ps(),
                _mm256_setzero_ps(),
                _mm256_setzero_ps(),
            );
            let (mut s1, mut s2) = (splat(0), splat(0));
            for (mask, [a, b, c], step1, step2) in cases {
                let fmask = _mm256_castsi256_ps(mask);
                wa = _mm256_blendv_ps(wa, a, fmask);
                wb = _mm256_blendv_ps(wb, b, fmask);
                wc = _mm256_blendv_ps(wc, c, fmask);
                s1 = _mm256_blendv_epi8(s1, splat(step1), mask);
                s2 = _mm256_blendv_epi8(s2, splat(step2), mask);
            }
            let corners = [
                origin,
                _mm256_add_epi32(origin, s1),
                _mm256_add_epi32(origin, s2),
                _mm256_add_epi32(origin, splat(dr + dg + db)),
            ]
            .map(|i| _mm256_mullo_epi32(i, splat(3)));
            let weights = [
                _mm256_sub_ps(one, wa),
                _mm256_sub_ps(wa, wb),
                _mm256_sub_ps(wb, wc),
                wc,
            ];
            let mut out = splat(0xff << 24);
            out = _mm256_and_si256(px, out);
            for (channel, shift) in [(0, 0), (1, 8), (2, 16)] {
                let mut mapped = _mm256_setzero_ps();
                for (corner, weight) in corners.iter().zip(weights) {
                    let index = _mm256_add_epi32(*corner, splat(channel));
                    let value = _mm256_i32gather_ps::<4>(table.as_ptr(), index);
                    mapped = _mm256_add_ps(mapped, _mm256_mul_ps(weight, value));
                }
                let original = _mm256_cvtepi32_ps(ch(shift));
                let mixed = _mm256_add_ps(
                    _mm256_add_ps(
                        original,
                        _mm256_mul_ps(
                            _mm256_sub_ps(_mm256_mul_ps(mapped, _mm256_set1_ps(255.0)), original),
                            strength,
                        ),
                    ),
                    _mm256_set1_ps(0.5),
                );
                let byte = _mm256_min_epi32(
                    _mm256_max_epi32(_mm256_cvttps_epi32(mixed), splat(0)),
                    splat(255),
                );
                out = _mm256_or_si256(
                    out,
                    match shift {
                        0 => byte,
                        8 => _mm256_slli_epi32::<8>(byte),
                        _ => _mm256_slli_epi32::<16>(byte),
                    },
                );
            }
            _mm256_storeu_si256(row.as_mut_ptr().add(4 * x) as *mut __m256i, out);
        }
        x += 8;
    }
    n
}
