//! What the stage core costs beyond the plugin's own work, side by side
//! with the reference in the same run:
//! - the default error policy (`passthrough`: failed frames go on as they
//!   came in) against `drop` (nothing to undo), for a filter painting a
//!   200-row band and for a mixer;
//! - `wasmmixer` blending a 640x360 RGBA overlay onto 1080p I420 against
//!   GStreamer's `compositor` on the same buffers, one core each.
//!
//! Run: `cargo bench -p reel-tests --bench core` (after tests/setup.sh).

use std::time::{Duration, Instant};

use gst::prelude::*;
use reel_runtime::{
    Format, HostFrame, OnError, ParamValue, SandboxConfig, Stage, StageSpec, Verdict,
};
use reel_tests::{frame, init_gst, runtime, test_plugin_path};

const W: usize = 1920;
const H: usize = 1080;
const RUNS: usize = 200;
/// Frames pushed through each GStreamer pipeline per measurement.
const FRAMES: u64 = 200;

fn stage(plugin: &str, params: Vec<(String, ParamValue)>, on_error: OnError) -> Stage {
    Stage::new(StageSpec {
        id: "bench".into(),
        plugin: runtime().load(&test_plugin_path(plugin)).unwrap(),
        params,
        sandbox: SandboxConfig::default(),
        on_error,
        max_failures: 5,
        live: false,
    })
    .unwrap()
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// Median call times of two stages run turn about, so both see the same
/// allocator and cache state (measured one after the other, the first
/// pays for the allocator warming up).
fn turn_about(mut a: impl FnMut(), mut b: impl FnMut()) -> (Duration, Duration) {
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for run in 0..RUNS + 4 {
        let started = Instant::now();
        a();
        let between = Instant::now();
        b();
        if run >= 4 {
            ta.push(between - started);
            tb.push(between.elapsed());
        }
    }
    ta.sort();
    tb.sort();
    (ta[RUNS / 2], tb[RUNS / 2])
}

/// A filter painting a 200-row band, under `passthrough` and `drop`.
fn band_calls() -> (Duration, Duration) {
    let mut stages = [OnError::Passthrough, OnError::Drop].map(|e| stage("band", vec![], e));
    let mut frames = [0, 1].map(|_| Some(frame(Format::I420, W, H, |i| (i % 251) as u8)));
    let [s0, s1] = &mut stages;
    let [f0, f1] = &mut frames;
    let call = |stage: &mut Stage, slot: &mut Option<HostFrame>| {
        let (f, verdict) = stage.filter(slot.take().unwrap());
        assert_eq!(verdict, Verdict::Keep);
        *slot = Some(f);
    };
    turn_about(|| call(s0, f0), || call(s1, f1))
}

/// `testmix` (converts the base into the output, blends a 640x360 RGBA
/// overlay) into 1080p I420, under `passthrough` and `drop`.
fn mix_calls() -> (Duration, Duration) {
    let params = || {
        vec![
            ("x".to_string(), ParamValue::Integer(100)),
            ("y".to_string(), ParamValue::Integer(600)),
        ]
    };
    let mut stages = [OnError::Passthrough, OnError::Drop].map(|e| stage("testmix", params(), e));
    let base = vec![16u8; W * H * 3 / 2];
    let overlay = vec![200u8; 640 * 360 * 4];
    let packed = |format, w, h, data: &Vec<u8>| {
        HostFrame::new(
            reel_runtime::Layout::packed(format, w, h),
            reel_runtime::Pixels::Owned(data.clone()),
        )
        .unwrap()
    };
    let mut outputs = [0, 1].map(|_| Some(HostFrame::blank(Format::I420, W, H)));
    let [s0, s1] = &mut stages;
    let [o0, o1] = &mut outputs;
    let call = |stage: &mut Stage, output: &mut Option<HostFrame>| {
        let inputs = vec![
            ("base".to_string(), packed(Format::I420, W, H, &base)),
            (
                "overlay".to_string(),
                packed(Format::Rgba, 640, 360, &overlay),
            ),
        ];
        let (out, verdict) = stage.mix(inputs, output.take().unwrap());
        assert_eq!(verdict, Verdict::Keep);
        *output = Some(out);
    };
    turn_about(|| call(s0, o0), || call(s1, o1))
}

/// The `composite` plugin's call on the newsroom scene (the one
/// `composite.sh` runs end to end): a 1080p I420 programme, a 480x270
/// picture-in-picture with a border scaled from a 1080p I420 input, a
/// 200x72 straight-alpha logo and a bilingual lower-third, into 1080p
/// I420. Median call time, and the time of the same call without the
/// graphics (the programme copied into the output), to tell them apart.
fn composite_calls() -> (Duration, Duration) {
    let scene = r##"[{"input":"guest","x":1380,"y":60,"width":480,"height":270,"border":{"width":4,"color":"#ffffff"}},
                    {"input":"logo","x":60,"y":40}]"##;
    let third = r#"[{"title":"李明 Li Ming","subtitle":"新闻主播 · News anchor","x":96,"y":820,"width":760,"title_size":56,"subtitle_size":38}]"#;
    let make = |layers: &str, thirds: &str| {
        let mut spec = StageSpec {
            id: "bench".into(),
            plugin: runtime()
                .load(&reel_tests::plugin_path("composite"))
                .unwrap(),
            params: vec![
                ("layers".into(), ParamValue::Text(layers.into())),
                ("lower_thirds".into(), ParamValue::Text(thirds.into())),
            ],
            sandbox: SandboxConfig::default(),
            on_error: OnError::Passthrough,
            max_failures: 5,
            live: false,
        };
        spec.sandbox.assets = Some(reel_tests::root().join("assets/fonts"));
        Stage::new(spec).unwrap()
    };
    let (mut full, mut bare) = (make(scene, third), make("[]", "[]"));
    let programme = vec![90u8; W * H * 3 / 2];
    let guest: Vec<u8> = (0..W * H * 3 / 2).map(|i| (i % 251) as u8).collect();
    let logo = vec![180u8; 200 * 72 * 4];
    let packed = |format, w, h, data: &Vec<u8>| {
        HostFrame::new(
            reel_runtime::Layout::packed(format, w, h),
            reel_runtime::Pixels::Owned(data.clone()),
        )
        .unwrap()
    };
    let inputs = || {
        vec![
            (
                "programme".to_string(),
                packed(Format::I420, W, H, &programme),
            ),
            ("guest".to_string(), packed(Format::I420, W, H, &guest)),
            ("logo".to_string(), packed(Format::Rgba, 200, 72, &logo)),
        ]
    };
    let mut outputs = [0, 1].map(|_| Some(HostFrame::blank(Format::I420, W, H)));
    let [o0, o1] = &mut outputs;
    let call =
        |stage: &mut Stage, output: &mut Option<HostFrame>, inputs: Vec<(String, HostFrame)>| {
            let mut frame = output.take().unwrap();
            frame.pts = Some(2_000_000_000);
            let (out, verdict) = stage.mix(inputs, frame);
            assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
            *output = Some(out);
        };
    // The inputs are made (and their 3 MB copies paid) outside the timing.
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for run in 0..RUNS + 4 {
        let (a, b) = (inputs(), inputs());
        let started = Instant::now();
        call(&mut full, o0, a);
        let between = Instant::now();
        call(&mut bare, o1, b);
        if run >= 4 {
            ta.push(between - started);
            tb.push(between.elapsed());
        }
    }
    ta.sort();
    tb.sort();
    (ta[RUNS / 2], tb[RUNS / 2])
}

/// Wall time per output frame of `mixer` (a launch-line fragment whose
/// element is named `m`) composing FRAMES frames of a 1080p I420 base and
/// a 640x360 RGBA overlay at (100, 600), fed from memory (the same pixels
/// each frame, never copied) into a fakesink.
fn pipeline_per_frame(mixer: &str, configure: impl Fn(&gst::Element)) -> Duration {
    init_gst();
    let pipeline = gst::parse::launch(&format!(
        "appsrc name=base format=time max-bytes=0 ! {mixer} ! fakesink sync=false \
         appsrc name=over format=time max-bytes=0 ! m."
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    configure(&pipeline.by_name("m").unwrap());
    let feed = |name: &str, format: &str, w: usize, h: usize, bytes: usize, value: u8| {
        let src = pipeline
            .by_name(name)
            .unwrap()
            .downcast::<gst_app::AppSrc>()
            .unwrap();
        src.set_caps(Some(
            &gst_video::VideoInfo::builder(format.parse().unwrap(), w as u32, h as u32)
                .fps(gst::Fraction::new(30, 1))
                .build()
                .unwrap()
                .to_caps()
                .unwrap(),
        ));
        let memory = gst::Memory::from_mut_slice(vec![value; bytes]);
        (src, memory)
    };
    let sources = [
        feed("base", "I420", W, H, W * H * 3 / 2, 16),
        feed("over", "RGBA", 640, 360, 640 * 360 * 4, 200),
    ];
    pipeline.set_state(gst::State::Paused).unwrap();
    for (src, memory) in &sources {
        for n in 0..FRAMES {
            let mut buffer = gst::Buffer::new();
            let b = buffer.get_mut().unwrap();
            b.append_memory(memory.clone());
            b.set_pts(gst::ClockTime::from_nseconds(n * 1_000_000_000 / 30));
            b.set_duration(gst::ClockTime::from_nseconds(1_000_000_000 / 30));
            src.push_buffer(buffer).unwrap();
        }
        src.end_of_stream().unwrap();
    }
    let bus = pipeline.bus().unwrap();
    let started = Instant::now();
    pipeline.set_state(gst::State::Playing).unwrap();
    let msg = bus
        .timed_pop_filtered(
            gst::ClockTime::from_seconds(120),
            &[gst::MessageType::Eos, gst::MessageType::Error],
        )
        .expect("the pipeline ends");
    let elapsed = started.elapsed();
    assert_eq!(msg.type_(), gst::MessageType::Eos, "{msg:?}");
    pipeline.set_state(gst::State::Null).unwrap();
    elapsed / FRAMES as u32
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Pins this process's threads (and those it starts) to the first CPU:
/// both mixers get one core.
fn one_core() {
    // SAFETY: a zeroed cpu_set_t is a valid empty set, and
    // sched_setaffinity only reads the set it is given.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

fn main() {
    one_core();
    println!("| measurement (one core) | time | compared with | ratio or cost |");
    println!("| --- | --- | --- | --- |");

    let (keep, drop) = band_calls();
    println!(
        "| filter painting a 200-row band of a 1080p I420 frame, `on_error = \"passthrough\"` (default) | {} | `on_error = \"drop\"`: {} | +{} per frame |",
        ms(keep),
        ms(drop),
        ms(keep.saturating_sub(drop))
    );
    let (keep, drop) = mix_calls();
    println!(
        "| mixer (`testmix`: convert the base, blend 640x360 RGBA) into 1080p I420, `passthrough` (default) | {} | `drop`: {} | {:+.3} ms per frame |",
        ms(keep),
        ms(drop),
        (keep.as_secs_f64() - drop.as_secs_f64()) * 1e3
    );

    let (full, bare) = composite_calls();
    println!(
        "| `composite` call on the newsroom scene (480x270 PiP from 1080p with border, logo, bilingual lower-third) into 1080p I420 | {} | the same call without graphics (programme copied): {} | {} for the graphics; {:.0} scenes a second |",
        ms(full),
        ms(bare),
        ms(full.saturating_sub(bare)),
        1.0 / full.as_secs_f64()
    );

    // Turn about, so both see the same moments of a noisy machine.
    let testmix = test_plugin_path("testmix");
    let (mut reel, mut compositor) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        reel.push(pipeline_per_frame("wasmmixer name=m", |m| {
            m.set_property("plugin", testmix.to_str().unwrap());
            m.set_property("params", r#"{"x": 100, "y": 600}"#);
        }));
        compositor.push(pipeline_per_frame(
            "compositor name=m sink_1::xpos=100 sink_1::ypos=600 ! \
             video/x-raw,format=I420,width=1920,height=1080",
            |_| {},
        ));
    }
    let (reel, compositor) = (median(reel), median(compositor));
    println!(
        "| `wasmmixer plugin=testmix` (default error policy): 640x360 RGBA over 1080p I420, per frame | {} | `compositor`, same buffers: {} | {:.2}x as fast |",
        ms(reel),
        ms(compositor),
        compositor.as_secs_f64() / reel.as_secs_f64()
    );
}
