//! SSE4.1: the scalar RGBA posterising row compiled again, where the
//! compiler vectorises its YUV conversion with 32-bit multiplies (SSE2
//! has none). The same code, the same bytes.

use super::palette::Tables;
use super::reference;

#[target_feature(enable = "sse4.1")]
pub(super) fn posterize_rgba_row(row: &mut [u8], t: &Tables) {
    reference::rgba_row(row, t)
}
