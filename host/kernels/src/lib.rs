//! Native pixel kernels that Reel lends to WebAssembly plugins.
//!
//! Each kernel has a pixel-at-a-time `reference` module and a fast path
//! written row by row, compiled for the baseline target, SSE4.1 and AVX2
//! and picked at run time ([`CpuLevel::active`]). Nothing here knows about
//! GStreamer or wasmtime: pictures are a [`Layout`] over a byte slice.

mod cpu;

pub mod blend;
pub mod chroma_key;
mod color;
pub mod convert;
pub mod fill;
pub mod layout;
pub mod lut3d;
pub mod premultiply;
pub mod scale;
#[cfg(target_arch = "x86_64")]
mod x86;

pub use blend::blend;
pub use chroma_key::chroma_key;
pub use convert::convert;
pub use cpu::CpuLevel;
pub use fill::{Rect, fill_rect};
pub use layout::{Format, Image, ImageMut, Layout, LayoutError, PlaneLayout};
pub use lut3d::{Lut3d, apply_lut3d};
pub use premultiply::premultiply;
pub use scale::scale;
