//! Applies a `.cube` 3D LUT (a colour grade from DaVinci Resolve, a camera
//! maker's look, a film emulation) with the host's 3D LUT kernel: the
//! SDK's worked example of reading an asset once and handing per-frame
//! work to a kernel, so no pixel crosses into the plugin.
//!
//! Pipeline: `plugin = "lut"`, `assets = "looks/"`, `params = { file =
//! "warm.cube", strength = 0.8 }`.

use reel_sdk::{ParamBuilder, kernels::Lut3d, prelude::*};
use reel_style::Cube;

struct Lut {
    file: String,
    lut: Lut3d,
    strength: f32,
}

impl Plugin for Lut {
    fn describe() -> Description {
        DescriptionBuilder::filter("lut", "Applies a .cube 3D LUT from the stage's assets")
            .version(env!("CARGO_PKG_VERSION"))
            // The kernel grades I420 and NV12 directly (contract 0.1.3),
            // so decoded video is never converted for it.
            .formats(&[PixelFormat::I420, PixelFormat::Nv12, PixelFormat::Rgba])
            .param(ParamBuilder::text(
                "file",
                "look.cube",
                "The .cube file, in the stage's assets directory",
            ))
            .param(
                ParamBuilder::number(
                    "strength",
                    1.0,
                    "0 leaves the picture, 1 applies the LUT fully",
                )
                .range(0.0, 1.0),
            )
            .build()
    }

    /// Runs once per instance: the file is read and uploaded to the host
    /// here, never per frame.
    fn new(params: &Params) -> Result<Self, StageError> {
        let name = params.text("file");
        let bytes = reel_sdk::assets::read(name)?;
        let text = String::from_utf8_lossy(&bytes);
        let cube = Cube::parse(&text).map_err(|e| StageError::Failed(format!("{name}: {e}")))?;
        let lut = Lut3d::from_table(cube.size as u32, &cube.kernel_table())?;
        Ok(Lut {
            file: name.to_string(),
            lut,
            strength: params.number("strength") as f32,
        })
    }

    /// A new strength keeps the uploaded table; a new file reads it again.
    fn configure(&mut self, params: &Params) -> Result<(), StageError> {
        if params.text("file") == self.file {
            self.strength = params.number("strength") as f32;
        } else {
            *self = Self::new(params)?;
        }
        Ok(())
    }

    fn filter(&mut self, frame: &Frame) -> Result<(), StageError> {
        reel_sdk::kernels::apply_lut3d(frame, &self.lut, self.strength)?;
        Ok(())
    }
}

export_plugin!(Lut);
