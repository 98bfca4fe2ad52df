//! A checked pipeline: every name resolved, every value validated. Only a
//! `Plan` is ever turned into a GStreamer pipeline.

use std::path::PathBuf;
use std::time::Duration;

use reel_runtime::StageSpec;

pub struct Plan {
    pub name: String,
    pub sources: Vec<SourcePlan>,
    /// Stages in an order where each comes after its input.
    pub stages: Vec<StagePlan>,
    pub sinks: Vec<SinkPlan>,
}

pub struct SourcePlan {
    pub id: String,
    pub kind: SourceKind,
    pub has_audio: bool,
    /// Length, when known (progress and ETA).
    pub duration: Option<Duration>,
    /// Frames per second, when known.
    pub fps: Option<f64>,
}

pub enum SourceKind {
    Uri(String),
    Test(TestPlan),
    Images(ImagePlan),
}

/// Pictures decoded by a sandboxed decoder stage while the pipeline runs.
pub struct ImagePlan {
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
        preset: String,
        crf: u32,
        audio_kbps: u32,
    },
    Display,
    Null,
}

pub struct SinkPlan {
    pub input: String,
    pub kind: SinkKind,
}

impl Plan {
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
