//! The stylised looks drawn over the graded frame, each by a host kernel
//! (contract 0.1.4): `toon` posterises to the style's palette and draws
//! XDoG lines as dense as the style's; `paint` smooths into brush strokes
//! of the style's scale by anisotropic Kuwahara filtering.

use reel_sdk::kernels::{self, LineThreshold, Palette, Rgba, Xdog};
use reel_sdk::prelude::*;
use reel_style::Style;
use reel_style::toon::{XDOG_K, XDOG_PHI, XDOG_SIGMA, XDOG_TAU};

/// How strongly the smoothest of Kuwahara's sectors wins (the paper's q).
const PAINT_SHARPNESS: f32 = 8.0;
/// Brush strokes' radius in pixels, at least and at most: below 2 the
/// filter barely smooths, and past 16 strokes swallow faces.
const PAINT_RADIUS: (f32, f32) = (2.0, 16.0);

pub enum Stylise {
    Toon {
        palette: Palette,
        /// The style's share of pixels on lines.
        density: f32,
        /// The threshold of lines, set as each scene starts.
        threshold: f32,
    },
    Paint {
        /// The style's stroke scale, as a share of the picture's height.
        scale: f32,
    },
}

impl Stylise {
    pub fn toon(style: &Style) -> Result<Stylise, StageError> {
        let colours: Vec<Rgba> = style
            .header
            .palette
            .iter()
            .map(|c| {
                let [r, g, b] = c.rgb.map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8);
                Rgba { r, g, b, a: 255 }
            })
            .collect();
        if colours.is_empty() {
            return Err(StageError::InvalidParam(
                "mode `toon` needs a style with a palette; this one has none".into(),
            ));
        }
        Ok(Stylise::Toon {
            palette: Palette::from_colors(&colours)?,
            density: style.header.lines.edge_density,
            threshold: 0.0,
        })
    }

    pub fn paint(style: &Style) -> Stylise {
        Stylise::Paint {
            scale: style.header.strokes.scale,
        }
    }

    /// Draws the look over `frame`; `scene_start` when it begins a scene.
    pub fn draw(&mut self, frame: &Frame, scene_start: bool) -> Result<(), StageError> {
        let info = frame.info();
        match self {
            Stylise::Toon {
                palette,
                density,
                threshold,
            } => {
                kernels::posterize(frame, palette)?;
                // XDoG's blurs as they were at the learning size (512 on
                // the long side), so lines are as wide as the style's.
                let lines = Xdog {
                    sigma: XDOG_SIGMA * info.width.max(info.height) as f32 / 512.0,
                    k: XDOG_K,
                    tau: XDOG_TAU,
                    phi: XDOG_PHI,
                };
                let at = match scene_start {
                    true => LineThreshold::Density(*density),
                    false => LineThreshold::Value(*threshold),
                };
                *threshold = kernels::draw_lines(frame, lines, at)?;
            }
            Stylise::Paint { scale } => {
                let radius = (*scale * info.height as f32).clamp(PAINT_RADIUS.0, PAINT_RADIUS.1);
                kernels::kuwahara(frame, radius, PAINT_SHARPNESS)?;
            }
        }
        Ok(())
    }
}
