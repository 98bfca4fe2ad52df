//! SSE4.1 scale rows: the AVX2 scheme (see `avx2.rs` and
//! [`HorizontalPlan`]) one 128-bit lane at a time, 8 horizontal samples or
//! 16 vertical ones a step. Exactly the integers of `reference.rs`.

use std::arch::x86_64::*;

use super::reference;
use super::{H_SHIFT, HorizontalPlan, Taps, V_SHIFT};

/// A source row filtered horizontally into `out` (the sample times 64):
/// the plan's runs of blocks by the vector kernel, the rest by the scalar
/// row.
#[target_feature(enable = "sse4.1")]
pub(super) fn horizontal(
    row: &[u8],
    taps: &Taps,
    ch: usize,
    plan: &HorizontalPlan,
    out: &mut [i16],
) {
    let (blocks, pairs) = (plan.base.len(), plan.pairs);
    // What the unchecked accesses below rely on, checked once a row.
    assert!(
        row.len() >= plan.src_row
            && out.len() >= 8 * blocks
            && plan.coeffs.len() >= 16 * pairs * blocks
            && plan.mask.len() >= blocks
            && plan.runs.iter().all(|r| r.blocks.end <= blocks)
    );
    let step = 2 * ch;
    let mut done = 0;
    for run in &plan.runs {
        reference::horizontal_range(row, taps, ch, done..8 * run.blocks.start, out);
        for b in run.blocks.clone() {
            // SAFETY: as in `avx2::horizontal`: the plan puts a block in a
            // run only where every load lies in the row; coeffs, masks
            // and `out` were checked above.
            unsafe {
                let mut acc = [_mm_set1_epi32(1 << (H_SHIFT - 1)); 2];
                let coeffs = plan.coeffs.as_ptr().add(16 * pairs * b);
                for (lane, acc) in acc.iter_mut().enumerate() {
                    let mask =
                        _mm_loadu_si128(plan.mask[b].as_ptr().add(16 * lane) as *const __m128i);
                    let src = row.as_ptr().add(plan.base[b][lane] as usize);
                    for p in 0..pairs {
                        let bytes = _mm_loadu_si128(src.add(p * step) as *const __m128i);
                        let pix = _mm_shuffle_epi8(bytes, mask);
                        let c = _mm_loadu_si128(coeffs.add(16 * p + 8 * lane) as *const __m128i);
                        *acc = _mm_add_epi32(*acc, _mm_madd_epi16(pix, c));
                    }
                }
                let v = _mm_packs_epi32(
                    _mm_srai_epi32::<{ H_SHIFT as i32 }>(acc[0]),
                    _mm_srai_epi32::<{ H_SHIFT as i32 }>(acc[1]),
                );
                _mm_storeu_si128(out.as_mut_ptr().add(8 * b) as *mut __m128i, v);
            }
        }
        done = 8 * run.blocks.end;
    }
    reference::horizontal_from(row, taps, ch, done, out);
}

/// An output row from the ring's rows (`slots`) weighed by `taps`, 16
/// samples a step, two rows per multiply-add.
#[target_feature(enable = "sse4.1")]
pub(super) fn vertical(ring: &[i16], width: usize, slots: &[usize], taps: &[i16], out: &mut [u8]) {
    assert!(out.len() <= width && taps.len() >= slots.len());
    assert!(slots.iter().all(|&s| (s + 1) * width <= ring.len()));
    // Kept on the stack for the usual tap counts: one output row is too
    // little work to pay for an allocation.
    let pair = |k: usize| {
        let a = ring[slots[k] * width..].as_ptr();
        let (b, tb) = match slots.get(k + 1) {
            Some(&s) => (ring[s * width..].as_ptr(), taps[k + 1]),
            None => (a, 0),
        };
        let both = (taps[k] as u16 as u32 | (tb as u16 as u32) << 16) as i32;
        (a, b, _mm_set1_epi32(both))
    };
    let count = slots.len().div_ceil(2);
    let mut stack = [(std::ptr::null(), std::ptr::null(), _mm_setzero_si128()); 8];
    let heap: Vec<(*const i16, *const i16, __m128i)>;
    let pairs = if count <= stack.len() {
        for (k, p) in stack.iter_mut().take(count).enumerate() {
            *p = pair(2 * k);
        }
        &stack[..count]
    } else {
        heap = (0..count).map(|k| pair(2 * k)).collect();
        &heap[..]
    };
    // The last step overlaps the one before it where the row is not a
    // multiple of 16 (rewriting samples with the same values), so only a
    // row shorter than a step is left to the scalar row.
    let done = if out.len() >= 16 { out.len() } else { 0 };
    let mut next = 0;
    while next < done {
        let i = next.min(done - 16);
        next = i + 16;
        // SAFETY: i + 16 <= out.len() <= width, and every row pointer
        // starts a row of `width` samples inside `ring` (checked above).
        unsafe {
            let mut acc = [_mm_set1_epi32(1 << (V_SHIFT - 1)); 4];
            for &(a, b, c) in pairs {
                for half in 0..2 {
                    let ra = _mm_loadu_si128(a.add(i + 8 * half) as *const __m128i);
                    let rb = _mm_loadu_si128(b.add(i + 8 * half) as *const __m128i);
                    let lo = _mm_madd_epi16(_mm_unpacklo_epi16(ra, rb), c);
                    let hi = _mm_madd_epi16(_mm_unpackhi_epi16(ra, rb), c);
                    acc[2 * half] = _mm_add_epi32(acc[2 * half], lo);
                    acc[2 * half + 1] = _mm_add_epi32(acc[2 * half + 1], hi);
                }
            }
            let [a0, a1, a2, a3] = acc.map(|a| _mm_srai_epi32::<{ V_SHIFT as i32 }>(a));
            let bytes = _mm_packus_epi16(_mm_packs_epi32(a0, a1), _mm_packs_epi32(a2, a3));
            _mm_storeu_si128(out.as_mut_ptr().add(i) as *mut __m128i, bytes);
        }
    }
    reference::vertical_from(ring, width, slots, taps, done, out);
}
