//! `reel check`: validates a pipeline file completely before any media
//! flows, collecting every problem with its file:line:column.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use gst::prelude::*;
use reel_runtime::{OnError, ParamValue, Runtime, SandboxConfig, StageKind, StageSpec, closest};
use toml::Spanned;

use crate::config::{PipelineFile, SinkDef, SourceDef, SpannedTable, StageDef, Text};
use crate::diagnostics::ConfigError;
use crate::plan::{
    Container, Plan, SinkKind, SinkPlan, SourceKind, SourcePlan, StagePlan, StageWork, TestPlan,
};

/// A `--set stage.key=value` from the command line.
#[derive(Clone, Debug)]
pub struct Override {
    pub stage: String,
    pub key: String,
    pub value: String,
}

impl Override {
    pub fn parse(text: &str) -> Result<Override, String> {
        let (target, value) = text
            .split_once('=')
            .ok_or_else(|| format!("--set `{text}` must look like stage.param=value"))?;
        let (stage, key) = target
            .split_once('.')
            .ok_or_else(|| format!("--set `{text}` must look like stage.param=value"))?;
        if stage.is_empty() || key.is_empty() {
            return Err(format!("--set `{text}` must look like stage.param=value"));
        }
        Ok(Override {
            stage: stage.into(),
            key: key.into(),
            value: value.into(),
        })
    }
}

/// Every problem found, in file order.
#[derive(Debug)]
pub struct Problems(pub Vec<String>);

impl std::fmt::Display for Problems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

struct Checker<'a> {
    file: &'a Path,
    dir: PathBuf,
    source: &'a str,
    problems: Vec<String>,
}

const TEST_WIDTH: i32 = 1280;
const TEST_HEIGHT: i32 = 720;
const TEST_RATE: i64 = 30;
const TEST_SECONDS: f64 = 5.0;
const DEFAULT_PRESET: &str = "veryfast";
const DEFAULT_CRF: i64 = 23;
const DEFAULT_AUDIO_KBPS: i64 = 128;

/// Reads and checks `file`, applying `overrides`. Returns the plan or every
/// problem found.
pub fn check(file: &Path, overrides: &[Override]) -> Result<Plan, Problems> {
    let source = std::fs::read_to_string(file)
        .map_err(|e| Problems(vec![format!("{}: cannot read: {e}", file.display())]))?;
    let mut checker = Checker {
        file,
        dir: file.parent().map(Path::to_path_buf).unwrap_or_default(),
        source: &source,
        problems: Vec::new(),
    };
    let parsed: PipelineFile =
        match toml::from_str(&source) {
            Ok(p) => p,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let message = e.message().trim().to_string();
                let err = ConfigError::at(file, &source, span, &message)
                    .suggest(unknown_field_hint(&message, &source, e.span()));
                return Err(Problems(vec![err.to_string()]));
            }
        };
    let plan = checker.plan(parsed, overrides);
    if checker.problems.is_empty() {
        Ok(plan.expect("a plan when there are no problems"))
    } else {
        Err(Problems(checker.problems))
    }
}

/// For serde's "unknown field `x`, expected one of `a`, `b`": the closest
/// expected name to what was written.
fn unknown_field_hint(message: &str, source: &str, span: Option<Range<usize>>) -> Option<String> {
    let expected = message.split("expected").nth(1)?;
    let names: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let written = message
        .split('`')
        .nth(1)
        .or_else(|| span.map(|s| &source[s]))?;
    closest(written, names.iter().copied())
}

fn file_uri(path: &Path) -> Result<String, String> {
    let absolute = std::path::absolute(path).map_err(|e| e.to_string())?;
    gst::glib::filename_to_uri(&absolute, None)
        .map(|u| u.to_string())
        .map_err(|e| e.to_string())
}

impl Checker<'_> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        ConfigError::at(self.file, self.source, span, message)
    }

    fn report(&mut self, error: ConfigError) {
        self.problems.push(error.to_string());
    }

    fn complain(&mut self, span: Range<usize>, message: impl Into<String>) {
        let e = self.error(span, message);
        self.report(e);
    }

    fn relative(&self, path: &str) -> PathBuf {
        let p = Path::new(path);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }

    fn plan(&mut self, parsed: PipelineFile, overrides: &[Override]) -> Option<Plan> {
        let name = parsed
            .pipeline
            .as_ref()
            .and_then(|p| p.get_ref().name.as_ref().map(|n| n.get_ref().clone()))
            .unwrap_or_else(|| {
                self.file
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
        if parsed.source.is_empty() {
            self.complain(0..0, "the pipeline has no [[source]]");
        }
        if parsed.sink.is_empty() {
            self.complain(0..0, "the pipeline has no [[sink]]");
        }
        let mut ids: HashMap<String, Range<usize>> = HashMap::new();
        for id in parsed
            .source
            .iter()
            .map(|s| &s.get_ref().id)
            .chain(parsed.stage.iter().map(|s| &s.get_ref().id))
        {
            if id.get_ref().is_empty() {
                self.complain(id.span(), "an id must not be empty");
            } else if let Some(first) = ids.get(id.get_ref()) {
                let line = self.source[..first.start].matches('\n').count() + 1;
                self.complain(
                    id.span(),
                    format!("id `{}` is already used on line {line}", id.get_ref()),
                );
            } else {
                ids.insert(id.get_ref().clone(), id.span());
            }
        }
        for o in overrides {
            if !parsed
                .stage
                .iter()
                .any(|s| s.get_ref().id.get_ref() == &o.stage)
            {
                let hint = closest(
                    &o.stage,
                    parsed
                        .stage
                        .iter()
                        .map(|s| s.get_ref().id.get_ref().as_str()),
                );
                self.problems.push(format!(
                    "--set {}.{}: there is no stage `{}`{}",
                    o.stage,
                    o.key,
                    o.stage,
                    hint.map(|h| format!(" (did you mean `{h}`?)"))
                        .unwrap_or_default()
                ));
            }
        }
        let known: Vec<String> = ids.keys().cloned().collect();

        let sources: Vec<SourcePlan> = parsed
            .source
            .iter()
            .filter_map(|s| self.source_plan(s))
            .collect();
        let inputs: Vec<Vec<Text>> = parsed
            .stage
            .iter()
            .map(|s| self.stage_inputs(s, &known))
            .collect();
        self.check_cycles(&parsed.stage, &inputs);
        let order = topological(&parsed.stage, &inputs);
        let mut stages = Vec::new();
        for index in order {
            let def = &parsed.stage[index];
            let work = self.stage_work(def, &inputs[index], overrides);
            if let Some(work) = work
                && !inputs[index].is_empty()
            {
                stages.push(StagePlan {
                    id: def.get_ref().id.get_ref().clone(),
                    inputs: inputs[index].iter().map(|i| i.get_ref().clone()).collect(),
                    work,
                });
            }
        }
        let sinks: Vec<SinkPlan> = parsed
            .sink
            .iter()
            .filter_map(|s| self.sink_plan(s, &known))
            .collect();
        let mut outputs = HashSet::new();
        for sink in &sinks {
            if let SinkKind::File { path, .. } = &sink.kind
                && !outputs.insert(path.clone())
            {
                self.problems
                    .push(format!("two sinks write {}", path.display()));
            }
        }
        self.problems.is_empty().then_some(Plan {
            name,
            sources,
            stages,
            sinks,
        })
    }

    fn source_plan(&mut self, def: &Spanned<SourceDef>) -> Option<SourcePlan> {
        let s = def.get_ref();
        let id = s.id.get_ref().clone();
        let given = [s.uri.is_some(), s.file.is_some(), s.testsrc.is_some()];
        if given.iter().filter(|g| **g).count() != 1 {
            self.complain(
                def.span(),
                format!("source `{id}` needs exactly one of `uri`, `file` or `testsrc`"),
            );
            return None;
        }
        if let Some(test) = &s.testsrc {
            let t = test.get_ref();
            let pattern = t
                .pattern
                .as_ref()
                .map_or("smpte".to_string(), |p| p.get_ref().clone());
            if let Some(p) = &t.pattern {
                self.check_enum_property("videotestsrc", "pattern", p);
            }
            let (mut width, mut height) = (TEST_WIDTH, TEST_HEIGHT);
            if let Some(size) = &t.size {
                match parse_size(size.get_ref()) {
                    Some((w, h)) => (width, height) = (w, h),
                    None => self.complain(
                        size.span(),
                        format!(
                            "size `{}` must be WIDTHxHEIGHT, like 1280x720 (each 1..=8192)",
                            size.get_ref()
                        ),
                    ),
                }
            }
            let rate = t.rate.as_ref().map_or(TEST_RATE, |r| *r.get_ref());
            if !(1..=240).contains(&rate) {
                let span = t.rate.as_ref().map(|r| r.span()).unwrap_or(test.span());
                self.complain(
                    span,
                    format!("rate {rate} must be 1..=240 frames per second"),
                );
            }
            let seconds = t.seconds.as_ref().map_or(TEST_SECONDS, |s| *s.get_ref());
            if !(seconds > 0.0 && seconds <= 86400.0) {
                let span = t.seconds.as_ref().map(|s| s.span()).unwrap_or(test.span());
                self.complain(
                    span,
                    format!("seconds {seconds} must be above 0 and at most 86400"),
                );
            }
            let audio = t.audio.as_ref().is_none_or(|a| *a.get_ref());
            let rate = rate.clamp(1, 240) as i32;
            let frames = (seconds.max(0.0) * rate as f64).round().max(1.0) as u64;
            return Some(SourcePlan {
                id,
                kind: SourceKind::Test(TestPlan {
                    pattern,
                    width,
                    height,
                    rate,
                    frames,
                }),
                has_audio: audio,
                duration: Some(Duration::from_secs_f64(frames as f64 / rate as f64)),
                fps: Some(rate as f64),
            });
        }
        let (uri, span) = if let Some(file) = &s.file {
            let path = self.relative(file.get_ref());
            if !path.is_file() {
                self.complain(
                    file.span(),
                    format!("source `{id}`: file {} does not exist", path.display()),
                );
                return None;
            }
            match file_uri(&path) {
                Ok(uri) => (uri, file.span()),
                Err(e) => {
                    self.complain(file.span(), format!("source `{id}`: {e}"));
                    return None;
                }
            }
        } else {
            let uri = s.uri.as_ref().expect("one of the three");
            if let Some(path) = uri.get_ref().strip_prefix("file://")
                && !Path::new(path).exists()
            {
                self.complain(uri.span(), format!("source `{id}`: {path} does not exist"));
                return None;
            }
            (uri.get_ref().clone(), uri.span())
        };
        match crate::media::discover(&uri) {
            Ok(info) if info.fps.is_none() => {
                self.complain(span, format!("source `{id}`: {uri} has no video stream"));
                None
            }
            Ok(info) => Some(SourcePlan {
                id,
                kind: SourceKind::Uri(uri),
                has_audio: info.has_audio,
                duration: info.duration,
                fps: info.fps,
            }),
            Err(e) => {
                self.complain(span, format!("source `{id}`: cannot read {uri}: {e}"));
                None
            }
        }
    }

    /// The ids a stage takes input from (`input = "a"` or
    /// `inputs = ["a", "b"]`), each checked; empty when any is wrong.
    fn stage_inputs(&mut self, def: &Spanned<StageDef>, known: &[String]) -> Vec<Text> {
        let s = def.get_ref();
        let id = s.id.get_ref();
        let list = match (&s.input, &s.inputs) {
            (Some(input), None) => vec![input.clone()],
            (None, Some(list)) if !list.get_ref().is_empty() => list.get_ref().clone(),
            (None, Some(list)) => {
                self.complain(list.span(), format!("stage `{id}` has an empty `inputs`"));
                return Vec::new();
            }
            (Some(_), Some(list)) => {
                self.complain(
                    list.span(),
                    format!("stage `{id}` has both `input` and `inputs`; keep one"),
                );
                return Vec::new();
            }
            (None, None) => {
                self.complain(
                    def.span(),
                    format!("stage `{id}` needs an `input` (a source or stage id)"),
                );
                return Vec::new();
            }
        };
        let mut ok = true;
        for input in &list {
            ok &= self.check_reference(input, known, Some(id)).is_some();
        }
        if ok { list } else { Vec::new() }
    }

    fn check_reference(
        &mut self,
        input: &Text,
        known: &[String],
        this: Option<&str>,
    ) -> Option<()> {
        let name = input.get_ref();
        if this == Some(name.as_str()) {
            self.complain(
                input.span(),
                format!("stage `{name}` takes itself as input"),
            );
            return None;
        }
        if !known.contains(name) {
            let e = self
                .error(input.span(), format!("no source or stage has id `{name}`"))
                .suggest(closest(name, known.iter().map(String::as_str)));
            self.report(e);
            return None;
        }
        Some(())
    }

    /// Reports each cycle of stage inputs once, at the input that closes it.
    fn check_cycles(&mut self, stages: &[Spanned<StageDef>], inputs: &[Vec<Text>]) {
        let index = stage_index(stages);
        let mut state = vec![Visit::New; stages.len()];
        let mut path = Vec::new();
        for start in 0..stages.len() {
            if let Some((cycle, closing)) = find_cycle(start, inputs, &index, &mut state, &mut path)
            {
                let names: Vec<&str> = cycle
                    .iter()
                    .chain(std::iter::once(&cycle[0]))
                    .map(|i| stages[*i].get_ref().id.get_ref().as_str())
                    .collect();
                self.complain(
                    closing.span(),
                    format!("inputs form a cycle: {}", names.join(" <- ")),
                );
            }
        }
    }

    fn stage_work(
        &mut self,
        def: &Spanned<StageDef>,
        inputs: &[Text],
        overrides: &[Override],
    ) -> Option<StageWork> {
        let s = def.get_ref();
        let id = s.id.get_ref().clone();
        let overrides: Vec<&Override> = overrides.iter().filter(|o| o.stage == id).collect();
        match (&s.plugin, &s.element) {
            (Some(plugin), None) => self.plugin_stage(def, plugin, inputs, &overrides),
            (None, Some(element)) => {
                if inputs.len() > 1 {
                    self.complain(
                        inputs[1].span(),
                        format!("stage `{id}` is a native element and takes one input"),
                    );
                }
                for field in [s.params.as_ref().map(|p| p.span())].into_iter().flatten() {
                    self.complain(
                        field,
                        format!("stage `{id}` is a native element: use `properties`, not `params`"),
                    );
                }
                let mut properties = Vec::new();
                let factory = element.get_ref().clone();
                let instance = self.native_element(element)?;
                for (key, value) in s.properties.iter().flat_map(|p| p.get_ref().iter()) {
                    let text = toml_text(value.get_ref());
                    if self.check_property(&instance, key, Some(value.span()), &text) {
                        properties.push((key.get_ref().clone(), text));
                    }
                }
                for o in overrides {
                    let key = Spanned::new(0..0, o.key.clone());
                    if self.check_property(&instance, &key, None, &o.value) {
                        properties.retain(|(k, _)| *k != o.key);
                        properties.push((o.key.clone(), o.value.clone()));
                    }
                }
                Some(StageWork::Element {
                    factory,
                    properties,
                })
            }
            _ => {
                self.complain(
                    def.span(),
                    format!("stage `{id}` needs exactly one of `plugin` or `element`"),
                );
                None
            }
        }
    }

    fn plugin_stage(
        &mut self,
        def: &Spanned<StageDef>,
        plugin: &Text,
        inputs: &[Text],
        overrides: &[&Override],
    ) -> Option<StageWork> {
        let s = def.get_ref();
        let id = s.id.get_ref().clone();
        if let Some(p) = &s.properties {
            self.complain(
                p.span(),
                format!("stage `{id}` is a plugin: use `params`, not `properties`"),
            );
        }
        let name = plugin.get_ref();
        let path = if name.ends_with(".wasm") || name.contains('/') {
            Ok(self.relative(name))
        } else {
            reel_runtime::find_plugin(name).map_err(|e| e.to_string())
        };
        let loaded = path.and_then(|path| {
            if !path.is_file() {
                return Err(format!("plugin file {} does not exist", path.display()));
            }
            let runtime = Runtime::global().map_err(|e| format!("{e:#}"))?;
            runtime.load(&path).map_err(|e| format!("{e:#}"))
        });
        let plugin_arc = match loaded {
            Ok(p) => p,
            Err(e) => {
                self.complain(plugin.span(), format!("stage `{id}`: {e}"));
                return None;
            }
        };
        let description = &plugin_arc.description;
        let accepted = match description.kind {
            StageKind::Filter => 1,
            StageKind::Mixer => description.inputs.len(),
            StageKind::Decoder => {
                self.complain(
                    plugin.span(),
                    format!("stage `{id}`: plugin `{}` is a decoder; `reel run` does not use decoders as stages yet", description.name),
                );
                return None;
            }
        };
        if inputs.len() > accepted {
            let names = if description.inputs.is_empty() {
                String::new()
            } else {
                format!(" ({})", description.inputs.join(", "))
            };
            self.complain(
                inputs[accepted].span(),
                format!(
                    "stage `{id}`: plugin `{}` takes {accepted} input{}{names}",
                    description.name,
                    if accepted == 1 { "" } else { "s" }
                ),
            );
            return None;
        }
        let mut params: Vec<(String, ParamValue)> = Vec::new();
        let mut ok = true;
        let empty = SpannedTable::new();
        for (key, value) in s.params.as_ref().map_or(&empty, |p| p.get_ref()) {
            let Some(v) = ParamValue::from_toml(value.get_ref()) else {
                self.complain(
                    value.span(),
                    format!(
                        "parameter `{}` must be a boolean, number or string",
                        key.get_ref()
                    ),
                );
                ok = false;
                continue;
            };
            match description.resolve_params(&[(key.get_ref().clone(), v.clone())]) {
                Ok(_) => params.push((key.get_ref().clone(), v)),
                Err(e) => {
                    ok = false;
                    let span = if e.suggestion.is_some() || description.param(&e.name).is_none() {
                        key.span()
                    } else {
                        value.span()
                    };
                    let err = self
                        .error(span, format!("stage `{id}`: {}", e.message))
                        .suggest(e.suggestion);
                    self.report(err);
                }
            }
        }
        for o in overrides {
            let v = ParamValue::parse_literal(&o.value);
            match description.resolve_params(&[(o.key.clone(), v.clone())]) {
                Ok(_) => params.push((o.key.clone(), v)),
                Err(e) => {
                    ok = false;
                    self.problems
                        .push(format!("--set {}.{}={}: {e}", o.stage, o.key, o.value));
                }
            }
        }
        let mut sandbox = SandboxConfig::default();
        let mut on_error = OnError::default();
        if let Some(name) = &s.on_error {
            match OnError::parse(name.get_ref()) {
                Some(o) => on_error = o,
                None => {
                    ok = false;
                    let e = self
                        .error(
                            name.span(),
                            format!("on_error must be one of {}", OnError::NAMES.join(", ")),
                        )
                        .suggest(closest(name.get_ref(), OnError::NAMES));
                    self.report(e);
                }
            }
        }
        let mut max_failures = reel_runtime::DEFAULT_MAX_FAILURES;
        if let Some(n) = &s.max_failures {
            match u32::try_from(*n.get_ref()) {
                Ok(v) if v >= 1 => max_failures = v,
                _ => {
                    ok = false;
                    self.complain(n.span(), "max_failures must be at least 1");
                }
            }
        }
        // A deadline left unset is twice the frame interval, filled in once
        // the source's rate is known (see `build`).
        sandbox.deadline = Duration::ZERO;
        if let Some(ms) = &s.deadline_ms {
            match u64::try_from(*ms.get_ref()) {
                Ok(v) if (1..=600_000).contains(&v) => sandbox.deadline = Duration::from_millis(v),
                _ => {
                    ok = false;
                    self.complain(ms.span(), "deadline_ms must be 1..=600000");
                }
            }
        }
        if let Some(mb) = &s.memory_mb {
            let max = reel_runtime::MAX_MEMORY_BYTES >> 20;
            match usize::try_from(*mb.get_ref()) {
                Ok(v) if (1..=max).contains(&v) => sandbox.memory_bytes = v << 20,
                _ => {
                    ok = false;
                    self.complain(mb.span(), format!("memory_mb must be 1..={max}"));
                }
            }
        }
        if let Some(dir) = &s.assets {
            let path = self.relative(dir.get_ref());
            if path.is_dir() {
                sandbox.assets = Some(path);
            } else {
                ok = false;
                self.complain(
                    dir.span(),
                    format!("assets directory {} does not exist", path.display()),
                );
            }
        }
        ok.then(|| {
            StageWork::Plugin(Box::new(StageSpec {
                id,
                plugin: plugin_arc.clone(),
                params,
                sandbox,
                on_error,
                max_failures,
            }))
        })
    }

    fn native_element(&mut self, element: &Text) -> Option<gst::Element> {
        let name = element.get_ref();
        match gst::ElementFactory::make(name).build() {
            Ok(e) => Some(e),
            Err(_) => {
                let names: Vec<String> = gst::Registry::get()
                    .features(gst::ElementFactory::static_type())
                    .iter()
                    .map(|f| f.name().to_string())
                    .collect();
                let e = self
                    .error(
                        element.span(),
                        format!("there is no GStreamer element `{name}`"),
                    )
                    .suggest(closest(name, names.iter().map(String::as_str)));
                self.report(e);
                None
            }
        }
    }

    /// Whether `value` is valid for property `key` of `element`; reports
    /// the problem at `span` (or against --set) when not.
    fn check_property(
        &mut self,
        element: &gst::Element,
        key: &Text,
        span: Option<Range<usize>>,
        value: &str,
    ) -> bool {
        let name = key.get_ref();
        let at =
            |this: &mut Self, s: Option<Range<usize>>, msg: String, hint: Option<String>| match s {
                Some(s) => {
                    let e = this.error(s, msg).suggest(hint);
                    this.report(e);
                }
                None => this.problems.push(format!(
                    "--set {name}={value}: {msg}{}",
                    hint.map(|h| format!(" (did you mean `{h}`?)"))
                        .unwrap_or_default()
                )),
            };
        let Some(pspec) = element.find_property(name) else {
            let names: Vec<String> = element
                .list_properties()
                .iter()
                .map(|p| p.name().to_string())
                .collect();
            let hint = closest(name, names.iter().map(String::as_str));
            at(
                self,
                span.map(|_| key.span()),
                format!(
                    "element `{}` has no property `{name}`",
                    factory_name(element)
                ),
                hint,
            );
            return false;
        };
        if !pspec.flags().contains(gst::glib::ParamFlags::WRITABLE) {
            at(
                self,
                span.map(|_| key.span()),
                format!("property `{name}` cannot be set"),
                None,
            );
            return false;
        }
        if gst::glib::Value::deserialize_with_pspec(value, &pspec).is_err() {
            at(
                self,
                span,
                format!(
                    "`{value}` is not a valid value for property `{name}` ({})",
                    pspec.value_type().name()
                ),
                enum_hint(&pspec, value),
            );
            return false;
        }
        true
    }

    fn check_enum_property(&mut self, factory: &str, property: &str, value: &Text) {
        if let Ok(element) = gst::ElementFactory::make(factory).build() {
            let key = Spanned::new(value.span(), property.to_string());
            self.check_property(&element, &key, Some(value.span()), value.get_ref());
        }
    }

    fn sink_plan(&mut self, def: &Spanned<SinkDef>, known: &[String]) -> Option<SinkPlan> {
        let s = def.get_ref();
        self.check_reference(&s.input, known, None)?;
        let kinds = [s.file.is_some(), s.display.is_some(), s.null.is_some()];
        if kinds.iter().filter(|k| **k).count() != 1 {
            self.complain(
                def.span(),
                "a sink needs exactly one of `file`, `display` or `null`",
            );
            return None;
        }
        let kind = if let Some(file) = &s.file {
            let path = self.relative(file.get_ref());
            let container = match path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_lowercase)
                .as_deref()
            {
                Some("mp4") => Container::Mp4,
                Some("mkv") => Container::Mkv,
                Some("mov") => Container::Mov,
                _ => {
                    self.complain(
                        file.span(),
                        "the output file must end in .mp4, .mkv or .mov",
                    );
                    return None;
                }
            };
            if path.is_dir() {
                self.complain(file.span(), format!("{} is a directory", path.display()));
                return None;
            }
            let (mut preset, mut crf, mut kbps) =
                (DEFAULT_PRESET.to_string(), DEFAULT_CRF, DEFAULT_AUDIO_KBPS);
            if let Some(video) = &s.video {
                if let Some(p) = &video.get_ref().preset {
                    self.check_enum_property("x264enc", "speed-preset", p);
                    preset = p.get_ref().clone();
                }
                if let Some(c) = &video.get_ref().crf {
                    crf = *c.get_ref();
                    if !(0..=51).contains(&crf) {
                        self.complain(c.span(), format!("crf {crf} must be 0..=51"));
                    }
                }
            }
            if let Some(b) = s
                .audio
                .as_ref()
                .and_then(|a| a.get_ref().bitrate_kbps.as_ref())
            {
                kbps = *b.get_ref();
                if !(16..=512).contains(&kbps) {
                    self.complain(b.span(), format!("bitrate_kbps {kbps} must be 16..=512"));
                }
            }
            SinkKind::File {
                path,
                container,
                preset,
                crf: crf.clamp(0, 51) as u32,
                audio_kbps: kbps.clamp(16, 512) as u32,
            }
        } else if s.display.as_ref().is_some_and(|d| *d.get_ref()) {
            SinkKind::Display
        } else {
            SinkKind::Null
        };
        Some(SinkPlan {
            input: s.input.get_ref().clone(),
            kind,
        })
    }
}

fn factory_name(element: &gst::Element) -> String {
    element
        .factory()
        .map(|f| f.name().to_string())
        .unwrap_or_default()
}

fn enum_hint(pspec: &gst::glib::ParamSpec, value: &str) -> Option<String> {
    let spec = pspec.downcast_ref::<gst::glib::ParamSpecEnum>()?;
    let class = spec.enum_class();
    let nicks: Vec<String> = class
        .values()
        .iter()
        .map(|v| v.nick().to_string())
        .collect();
    closest(value, nicks.iter().map(String::as_str))
        .or_else(|| Some(format!("one of: {}", nicks.join(", "))))
}

/// A TOML scalar as the text GStreamer parses property values from.
fn toml_text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn parse_size(text: &str) -> Option<(i32, i32)> {
    let (w, h) = text.split_once(['x', 'X'])?;
    let (w, h): (i32, i32) = (w.trim().parse().ok()?, h.trim().parse().ok()?);
    ((1..=8192).contains(&w) && (1..=8192).contains(&h)).then_some((w, h))
}

#[derive(Clone, Copy, PartialEq)]
enum Visit {
    New,
    OnPath,
    Done,
}

fn stage_index(stages: &[Spanned<StageDef>]) -> HashMap<&str, usize> {
    stages
        .iter()
        .enumerate()
        .map(|(i, s)| (s.get_ref().id.get_ref().as_str(), i))
        .collect()
}

/// Depth-first from `at`: the first cycle met (its stages, and the input
/// that leads back into it).
fn find_cycle(
    at: usize,
    inputs: &[Vec<Text>],
    index: &HashMap<&str, usize>,
    state: &mut [Visit],
    path: &mut Vec<usize>,
) -> Option<(Vec<usize>, Text)> {
    if state[at] != Visit::New {
        return None;
    }
    state[at] = Visit::OnPath;
    path.push(at);
    for input in &inputs[at] {
        let Some(&next) = index.get(input.get_ref().as_str()) else {
            continue;
        };
        if state[next] == Visit::OnPath {
            let from = path.iter().position(|p| *p == next).expect("on the path");
            let cycle = path[from..].to_vec();
            state[at] = Visit::Done;
            path.pop();
            return Some((cycle, input.clone()));
        }
        if let Some(found) = find_cycle(next, inputs, index, state, path) {
            state[at] = Visit::Done;
            path.pop();
            return Some(found);
        }
    }
    state[at] = Visit::Done;
    path.pop();
    None
}

/// Stage indices ordered so each comes after the stages it takes input
/// from (cycles were reported already; their order does not matter).
fn topological(stages: &[Spanned<StageDef>], inputs: &[Vec<Text>]) -> Vec<usize> {
    let index = stage_index(stages);
    let mut done = vec![false; stages.len()];
    let mut order = Vec::new();
    fn visit(
        i: usize,
        inputs: &[Vec<Text>],
        index: &HashMap<&str, usize>,
        done: &mut [bool],
        order: &mut Vec<usize>,
    ) {
        if done[i] {
            return;
        }
        done[i] = true;
        for dep in inputs[i]
            .iter()
            .filter_map(|t| index.get(t.get_ref().as_str()))
        {
            visit(*dep, inputs, index, done, order);
        }
        order.push(i);
    }
    for i in 0..stages.len() {
        visit(i, inputs, &index, &mut done, &mut order);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_parse() {
        let o = Override::parse("neg.strength=0.5").unwrap();
        assert_eq!(
            (o.stage.as_str(), o.key.as_str(), o.value.as_str()),
            ("neg", "strength", "0.5")
        );
        assert!(Override::parse("strength=0.5").is_err());
        assert!(Override::parse("neg.strength").is_err());
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("1280x720"), Some((1280, 720)));
        assert_eq!(parse_size("0x720"), None);
        assert_eq!(parse_size("big"), None);
    }

    #[test]
    fn unknown_field_hints_pick_the_closest_expected_name() {
        let msg = "unknown field `inptu`, expected one of `id`, `plugin`, `input`, `inputs`";
        assert_eq!(unknown_field_hint(msg, "", None), Some("input".into()));
    }
}
