//! `composite`: the graphics mixer. Any number of inputs (named by the
//! pipeline); one fills the output (the programme), the others are layers
//! over it: placed, sized, cropped, in a blend mode, with an optional
//! border and drop shadow, stacked by `z`.
//!
//! Every pixel operation is a host kernel (`resample`, `convert`,
//! `fill-rect`, `blend-layer`): no picture crosses into the plugin, which
//! only decides what goes where. Scratch frames are kept between frames.
//!
//! Pipeline:
//! ```toml
//! [[stage]]
//! id = "gfx"
//! plugin = "composite"
//! inputs = ["programme", "guest", "logo"]
//!
//! [[stage.params.layers]]
//! input = "guest"
//! x = 1380
//! y = 60
//! width = 480
//! border = { width = 4, color = "#ffffff" }
//! shadow = { x = 10, y = 10, softness = 12, opacity = 0.5 }
//! ```

mod clock;
mod layers;
mod lower_third;

use std::collections::HashMap;
use std::rc::Rc;

use reel_sdk::kernels::{self, AlphaKind, BlendMode, Rect, Rgba, ScaleFilter};
use reel_sdk::{FrameInfo, ParamBuilder, prelude::*};

use clock::Clock;
use layers::{Alpha, Filter, Layer, Mode};
use lower_third::LowerThird;
use reel_sdk_text::Font;

struct Composite {
    /// The input that fills the output; empty: the first input.
    background: String,
    layers: Vec<Layer>,
    /// Each lower-third with its card, drawn once and uploaded.
    thirds: Vec<(LowerThird, Drawn)>,
    /// Each clock with the text it shows and that text's card.
    clocks: Vec<(Clock, Option<(String, Drawn)>)>,
    /// Fonts read from the assets, by file name.
    fonts: HashMap<String, Rc<Font>>,
    /// Scratch frames by (format, width, height), reused frame after frame.
    scratch: HashMap<Key, Frame>,
}

/// A lower-third's card in a host frame, and what is in it.
struct Drawn {
    frame: Frame,
    width: u32,
    glyphs: usize,
    lines: usize,
}

/// A scratch frame's format, width and height.
type Key = (u8, u32, u32);

/// Scratch frames kept at most; sizes come and go when `configure`
/// changes layers.
const MAX_SCRATCH: usize = 16;

impl Plugin for Composite {
    fn describe() -> Description {
        DescriptionBuilder::mixer_of_any(
            "composite",
            "Layers, picture-in-picture and logos over a programme",
        )
        .version(env!("CARGO_PKG_VERSION"))
        .param(ParamBuilder::text(
            "layers",
            "[]",
            "The layers, as [[stage.params.layers]] tables in the pipeline (JSON text through gst-launch)",
        ))
        .param(ParamBuilder::text(
            "lower_thirds",
            "[]",
            "Lower-thirds (title, subtitle, box, timing), as [[stage.params.lower_thirds]] tables",
        ))
        .param(ParamBuilder::text(
            "clocks",
            "[]",
            "Clocks (time of day from a start time, or running timecode), as [[stage.params.clocks]] tables",
        ))
        .param(ParamBuilder::text(
            "background",
            "",
            "The input that fills the output (default: the first input)",
        ))
        .build()
    }

    fn new(params: &Params) -> Result<Self, StageError> {
        let mut composite = Composite {
            background: String::new(),
            layers: Vec::new(),
            thirds: Vec::new(),
            clocks: Vec::new(),
            fonts: HashMap::new(),
            scratch: HashMap::new(),
        };
        composite.configure(params)?;
        Ok(composite)
    }

    /// New settings take effect on the next frame. Only lower-thirds whose
    /// text or style changed are drawn again; fonts and scratch frames
    /// stay. Nothing is changed unless all of it is valid.
    fn configure(&mut self, params: &Params) -> Result<(), StageError> {
        let layers = layers::parse(params.text("layers")).map_err(StageError::InvalidParam)?;
        let wanted =
            lower_third::parse(params.text("lower_thirds")).map_err(StageError::InvalidParam)?;
        let mut kept: Vec<(LowerThird, Drawn)> = std::mem::take(&mut self.thirds);
        let mut thirds = Vec::with_capacity(wanted.len());
        for (index, l) in wanted.into_iter().enumerate() {
            let same = kept.iter().position(|(old, _)| same_card(old, &l));
            let drawn = match same {
                Some(i) => kept.swap_remove(i).1,
                None => match self.draw_card(&l) {
                    Ok(drawn) => drawn,
                    Err(e) => {
                        self.thirds = kept;
                        return Err(StageError::InvalidParam(format!(
                            "lower third {}: {e}",
                            index + 1
                        )));
                    }
                },
            };
            thirds.push((l, drawn));
        }
        let clocks = clock::parse(params.text("clocks")).map_err(StageError::InvalidParam)?;
        for (index, c) in clocks.iter().enumerate() {
            // The font must be there and hold every digit, now, not on air.
            self.font(&c.font)
                .and_then(|f| c.draw(&f, "0123456789:").map(|_| ()))
                .map_err(|e| StageError::InvalidParam(format!("clock {}: {e}", index + 1)))?;
        }
        self.clocks = clocks.into_iter().map(|c| (c, None)).collect();
        self.layers = layers;
        self.thirds = thirds;
        self.background = params.text("background").to_string();
        Ok(())
    }

    fn mix(&mut self, inputs: Vec<MixerInput>, output: &Frame) -> Result<(), StageError> {
        let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
        let find = |name: &str| inputs.iter().find(|i| i.name == name).map(|i| &i.frame);
        let background = match self.background.as_str() {
            "" => inputs.first().map(|i| &i.frame),
            name => Some(find(name).ok_or_else(|| unknown("background", name, &names))?),
        }
        .ok_or_else(|| StageError::BadData("no inputs".into()))?;
        if self.scratch.len() > MAX_SCRATCH {
            self.scratch.clear();
        }
        let out = output.info();
        self.fill_background(background, output, &out)?;
        // The layers are taken out for the loop (`draw` needs `self` for
        // its scratch frames) rather than cloned on every frame.
        let layers = std::mem::take(&mut self.layers);
        let drawn = layers.iter().enumerate().try_for_each(|(index, layer)| {
            let source = find(&layer.input)
                .ok_or_else(|| unknown(&format!("layer {}", index + 1), &layer.input, &names))?;
            self.draw(layer, source, output)
        });
        self.layers = layers;
        drawn?;
        // Lower-thirds over everything, where their timing puts them.
        let t = out.pts_ns.unwrap_or(0) as f64 / 1e9;
        for (index, (l, drawn)) in self.thirds.iter().enumerate() {
            let Some((x, y, opacity)) = lower_third::placement(l, drawn.width, t) else {
                continue;
            };
            kernels::blend_layer(
                output,
                &drawn.frame,
                x,
                y,
                opacity,
                BlendMode::Over,
                AlphaKind::Premultiplied,
            )?;
            output.meta_set(
                &format!("composite.lower-third.{}", index + 1),
                &format!("glyphs={} lines={}", drawn.glyphs, drawn.lines),
            );
        }
        let fps = match out.duration_ns {
            Some(d) if d > 0 => 1e9 / d as f64,
            _ => 25.0,
        };
        for index in 0..self.clocks.len() {
            let text = self.clocks[index].0.text_at(t, fps);
            if self.clocks[index]
                .1
                .as_ref()
                .is_none_or(|(shown, _)| *shown != text)
            {
                let clock = self.clocks[index].0.clone();
                let drawn = self
                    .font(&clock.font)
                    .and_then(|f| clock.draw(&f, &text))
                    .and_then(upload)
                    .map_err(|e| StageError::Failed(format!("clock {}: {e}", index + 1)))?;
                self.clocks[index].1 = Some((text, drawn));
            }
            if let (clock, Some((shown, drawn))) = &self.clocks[index] {
                output.meta_set(&format!("composite.clock.{}", index + 1), shown);
                kernels::blend_layer(
                    output,
                    &drawn.frame,
                    clock.x,
                    clock.y,
                    1.0,
                    BlendMode::Over,
                    AlphaKind::Premultiplied,
                )?;
            }
        }
        Ok(())
    }
}

impl Composite {
    /// A font from the assets, read once.
    fn font(&mut self, name: &str) -> Result<Rc<Font>, String> {
        if let Some(f) = self.fonts.get(name) {
            return Ok(f.clone());
        }
        let data = reel_sdk::assets::read(name).map_err(|e| match e {
            StageError::InvalidParam(m) | StageError::Failed(m) => {
                format!("font: {m} (Reel ships Noto Sans CJK SC as the bundle `fonts`)")
            }
            other => format!("font {name}: {other:?}"),
        })?;
        let f = Rc::new(Font::from_bytes(data).map_err(|e| format!("{name}: {e}"))?);
        self.fonts.insert(name.to_string(), f.clone());
        Ok(f)
    }

    /// Draws a lower-third's card and uploads it to a host frame, once.
    fn draw_card(&mut self, l: &LowerThird) -> Result<Drawn, String> {
        let card = lower_third::draw(l, &mut |name| self.font(name))?;
        upload(card)
    }

    /// The key of a scratch frame of this format and size, made once.
    fn scratch(&mut self, format: PixelFormat, width: u32, height: u32) -> Result<Key, StageError> {
        let key = (format as u8, width, height);
        if let std::collections::hash_map::Entry::Vacant(slot) = self.scratch.entry(key) {
            slot.insert(reel_sdk::create_frame(format, width, height)?);
        }
        Ok(key)
    }

    /// The background into the whole output: converted, and scaled when
    /// its size differs.
    fn fill_background(
        &mut self,
        bg: &Frame,
        output: &Frame,
        out: &FrameInfo,
    ) -> Result<(), StageError> {
        let info = bg.info();
        if (info.width, info.height) == (out.width, out.height) {
            kernels::convert(bg, output)?;
            return Ok(());
        }
        let whole = Rect {
            x: 0,
            y: 0,
            width: info.width,
            height: info.height,
        };
        if info.format == out.format {
            kernels::resample(bg, whole, output, None, ScaleFilter::Bicubic)?;
        } else {
            let key = self.scratch(info.format, out.width, out.height)?;
            let scaled = &self.scratch[&key];
            kernels::resample(bg, whole, scaled, None, ScaleFilter::Bicubic)?;
            kernels::convert(scaled, output)?;
        }
        Ok(())
    }

    /// One layer: its picture cropped, scaled and made RGBA as needed, its
    /// shadow and border, then the picture blended.
    fn draw(&mut self, layer: &Layer, source: &Frame, output: &Frame) -> Result<(), StageError> {
        let info = source.info();
        let crop = layer.crop.unwrap_or_default();
        let area_w = info.width.saturating_sub(crop.left + crop.right);
        let area_h = info.height.saturating_sub(crop.top + crop.bottom);
        if area_w == 0 || area_h == 0 {
            return Err(StageError::InvalidParam(format!(
                "layer `{}`: the crop leaves nothing of the {}x{} input",
                layer.input, info.width, info.height
            )));
        }
        let (width, height) = size(layer, area_w, area_h);
        let area = Rect {
            x: crop.left as i32,
            y: crop.top as i32,
            width: area_w,
            height: area_h,
        };
        let untouched = crop.left + crop.right + crop.top + crop.bottom == 0
            && (width, height) == (info.width, info.height);
        let filter = match layer.filter {
            Filter::Bilinear => ScaleFilter::Bilinear,
            Filter::Bicubic => ScaleFilter::Bicubic,
            Filter::Lanczos3 => ScaleFilter::Lanczos3,
        };
        let (x, y) = (layer.x, layer.y);
        // An opaque video layer in the output's own format goes straight
        // to its place: scaled into the output, with no scratch picture,
        // no conversion and no blend.
        let out = output.info();
        let place = Rect {
            x,
            y,
            width,
            height,
        };
        if info.format == out.format
            && info.format != PixelFormat::Rgba
            && layer.mode == Mode::Over
            && layer.opacity >= 1.0
            && fits_whole_chroma(&place, out.width, out.height)
        {
            decorate(layer, output, x, y, width, height)?;
            kernels::resample(source, area, output, Some(place), filter)?;
            return Ok(());
        }
        // Otherwise the layer's picture as RGBA at its output size: scaled
        // in the input's own format (fewer bytes for YUV), then the small
        // result converted.
        let scaled_key = match untouched {
            true => None,
            false => Some(self.scratch(info.format, width, height)?),
        };
        let rgba_key = match info.format {
            PixelFormat::Rgba => None,
            _ => Some(self.scratch(PixelFormat::Rgba, width, height)?),
        };
        let scaled = match scaled_key {
            Some(key) => {
                let frame = &self.scratch[&key];
                kernels::resample(source, area, frame, None, filter)?;
                frame
            }
            None => source,
        };
        let picture = match rgba_key {
            Some(key) => {
                let frame = &self.scratch[&key];
                kernels::convert(scaled, frame)?;
                frame
            }
            None => scaled,
        };
        decorate(layer, output, x, y, width, height)?;
        let mode = match layer.mode {
            Mode::Over => BlendMode::Over,
            Mode::Add => BlendMode::Add,
            Mode::Multiply => BlendMode::Multiply,
            Mode::Screen => BlendMode::Screen,
        };
        let alpha = match layer.alpha {
            Alpha::Straight => AlphaKind::Straight,
            Alpha::Premultiplied => AlphaKind::Premultiplied,
        };
        kernels::blend_layer(output, picture, x, y, layer.opacity, mode, alpha)?;
        Ok(())
    }
}

/// A layer's shadow (under it) and border (around it), drawn before its
/// picture.
fn decorate(
    layer: &Layer,
    output: &Frame,
    x: i32,
    y: i32,
    width: u32,
    height: u32,
) -> Result<(), StageError> {
    if let Some(shadow) = &layer.shadow {
        soft_box(
            output,
            x + shadow.x,
            y + shadow.y,
            width,
            height,
            shadow.softness,
            shadow.color.0,
            shadow.opacity,
        )?;
    }
    if let Some(border) = &layer.border {
        let b = border.width as i32;
        let (w, h) = (width as i32, height as i32);
        for (bx, by, bw, bh) in [
            (x - b, y - b, w + 2 * b, b),
            (x - b, y + h, w + 2 * b, b),
            (x - b, y, b, h),
            (x + w, y, b, h),
        ] {
            fill(
                output,
                bx,
                by,
                bw.max(0) as u32,
                bh.max(0) as u32,
                border.color.0,
            )?;
        }
    }
    Ok(())
}

/// Whether `place` lies wholly inside a `width` x `height` YUV picture
/// at even coordinates, so it shares no chroma sample with its
/// surroundings.
fn fits_whole_chroma(place: &Rect, width: u32, height: u32) -> bool {
    let (x, y) = (place.x, place.y);
    x >= 0
        && y >= 0
        && x % 2 == 0
        && y % 2 == 0
        && x as u32 + place.width <= width
        && y as u32 + place.height <= height
        && (place.width.is_multiple_of(2) || x as u32 + place.width == width)
        && (place.height.is_multiple_of(2) || y as u32 + place.height == height)
}

/// The layer's size on the output: as given, or the area's size, the
/// missing side following the aspect ratio.
fn size(layer: &Layer, area_w: u32, area_h: u32) -> (u32, u32) {
    let aspect = |given: u32, from: u32, to: u32| {
        ((given as u64 * to as u64 + from as u64 / 2) / from as u64).max(1) as u32
    };
    match (layer.width, layer.height) {
        (Some(w), Some(h)) => (w, h),
        (Some(w), None) => (w, aspect(w, area_w, area_h)),
        (None, Some(h)) => (aspect(h, area_h, area_w), h),
        (None, None) => (area_w, area_h),
    }
}

fn fill(
    output: &Frame,
    x: i32,
    y: i32,
    width: u32,
    height: u32,
    color: [u8; 4],
) -> Result<(), StageError> {
    if width == 0 || height == 0 {
        return Ok(());
    }
    let [r, g, b, a] = color;
    kernels::fill_rect(
        output,
        Rect {
            x,
            y,
            width,
            height,
        },
        Rgba { r, g, b, a },
    )?;
    Ok(())
}

/// A box whose edges fade out over `softness` pixels: nested rectangles,
/// each adding a share of the opacity, so the middle reaches `opacity`.
#[allow(clippy::too_many_arguments)]
fn soft_box(
    output: &Frame,
    x: i32,
    y: i32,
    width: u32,
    height: u32,
    softness: u32,
    color: [u8; 4],
    opacity: f32,
) -> Result<(), StageError> {
    let steps = softness.min(32) + 1;
    // Each of `steps` layers of alpha `a` stacks to 1 - (1 - a)^steps.
    let a = 1.0 - (1.0 - opacity * color[3] as f32 / 255.0).powf(1.0 / steps as f32);
    let alpha = (a * 255.0).round() as u8;
    for i in 0..steps {
        let grow = (softness as i32 / 2) - (i * softness / steps) as i32;
        let (w, h) = (width as i32 + 2 * grow, height as i32 + 2 * grow);
        fill(
            output,
            x - grow,
            y - grow,
            w.max(0) as u32,
            h.max(0) as u32,
            [color[0], color[1], color[2], alpha],
        )?;
    }
    Ok(())
}

/// A card in a host frame, ready to blend.
fn upload(card: lower_third::Card) -> Result<Drawn, String> {
    let frame = reel_sdk::create_frame(PixelFormat::Rgba, card.width, card.height)
        .map_err(|e| format!("{e:?}"))?;
    frame
        .write_rows(0, 0, &card.pixels)
        .map_err(|e| format!("{e:?}"))?;
    Ok(Drawn {
        frame,
        width: card.width,
        glyphs: card.glyphs,
        lines: card.lines,
    })
}

/// Whether two lower-thirds draw the same card (timing and place aside).
fn same_card(a: &LowerThird, b: &LowerThird) -> bool {
    let card = |l: &LowerThird| {
        (
            l.title.clone(),
            l.subtitle.clone(),
            l.width,
            l.title_size.to_bits(),
            l.subtitle_size.to_bits(),
            l.title_font.clone(),
            l.subtitle_font.clone(),
            l.color,
            l.r#box.clone(),
        )
    };
    card(a) == card(b)
}

fn unknown(what: &str, name: &str, names: &[&str]) -> StageError {
    StageError::InvalidParam(format!(
        "{what}: input `{name}` is not one of this stage's inputs ({})",
        names.join(", ")
    ))
}

export_plugin!(Composite);
