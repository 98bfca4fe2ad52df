//! A mixer for the tests: converts `base` into the output with the host's
//! `convert` kernel and blends `overlay` (converted to RGBA when it is not)
//! over it with `blend`, then checks
//! that the inputs are read-only and, with `keep`, that a kept input is
//! revoked after the call.

use reel_sdk::{ParamBuilder, prelude::*};

struct TestMix {
    x: i32,
    y: i32,
    opacity: f32,
    keep: bool,
    /// The overlay has straight alpha: premultiply it (contract 0.1.1).
    straight: bool,
    /// `blend` (the 0.1.0 kernel), or a mode of `blend-layer` (0.1.2).
    mode: String,
    kept: Option<Frame>,
    /// Keep every input handle, call after call (`hoard`).
    hoard: Option<Vec<Frame>>,
}

impl Plugin for TestMix {
    fn describe() -> Description {
        DescriptionBuilder::mixer(
            "testmix",
            "Base plus a blended overlay (tests)",
            &["base", "overlay"],
        )
        .version(env!("CARGO_PKG_VERSION"))
        .param(ParamBuilder::integer("x", 0, "Overlay left edge").range(-8192.0, 8192.0))
        .param(ParamBuilder::integer("y", 0, "Overlay top edge").range(-8192.0, 8192.0))
        .param(ParamBuilder::number("opacity", 1.0, "Overlay opacity").range(0.0, 1.0))
        .param(ParamBuilder::boolean(
            "keep",
            false,
            "Keep the overlay handle across calls",
        ))
        .param(ParamBuilder::boolean(
            "straight",
            false,
            "The overlay has straight alpha (premultiplied before blending)",
        ))
        .param(
            ParamBuilder::text(
                "mode",
                "blend",
                "`blend` (the 0.1.0 kernel) or a `blend-layer` mode (0.1.2)",
            )
            .choices(&["blend", "over", "add", "multiply", "screen"]),
        )
        .param(ParamBuilder::boolean(
            "hoard",
            false,
            "Keep every input handle forever and compose nothing",
        ))
        .build()
    }

    fn new(params: &Params) -> Result<Self, StageError> {
        Ok(TestMix {
            x: params.integer("x") as i32,
            y: params.integer("y") as i32,
            opacity: params.number("opacity") as f32,
            keep: params.boolean("keep"),
            straight: params.boolean("straight"),
            mode: params.text("mode").to_string(),
            kept: None,
            hoard: params.boolean("hoard").then(Vec::new),
        })
    }

    fn mix(&mut self, inputs: Vec<MixerInput>, output: &Frame) -> Result<(), StageError> {
        if let Some(hoard) = &mut self.hoard {
            hoard.extend(inputs.into_iter().map(|i| i.frame));
            return Ok(());
        }
        if let Some(old) = &self.kept {
            output.meta_set(
                "kept-read",
                &format!("{:?}", old.read_rows(0, 0, 1).map(|r| r.len())),
            );
        }
        let mut overlay = None;
        for input in inputs {
            match input.name.as_str() {
                "base" => {
                    kernels::convert(&input.frame, output)?;
                    let row = input.frame.info().planes[0].row_bytes as usize;
                    let attempt = input.frame.write_rows(0, 0, &vec![0; row]);
                    output.meta_set("input-write", &format!("{attempt:?}"));
                }
                _ => overlay = Some(input.frame),
            }
        }
        if let Some(overlay) = overlay.as_ref().filter(|_| self.mode != "blend") {
            // 0.1.2: the mode and the kind of alpha go to the kernel.
            let mode = match self.mode.as_str() {
                "add" => kernels::BlendMode::Add,
                "multiply" => kernels::BlendMode::Multiply,
                "screen" => kernels::BlendMode::Screen,
                _ => kernels::BlendMode::Over,
            };
            let alpha = match self.straight {
                true => kernels::AlphaKind::Straight,
                false => kernels::AlphaKind::Premultiplied,
            };
            kernels::blend_layer(output, overlay, self.x, self.y, self.opacity, mode, alpha)?;
            return Ok(());
        }
        if let Some(mut overlay) = overlay {
            // Inputs come in their own formats; blending takes RGBA.
            // Inputs are read-only: a straight-alpha overlay is copied
            // before it is premultiplied.
            let info = overlay.info();
            if info.format != PixelFormat::Rgba || self.straight {
                let rgba = reel_sdk::create_frame(PixelFormat::Rgba, info.width, info.height)?;
                kernels::convert(&overlay, &rgba)?;
                overlay = rgba;
            }
            if self.straight {
                kernels::premultiply(&overlay)?;
            }
            kernels::blend(output, &overlay, self.x, self.y, self.opacity)?;
            if self.keep {
                self.kept = Some(overlay);
            }
        }
        Ok(())
    }
}

export_plugin!(TestMix);
