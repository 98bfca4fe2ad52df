//! The host side of the `kernels` interface: native pixel kernels run on
//! frames the guest names by handle. Frames are checked by `FrameTable`
//! and `HostFrame`; tables (LUTs, palettes) live in the store's
//! `ResourceTable` (the component model hands the host only handles of the
//! right type, once each; the host checks the entry's type again before it
//! deletes one).

use reel_kernels::Lut3d;
use reel_kernels::toon::Palette;
use wasmtime::component::Resource;

use super::convert::{
    alpha, blend_mode, filter, frame_result, keyer, line_threshold, rect, rgba, wrap, xdog,
};
use super::reel::plugin::frames;
use super::reel::plugin::kernels::{self, Rgba};
use crate::frame::{FrameError, FrameHandle};
use crate::sandbox::StoreState;

/// Most tables (LUTs and palettes together) one guest may hold at once.
pub(crate) const MAX_TABLES: usize = 64;

/// What a guest's tables hold: counted for its memory cap and
/// [`MAX_TABLES`].
#[derive(Default)]
pub(crate) struct TableUse {
    pub(crate) count: usize,
    pub(crate) bytes: usize,
}

/// A table the host holds for a guest.
trait HeldTable: Send + 'static {
    fn byte_size(&self) -> usize;
}

impl HeldTable for Lut3d {
    fn byte_size(&self) -> usize {
        Lut3d::byte_size(self)
    }
}

impl HeldTable for Palette {
    fn byte_size(&self) -> usize {
        Palette::byte_size(self)
    }
}

type Res<T> = wasmtime::Result<Result<T, frames::FrameError>>;

/// The picture rows of a frame `height` tall that something `rows` tall
/// placed at row `y` covers (empty when it misses the frame): what a blend
/// or a fill can change, and so all an undo must save.
fn rows_covered(y: i64, rows: usize, height: usize) -> std::ops::Range<usize> {
    let start = y.clamp(0, height as i64) as usize;
    let end = y.saturating_add(rows as i64).clamp(0, height as i64) as usize;
    start..end.max(start)
}

impl StoreState {
    /// Takes `table` into the guest's keeping, if it fits its allowance;
    /// `what` names it in a refusal.
    fn hold<T: HeldTable>(&mut self, table: T, what: &str) -> Res<Resource<T>> {
        if self.tables.count >= MAX_TABLES {
            return Ok(frame_result(Err(FrameError::TooLarge(format!(
                "at most {MAX_TABLES} LUTs and palettes"
            )))));
        }
        let bytes = table.byte_size();
        if !self.memory.host_fits(bytes) {
            return Ok(frame_result(Err(FrameError::TooLarge(format!(
                "{what} does not fit the plugin's memory allowance"
            )))));
        }
        let handle = match self.table.push(table) {
            Ok(handle) => handle,
            Err(e) => {
                return Ok(frame_result(Err(FrameError::TooLarge(format!(
                    "no room for another resource: {e}"
                )))));
            }
        };
        self.tables.count += 1;
        self.tables.bytes += bytes;
        self.update_host_bytes();
        Ok(Ok(handle))
    }

    /// Lets go of a table the guest dropped.
    fn release<T: HeldTable>(&mut self, handle: Resource<T>) -> wasmtime::Result<()> {
        // `delete` removes an entry before it checks its type: look first.
        self.table.get(&handle)?;
        let table = self.table.delete(handle)?;
        self.tables.count = self.tables.count.saturating_sub(1);
        self.tables.bytes = self.tables.bytes.saturating_sub(table.byte_size());
        self.update_host_bytes();
        Ok(())
    }
}

impl kernels::HostLut3d for StoreState {
    fn from_table(&mut self, size: u32, table: Vec<f32>) -> Res<Resource<Lut3d>> {
        match Lut3d::new(size as usize, &table) {
            Ok(lut) => self.hold(lut, &format!("a LUT of size {size}")),
            Err(e) => Ok(frame_result(Err(e.into()))),
        }
    }

    fn drop(&mut self, lut: Resource<Lut3d>) -> wasmtime::Result<()> {
        self.release(lut)
    }
}

impl kernels::HostPalette for StoreState {
    fn from_colors(&mut self, colors: Vec<Rgba>) -> Res<Resource<Palette>> {
        let rgb: Vec<[u8; 3]> = colors.into_iter().map(|c| [c.r, c.g, c.b]).collect();
        match Palette::new(&rgb) {
            Ok(palette) => self.hold(palette, &format!("a palette of {} colours", rgb.len())),
            Err(e) => Ok(frame_result(Err(e.into()))),
        }
    }

    fn drop(&mut self, palette: Resource<Palette>) -> wasmtime::Result<()> {
        self.release(palette)
    }
}

impl kernels::Host for StoreState {
    fn convert(&mut self, src: Resource<FrameHandle>, dst: Resource<FrameHandle>) -> Res<()> {
        Ok(frame_result(
            self.frames
                .source_and_target(src.rep(), dst.rep())
                .and_then(|(s, d)| Ok(reel_kernels::convert(s, &mut d.image_mut_overwrite()?)?)),
        ))
    }

    fn scale(&mut self, src: Resource<FrameHandle>, dst: Resource<FrameHandle>) -> Res<()> {
        Ok(frame_result(
            self.frames
                .source_and_target(src.rep(), dst.rep())
                .and_then(|(s, d)| Ok(reel_kernels::scale(s, &mut d.image_mut_overwrite()?)?)),
        ))
    }

    fn resample(
        &mut self,
        src: Resource<FrameHandle>,
        area: kernels::Rect,
        dst: Resource<FrameHandle>,
        place: Option<kernels::Rect>,
        how: kernels::ScaleFilter,
    ) -> Res<()> {
        Ok(frame_result(
            self.frames
                .source_and_target(src.rep(), dst.rep())
                .and_then(|(s, d)| {
                    let place = place.map(rect);
                    // Only the place's rows change (and an undo saves only
                    // them); the whole frame is overwritten unread.
                    let mut image = match place {
                        Some(p) => {
                            d.image_mut_band(rows_covered(p.y, p.height, d.layout.height))?
                        }
                        None => d.image_mut_overwrite()?,
                    };
                    Ok(reel_kernels::resample(
                        s,
                        rect(area),
                        &mut image,
                        place,
                        filter(how),
                    )?)
                }),
        ))
    }

    fn blend(
        &mut self,
        dst: Resource<FrameHandle>,
        src: Resource<FrameHandle>,
        x: i32,
        y: i32,
        opacity: f32,
    ) -> Res<()> {
        self.blend_layer(
            dst,
            src,
            x,
            y,
            opacity,
            kernels::BlendMode::Over,
            kernels::AlphaKind::Premultiplied,
        )
    }

    /// `blend` is this in `over` with a premultiplied source (the kernel
    /// runs the same rows).
    fn blend_layer(
        &mut self,
        dst: Resource<FrameHandle>,
        src: Resource<FrameHandle>,
        x: i32,
        y: i32,
        opacity: f32,
        mode: kernels::BlendMode,
        kind: kernels::AlphaKind,
    ) -> Res<()> {
        Ok(frame_result(
            self.frames
                .source_and_target(src.rep(), dst.rep())
                .and_then(|(s, d)| {
                    let band = rows_covered(y as i64, s.layout.height, d.layout.height);
                    Ok(reel_kernels::blend_layer(
                        &mut d.image_mut_band(band)?,
                        s,
                        (x, y),
                        opacity,
                        blend_mode(mode),
                        alpha(kind),
                    )?)
                }),
        ))
    }

    fn fill_rect(
        &mut self,
        dst: Resource<FrameHandle>,
        area: kernels::Rect,
        color: Rgba,
    ) -> Res<()> {
        Ok(frame_result(self.frames.get_mut(dst.rep()).and_then(|d| {
            let area = rect(area);
            let band = rows_covered(area.y, area.height, d.layout.height);
            reel_kernels::fill_rect(&mut d.image_mut_band(band)?, area, rgba(color));
            Ok(())
        })))
    }

    fn chroma_key(
        &mut self,
        frame: Resource<FrameHandle>,
        key: Rgba,
        similarity: f32,
        smoothness: f32,
    ) -> Res<()> {
        Ok(frame_result(self.frames.get_mut(frame.rep()).and_then(
            |f| {
                let [r, g, b, _] = rgba(key);
                Ok(reel_kernels::chroma_key(
                    &mut f.image_mut()?,
                    [r, g, b],
                    similarity,
                    smoothness,
                )?)
            },
        )))
    }

    fn premultiply(&mut self, frame: Resource<FrameHandle>) -> Res<()> {
        Ok(frame_result(self.frames.get_mut(frame.rep()).and_then(
            |f| Ok(reel_kernels::premultiply(&mut f.image_mut()?)?),
        )))
    }

    fn apply_lut3d(
        &mut self,
        frame: Resource<FrameHandle>,
        lut: Resource<Lut3d>,
        strength: f32,
    ) -> Res<()> {
        let Ok(table) = self.table.get(&lut) else {
            return Ok(frame_result(Err(FrameError::OutOfBounds(
                "unknown LUT handle".into(),
            ))));
        };
        Ok(frame_result(self.frames.get_mut(frame.rep()).and_then(
            |f| {
                Ok(reel_kernels::apply_lut3d(
                    &mut f.image_mut()?,
                    table,
                    strength,
                )?)
            },
        )))
    }

    fn posterize(&mut self, frame: Resource<FrameHandle>, palette: Resource<Palette>) -> Res<()> {
        let Ok(palette) = self.table.get(&palette) else {
            return Ok(frame_result(Err(FrameError::OutOfBounds(
                "unknown palette handle".into(),
            ))));
        };
        Ok(frame_result(self.frames.get_mut(frame.rep()).and_then(
            |f| Ok(reel_kernels::toon::posterize(&mut f.image_mut()?, palette)?),
        )))
    }

    fn draw_lines(
        &mut self,
        frame: Resource<FrameHandle>,
        lines: kernels::Xdog,
        threshold: kernels::LineThreshold,
    ) -> Res<f32> {
        Ok(frame_result(self.frames.get_mut(frame.rep()).and_then(
            |f| {
                Ok(reel_kernels::toon::draw_lines(
                    &mut f.image_mut()?,
                    &xdog(lines),
                    line_threshold(threshold),
                )?)
            },
        )))
    }

    fn kuwahara(&mut self, frame: Resource<FrameHandle>, radius: f32, sharpness: f32) -> Res<()> {
        // Its working planes scale with the frame, which the guest chose:
        // they count against the guest's allowance for the call.
        let scratch = self
            .frames
            .get_mut(frame.rep())
            .map(|f| reel_kernels::kuwahara::scratch_bytes(&f.layout, radius))
            .unwrap_or(0);
        if !self.memory.host_fits(scratch) {
            return Ok(frame_result(Err(FrameError::TooLarge(format!(
                "kuwahara on this frame needs {scratch} bytes of working memory, beyond the plugin's memory allowance"
            )))));
        }
        Ok(frame_result(self.frames.get_mut(frame.rep()).and_then(
            |f| {
                Ok(reel_kernels::kuwahara::kuwahara(
                    &mut f.image_mut()?,
                    radius,
                    sharpness,
                )?)
            },
        )))
    }

    fn key_screen_into(
        &mut self,
        src: Resource<FrameHandle>,
        dst: Resource<FrameHandle>,
        settings: kernels::Keyer,
    ) -> Res<Rgba> {
        Ok(frame_result(
            self.frames
                .source_and_target(src.rep(), dst.rep())
                .and_then(|(s, d)| {
                    // Tracked, not overwritten unread: a key refused on
                    // the picture's content (no screen on the border)
                    // writes nothing, and the frame must not show what a
                    // pooled buffer held before.
                    let [r, g, b] =
                        reel_kernels::screen_key_into(s, &mut d.image_mut()?, &keyer(settings))?;
                    Ok(Rgba { r, g, b, a: 255 })
                }),
        ))
    }

    fn light_wrap(
        &mut self,
        layer: Resource<FrameHandle>,
        background: Resource<FrameHandle>,
        x: i32,
        y: i32,
        settings: kernels::Wrap,
    ) -> Res<()> {
        Ok(frame_result(
            self.frames
                .source_and_target(background.rep(), layer.rep())
                .and_then(|(bg, l)| {
                    Ok(reel_kernels::light_wrap(
                        &mut l.image_mut()?,
                        bg,
                        (x, y),
                        &wrap(settings),
                    )?)
                }),
        ))
    }

    fn key_screen(&mut self, frame: Resource<FrameHandle>, settings: kernels::Keyer) -> Res<Rgba> {
        // Its working rows (seven of the frame's width, in floats) are
        // small beside the frame the guest already pays for.
        Ok(frame_result(self.frames.get_mut(frame.rep()).and_then(
            |f| {
                let [r, g, b] = reel_kernels::screen_key(&mut f.image_mut()?, &keyer(settings))?;
                Ok(Rgba { r, g, b, a: 255 })
            },
        )))
    }
}
