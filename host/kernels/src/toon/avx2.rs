//! The line steps of `xdog.rs` compiled for AVX2: the same loops, eight
//! lanes wide. Nothing hand-written: the compiler's vectors do the same
//! operations per element as the baseline's, so the bytes agree.

use super::Steps;
use super::xdog::{self, Scratch};

pub(super) const STEPS: Steps = Steps {
    half_row,
    gaussian,
    response,
    upsample,
    darken_luma,
};

#[target_feature(enable = "avx2")]
fn half_row(top: &[u8], bottom: &[u8], out: &mut [f32]) {
    xdog::half_row(top, bottom, out)
}

#[target_feature(enable = "avx2")]
fn gaussian(plane: &mut [f32], w: usize, h: usize, r: usize, s: &mut Scratch) {
    xdog::gaussian(plane, w, h, r, s)
}

#[target_feature(enable = "avx2")]
fn response(inner: &mut [f32], outer: &[f32], tau: f32) {
    xdog::response(inner, outer, tau)
}

#[target_feature(enable = "avx2")]
fn upsample(a: &[u16], b: &[u16], out: &mut [u16]) {
    xdog::upsample(a, b, out)
}

#[target_feature(enable = "avx2")]
fn darken_luma(row: &mut [u8], factors: &[u16]) {
    xdog::darken_luma(row, factors)
}
