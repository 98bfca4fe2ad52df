//! Where the pixels of a frame lie in memory.
//!
//! A [`Layout`] is checked once against the length of the buffer it
//! describes; after that every row access is in bounds, so the kernels can
//! index rows without re-checking what a guest or an upstream element said.

use std::fmt;

/// Pixel formats the kernels understand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Planar Y, U, V; chroma halved in both directions (rounded up).
    I420,
    /// Y plane then one interleaved UV plane; chroma halved both ways.
    Nv12,
    /// One plane, 4 bytes per pixel: R, G, B, A.
    Rgba,
}

impl Format {
    pub fn plane_count(self) -> usize {
        match self {
            Format::I420 => 3,
            Format::Nv12 => 2,
            Format::Rgba => 1,
        }
    }

    /// Bytes of pixels in one row of `plane`, and the number of rows, for a
    /// picture of `width` x `height`.
    pub fn plane_size(self, plane: usize, width: usize, height: usize) -> (usize, usize) {
        let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
        match (self, plane) {
            (Format::Rgba, _) => (width * 4, height),
            (_, 0) => (width, height),
            (Format::I420, _) => (cw, ch),
            (Format::Nv12, _) => (cw * 2, ch),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::I420 => "I420",
            Format::Nv12 => "NV12",
            Format::Rgba => "RGBA",
        })
    }
}

/// One plane: where it starts, how far apart its rows are, how many bytes
/// of each row are pixels, and how many rows it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PlaneLayout {
    pub offset: usize,
    pub stride: usize,
    pub row_bytes: usize,
    pub rows: usize,
}

impl PlaneLayout {
    /// One past the last byte this plane touches.
    fn end(&self) -> Option<usize> {
        if self.rows == 0 {
            return Some(self.offset);
        }
        (self.rows - 1)
            .checked_mul(self.stride)?
            .checked_add(self.row_bytes)?
            .checked_add(self.offset)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutError(pub String);

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LayoutError {}

/// The format, size and plane layout of a picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub format: Format,
    pub width: usize,
    pub height: usize,
    planes: [PlaneLayout; 3],
}

impl Layout {
    /// The tightly packed layout (stride = row bytes, planes back to back).
    pub fn packed(format: Format, width: usize, height: usize) -> Layout {
        let mut planes = [PlaneLayout::default(); 3];
        let mut offset = 0;
        for (index, plane) in planes.iter_mut().enumerate().take(format.plane_count()) {
            let (row_bytes, rows) = format.plane_size(index, width, height);
            *plane = PlaneLayout {
                offset,
                stride: row_bytes,
                row_bytes,
                rows,
            };
            offset += row_bytes * rows;
        }
        Layout {
            format,
            width,
            height,
            planes,
        }
    }

    /// A layout with explicit plane offsets and strides (as GStreamer gives
    /// them), checked against a buffer of `len` bytes: rows must fit the
    /// buffer, strides must hold a row, and planes must not overlap.
    pub fn with_strides(
        format: Format,
        width: usize,
        height: usize,
        offsets: &[usize],
        strides: &[usize],
        len: usize,
    ) -> Result<Layout, LayoutError> {
        let count = format.plane_count();
        if offsets.len() < count || strides.len() < count {
            return Err(LayoutError(format!(
                "{format} needs {count} planes, got {} offsets and {} strides",
                offsets.len(),
                strides.len()
            )));
        }
        let mut planes = [PlaneLayout::default(); 3];
        for index in 0..count {
            let (row_bytes, rows) = format.plane_size(index, width, height);
            planes[index] = PlaneLayout {
                offset: offsets[index],
                stride: strides[index],
                row_bytes,
                rows,
            };
        }
        let layout = Layout {
            format,
            width,
            height,
            planes,
        };
        layout.check(len)?;
        Ok(layout)
    }

    /// Checks that every row of every plane lies inside `len` bytes and
    /// that no two planes overlap.
    pub fn check(&self, len: usize) -> Result<(), LayoutError> {
        let mut spans = Vec::with_capacity(3);
        for (index, plane) in self.planes().iter().enumerate() {
            if plane.rows > 1 && plane.stride < plane.row_bytes {
                return Err(LayoutError(format!(
                    "plane {index}: stride {} is shorter than a row of {} bytes",
                    plane.stride, plane.row_bytes
                )));
            }
            let end = plane
                .end()
                .filter(|&end| end <= len)
                .ok_or_else(|| {
                    LayoutError(format!(
                        "plane {index} ({} rows of {} bytes, stride {}, offset {}) does not fit a buffer of {len} bytes",
                        plane.rows, plane.row_bytes, plane.stride, plane.offset
                    ))
                })?;
            spans.push((plane.offset, end, index));
        }
        spans.sort();
        for pair in spans.windows(2) {
            if pair[1].0 < pair[0].1 {
                return Err(LayoutError(format!(
                    "planes {} and {} overlap",
                    pair[0].2, pair[1].2
                )));
            }
        }
        Ok(())
    }

    /// The layout of the `width` x `height` part of this picture whose top
    /// left pixel is (x, y), over the same bytes (a crop, no copy). On YUV
    /// layouts the corner is moved up and left to even coordinates, the
    /// size growing to keep the far edges, so chroma samples stay whole.
    pub fn cropped(
        &self,
        x: usize,
        y: usize,
        width: usize,
        height: usize,
    ) -> Result<Layout, LayoutError> {
        let even = self.format != Format::Rgba;
        let (x0, y0) = if even { (x & !1, y & !1) } else { (x, y) };
        let (width, height) = (width + (x - x0), height + (y - y0));
        if width == 0
            || height == 0
            || x0.checked_add(width).is_none_or(|e| e > self.width)
            || y0.checked_add(height).is_none_or(|e| e > self.height)
        {
            return Err(LayoutError(format!(
                "a {width}x{height} area at ({x0}, {y0}) is not inside a {}x{} picture",
                self.width, self.height
            )));
        }
        let mut planes = self.planes;
        for (index, plane) in planes
            .iter_mut()
            .enumerate()
            .take(self.format.plane_count())
        {
            let (row_bytes, rows) = self.format.plane_size(index, width, height);
            // Bytes before the area in a row, and rows above it, in this plane.
            let (skip_bytes, skip_rows) = match (self.format, index) {
                (Format::Rgba, _) => (4 * x0, y0),
                (_, 0) => (x0, y0),
                (Format::I420, _) => (x0 / 2, y0 / 2),
                (Format::Nv12, _) => (x0, y0 / 2),
            };
            *plane = PlaneLayout {
                offset: plane.offset + skip_rows * plane.stride + skip_bytes,
                stride: plane.stride,
                row_bytes,
                rows,
            };
        }
        Ok(Layout {
            format: self.format,
            width,
            height,
            planes,
        })
    }

    pub fn planes(&self) -> &[PlaneLayout] {
        &self.planes[..self.format.plane_count()]
    }

    pub fn plane(&self, index: usize) -> &PlaneLayout {
        &self.planes()[index]
    }

    /// Bytes a packed buffer of this layout needs (the end of the last plane).
    pub fn min_len(&self) -> usize {
        self.planes()
            .iter()
            .filter_map(|p| p.end())
            .max()
            .unwrap_or(0)
    }

    /// Byte range of row `y` of `plane`.
    #[inline]
    pub fn row_range(&self, plane: usize, y: usize) -> std::ops::Range<usize> {
        let p = &self.planes[plane];
        let start = p.offset + y * p.stride;
        start..start + p.row_bytes
    }
}

/// A picture to read from.
#[derive(Clone, Copy)]
pub struct Image<'a> {
    pub layout: &'a Layout,
    pub data: &'a [u8],
}

/// A picture to write to.
pub struct ImageMut<'a> {
    pub layout: &'a Layout,
    pub data: &'a mut [u8],
}

impl<'a> Image<'a> {
    /// Pairs a layout with its buffer; fails if the layout does not fit.
    pub fn new(layout: &'a Layout, data: &'a [u8]) -> Result<Self, LayoutError> {
        layout.check(data.len())?;
        Ok(Image { layout, data })
    }

    #[inline]
    pub fn row(&self, plane: usize, y: usize) -> &'a [u8] {
        &self.data[self.layout.row_range(plane, y)]
    }
}

impl<'a> ImageMut<'a> {
    pub fn new(layout: &'a Layout, data: &'a mut [u8]) -> Result<Self, LayoutError> {
        layout.check(data.len())?;
        Ok(ImageMut { layout, data })
    }

    pub fn as_image(&self) -> Image<'_> {
        Image {
            layout: self.layout,
            data: self.data,
        }
    }

    #[inline]
    pub fn row(&self, plane: usize, y: usize) -> &[u8] {
        &self.data[self.layout.row_range(plane, y)]
    }

    #[inline]
    pub fn row_mut(&mut self, plane: usize, y: usize) -> &mut [u8] {
        &mut self.data[self.layout.row_range(plane, y)]
    }

    /// Mutable rows of two different planes at once (the layout was checked,
    /// so planes never overlap).
    pub fn rows_mut2(&mut self, a: (usize, usize), b: (usize, usize)) -> (&mut [u8], &mut [u8]) {
        let ra = self.layout.row_range(a.0, a.1);
        let rb = self.layout.row_range(b.0, b.1);
        assert!(ra.end <= rb.start || rb.end <= ra.start, "rows overlap");
        if ra.start < rb.start {
            let (lo, hi) = self.data.split_at_mut(rb.start);
            (&mut lo[ra], &mut hi[..rb.end - rb.start])
        } else {
            let (lo, hi) = self.data.split_at_mut(ra.start);
            (&mut hi[..ra.end - ra.start], &mut lo[rb])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_i420_odd_size_rounds_chroma_up() {
        let l = Layout::packed(Format::I420, 5, 3);
        assert_eq!(l.plane(0).row_bytes, 5);
        assert_eq!(l.plane(1).row_bytes, 3);
        assert_eq!(l.plane(1).rows, 2);
        assert_eq!(l.min_len(), 15 + 6 + 6);
    }

    #[test]
    fn layout_outside_buffer_is_refused() {
        let err = Layout::with_strides(Format::Rgba, 4, 4, &[0], &[16], 63).unwrap_err();
        assert!(err.0.contains("does not fit"), "{err}");
        assert!(Layout::with_strides(Format::Rgba, 4, 4, &[0], &[16], 64).is_ok());
    }

    #[test]
    fn overlapping_planes_are_refused() {
        let err = Layout::with_strides(Format::Nv12, 4, 4, &[0, 8], &[4, 4], 64).unwrap_err();
        assert!(err.0.contains("overlap"), "{err}");
    }

    #[test]
    fn short_stride_is_refused() {
        let err = Layout::with_strides(Format::Rgba, 4, 2, &[0], &[8], 64).unwrap_err();
        assert!(err.0.contains("stride"), "{err}");
    }

    #[test]
    fn huge_values_do_not_overflow() {
        let err = Layout::with_strides(Format::Rgba, 4, 4, &[usize::MAX - 2], &[usize::MAX], 64)
            .unwrap_err();
        assert!(err.0.contains("does not fit"));
    }
}
