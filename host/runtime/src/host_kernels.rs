//! The host side of the `frames` and `kernels` interfaces: what a guest's
//! calls on frame handles do. Every handle, plane, row range and size a
//! guest passes is checked before any pixel is touched.

use reel_kernels::{Lut3d, Rect};
use wasmtime::component::{Linker, Resource, WasmList};

use crate::bindings::frames::{self, FrameError, FrameInfo, PixelFormat};
use crate::bindings::kernels::{self, Rgba};
use crate::description::format_from_guest;
use crate::frame::{FrameHandle, HostFrame};
use crate::sandbox::StoreState;

/// Marker type naming the `lut3d` resource in the generated bindings.
pub struct LutHandle;

/// LUTs a guest uploaded, by handle.
#[derive(Default)]
pub struct LutTable {
    luts: Vec<Option<Lut3d>>,
}

/// Largest frame side a guest may create.
const MAX_SIDE: u32 = 16384;
const MAX_LUTS: usize = 64;

type Res<T> = wasmtime::Result<Result<T, FrameError>>;

fn layout_error(e: reel_kernels::LayoutError) -> FrameError {
    FrameError::Unsupported(e.0)
}

impl StoreState {
    /// Recounts what the host holds for the guest after a change.
    pub(crate) fn update_host_bytes(&mut self) {
        let luts: usize = self.luts.luts.iter().flatten().map(Lut3d::byte_size).sum();
        self.memory.host_bytes = self.frames.held_bytes() + luts;
    }
}

impl frames::HostFrame for StoreState {
    fn info(&mut self, frame: Resource<FrameHandle>) -> wasmtime::Result<FrameInfo> {
        // A revoked or unknown handle is the guest's bug, not a host
        // failure: describe it as an empty frame rather than trap.
        Ok(self.frames.get(frame.rep()).map_or_else(
            |_| FrameInfo {
                format: PixelFormat::Rgba,
                width: 0,
                height: 0,
                planes: Vec::new(),
                pts_ns: None,
                duration_ns: None,
            },
            HostFrame::info,
        ))
    }

    fn read_rows(
        &mut self,
        frame: Resource<FrameHandle>,
        plane: u32,
        first_row: u32,
        row_count: u32,
    ) -> Res<Vec<u8>> {
        Ok(self
            .frames
            .get_mut(frame.rep())
            .and_then(|f| f.read_rows(plane, first_row, row_count)))
    }

    fn write_rows(
        &mut self,
        frame: Resource<FrameHandle>,
        plane: u32,
        first_row: u32,
        data: Vec<u8>,
    ) -> Res<()> {
        Ok(self
            .frames
            .get_mut(frame.rep())
            .and_then(|f| f.write_rows(plane, first_row, &data)))
    }

    fn meta_get(
        &mut self,
        frame: Resource<FrameHandle>,
        key: String,
    ) -> wasmtime::Result<Option<String>> {
        Ok(self.frames.get(frame.rep()).ok().and_then(|f| {
            f.meta
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.clone())
        }))
    }

    fn meta_set(
        &mut self,
        frame: Resource<FrameHandle>,
        key: String,
        value: String,
    ) -> wasmtime::Result<()> {
        const MAX_ENTRIES: usize = 256;
        const MAX_BYTES: usize = 64 << 10;
        let memory = &mut self.memory;
        if let Ok(f) = self.frames.get_mut(frame.rep()) {
            let before = f.held_bytes();
            f.meta.retain(|(k, _)| *k != key);
            let used: usize = f.meta.iter().map(|(k, v)| k.len() + v.len()).sum();
            // Metadata beyond the limits is dropped rather than trapping:
            // it is advisory and must not become a memory bomb downstream.
            // On the guest's own frames it counts against its memory cap.
            let fits = f.meta.len() < MAX_ENTRIES
                && used + key.len() + value.len() <= MAX_BYTES
                && (f.pinned || memory.host_fits(key.len() + value.len() + 64));
            if fits {
                f.meta.push((key, value));
            }
            memory.host_bytes = (memory.host_bytes + f.held_bytes()).saturating_sub(before);
        }
        Ok(())
    }

    fn meta_list(
        &mut self,
        frame: Resource<FrameHandle>,
    ) -> wasmtime::Result<Vec<(String, String)>> {
        Ok(self
            .frames
            .get(frame.rep())
            .map(|f| f.meta.clone())
            .unwrap_or_default())
    }

    fn drop(&mut self, frame: Resource<FrameHandle>) -> wasmtime::Result<()> {
        self.frames.drop_from_guest(frame.rep());
        self.update_host_bytes();
        Ok(())
    }
}

/// The picture rows of a frame `height` tall that something `rows` tall
/// placed at row `y` covers (empty when it misses the frame): what a blend
/// or a fill can change, and so all an undo must save.
fn rows_covered(y: i64, rows: usize, height: usize) -> std::ops::Range<usize> {
    let start = y.clamp(0, height as i64) as usize;
    let end = y.saturating_add(rows as i64).clamp(0, height as i64) as usize;
    start..end.max(start)
}

/// Replaces the generated `write-rows` with one that copies straight from
/// the guest's memory into the frame. The generated one first copies the
/// guest's list into a host vector: that would be a second copy of every
/// row a plugin writes.
pub(crate) fn add_direct_write_rows(linker: &mut Linker<StoreState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let mut frames = linker.instance(&format!("reel:plugin/frames@{}", crate::CONTRACT_VERSION))?;
    frames.func_wrap(
        "[method]frame.write-rows",
        |mut store: wasmtime::StoreContextMut<'_, StoreState>,
         (frame, plane, first_row, data): (Resource<FrameHandle>, u32, u32, WasmList<u8>)| {
            let rep = frame.rep();
            let Some(mut host_frame) = store.data_mut().frames.take(rep) else {
                return Ok((Err(FrameError::OutOfBounds(
                    "this frame is no longer available to the plugin".into(),
                )),));
            };
            let result = host_frame.write_rows(plane, first_row, data.as_le_slice(&store));
            store.data_mut().frames.put_back(rep, host_frame);
            Ok((result,))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

impl frames::Host for StoreState {
    fn create(
        &mut self,
        format: PixelFormat,
        width: u32,
        height: u32,
    ) -> Res<Resource<FrameHandle>> {
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return Ok(Err(FrameError::Unsupported(format!(
                "frame size {width}x{height} (each side must be 1..={MAX_SIDE})"
            ))));
        }
        let format = format_from_guest(format);
        let needed =
            reel_kernels::Layout::packed(format, width as usize, height as usize).min_len();
        if !self.memory.host_fits(needed) {
            return Ok(Err(FrameError::TooLarge(format!(
                "a {width}x{height} {format} frame needs {needed} bytes; the plugin already uses {} (memory) + {} (frames and LUTs) of its {} allowed",
                self.memory.linear + self.memory.tables,
                self.memory.host_bytes,
                self.memory.bytes
            ))));
        }
        let frame = HostFrame::blank(format, width as usize, height as usize);
        let handle = self.frames.insert_for_guest(frame).map(Resource::new_own);
        self.update_host_bytes();
        Ok(handle)
    }
}

impl kernels::HostLut3d for StoreState {
    fn from_table(&mut self, size: u32, table: Vec<f32>) -> Res<Resource<LutHandle>> {
        let lut = match Lut3d::new(size as usize, &table) {
            Ok(lut) => lut,
            Err(e) => return Ok(Err(layout_error(e))),
        };
        if !self.memory.host_fits(lut.byte_size()) {
            return Ok(Err(FrameError::TooLarge(format!(
                "a LUT of size {size} does not fit the plugin's memory allowance"
            ))));
        }
        let luts = &mut self.luts.luts;
        let slot = match luts.iter().position(Option::is_none) {
            Some(i) => i,
            None if luts.len() < MAX_LUTS => {
                luts.push(None);
                luts.len() - 1
            }
            None => {
                return Ok(Err(FrameError::TooLarge(format!(
                    "at most {MAX_LUTS} LUTs"
                ))));
            }
        };
        luts[slot] = Some(lut);
        self.update_host_bytes();
        Ok(Ok(Resource::new_own(slot as u32)))
    }

    fn drop(&mut self, lut: Resource<LutHandle>) -> wasmtime::Result<()> {
        if let Some(slot) = self.luts.luts.get_mut(lut.rep() as usize) {
            *slot = None;
        }
        self.update_host_bytes();
        Ok(())
    }
}

impl kernels::Host for StoreState {
    fn convert(&mut self, src: Resource<FrameHandle>, dst: Resource<FrameHandle>) -> Res<()> {
        Ok(self
            .frames
            .source_and_target(src.rep(), dst.rep())
            .and_then(|(s, d)| {
                reel_kernels::convert(s, &mut d.image_mut_overwrite()?).map_err(layout_error)
            }))
    }

    fn scale(&mut self, src: Resource<FrameHandle>, dst: Resource<FrameHandle>) -> Res<()> {
        Ok(self
            .frames
            .source_and_target(src.rep(), dst.rep())
            .and_then(|(s, d)| {
                reel_kernels::scale(s, &mut d.image_mut_overwrite()?).map_err(layout_error)
            }))
    }

    fn blend(
        &mut self,
        dst: Resource<FrameHandle>,
        src: Resource<FrameHandle>,
        x: i32,
        y: i32,
        opacity: f32,
    ) -> Res<()> {
        Ok(self
            .frames
            .source_and_target(src.rep(), dst.rep())
            .and_then(|(s, d)| {
                let band = rows_covered(y as i64, s.layout.height, d.layout.height);
                reel_kernels::blend(&mut d.image_mut_band(band)?, s, x, y, opacity)
                    .map_err(layout_error)
            }))
    }

    fn fill_rect(
        &mut self,
        dst: Resource<FrameHandle>,
        area: kernels::Rect,
        color: Rgba,
    ) -> Res<()> {
        Ok(self.frames.get_mut(dst.rep()).and_then(|d| {
            let rect = Rect {
                x: area.x as i64,
                y: area.y as i64,
                width: area.width as usize,
                height: area.height as usize,
            };
            let band = rows_covered(rect.y, rect.height, d.layout.height);
            reel_kernels::fill_rect(
                &mut d.image_mut_band(band)?,
                rect,
                [color.r, color.g, color.b, color.a],
            );
            Ok(())
        }))
    }

    fn chroma_key(
        &mut self,
        frame: Resource<FrameHandle>,
        key: Rgba,
        similarity: f32,
        smoothness: f32,
    ) -> Res<()> {
        Ok(self.frames.get_mut(frame.rep()).and_then(|f| {
            reel_kernels::chroma_key(
                &mut f.image_mut()?,
                [key.r, key.g, key.b],
                similarity,
                smoothness,
            )
            .map_err(layout_error)
        }))
    }

    fn premultiply(&mut self, frame: Resource<FrameHandle>) -> Res<()> {
        Ok(self
            .frames
            .get_mut(frame.rep())
            .and_then(|f| reel_kernels::premultiply(&mut f.image_mut()?).map_err(layout_error)))
    }

    fn apply_lut3d(
        &mut self,
        frame: Resource<FrameHandle>,
        lut: Resource<LutHandle>,
        strength: f32,
    ) -> Res<()> {
        let Some(Some(table)) = self.luts.luts.get(lut.rep() as usize) else {
            return Ok(Err(FrameError::OutOfBounds("unknown LUT handle".into())));
        };
        Ok(self.frames.get_mut(frame.rep()).and_then(|f| {
            reel_kernels::apply_lut3d(&mut f.image_mut()?, table, strength).map_err(layout_error)
        }))
    }
}
