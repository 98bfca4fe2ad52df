//! `reel check`: validates a pipeline file completely before any media
//! flows, collecting every problem with its file:line:column.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use gst::prelude::*;
use std::sync::Arc;

use reel_runtime::{
    Catalog, OnError, ParamSpec, ParamValue, Plugin, Runtime, SandboxConfig, Secret, StageKind,
    StageSpec, ValueType, closest,
};
use toml::Spanned;

mod credentials;
mod graph;
mod sinks;
mod sound;
mod sources;
mod stages;

use crate::config::{ImageSource, PipelineFile, SinkDef, SourceDef, SpannedTable, StageDef, Text};
use crate::diagnostics::Diagnostic;
use crate::plan::{
    AudioTrack, Container, ImagePlan, Plan, RateControl, SinkKind, SinkPlan, SourceKind,
    SourcePlan, StagePlan, StageWork, TestPlan, VideoSettings,
};
use graph::topological;

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
        // `--set "neg.strength = 0.5"` means what it says.
        let (stage, key, value) = (stage.trim(), key.trim(), value.trim());
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
pub struct Problems(pub Vec<Diagnostic>);

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
    runtime: &'a Runtime,
    catalog: &'a Catalog,
    file: &'a Path,
    dir: PathBuf,
    source: &'a str,
    problems: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// Keys found written into the file: taken out of every report.
    inline_secrets: Vec<String>,
}

const TEST_WIDTH: i32 = 1280;
const TEST_HEIGHT: i32 = 720;
const TEST_RATE: i64 = 30;
const TEST_SECONDS: f64 = 5.0;
const DEFAULT_PRESET: &str = "veryfast";
const DEFAULT_CRF: i64 = 23;
const DEFAULT_AUDIO_KBPS: i64 = 128;

/// Reads and checks `file`, applying `overrides`; plugins named in it are
/// found in `catalog`, loaded (and started once, with their parameters) in
/// `runtime`. Returns the plan or every problem found.
pub fn check(
    file: &Path,
    runtime: &Runtime,
    catalog: &Catalog,
    overrides: &[Override],
) -> Result<Plan, Problems> {
    let source = std::fs::read_to_string(file).map_err(|e| {
        Problems(vec![Diagnostic::plain(format!(
            "{}: cannot read: {e}",
            file.display()
        ))])
    })?;
    let mut checker = Checker {
        runtime,
        catalog,
        file,
        dir: file.parent().map(Path::to_path_buf).unwrap_or_default(),
        source: &source,
        problems: Vec::new(),
        warnings: Vec::new(),
        inline_secrets: Vec::new(),
    };
    let parsed = parse(file, &source)?;
    let plan = checker.plan(parsed, overrides);
    for secret in std::mem::take(&mut checker.inline_secrets) {
        for d in checker.problems.iter_mut().chain(&mut checker.warnings) {
            d.redact(&secret);
        }
    }
    if checker.problems.is_empty() {
        Ok(plan.expect("a plan when there are no problems"))
    } else {
        // In file order; those with no place (the command line) last.
        let mut problems = checker.problems;
        problems.sort_by_key(|d| d.place.as_ref().map_or(usize::MAX, |p| p.span.start));
        Err(Problems(problems))
    }
}

/// Most unknown keys reported from one file.
const MAX_UNKNOWN_KEYS: usize = 50;

/// Reads the pipeline file. An unknown key does not hide the ones after
/// it: each is reported, taken out of a copy of the text (as spaces, so
/// every position stays), and the file read again.
fn parse(file: &Path, source: &str) -> Result<PipelineFile, Problems> {
    let mut text = source.to_string();
    let mut problems = Vec::new();
    for _ in 0..MAX_UNKNOWN_KEYS {
        let e = match toml::from_str::<PipelineFile>(&text) {
            Ok(parsed) if problems.is_empty() => return Ok(parsed),
            Ok(_) => break,
            Err(e) => e,
        };
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim().to_string();
        let err = Diagnostic::at(file, source, span.clone(), &message).suggest(unknown_field_hint(
            &message,
            source,
            e.span(),
        ));
        problems.push((span.start, err));
        if !message.starts_with("unknown field") || !blank_entry(&mut text, span.start) {
            break;
        }
    }
    problems.sort_by_key(|(at, _)| *at);
    Err(Problems(problems.into_iter().map(|(_, p)| p).collect()))
}

/// Replaces the entry (`key = value`) whose key starts at byte `at` with
/// spaces, and a comma beside it in an inline table; false when there is
/// no such entry.
fn blank_entry(text: &mut String, at: usize) -> bool {
    let end = match toml::de::DeTable::parse(text) {
        Ok(doc) => entry_end(doc.get_ref(), at),
        Err(_) => None,
    };
    let Some(end) = end.filter(|&end| end > at && end <= text.len()) else {
        return false;
    };
    let mut bytes = std::mem::take(text).into_bytes();
    for b in &mut bytes[at..end] {
        if *b != b'\n' {
            *b = b' ';
        }
    }
    let next = bytes[end..]
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| end + i);
    let before = bytes[..at].iter().rposition(|b| !b.is_ascii_whitespace());
    if let Some(i) = next.filter(|&i| bytes[i] == b',') {
        bytes[i] = b' ';
    } else if let Some(i) = before.filter(|&i| bytes[i] == b',') {
        bytes[i] = b' ';
    }
    // Whole characters were replaced: still UTF-8.
    *text = String::from_utf8(bytes).unwrap_or_default();
    true
}

/// Where the value of the entry whose key starts at `at` ends.
fn entry_end(table: &toml::de::DeTable<'_>, at: usize) -> Option<usize> {
    use toml::de::DeValue;
    fn in_value(value: &DeValue<'_>, at: usize) -> Option<usize> {
        match value {
            DeValue::Table(t) => entry_end(t, at),
            DeValue::Array(a) => a.iter().find_map(|v| in_value(v.get_ref(), at)),
            _ => None,
        }
    }
    table.iter().find_map(|(key, value)| {
        if key.span().start == at {
            Some(value.span().end)
        } else {
            in_value(value.get_ref(), at)
        }
    })
}

/// Stills given no length last as long as the longest other source (5 s
/// when no other length is known).
fn stretch_stills(sources: &mut [SourcePlan]) {
    let longest = sources
        .iter()
        .filter_map(|s| s.duration)
        .max()
        .unwrap_or(Duration::from_secs(5));
    for source in sources.iter_mut() {
        if let SourceKind::Images(images) = &mut source.kind
            && images.frames == 0
        {
            images.frames = (longest.as_secs_f64() * images.rate as f64)
                .round()
                .max(1.0) as u64;
            source.duration = Some(Duration::from_secs_f64(
                images.frames as f64 / images.rate as f64,
            ));
        }
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

/// `path` with `.` and `name/..` taken out, as a person would write it (no
/// links are followed: that is for comparing, see [`resolved`]).
fn plain(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// Where `path` really is: links resolved, whether or not the file exists
/// yet (its directory must).
fn resolved(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = path.canonicalize() {
        return Some(p);
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Some(dir.canonicalize().ok()?.join(path.file_name()?))
}

fn file_uri(path: &Path) -> Result<String, String> {
    let absolute = std::path::absolute(path).map_err(|e| e.to_string())?;
    gst::glib::filename_to_uri(&absolute, None)
        .map(|u| u.to_string())
        .map_err(|e| e.to_string())
}

impl Checker<'_> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(self.file, self.source, span, message)
    }

    fn report(&mut self, error: Diagnostic) {
        self.problems.push(error);
    }

    fn complain(&mut self, span: Range<usize>, message: impl Into<String>) {
        let e = self.error(span, message);
        self.report(e);
    }

    /// Reports a runtime error after `context`; a name the catalog lacks
    /// gets its likely fix as help, as other unknown names do.
    fn complain_about(&mut self, span: Range<usize>, context: &str, e: reel_runtime::Error) {
        use reel_runtime::Error::{NoSuchAssets, NoSuchPlugin};
        let (e, suggestion) = match e {
            NoSuchPlugin {
                name,
                searched,
                suggestion,
            } => (
                NoSuchPlugin {
                    name,
                    searched,
                    suggestion: None,
                },
                suggestion,
            ),
            NoSuchAssets {
                name,
                searched,
                suggestion,
            } => (
                NoSuchAssets {
                    name,
                    searched,
                    suggestion: None,
                },
                suggestion,
            ),
            e => (e, None),
        };
        let e = self
            .error(span, format!("{context}{e}"))
            .suggest(suggestion);
        self.report(e);
    }

    /// `path` as written in the file, relative to the file's directory,
    /// written plainly (`pipelines/../out/x.mp4` is `out/x.mp4`).
    fn relative(&self, path: &str) -> PathBuf {
        let p = Path::new(path);
        if p.is_absolute() {
            plain(p)
        } else {
            plain(&self.dir.join(p))
        }
    }

    /// Every plugin stage and image decoder holds a plugin instance while
    /// the pipeline runs, and one process has `reel_runtime::MAX_INSTANCES`: a pipeline
    /// that needs more is refused here, at the first stage over the limit,
    /// rather than failing once media flows.
    fn check_instances(
        &mut self,
        defs: &[Spanned<StageDef>],
        sources: &[SourcePlan],
        stages: &[StagePlan],
    ) {
        let decoders = sources
            .iter()
            .filter(|s| matches!(s.kind, SourceKind::Images(_)))
            .count();
        let plugins: Vec<&str> = stages
            .iter()
            .filter(|s| matches!(s.work, StageWork::Plugin(_)))
            .map(|s| s.id.as_str())
            .collect();
        let room = reel_runtime::MAX_INSTANCES.saturating_sub(decoders);
        if let Some(first_over) = plugins.get(room)
            && let Some(def) = defs.iter().find(|d| d.get_ref().id.get_ref() == first_over)
        {
            let span = def.get_ref().id.span();
            self.complain(
                span,
                format!(
                    "the pipeline needs {} plugin instances ({} stages, {decoders} image decoders); one process can run at most {}",
                    plugins.len() + decoders,
                    plugins.len(),
                    reel_runtime::MAX_INSTANCES
                ),
            );
        }
    }

    /// A stage whose output nothing takes is a mistake (a sink pointing at
    /// the wrong id, a stage left behind), reported at the stage.
    fn check_every_stage_is_used(
        &mut self,
        defs: &[Spanned<StageDef>],
        inputs: &[Vec<Text>],
        sinks: &[Spanned<SinkDef>],
    ) {
        let used: HashSet<&str> = inputs
            .iter()
            .flatten()
            .map(|t| t.get_ref().as_str())
            .chain(sinks.iter().map(|s| s.get_ref().input.get_ref().as_str()))
            .collect();
        for def in defs {
            let id = &def.get_ref().id;
            if !id.get_ref().is_empty() && !used.contains(id.get_ref().as_str()) {
                self.complain(
                    id.span(),
                    format!(
                        "stage `{}` is not the input of any stage or sink: its frames would go nowhere",
                        id.get_ref()
                    ),
                );
            }
        }
    }

    /// Reel never writes over what it did not create: an output file that
    /// is also an input (after relative paths and links are resolved) is
    /// refused at the sink.
    fn check_outputs_are_not_inputs(&mut self, sinks: &[Spanned<SinkDef>], sources: &[SourcePlan]) {
        let inputs: Vec<(String, PathBuf)> = sources
            .iter()
            .flat_map(|s| {
                let files: Vec<PathBuf> = match &s.kind {
                    SourceKind::Uri(uri) => gst::glib::filename_from_uri(uri)
                        .map(|(p, _)| vec![p])
                        .unwrap_or_default(),
                    SourceKind::Images(images) => images.files.clone(),
                    SourceKind::Test(_) => Vec::new(),
                };
                files
                    .into_iter()
                    .filter_map(|f| f.canonicalize().ok())
                    .map(|f| (s.id.clone(), f))
                    .collect::<Vec<_>>()
            })
            .collect();
        for sink in sinks {
            let Some(file) = &sink.get_ref().file else {
                continue;
            };
            let Some(output) = resolved(&self.relative(file.get_ref())) else {
                continue;
            };
            if let Some((id, _)) = inputs.iter().find(|(_, input)| *input == output) {
                self.complain(
                    file.span(),
                    format!(
                        "{} is an input of source `{id}`: Reel never writes over its inputs",
                        output.display()
                    ),
                );
            }
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
                self.problems.push(Diagnostic::plain(format!(
                    "--set {}.{}: there is no stage `{}`{}",
                    o.stage,
                    o.key,
                    o.stage,
                    hint.map(|h| format!(" (did you mean `{h}`?)"))
                        .unwrap_or_default()
                )));
            }
        }
        let known: Vec<String> = ids.keys().cloned().collect();

        let mut sources: Vec<SourcePlan> = parsed
            .source
            .iter()
            .filter_map(|s| self.source_plan(s))
            .collect();
        stretch_stills(&mut sources);
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
                    on_error_written: def.get_ref().on_error.is_some(),
                });
            }
        }
        self.check_instances(&parsed.stage, &sources, &stages);
        self.check_sound(&parsed.stage, &sources, &stages);
        self.check_every_stage_is_used(&parsed.stage, &inputs, &parsed.sink);
        let sinks: Vec<SinkPlan> = parsed
            .sink
            .iter()
            .filter_map(|s| self.sink_plan(s, &known, &sources, &stages))
            .collect();
        self.check_outputs_are_not_inputs(&parsed.sink, &sources);
        let mut outputs = HashSet::new();
        for sink in &sinks {
            if let SinkKind::File { path, .. } = &sink.kind
                && !outputs.insert(path.clone())
            {
                self.problems.push(Diagnostic::plain(format!(
                    "two sinks write {}",
                    path.display()
                )));
            }
        }
        self.problems.is_empty().then_some(Plan {
            name,
            sources,
            stages,
            sinks,
            warnings: std::mem::take(&mut self.warnings),
        })
    }
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
        let spaced = Override::parse(" neg . strength = 0.5 ").unwrap();
        assert_eq!(
            (
                spaced.stage.as_str(),
                spaced.key.as_str(),
                spaced.value.as_str()
            ),
            ("neg", "strength", "0.5")
        );
        assert!(Override::parse("strength=0.5").is_err());
        assert!(Override::parse("neg.strength").is_err());
    }

    #[test]
    fn paths_are_written_plainly() {
        assert_eq!(
            plain(Path::new("pipelines/../out/x.mp4")),
            Path::new("out/x.mp4")
        );
        assert_eq!(plain(Path::new("./a/./b")), Path::new("a/b"));
        assert_eq!(plain(Path::new("../a")), Path::new("../a"));
        assert_eq!(plain(Path::new("/x/../y")), Path::new("/y"));
        assert_eq!(plain(Path::new("a/..")), Path::new("."));
    }

    #[test]
    fn unknown_field_hints_pick_the_closest_expected_name() {
        let msg = "unknown field `inptu`, expected one of `id`, `plugin`, `input`, `inputs`";
        assert_eq!(unknown_field_hint(msg, "", None), Some("input".into()));
    }
}
