//! Text as pixels: shaped by rustybuzz (HarfBuzz's shaping in Rust:
//! kerning, ligatures, CJK), broken into lines at the places Unicode's
//! line-breaking rules allow (UAX #14), and rasterised with anti-aliasing
//! from the glyph outlines (ab_glyph_rasterizer). Runs when a text
//! changes, never per frame.

use ab_glyph_rasterizer::{Rasterizer, point};
use rustybuzz::ttf_parser::{GlyphId, OutlineBuilder};
use rustybuzz::{Face, UnicodeBuffer};
use unicode_linebreak::{BreakOpportunity, linebreaks};

/// A font file read from the stage's assets.
pub struct Font {
    data: Vec<u8>,
}

impl Font {
    pub fn from_bytes(data: Vec<u8>) -> Result<Font, String> {
        Face::from_slice(&data, 0).ok_or("not a font Reel can read")?;
        Ok(Font { data })
    }

    fn face(&self) -> Face<'_> {
        Face::from_slice(&self.data, 0).expect("checked when read")
    }
}

/// One line, shaped: its glyphs with their pen positions (font units).
struct Shaped {
    glyphs: Vec<(GlyphId, f32, f32)>,
    advance: f32,
}

fn shape(face: &Face<'_>, text: &str) -> Result<Shaped, String> {
    let mut buffer = UnicodeBuffer::new();
    buffer.push_str(text);
    let output = rustybuzz::shape(face, &[], buffer);
    let mut pen = 0.0;
    let mut glyphs = Vec::with_capacity(output.len());
    for (info, pos) in output.glyph_infos().iter().zip(output.glyph_positions()) {
        if info.glyph_id == 0 {
            // Never draw a missing-glyph box: say which character.
            let c = text[info.cluster as usize..].chars().next().unwrap_or('?');
            return Err(format!(
                "the font has no glyph for `{c}` (U+{:04X})",
                c as u32
            ));
        }
        glyphs.push((
            GlyphId(info.glyph_id as u16),
            pen + pos.x_offset as f32,
            pos.y_offset as f32,
        ));
        pen += pos.x_advance as f32;
    }
    Ok(Shaped {
        glyphs,
        advance: pen,
    })
}

/// A block of text: its lines' coverage, ready to colour.
pub struct TextBlock {
    pub width: usize,
    pub height: usize,
    /// Coverage 0..=255 per pixel, row after row.
    pub coverage: Vec<u8>,
    pub lines: usize,
    pub glyphs: usize,
}

/// `text` at `size` pixels, broken into lines no wider than `max_width`
/// (a word or a run wider than that stays whole on its own line).
pub fn render(font: &Font, text: &str, size: f32, max_width: f32) -> Result<TextBlock, String> {
    let lines = lines(font, text, size, max_width)?;
    let face = font.face();
    draw_lines(&face, &lines, size / face.units_per_em() as f32)
}

/// The lines `text` breaks into at `size` pixels within `max_width`.
pub fn lines(font: &Font, text: &str, size: f32, max_width: f32) -> Result<Vec<String>, String> {
    let face = font.face();
    wrap(&face, text, size / face.units_per_em() as f32, max_width)
}

fn draw_lines(face: &Face<'_>, lines: &[String], scale: f32) -> Result<TextBlock, String> {
    let ascender = face.ascender() as f32 * scale;
    let line_height = (face.ascender() - face.descender() + face.line_gap()) as f32 * scale;
    let shaped: Vec<Shaped> = lines
        .iter()
        .map(|l| shape(face, l))
        .collect::<Result<_, _>>()?;
    let width = shaped
        .iter()
        .map(|s| (s.advance * scale).ceil() as usize + 2)
        .max()
        .unwrap_or(1);
    let height = (line_height * lines.len().max(1) as f32).ceil() as usize + 2;
    let mut raster = Rasterizer::new(width, height);
    let mut glyphs = 0;
    for (index, line) in shaped.iter().enumerate() {
        let baseline = 1.0 + ascender + index as f32 * line_height;
        for &(id, x, y) in &line.glyphs {
            let mut pen = Pen {
                raster: &mut raster,
                origin: (1.0 + x * scale, baseline - y * scale),
                scale,
                start: (0.0, 0.0),
                last: (0.0, 0.0),
            };
            face.outline_glyph(id, &mut pen);
            glyphs += 1;
        }
    }
    let mut coverage = vec![0u8; width * height];
    raster.for_each_pixel(|i, a| coverage[i] = (a.clamp(0.0, 1.0) * 255.0).round() as u8);
    Ok(TextBlock {
        width,
        height,
        coverage,
        lines: lines.len(),
        glyphs,
    })
}

/// The lines of `text`: greedy, breaking only where UAX #14 allows (between
/// words; between most CJK characters, never before closing punctuation),
/// and always at a line feed.
fn wrap(face: &Face<'_>, text: &str, scale: f32, max_width: f32) -> Result<Vec<String>, String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut start = 0;
    for (end, opportunity) in linebreaks(text) {
        let segment = &text[start..end];
        start = end;
        let candidate = format!("{line}{segment}");
        let fits = shape(face, candidate.trim_end())?.advance * scale <= max_width;
        if fits || line.is_empty() {
            line = candidate;
        } else {
            lines.push(line.trim_end().to_string());
            line = segment.to_string();
        }
        if opportunity == BreakOpportunity::Mandatory {
            lines.push(line.trim_end().to_string());
            line.clear();
        }
    }
    if !line.trim_end().is_empty() {
        lines.push(line.trim_end().to_string());
    }
    // A trailing mandatory break (end of text) leaves an empty last line.
    while lines.len() > 1 && lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    Ok(lines)
}

/// Draws a glyph outline (font units, y up) into the rasteriser (pixels,
/// y down) at `origin`.
struct Pen<'a> {
    raster: &'a mut Rasterizer,
    origin: (f32, f32),
    scale: f32,
    start: (f32, f32),
    last: (f32, f32),
}

impl Pen<'_> {
    fn at(&self, x: f32, y: f32) -> ab_glyph_rasterizer::Point {
        point(
            self.origin.0 + x * self.scale,
            self.origin.1 - y * self.scale,
        )
    }
}

impl OutlineBuilder for Pen<'_> {
    fn move_to(&mut self, x: f32, y: f32) {
        self.start = (x, y);
        self.last = (x, y);
    }

    fn line_to(&mut self, x: f32, y: f32) {
        let (p0, p1) = (self.at(self.last.0, self.last.1), self.at(x, y));
        self.raster.draw_line(p0, p1);
        self.last = (x, y);
    }

    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let p0 = self.at(self.last.0, self.last.1);
        self.raster.draw_quad(p0, self.at(x1, y1), self.at(x, y));
        self.last = (x, y);
    }

    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let p0 = self.at(self.last.0, self.last.1);
        self.raster
            .draw_cubic(p0, self.at(x1, y1), self.at(x2, y2), self.at(x, y));
        self.last = (x, y);
    }

    fn close(&mut self) {
        if self.last != self.start {
            self.line_to(self.start.0, self.start.1);
        }
    }
}

/// Coverage of a rectangle with rounded corners, `radius` pixels.
pub fn rounded_box(width: usize, height: usize, radius: f32) -> Vec<u8> {
    let (w, h) = (width as f32, height as f32);
    let r = radius.clamp(0.0, w.min(h) / 2.0);
    let mut raster = Rasterizer::new(width, height);
    // Clockwise: top edge, top-right corner, right edge... each corner a
    // quadratic through the box's corner point.
    let path = [
        ((r, 0.0), (w - r, 0.0), None),
        ((w - r, 0.0), (w, r), Some((w, 0.0))),
        ((w, r), (w, h - r), None),
        ((w, h - r), (w - r, h), Some((w, h))),
        ((w - r, h), (r, h), None),
        ((r, h), (0.0, h - r), Some((0.0, h))),
        ((0.0, h - r), (0.0, r), None),
        ((0.0, r), (r, 0.0), Some((0.0, 0.0))),
    ];
    for (from, to, control) in path {
        let (a, b) = (point(from.0, from.1), point(to.0, to.1));
        match control {
            Some(c) if r > 0.0 => raster.draw_quad(a, point(c.0, c.1), b),
            _ => raster.draw_line(a, b),
        }
    }
    let mut coverage = vec![0u8; width * height];
    raster.for_each_pixel(|i, a| coverage[i] = (a.clamp(0.0, 1.0) * 255.0).round() as u8);
    coverage
}
