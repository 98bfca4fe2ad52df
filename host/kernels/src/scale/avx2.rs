//! AVX2 scale rows: a block of 8 horizontal samples, or 32 vertical ones,
//! a step (see [`HorizontalPlan`] for the horizontal scheme). Each gives
//! exactly the integers of its scalar twin in `reference.rs` (the sums
//! cannot overflow 32 bits, the packs saturate as the scalar code clamps)
//! and leaves the blocks it cannot do and the row's tail to that code.

use std::arch::x86_64::*;

use super::reference;
use super::{H_SHIFT, HorizontalPlan, Tail, Taps, V_SHIFT};

/// A source row filtered horizontally into `out` (the sample times 64):
/// the plan's runs of blocks by the vector kernel, the rest by the scalar
/// row.
#[target_feature(enable = "avx2")]
pub(super) fn horizontal(
    row: &[u8],
    taps: &Taps,
    ch: usize,
    plan: &HorizontalPlan,
    out: &mut [i16],
) {
    let blocks = plan.base.len();
    // What the unchecked accesses below rely on, checked once a row.
    assert!(
        row.len() >= plan.src_row
            && out.len() >= 8 * blocks
            && plan.coeffs.len() >= 16 * plan.pairs * blocks
            && plan.mask.len() >= blocks
            && plan.runs.iter().all(|r| r.blocks.end <= blocks)
    );
    let mut done = 0;
    for run in &plan.runs {
        reference::horizontal_range(row, taps, ch, done..8 * run.blocks.start, out);
        // SAFETY: the plan puts a block in a run only where each lane's
        // loads (16 bytes at its base plus `2 * ch` per pair) lie in a
        // source row of `plan.src_row <= row.len()` bytes; its coeffs,
        // masks and the samples stored were checked above.
        unsafe {
            run_blocks(
                row.as_ptr(),
                &plan.base,
                0,
                plan,
                ch,
                (run.blocks.clone(), run.joined),
                out,
            )
        };
        done = 8 * run.blocks.end;
    }
    if let Some(tail) = &plan.tail {
        reference::horizontal_range(row, taps, ch, done..8 * tail.blocks.start, out);
        let mut buffer = [0u8; Tail::BUFFER];
        buffer[..plan.src_row - tail.from].copy_from_slice(&row[tail.from..plan.src_row]);
        assert!(tail.blocks.end <= blocks && tail.base.len() >= tail.blocks.len());
        // SAFETY: the plan made a tail only where every lane's loads,
        // from `base` relative to `from`, lie in `Tail::BUFFER` bytes;
        // coeffs, masks and `out` were checked above.
        unsafe {
            let first = tail.blocks.start;
            run_blocks(
                buffer.as_ptr(),
                &tail.base,
                first,
                plan,
                ch,
                (tail.blocks.clone(), tail.joined),
                out,
            )
        };
        done = 8 * tail.blocks.end;
    }
    reference::horizontal_from(row, taps, ch, done, out);
}

/// Blocks `run` at the pair count of the plan, known to the compiler for
/// the common filters (bilinear, bicubic and Lanczos-3 enlarging, and
/// shrinking to a half and a quarter), with one load for both lanes where
/// the run is `joined` (a quarter: the usual picture-in-picture).
///
/// Safety: as `run_pairs`.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn run_blocks(
    row: *const u8,
    base: &[[u32; 2]],
    first: usize,
    plan: &HorizontalPlan,
    ch: usize,
    (run, joined): (std::ops::Range<usize>, bool),
    out: &mut [i16],
) {
    // SAFETY: the caller's contract.
    unsafe {
        match (plan.pairs, joined) {
            (1, _) => run_pairs::<1, false>(row, base, first, plan, ch, run, out),
            (2, _) => run_pairs::<2, false>(row, base, first, plan, ch, run, out),
            (3, _) => run_pairs::<3, false>(row, base, first, plan, ch, run, out),
            (4, false) => run_pairs::<4, false>(row, base, first, plan, ch, run, out),
            (4, true) => run_pairs::<4, true>(row, base, first, plan, ch, run, out),
            (6, _) => run_pairs::<6, false>(row, base, first, plan, ch, run, out),
            (8, false) => run_pairs::<8, false>(row, base, first, plan, ch, run, out),
            (8, true) => run_pairs::<8, true>(row, base, first, plan, ch, run, out),
            (12, false) => run_pairs::<12, false>(row, base, first, plan, ch, run, out),
            (12, true) => run_pairs::<12, true>(row, base, first, plan, ch, run, out),
            _ => run_pairs::<0, false>(row, base, first, plan, ch, run, out),
        }
    }
}

/// Blocks `run` of the plan, two a step (one store of 16 samples). `P`:
/// the pairs of taps (0: read from the plan). Block `b`'s lanes start at
/// `base[b - first]` bytes into `row`.
///
/// Safety: every block in `run` is one the plan found loads in bounds for
/// from those bases in the bytes at `row`; `out` holds its samples.
#[inline]
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
unsafe fn run_pairs<const P: usize, const JOINED: bool>(
    row: *const u8,
    base: &[[u32; 2]],
    first: usize,
    plan: &HorizontalPlan,
    ch: usize,
    run: std::ops::Range<usize>,
    out: &mut [i16],
) {
    let mut b = run.start;
    // SAFETY: the caller's contract (see above) covers blocks in `run`.
    unsafe {
        while b + 2 <= run.end {
            let v0 = block::<P, JOINED>(row, base[b - first], plan, ch, b);
            let v1 = block::<P, JOINED>(row, base[b + 1 - first], plan, ch, b + 1);
            // packs works within halves: [v0 0-3, v1 0-3 | v0 4-7, v1 4-7].
            let packed = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packs_epi32(v0, v1));
            _mm256_storeu_si256(out.as_mut_ptr().add(8 * b) as *mut __m256i, packed);
            b += 2;
        }
        if b < run.end {
            let v = block::<P, JOINED>(row, base[b - first], plan, ch, b);
            let packed = _mm256_permute4x64_epi64::<0b00_00_10_00>(_mm256_packs_epi32(v, v));
            _mm_storeu_si128(
                out.as_mut_ptr().add(8 * b) as *mut __m128i,
                _mm256_castsi256_si128(packed),
            );
        }
    }
}

/// The 8 sums of block `b`, shifted (32-bit lanes, in order). `JOINED`:
/// the second lane's base is 16 bytes past the first's, so one 32-byte
/// load serves both.
///
/// Safety: as `run_blocks`, for block `b`.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn block<const P: usize, const JOINED: bool>(
    row: *const u8,
    [b0, b1]: [u32; 2],
    plan: &HorizontalPlan,
    ch: usize,
    b: usize,
) -> __m256i {
    let pairs = if P > 0 { P } else { plan.pairs };
    let step = 2 * ch;
    // SAFETY: the caller's contract: block `b` is in the plan and each
    // lane's loads lie in the row (a joined load reads exactly the two
    // lanes' 16 bytes, adjacent).
    unsafe {
        let mask = _mm256_loadu_si256(plan.mask.as_ptr().add(b) as *const __m256i);
        let coeffs = plan.coeffs.as_ptr().add(16 * pairs * b);
        let (p0, p1) = (row.add(b0 as usize), row.add(b1 as usize));
        let mut acc = _mm256_set1_epi32(1 << (H_SHIFT - 1));
        for p in 0..pairs {
            let src = if JOINED {
                _mm256_loadu_si256(p0.add(p * step) as *const __m256i)
            } else {
                _mm256_loadu2_m128i(
                    p1.add(p * step) as *const __m128i,
                    p0.add(p * step) as *const __m128i,
                )
            };
            let pix = _mm256_shuffle_epi8(src, mask);
            let c = _mm256_loadu_si256(coeffs.add(16 * p) as *const __m256i);
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(pix, c));
        }
        _mm256_srai_epi32::<{ H_SHIFT as i32 }>(acc)
    }
}

/// An output row from the ring's rows (`slots`) weighed by `taps`, 32
/// samples a step: rows are interleaved two by two, so one multiply-add
/// applies a pair of taps.
#[target_feature(enable = "avx2")]
pub(super) fn vertical(ring: &[i16], width: usize, slots: &[usize], taps: &[i16], out: &mut [u8]) {
    assert!(out.len() <= width && taps.len() >= slots.len());
    assert!(slots.iter().all(|&s| (s + 1) * width <= ring.len()));
    // Each pair of rows with its two taps in every 32-bit lane; an odd
    // last row pairs with itself and a zero tap.
    // Kept on the stack for the usual tap counts: one output row is too
    // little work to pay for an allocation.
    let pair = |k: usize| {
        let a = ring[slots[k] * width..].as_ptr();
        let (b, tb) = match slots.get(k + 1) {
            Some(&s) => (ring[s * width..].as_ptr(), taps[k + 1]),
            None => (a, 0),
        };
        let both = (taps[k] as u16 as u32 | (tb as u16 as u32) << 16) as i32;
        (a, b, _mm256_set1_epi32(both))
    };
    let count = slots.len().div_ceil(2);
    let mut stack = [(std::ptr::null(), std::ptr::null(), _mm256_setzero_si256()); 8];
    let heap: Vec<(*const i16, *const i16, __m256i)>;
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
    // multiple of 32 (rewriting samples with the same values), so only a
    // row shorter than a step is left to the scalar row.
    let done = if out.len() >= 32 { out.len() } else { 0 };
    let mut next = 0;
    while next < done {
        let i = next.min(done - 32);
        next = i + 32;
        // SAFETY: i + 32 <= out.len() <= width, and every row pointer
        // starts a row of `width` samples inside `ring` (checked above):
        // 32 samples read from each, 32 bytes written to `out`.
        unsafe {
            let mut acc = [_mm256_set1_epi32(1 << (V_SHIFT - 1)); 4];
            for &(a, b, c) in pairs {
                for half in 0..2 {
                    let ra = _mm256_loadu_si256(a.add(i + 16 * half) as *const __m256i);
                    let rb = _mm256_loadu_si256(b.add(i + 16 * half) as *const __m256i);
                    let lo = _mm256_madd_epi16(_mm256_unpacklo_epi16(ra, rb), c);
                    let hi = _mm256_madd_epi16(_mm256_unpackhi_epi16(ra, rb), c);
                    acc[2 * half] = _mm256_add_epi32(acc[2 * half], lo);
                    acc[2 * half + 1] = _mm256_add_epi32(acc[2 * half + 1], hi);
                }
            }
            let [a0, a1, a2, a3] = acc.map(|a| _mm256_srai_epi32::<{ V_SHIFT as i32 }>(a));
            // Unpacking and packing both work within halves, so the first
            // pack restores sample order; the byte pack interleaves the
            // halves of its two inputs, which the permute undoes.
            let v0 = _mm256_packs_epi32(a0, a1);
            let v1 = _mm256_packs_epi32(a2, a3);
            let bytes = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packus_epi16(v0, v1));
            _mm256_storeu_si256(out.as_mut_ptr().add(i) as *mut __m256i, bytes);
        }
    }
    reference::vertical_from(ring, width, slots, taps, done, out);
}
