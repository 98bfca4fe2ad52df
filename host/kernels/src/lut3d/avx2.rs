//! AVX2 3D LUT: the hand-written rows. The RGBA row does eight pixels a
//! step with gathers; it computes exactly what the scalar row in
//! `reference.rs` computes (the same tetrahedra, the same float steps and
//! rounding). The YUV row does eight 2x2 blocks a step through the
//! YUV-domain table, by plain 16-byte loads (no gathers), in the same
//! exact integers as the scalar one. Both leave the tail of the row to
//! the scalar code.

use std::arch::x86_64::*;

use super::yuv::{WEIGHT_BITS, YuvTable, cell_packed};
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
///
/// No gathers (slow on Zen 3): a block's four pixels read its cell's run
/// of 256 entries, each pixel its entry by one 16-byte load, two pixels of
/// a row in one register; `vpmaddubsw` + `vpmaddwd` against the block's
/// weights give each pixel's Y, U, V sums, which are then transposed.
#[target_feature(enable = "avx2")]
fn yuv_blocks(
    top: &mut [u8],
    bottom: &mut [u8],
    u: &mut [u8],
    v: &mut [u8],
    table: &YuvTable,
) -> usize {
    let Some(entries) = table.all() else {
        return 0;
    };
    let width = top.len().min(bottom.len());
    let groups = (width / 16).min(u.len() / 8).min(v.len() / 8);
    let ones = _mm256_set1_epi16(1);
    let luma_round = splat(1 << (WEIGHT_BITS - 1));
    let chroma_round = splat(1 << (WEIGHT_BITS + 1));
    // The weighted sums of a pair of entries' quads, per dword: the left
    // pixel's Y, U, V, 0 | the right one's.
    let dot = |quads: __m256i, w: __m256i| _mm256_madd_epi16(_mm256_maddubs_epi16(quads, w), ones);
    for g in 0..groups {
        let (cx, x) = (8 * g, 16 * g);
        let rows: [&[u8; 16]; 2] = [
            top[x..][..16].try_into().expect("16 luma codes"),
            bottom[x..][..16].try_into().expect("16 luma codes"),
        ];
        let (cu, cv): (&[u8; 8], &[u8; 8]) = (
            u[cx..][..8].try_into().expect("8 chroma samples"),
            v[cx..][..8].try_into().expect("8 chroma samples"),
        );
        let round_luma = |s: __m256i| {
            _mm256_srli_epi32::<{ WEIGHT_BITS as i32 }>(_mm256_add_epi32(s, luma_round))
        };
        // Per half (blocks 0-3, 4-7): the rounded lumas of each row (left
        // pixels | right ones), the U and V sums (left | right pixels).
        let half = |h: usize| {
            // Per row, per block: the sums of the block's pair in the row.
            let mut sums = [[_mm256_setzero_si256(); 4]; 2];
            for k in 0..4 {
                let b = 4 * h + k;
                let (run, w) = cell_packed(cu[b], cv[b]);
                let w = splat(w as i32);
                for (sums, codes) in sums.iter_mut().zip(rows) {
                    let (left, right) = (
                        &entries[run + codes[2 * b] as usize],
                        &entries[run + codes[2 * b + 1] as usize],
                    );
                    // SAFETY: both pointers come from references to
                    // 16-byte entries; unaligned loads.
                    let pair = unsafe {
                        _mm256_loadu2_m128i(
                            right.as_ptr() as *const __m128i,
                            left.as_ptr() as *const __m128i,
                        )
                    };
                    sums[k] = dot(pair, w);
                }
            }
            let lumas = sums.map(|sums| {
                round_luma(_mm256_unpacklo_epi64(
                    _mm256_unpacklo_epi32(sums[0], sums[1]),
                    _mm256_unpacklo_epi32(sums[2], sums[3]),
                ))
            });
            // Chroma: a block's two pairs summed; U in dwords 1 and 5, V
            // in 2 and 6.
            let s = [0, 1, 2, 3].map(|k| _mm256_add_epi32(sums[0][k], sums[1][k]));
            let (lo01, lo23) = (
                _mm256_unpacklo_epi32(s[0], s[1]),
                _mm256_unpacklo_epi32(s[2], s[3]),
            );
            let (hi01, hi23) = (
                _mm256_unpackhi_epi32(s[0], s[1]),
                _mm256_unpackhi_epi32(s[2], s[3]),
            );
            (
                lumas,
                _mm256_unpackhi_epi64(lo01, lo23),
                _mm256_unpacklo_epi64(hi01, hi23),
            )
        };
        let (halves, (l1, u1, v1)) = (half(0), half(1));
        let (l0, u0, v0) = halves;
        let (lumas, us, vs) = ([l0, l1], [u0, u1], [v0, v1]);
        // Words: a row's left pixels of blocks 0-7 | right pixels.
        let row_words = |r: usize| _mm256_packus_epi32(lumas[0][r], lumas[1][r]);
        // Bytes: top left, bottom left | top right, bottom right.
        let bytes = _mm256_packus_epi16(row_words(0), row_words(1));
        let (lo, hi) = (
            _mm256_castsi256_si128(bytes),
            _mm256_extracti128_si256::<1>(bytes),
        );
        // Left and right halves added: blocks 0-3 | 4-7.
        let total = |s: [__m256i; 2]| {
            _mm256_add_epi32(
                _mm256_permute2x128_si256::<0x20>(s[0], s[1]),
                _mm256_permute2x128_si256::<0x31>(s[0], s[1]),
            )
        };
        let round_chroma = |s: __m256i| {
            _mm256_srli_epi32::<{ WEIGHT_BITS as i32 + 2 }>(_mm256_add_epi32(s, chroma_round))
        };
        let uv = _mm256_packus_epi32(round_chroma(total(us)), round_chroma(total(vs)));
        let uv = _mm256_packus_epi16(uv, uv);
        // Dwords: u0-3 v0-3 (dup) | u4-7 v4-7 (dup) -> u0-3 u4-7 v0-3 v4-7.
        let uv = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(
            uv,
            _mm256_setr_epi32(0, 4, 1, 5, 0, 0, 0, 0),
        ));
        let (top_out, bottom_out): (&mut [u8; 16], &mut [u8; 16]) = (
            (&mut top[x..][..16]).try_into().expect("16 luma codes"),
            (&mut bottom[x..][..16]).try_into().expect("16 luma codes"),
        );
        let (u_out, v_out): (&mut [u8; 8], &mut [u8; 8]) = (
            (&mut u[cx..][..8]).try_into().expect("8 chroma samples"),
            (&mut v[cx..][..8]).try_into().expect("8 chroma samples"),
        );
        // SAFETY: each pointer comes from a reference to as many bytes as
        // its store writes (16 luma, 8 chroma); unaligned stores.
        unsafe {
            _mm_storeu_si128(
                top_out.as_mut_ptr() as *mut __m128i,
                _mm_unpacklo_epi8(lo, hi),
            );
            _mm_storeu_si128(
                bottom_out.as_mut_ptr() as *mut __m128i,
                _mm_unpackhi_epi8(lo, hi),
            );
            _mm_storel_epi64(u_out.as_mut_ptr() as *mut __m128i, uv);
            _mm_storel_epi64(v_out.as_mut_ptr() as *mut __m128i, _mm_srli_si128::<8>(uv));
        }
    }
    groups * 8
}
