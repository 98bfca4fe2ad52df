//! SSE4.1 fill: no hand-written kernels, the scalar rows of `reference.rs`
//! compiled (and vectorised by the compiler) with SSE4.1 enabled.

use super::reference;

#[target_feature(enable = "sse4.1")]
pub(super) fn fill_pattern_row(row: &mut [u8], pattern: &[u8; 4]) {
    reference::fill_pattern_row(row, pattern)
}

#[target_feature(enable = "sse4.1")]
pub(super) fn over_row(row: &mut [u8], add: &[i32], keep: u8) {
    reference::over_row(row, add, keep)
}
