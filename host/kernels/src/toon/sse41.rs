//! SSE4.1: the line steps of `xdog.rs` and the scalar RGBA posterising
//! row compiled again, where the compiler vectorises 32-bit multiplies
//! (SSE2 has none: the RGBA YUV conversion, the darkening). The same
//! code, the same bytes.

use super::palette::Tables;
use super::{Steps, reference, xdog};

pub(super) const STEPS: Steps = Steps {
    half_row,
    response,
    blend_rows,
    full_factors,
    darken_luma,
    rgba_luma,
    darken_rgba,
};

#[target_feature(enable = "sse4.1")]
fn half_row(top: &[u8], bottom: &[u8], out: &mut [f32]) {
    xdog::half_row(top, bottom, out)
}

#[target_feature(enable = "sse4.1")]
fn response(plane: &mut [f32], w: usize, h: usize, inner: usize, outer: usize, tau: f32) {
    xdog::response(plane, w, h, inner, outer, tau)
}

#[target_feature(enable = "sse4.1")]
fn blend_rows(a: &[u16], b: &[u16], out: &mut [u16]) {
    xdog::blend_rows(a, b, out)
}

#[target_feature(enable = "sse4.1")]
fn full_factors(blend: &[u16], out: &mut [u16]) {
    xdog::full_factors(blend, out)
}

#[target_feature(enable = "sse4.1")]
fn darken_luma(row: &mut [u8], factors: &[u16]) {
    xdog::darken_luma(row, factors)
}

#[target_feature(enable = "sse4.1")]
fn rgba_luma(row: &[u8], out: &mut [u8]) {
    xdog::rgba_luma(row, out)
}

#[target_feature(enable = "sse4.1")]
fn darken_rgba(row: &mut [u8], factors: &[u16]) {
    xdog::darken_rgba(row, factors)
}

#[target_feature(enable = "sse4.1")]
pub(super) fn posterize_rgba_row(row: &mut [u8], t: &Tables) {
    reference::rgba_row(row, t)
}
