//! `restyle`: a look learned by `reel style train` applied to video.
//!
//! In `color` mode the style's colour distribution is transferred onto
//! the programme's by sliced optimal transport (`reel-style`), fitted to
//! the content and baked into a 3D LUT the host's kernel applies (on
//! I420 and NV12 directly). The fit follows the content without
//! flicker:
//! - fitted on the first frame of each scene, so a cut changes the look
//!   at once (the cut hides it);
//! - refined once on the scene's first frames pooled, faded in over a
//!   few frames, when those frames differ from the first (a dissolve,
//!   a camera move; a steady shot's first frame already shows the rest);
//! - otherwise left alone: within a scene the map does not move, so
//!   nothing pumps.
//!
//! Scenes are told apart by luma histograms of a sparse grid of the
//! frame. Every decision depends only on the frames seen, never on time,
//! so a file job's output is the same on every run. A plain `.cube` as
//! the style is applied as it is.
//!
//! `paint` and `toon` draw over the graded frame with host kernels (see
//! `looks.rs`): brush strokes of the style's scale, or the style's
//! palette with lines as dense as its own.

mod looks;
mod sampling;
mod scenes;

use looks::Stylise;
use reel_sdk::{ParamBuilder, kernels::Lut3d, prelude::*};
use reel_style::{Cube, FitOptions, Style, Transfer};
use scenes::{Scenes, Step};

/// Lattice points per side of the baked LUT.
const LUT_SIZE: usize = 33;
/// Colour samples a fit uses, at most (of each side).
const FIT_SAMPLES: usize = 4096;

/// The look: learned, or a fixed LUT.
enum Look {
    Style(Box<Style>),
    Cube(Lut3d),
}

struct Restyle {
    file: String,
    look: Look,
    strength: f32,
    /// `color`, `paint` or `toon`; the look the last two draw over the
    /// graded frame.
    mode: String,
    stylise: Option<Stylise>,
    scenes: Scenes,
    /// The baked table in use (for fades) and its upload.
    current: Option<(Vec<f32>, Lut3d)>,
    /// A fade from one table to another: (from, to, frames done, frames).
    fade: Option<(Vec<f32>, Vec<f32>, u32, u32)>,
    /// Colours of the scene's first frames, for the refined fit.
    pooled: Vec<[f32; 3]>,
    /// The style's samples a fit uses (a subset, chosen once).
    style_samples: Vec<[f32; 3]>,
}

impl Plugin for Restyle {
    fn describe() -> Description {
        DescriptionBuilder::filter(
            "restyle",
            "Applies a look learned from example images (reel style train), fitted to the content",
        )
        .version(env!("CARGO_PKG_VERSION"))
        .formats(&[PixelFormat::I420, PixelFormat::Nv12, PixelFormat::Rgba])
        .param(ParamBuilder::text(
            "style",
            "look.style",
            "A .style (from `reel style train`) or .cube file in the stage's assets",
        ))
        .param(
            ParamBuilder::number(
                "strength",
                1.0,
                "0 leaves the picture, 1 applies the look fully",
            )
            .range(0.0, 1.0),
        )
        .param(
            ParamBuilder::text(
                "mode",
                "color",
                "color: the style's colours; paint: those in brush strokes of its scale; toon: posterised to its palette, with lines as dense as its own",
            )
            .choices(&["color", "paint", "toon"]),
        )
        .build()
    }

    fn new(params: &Params) -> Result<Self, StageError> {
        let name = params.text("style");
        let bytes = reel_sdk::assets::read(name)?;
        let strength = params.number("strength") as f32;
        let look = if name.ends_with(".cube") {
            let text = String::from_utf8_lossy(&bytes);
            let cube =
                Cube::parse(&text).map_err(|e| StageError::Failed(format!("{name}: {e}")))?;
            Look::Cube(Lut3d::from_table(cube.size as u32, &cube.kernel_table())?)
        } else {
            let style = Style::from_bytes(&bytes)
                .map_err(|e| StageError::Failed(format!("{name}: {e}")))?;
            Look::Style(Box::new(style))
        };
        let style_samples = match &look {
            Look::Style(style) => spread(&style.colours, FIT_SAMPLES),
            Look::Cube(_) => Vec::new(),
        };
        let mode = params.text("mode");
        let stylise = match (mode, &look) {
            ("color", _) => None,
            ("toon", Look::Style(style)) => Some(Stylise::toon(style)?),
            ("paint", Look::Style(style)) => Some(Stylise::paint(style)),
            (_, Look::Cube(_)) => {
                return Err(StageError::InvalidParam(format!(
                    "mode `{mode}` needs a .style (its palette, lines and strokes); {name} is a .cube"
                )));
            }
            _ => {
                return Err(StageError::InvalidParam(format!("unknown mode `{mode}`")));
            }
        };
        Ok(Restyle {
            file: name.to_string(),
            look,
            strength,
            mode: mode.to_string(),
            stylise,
            scenes: Scenes::default(),
            current: None,
            fade: None,
            pooled: Vec::new(),
            style_samples,
        })
    }

    /// A new strength re-bakes the table in use (the fit is kept); a new
    /// style starts over.
    fn configure(&mut self, params: &Params) -> Result<(), StageError> {
        if params.text("style") != self.file || params.text("mode") != self.mode {
            *self = Self::new(params)?;
            return Ok(());
        }
        let strength = params.number("strength") as f32;
        if strength != self.strength {
            self.strength = strength;
            if matches!(self.look, Look::Style(_)) && !self.pooled.is_empty() {
                let table = self.fit(&self.pooled.clone());
                self.fade = None;
                self.show(table)?;
            }
        }
        Ok(())
    }

    fn filter(&mut self, frame: &Frame) -> Result<(), StageError> {
        if let Look::Cube(lut) = &self.look {
            reel_sdk::kernels::apply_lut3d(frame, lut, self.strength)?;
            return Ok(());
        }
        let step = self.scenes.observe(&sampling::histogram(frame)?);
        let scene_start = matches!(step, Step::NewScene);
        frame.meta_set("restyle.scene", &self.scenes.index().to_string());
        match step {
            Step::NewScene => {
                self.pooled = sampling::colours(frame)?;
                let table = self.fit(&self.pooled.clone());
                self.fade = None;
                self.show(table)?;
                frame.meta_set("restyle.look", "fitted");
            }
            Step::Pool => self.pooled.extend(sampling::colours(frame)?),
            Step::Refine { fade } => {
                self.pooled.extend(sampling::colours(frame)?);
                let table = self.fit(&self.pooled.clone());
                let from = self
                    .current
                    .as_ref()
                    .map(|(t, _)| t.clone())
                    .unwrap_or_else(|| table.clone());
                self.fade = Some((from, table, 0, fade));
                frame.meta_set("restyle.look", "refined");
            }
            Step::Steady => {}
        }
        if let Some((from, to, done, frames)) = self.fade.take() {
            let done = done + 1;
            let t = done as f32 / frames as f32;
            let table = from.iter().zip(&to).map(|(a, b)| a + (b - a) * t).collect();
            self.show(table)?;
            if done < frames {
                self.fade = Some((from, to, done, frames));
            }
        }
        let (_, lut) = self
            .current
            .as_ref()
            .ok_or_else(|| StageError::Failed("no look fitted".into()))?;
        reel_sdk::kernels::apply_lut3d(frame, lut, 1.0)?;
        if let Some(stylise) = &mut self.stylise {
            stylise.draw(frame, scene_start)?;
        }
        Ok(())
    }
}

impl Restyle {
    /// The transfer from `content` to the style, baked with the strength.
    fn fit(&self, content: &[[f32; 3]]) -> Vec<f32> {
        let transfer = Transfer::fit(
            &spread(content, FIT_SAMPLES),
            &self.style_samples,
            &FitOptions::default(),
        );
        transfer.bake(LUT_SIZE, self.strength).kernel_table()
    }

    /// Uploads `table` and makes it the one applied.
    fn show(&mut self, table: Vec<f32>) -> Result<(), StageError> {
        let lut = Lut3d::from_table(LUT_SIZE as u32, &table)?;
        self.current = Some((table, lut));
        Ok(())
    }
}

/// At most `count` of `items`, evenly spread (deterministic).
fn spread(items: &[[f32; 3]], count: usize) -> Vec<[f32; 3]> {
    if items.len() <= count {
        return items.to_vec();
    }
    (0..count).map(|i| items[i * items.len() / count]).collect()
}

export_plugin!(Restyle);
