//! A checked pipeline: every name resolved, every value validated. Only a
//! `Plan` is ever turned into a GStreamer pipeline.

use std::path::PathBuf;
use std::time::Duration;

use reel_runtime::StageSpec;

use crate::diagnostics::Diagnostic;

pub struct Plan {
    pub name: String,
    pub sources: Vec<SourcePlan>,
    /// Stages in an order where each comes after its input.
    pub stages: Vec<StagePlan>,
    pub sinks: Vec<SinkPlan>,
    /// What deserves a word but stops nothing (a key file others can
    /// read).
    pub warnings: Vec<Diagnostic>,
}

pub struct SourcePlan {
    pub id: String,
    pub kind: SourceKind,
    /// The sound tracks it hands on, in the order they are written.
    pub audio: Vec<AudioTrack>,
    /// Length, when known (progress and ETA).
    pub duration: Option<Duration>,
    /// Frames per second, when known.
    pub fps: Option<f64>,
    /// A live source: the pipeline is live, not a file job.
    pub live: bool,
}

/// A sound track a source hands on to the sinks.
#[derive(Clone, Debug)]
pub struct AudioTrack {
    /// Its place among the file's sound tracks, from 0 (a test tone: 0).
    pub index: usize,
    /// GStreamer's id for the stream, where the source is a file.
    pub stream_id: Option<String>,
}

pub enum SourceKind {
    Uri(String),
    Test(TestPlan),
    Images(ImagePlan),
}

/// Pictures decoded by a sandboxed decoder stage while the pipeline runs.
pub struct ImagePlan {
    /// The still, or the numbered pattern (`walk_%03d.png`), as given.
    pub location: PathBuf,
    pub files: Vec<PathBuf>,
    pub decoder: Box<StageSpec>,
    pub width: usize,
    pub height: usize,
    pub format: reel_runtime::Format,
    pub rate: i32,
    /// Frames to play (files loop when there are fewer).
    pub frames: u64,
    /// The largest picture the decoder may produce.
    pub max_size: (u32, u32),
}

pub struct TestPlan {
    pub pattern: String,
    pub width: i32,
    pub height: i32,
    pub rate: i32,
    pub frames: u64,
}

pub struct StagePlan {
    pub id: String,
    /// One id for filters and elements; a mixer's inputs in the order of
    /// the plugin's input names.
    pub inputs: Vec<String>,
    pub work: StageWork,
    /// The pipeline file says what to do with failed frames (`on_error`).
    pub on_error_written: bool,
}

pub enum StageWork {
    Plugin(Box<StageSpec>),
    Element {
        factory: String,
        /// Property names and values as GStreamer parses them from text.
        properties: Vec<(String, String)>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    Mp4,
    Mkv,
    Mov,
}

pub enum SinkKind {
    File {
        path: PathBuf,
        container: Container,
        video: VideoSettings,
        audio_kbps: u32,
        credentials: Option<Box<CredentialsPlan>>,
    },
    Display,
    Null,
}

/// Content Credentials to sign into a finished file.
pub struct CredentialsPlan {
    pub key: reel_credentials::SigningKey,
    pub claim: reel_credentials::Claim,
}

/// How a file sink encodes its video (H.264 with x264).
#[derive(Clone, Debug, PartialEq)]
pub struct VideoSettings {
    pub preset: String,
    pub rate: RateControl,
    /// Frames between keyframes at most; None: two seconds' worth.
    pub keyframe_interval: Option<u32>,
    /// x264 `psy-tune` (film, animation, grain) and `tune` flags.
    pub psy_tune: Option<String>,
    pub tune: Option<String>,
    /// The caps profile name (`high`, `main`, `baseline`, `high-4:2:2`...).
    pub profile: String,
    /// The raw format fed to the encoder (`I420`, `Y42B`, `Y444`).
    pub raw_format: String,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RateControl {
    /// Constant quality (x264's quantizer in quality mode).
    Quality(u32),
    /// Constant bitrate in kbit/s with a VBV buffer of `vbv_ms`.
    Bitrate { kbps: u32, vbv_ms: u32 },
}

pub struct SinkPlan {
    pub input: String,
    pub kind: SinkKind,
}

impl Plan {
    /// Whether any source is live. Otherwise the pipeline is a file job:
    /// every source has an end, and the output must be complete.
    pub fn is_live(&self) -> bool {
        self.sources.iter().any(|s| s.live)
    }

    /// What a plugin stage does with a frame it failed on, where the file
    /// does not say: a file job fails (exit 0 must mean every frame went
    /// through every stage) unless `allow_failures`; a live pipeline never
    /// goes black and passes the frame through.
    pub fn settle_failure_policy(&mut self, allow_failures: bool) {
        let lenient = self.is_live() || allow_failures;
        for stage in &mut self.stages {
            if let StageWork::Plugin(spec) = &mut stage.work
                && !stage.on_error_written
            {
                spec.on_error = if lenient {
                    reel_runtime::OnError::Passthrough
                } else {
                    reel_runtime::OnError::Fail
                };
            }
        }
    }

    /// The files the sinks write.
    pub fn output_files(&self) -> impl Iterator<Item = &std::path::Path> {
        self.sinks.iter().filter_map(|s| match &s.kind {
            SinkKind::File { path, .. } => Some(path.as_path()),
            _ => None,
        })
    }

    /// The Content Credentials to sign into the file written at `path`.
    pub fn credentials_for(&self, path: &std::path::Path) -> Option<&CredentialsPlan> {
        self.sinks.iter().find_map(|s| match &s.kind {
            SinkKind::File {
                path: p,
                credentials,
                ..
            } if p == path => credentials.as_deref(),
            _ => None,
        })
    }

    /// Plugin stages whose failures stop the run because the file left it
    /// to the default.
    pub fn strict_stages(&self) -> impl Iterator<Item = &str> {
        self.stages.iter().filter_map(|s| match &s.work {
            StageWork::Plugin(spec)
                if !s.on_error_written && spec.on_error == reel_runtime::OnError::Fail =>
            {
                Some(s.id.as_str())
            }
            _ => None,
        })
    }

    /// The source at the root of `id` (following each stage's first input).
    pub fn root_source<'a>(&'a self, mut id: &'a str) -> Option<&'a SourcePlan> {
        loop {
            if let Some(source) = self.sources.iter().find(|s| s.id == id) {
                return Some(source);
            }
            id = self.stages.iter().find(|s| s.id == id)?.inputs.first()?;
        }
    }
}
