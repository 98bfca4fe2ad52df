//! AVX2: the row steps of `reference.rs` compiled again, eight lanes wide
//! (nothing hand-written, no FMA: the compiler's vectors do the same
//! operations per element as the baseline's, so the bytes agree).

use super::reference::{
    KeyRow, Scratch, YuvScratch, key_row_body, project_row_body, yuv_blocks_body, yuv_row_body,
};
use super::{Ramp, Steps};

pub(super) const STEPS: Steps = Steps {
    key_row,
    project_row,
    yuv_blocks,
    yuv_row,
};

#[target_feature(enable = "avx2")]
fn key_row(row: &mut [u8], key: &KeyRow, s: &mut Scratch, ramp: &Ramp) {
    key_row_body(row, key, s, ramp)
}

#[target_feature(enable = "avx2")]
fn project_row(row: &[u8], key: [f32; 3], proj: &mut [f32], off: &mut [f32]) {
    project_row_body(row, key, proj, off)
}

#[target_feature(enable = "avx2")]
fn yuv_blocks(u: &[u8], v: &[u8], key: &KeyRow, s: &mut YuvScratch, ramp: &Ramp) {
    yuv_blocks_body(u, v, key, s, ramp)
}

#[target_feature(enable = "avx2")]
fn yuv_row(luma: &[u8], out: &mut [u8], s: &mut YuvScratch) {
    yuv_row_body(luma, out, s)
}
