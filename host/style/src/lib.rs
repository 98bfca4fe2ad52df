//! Looks learned from example images.
//!
//! - [`format`]: the versioned `.style` file.
//! - [`transfer`]: colour transfer by sliced optimal transport, and baking
//!   it into a LUT.
//! - [`cube`]: the `.cube` LUT files other tools read and write.
//! - [`measure`]: how far apart two colour distributions are.
//! - [`toon`]: the XDoG settings training counts a style's lines with
//!   and the `toon` look draws them with.
//! - [`colour`]: sRGB to CIELAB and back.
//! - `train` (feature `train`): learning a `.style` from a folder of
//!   images, for `reel style train`.
//!
//! Without the `train` feature the crate builds for plugins
//! (`wasm32-wasip2`): the `restyle` plugin reads styles and fits
//! transfers with it.

pub mod colour;
pub mod cube;
pub mod format;
pub mod measure;
mod rng;
pub mod toon;
pub mod transfer;

pub use cube::{Cube, CubeError};
pub use format::{Style, StyleError};
pub use transfer::{FitOptions, Transfer};
#[cfg(feature = "train")]
pub mod train;
