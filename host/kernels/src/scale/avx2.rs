//! AVX2 scale: no hand-written kernels, the scalar rows of `reference.rs`
//! compiled (and vectorised by the compiler) with AVX2 enabled.

use super::reference;

#[target_feature(enable = "avx2")]
pub(super) fn vertical(top: &[u8], bottom: &[u8], wy: u32, out: &mut [u32]) {
    reference::vertical(top, bottom, wy, out)
}

#[target_feature(enable = "avx2")]
pub(super) fn horizontal(row: &[u32], xtaps: &[(usize, u32)], ch: usize, out: &mut [u8]) {
    reference::horizontal(row, xtaps, ch, out)
}
