//! Image sources: an `appsrc` fed with pictures that a sandboxed decoder
//! stage parses from the files, one per frame (a still decoded once and
//! repeated; a sequence looped when it has fewer files than frames).

use std::sync::Mutex;

use anyhow::{Result, anyhow};
use gst::prelude::*;
use reel_runtime::{Format, HostFrame, Stage, StageEvent};

use crate::plan::ImagePlan;

/// What the need-data callback works through.
struct Feed {
    stage: Stage,
    files: Vec<std::path::PathBuf>,
    info: gst_video::VideoInfo,
    rate: u64,
    frames: u64,
    next: u64,
    /// The last file's picture, so a still is decoded once.
    cached: Option<(usize, gst::Buffer)>,
    /// The largest picture the decoder may produce.
    max_size: (u32, u32),
}

fn video_format(f: Format) -> gst_video::VideoFormat {
    match f {
        Format::I420 => gst_video::VideoFormat::I420,
        Format::Nv12 => gst_video::VideoFormat::Nv12,
        Format::Rgba => gst_video::VideoFormat::Rgba,
    }
}

/// Copies a decoded picture into a buffer laid out as GStreamer expects.
fn to_buffer(frame: &HostFrame, info: &gst_video::VideoInfo) -> Result<gst::Buffer, String> {
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
    fn picture(&mut self, index: usize) -> Result<gst::Buffer, String> {
        if let Some((cached, buffer)) = &self.cached
            && *cached == index
        {
            return Ok(buffer.clone());
        }
        let file = &self.files[index];
        let bytes = reel_runtime::read_input_file(file)?;
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
    fn next_buffer(&mut self) -> Option<Result<gst::Buffer, String>> {
        if self.next >= self.frames {
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

pub fn image_source(id: &str, plan: &ImagePlan) -> Result<gst::Element> {
    let info = gst_video::VideoInfo::builder(
        video_format(plan.format),
        plan.width as u32,
        plan.height as u32,
    )
    .fps(gst::Fraction::new(plan.rate, 1))
    .build()
    .map_err(|e| anyhow!("{id}: {e}"))?;
    let caps = info.to_caps().map_err(|e| anyhow!("{id}: {e}"))?;
    let stage = Stage::new((*plan.decoder).clone())?;
    let feed = Mutex::new(Feed {
        stage,
        files: plan.files.clone(),
        info,
        rate: plan.rate as u64,
        frames: plan.frames,
        next: 0,
        cached: None,
        max_size: plan.max_size,
    });
    let stage_id = format!("{id}-decoder");
    let src = gst_app::AppSrc::builder()
        .name(format!("{id}-images"))
        .caps(&caps)
        .format(gst::Format::Time)
        .build();
    src.set_callbacks(
        gst_app::AppSrcCallbacks::builder()
            .need_data(move |src, _| {
                let (next, events) = {
                    let mut feed = feed.lock().unwrap_or_else(|e| e.into_inner());
                    (feed.next_buffer(), feed.stage.take_events())
                };
                // What the decoder printed goes where a stage's output goes
                // (its failures end the stream below).
                for event in events {
                    if let StageEvent::Output(line) = event {
                        let s = gst::Structure::builder("reel-stage-output")
                            .field("stage", &stage_id)
                            .field("line", line)
                            .build();
                        let _ =
                            src.post_message(gst::message::Element::builder(s).src(src).build());
                    }
                }
                match next {
                    Some(Ok(buffer)) => {
                        let _ = src.push_buffer(buffer);
                    }
                    Some(Err(message)) => {
                        gst::element_error!(src, gst::StreamError::Decode, ("{}", message));
                        let _ = src.end_of_stream();
                    }
                    None => {
                        let _ = src.end_of_stream();
                    }
                }
            })
            .build(),
    );
    Ok(src.upcast())
}
