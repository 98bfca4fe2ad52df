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
use reel_sdk_text as text;

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

/// A `w` x `h` I420 programme of mid grey (RGB 128).
fn grey_programme(w: usize, h: usize) -> HostFrame {
    frame(Format::I420, w, h, |i| if i < w * h { 126 } else { 128 })
}

/// A 32x24 I420 picture of BT.709 red: Y 63, U 102, V 240.
fn red_pip() -> HostFrame {
    frame(Format::I420, 32, 24, |i| match i {
        i if i < 32 * 24 => 63,
        i if i < 32 * 24 + 16 * 12 => 102,
        _ => 240,
    })
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
        ("programme".to_string(), grey_programme(w, h)),
        ("pip".to_string(), red_pip()),
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

fn font(name: &str) -> text::Font {
    let path = reel_tests::root().join("assets/fonts").join(name);
    text::Font::from_bytes(std::fs::read(path).unwrap()).unwrap()
}

/// Lines break only where UAX #14 allows: between words in English,
/// between characters in Chinese but never before closing punctuation or
/// after opening punctuation; a word too long stays whole.
#[test]
fn long_titles_break_only_where_the_script_allows() {
    let bold = font("NotoSansSC-Bold.otf");
    let lines = text::lines(&bold, "Breaking news from the capital tonight", 40.0, 300.0).unwrap();
    assert!(lines.len() >= 3, "{lines:?}");
    for line in &lines {
        assert!(!line.starts_with(' ') && !line.ends_with(' '), "{lines:?}");
    }
    assert_eq!(lines.join(" "), "Breaking news from the capital tonight");
    let title = "本台记者（北京）报道：国家主席今日出席开幕式。";
    for width in [120.0, 170.0, 230.0, 300.0] {
        let lines = text::lines(&bold, title, 40.0, width).unwrap();
        assert!(lines.len() >= 2, "{width}: {lines:?}");
        assert_eq!(lines.concat(), title);
        for line in &lines[1..] {
            let first = line.chars().next().unwrap();
            assert!(
                !"）。：，、".contains(first),
                "{width}: a line starts with {first}: {lines:?}"
            );
        }
        for line in &lines[..lines.len() - 1] {
            let last = line.chars().last().unwrap();
            assert!(last != '（', "{width}: a line ends with （: {lines:?}");
        }
    }
    let lines = text::lines(&bold, "Supercalifragilistic", 40.0, 60.0).unwrap();
    assert_eq!(lines, ["Supercalifragilistic"]);
}

/// A character the font lacks is an error naming it, never a box.
#[test]
fn a_missing_glyph_is_refused_by_name() {
    let regular = font("NotoSansSC-Regular.otf");
    let err = text::render(&regular, "Hi \u{0E01}", 30.0, 500.0)
        .err()
        .unwrap();
    assert!(err.contains("U+0E01"), "{err}");
}

/// A composite stage given one parameter, with the shipped fonts.
fn with_fonts(param: &str, value: ParamValue) -> reel_runtime::StageSpec {
    let mut spec = file_job_spec(
        "gfx",
        &plugin_path("composite"),
        vec![(param.into(), value)],
    );
    spec.sandbox.assets = Some(reel_tests::root().join("assets/fonts"));
    spec
}

fn lower_third_stage(thirds: &str) -> Stage {
    let spec = with_fonts("lower_thirds", ParamValue::Text(thirds.into()));
    Stage::new(spec).unwrap()
}

/// A bilingual lower-third: every glyph drawn (meta), the box where it
/// goes in its colour, white text on it, nothing before its start, and
/// sliding in from the left.
#[test]
fn a_bilingual_lower_third_renders_and_animates() {
    let mut stage = lower_third_stage(
        r##"[{"title":"李明 Li Ming","subtitle":"新闻主播 · News anchor","x":40,"y":200,"width":420,
             "start":1.0,"end":5.0,"duration":0.5,"box":{"color":"#0c2454","opacity":1.0}}]"##,
    );
    let (w, h) = (640, 360);
    let run = |stage: &mut Stage, seconds: f64| {
        let inputs = vec![(
            "programme".to_string(),
            frame(Format::Rgba, w, h, |i| if i % 4 == 3 { 255 } else { 128 }),
        )];
        let mut out = HostFrame::blank(Format::Rgba, w, h);
        out.pts = Some((seconds * 1e9) as u64);
        let (out, verdict) = stage.mix(inputs, out);
        assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
        out
    };
    let before = run(&mut stage, 0.5);
    assert!(before.meta.is_empty(), "not on yet: {:?}", before.meta);
    let shown = run(&mut stage, 2.0);
    // 李 明 ␠ L i ␠ M i n g = 10; 新 闻 主 播 ␠ · ␠ N e w s ␠ a n c h o r = 18.
    assert_eq!(
        shown.meta,
        [(
            "composite.lower-third.1".to_string(),
            "glyphs=28 lines=2".to_string()
        )]
    );
    let image = shown.image().unwrap();
    let px = |x: usize, y: usize| image.row(0, y)[4 * x..4 * x + 3].to_vec();
    // The box's corner area (inside, clear of text) is its colour.
    let navy = px(440, 205);
    assert!(navy[0] < 30 && navy[2] > 70, "box: {navy:?}");
    // Some pixels of the title are white, and the text is anti-aliased:
    // there are grey edge values between the box colour and white.
    let title_row: Vec<Vec<u8>> = (60..300).map(|x| px(x, 240)).collect();
    let white = title_row
        .iter()
        .filter(|p| p.iter().all(|&c| c > 240))
        .count();
    let edges = title_row.iter().filter(|p| p[1] > 80 && p[1] < 200).count();
    assert!(white > 10 && edges > 4, "white {white}, edges {edges}");
    // Outside the box, the programme.
    assert_eq!(px(600, 300), [128, 128, 128]);
    // Halfway through the entrance, it is partly off the left edge.
    let sliding = run(&mut stage, 1.25);
    let image = sliding.image().unwrap();
    let left_third: Vec<&[u8]> = (0..20)
        .map(|x| &image.row(0, 205)[4 * x..4 * x + 3])
        .collect();
    assert!(
        left_third.iter().all(|p| p[2] > 60 && p[0] < 40),
        "the box reaches the left edge while sliding in"
    );
    assert!(run(&mut stage, 5.0).meta.is_empty(), "gone at its end");
}

/// Mistakes in lower-thirds are refused when the stage starts, naming the
/// lower-third: a font not in the assets, a character the font lacks.
#[test]
fn lower_third_mistakes_are_named() {
    for (thirds, phrase) in [
        (
            r#"[{"title":"A","x":0,"y":0,"width":100,"title_font":"Nope.otf"}]"#,
            "font: cannot read Nope.otf from the stage's assets",
        ),
        (
            r#"[{"title":"\u0E01","x":0,"y":0,"width":100}]"#,
            "lower third 1: the font has no glyph for",
        ),
        (r#"[{"title":"A","x":0,"y":0}]"#, "missing field `width`"),
    ] {
        let spec = with_fonts("lower_thirds", ParamValue::Text(thirds.into()));
        let Err(err) = Stage::new(spec) else {
            panic!("{thirds} was accepted");
        };
        assert!(err.to_string().contains(phrase), "{phrase}: {err}");
    }
}

/// An operator changes the name while the graphic is on air: the new
/// `params` reach the running plugin between two frames, every frame
/// still comes out, and a refused change keeps the old graphic with a
/// warning.
#[test]
fn a_name_changes_on_air_without_losing_a_frame() {
    use gst::prelude::*;
    reel_tests::init_gst();
    let fonts = reel_tests::root().join("assets/fonts");
    let strap = |title: &str| {
        format!("lower_thirds='[{{\"title\":\"{title}\",\"x\":8,\"y\":40,\"width\":300}}]'")
    };
    let pipeline = gst::parse::launch(&format!(
        "wasmmixer name=m plugin=composite assets={} sink_0::input=main \
           ! video/x-raw,format=RGBA,width=320,height=180 ! appsink name=out sync=false max-buffers=1 \
         videotestsrc num-buffers=12 ! video/x-raw,format=RGBA,width=320,height=180,framerate=25/1 ! m.sink_0",
        fonts.display(),
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let mixer = pipeline.by_name("m").unwrap();
    mixer.set_property("params", strap("Li Ming"));
    let sink = pipeline
        .by_name("out")
        .unwrap()
        .downcast::<gst_app::AppSink>()
        .unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();
    let glyphs = |sample: &gst::Sample| {
        gstreel::frame_meta::read(sample.buffer().unwrap())
            .into_iter()
            .find(|(k, _)| k == "composite.lower-third.1")
            .map(|(_, v)| v)
            .unwrap_or_default()
    };
    let mut seen = Vec::new();
    for index in 0..12 {
        let sample = sink.pull_sample().expect("every frame comes out");
        seen.push(glyphs(&sample));
        match index {
            3 => mixer.set_property("params", strap("Wang Xiaoming")),
            // Not a colour: refused, the graphic stays as it is.
            7 => mixer.set_property(
                "params",
                "lower_thirds='[{\"title\":\"X\",\"x\":8,\"y\":40,\"width\":300,\"color\":\"nope\"}]'",
            ),
            _ => {}
        }
    }
    pipeline.set_state(gst::State::Null).unwrap();
    // "Li Ming": 7 glyphs; "Wang Xiaoming" breaks at its space into two
    // lines of 4 and 8.
    assert_eq!(seen[0], "glyphs=7 lines=1", "{seen:?}");
    assert_eq!(seen.last().unwrap(), "glyphs=12 lines=2", "{seen:?}");
    let changed = seen.iter().position(|g| g == "glyphs=12 lines=2").unwrap();
    assert!(
        changed <= 6,
        "the change shows within a couple of frames: {seen:?}"
    );
    assert!(
        seen[changed..].iter().all(|g| g == "glyphs=12 lines=2"),
        "{seen:?}"
    );
}

/// A clock shows the time of day from its start, or the running timecode
/// with the frame; a start that is not a time is refused.
#[test]
fn clocks_tell_the_time_of_the_stream() {
    let mut spec = with_fonts(
        "clocks",
        ParamValue::Text(
            r#"[{"x":4,"y":4,"start":"09:59:58"},{"x":4,"y":60,"format":"timecode"}]"#.into(),
        ),
    );
    let mut stage = Stage::new(spec.clone()).unwrap();
    let inputs = vec![("main".to_string(), frame(Format::Rgba, 320, 120, |_| 90))];
    let mut out = HostFrame::blank(Format::Rgba, 320, 120);
    out.pts = Some(3_480_000_000);
    out.duration = Some(40_000_000);
    let (out, verdict) = stage.mix(inputs, out);
    assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
    assert_eq!(
        out.meta,
        [
            ("composite.clock.1".to_string(), "10:00:01".to_string()),
            ("composite.clock.2".to_string(), "00:00:03:12".to_string()),
        ]
    );
    // Drawn: white digits somewhere in the first clock's box.
    let image = out.image().unwrap();
    let white = (4..150)
        .flat_map(|x| (4..50).map(move |y| (x, y)))
        .filter(|&(x, y)| image.row(0, y)[4 * x..4 * x + 3].iter().all(|&c| c > 240))
        .count();
    assert!(white > 30, "{white} white pixels");
    spec.params = vec![(
        "clocks".into(),
        ParamValue::Text(r#"[{"x":0,"y":0,"start":"25:00:00"}]"#.into()),
    )];
    let Err(err) = Stage::new(spec) else {
        panic!("25:00:00 accepted");
    };
    assert!(err.to_string().contains("not a time of day"), "{err}");
}

/// An opaque video layer in the output's format goes straight to its
/// place (no conversion to RGBA and back): the programme's own YUV values
/// land there exactly, with the border around them.
#[test]
fn an_opaque_video_layer_lands_in_its_place_exactly() {
    let mut stage = composite(
        r##"[{"input":"pip","x":20,"y":10,"width":16,"border":{"width":2,"color":"#ffffff"}}]"##,
    );
    let (w, h) = (64, 48);
    let inputs = vec![
        ("programme".to_string(), grey_programme(w, h)),
        ("pip".to_string(), red_pip()),
    ];
    let (out, verdict) = stage.mix(inputs, HostFrame::blank(Format::I420, w, h));
    assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
    let image = out.image().unwrap();
    // 16x12 at (20, 10): luma 63, chroma 102/240, exactly.
    for y in 10..22 {
        assert!(
            image.row(0, y)[20..36].iter().all(|&v| v == 63),
            "row {y}: {:?}",
            image.row(0, y)
        );
    }
    for cy in 5..11 {
        assert!(image.row(1, cy)[10..18].iter().all(|&v| v == 102));
        assert!(image.row(2, cy)[10..18].iter().all(|&v| v == 240));
    }
    // The border (white: luma 235) and the programme outside it.
    assert_eq!(image.row(0, 9)[25], 235);
    assert_eq!(image.row(0, 15)[36], 235);
    assert_eq!(image.row(0, 30)[5], 126);
}

/// The same title drawn by Reel and by GStreamer's `textoverlay` (Pango
/// and FreeType, the same font file through fontconfig), white on black at
/// 48 pixels: the same size of text, the same amount of ink, and edges at
/// least as smooth. The measure of edges: of the pixels the text touches,
/// the share that are partly covered (anti-aliased, 16..=239), which is
/// what keeps curves and diagonals from stair-stepping.
#[test]
fn text_matches_textoverlay_in_size_ink_and_edges() {
    let (w, h) = (640usize, 160usize);
    // Reel: a lower-third with a black, square box and no subtitle.
    let spec = with_fonts("lower_thirds", ParamValue::Text(
                r##"[{"title":"李明 Li Ming","x":0,"y":0,"width":640,"title_size":48,"animation":"none",
                     "box":{"color":"#000000","opacity":1.0,"radius":0,"padding":20}}]"##
                    .into(),
            ));
    let mut stage = Stage::new(spec).unwrap();
    let black = frame(Format::Rgba, w, h, |i| if i % 4 == 3 { 255 } else { 0 });
    let (out, verdict) = stage.mix(
        vec![("main".to_string(), black)],
        HostFrame::blank(Format::Rgba, w, h),
    );
    assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
    let reel: Vec<u8> = out.bytes().unwrap().chunks(4).map(|p| p[0]).collect();

    // textoverlay, in its own process (fontconfig reads its file once).
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("fonts.conf");
    std::fs::write(
        &conf,
        format!(
            "<?xml version=\"1.0\"?><!DOCTYPE fontconfig SYSTEM \"fonts.dtd\"><fontconfig><dir>{}</dir><cachedir>{}</cachedir></fontconfig>",
            reel_tests::root().join("assets/fonts").display(),
            dir.path().join("cache").display()
        ),
    )
    .unwrap();
    let raw = dir.path().join("textoverlay.rgba");
    let status = std::process::Command::new("gst-launch-1.0")
        .env("FONTCONFIG_FILE", &conf)
        .args([
            "-q",
            "videotestsrc",
            "pattern=black",
            "num-buffers=1",
            "!",
            &format!("video/x-raw,format=RGBA,width={w},height={h}"),
            "!",
            "textoverlay",
            "text=李明 Li Ming",
            "font-desc=Noto Sans CJK SC Bold 48px",
            "valignment=top",
            "halignment=left",
            "deltax=20",
            "deltay=20",
            "draw-shadow=false",
            "draw-outline=false",
            "!",
            "filesink",
            &format!("location={}", raw.display()),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let theirs: Vec<u8> = std::fs::read(&raw)
        .unwrap()
        .chunks(4)
        .map(|p| p[0])
        .collect();

    // Ink box, ink sum and the share of partly covered pixels.
    let measure = |luma: &[u8]| {
        let (mut x0, mut x1, mut y0, mut y1) = (w, 0, h, 0);
        let (mut ink, mut touched, mut partial) = (0u64, 0u64, 0u64);
        for y in 0..h {
            for x in 0..w {
                let v = luma[y * w + x];
                ink += v as u64;
                if v >= 16 {
                    touched += 1;
                    if v <= 239 {
                        partial += 1;
                    }
                    (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
                }
            }
        }
        (
            x1 - x0 + 1,
            y1 - y0 + 1,
            ink as f64,
            partial as f64 / touched as f64,
        )
    };
    let (rw, rh, rink, redge) = measure(&reel);
    let (tw, th, tink, tedge) = measure(&theirs);
    let close = |a: f64, b: f64, tolerance: f64| (a / b - 1.0).abs() <= tolerance;
    assert!(
        close(rw as f64, tw as f64, 0.05),
        "width: Reel {rw}, textoverlay {tw}"
    );
    assert!(
        close(rh as f64, th as f64, 0.08),
        "height: Reel {rh}, textoverlay {th}"
    );
    assert!(
        close(rink, tink, 0.10),
        "ink: Reel {rink}, textoverlay {tink}"
    );
    assert!(
        redge >= tedge * 0.9,
        "edges: Reel {redge:.3} anti-aliased, textoverlay {tedge:.3}"
    );
    eprintln!(
        "text against textoverlay: box {rw}x{rh} vs {tw}x{th}, ink {:.3}, anti-aliased share {redge:.3} vs {tedge:.3}",
        rink / tink
    );
}

/// Live sources at different rates: `wasmmixer` composes at the first
/// input's rate, each output frame with the overlay frame current at its
/// time (the aggregator's timestamp sync), timestamps rising evenly.
#[test]
fn live_inputs_are_composed_by_timestamp() {
    use gst::prelude::*;
    reel_tests::init_gst();
    let pipeline = gst::parse::launch(
        "wasmmixer name=m plugin=composite sink_0::input=main sink_1::input=box latency=40000000 \
           ! video/x-raw,format=RGBA,width=64,height=48 ! appsink name=out max-buffers=30 \
         videotestsrc is-live=true num-buffers=25 pattern=white \
           ! video/x-raw,format=RGBA,width=64,height=48,framerate=25/1 ! m.sink_0 \
         videotestsrc is-live=true num-buffers=10 pattern=blue \
           ! video/x-raw,format=RGBA,width=8,height=8,framerate=10/1 ! m.sink_1",
    )
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let mixer = pipeline.by_name("m").unwrap();
    mixer.set_property(
        "params",
        r#"{"layers": "[{\"input\":\"box\",\"x\":4,\"y\":4}]"}"#,
    );
    let sink = pipeline
        .by_name("out")
        .unwrap()
        .downcast::<gst_app::AppSink>()
        .unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();
    let mut pts = Vec::new();
    let mut boxed = 0;
    while let Ok(sample) = sink.pull_sample() {
        let buffer = sample.buffer().unwrap();
        pts.push(buffer.pts().unwrap().nseconds());
        let map = buffer.map_readable().unwrap();
        let px = &map[4 * (6 * 64 + 6)..][..3];
        if px[2] > 200 && px[0] < 60 {
            boxed += 1;
        }
        if pts.len() == 20 {
            break;
        }
    }
    pipeline.set_state(gst::State::Null).unwrap();
    assert!(pts.len() >= 20, "{} frames", pts.len());
    // 25 fps: 40 ms apart, rising.
    for pair in pts.windows(2) {
        let step = pair[1] - pair[0];
        assert!((39_000_000..=41_000_000).contains(&step), "{pts:?}");
    }
    // The 10 fps overlay is there on (nearly) every output frame: the
    // aggregator repeats its current frame between its own.
    assert!(boxed >= 18, "the overlay on {boxed} of 20 frames");
}
