//! Lower-thirds: a box with a title and a subtitle (any script the font
//! covers), drawn once into a card when its text changes and then, frame
//! by frame, only placed, slid and faded by the host's blend kernel.

use serde::Deserialize;

use crate::layers::Color;
use reel_sdk_text::{Font, TextBlock, render, rounded_box};

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LowerThird {
    pub title: String,
    #[serde(default)]
    pub subtitle: String,
    /// Top left corner of the box on the output, when fully in.
    pub x: i32,
    pub y: i32,
    /// The box's width; lines break to fit inside it.
    pub width: u32,
    #[serde(default = "title_size")]
    pub title_size: f32,
    #[serde(default = "subtitle_size")]
    pub subtitle_size: f32,
    #[serde(default = "bold")]
    pub title_font: String,
    #[serde(default = "regular")]
    pub subtitle_font: String,
    #[serde(default = "white")]
    pub color: Color,
    #[serde(default)]
    pub r#box: BoxStyle,
    /// When it starts coming in and starts going out, in seconds of the
    /// stream; unset, always shown.
    #[serde(default)]
    pub start: f64,
    pub end: Option<f64>,
    #[serde(default)]
    pub animation: Animation,
    /// Seconds an entrance or exit takes.
    #[serde(default = "half")]
    pub duration: f64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BoxStyle {
    #[serde(default = "navy")]
    pub color: Color,
    #[serde(default = "box_opacity")]
    pub opacity: f32,
    #[serde(default = "radius")]
    pub radius: f32,
    /// Space between the box's edge and the text, pixels.
    #[serde(default = "padding")]
    pub padding: u32,
}

impl Default for BoxStyle {
    fn default() -> Self {
        BoxStyle {
            color: navy(),
            opacity: box_opacity(),
            radius: radius(),
            padding: padding(),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Animation {
    /// In from the left edge, out to it.
    #[default]
    Slide,
    Fade,
    /// Cut in and out.
    None,
}

fn title_size() -> f32 {
    44.0
}
fn subtitle_size() -> f32 {
    30.0
}
fn bold() -> String {
    "NotoSansSC-Bold.otf".into()
}
fn regular() -> String {
    "NotoSansSC-Regular.otf".into()
}
fn white() -> Color {
    Color([255, 255, 255, 255])
}
fn navy() -> Color {
    Color([12, 36, 84, 255])
}
fn box_opacity() -> f32 {
    0.85
}
fn radius() -> f32 {
    12.0
}
fn padding() -> u32 {
    18
}
fn half() -> f64 {
    0.5
}

pub fn parse(text: &str) -> Result<Vec<LowerThird>, String> {
    let thirds: Vec<LowerThird> = serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        format!(
            "lower_thirds: {}",
            message.split(" at line ").next().unwrap_or(&message)
        )
    })?;
    for (index, l) in thirds.iter().enumerate() {
        let n = index + 1;
        if l.width < 16 || l.title_size < 4.0 || l.subtitle_size < 4.0 {
            return Err(format!(
                "lower third {n}: width must be at least 16 and text sizes at least 4"
            ));
        }
        if !(0.0..=1.0).contains(&l.r#box.opacity) || l.duration < 0.0 {
            return Err(format!(
                "lower third {n}: box opacity must be 0..=1 and duration not negative"
            ));
        }
    }
    Ok(thirds)
}

/// A lower-third drawn: premultiplied RGBA, and what went into it.
pub struct Card {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
    pub glyphs: usize,
    pub lines: usize,
}

/// Draws `l` with the fonts it names (read from the assets by `fonts`).
pub fn draw(
    l: &LowerThird,
    fonts: &mut dyn FnMut(&str) -> Result<std::rc::Rc<Font>, String>,
) -> Result<Card, String> {
    let pad = l.r#box.padding as f32;
    let inner = l.width as f32 - 2.0 * pad;
    let title = render(&*fonts(&l.title_font)?, &l.title, l.title_size, inner)?;
    let subtitle = match l.subtitle.is_empty() {
        true => None,
        false => Some(render(
            &*fonts(&l.subtitle_font)?,
            &l.subtitle,
            l.subtitle_size,
            inner,
        )?),
    };
    let gap = (l.subtitle_size * 0.2) as usize;
    let mut blocks = vec![(&title, 0)];
    if let Some(s) = &subtitle {
        blocks.push((s, title.height + gap));
    }
    Ok(compose(l.width as usize, &blocks, &l.r#box, l.color))
}

/// A card `width` wide: the box (sized to hold the text blocks, each at
/// its offset below the top padding) and the text over it, premultiplied.
pub fn compose(
    width: usize,
    blocks: &[(&TextBlock, usize)],
    style: &BoxStyle,
    color: Color,
) -> Card {
    let pad = style.padding as usize;
    let text_height = blocks
        .iter()
        .map(|(b, top)| top + b.height)
        .max()
        .unwrap_or(0);
    let height = text_height + 2 * pad;
    let mut pixels = vec![0u8; width * height * 4];
    // The box: its colour at its opacity, shaped by the rounded coverage.
    let box_cover = rounded_box(width, height, style.radius);
    let [br, bg, bb, ba] = style.color.0;
    let box_alpha = style.opacity * ba as f32 / 255.0;
    for (px, &c) in pixels.chunks_exact_mut(4).zip(&box_cover) {
        let a = box_alpha * c as f32 / 255.0;
        px.copy_from_slice(&[br, bg, bb, 255].map(|v| (v as f32 * a).round() as u8));
    }
    // The text over it, premultiplied "over".
    let [r, g, b, a] = color.0;
    for (block, offset) in blocks {
        let top = pad + offset;
        for y in 0..block.height.min(height.saturating_sub(top)) {
            for x in 0..block.width.min(width.saturating_sub(pad)) {
                let cover = block.coverage[y * block.width + x] as f32 / 255.0 * a as f32 / 255.0;
                if cover == 0.0 {
                    continue;
                }
                let i = 4 * ((top + y) * width + pad + x);
                for (c, v) in [r, g, b, 255].into_iter().enumerate() {
                    let under = pixels[i + c] as f32;
                    pixels[i + c] = (v as f32 * cover + under * (1.0 - cover)).round() as u8;
                }
            }
        }
    }
    Card {
        width: width as u32,
        height: height as u32,
        pixels,
        glyphs: blocks.iter().map(|(b, _)| b.glyphs).sum(),
        lines: blocks.iter().map(|(b, _)| b.lines).sum(),
    }
}

/// Where the card goes and how opaque it is at `t` seconds; None while it
/// is off.
pub fn placement(l: &LowerThird, card_width: u32, t: f64) -> Option<(i32, i32, f32)> {
    let end = l.end.unwrap_or(f64::INFINITY);
    if t < l.start || t >= end {
        return None;
    }
    // 0 when out, 1 when fully in: rising after start, falling before end.
    let d = l.duration.max(1e-6);
    let rise = ((t - l.start) / d).clamp(0.0, 1.0);
    let fall = ((end - t) / d).clamp(0.0, 1.0);
    let k = smooth(rise.min(fall)) as f32;
    match l.animation {
        Animation::None => Some((l.x, l.y, 1.0)),
        Animation::Fade => Some((l.x, l.y, k)),
        Animation::Slide => {
            // From wholly off the left edge to its place.
            let off = -(card_width as i32) - 8;
            let x = off as f32 + (l.x - off) as f32 * k;
            Some((x.round() as i32, l.y, 1.0))
        }
    }
}

fn smooth(t: f64) -> f64 {
    t * t * (3.0 - 2.0 * t)
}
