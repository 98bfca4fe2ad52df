//! AVX2 premultiply: no hand-written kernel, the scalar row of
//! `reference.rs` compiled (and vectorised by the compiler) with AVX2
//! enabled.

use super::reference;

#[target_feature(enable = "avx2")]
pub(super) fn premultiply_row(row: &mut [u8]) {
    reference::premultiply_row(row)
}
