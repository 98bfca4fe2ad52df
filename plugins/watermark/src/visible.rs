//! The visible mark: a logo (a PNG, decoded here in the sandbox) or a
//! line of text, scaled to a share of the frame's height and blended in
//! a corner. Drawn once per frame size, then only blended.

use reel_sdk::kernels::{self, AlphaKind, BlendMode, Rect, ScaleFilter};
use reel_sdk::prelude::*;
use reel_sdk_text::{Font, render};

/// A logo larger than this many pixels is refused (a decompression bomb
/// stops before it allocates).
const MAX_LOGO_PIXELS: u64 = 16 << 20;

enum Source {
    /// Premultiplied RGBA.
    Logo {
        width: u32,
        height: u32,
        pixels: Vec<u8>,
    },
    Text {
        font: Box<Font>,
        text: String,
        color: [u8; 4],
    },
}

pub struct Visible {
    source: Source,
    position: String,
    margin: f32,
    opacity: f32,
    size: f32,
    /// The mark drawn for a frame height: (height, premultiplied RGBA).
    drawn: Option<(u32, Frame)>,
}

impl Visible {
    pub fn new(params: &Params) -> Result<Visible, StageError> {
        let source = match (params.text("logo"), params.text("text")) {
            ("", "") => {
                return Err(StageError::InvalidParam(
                    "the visible mark needs a logo (a PNG in the stage's assets) or a text".into(),
                ));
            }
            ("", text) => {
                let name = params.text("font");
                let bytes = reel_sdk::assets::read(name)?;
                let font = Font::from_bytes(bytes)
                    .map_err(|e| StageError::InvalidParam(format!("font {name}: {e}")))?;
                let color = reel_sdk::parse_color(params.text("color"))
                    .map_err(|e| StageError::InvalidParam(format!("color: {e}")))?;
                Source::Text {
                    font: Box::new(font),
                    text: text.to_string(),
                    color,
                }
            }
            (logo, _) => decode_logo(logo)?,
        };
        Ok(Visible {
            source,
            position: params.text("position").to_string(),
            margin: params.number("margin") as f32,
            opacity: params.number("opacity") as f32,
            size: params.number("size") as f32,
            drawn: None,
        })
    }

    pub fn draw(&mut self, frame: &Frame) -> Result<(), StageError> {
        let info = frame.info();
        if self.drawn.as_ref().map(|(h, _)| *h) != Some(info.height) {
            let target = ((self.size * info.height as f32).round() as u32).max(1);
            self.drawn = Some((info.height, self.render(target)?));
        }
        let (_, mark) = self.drawn.as_ref().expect("drawn above");
        let m = mark.info();
        let margin = (self.margin * info.height as f32).round() as i32;
        let (fw, fh) = (info.width as i32, info.height as i32);
        let (mw, mh) = (m.width as i32, m.height as i32);
        let (x, y) = match self.position.as_str() {
            "top-left" => (margin, margin),
            "top-right" => (fw - mw - margin, margin),
            "bottom-left" => (margin, fh - mh - margin),
            "center" => ((fw - mw) / 2, (fh - mh) / 2),
            _ => (fw - mw - margin, fh - mh - margin),
        };
        kernels::blend_layer(
            frame,
            mark,
            x,
            y,
            self.opacity,
            BlendMode::Over,
            AlphaKind::Premultiplied,
        )?;
        Ok(())
    }

    /// The mark `height` pixels tall, premultiplied RGBA in a host frame.
    fn render(&self, height: u32) -> Result<Frame, StageError> {
        match &self.source {
            Source::Logo {
                width: lw,
                height: lh,
                pixels,
            } => {
                let logo = reel_sdk::create_frame(PixelFormat::Rgba, *lw, *lh)?;
                logo.write_rows(0, 0, pixels)?;
                let width = ((*lw as u64 * height as u64).div_ceil(*lh as u64) as u32).max(1);
                let mark = reel_sdk::create_frame(PixelFormat::Rgba, width, height)?;
                let area = Rect {
                    x: 0,
                    y: 0,
                    width: *lw,
                    height: *lh,
                };
                kernels::resample(&logo, area, &mark, None, ScaleFilter::Lanczos3)?;
                Ok(mark)
            }
            Source::Text { font, text, color } => {
                // The font size that makes the line `height` tall.
                let block = render(font, text, height as f32 * 0.8, f32::MAX)
                    .map_err(|e| StageError::InvalidParam(format!("text: {e}")))?;
                let (w, h) = (block.width.max(1) as u32, block.height.max(1) as u32);
                let mut pixels = vec![0u8; w as usize * h as usize * 4];
                for (px, &c) in pixels.chunks_exact_mut(4).zip(&block.coverage) {
                    let a = c as u32 * color[3] as u32 / 255;
                    for (o, &v) in px.iter_mut().zip(&color[..3]) {
                        *o = ((v as u32 * a + 127) / 255) as u8;
                    }
                    px[3] = a as u8;
                }
                let mark = reel_sdk::create_frame(PixelFormat::Rgba, w, h)?;
                mark.write_rows(0, 0, &pixels)?;
                Ok(mark)
            }
        }
    }
}

/// A PNG from the stage's assets, as premultiplied RGBA.
fn decode_logo(name: &str) -> Result<Source, StageError> {
    let data = reel_sdk::assets::read(name)?;
    let bad = |why: String| StageError::InvalidParam(format!("logo {name}: {why}"));
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_LOGO_PIXELS * 4 + (1 << 20));
    let mut reader =
        image::ImageReader::with_format(std::io::Cursor::new(&data), image::ImageFormat::Png);
    reader.limits(limits.clone());
    let (w, h) = reader
        .into_dimensions()
        .map_err(|e| bad(format!("not a PNG Reel can read ({e})")))?;
    if w as u64 * h as u64 > MAX_LOGO_PIXELS || w == 0 || h == 0 {
        return Err(bad(format!(
            "{w}x{h} is not a logo size (at most {MAX_LOGO_PIXELS} pixels)"
        )));
    }
    let mut reader =
        image::ImageReader::with_format(std::io::Cursor::new(&data), image::ImageFormat::Png);
    reader.limits(limits);
    let decoded = reader
        .decode()
        .map_err(|e| bad(format!("cannot decode it ({e})")))?;
    let mut pixels = decoded.to_rgba8().into_raw();
    for px in pixels.chunks_exact_mut(4) {
        let a = px[3] as u32;
        for c in &mut px[..3] {
            *c = ((*c as u32 * a + 127) / 255) as u8;
        }
    }
    Ok(Source::Logo {
        width: w,
        height: h,
        pixels,
    })
}
