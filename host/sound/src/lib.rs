//! The programme's sound, for stages that follow it.
//!
//! A [`Tap`] is fed the sound of a stream (by the `wasmsoundtap`
//! GStreamer element) and keeps it, mono, keyed by running time; a stage
//! asks it for the [`Window`] of sound that plays during the frame it is
//! working on, plus a look-ahead. In a file job the stage waits until that
//! sound has arrived (so the output never depends on timing); live, it
//! takes what is there.
//!
//! - [`tap`]: the shared buffer, its waiting and its bounds.
//! - [`measure`]: level, peak and band energies of a span.
//! - [`voice`]: voice activity over the stream (a small neural detector,
//!   the `earshot` crate, at 16 kHz).

pub mod measure;
pub mod tap;
pub mod voice;

pub use measure::{BANDS, Measures};
pub use tap::{LOOKAHEAD_NS, SoundError, Tap, Window};
