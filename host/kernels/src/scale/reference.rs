//! Sample-at-a-time resizing, the definition the fast paths must give
//! exactly; and the plain scalar rows (the baseline level's path, and the
//! tails and odd blocks the x86 rows leave to scalar code).
//!
//! Each output sample is the 14-bit vertical taps applied to rows that
//! the 14-bit horizontal taps made: a horizontal sum rounded to the sample
//! times 64 (kept in `i16`), then the vertical sum rounded to 8 bits.

use super::{Filter, H_SHIFT, ONE, Taps, V_SHIFT, check_formats, plane_taps};
use crate::layout::{Image, ImageMut};

/// Bilinear, two taps each way: what [`super::scale`] gives.
pub fn scale(src: Image<'_>, dst: &mut ImageMut<'_>) {
    resize(src, dst, Filter::Bilinear, false)
}

/// What [`super::scale_filtered`] gives.
pub fn scale_filtered(src: Image<'_>, dst: &mut ImageMut<'_>, filter: Filter) {
    resize(src, dst, filter, true)
}

fn resize(src: Image<'_>, dst: &mut ImageMut<'_>, filter: Filter, widen: bool) {
    if check_formats(&src, dst).is_err() {
        return;
    }
    for plane in 0..src.layout.format.plane_count() {
        let Some((ch, xt, yt)) = plane_taps(&src, dst, plane, filter, widen) else {
            continue;
        };
        let dp = *dst.layout.plane(plane);
        for y in 0..dp.rows {
            for x in 0..dp.row_bytes / ch {
                for c in 0..ch {
                    let mut acc = 0i32;
                    for (k, &cy) in yt.of(y).iter().enumerate() {
                        let row = src.row(plane, yt.start[y] + k);
                        acc += cy as i32 * horizontal_sample(row, &xt, ch, x, c) as i32;
                    }
                    dst.row_mut(plane, y)[x * ch + c] = narrow(acc);
                }
            }
        }
    }
}

/// Output column `x`, channel `c` of a row filtered horizontally: the
/// sample times 64, rounded, saturated to `i16` (as the vector packs do).
#[inline(always)]
fn horizontal_sample(row: &[u8], taps: &Taps, ch: usize, x: usize, c: usize) -> i16 {
    let s = taps.start[x];
    let mut acc = 0i32;
    for (k, &coeff) in taps.of(x).iter().enumerate() {
        acc += coeff as i32 * row[(s + k) * ch + c] as i32;
    }
    ((acc + (1 << (H_SHIFT - 1))) >> H_SHIFT).clamp(i16::MIN as i32, i16::MAX as i32) as i16
}

/// A vertical sum of intermediate samples back to 8 bits, rounded and
/// clamped (Lanczos and bicubic overshoot).
#[inline(always)]
fn narrow(acc: i32) -> u8 {
    ((acc + (1 << (V_SHIFT - 1))) >> V_SHIFT).clamp(0, 255) as u8
}

const _: () = assert!(ONE == 1 << (V_SHIFT - 6) && H_SHIFT == 14 - 6);

/// Output samples `from..` of a row filtered horizontally.
#[inline(always)]
pub(super) fn horizontal_from(row: &[u8], taps: &Taps, ch: usize, from: usize, out: &mut [i16]) {
    for (j, o) in out.iter_mut().enumerate().skip(from) {
        *o = horizontal_sample(row, taps, ch, j / ch, j % ch);
    }
}

/// Output samples `range` of a row filtered horizontally (a block the
/// vector kernels cannot do).
#[inline(always)]
pub(super) fn horizontal_range(
    row: &[u8],
    taps: &Taps,
    ch: usize,
    range: std::ops::Range<usize>,
    out: &mut [i16],
) {
    for j in range {
        out[j] = horizontal_sample(row, taps, ch, j / ch, j % ch);
    }
}

/// A whole row filtered horizontally (the baseline level).
pub(super) fn horizontal_row(
    row: &[u8],
    taps: &Taps,
    ch: usize,
    _plan: &super::HorizontalPlan,
    out: &mut [i16],
) {
    match ch {
        1 => horizontal_ch::<1>(row, taps, out),
        2 => horizontal_ch::<2>(row, taps, out),
        _ => horizontal_ch::<4>(row, taps, out),
    }
}

/// The scalar row with the channel count known to the compiler.
fn horizontal_ch<const CH: usize>(row: &[u8], taps: &Taps, out: &mut [i16]) {
    for (x, px) in out.chunks_exact_mut(CH).enumerate() {
        let s = taps.start[x] * CH;
        let mut acc = [0i32; CH];
        for (k, &coeff) in taps.of(x).iter().enumerate() {
            let src = &row[s + k * CH..s + k * CH + CH];
            for c in 0..CH {
                acc[c] += coeff as i32 * src[c] as i32;
            }
        }
        for c in 0..CH {
            px[c] = ((acc[c] + (1 << (H_SHIFT - 1))) >> H_SHIFT)
                .clamp(i16::MIN as i32, i16::MAX as i32) as i16;
        }
    }
}

/// Output samples `from..` of a row from intermediate rows: `slots[k]` is
/// the ring slot of the row that `taps[k]` weighs.
#[inline(always)]
pub(super) fn vertical_from(
    ring: &[i16],
    width: usize,
    slots: &[usize],
    taps: &[i16],
    from: usize,
    out: &mut [u8],
) {
    for (i, o) in out.iter_mut().enumerate().skip(from) {
        let mut acc = 0i32;
        for (&slot, &coeff) in slots.iter().zip(taps) {
            acc += coeff as i32 * ring[slot * width + i] as i32;
        }
        *o = narrow(acc);
    }
}

/// A whole output row (the baseline level).
pub(super) fn vertical_row(
    ring: &[i16],
    width: usize,
    slots: &[usize],
    taps: &[i16],
    out: &mut [u8],
) {
    vertical_from(ring, width, slots, taps, 0, out)
}
