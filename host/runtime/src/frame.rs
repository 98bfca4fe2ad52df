//! Frames the host owns and lends to guests by handle.
//!
//! A frame's pixels are either a GStreamer buffer mapped for the duration
//! of one call or a buffer the host allocated for the guest. Every access a
//! guest asks for is checked here against the frame's [`Layout`].

use reel_kernels::{Format, Image, ImageMut, Layout};

use crate::bindings::frames::{FrameError, FrameInfo, Plane};
use crate::description::format_to_guest;

/// Marker type naming the `frame` resource in the generated bindings; the
/// resource's `rep` is an index into [`FrameTable`].
pub struct FrameHandle;

/// Where a frame's bytes live.
pub enum Pixels {
    /// Allocated by the host for the guest (`frames.create`).
    Owned(Vec<u8>),
    /// A writable GStreamer buffer, mapped while the guest works on it.
    Buffer(gst::MappedBuffer<gst::buffer::Writable>),
    /// A GStreamer buffer the guest may read but not change (mixer inputs).
    ReadOnly(gst::MappedBuffer<gst::buffer::Readable>),
    /// The host took the frame back; the guest's handle reads as gone.
    Revoked,
}

/// One frame: its pixels, their layout, timing and metadata.
pub struct HostFrame {
    pub layout: Layout,
    pub pixels: Pixels,
    pub pts: Option<u64>,
    pub duration: Option<u64>,
    pub meta: Vec<(String, String)>,
    /// Lent to the guest for one call (a mixer input): read-only, and
    /// revoked afterwards.
    pub(crate) lent_by_host: bool,
    /// The frame a call is about (a filter's frame, a mixer's output): the
    /// guest cannot drop it, so the host always gets it back.
    pub(crate) pinned: bool,
    /// A copy of the pixels taken before the guest first changed them, so a
    /// failed call can hand on the frame as it came in.
    undo: Option<Vec<u8>>,
    /// The metadata as it came in, for the same reason.
    undo_meta: Option<Vec<(String, String)>>,
    keep_undo: bool,
}

impl std::fmt::Debug for HostFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostFrame")
            .field("format", &self.layout.format)
            .field("width", &self.layout.width)
            .field("height", &self.layout.height)
            .field("pts", &self.pts)
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}

impl HostFrame {
    pub fn new(layout: Layout, pixels: Pixels) -> Result<HostFrame, FrameError> {
        let frame = HostFrame {
            layout,
            pixels,
            pts: None,
            duration: None,
            meta: Vec::new(),
            lent_by_host: false,
            pinned: false,
            undo: None,
            undo_meta: None,
            keep_undo: false,
        };
        let len = frame.bytes().map_or(0, <[u8]>::len);
        frame
            .layout
            .check(len)
            .map_err(|e| FrameError::Unsupported(format!("frame layout: {e}")))?;
        Ok(frame)
    }

    /// A zeroed frame of `format`, tightly packed.
    pub fn blank(format: Format, width: usize, height: usize) -> HostFrame {
        let layout = Layout::packed(format, width, height);
        let data = vec![0u8; layout.min_len()];
        HostFrame::new(layout, Pixels::Owned(data)).expect("packed layout fits")
    }

    /// Remember the pixels before the first change, so [`Self::restore`]
    /// can undo what a failed call did.
    /// The metadata is saved at once (it is small, usually empty).
    pub fn keep_undo(&mut self, enable: bool) {
        self.keep_undo = enable;
        self.undo_meta = enable.then(|| self.meta.clone());
    }

    /// Puts back the pixels and metadata as they were before the guest
    /// changed them.
    pub fn restore(&mut self) {
        if let Some(undo) = self.undo.take()
            && let Ok(bytes) = self.bytes_mut_untracked()
        {
            bytes.copy_from_slice(&undo);
        }
        if let Some(meta) = self.undo_meta.take() {
            self.meta = meta;
        }
    }

    /// Forgets the saved copy (the call succeeded).
    pub fn commit(&mut self) {
        self.undo = None;
        self.undo_meta = None;
    }

    pub fn bytes(&self) -> Option<&[u8]> {
        match &self.pixels {
            Pixels::Owned(v) => Some(v),
            Pixels::Buffer(m) => Some(m.as_slice()),
            Pixels::ReadOnly(m) => Some(m.as_slice()),
            Pixels::Revoked => None,
        }
    }

    fn bytes_mut_untracked(&mut self) -> Result<&mut [u8], FrameError> {
        if self.lent_by_host {
            return Err(FrameError::ReadOnly("mixer inputs are read-only".into()));
        }
        match &mut self.pixels {
            Pixels::Owned(v) => Ok(v),
            Pixels::Buffer(m) => Ok(m.as_mut_slice()),
            Pixels::ReadOnly(_) => Err(FrameError::ReadOnly("this frame is read-only".into())),
            Pixels::Revoked => Err(revoked()),
        }
    }

    /// The bytes, for writing; the first write of a call saves an undo copy
    /// when the frame asked for one.
    pub fn bytes_mut(&mut self) -> Result<&mut [u8], FrameError> {
        if self.keep_undo && self.undo.is_none() {
            let copy = self.bytes().ok_or_else(revoked)?.to_vec();
            self.undo = Some(copy);
        }
        self.bytes_mut_untracked()
    }

    pub fn image(&self) -> Result<Image<'_>, FrameError> {
        let data = self.bytes().ok_or_else(revoked)?;
        Ok(Image {
            layout: &self.layout,
            data,
        })
    }

    pub fn image_mut(&mut self) -> Result<ImageMut<'_>, FrameError> {
        self.bytes_mut()?;
        let layout = &self.layout;
        let data = match &mut self.pixels {
            Pixels::Owned(v) => v.as_mut_slice(),
            Pixels::Buffer(m) => m.as_mut_slice(),
            Pixels::ReadOnly(_) | Pixels::Revoked => return Err(revoked()),
        };
        Ok(ImageMut { layout, data })
    }

    pub fn info(&self) -> FrameInfo {
        let l = &self.layout;
        FrameInfo {
            format: format_to_guest(l.format),
            width: l.width as u32,
            height: l.height as u32,
            planes: l
                .planes()
                .iter()
                .map(|p| Plane {
                    offset: p.offset as u32,
                    stride: p.stride as u32,
                    row_bytes: p.row_bytes as u32,
                    rows: p.rows as u32,
                })
                .collect(),
            pts_ns: self.pts,
            duration_ns: self.duration,
        }
    }

    /// Bytes of `row_count` packed rows of `plane` from `first_row`, after
    /// checking the range.
    fn row_span(
        &self,
        plane: u32,
        first_row: u32,
        row_count: u32,
    ) -> Result<(usize, usize, usize), FrameError> {
        let planes = self.layout.planes();
        let p = planes.get(plane as usize).ok_or_else(|| {
            FrameError::OutOfBounds(format!("plane {plane} (the frame has {})", planes.len()))
        })?;
        let (first, count) = (first_row as usize, row_count as usize);
        if first.checked_add(count).is_none_or(|end| end > p.rows) {
            return Err(FrameError::OutOfBounds(format!(
                "rows {first}..{} of plane {plane}, which has {} rows",
                first as u64 + count as u64,
                p.rows
            )));
        }
        Ok((plane as usize, first, count))
    }

    pub fn read_rows(
        &self,
        plane: u32,
        first_row: u32,
        row_count: u32,
    ) -> Result<Vec<u8>, FrameError> {
        let (plane, first, count) = self.row_span(plane, first_row, row_count)?;
        let image = self.image()?;
        let p = self.layout.plane(plane);
        if p.stride == p.row_bytes {
            // Contiguous rows: one copy.
            let start = self.layout.row_range(plane, first).start;
            return Ok(image.data[start..start + count * p.row_bytes].to_vec());
        }
        let mut out = Vec::with_capacity(count * p.row_bytes);
        for y in first..first + count {
            out.extend_from_slice(image.row(plane, y));
        }
        Ok(out)
    }

    pub fn write_rows(
        &mut self,
        plane: u32,
        first_row: u32,
        data: &[u8],
    ) -> Result<(), FrameError> {
        let row_bytes = self
            .layout
            .planes()
            .get(plane as usize)
            .map(|p| p.row_bytes)
            .ok_or_else(|| FrameError::OutOfBounds(format!("plane {plane}")))?;
        if row_bytes == 0 || !data.len().is_multiple_of(row_bytes) {
            return Err(FrameError::WrongSize(format!(
                "{} bytes is not a whole number of {row_bytes}-byte rows of plane {plane}",
                data.len()
            )));
        }
        let count = u32::try_from(data.len() / row_bytes)
            .map_err(|_| FrameError::WrongSize("too many rows".into()))?;
        let (plane, first, count) = self.row_span(plane, first_row, count)?;
        let mut image = self.image_mut()?;
        let p = *image.layout.plane(plane);
        if p.stride == p.row_bytes {
            let start = image.layout.row_range(plane, first).start;
            image.data[start..start + data.len()].copy_from_slice(data);
        } else {
            for (y, row) in (first..first + count).zip(data.chunks_exact(row_bytes)) {
                image.row_mut(plane, y).copy_from_slice(row);
            }
        }
        Ok(())
    }

    /// Bytes this frame holds for the guest, counted against its memory
    /// cap: pixels the host allocated for it and metadata. The frame a call
    /// is about is the host's own and costs the guest nothing.
    pub fn held_bytes(&self) -> usize {
        if self.pinned {
            return 0;
        }
        let pixels = match &self.pixels {
            Pixels::Owned(v) => v.len(),
            _ => 0,
        };
        pixels + self.meta_bytes()
    }

    /// What the metadata costs: its text and a fixed cost per entry.
    pub fn meta_bytes(&self) -> usize {
        self.meta
            .iter()
            .map(|(k, v)| k.len() + v.len() + META_ENTRY_BYTES)
            .sum()
    }

    /// Detaches the pixels, leaving the frame revoked.
    pub fn take_pixels(&mut self) -> Pixels {
        std::mem::replace(&mut self.pixels, Pixels::Revoked)
    }
}

fn revoked() -> FrameError {
    FrameError::OutOfBounds("this frame is no longer available to the plugin".into())
}

/// The frames a guest holds handles to. A handle's `rep` is a slot index;
/// slots are reused once the guest drops the handle.
///
/// The guest's own frames (those it created, and mixer inputs it kept after
/// they were revoked) are limited to [`MAX_FRAMES`]; the host's insertions
/// for a call never fail, and a call is refused before it starts when the
/// guest already holds its limit, so a hoarding guest cannot make the host
/// lose a frame.
#[derive(Default)]
pub struct FrameTable {
    slots: Vec<Option<HostFrame>>,
    free: Vec<u32>,
    occupied: usize,
}

/// Most frames one guest may hold at once.
pub const MAX_FRAMES: usize = 1024;
/// What one metadata entry costs beyond its text (two strings and a slot).
const META_ENTRY_BYTES: usize = 64;

impl FrameTable {
    /// A frame the host lends for a call: always fits.
    pub fn insert(&mut self, frame: HostFrame) -> u32 {
        self.occupied += 1;
        if let Some(rep) = self.free.pop() {
            self.slots[rep as usize] = Some(frame);
            return rep;
        }
        self.slots.push(Some(frame));
        // Bounded: guest frames by MAX_FRAMES, host frames by one call's.
        (self.slots.len() - 1) as u32
    }

    /// A frame the guest asked for: refused beyond [`MAX_FRAMES`].
    pub fn insert_for_guest(&mut self, frame: HostFrame) -> Result<u32, FrameError> {
        if self.occupied >= MAX_FRAMES {
            return Err(FrameError::TooLarge(format!(
                "a plugin may hold at most {MAX_FRAMES} frames"
            )));
        }
        Ok(self.insert(frame))
    }

    /// Frames held now.
    pub fn held(&self) -> usize {
        self.occupied
    }

    pub fn remove(&mut self, rep: u32) -> Option<HostFrame> {
        let frame = self.slots.get_mut(rep as usize)?.take()?;
        self.free.push(rep);
        self.occupied -= 1;
        Some(frame)
    }

    /// The guest dropped its handle: forget the frame, unless it is one
    /// the host is waiting to get back.
    pub fn drop_from_guest(&mut self, rep: u32) {
        if self.get(rep).is_ok_and(|f| !f.pinned) {
            self.remove(rep);
        }
    }

    /// Takes a frame out for a moment, keeping its slot (and handle)
    /// reserved until [`Self::put_back`].
    pub fn take(&mut self, rep: u32) -> Option<HostFrame> {
        self.slots.get_mut(rep as usize)?.take()
    }

    /// Returns a frame taken with [`Self::take`] to its slot.
    pub fn put_back(&mut self, rep: u32, frame: HostFrame) {
        if let Some(slot) = self.slots.get_mut(rep as usize) {
            *slot = Some(frame);
        }
    }

    pub fn get(&self, rep: u32) -> Result<&HostFrame, FrameError> {
        self.slots
            .get(rep as usize)
            .and_then(Option::as_ref)
            .ok_or_else(revoked)
    }

    pub fn get_mut(&mut self, rep: u32) -> Result<&mut HostFrame, FrameError> {
        self.slots
            .get_mut(rep as usize)
            .and_then(Option::as_mut)
            .ok_or_else(revoked)
    }

    /// One frame to read and a different one to write.
    pub fn pair(
        &mut self,
        read: u32,
        write: u32,
    ) -> Result<(&HostFrame, &mut HostFrame), FrameError> {
        if read == write {
            return Err(FrameError::Unsupported(
                "source and destination must be different frames".into(),
            ));
        }
        let (r, w) = (read as usize, write as usize);
        if r.max(w) >= self.slots.len() {
            return Err(revoked());
        }
        let (a, b) = if r < w {
            let (lo, hi) = self.slots.split_at_mut(w);
            (lo[r].as_ref(), hi[0].as_mut())
        } else {
            let (lo, hi) = self.slots.split_at_mut(r);
            (hi[0].as_ref(), lo[w].as_mut())
        };
        Ok((a.ok_or_else(revoked)?, b.ok_or_else(revoked)?))
    }

    /// Bytes held for the guest by all its frames.
    pub fn held_bytes(&self) -> usize {
        self.slots.iter().flatten().map(HostFrame::held_bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> HostFrame {
        let mut f = HostFrame::blank(Format::I420, 5, 3);
        f.keep_undo(true);
        f
    }

    #[test]
    fn rows_outside_the_plane_are_refused() {
        let f = frame();
        assert!(matches!(
            f.read_rows(3, 0, 1),
            Err(FrameError::OutOfBounds(_))
        ));
        assert!(matches!(
            f.read_rows(0, 2, 2),
            Err(FrameError::OutOfBounds(_))
        ));
        assert!(matches!(
            f.read_rows(0, u32::MAX, 2),
            Err(FrameError::OutOfBounds(_))
        ));
        assert_eq!(f.read_rows(1, 0, 2).unwrap().len(), 6);
    }

    #[test]
    fn partial_rows_are_refused_and_nothing_is_written() {
        let mut f = frame();
        assert!(matches!(
            f.write_rows(0, 0, &[1; 7]),
            Err(FrameError::WrongSize(_))
        ));
        assert!(matches!(
            f.write_rows(0, 2, &[1; 10]),
            Err(FrameError::OutOfBounds(_))
        ));
        assert!(f.bytes().unwrap().iter().all(|&b| b == 0));
    }

    #[test]
    fn restore_undoes_writes() {
        let mut f = frame();
        f.write_rows(0, 1, &[9; 5]).unwrap();
        assert_eq!(f.read_rows(0, 1, 1).unwrap(), vec![9; 5]);
        f.restore();
        assert_eq!(f.read_rows(0, 1, 1).unwrap(), vec![0; 5]);
    }

    #[test]
    fn handles_are_reused_and_pairs_must_differ() {
        let mut t = FrameTable::default();
        let a = t.insert(frame());
        let b = t.insert_for_guest(frame()).unwrap();
        assert!(t.pair(a, a).is_err());
        assert!(t.pair(a, b).is_ok());
        t.remove(a);
        assert!(t.get(a).is_err());
        assert_eq!(t.insert(frame()), a);
    }

    #[test]
    fn a_full_table_refuses_the_guest_never_the_host_and_pinned_frames_stay() {
        let mut t = FrameTable::default();
        for _ in 0..MAX_FRAMES {
            t.insert_for_guest(HostFrame::blank(Format::Rgba, 1, 1))
                .unwrap();
        }
        assert!(matches!(
            t.insert_for_guest(frame()),
            Err(FrameError::TooLarge(_))
        ));
        let mut host = frame();
        host.pinned = true;
        let rep = t.insert(host);
        t.drop_from_guest(rep);
        assert!(t.remove(rep).is_some(), "the host gets its frame back");
        assert_eq!(t.held(), MAX_FRAMES);
    }

    #[test]
    fn restore_undoes_metadata_too() {
        let mut f = frame();
        f.meta.push(("k".into(), "before".into()));
        f.keep_undo(true);
        f.meta.push(("forged".into(), "x".into()));
        f.restore();
        assert_eq!(f.meta, vec![("k".to_string(), "before".to_string())]);
    }
}
