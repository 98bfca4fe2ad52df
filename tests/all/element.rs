//! `wasmfilter` as GStreamer users meet it: under `gst_check::Harness`, and
//! in a real `gst-launch-1.0` process loading `libgstreel.so`.

use std::process::Command;

use gst::prelude::*;
use reel_tests::{init_gst, root};

/// Pushes one buffer of `format` at `width`x`height` filled with
/// `fill(byte)` through `wasmfilter plugin=invert`, returns (in, out).
fn through_invert(
    format: &str,
    width: u32,
    height: u32,
) -> (Vec<u8>, Vec<u8>, gst_video::VideoInfo) {
    init_gst();
    let mut h = gst_check::Harness::new_parse("wasmfilter plugin=invert");
    let caps = gst::Caps::builder("video/x-raw")
        .field("format", format)
        .field("width", width as i32)
        .field("height", height as i32)
        .field("framerate", gst::Fraction::new(25, 1))
        .build();
    h.set_src_caps(caps.clone());
    let info = gst_video::VideoInfo::from_caps(&caps).unwrap();
    let input: Vec<u8> = (0..info.size()).map(|i| (i * 31 % 256) as u8).collect();
    let mut buffer = gst::Buffer::from_slice(input.clone());
    buffer.get_mut().unwrap().set_pts(gst::ClockTime::ZERO);
    h.push(buffer).unwrap();
    let out = h.pull().unwrap();
    let output = out.map_readable().unwrap().to_vec();
    (input, output, info)
}

#[test]
fn harness_invert_i420_on_an_odd_width() {
    let (input, output, info) = through_invert("I420", 37, 11);
    assert_eq!(output.len(), input.len());
    // Every pixel byte of every plane is inverted; stride padding is not
    // pixels and is not checked.
    for plane in 0..3 {
        let (stride, offset) = (info.stride()[plane] as usize, info.offset()[plane]);
        let (w, h) = if plane == 0 { (37, 11) } else { (19, 6) };
        for y in 0..h {
            for x in 0..w {
                let i = offset + y * stride + x;
                assert_eq!(output[i], 255 - input[i], "plane {plane} ({x},{y})");
            }
        }
    }
}

#[test]
fn harness_invert_rgba_keeps_alpha() {
    let (input, output, info) = through_invert("RGBA", 37, 5);
    let stride = info.stride()[0] as usize;
    for y in 0..5 {
        for x in 0..37 {
            for c in 0..4 {
                let i = y * stride + 4 * x + c;
                let expected = if c == 3 { input[i] } else { 255 - input[i] };
                assert_eq!(output[i], expected, "({x},{y}) channel {c}");
            }
        }
    }
}

#[test]
fn missing_plugin_is_a_clear_element_error() {
    for (plugin, says) in [
        ("no-such-plugin", "no plugin named `no-such-plugin`"),
        (
            "imagedec",
            "wasmfilter: plugin `imagedec` is a decoder, not a filter",
        ),
    ] {
        init_gst();
        let element = gst::ElementFactory::make("wasmfilter")
            .property("plugin", plugin)
            .build()
            .unwrap();
        let pipeline = gst::Pipeline::new();
        let src = gst::ElementFactory::make("videotestsrc").build().unwrap();
        let sink = gst::ElementFactory::make("fakesink").build().unwrap();
        pipeline.add_many([&src, &element, &sink]).unwrap();
        gst::Element::link_many([&src, &element, &sink]).unwrap();
        assert!(pipeline.set_state(gst::State::Playing).is_err());
        let bus = pipeline.bus().unwrap();
        let msg = bus
            .timed_pop_filtered(gst::ClockTime::from_seconds(5), &[gst::MessageType::Error])
            .expect("an error message");
        let gst::MessageView::Error(err) = msg.view() else {
            unreachable!()
        };
        assert!(err.error().to_string().contains(says), "{}", err.error());
        pipeline.set_state(gst::State::Null).unwrap();
    }
}

#[test]
fn gst_launch_writes_a_playable_inverted_mp4() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.mp4");
    let status = Command::new("gst-launch-1.0")
        .env("GST_PLUGIN_PATH", root().join("target/release"))
        .env("GST_REGISTRY", dir.path().join("registry.bin"))
        .args([
            "-q",
            "-e",
            "videotestsrc",
            "num-buffers=60",
            "pattern=white",
            "!",
        ])
        .args([
            "wasmfilter",
            "plugin=invert",
            "!",
            "videoconvert",
            "!",
            "x264enc",
            "!",
        ])
        .args(["mp4mux", "!", "filesink"])
        .arg(format!("location={}", out.display()))
        .status()
        .expect("gst-launch-1.0 runs");
    assert!(status.success());
    // Decode it again: 60 frames, and white came out black.
    init_gst();
    let frames = reel_tests::decode_frames(&out, 320, 240);
    assert_eq!(frames.len(), 60);
    let centre = frames[30][(120 * 320 + 160) * 4..][..3].to_vec();
    assert!(centre.iter().all(|&c| c < 30), "{centre:?}");
}

#[test]
fn frame_metadata_travels_downstream_on_the_buffer() {
    init_gst();
    let hostile = reel_tests::test_plugin_path("hostile");
    // The plugin records what happened in the frame's metadata; a queue in
    // between shows it survives other elements.
    let mut h = gst_check::Harness::new_parse(&format!(
        "wasmfilter plugin={} params=mode=\"open-file\" ! queue ! identity",
        hostile.display()
    ));
    let caps = gst::Caps::builder("video/x-raw")
        .field("format", "NV12")
        .field("width", 33i32)
        .field("height", 9i32)
        .field("framerate", gst::Fraction::new(25, 1))
        .build();
    h.set_src_caps(caps.clone());
    let size = gst_video::VideoInfo::from_caps(&caps).unwrap().size();
    h.push(gst::Buffer::from_slice(vec![7u8; size])).unwrap();
    let out = h.pull().unwrap();
    let meta = gstreel::frame_meta::read(&out);
    let result = meta
        .iter()
        .find(|(k, _)| k == "open-result")
        .map(|(_, v)| v.as_str());
    assert!(result.is_some_and(|r| r.starts_with("denied")), "{meta:?}");
    // The NV12 pixels themselves were left alone by this plugin.
    assert!(out.map_readable().unwrap().iter().all(|&b| b == 7));
}

#[test]
fn wasmmixer_output_takes_the_first_inputs_size_and_composes() {
    let testmix = reel_tests::test_plugin_path("testmix");
    let samples = reel_tests::pull_samples(
        &format!(
            "wasmmixer name=m plugin={} params=\"x=4, y=2\" ! video/x-raw,format=RGBA ! appsink name=out \
             videotestsrc num-buffers=5 pattern=white ! video/x-raw,format=I420,width=160,height=120,framerate=25/1 ! m.sink_0 \
             videotestsrc num-buffers=5 pattern=red ! video/x-raw,format=RGBA,width=320,height=240,framerate=25/1 ! m.sink_1",
            testmix.display()
        ),
        1,
    );
    let sample = samples.first().expect("a composed frame");
    let info = gst_video::VideoInfo::from_caps(sample.caps().unwrap()).unwrap();
    assert_eq!(
        (info.width(), info.height()),
        (160, 120),
        "the base input's size"
    );
    let data = sample.buffer().unwrap().map_readable().unwrap().to_vec();
    let stride = info.stride()[0] as usize;
    // Top-left corner stays white; from (4, 2) on the red overlay covers it.
    assert_eq!(&data[..4], &[255, 255, 255, 255]);
    assert_eq!(&data[2 * stride + 16..][..4], &[255, 0, 0, 255]);
}

/// Frames out of `wasmfilter` running the hostile plugin in `mode` (which
/// sleeps while starting), behind a live or a file-like source.
fn hostile_filter_frames(live: bool) -> (usize, Vec<u8>) {
    use gst_app::AppSink;
    init_gst();
    let description = format!(
        "videotestsrc is-live={live} num-buffers=5 pattern=white ! \
         video/x-raw,format=I420,width=32,height=16,framerate=25/1 ! \
         wasmfilter name=f deadline-ms=100 hang-guard-ms=100 ! appsink name=out"
    );
    let pipeline = gst::parse::launch(&description)
        .unwrap()
        .downcast::<gst::Pipeline>()
        .unwrap();
    let filter = pipeline.by_name("f").unwrap();
    let plugin = reel_tests::test_plugin_path("hostile");
    filter.set_property("plugin", plugin.to_str().unwrap());
    filter.set_property("params", r#"mode = "sleep-configure""#);
    let sink = pipeline
        .by_name("out")
        .unwrap()
        .downcast::<AppSink>()
        .unwrap();
    let mut count = 0;
    let mut first = Vec::new();
    if pipeline.set_state(gst::State::Playing).is_ok() {
        while let Ok(sample) = sink.pull_sample() {
            if count == 0 {
                first = sample.buffer().unwrap().map_readable().unwrap().to_vec();
            }
            count += 1;
        }
    }
    pipeline.set_state(gst::State::Null).unwrap();
    (count, first)
}

/// A plugin that cannot start: a live pipeline never goes black (the
/// stage is bypassed and every frame passes unchanged); a pipeline from a
/// finite source does not run at all.
#[test]
fn a_plugin_that_cannot_start_is_bypassed_live_and_fatal_otherwise() {
    let (frames, first) = hostile_filter_frames(true);
    assert_eq!(frames, 5);
    assert!(
        first[..32 * 16].iter().all(|&y| y == 235),
        "white passed through"
    );
    let (frames, _) = hostile_filter_frames(false);
    assert_eq!(frames, 0);
}

/// `wasmimagesrc` in a real gst-launch-1.0: a numbered PNG sequence,
/// decoded in the sandbox, loops to fill `num-frames`, each frame exactly
/// the picture GStreamer's own PNG decoder reads from its file; a still
/// repeats; a sequence plays once by default.
#[test]
fn gst_launch_plays_image_sequences_decoded_in_the_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    for (n, pattern) in ["red", "green", "blue"].iter().enumerate() {
        reel_tests::png(&dir.path().join(format!("seq_{n:02}.png")), pattern, 32, 24);
    }
    let reference: Vec<Vec<u8>> = (0..3)
        .map(|n| {
            let samples = reel_tests::pull_samples(
                &format!(
                    "filesrc location={} ! pngdec ! videoconvert ! video/x-raw,format=RGBA ! appsink name=out",
                    dir.path().join(format!("seq_{n:02}.png")).display()
                ),
                1,
            );
            samples[0].buffer().unwrap().map_readable().unwrap().to_vec()
        })
        .collect();
    let play = |location: &str, frames: &str| -> Vec<Vec<u8>> {
        let out = dir.path().join("out.raw");
        let status = Command::new("gst-launch-1.0")
            .env("GST_PLUGIN_PATH", root().join("target/release"))
            .env("GST_REGISTRY", dir.path().join("registry.bin"))
            .args(["-q", "wasmimagesrc"])
            .arg(format!("location={}", dir.path().join(location).display()))
            .args([
                frames,
                "!",
                "videoconvert",
                "!",
                "video/x-raw,format=RGBA",
                "!",
            ])
            .arg("filesink")
            .arg(format!("location={}", out.display()))
            .status()
            .expect("gst-launch-1.0 runs");
        assert!(status.success(), "{location} {frames}");
        let bytes = std::fs::read(&out).unwrap();
        bytes.chunks(32 * 24 * 4).map(<[u8]>::to_vec).collect()
    };
    let looped = play("seq_%02d.png", "num-frames=5");
    assert_eq!(looped.len(), 5);
    for (k, frame) in looped.iter().enumerate() {
        assert!(*frame == reference[k % 3], "frame {k}");
    }
    let still = play("seq_01.png", "num-frames=3");
    assert_eq!(still.len(), 3);
    assert!(still.iter().all(|f| *f == reference[1]));
    assert_eq!(play("seq_%02d.png", "rate=25").len(), 3);
}

/// An application hands `wasmfilter` a checked stage whole (as
/// `reel-pipeline` does): it runs without its properties being parsed,
/// and the properties show what runs.
#[test]
fn a_stage_handed_over_whole_runs_as_given() {
    init_gst();
    let plugin = reel_tests::runtime()
        .load(&reel_tests::plugin_path("invert"))
        .unwrap();
    let path = plugin.path.to_string_lossy().into_owned();
    let spec = reel_runtime::StageSpec {
        id: "neg".into(),
        plugin,
        params: vec![("strength".into(), reel_runtime::ParamValue::Number(1.0))],
        sandbox: reel_runtime::SandboxConfig {
            memory_bytes: 64 << 20,
            ..reel_runtime::SandboxConfig::default()
        },
        on_error: reel_runtime::OnError::Fail,
        max_failures: 3,
        live: false,
    };
    let element = gst::ElementFactory::make("wasmfilter").build().unwrap();
    element
        .downcast_ref::<gstreel::WasmFilter>()
        .unwrap()
        .set_stage(&spec);
    assert_eq!(element.property::<Option<String>>("plugin"), Some(path));
    assert_eq!(element.property::<u32>("memory-mb"), 64);
    assert_eq!(element.property::<u32>("max-failures"), 3);
    let mut h = gst_check::Harness::with_element(&element, Some("sink"), Some("src"));
    h.set_src_caps_str("video/x-raw,format=I420,width=64,height=48,framerate=25/1");
    let mut buffer = gst::Buffer::from_slice(vec![16u8; 64 * 48 * 3 / 2]);
    buffer.get_mut().unwrap().set_pts(gst::ClockTime::ZERO);
    h.push(buffer).unwrap();
    let out = h.pull().unwrap();
    assert!(out.map_readable().unwrap().iter().all(|&b| b == 239));
}
