//! The `composite` plugin: layers over a programme, through the runtime,
//! through a pipeline written as a broadcast engineer writes it, and as
//! `wasmmixer` pads named in gst-launch style.

use std::path::Path;

use reel_runtime::{Format, HostFrame, ParamValue, Stage, Verdict};
use reel_tests::{
    catalog, decode_frames, file_job_spec, frame, plugin_path, runtime, write_pipeline,
};

// The layer model's own tests run here, natively (a plugin crate links
// only for wasm32-wasip2).
#[path = "../../plugins/composite/src/layers.rs"]
#[allow(dead_code)]
mod layers;

fn composite(layers: &str) -> Stage {
    Stage::new(spec(layers)).unwrap()
}

fn spec(layers: &str) -> reel_runtime::StageSpec {
    file_job_spec(
        "gfx",
        &plugin_path("composite"),
        vec![("layers".into(), ParamValue::Text(layers.into()))],
    )
}

/// A programme (grey I420), a picture-in-picture (red I420, twice the
/// size it is shown at) with a white border, and a logo (straight-alpha
/// RGBA, half transparent): each pixel where it should be.
#[test]
fn layers_land_where_the_pipeline_says() {
    let mut stage = composite(
        r##"[{"input":"logo","x":2,"y":30,"z":1},
             {"input":"pip","x":40,"y":4,"width":16,"border":{"width":2,"color":"#ffffff"}}]"##,
    );
    let (w, h) = (64, 48);
    let inputs = vec![
        (
            "programme".to_string(),
            frame(Format::I420, w, h, |i| if i < w * h { 126 } else { 128 }),
        ),
        // BT.709 red: Y 63, U 102, V 240.
        (
            "pip".to_string(),
            frame(Format::I420, 32, 24, |i| match i {
                i if i < 32 * 24 => 63,
                i if i < 32 * 24 + 16 * 12 => 102,
                _ => 240,
            }),
        ),
        (
            "logo".to_string(),
            frame(Format::Rgba, 8, 8, |i| [0, 0, 255, 128][i % 4]),
        ),
    ];
    let (out, verdict) = stage.mix(inputs, HostFrame::blank(Format::Rgba, w, h));
    assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
    let image = out.image().unwrap();
    let px = |x: usize, y: usize| image.row(0, y)[4 * x..4 * x + 3].to_vec();
    let near = |got: Vec<u8>, want: [u8; 3]| got.iter().zip(want).all(|(g, w)| g.abs_diff(w) <= 3);
    assert!(
        near(px(10, 10), [128, 128, 128]),
        "programme: {:?}",
        px(10, 10)
    );
    // The PiP: 16 wide, so 12 high (aspect kept), at (40, 4).
    assert!(near(px(47, 9), [255, 0, 0]), "pip: {:?}", px(47, 9));
    assert!(
        near(px(40, 4), [255, 0, 0]) && near(px(55, 15), [255, 0, 0]),
        "pip corners"
    );
    assert!(near(px(56, 16), [128, 128, 128]) || near(px(56, 16), [255, 255, 255]));
    // The border, 2 pixels outside each edge.
    for (x, y) in [(38, 2), (57, 17), (38, 10), (57, 10), (47, 3)] {
        assert!(
            near(px(x, y), [255, 255, 255]),
            "border at {x},{y}: {:?}",
            px(x, y)
        );
    }
    assert!(near(px(35, 10), [128, 128, 128]), "outside the border");
    // The logo: half-transparent blue over grey, straight alpha.
    assert!(near(px(5, 33), [64, 64, 191]), "logo: {:?}", px(5, 33));
}

/// A layer naming an input the stage does not have fails the frame with
/// a sentence naming the layer and the inputs there are; bad layer text is
/// refused when the stage starts.
#[test]
fn mistakes_are_named() {
    let mut stage = composite(r#"[{"input":"gust"}]"#);
    let inputs = vec![
        ("programme".to_string(), frame(Format::Rgba, 8, 8, |_| 100)),
        ("guest".to_string(), frame(Format::Rgba, 8, 8, |_| 200)),
    ];
    let (_, verdict) = stage.mix(inputs, HostFrame::blank(Format::Rgba, 8, 8));
    let Verdict::Fail(message) = verdict else {
        panic!("{verdict:?}");
    };
    assert!(
        message
            .contains("layer 1: input `gust` is not one of this stage's inputs (programme, guest)"),
        "{message}"
    );
    let Err(err) = Stage::new(spec(
        r#"[{"input":"a","border":{"width":2,"color":"blue-ish"}}]"#,
    )) else {
        panic!("a layer with a bad colour is refused");
    };
    let err = err.to_string();
    assert!(err.contains("`blue-ish` is not a colour"), "{err}");
}

/// The pipeline file: `[[stage.params.layers]]` tables, inputs named by
/// their sources' ids; the picture-in-picture lands where written in the
/// encoded file.
#[test]
fn a_pipeline_writes_layers_as_toml_tables() {
    reel_pipeline::init(&catalog()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = write_pipeline(
        dir.path(),
        r##"
[[source]]
id = "programme"
testsrc = { pattern = "white", size = "320x240", rate = 25, seconds = 1 }

[[source]]
id = "guest"
testsrc = { pattern = "red", size = "640x480", rate = 25, seconds = 1, audio = false }

[[stage]]
id = "gfx"
plugin = "composite"
inputs = ["programme", "guest"]

[[stage.params.layers]]
input = "guest"
x = 200
y = 20
width = 96
shadow = { x = 4, y = 4, softness = 4, opacity = 0.6 }

[[sink]]
input = "gfx"
file = "out.mkv"
video = { crf = 12 }
"##,
    );
    let plan = reel_pipeline::check(Path::new(&file), &runtime(), &catalog(), &[]).unwrap();
    let built = reel_pipeline::build(&plan).unwrap();
    let report = reel_pipeline::session::run(
        &plan,
        built,
        &reel_pipeline::session::Control::default(),
        false,
        |_| {},
    )
    .unwrap();
    assert_eq!(report.written[0].1, 25);
    let frames = decode_frames(&dir.path().join("out.mkv"), 320, 240);
    let px = |x: usize, y: usize| frames[12][4 * (y * 320 + x)..][..3].to_vec();
    let red = px(240, 50);
    assert!(red[0] > 200 && red[1] < 50 && red[2] < 50, "pip: {red:?}");
    let white = px(100, 100);
    assert!(white.iter().all(|&c| c > 230), "programme: {white:?}");
    // The shadow darkens below and right of the PiP (96x72 at 200,20).
    let shadow = px(250, 94);
    assert!(shadow.iter().all(|&c| c < 200), "shadow: {shadow:?}");
}

/// In gst-launch, a plugin taking any inputs needs each pad's `input`
/// property: with it the picture is composed, without it the element
/// stops with a message naming the pad.
#[test]
fn wasmmixer_pads_name_the_inputs() {
    let launch = |names: [&str; 2]| {
        let pads: Vec<String> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| !n.is_empty())
            .map(|(i, n)| format!("sink_{i}::input={n}"))
            .collect();
        reel_tests::pull_samples(
            &format!(
                "wasmmixer name=m plugin=composite {} \
                   params=\"layers='[{{\\\"input\\\":\\\"box\\\",\\\"x\\\":4,\\\"y\\\":4}}]'\" \
                   ! video/x-raw,format=RGBA,width=32,height=24 ! appsink name=out \
                 videotestsrc pattern=white num-buffers=2 ! video/x-raw,format=RGBA,width=32,height=24 ! m.sink_0 \
                 videotestsrc pattern=blue num-buffers=2 ! video/x-raw,format=RGBA,width=8,height=8 ! m.sink_1",
                pads.join(" ")
            ),
            2,
        )
    };
    let samples = launch(["main", "box"]);
    assert_eq!(samples.len(), 2);
    let map = samples[0].buffer().unwrap().map_readable().unwrap();
    let px = |x: usize, y: usize| map[4 * (y * 32 + x)..][..3].to_vec();
    assert!(px(6, 6)[2] > 200 && px(6, 6)[0] < 50, "box: {:?}", px(6, 6));
    assert!(
        px(20, 20).iter().all(|&c| c > 230),
        "main: {:?}",
        px(20, 20)
    );
    drop(map);
    assert!(launch(["main", ""]).is_empty());
}

/// The shipped example checks: its plugin, inputs, images and layer
/// tables are all valid.
#[test]
fn the_composite_example_pipeline_checks() {
    reel_pipeline::init(&catalog()).unwrap();
    let file = reel_tests::root().join("pipelines/composite.toml");
    let plan = reel_pipeline::check(&file, &runtime(), &catalog(), &[]).unwrap();
    assert_eq!(plan.stages.len(), 1);
    assert_eq!(plan.stages[0].inputs, ["programme", "guest", "logo"]);
}
