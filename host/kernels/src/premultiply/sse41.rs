//! SSE4.1 premultiply: no hand-written kernel, the scalar row of
//! `reference.rs` compiled (and vectorised by the compiler) with SSE4.1
//! enabled.

use super::reference;

#[target_feature(enable = "sse4.1")]
pub(super) fn premultiply_row(row: &mut [u8]) {
    reference::premultiply_row(row)
}
