//! Native pixel kernels that Reel lends to WebAssembly plugins.
//!
//! One folder per kernel, `<op>/{mod,reference,sse41,avx2}.rs`: the API and
//! the row functions picked once per call for a [`CpuLevel`] (by default
//! [`CpuLevel::active`]); the pixel-at-a-time reference and scalar rows; the
//! x86 rows (lane helpers in `simd/`). Nothing here knows about GStreamer
//! or wasmtime: pictures are a [`Layout`] over a byte slice.

mod cpu;

pub mod blend;
pub mod chroma_key;
mod color;
pub mod convert;
pub mod fill;
pub mod kuwahara;
pub mod layer;
pub mod layout;
pub mod light_wrap;
pub mod lut3d;
pub mod premultiply;
pub mod scale;
pub mod screen_key;
#[cfg(target_arch = "x86_64")]
mod simd;
pub mod toon;

pub use blend::blend;
pub use chroma_key::chroma_key;
pub use convert::convert;
pub use cpu::CpuLevel;
pub use fill::{Rect, fill_rect};
pub use kuwahara::kuwahara;
pub use layer::{Alpha, BlendMode, blend_layer};
pub use layout::{Format, Image, ImageMut, Layout, LayoutError, PlaneLayout};
pub use light_wrap::{Wrap, light_wrap};
pub use lut3d::{Lut3d, apply_lut3d};
pub use premultiply::premultiply;
pub use scale::{Filter, resample, scale, scale_filtered};
pub use screen_key::{ScreenKey, screen_key, screen_key_into};
