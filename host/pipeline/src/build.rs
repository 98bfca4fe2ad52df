//! Turns a checked [`Plan`] into a GStreamer pipeline: sources, stages
//! (wasm plugins through `wasmfilter`, native elements as they are), tees
//! where one output feeds several consumers, and encoders and muxers for
//! file sinks writing to temporary names.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Result, anyhow};
use gst::prelude::*;

use crate::element::make;
use crate::encode::{
    audio_encoder, count_buffers, cover_reordered_frames, end_audio_with_video, skip_aac_priming,
    video_encoder,
};
use crate::ending::Ending;
use crate::plan::{Container, Plan, SinkKind, SourceKind, StagePlan, StageWork};
use reel_runtime::StageKind;

/// An output file being written under a temporary name.
pub struct Output {
    pub partial: PathBuf,
    pub target: PathBuf,
    /// Video frames that reached its encoder.
    pub frames: Arc<AtomicU64>,
}

/// Per-stage processing times, measured between the stage element's sink
/// and source pads (buffers matched by timestamp).
#[derive(Default)]
pub struct StageTimes {
    pending: Mutex<HashMap<u64, Instant>>,
    pub samples: Mutex<reel_runtime::Timings>,
}

pub struct StageInfo {
    pub id: String,
    pub kind: &'static str,
    pub element: gst::Element,
    pub times: Arc<StageTimes>,
}

pub struct Built {
    pub pipeline: gst::Pipeline,
    pub outputs: Vec<Output>,
    pub stages: Vec<StageInfo>,
    /// Ends every source's streams at one time when the run is cut short.
    pub ending: Arc<Ending>,
}

/// Where each id's output can be taken from; ids with several consumers
/// get a tee, and each consumer its own queue after it.
struct Outputs {
    pipeline: gst::Pipeline,
    /// id -> (element whose "src" pad is the output, consumers left)
    video: HashMap<String, (gst::Element, usize)>,
    /// (source id, sound track in the source's order) -> the same.
    audio: HashMap<(String, usize), (gst::Element, usize)>,
    tees: HashMap<(String, Option<usize>), gst::Element>,
}

impl Outputs {
    /// The element to link a consumer of `id`'s video, or of its sound
    /// `track`, from.
    fn take(&mut self, id: &str, track: Option<usize>) -> Result<gst::Element> {
        let found = match track {
            None => self.video.get(id),
            Some(t) => self.audio.get(&(id.to_string(), t)),
        };
        let (element, consumers) = found.cloned().ok_or_else(|| anyhow!("no output `{id}`"))?;
        if consumers <= 1 {
            return Ok(element);
        }
        let key = (id.to_string(), track);
        let tee = match self.tees.get(&key) {
            Some(tee) => tee.clone(),
            None => {
                let tee = make("tee", None)?;
                self.pipeline.add(&tee)?;
                element.link(&tee)?;
                self.tees.insert(key, tee.clone());
                tee
            }
        };
        let queue = make("queue", None)?;
        if track.is_some() {
            // A branch may wait while a stage that follows the sound reads
            // it up to 10 s ahead of the video (reel_sound::AHEAD_NS): the
            // others must hold that much rather than stop the tee.
            queue.set_property("max-size-buffers", 0u32);
            queue.set_property("max-size-bytes", 0u32);
            queue.set_property("max-size-time", SOUND_QUEUE.as_nanos() as u64);
        }
        self.pipeline.add(&queue)?;
        tee.link(&queue)?;
        Ok(queue)
    }
}

/// What each branch of a sound tee may hold.
const SOUND_QUEUE: std::time::Duration =
    std::time::Duration::from_nanos(reel_sound::tap::AHEAD_NS + 2_000_000_000);

/// Numbers the sound channels of this process, so two runs never share one.
static CHANNELS: AtomicU64 = AtomicU64::new(0);

/// The source whose sound `stage` follows: its root source, when the
/// stage's plugin imports `audio` and the source has sound.
fn sound_source<'a>(plan: &'a Plan, stage: &'a StagePlan) -> Option<&'a crate::plan::SourcePlan> {
    let StageWork::Plugin(spec) = &stage.work else {
        return None;
    };
    if !spec.plugin.follows_sound {
        return None;
    }
    plan.root_source(&stage.id)
        .filter(|root| !root.audio.is_empty())
}

/// The sound tracks a sink takes from its root source: a file keeps them
/// all; a window plays the first; a null sink none.
fn sink_tracks(plan: &Plan, sink: &crate::plan::SinkPlan) -> Vec<usize> {
    let tracks = plan
        .root_source(&sink.input)
        .map_or(0, |root| root.audio.len());
    match sink.kind {
        SinkKind::File { .. } => (0..tracks).collect(),
        SinkKind::Display => (0..tracks.min(1)).collect(),
        SinkKind::Null => Vec::new(),
    }
}

fn add_chain(pipeline: &gst::Pipeline, chain: &[&gst::Element]) -> Result<()> {
    pipeline.add_many(chain.iter().copied())?;
    gst::Element::link_many(chain.iter().copied())?;
    Ok(())
}

pub fn build(plan: &Plan) -> Result<Built> {
    let pipeline = gst::Pipeline::with_name(&plan.name);
    let mut consumers: HashMap<&str, usize> = HashMap::new();
    for stage in &plan.stages {
        for input in &stage.inputs {
            *consumers.entry(input).or_default() += 1;
        }
    }
    for sink in &plan.sinks {
        *consumers.entry(&sink.input).or_default() += 1;
    }
    // Sound goes from a sink's root source to the file and display sinks,
    // and from a stage's root source to the stage when it follows sound.
    let mut audio_consumers: HashMap<(&str, usize), usize> = HashMap::new();
    for sink in &plan.sinks {
        if let Some(root) = plan.root_source(&sink.input) {
            for track in sink_tracks(plan, sink) {
                *audio_consumers.entry((&root.id, track)).or_default() += 1;
            }
        }
    }
    for stage in &plan.stages {
        if let Some(root) = sound_source(plan, stage) {
            *audio_consumers.entry((&root.id, 0)).or_default() += 1;
        }
    }
    let ending = Arc::new(Ending::default());
    let mut outputs = Outputs {
        pipeline: pipeline.clone(),
        video: HashMap::new(),
        audio: HashMap::new(),
        tees: HashMap::new(),
    };

    for source in &plan.sources {
        let wanted: Vec<usize> = (0..source.audio.len())
            .map(|t| {
                audio_consumers
                    .get(&(source.id.as_str(), t))
                    .copied()
                    .unwrap_or(0)
            })
            .collect();
        let (video_out, audio_out) = add_source(&pipeline, source, &wanted)?;
        ending.watch(&video_out);
        let video_consumers = consumers.get(source.id.as_str()).copied().unwrap_or(0);
        if video_consumers == 0 {
            // An unused source still has to drain somewhere.
            let sink = make("fakesink", None)?;
            pipeline.add(&sink)?;
            video_out.link(&sink)?;
        }
        outputs
            .video
            .insert(source.id.clone(), (video_out, video_consumers));
        for (track, audio) in audio_out.into_iter().enumerate() {
            if let Some(audio) = audio {
                ending.watch(&audio);
                outputs
                    .audio
                    .insert((source.id.clone(), track), (audio, wanted[track]));
            }
        }
    }

    let mut stages = Vec::new();
    for stage in &plan.stages {
        let (element, kind) = match &stage.work {
            StageWork::Plugin(spec) => {
                let factory = match spec.plugin.description.kind {
                    StageKind::Mixer => "wasmmixer",
                    _ => "wasmfilter",
                };
                let element = make(factory, Some(&stage.id))?;
                // The checked stage itself: the element neither looks the
                // plugin up nor parses its parameters again.
                if let Some(filter) = element.downcast_ref::<gstreel::WasmFilter>() {
                    filter.set_stage(spec);
                } else if let Some(mixer) = element.downcast_ref::<gstreel::WasmMixer>() {
                    mixer.set_stage(spec);
                }
                let kind = if factory == "wasmmixer" {
                    "mixer"
                } else {
                    "filter"
                };
                (element, kind)
            }
            StageWork::Element {
                factory,
                properties,
            } => {
                let element = make(factory, Some(&stage.id))?;
                for (key, value) in properties {
                    let pspec = element
                        .find_property(key)
                        .ok_or_else(|| anyhow!("{factory} has no property {key}"))?;
                    let value = gst::glib::Value::deserialize_with_pspec(value, &pspec)
                        .map_err(|_| anyhow!("bad value {value} for {factory}.{key}"))?;
                    element.set_property_from_value(key, &value);
                }
                (element, "element")
            }
        };
        pipeline.add(&element)?;
        // Each input comes through a converter (a pass-through when the
        // format already fits); a mixer's inputs also get a queue each.
        for (index, input) in stage.inputs.iter().enumerate() {
            let from = outputs.take(input, None)?;
            let convert = make(
                "videoconvert",
                Some(&format!("{}-convert{index}", stage.id)),
            )?;
            pipeline.add(&convert)?;
            from.link(&convert)?;
            if stage.inputs.len() == 1 && kind != "mixer" {
                convert.link(&element)?;
            } else {
                let queue = make("queue", None)?;
                pipeline.add(&queue)?;
                convert.link(&queue)?;
                let pad = element
                    .request_pad_simple("sink_%u")
                    .ok_or_else(|| anyhow!("{}: no input pad {index}", stage.id))?;
                if let Some(name) = mixer_input_name(stage, index) {
                    pad.set_property("input", name);
                }
                queue
                    .static_pad("src")
                    .expect("queues have src")
                    .link(&pad)?;
            }
        }
        // The sound of its root source's first track, for a stage that
        // follows it: through a tap on a channel only this stage reads.
        if let Some(root) = sound_source(plan, stage) {
            let channel = format!(
                "{}/{}/{}",
                plan.name,
                stage.id,
                CHANNELS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            );
            let from = outputs.take(&root.id, Some(0))?;
            let convert = make("audioconvert", Some(&format!("{}-sound", stage.id)))?;
            let tap = make("wasmsoundtap", Some(&format!("{}-soundtap", stage.id)))?;
            tap.set_property("channel", &channel);
            add_chain(&pipeline, &[&convert, &tap])?;
            from.link(&convert)?;
            element.set_property("sound", &channel);
        }
        // Plugin stages time their own calls (their `stats`); native
        // elements are timed between their pads.
        let times = Arc::new(StageTimes::default());
        if kind == "element" {
            time_stage(&element, &times);
        }
        stages.push(StageInfo {
            id: stage.id.clone(),
            kind,
            element: element.clone(),
            times,
        });
        outputs.video.insert(
            stage.id.clone(),
            (
                element,
                consumers.get(stage.id.as_str()).copied().unwrap_or(0),
            ),
        );
        if consumers.get(stage.id.as_str()).copied().unwrap_or(0) == 0 {
            let sink = make("fakesink", None)?;
            pipeline.add(&sink)?;
            outputs.take(&stage.id, None)?.link(&sink)?;
        }
    }

    let mut files = Vec::new();
    for sink in &plan.sinks {
        let video = outputs.take(&sink.input, None)?;
        let mut audio = Vec::new();
        if let Some(root) = plan.root_source(&sink.input) {
            for track in sink_tracks(plan, sink) {
                audio.push(outputs.take(&root.id, Some(track))?);
            }
        }
        match &sink.kind {
            SinkKind::File {
                path,
                container,
                video: settings,
                audio_kbps,
                ..
            } => {
                let partial = partial_name(path);
                let mux = make(
                    match container {
                        Container::Mp4 => "mp4mux",
                        Container::Mkv => "matroskamux",
                        Container::Mov => "qtmux",
                    },
                    None,
                )?;
                let filesink = make("filesink", None)?;
                filesink.set_property("location", partial.to_string_lossy().as_ref());
                pipeline.add_many([&mux, &filesink])?;
                mux.link(&filesink)?;
                let fps = plan.root_source(&sink.input).and_then(|s| s.fps);
                let chain = video_encoder(settings, fps)?;
                pipeline.add_many(&chain)?;
                video.link(&chain[0])?;
                gst::Element::link_many(&chain)?;
                let encoder = chain[2].clone();
                let queue = chain.last().expect("non-empty").clone();
                queue.link(&mux)?;
                if *container != Container::Mkv {
                    cover_reordered_frames(&queue);
                }
                // One AAC stream per sound track, in the source's order.
                for audio in &audio {
                    let chain = audio_encoder(*audio_kbps)?;
                    pipeline.add_many(&chain)?;
                    audio.link(&chain[0])?;
                    gst::Element::link_many(&chain)?;
                    let audio_queue = chain.last().expect("non-empty");
                    audio_queue.link(&mux)?;
                    skip_aac_priming(&chain[2]);
                    end_audio_with_video(&queue, audio_queue);
                }
                files.push(Output {
                    partial,
                    target: path.clone(),
                    frames: count_buffers(&encoder),
                });
            }
            SinkKind::Display => {
                let convert = make("videoconvert", None)?;
                let videosink = make("autovideosink", None)?;
                pipeline.add_many([&convert, &videosink])?;
                gst::Element::link_many([&video, &convert, &videosink])?;
                if let Some(audio) = audio.first() {
                    let convert = make("audioconvert", None)?;
                    let audiosink = make("autoaudiosink", None)?;
                    pipeline.add_many([&convert, &audiosink])?;
                    gst::Element::link_many([audio, &convert, &audiosink])?;
                }
            }
            SinkKind::Null => {
                let fakesink = make("fakesink", None)?;
                fakesink.set_property("sync", false);
                pipeline.add(&fakesink)?;
                video.link(&fakesink)?;
            }
        }
    }
    Ok(Built {
        pipeline,
        outputs: files,
        stages,
        ending,
    })
}

/// The temporary name an output is written under: hidden, in the same
/// directory, so the final rename is atomic.
fn partial_name(path: &std::path::Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.partial"))
}

/// Adds a source; returns the element its video leaves from, and for each
/// of its sound tracks the element that track leaves from (None for
/// tracks no sink takes: `wanted` counts each track's consumers).
fn add_source(
    pipeline: &gst::Pipeline,
    source: &crate::plan::SourcePlan,
    wanted: &[usize],
) -> Result<(gst::Element, Vec<Option<gst::Element>>)> {
    let id = &source.id;
    match &source.kind {
        SourceKind::Test(test) => {
            let src = make("videotestsrc", Some(&format!("{id}-video")))?;
            src.set_property_from_str("pattern", &test.pattern);
            src.set_property("num-buffers", test.frames as i32);
            // I420, as decoded programme video is: left open, videotestsrc
            // would take whatever the next element lists first (RGBA before
            // a mixer), and every frame of the run would pay for it.
            let caps = gst_video::VideoCapsBuilder::new()
                .format(gst_video::VideoFormat::I420)
                .width(test.width)
                .height(test.height)
                .framerate(gst::Fraction::new(test.rate, 1))
                .build();
            let filter = make("capsfilter", None)?;
            filter.set_property("caps", &caps);
            add_chain(pipeline, &[&src, &filter])?;
            let audio = if wanted.first().is_some_and(|n| *n > 0) {
                let src = make("audiotestsrc", Some(&format!("{id}-audio")))?;
                let samples = (48_000 / test.rate).max(1);
                src.set_property("samplesperbuffer", samples);
                src.set_property("num-buffers", test.frames as i32);
                src.set_property("volume", 0.3f64);
                let caps = gst::Caps::builder("audio/x-raw")
                    .field("rate", 48_000i32)
                    .field("channels", 2i32)
                    .build();
                let afilter = make("capsfilter", None)?;
                afilter.set_property("caps", &caps);
                add_chain(pipeline, &[&src, &afilter])?;
                Some(afilter)
            } else {
                None
            };
            Ok((filter, vec![audio]))
        }
        SourceKind::Images(images) => {
            // Decoded in the sandbox by `wasmimagesrc`; the element is
            // named for the stage its messages speak of.
            let src = make("wasmimagesrc", Some(&format!("{id}-decoder")))?;
            src.set_property("location", images.location.to_string_lossy().as_ref());
            src.set_property(
                "decoder",
                images.decoder.plugin.path.to_string_lossy().as_ref(),
            );
            src.set_property("rate", images.rate);
            src.set_property("num-frames", images.frames);
            let (w, h) = images.max_size;
            src.set_property("max-size", format!("{w}x{h}"));
            pipeline.add(&src)?;
            Ok((src, Vec::new()))
        }
        SourceKind::Uri(uri) => {
            let decode = make("uridecodebin", Some(&format!("{id}-decode")))?;
            decode.set_property("uri", uri);
            let video = make("queue", Some(&format!("{id}-video")))?;
            pipeline.add_many([&decode, &video])?;
            let mut queues = Vec::new();
            for (track, consumers) in wanted.iter().enumerate() {
                queues.push(if *consumers > 0 {
                    let queue = make("queue", Some(&format!("{id}-audio{}", track + 1)))?;
                    pipeline.add(&queue)?;
                    Some(queue)
                } else {
                    None
                });
            }
            let weak = |e: &Option<gst::Element>| e.as_ref().map(|e| e.downgrade());
            let (video_weak, audio_weak): (_, Vec<_>) =
                (video.downgrade(), queues.iter().map(weak).collect());
            let tracks = source.audio.clone();
            let pipeline_weak = pipeline.downgrade();
            let audio_pads = std::sync::atomic::AtomicUsize::new(0);
            decode.connect_pad_added(move |_, pad| {
                let caps = pad.current_caps().or_else(|| Some(pad.query_caps(None)));
                let name = caps
                    .as_ref()
                    .and_then(|c| c.structure(0))
                    .map(|s| s.name().to_string())
                    .unwrap_or_default();
                let target = if name.starts_with("video/") {
                    video_weak.upgrade()
                } else if name.starts_with("audio/") {
                    let nth = audio_pads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    audio_track_target(pad, nth, &tracks, &audio_weak)
                } else {
                    None
                };
                let linked = target
                    .and_then(|t| t.static_pad("sink"))
                    .filter(|sink| !sink.is_linked())
                    .is_some_and(|sink| pad.link(&sink).is_ok());
                if !linked && let Some(pipeline) = pipeline_weak.upgrade() {
                    // Streams nobody uses (a second video, sound tracks
                    // left out) are drained so they cannot stall the rest.
                    if let Ok(sink) = make("fakesink", None) {
                        let _ = pipeline.add(&sink);
                        let _ = sink.sync_state_with_parent();
                        if let Some(sinkpad) = sink.static_pad("sink") {
                            let _ = pad.link(&sinkpad);
                        }
                    }
                }
            });
            Ok((video, queues))
        }
    }
}

/// Where the decoder's `nth` sound pad goes: the queue of the chosen track
/// with the pad's stream id, or, for a stream without one, the track at
/// the same place among the file's sound tracks.
fn audio_track_target(
    pad: &gst::Pad,
    nth: usize,
    tracks: &[crate::plan::AudioTrack],
    queues: &[Option<gst::glib::WeakRef<gst::Element>>],
) -> Option<gst::Element> {
    let stream_id = pad.stream_id();
    let position = tracks
        .iter()
        .position(|t| match (&t.stream_id, &stream_id) {
            (Some(want), Some(have)) => want.as_str() == have.as_str(),
            _ => t.index == nth,
        })?;
    queues.get(position)?.as_ref()?.upgrade()
}

fn time_stage(element: &gst::Element, times: &Arc<StageTimes>) {
    let (Some(sink), Some(src)) = (element.static_pad("sink"), element.static_pad("src")) else {
        return;
    };
    let t = times.clone();
    sink.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
        if let Some(buffer) = info.buffer()
            && let Some(pts) = buffer.pts()
        {
            let mut pending = t.pending.lock().unwrap_or_else(|e| e.into_inner());
            if pending.len() > 256 {
                pending.clear();
            }
            pending.insert(pts.nseconds(), Instant::now());
        }
        gst::PadProbeReturn::Ok
    });
    let t = times.clone();
    src.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
        if let Some(buffer) = info.buffer()
            && let Some(pts) = buffer.pts()
            && let Some(start) = t
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&pts.nseconds())
        {
            t.samples
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .record(start.elapsed());
        }
        gst::PadProbeReturn::Ok
    });
}

/// The name a mixer plugin knows its `index`-th input by: its own input
/// names in order, or the upstream id for a plugin taking any inputs.
fn mixer_input_name(stage: &StagePlan, index: usize) -> Option<String> {
    let StageWork::Plugin(spec) = &stage.work else {
        return None;
    };
    let description = &spec.plugin.description;
    if description.kind != StageKind::Mixer {
        return None;
    }
    if description.takes_any_inputs() {
        stage.inputs.get(index).cloned()
    } else {
        description.inputs.get(index).cloned()
    }
}
