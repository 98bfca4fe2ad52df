//! Inverts the picture: every sample becomes `255 - sample` (alpha kept),
//! blended with the original by `strength`.

mod pixels;

use pixels::invert;
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

export_plugin!(Invert);
