//! The pictures of an image source: a sandboxed decoder stage parses them
//! from the files, one per frame (a still decoded once and repeated; a
//! sequence looped when it has fewer files than frames).

use reel_runtime::{Format, HostFrame, Stage};

/// The files, the decoder, and how far the source has got.
pub struct Feed {
    pub stage: Stage,
    pub files: Vec<std::path::PathBuf>,
    pub info: gst_video::VideoInfo,
    pub rate: u64,
    /// Frames to play; None: a still forever, a sequence once.
    pub frames: Option<u64>,
    pub next: u64,
    /// The last file's picture, so a still is decoded once.
    pub cached: Option<(usize, gst::Buffer)>,
    /// The largest picture the decoder may produce.
    pub max_size: (u32, u32),
}

pub fn video_format(f: Format) -> gst_video::VideoFormat {
    match f {
        Format::I420 => gst_video::VideoFormat::I420,
        Format::Nv12 => gst_video::VideoFormat::Nv12,
        Format::Rgba => gst_video::VideoFormat::Rgba,
    }
}

/// Copies a decoded picture into a buffer laid out as GStreamer expects.
pub fn to_buffer(frame: &HostFrame, info: &gst_video::VideoInfo) -> Result<gst::Buffer, String> {
    let l = &frame.layout;
    if (l.width, l.height) != (info.width() as usize, info.height() as usize)
        || video_format(l.format) != info.format()
    {
        return Err(format!(
            "picture is {}x{} {}, but the sequence started as {}x{} {:?}",
            l.width,
            l.height,
            l.format,
            info.width(),
            info.height(),
            info.format()
        ));
    }
    let image = frame.image().map_err(|e| format!("{e:?}"))?;
    let mut buffer = gst::Buffer::with_size(info.size()).map_err(|e| e.to_string())?;
    {
        let mut map = buffer
            .get_mut()
            .expect("new buffer")
            .map_writable()
            .map_err(|e| e.to_string())?;
        for (plane, p) in l.planes().iter().enumerate() {
            let (offset, stride) = (info.offset()[plane], info.stride()[plane] as usize);
            for y in 0..p.rows {
                map[offset + y * stride..][..p.row_bytes].copy_from_slice(image.row(plane, y));
            }
        }
    }
    Ok(buffer)
}

impl Feed {
    pub fn picture(&mut self, index: usize) -> Result<gst::Buffer, String> {
        if let Some((cached, buffer)) = &self.cached
            && *cached == index
        {
            return Ok(buffer.clone());
        }
        let file = &self.files[index];
        let bytes = reel_runtime::read_input_file(file).map_err(|e| e.to_string())?;
        let frames = self
            .stage
            .decode(&bytes, self.max_size)
            .map_err(|e| format!("{}: {e}", file.display()))?;
        let frame = frames
            .first()
            .ok_or_else(|| format!("{}: the decoder returned no picture", file.display()))?;
        let buffer =
            to_buffer(frame, &self.info).map_err(|e| format!("{}: {e}", file.display()))?;
        self.cached = Some((index, buffer.clone()));
        Ok(buffer)
    }

    /// The next frame, or None at the end.
    pub fn next_buffer(&mut self) -> Option<Result<gst::Buffer, String>> {
        let frames = self.frames.unwrap_or(match self.files.len() {
            1 => u64::MAX,
            n => n as u64,
        });
        if self.next >= frames {
            return None;
        }
        let n = self.next;
        self.next += 1;
        let index = (n % self.files.len() as u64) as usize;
        Some(self.picture(index).map(|mut buffer| {
            let b = buffer.make_mut();
            b.set_pts(gst::ClockTime::from_nseconds(n * 1_000_000_000 / self.rate));
            b.set_duration(gst::ClockTime::from_nseconds(1_000_000_000 / self.rate));
            buffer
        }))
    }
}
