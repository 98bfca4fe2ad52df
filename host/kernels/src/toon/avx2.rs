//! The line steps of `xdog.rs` compiled for AVX2: the same loops, eight
//! lanes wide. Nothing hand-written: the compiler's vectors do the same
//! operations per element as the baseline's, so the bytes agree.

use super::Steps;
use super::xdog;

pub(super) const STEPS: Steps = Steps {
    half_row,
    response,
    blend_rows,
    darken_luma,
};

#[target_feature(enable = "avx2")]
fn half_row(top: &[u8], bottom: &[u8], out: &mut [f32]) {
    xdog::half_row(top, bottom, out)
}

#[target_feature(enable = "avx2")]
fn response(plane: &mut [f32], w: usize, h: usize, inner: usize, outer: usize, tau: f32) {
    xdog::response(plane, w, h, inner, outer, tau)
}

#[target_feature(enable = "avx2")]
fn blend_rows(a: &[u16], b: &[u16], out: &mut [u16]) {
    xdog::blend_rows(a, b, out)
}

#[target_feature(enable = "avx2")]
fn darken_luma(row: &mut [u8], blend: &[u16]) {
    xdog::darken_luma(row, blend)
}
