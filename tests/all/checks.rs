//! `check` through the library: every mistake a pipeline file can hold is
//! a typed diagnostic at its line and column, in file order, with help
//! where there is a likely fix. (`cli.rs` keeps a few of these through the
//! `reel` binary, for the exit code and the printed form.)

use std::path::Path;
use std::time::{Duration, Instant};

use reel_pipeline::{Override, Plan, Problems, StageWork};
use reel_runtime::ParamValue;
use reel_tests::{catalog, gst_launch, runtime, test_plugin_path, write_pipeline};

fn init() {
    reel_pipeline::init(&catalog()).expect("GStreamer and Reel's elements start");
}

fn check_in(dir: &Path, body: &str, overrides: &[Override]) -> Result<Plan, Problems> {
    init();
    let file = write_pipeline(dir, body);
    reel_pipeline::check(Path::new(&file), &runtime(), &catalog(), overrides)
}

/// The problems `body` has: (line, column, message and help), in the
/// order the library gives them.
fn problems(dir: &Path, body: &str) -> Vec<(usize, usize, String)> {
    let problems = match check_in(dir, body, &[]) {
        Ok(_) => panic!("expected problems in\n{body}"),
        Err(problems) => problems,
    };
    problems
        .0
        .iter()
        .map(|d| {
            let (line, column) = d.place.as_ref().map_or((0, 0), |p| (p.line, p.column));
            let text = format!("{} {}", d.message, d.help.as_deref().unwrap_or(""));
            (line, column, text)
        })
        .collect()
}

/// Each class of mistake, the text that causes it, and where it must be
/// reported (line, column) plus a phrase the message or help must hold.
pub const MISTAKES: &[(&str, &str, (usize, usize), &str)] = &[
    (
        "syntax",
        "[[source]]\nid = \"main\"\ntestsrc = { pattern = }\n",
        (3, 23),
        "invalid",
    ),
    (
        "unknown key",
        "[[source]]\nid = \"main\"\ntestsrc = {}\n\n[[sink]]\ninptu = \"main\"\nnull = true\n",
        (6, 1),
        "did you mean `input`",
    ),
    (
        "wrong type",
        "[[source]]\nid = \"main\"\ntestsrc = { rate = \"fast\" }\n[[sink]]\ninput = \"main\"\nnull = true\n",
        (3, 20),
        "invalid type",
    ),
    (
        "missing plugin",
        "[[source]]\nid = \"m\"\ntestsrc = {}\n[[stage]]\nid = \"s\"\nplugin = \"invertt\"\ninput = \"m\"\n[[sink]]\ninput = \"s\"\nnull = true\n",
        (6, 10),
        "did you mean `invert`",
    ),
    (
        "unknown parameter",
        "[[source]]\nid = \"m\"\ntestsrc = {}\n[[stage]]\nid = \"s\"\nplugin = \"invert\"\ninput = \"m\"\nparams = { strenght = 1.0 }\n[[sink]]\ninput = \"s\"\nnull = true\n",
        (8, 12),
        "did you mean `strength`",
    ),
    (
        "out of range",
        "[[source]]\nid = \"m\"\ntestsrc = {}\n[[stage]]\nid = \"s\"\nplugin = \"invert\"\ninput = \"m\"\nparams = { strength = 2.5 }\n[[sink]]\ninput = \"s\"\nnull = true\n",
        (8, 23),
        "out of range 0..=1",
    ),
    (
        "dangling input",
        "[[source]]\nid = \"main\"\ntestsrc = {}\n[[sink]]\ninput = \"mian\"\nnull = true\n",
        (5, 9),
        "did you mean `main`",
    ),
    (
        "cycle",
        "[[source]]\nid = \"m\"\ntestsrc = {}\n[[stage]]\nid = \"a\"\nelement = \"identity\"\ninput = \"b\"\n[[stage]]\nid = \"b\"\nelement = \"identity\"\ninput = \"a\"\n[[sink]]\ninput = \"b\"\nnull = true\n",
        (11, 9),
        "cycle",
    ),
    (
        "missing file",
        "[[source]]\nid = \"m\"\nfile = \"nowhere.mp4\"\n[[sink]]\ninput = \"m\"\nnull = true\n",
        (3, 8),
        "does not exist",
    ),
    (
        "unknown element property",
        "[[source]]\nid = \"m\"\ntestsrc = {}\n[[stage]]\nid = \"f\"\nelement = \"videoflip\"\nproperties = { methd = \"horizontal-flip\" }\ninput = \"m\"\n[[sink]]\ninput = \"f\"\nnull = true\n",
        (7, 16),
        "did you mean `method`",
    ),
    (
        "bad enum value",
        "[[source]]\nid = \"m\"\ntestsrc = { pattern = \"smtpe\" }\n[[sink]]\ninput = \"m\"\nnull = true\n",
        (3, 23),
        "did you mean `smpte`",
    ),
];

#[test]
fn every_class_of_mistake_points_at_its_line_and_column() {
    for (class, body, (line, column), phrase) in MISTAKES {
        let dir = tempfile::tempdir().unwrap();
        let found = problems(dir.path(), body);
        assert!(
            found
                .iter()
                .any(|(l, c, text)| (l, c) == (line, column) && text.contains(phrase)),
            "{class}: expected `{phrase}` at {line}:{column} in {found:?}"
        );
    }
}

#[test]
fn every_unknown_key_is_reported_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let found = problems(
        dir.path(),
        r#"[pipeline]
nmae = "x"

[[source]]
id = "main"
testsrc = { size = "64x48", seconds = 1, rat = 25 }

[[stage]]
id = "neg"
plugin = "invert"
inptu = "main"
input = "main"

[[sink]]
input = "neg"
file = "o.mp4"
vidoe = { crf = 20 }
"#,
    );
    let places: Vec<(usize, usize)> = found.iter().map(|(l, c, _)| (*l, *c)).collect();
    assert_eq!(places, [(2, 1), (6, 42), (11, 1), (17, 1)], "{found:?}");
    for ((_, _, text), hint) in found.iter().zip(["`name`", "`rate`", "`input`", "`video`"]) {
        assert!(text.contains(&format!("did you mean {hint}?")), "{text}");
    }
}

/// A still image given as a clip points to `images`; a FIFO given as a
/// clip is refused at once instead of hanging the check.
#[test]
fn stills_and_fifos_given_as_clips_are_caught() {
    let dir = tempfile::tempdir().unwrap();
    let logo = dir.path().join("logo.png");
    gst_launch(&[
        "videotestsrc",
        "num-buffers=1",
        "!",
        "pngenc",
        "!",
        "filesink",
        &format!("location={}", logo.display()),
    ]);
    let clip = |source: &str| {
        format!("[[source]]\nid = \"main\"\n{source}\n\n[[sink]]\ninput = \"main\"\nnull = true\n")
    };
    let found = problems(dir.path(), &clip(r#"file = "logo.png""#));
    assert_eq!((found[0].0, found[0].1), (3, 8), "{found:?}");
    assert!(
        found[0].2.contains("still image") && found[0].2.contains("images = {"),
        "{found:?}"
    );

    let fifo = dir.path().join("feed.ts");
    let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    for source in [
        r#"file = "feed.ts""#.to_string(),
        format!("uri = \"file://{}\"", fifo.display()),
    ] {
        let started = Instant::now();
        let found = problems(dir.path(), &clip(&source));
        assert_eq!(found[0].0, 3, "{found:?}");
        assert!(found[0].2.contains("is not a regular file"), "{found:?}");
        assert!(started.elapsed() < Duration::from_secs(15));
    }
}

#[test]
fn sink_settings_and_property_ranges_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let found = problems(
        dir.path(),
        r#"
[[source]]
id = "main"
testsrc = { size = "64x48", seconds = 1 }

[[stage]]
id = "bal"
element = "videobalance"
properties = { saturation = 50 }
input = "main"

[[sink]]
input = "bal"
file = "a.mp4"
video = { crf = 20, bitrate_kbps = 900 }

[[sink]]
input = "bal"
file = "b.mp4"
video = { pixel_format = "yuv44p", tune = "flim" }
"#,
    );
    let at = |line: usize, phrase: &str| {
        assert!(
            found
                .iter()
                .any(|(l, _, text)| *l == line && text.contains(phrase)),
            "`{phrase}` at line {line} in {found:?}"
        );
    };
    assert_eq!((found[0].0, found[0].1), (9, 29), "{found:?}");
    at(9, "`50` is out of range for property `saturation` (0..=2)");
    at(15, "not both");
    at(20, "did you mean `yuv444p`?");
    at(20, "tune `flim` is not one of");
}

/// What check finds in stages: an unused stage, an element that cannot
/// take video, caps that cannot fit, a plugin that refuses to start for
/// want of an asset, and then, with the asset granted, a FIFO among the
/// assets.
#[test]
fn check_starts_stages_and_walks_their_assets() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = test_plugin_path("hostile");
    let found = problems(
        dir.path(),
        &format!(
            r#"
[[source]]
id = "main"
testsrc = {{ size = "64x48", seconds = 1 }}

[[stage]]
id = "unused"
plugin = "invert"
input = "main"

[[stage]]
id = "echo"
element = "audioecho"
input = "main"

[[stage]]
id = "shape"
element = "capsfilter"
properties = {{ caps = "audio/x-raw" }}
input = "echo"

[[stage]]
id = "asset"
plugin = "{}"
params = {{ mode = "need-asset" }}
input = "shape"

[[sink]]
input = "asset"
null = true
"#,
            hostile.display()
        ),
    );
    for (line, column, phrase) in [
        (7, 6, "stage `unused` is not the input of any stage or sink"),
        (
            13,
            11,
            "stage `echo`: element `audioecho` does not take video",
        ),
        (
            18,
            11,
            "stage `shape`: element `capsfilter` caps `audio/x-raw` cannot fit raw video",
        ),
        (
            25,
            10,
            "stage `asset` (plugin hostile) could not start: refused its parameters: invalid parameter: cannot read /assets/hello.txt",
        ),
    ] {
        assert!(
            found
                .iter()
                .any(|(l, c, text)| (*l, *c) == (line, column) && text.contains(phrase)),
            "`{phrase}` at {line}:{column} in {found:?}"
        );
    }

    let assets = dir.path().join("assets");
    std::fs::create_dir(&assets).unwrap();
    std::fs::write(assets.join("hello.txt"), "hi").unwrap();
    let good = format!(
        "[[source]]\nid = \"main\"\ntestsrc = {{ size = \"64x48\", seconds = 1 }}\n\n[[stage]]\nid = \"asset\"\nplugin = \"{}\"\nparams = {{ mode = \"need-asset\" }}\nassets = \"assets\"\ninput = \"main\"\n\n[[sink]]\ninput = \"asset\"\nnull = true\n",
        hostile.display()
    );
    let plan = check_in(dir.path(), &good, &[]).expect("the asset is granted");
    assert_eq!(plan.stages.len(), 1);
    let fifo = assets.join("pipe");
    let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    let found = problems(dir.path(), &good);
    assert!(
        found[0].0 == 9
            && found[0].1 == 10
            && found[0]
                .2
                .contains("pipe in the asset directory is not a regular file"),
        "{found:?}"
    );
}

/// `--set` overrides reach the plan's stage parameters, and a misspelt
/// one is refused with a suggestion.
#[test]
fn overrides_are_checked_against_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let body = "[[source]]\nid = \"main\"\ntestsrc = { size = \"64x48\", seconds = 1 }\n\n[[stage]]\nid = \"neg\"\nplugin = \"invert\"\ninput = \"main\"\n\n[[sink]]\ninput = \"neg\"\nnull = true\n";
    let set = Override::parse("neg.strength=0.25").unwrap();
    let plan = check_in(dir.path(), body, &[set]).expect("a valid override");
    let StageWork::Plugin(spec) = &plan.stages[0].work else {
        panic!("`neg` is a plugin stage");
    };
    assert!(
        spec.params
            .iter()
            .any(|(name, value)| name == "strength" && *value == ParamValue::Number(0.25)),
        "{:?}",
        spec.params
    );
    let typo = Override::parse("neg.strenght=1").unwrap();
    let problems = check_in(dir.path(), body, &[typo]).err().expect("refused");
    let text = problems.to_string();
    assert!(text.contains("did you mean `strength`"), "{text}");
}

/// A filter given two inputs is a mistake reported at the second one.
#[test]
fn a_filter_takes_one_input() {
    let dir = tempfile::tempdir().unwrap();
    let found = problems(
        dir.path(),
        "[[source]]\nid = \"a\"\ntestsrc = {}\n[[source]]\nid = \"b\"\ntestsrc = {}\n[[stage]]\nid = \"s\"\nplugin = \"invert\"\ninputs = [\"a\", \"b\"]\n[[sink]]\ninput = \"s\"\nnull = true\n",
    );
    assert!(
        found
            .iter()
            .any(|(l, c, text)| (*l, *c) == (10, 16) && text.contains("takes 1 input")),
        "{found:?}"
    );
}
