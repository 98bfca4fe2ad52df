//! Reel as a library: check a pipeline into a plan with typed, located
//! diagnostics, build it, and run it in a session that reports events and
//! can be stopped (as a service stops a pipeline that never ends).

use std::path::Path;

use gst::prelude::*;

use reel_pipeline::session::{self, Control, Ending, Event};
use reel_tests::{catalog, decode_frames, decoded_span, runtime, test_plugin_path, write_pipeline};

fn init() {
    reel_pipeline::init(&catalog()).expect("GStreamer and Reel's elements start");
}

#[test]
fn check_returns_every_problem_with_its_place() {
    init();
    let dir = tempfile::tempdir().unwrap();
    let file = write_pipeline(
        dir.path(),
        r#"[[source]]
id = "main"
testsrc = { size = "64x48", seconds = 1 }

[[stage]]
id = "neg"
plugin = "invertt"
input = "mian"

[[sink]]
input = "neg"
file = "out.mp4"
"#,
    );
    let problems = reel_pipeline::check(Path::new(&file), &runtime(), &catalog(), &[])
        .err()
        .expect("two mistakes");
    let found: Vec<(usize, usize, &str)> = problems
        .0
        .iter()
        .map(|d| {
            let place = d.place.as_ref().expect("both are in the file");
            assert_eq!(d.file.as_deref(), Some(Path::new(&file)));
            (place.line, place.column, d.message.as_str())
        })
        .collect();
    assert_eq!(found.len(), 2, "{problems}");
    assert_eq!((found[0].0, found[0].1), (7, 10), "{problems}");
    assert!(
        found[0].2.contains("no plugin named `invertt`"),
        "{problems}"
    );
    assert_eq!(
        problems.0[0].help.as_deref(),
        Some("did you mean `invert`?"),
        "{problems}"
    );
    assert_eq!((found[1].0, found[1].1), (8, 9), "{problems}");
    assert_eq!(
        problems.0[1].help.as_deref(),
        Some("did you mean `main`?"),
        "{problems}"
    );
    // The span is the offending text itself.
    let text = std::fs::read_to_string(&file).unwrap();
    let span = problems.0[1].place.as_ref().unwrap().span.clone();
    assert_eq!(&text[span], "\"mian\"");
}

/// A plan built and run by the library: progress events arrive, the
/// report counts the frames, and the file holds them.
#[test]
fn a_session_runs_a_plan_to_its_end() {
    init();
    let dir = tempfile::tempdir().unwrap();
    let file = write_pipeline(
        dir.path(),
        "[[source]]\nid = \"main\"\ntestsrc = { size = \"64x48\", rate = 25, seconds = 2 }\n\n[[stage]]\nid = \"neg\"\nplugin = \"invert\"\ninput = \"main\"\n\n[[sink]]\ninput = \"neg\"\nfile = \"out.mp4\"\n",
    );
    let plan = reel_pipeline::check(Path::new(&file), &runtime(), &catalog(), &[]).unwrap();
    let built = reel_pipeline::build(&plan).unwrap();
    let mut progress = 0;
    let report = session::run(&plan, built, &Control::default(), false, |event| {
        if let Event::Progress(p) = event {
            assert!(p.total.is_some_and(|t| p.position <= t));
            progress += 1;
        }
    })
    .unwrap();
    assert_eq!(report.ending, Ending::Finished);
    assert_eq!(report.written.len(), 1);
    assert_eq!(report.written[0].1, 50);
    assert_eq!(report.stages[0].id, "neg");
    assert_eq!(report.stages[0].frames, 50);
    assert_eq!(report.stages[0].failures, Some(0));
    assert!(progress > 0);
    assert_eq!(decode_frames(&dir.path().join("out.mp4"), 64, 48).len(), 50);
}

/// A pipeline that would run for a day is stopped through its `Control`
/// from another thread: the file it wrote so far is finished and kept.
#[test]
fn a_session_that_never_ends_stops_when_told() {
    init();
    let dir = tempfile::tempdir().unwrap();
    let file = write_pipeline(
        dir.path(),
        "[[source]]\nid = \"main\"\ntestsrc = { size = \"64x48\", rate = 25, seconds = 86400 }\n\n[[sink]]\ninput = \"main\"\nfile = \"out.mkv\"\n",
    );
    let plan = reel_pipeline::check(Path::new(&file), &runtime(), &catalog(), &[]).unwrap();
    let built = reel_pipeline::build(&plan).unwrap();
    let control = Control::default();
    let report = session::run(&plan, built, &control, false, |event| {
        if let Event::Progress(p) = event
            && p.frames >= 25
            && control.interrupts() == 0
        {
            control.interrupt();
        }
    })
    .unwrap();
    assert_eq!(report.ending, Ending::Interrupted);
    let written = report.written[0].1;
    assert!(written >= 25, "{written}");
    let frames = decode_frames(&dir.path().join("out.mkv"), 64, 48).len() as u64;
    assert_eq!(frames, written);
}

/// A mixer stage builds into `wasmmixer` running the plugin, the filter
/// into `wasmfilter`; the output is written under a temporary name until
/// the session finishes it; the picture is composed and the first input's
/// sound comes along.
#[test]
fn a_mixer_plan_builds_into_reels_elements_and_composes() {
    init();
    let dir = tempfile::tempdir().unwrap();
    let file = write_pipeline(
        dir.path(),
        &format!(
            r#"
[[source]]
id = "main"
testsrc = {{ pattern = "white", size = "320x240", rate = 25, seconds = 1 }}

[[source]]
id = "logo"
testsrc = {{ pattern = "red", size = "40x30", rate = 25, seconds = 1, audio = false }}

[[stage]]
id = "mix"
plugin = "{}"
inputs = ["main", "logo"]
params = {{ x = 100, y = 60 }}

[[stage]]
id = "same"
plugin = "passthrough"
input = "mix"

[[sink]]
input = "same"
file = "out.mp4"
"#,
            test_plugin_path("testmix").display()
        ),
    );
    let plan = reel_pipeline::check(Path::new(&file), &runtime(), &catalog(), &[]).unwrap();
    let built = reel_pipeline::build(&plan).unwrap();
    let stages: Vec<(&str, &str, String, String)> = built
        .stages
        .iter()
        .map(|s| {
            // The element's type (its factory is not reliably set on
            // elements made without one).
            let factory = s.element.type_().name().to_string();
            let plugin: Option<String> = s.element.property("plugin");
            (s.id.as_str(), s.kind, factory, plugin.unwrap_or_default())
        })
        .collect();
    assert_eq!(stages.len(), 2, "{stages:?}");
    assert_eq!(
        (stages[0].0, stages[0].1, stages[0].2.as_str()),
        ("mix", "mixer", "ReelWasmMixer")
    );
    assert!(stages[0].3.ends_with("testmix.wasm"), "{stages:?}");
    assert_eq!(
        (stages[1].0, stages[1].2.as_str()),
        ("same", "ReelWasmFilter")
    );
    let target = dir.path().join("out.mp4");
    assert_eq!(built.outputs[0].target, target);
    assert_ne!(built.outputs[0].partial, target);

    let report = session::run(&plan, built, &Control::default(), false, |_| {}).unwrap();
    assert_eq!(report.ending, Ending::Finished);
    let frames = decode_frames(&target, 320, 240);
    assert_eq!(frames.len(), 25);
    let at = |f: &Vec<u8>, x: usize, y: usize| f[(y * 320 + x) * 4..][..3].to_vec();
    let red = at(&frames[12], 120, 75);
    assert!(
        red[0] > 200 && red[1] < 60 && red[2] < 60,
        "inside the logo: {red:?}"
    );
    let white = at(&frames[12], 20, 20);
    assert!(
        white.iter().all(|&c| c > 220),
        "outside the logo: {white:?}"
    );
    assert!(
        decoded_span(&target, "audio").is_some(),
        "the first input's audio comes along"
    );
}
