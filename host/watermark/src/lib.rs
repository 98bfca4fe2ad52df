//! An invisible video watermark for broadcast: a 64-bit payload (an
//! asset ID) under a secret key, in luma, that survives H.264
//! re-encoding, rescaling, brightness and contrast changes, crops and
//! frame-rate changes, with a blind detector that reads it from a few
//! seconds of video and says how likely a false alarm would be.
//!
//! - [`key`]: the key (never printed) and the payload.
//! - [`code`]: CRC-24 and a rate-1/3 convolutional code, so a damaged
//!   read is corrected or rejected, never reported wrong.
//! - [`pattern`]: the grid the mark lives on (the same for every
//!   resolution) and the keyed tile.
//! - [`embed`]: adding the mark to a frame, shaped by texture, with a
//!   PSNR bound.
//! - [`detect`]: summing evidence over frames and reading it.
//!
//! The design follows broadcast monitoring watermarks (Kalker et al.,
//! "A video watermarking system for broadcast monitoring", 1999: a tile
//! repeated over the frame, the same in every frame, folded and
//! correlated by FFT) with a resolution-normalised grid (as in Kim et
//! al. 2007) and a search over scales for crops.
//!
//! Pure Rust without I/O: the `watermark` plugin (WebAssembly) embeds
//! with it, the host detects with it.

pub mod code;
pub mod detect;
pub mod embed;
pub mod key;
pub mod pattern;

pub use detect::{Detector, Evidence, Reading, Search};
pub use embed::{Embedded, Embedder};
pub use key::{Key, KeyError, parse_payload};
