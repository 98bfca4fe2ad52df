//! AVX2 3D LUT: the hand-written rows, with gathers. The RGBA row does
//! eight pixels a step; it computes exactly what the scalar row in
//! `reference.rs` computes (the same tetrahedra, the same float steps and
//! rounding). The YUV row does eight 2x2 blocks a step through the
//! YUV-domain table, in the same exact integers as the scalar one. Both
//! leave the tail of the row to the scalar code.

use std::arch::x86_64::*;

use super::yuv::{CELLS, WEIGHT_BITS, YuvTable};
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

/// Two luma rows and their planar chroma through the YUV-domain table:
/// eight blocks a step, then the scalar tail.
#[target_feature(enable = "avx2")]
pub(super) fn yuv_row(
    top: &mut [u8],
    bottom: &mut [u8],
    u: &mut [u8],
    v: &mut [u8],
    table: &YuvTable,
) {
    let done = yuv_blocks(top, bottom, u, v, table);
    reference::yuv_row_from(top, bottom, u, v, table, done);
}

/// As `reference::yuv_row_from` over whole groups of eight blocks (16
/// pixels of each luma row, 8 chroma samples); returns the blocks done.
#[target_feature(enable = "avx2")]
fn yuv_blocks(
    top: &mut [u8],
    bottom: &mut [u8],
    u: &mut [u8],
    v: &mut [u8],
    table: &YuvTable,
) -> usize {
    let words: &[u32] = table.entries.as_flattened();
    // The gathers' safety rests on the table holding every cell's run of
    // 256 entries of 4 words; gather offsets are i32.
    if words.len() != CELLS * CELLS * 256 * 4 || words.len() > i32::MAX as usize {
        return 0;
    }
    let width = top.len().min(bottom.len());
    let groups = (width / 16).min(u.len() / 8).min(v.len() / 8);
    let spacing = 256 / CELLS as i32;
    let fraction_bits = spacing.trailing_zeros() as i32;
    let fraction_mask = splat(spacing - 1);
    let cells_shift = _mm_cvtsi32_si128(CELLS.trailing_zeros() as i32);
    let fraction_shift = _mm_cvtsi32_si128(fraction_bits);
    let ones = _mm256_set1_epi16(1);
    let luma_round = splat(1 << (WEIGHT_BITS - 1));
    let luma_shift = _mm_cvtsi32_si128(WEIGHT_BITS as i32);
    let chroma_round = splat(1 << (WEIGHT_BITS + 1));
    let chroma_shift = _mm_cvtsi32_si128(WEIGHT_BITS as i32 + 2);
    // A row's 16 luma codes: the even pixels' then the odd ones'.
    let split = _mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    let base = words.as_ptr() as *const i32;
    for g in 0..groups {
        let (cx, x) = (8 * g, 16 * g);
        // SAFETY: g < groups: bytes x..x + 16 of both luma rows and
        // cx..cx + 8 of u and v are in bounds. Every gather index is
        // (cell * 256 + luma) * 4 + channel, cell < CELLS^2, luma < 256,
        // channel < 3: inside `words` (checked above).
        unsafe {
            let cu = _mm256_cvtepu8_epi32(_mm_loadl_epi64(u.as_ptr().add(cx) as *const __m128i));
            let cv = _mm256_cvtepu8_epi32(_mm_loadl_epi64(v.as_ptr().add(cx) as *const __m128i));
            let cell = _mm256_or_si256(
                _mm256_sll_epi32(_mm256_srl_epi32(cv, fraction_shift), cells_shift),
                _mm256_srl_epi32(cu, fraction_shift),
            );
            let run = _mm256_slli_epi32::<8>(cell);
            // Corner weights, one byte each in every lane: w0..w3.
            let (fu, fv) = (
                _mm256_and_si256(cu, fraction_mask),
                _mm256_and_si256(cv, fraction_mask),
            );
            let s = splat(spacing);
            let (gu, gv) = (_mm256_sub_epi32(s, fu), _mm256_sub_epi32(s, fv));
            let weights = _mm256_or_si256(
                _mm256_or_si256(
                    _mm256_mullo_epi32(gu, gv),
                    _mm256_slli_epi32::<8>(_mm256_mullo_epi32(fu, gv)),
                ),
                _mm256_or_si256(
                    _mm256_slli_epi32::<16>(_mm256_mullo_epi32(gu, fv)),
                    _mm256_slli_epi32::<24>(_mm256_mullo_epi32(fu, fv)),
                ),
            );
            // The weighted sum of a gathered quad per lane.
            let dot =
                |quad: __m256i, w: __m256i| _mm256_madd_epi16(_mm256_maddubs_epi16(quad, w), ones);
            // Each block's weights twice, for the Y and U quads of an entry
            // gathered as one qword: blocks 0-3, then 4-7.
            let pairs = [
                _mm256_permutevar8x32_epi32(weights, _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3)),
                _mm256_permutevar8x32_epi32(weights, _mm256_setr_epi32(4, 4, 5, 5, 6, 6, 7, 7)),
            ];
            let mut su = _mm256_setzero_si256();
            let mut sv = _mm256_setzero_si256();
            let mut luma = [_mm256_setzero_si256(); 4];
            let rows = [top.as_ptr().add(x), bottom.as_ptr().add(x)];
            for (r, row) in rows.into_iter().enumerate() {
                let codes = _mm_shuffle_epi8(_mm_loadu_si128(row as *const __m128i), split);
                let halves = [codes, _mm_srli_si128::<8>(codes)];
                for (half, codes) in halves.into_iter().enumerate() {
                    let entry = _mm256_add_epi32(run, _mm256_cvtepu8_epi32(codes));
                    let idx = _mm256_slli_epi32::<2>(entry);
                    // Y and U quads of blocks 0-3 and 4-7 (as qwords), V's.
                    let yu0 = _mm256_i32gather_epi64::<4>(
                        base as *const i64,
                        _mm256_castsi256_si128(idx),
                    );
                    let yu1 = _mm256_i32gather_epi64::<4>(
                        base as *const i64,
                        _mm256_extracti128_si256::<1>(idx),
                    );
                    let vq = _mm256_i32gather_epi32::<4>(base.add(2), idx);
                    let (d0, d1) = (
                        _mm256_castsi256_ps(dot(yu0, pairs[0])),
                        _mm256_castsi256_ps(dot(yu1, pairs[1])),
                    );
                    // Even dwords are Y, odd U, blocks in the order 0 1 4 5
                    // | 2 3 6 7; the qword permute puts them back.
                    let ys = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_castps_si256(
                        _mm256_shuffle_ps::<0b10_00_10_00>(d0, d1),
                    ));
                    let us = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_castps_si256(
                        _mm256_shuffle_ps::<0b11_01_11_01>(d0, d1),
                    ));
                    su = _mm256_add_epi32(su, us);
                    sv = _mm256_add_epi32(sv, dot(vq, weights));
                    luma[2 * r + half] =
                        _mm256_srl_epi32(_mm256_add_epi32(ys, luma_round), luma_shift);
                }
            }
            for (r, row) in [top.as_mut_ptr().add(x), bottom.as_mut_ptr().add(x)]
                .into_iter()
                .enumerate()
            {
                let (even, odd) = (luma[2 * r], luma[2 * r + 1]);
                // Back in pixel order: e0 o0 e1 o1 .. per 128-bit lane,
                // then the two lanes' bytes side by side.
                let words16 = _mm256_packus_epi32(
                    _mm256_unpacklo_epi32(even, odd),
                    _mm256_unpackhi_epi32(even, odd),
                );
                let bytes =
                    _mm256_permute4x64_epi64::<0b1000>(_mm256_packus_epi16(words16, words16));
                _mm_storeu_si128(row as *mut __m128i, _mm256_castsi256_si128(bytes));
            }
            let round =
                |s: __m256i| _mm256_srl_epi32(_mm256_add_epi32(s, chroma_round), chroma_shift);
            let uv = _mm256_packus_epi32(round(su), round(sv));
            let uv = _mm256_packus_epi16(uv, uv);
            // Dwords: u0-3 v0-3 (dup) | u4-7 v4-7 (dup) -> u0-3 u4-7 v0-3 v4-7.
            let uv = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(
                uv,
                _mm256_setr_epi32(0, 4, 1, 5, 0, 0, 0, 0),
            ));
            _mm_storel_epi64(u.as_mut_ptr().add(cx) as *mut __m128i, uv);
            _mm_storel_epi64(
                v.as_mut_ptr().add(cx) as *mut __m128i,
                _mm_srli_si128::<8>(uv),
            );
        }
    }
    groups * 8
}
