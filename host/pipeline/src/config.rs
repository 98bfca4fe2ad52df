//! The TOML pipeline file as written, with the position of every value so
//! errors can point at it.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

pub type Text = Spanned<String>;
/// A table of parameters or properties, keys and values with positions.
pub type SpannedTable = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineFile {
    #[serde(default)]
    pub pipeline: Option<Spanned<PipelineSection>>,
    #[serde(default)]
    pub source: Vec<Spanned<SourceDef>>,
    #[serde(default)]
    pub stage: Vec<Spanned<StageDef>>,
    #[serde(default)]
    pub sink: Vec<Spanned<SinkDef>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSection {
    pub name: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceDef {
    pub id: Text,
    /// A URI GStreamer can open (`file:///...`, `http://...`).
    pub uri: Option<Text>,
    /// A local file, relative to the pipeline file.
    pub file: Option<Text>,
    /// Generated test pictures and tone.
    pub testsrc: Option<Spanned<TestSource>>,
    /// A still or a numbered image sequence, decoded in the sandbox.
    pub images: Option<Spanned<ImageSource>>,
    /// A file's or URI's sound tracks to keep: `"all"` (the default),
    /// `"none"`, or track numbers from 1 in the order wanted (`[2, 1]`).
    pub audio_tracks: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSource {
    /// One still (`logo.png`) or a numbered sequence (`walk_%03d.png`),
    /// relative to the pipeline file.
    pub file: Text,
    /// The decoder plugin (default `imagedec`).
    pub decoder: Option<Text>,
    /// Frames per second (default 25).
    pub rate: Option<Spanned<i64>>,
    /// How long to play. A still is shown that long (default: as long as
    /// the longest other source, else 5 s); a sequence loops to fill it
    /// (default: it plays once).
    pub seconds: Option<Spanned<f64>>,
    /// The largest picture the decoder may produce, `WIDTHxHEIGHT`
    /// (default 4096x4096; at most 16384 a side).
    pub max_size: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestSource {
    /// A `videotestsrc` pattern name (default `smpte`).
    pub pattern: Option<Text>,
    /// `WIDTHxHEIGHT` (default `1280x720`).
    pub size: Option<Text>,
    /// Frames per second (default 30).
    pub rate: Option<Spanned<i64>>,
    /// Length in seconds (default 5).
    pub seconds: Option<Spanned<f64>>,
    /// Whether a 440 Hz tone comes along (default true).
    pub audio: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageDef {
    pub id: Text,
    /// A plugin name on the search path, or a path to a `.wasm` file.
    pub plugin: Option<Text>,
    /// A native GStreamer element factory name.
    pub element: Option<Text>,
    pub input: Option<Text>,
    pub inputs: Option<Spanned<Vec<Text>>>,
    pub params: Option<Spanned<SpannedTable>>,
    pub properties: Option<Spanned<SpannedTable>>,
    pub on_error: Option<Text>,
    pub max_failures: Option<Spanned<i64>>,
    /// Live pipelines: wall-clock time per frame.
    pub deadline_ms: Option<Spanned<i64>>,
    /// File jobs: the plugin's CPU time per frame before it is taken for hung.
    pub hang_guard_ms: Option<Spanned<i64>>,
    pub memory_mb: Option<Spanned<i64>>,
    /// A directory the plugin may read, relative to the pipeline file.
    pub assets: Option<Text>,
    /// A file holding the stage's secret key (relative to the pipeline
    /// file), handed to the plugin as its `key` parameter; or the
    /// environment variable that holds it. A key is never written in the
    /// pipeline file itself.
    pub key_file: Option<Text>,
    pub key_env: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkDef {
    pub input: Text,
    /// An output file (`.mp4`, `.mkv` or `.mov`), relative to the pipeline file.
    pub file: Option<Text>,
    /// Show the video in a window.
    pub display: Option<Spanned<bool>>,
    /// Discard the output (for measuring).
    pub null: Option<Spanned<bool>>,
    pub video: Option<Spanned<VideoEncoding>>,
    pub audio: Option<Spanned<AudioEncoding>>,
    /// Content Credentials (C2PA) signed into the finished file.
    pub credentials: Option<Spanned<CredentialsDef>>,
}

/// A C2PA manifest for a file sink, signed with the asset registry's key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialsDef {
    /// The registry's signing key (what `reel asset keygen` wrote),
    /// relative to the pipeline file; or the environment variable that
    /// holds it.
    pub signing_key_file: Option<Text>,
    pub signing_key_env: Option<Text>,
    /// Who owns the asset (named in the signing certificate too).
    pub owner: Text,
    /// The asset ID; by default the payload of the invisible watermark
    /// that feeds the sink.
    pub asset: Option<Text>,
    /// The asset's title.
    pub title: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VideoEncoding {
    /// An x264 speed preset (default `veryfast`).
    pub preset: Option<Text>,
    /// Constant quality, 0 (best) ..= 51 (default 23); or `bitrate_kbps`.
    pub crf: Option<Spanned<i64>>,
    /// Constant bitrate in kbit/s, held by a VBV buffer (instead of `crf`).
    pub bitrate_kbps: Option<Spanned<i64>>,
    /// The VBV buffer, in milliseconds of the bitrate (default 1000).
    pub vbv_ms: Option<Spanned<i64>>,
    /// Frames between keyframes at most (default: two seconds' worth).
    pub keyframe_interval: Option<Spanned<i64>>,
    /// `film`, `animation`, `grain`, `stillimage`, `fastdecode` or
    /// `zerolatency`.
    pub tune: Option<Text>,
    /// H.264 profile: `high` (default), `main` or `baseline`.
    pub profile: Option<Text>,
    /// `yuv420p` (default: what browsers and hardware decoders play),
    /// `yuv422p` or `yuv444p`.
    pub pixel_format: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudioEncoding {
    /// AAC bitrate in kbit/s (default 128).
    pub bitrate_kbps: Option<Spanned<i64>>,
}
