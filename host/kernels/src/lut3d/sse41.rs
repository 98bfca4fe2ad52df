//! SSE4.1 3D LUT: the YUV row (the RGBA row has no SSE4.1 kernel: no
//! gathers; its level runs the scalar one). Eight 2x2 blocks a step
//! through the YUV-domain table, in the same exact integers as the scalar
//! row in `reference.rs`, which does the tail.

use std::arch::x86_64::*;

use super::reference;
use super::yuv::{WEIGHT_BITS, YuvTable, cell_packed};

/// Two luma rows and their planar chroma through the YUV-domain table:
/// eight blocks a step, then the scalar tail.
#[target_feature(enable = "sse4.1")]
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
/// Each pixel reads its entry (in its block's cell's run of 256) by one
/// 16-byte load; `pmaddubsw` + `pmaddwd` against the block's weights give
/// its Y, U, V sums in dwords 0, 1, 2, which are then transposed.
#[target_feature(enable = "sse4.1")]
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
    let ones = _mm_set1_epi16(1);
    let luma_round = _mm_set1_epi32(1 << (WEIGHT_BITS - 1));
    let chroma_round = _mm_set1_epi32(1 << (WEIGHT_BITS + 1));
    let round_luma =
        |s: __m128i| _mm_srli_epi32::<{ WEIGHT_BITS as i32 }>(_mm_add_epi32(s, luma_round));
    let round_chroma =
        |s: __m128i| _mm_srli_epi32::<{ WEIGHT_BITS as i32 + 2 }>(_mm_add_epi32(s, chroma_round));
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
        // Blocks 4h..4h + 4: each row's rounded lumas (pixels 0-3, 4-7 of
        // the 8), the blocks' U and V sums.
        let half = |h: usize| {
            // Per block: [top left, top right, bottom left, bottom right],
            // each pixel's (Y, U, V, 0) sums.
            let mut px = [[_mm_setzero_si128(); 4]; 4];
            for (k, px) in px.iter_mut().enumerate() {
                let b = 4 * h + k;
                let (run, w) = cell_packed(cu[b], cv[b]);
                let w = _mm_set1_epi32(w as i32);
                for (p, px) in px.iter_mut().enumerate() {
                    let e = &entries[run + rows[p / 2][2 * b + p % 2] as usize];
                    // SAFETY: the pointer comes from a reference to a
                    // 16-byte entry; an unaligned load.
                    let quads = unsafe { _mm_loadu_si128(e.as_ptr() as *const __m128i) };
                    *px = _mm_madd_epi16(_mm_maddubs_epi16(quads, w), ones);
                }
            }
            // A row's lumas of blocks k, k + 1 in pixel order.
            let luma = |r: usize, k: usize| {
                round_luma(_mm_unpacklo_epi64(
                    _mm_unpacklo_epi32(px[k][2 * r], px[k][2 * r + 1]),
                    _mm_unpacklo_epi32(px[k + 1][2 * r], px[k + 1][2 * r + 1]),
                ))
            };
            let lumas = [
                _mm_packus_epi32(luma(0, 0), luma(0, 2)),
                _mm_packus_epi32(luma(1, 0), luma(1, 2)),
            ];
            let sum = |p: &[__m128i; 4]| {
                _mm_add_epi32(_mm_add_epi32(p[0], p[1]), _mm_add_epi32(p[2], p[3]))
            };
            let s = [sum(&px[0]), sum(&px[1]), sum(&px[2]), sum(&px[3])];
            let (lo01, lo23) = (
                _mm_unpacklo_epi32(s[0], s[1]),
                _mm_unpacklo_epi32(s[2], s[3]),
            );
            let (hi01, hi23) = (
                _mm_unpackhi_epi32(s[0], s[1]),
                _mm_unpackhi_epi32(s[2], s[3]),
            );
            (
                lumas,
                round_chroma(_mm_unpackhi_epi64(lo01, lo23)),
                round_chroma(_mm_unpacklo_epi64(hi01, hi23)),
            )
        };
        let ((l0, u0, v0), (l1, u1, v1)) = (half(0), half(1));
        let uv = _mm_packus_epi16(_mm_packus_epi32(u0, u1), _mm_packus_epi32(v0, v1));
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
                _mm_packus_epi16(l0[0], l1[0]),
            );
            _mm_storeu_si128(
                bottom_out.as_mut_ptr() as *mut __m128i,
                _mm_packus_epi16(l0[1], l1[1]),
            );
            _mm_storel_epi64(u_out.as_mut_ptr() as *mut __m128i, uv);
            _mm_storel_epi64(v_out.as_mut_ptr() as *mut __m128i, _mm_srli_si128::<8>(uv));
        }
    }
    groups * 8
}
