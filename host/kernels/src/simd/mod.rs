//! Lane helpers shared by the ops' hand-written x86 kernels (each op's
//! `sse41.rs` and `avx2.rs`): 32-bit lanes, one pixel per lane.

pub(crate) mod avx2;
pub(crate) mod sse41;
