//! Frames the host owns and lends to guests by handle.
//!
//! A frame's pixels are either a GStreamer buffer mapped for the duration
//! of one call or a buffer the host allocated for the guest. Every access a
//! guest asks for is checked here against the frame's [`Layout`].

use std::ops::Range;

use reel_kernels::{Format, Image, ImageMut, Layout};

/// Why a frame access was refused: the host's twin of the contract's
/// `frame-error` (converted at the boundary, in `guest::convert`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// A plane index or row range outside the frame.
    OutOfBounds(String),
    /// Data whose length does not match the rows it claims to fill.
    WrongSize(String),
    /// The frame may be read but not written.
    ReadOnly(String),
    /// A format, size or combination the host does not support.
    Unsupported(String),
    /// The stage's memory allowance would be exceeded.
    TooLarge(String),
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, message) = match self {
            FrameError::OutOfBounds(m) => ("out of bounds", m),
            FrameError::WrongSize(m) => ("wrong size", m),
            FrameError::ReadOnly(m) => ("read-only", m),
            FrameError::Unsupported(m) => ("unsupported", m),
            FrameError::TooLarge(m) => ("too large", m),
        };
        write!(f, "{what}: {message}")
    }
}

impl std::error::Error for FrameError {}

impl From<reel_kernels::LayoutError> for FrameError {
    fn from(e: reel_kernels::LayoutError) -> FrameError {
        FrameError::Unsupported(e.0)
    }
}

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
    /// When the frame plays on the pipeline's clock (GStreamer's running
    /// time, in nanoseconds): the time its sound is looked up by.
    pub running_time: Option<u64>,
    pub meta: Vec<(String, String)>,
    /// Lent to the guest for one call (a mixer input): read-only, and
    /// revoked afterwards.
    pub(crate) lent_by_host: bool,
    /// The frame a call is about (a filter's frame, a mixer's output): the
    /// guest cannot drop it, so the host always gets it back.
    pub(crate) pinned: bool,
    /// What the current call changed, saved before it changed it (when
    /// the stage hands on failed frames as they came in).
    undo: Option<Undo>,
    /// Per plane, the rows whose bytes are not the frame's yet: they read
    /// as zeros, and are zeroed only if something reads them or writes
    /// part of them. A mixer's output starts so: the plugin usually
    /// overwrites it whole, and zeroing it first would cost as much.
    unwritten: Option<Vec<Vec<bool>>>,
}

/// The rows a call wrote, as they were before, and the metadata as it
/// came in, so a failed call can hand on the frame unchanged. Only rows a
/// call writes are copied: a plugin drawing a band pays for the band, not
/// for the frame.
struct Undo {
    /// Saved rows, one after another.
    saved: Vec<u8>,
    /// Where each saved row belongs: its byte range in the frame.
    rows: Vec<Range<usize>>,
    /// Per plane, which rows are saved already.
    done: Vec<Vec<bool>>,
    meta: Vec<(String, String)>,
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
    pub fn new(layout: Layout, pixels: Pixels) -> crate::Result<HostFrame> {
        Self::checked(layout, pixels).map_err(crate::Error::Frame)
    }

    fn checked(layout: Layout, pixels: Pixels) -> Result<HostFrame, FrameError> {
        let frame = HostFrame {
            layout,
            pixels,
            pts: None,
            duration: None,
            running_time: None,
            meta: Vec::new(),
            lent_by_host: false,
            pinned: false,
            undo: None,
            unwritten: None,
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

    /// A frame over `data` whose old contents do not count: it reads as
    /// zeros, as [`Self::blank`] does, but nothing is zeroed unless read
    /// or partly written before [`Self::fill_unwritten`].
    pub fn unwritten(layout: Layout, data: Vec<u8>) -> crate::Result<HostFrame> {
        let mut frame = HostFrame::new(layout, Pixels::Owned(data))?;
        frame.unwritten = Some(
            frame
                .layout
                .planes()
                .iter()
                .map(|p| vec![true; p.rows])
                .collect(),
        );
        Ok(frame)
    }

    /// Zeroes the rows nothing wrote: the frame is then what a zeroed frame
    /// with the same writes would be.
    pub(crate) fn fill_unwritten(&mut self) {
        if self.unwritten.is_none() {
            return;
        }
        for plane in 0..self.layout.planes().len() {
            let rows = self.layout.plane(plane).rows;
            self.settle_rows(plane, 0..rows, false);
        }
        self.unwritten = None;
    }

    /// Before rows `rows` of `plane` are accessed: unwritten ones are
    /// zeroed, unless `overwrite` (they are about to be written whole and
    /// nothing will read them first); either way they count as written.
    fn settle_rows(&mut self, plane: usize, rows: Range<usize>, overwrite: bool) {
        let Some(unwritten) = self.unwritten.as_mut() else {
            return;
        };
        // An undo must save what the rows hold, which is zeros.
        let overwrite = overwrite && self.undo.is_none();
        let data: &mut [u8] = match &mut self.pixels {
            Pixels::Owned(v) => v,
            Pixels::Buffer(m) => m.as_mut_slice(),
            Pixels::ReadOnly(_) | Pixels::Revoked => return,
        };
        for y in rows {
            if std::mem::replace(&mut unwritten[plane][y], false) && !overwrite {
                data[self.layout.row_range(plane, y)].fill(0);
            }
        }
    }

    /// Every row of every plane, before the whole picture is accessed.
    fn settle_all(&mut self, overwrite: bool) {
        if self.unwritten.is_none() {
            return;
        }
        for plane in 0..self.layout.planes().len() {
            let rows = self.layout.plane(plane).rows;
            self.settle_rows(plane, 0..rows, overwrite);
        }
    }

    /// From now until [`Self::commit`] or [`Self::restore`], save what is
    /// about to change, so a restore can undo a failed call. The metadata
    /// is saved at once (it is small, usually empty).
    pub(crate) fn keep_undo(&mut self, enable: bool) {
        self.undo = enable.then(|| Undo {
            saved: Vec::new(),
            rows: Vec::new(),
            done: self.layout.planes().iter().map(|_| Vec::new()).collect(),
            meta: self.meta.clone(),
        });
    }

    /// Saves rows `rows` of `plane` that are not saved yet, when the frame
    /// keeps an undo. `rows` is within the plane (callers check first).
    fn save_rows(&mut self, plane: usize, rows: Range<usize>) {
        let (Some(undo), Some(data)) = (self.undo.as_mut(), bytes_of(&self.pixels)) else {
            return;
        };
        let p = self.layout.plane(plane);
        let done = &mut undo.done[plane];
        if done.len() < p.rows {
            done.resize(p.rows, false);
        }
        for y in rows {
            if !std::mem::replace(&mut done[y], true) {
                let range = self.layout.row_range(plane, y);
                undo.saved.extend_from_slice(&data[range.clone()]);
                undo.rows.push(range);
            }
        }
    }

    /// Saves every row (a kernel is about to write the whole frame).
    fn save_all(&mut self) {
        for plane in 0..self.layout.planes().len() {
            let rows = self.layout.plane(plane).rows;
            self.save_rows(plane, 0..rows);
        }
    }

    /// Saves the rows of every plane that picture rows `rows` cover (a
    /// chroma row covers two picture rows in 4:2:0).
    fn save_band(&mut self, rows: Range<usize>) {
        let height = self.layout.height.max(1);
        for plane in 0..self.layout.planes().len() {
            let plane_rows = self.layout.plane(plane).rows;
            let first = rows.start * plane_rows / height;
            let end = (rows.end * plane_rows).div_ceil(height).min(plane_rows);
            self.settle_rows(plane, first..end, false);
            self.save_rows(plane, first..end);
        }
    }

    /// Puts back the pixels and metadata as they were before the guest
    /// changed them.
    pub(crate) fn restore(&mut self) {
        let Some(undo) = self.undo.take() else {
            return;
        };
        if let Ok(bytes) = self.bytes_mut_untracked() {
            let mut at = 0;
            for range in &undo.rows {
                let len = range.len();
                bytes[range.clone()].copy_from_slice(&undo.saved[at..at + len]);
                at += len;
            }
        }
        self.meta = undo.meta;
    }

    /// Forgets what was saved (the call succeeded).
    pub(crate) fn commit(&mut self) {
        self.undo = None;
    }

    pub fn bytes(&self) -> Option<&[u8]> {
        bytes_of(&self.pixels)
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

    /// The picture, for a kernel that reads and may change all of it.
    pub(crate) fn image_mut(&mut self) -> Result<ImageMut<'_>, FrameError> {
        self.bytes_mut_untracked()?;
        self.settle_all(false);
        self.save_all();
        self.image_mut_untracked()
    }

    /// The picture, for a kernel that overwrites all of it unread.
    pub(crate) fn image_mut_overwrite(&mut self) -> Result<ImageMut<'_>, FrameError> {
        self.bytes_mut_untracked()?;
        self.settle_all(true);
        self.save_all();
        self.image_mut_untracked()
    }

    /// The picture, for a kernel that reads and changes picture rows
    /// `rows` only.
    pub(crate) fn image_mut_band(
        &mut self,
        rows: Range<usize>,
    ) -> Result<ImageMut<'_>, FrameError> {
        self.bytes_mut_untracked()?;
        self.save_band(rows);
        self.image_mut_untracked()
    }

    /// The picture, for reading it all (a kernel's source).
    pub(crate) fn image_for_reading(&mut self) -> Result<Image<'_>, FrameError> {
        self.settle_all(false);
        self.image_checked()
    }

    fn image_mut_untracked(&mut self) -> Result<ImageMut<'_>, FrameError> {
        let layout = &self.layout;
        let data = match &mut self.pixels {
            Pixels::Owned(v) => v.as_mut_slice(),
            Pixels::Buffer(m) => m.as_mut_slice(),
            Pixels::ReadOnly(_) | Pixels::Revoked => return Err(revoked()),
        };
        Ok(ImageMut { layout, data })
    }

    /// The picture, to read.
    pub fn image(&self) -> crate::Result<Image<'_>> {
        self.image_checked().map_err(crate::Error::Frame)
    }

    fn image_checked(&self) -> Result<Image<'_>, FrameError> {
        let data = self.bytes().ok_or_else(revoked)?;
        Ok(Image {
            layout: &self.layout,
            data,
        })
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

    pub(crate) fn read_rows(
        &mut self,
        plane: u32,
        first_row: u32,
        row_count: u32,
    ) -> Result<Vec<u8>, FrameError> {
        let (plane, first, count) = self.row_span(plane, first_row, row_count)?;
        self.settle_rows(plane, first..first + count, false);
        let image = self.image_checked()?;
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

    pub(crate) fn write_rows(
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
        self.bytes_mut_untracked()?;
        self.settle_rows(plane, first..first + count, true);
        self.save_rows(plane, first..first + count);
        let mut image = self.image_mut_untracked()?;
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
    pub(crate) fn held_bytes(&self) -> usize {
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
    pub(crate) fn meta_bytes(&self) -> usize {
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

fn bytes_of(pixels: &Pixels) -> Option<&[u8]> {
    match pixels {
        Pixels::Owned(v) => Some(v),
        Pixels::Buffer(m) => Some(m.as_slice()),
        Pixels::ReadOnly(m) => Some(m.as_slice()),
        Pixels::Revoked => None,
    }
}

pub(crate) fn revoked() -> FrameError {
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

    /// One frame to read whole (a kernel's source) and a different one to
    /// write.
    pub fn source_and_target(
        &mut self,
        read: u32,
        write: u32,
    ) -> Result<(Image<'_>, &mut HostFrame), FrameError> {
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
            (lo[r].as_mut(), hi[0].as_mut())
        } else {
            let (lo, hi) = self.slots.split_at_mut(r);
            (hi[0].as_mut(), lo[w].as_mut())
        };
        let (a, b) = (a.ok_or_else(revoked)?, b.ok_or_else(revoked)?);
        Ok((a.image_for_reading()?, b))
    }

    /// Bytes held for the guest by all its frames.
    pub(crate) fn held_bytes(&self) -> usize {
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
        let mut f = frame();
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

    /// Only the rows a call writes are saved, and restore puts back each
    /// of them, whatever order they were written in.
    #[test]
    fn undo_saves_only_the_rows_written() {
        let mut f = HostFrame::blank(Format::I420, 64, 48);
        let before: Vec<u8> = (0..f.bytes().unwrap().len())
            .map(|i| (i % 253) as u8)
            .collect();
        f.bytes_mut_untracked().unwrap().copy_from_slice(&before);
        f.keep_undo(true);
        f.write_rows(0, 10, &[7; 64 * 3]).unwrap();
        f.write_rows(0, 9, &[8; 64 * 2]).unwrap();
        f.write_rows(2, 4, &[9; 32]).unwrap();
        let undo = f.undo.as_ref().unwrap();
        // Rows 9..13 of luma once each, one chroma row: not the frame.
        assert_eq!(undo.saved.len(), 4 * 64 + 32);
        f.restore();
        assert_eq!(f.bytes().unwrap(), &before[..]);
    }

    /// A frame whose rows start unwritten reads and ends as a zeroed one
    /// would, whatever its bytes held.
    #[test]
    fn unwritten_rows_read_as_zeros() {
        let layout = Layout::packed(Format::I420, 8, 4);
        let stale = vec![0xAB; layout.min_len()];
        let mut f = HostFrame::unwritten(layout, stale).unwrap();
        f.write_rows(0, 1, &[7; 8]).unwrap();
        assert_eq!(f.read_rows(0, 0, 1).unwrap(), vec![0; 8]);
        f.fill_unwritten();
        let mut zeroed = HostFrame::blank(Format::I420, 8, 4);
        zeroed.write_rows(0, 1, &[7; 8]).unwrap();
        assert_eq!(f.bytes(), zeroed.bytes());
    }

    /// A band on the picture saves the luma rows and the chroma rows that
    /// cover them.
    #[test]
    fn a_band_saves_its_rows_in_every_plane() {
        let mut f = HostFrame::blank(Format::I420, 64, 48);
        f.keep_undo(true);
        f.image_mut_band(5..9).unwrap();
        let undo = f.undo.as_ref().unwrap();
        // Luma rows 5..9 (4 of 64), chroma rows 2..5 (3 of 32) twice.
        assert_eq!(undo.saved.len(), 4 * 64 + 2 * 3 * 32);
    }

    #[test]
    fn handles_are_reused_and_pairs_must_differ() {
        let mut t = FrameTable::default();
        let a = t.insert(frame());
        let b = t.insert_for_guest(frame()).unwrap();
        assert!(t.source_and_target(a, a).is_err());
        assert!(t.source_and_target(a, b).is_ok());
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
