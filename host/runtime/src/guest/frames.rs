//! The host side of the `frames` interface: what a guest's calls on frame
//! handles do. Every handle, plane, row range and size a guest passes is
//! checked (by `FrameTable` and `HostFrame`) before any pixel is touched.

use wasmtime::component::{Linker, Resource, WasmList};

use super::convert::{empty_frame_info, format_from_guest, frame_info, frame_result};
use super::reel::plugin::frames::{self, FrameInfo, PixelFormat};
use crate::frame::{FrameError, FrameHandle, HostFrame};
use crate::sandbox::StoreState;

/// Largest frame side a guest may create.
const MAX_SIDE: u32 = 16384;
/// Most metadata entries, and bytes of them, on one frame.
const MAX_META_ENTRIES: usize = 256;
const MAX_META_BYTES: usize = 64 << 10;

type Res<T> = wasmtime::Result<Result<T, frames::FrameError>>;

impl frames::HostFrame for StoreState {
    fn info(&mut self, frame: Resource<FrameHandle>) -> wasmtime::Result<FrameInfo> {
        Ok(self
            .frames
            .get(frame.rep())
            .map_or_else(|_| empty_frame_info(), frame_info))
    }

    fn read_rows(
        &mut self,
        frame: Resource<FrameHandle>,
        plane: u32,
        first_row: u32,
        row_count: u32,
    ) -> Res<Vec<u8>> {
        Ok(frame_result(
            self.frames
                .get_mut(frame.rep())
                .and_then(|f| f.read_rows(plane, first_row, row_count)),
        ))
    }

    /// Replaced at link time by [`add_direct_write_rows`]; kept for the
    /// trait, and equivalent.
    fn write_rows(
        &mut self,
        frame: Resource<FrameHandle>,
        plane: u32,
        first_row: u32,
        data: Vec<u8>,
    ) -> Res<()> {
        Ok(frame_result(
            self.frames
                .get_mut(frame.rep())
                .and_then(|f| f.write_rows(plane, first_row, &data)),
        ))
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
        let memory = &mut self.memory;
        if let Ok(f) = self.frames.get_mut(frame.rep()) {
            let before = f.held_bytes();
            f.meta.retain(|(k, _)| *k != key);
            let used: usize = f.meta.iter().map(|(k, v)| k.len() + v.len()).sum();
            // Metadata beyond the limits is dropped rather than trapping:
            // it is advisory and must not become a memory bomb downstream.
            // On the guest's own frames it counts against its memory cap.
            let fits = f.meta.len() < MAX_META_ENTRIES
                && used + key.len() + value.len() <= MAX_META_BYTES
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

impl frames::Host for StoreState {
    fn create(
        &mut self,
        format: PixelFormat,
        width: u32,
        height: u32,
    ) -> Res<Resource<FrameHandle>> {
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return Ok(frame_result(Err(FrameError::Unsupported(format!(
                "frame size {width}x{height} (each side must be 1..={MAX_SIDE})"
            )))));
        }
        let format = format_from_guest(format);
        let needed =
            reel_kernels::Layout::packed(format, width as usize, height as usize).min_len();
        if !self.memory.host_fits(needed) {
            return Ok(frame_result(Err(FrameError::TooLarge(format!(
                "a {width}x{height} {format} frame needs {needed} bytes; the plugin already uses {} (memory) + {} (frames, LUTs and palettes) of its {} allowed",
                self.memory.linear + self.memory.tables,
                self.memory.host_bytes,
                self.memory.bytes
            )))));
        }
        let frame = HostFrame::blank(format, width as usize, height as usize);
        let handle = self.frames.insert_for_guest(frame).map(Resource::new_own);
        self.update_host_bytes();
        Ok(frame_result(handle))
    }
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
                return Ok((frame_result(Err(crate::frame::revoked())),));
            };
            let result = host_frame.write_rows(plane, first_row, data.as_le_slice(&store));
            store.data_mut().frames.put_back(rep, host_frame);
            Ok((frame_result(result),))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}
