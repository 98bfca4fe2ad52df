//! Inverts the picture: every sample becomes `255 - sample` (alpha kept),
//! blended with the original by `strength`.

use reel_sdk::{ParamBuilder, prelude::*};

struct Invert {
    strength: f64,
}

impl Plugin for Invert {
    fn describe() -> Description {
        DescriptionBuilder::filter("invert", "Inverts luma, chroma or RGB; alpha is kept")
            .version(env!("CARGO_PKG_VERSION"))
            .param(
                ParamBuilder::number("strength", 1.0, "0 leaves the picture, 1 fully inverts")
                    .range(0.0, 1.0),
            )
            .build()
    }

    fn new(params: &Params) -> Result<Self, StageError> {
        Ok(Invert {
            strength: params.number("strength"),
        })
    }

    fn filter(&mut self, frame: &Frame) -> Result<(), StageError> {
        let info = frame.info();
        let rgba = info.format == PixelFormat::Rgba;
        for (index, plane) in (0..).zip(&info.planes) {
            let mut rows = frame.read_rows(index, 0, plane.rows)?;
            invert(&mut rows, self.strength, rgba);
            frame.write_rows(index, 0, &rows)?;
        }
        Ok(())
    }
}

/// Inverts samples in place; for RGBA every fourth byte (alpha) is kept.
pub fn invert(samples: &mut [u8], strength: f64, rgba: bool) {
    let s = (strength * 256.0).round() as i32;
    let alpha_mask = if rgba {
        [0xff, 0xff, 0xff, 0]
    } else {
        [0xff; 4]
    };
    for quad in samples.chunks_mut(4) {
        for (sample, mask) in quad.iter_mut().zip(alpha_mask) {
            if s >= 256 {
                *sample ^= mask;
            } else if mask != 0 {
                let v = *sample as i32;
                *sample = (v + (((255 - 2 * v) * s) >> 8)) as u8;
            }
        }
    }
}

export_plugin!(Invert);
