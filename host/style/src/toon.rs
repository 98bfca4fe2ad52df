//! The `toon` look's line work: XDoG (the extended difference of
//! Gaussians, Winnemöller, Kyprianidis and Olsen 2012). Training counts
//! a style's lines with these settings at the learning size (512 pixels
//! on the long side); the `restyle` plugin draws lines with the same
//! settings, scaled to the frame, through the host's `draw-lines` kernel,
//! which also posterises (`posterize`) to the style's palette.

/// The inner blur at the learning size, in pixels.
pub const XDOG_SIGMA: f32 = 1.0;
/// The outer blur's ratio to the inner.
pub const XDOG_K: f32 = 1.6;
/// How much of the outer blur is taken away.
pub const XDOG_TAU: f32 = 0.98;
/// The threshold `train` counts lines with.
pub const XDOG_EPSILON: f32 = -0.01;
/// How sharply a line darkens past the threshold (XDoG's phi).
pub const XDOG_PHI: f32 = 200.0;
