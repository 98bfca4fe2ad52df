//! `watermark`: marks programme video.
//!
//! - `invisible`: a 64-bit payload (the asset ID) under a secret key,
//!   spread over luma and shaped by texture (`reel-watermark`), which
//!   survives re-encoding, rescaling, crops and frame-rate changes;
//!   `reel watermark detect` reads it back.
//! - `visible`: a logo (a PNG with alpha in the stage's assets, decoded
//!   here in the sandbox) or a line of text, in a corner.
//! - `both`: the visible mark over the invisible one.
//! - `detect`: live monitoring, the frames untouched: says when the mark
//!   of `key` appears, changes or goes (see `monitor.rs`).
//!
//! The key comes from the pipeline's `key_file` or `key_env`, which Reel
//! reads and hands over as the `key` parameter; it is never written in a
//! pipeline file, and nothing here ever repeats it.

mod monitor;
mod visible;

use monitor::Monitor;
use reel_sdk::{ParamBuilder, prelude::*};
use reel_watermark::{Embedder, Key, parse_payload};
use visible::Visible;

struct Watermark {
    invisible: Option<Invisible>,
    visible: Option<Visible>,
    monitor: Option<Monitor>,
}

/// The invisible mark: what it carries, and its pattern for the size of
/// frame last seen.
struct Invisible {
    key: Key,
    payload: u64,
    strength: f32,
    embedder: Option<Embedder>,
}

impl Plugin for Watermark {
    fn describe() -> Description {
        DescriptionBuilder::filter(
            "watermark",
            "Marks video: an invisible payload that survives re-encoding, and/or a visible logo or text",
        )
        .version(env!("CARGO_PKG_VERSION"))
        .formats(&[PixelFormat::I420, PixelFormat::Nv12])
        .param(
            ParamBuilder::text(
                "mode",
                "invisible",
                "invisible, visible, both; or detect: report when the mark of `key` appears or goes",
            )
            .choices(&["invisible", "visible", "both", "detect"]),
        )
        .param(ParamBuilder::text(
            "payload",
            "",
            "The invisible mark's 64-bit payload (an asset ID): a whole number, or hexadecimal after 0x",
        ))
        .param(ParamBuilder::text(
            "key",
            "",
            "The secret key (64 hexadecimal digits), filled by Reel from the stage's key_file or key_env; never written in a pipeline",
        ))
        .param(
            ParamBuilder::number("strength", 1.0, "The invisible mark's strength (lower: more invisible, less robust)")
                .range(0.1, 1.0),
        )
        .param(ParamBuilder::text("logo", "", "Visible: a PNG (with alpha) in the stage's assets"))
        .param(ParamBuilder::text("text", "", "Visible: a line of text (when there is no logo)"))
        .param(ParamBuilder::text(
            "font",
            "NotoSansSC-Bold.otf",
            "Visible text's font, in the stage's assets (Reel ships Noto Sans SC as the bundle `fonts`)",
        ))
        .param(ParamBuilder::text("color", "#ffffff", "Visible text's colour, #rrggbb"))
        .param(
            ParamBuilder::text("position", "bottom-right", "Where the visible mark sits").choices(&[
                "top-left",
                "top-right",
                "bottom-left",
                "bottom-right",
                "center",
            ]),
        )
        .param(
            ParamBuilder::number("margin", 0.03, "Visible: distance from the edges, a share of the frame's height")
                .range(0.0, 0.5),
        )
        .param(ParamBuilder::number("opacity", 0.5, "Visible: 0 transparent to 1 opaque").range(0.0, 1.0))
        .param(
            ParamBuilder::number("size", 0.1, "Visible: the mark's height, a share of the frame's height")
                .range(0.01, 1.0),
        )
        .build()
    }

    fn new(params: &Params) -> Result<Self, StageError> {
        let mode = params.text("mode");
        let invisible = match mode {
            "invisible" | "both" => Some(Invisible::new(params)?),
            _ => None,
        };
        let visible = match mode {
            "visible" | "both" => Some(Visible::new(params)?),
            _ => None,
        };
        let monitor = match mode {
            "detect" => Some(Monitor::new(&key(params)?)),
            _ => None,
        };
        Ok(Watermark {
            invisible,
            visible,
            monitor,
        })
    }

    fn filter(&mut self, frame: &Frame) -> Result<(), StageError> {
        if let Some(invisible) = &mut self.invisible {
            invisible.mark(frame)?;
        }
        if let Some(visible) = &mut self.visible {
            visible.draw(frame)?;
        }
        if let Some(monitor) = &mut self.monitor {
            monitor.watch(frame)?;
        }
        Ok(())
    }
}

impl Invisible {
    fn new(params: &Params) -> Result<Invisible, StageError> {
        let key = key(params)?;
        let payload = match params.text("payload") {
            "" => {
                return Err(StageError::InvalidParam(
                    "the invisible mark needs a payload (the asset ID, a 64-bit number)".into(),
                ));
            }
            text => parse_payload(text).map_err(StageError::InvalidParam)?,
        };
        Ok(Invisible {
            key,
            payload,
            strength: params.number("strength") as f32,
            embedder: None,
        })
    }

    fn mark(&mut self, frame: &Frame) -> Result<(), StageError> {
        let info = frame.info();
        let (w, h) = (info.width as usize, info.height as usize);
        if self.embedder.as_ref().map(Embedder::size) != Some((w, h)) {
            self.embedder = Some(Embedder::new(&self.key, self.payload, w, h, self.strength));
        }
        let embedder = self.embedder.as_mut().expect("made above");
        let mut luma = frame.read_rows(0, 0, info.height)?;
        let marked = embedder.embed(&mut luma, w);
        frame.write_rows(0, 0, &luma)?;
        frame.meta_set("watermark.strength", &format!("{:.2}", marked.strength));
        Ok(())
    }
}

/// The stage's key, which Reel fills from `key_file` or `key_env`.
fn key(params: &Params) -> Result<Key, StageError> {
    match params.text("key") {
        "" => Err(StageError::InvalidParam(
            "the invisible mark needs a key: give the stage key_file = \"...\" or key_env = \"...\"".into(),
        )),
        // The error never quotes the key.
        text => Key::parse(text).map_err(|e| StageError::InvalidParam(format!("key: {e}"))),
    }
}

export_plugin!(Watermark);
