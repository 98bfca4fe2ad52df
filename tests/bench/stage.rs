//! The cost of the plugin boundary at 1080p I420, side by side with what
//! it is compared against in the same run:
//! - a `passthrough` stage against no stage (runtime call, and the
//!   `wasmfilter` element against `identity` under a Harness);
//! - `invert` in WebAssembly against the same loop compiled natively;
//! - what reading and writing every plane costs;
//! - plugin cold start (compile) against warm start (from the cache).
//!
//! Run: `cargo bench -p reel-tests --bench stage` (after tests/setup.sh).

use std::time::{Duration, Instant};

use reel_runtime::{Format, OnError, ParamValue, Runtime, SandboxConfig, Stage, StageSpec};
use reel_tests::{frame, init_gst, median_time, plugin_path, runtime, test_plugin_path};

#[path = "../../plugins/invert/src/pixels.rs"]
mod invert_pixels;

const W: usize = 1920;
const H: usize = 1080;
const RUNS: usize = 200;

fn stage(path: std::path::PathBuf, params: Vec<(String, ParamValue)>) -> Stage {
    Stage::new(StageSpec {
        id: "bench".into(),
        plugin: runtime().load(&path).unwrap(),
        params,
        sandbox: SandboxConfig::default(),
        // No undo copy: the benchmark measures the call, not the policy.
        on_error: OnError::Drop,
        max_failures: 5,
        live: false,
    })
    .unwrap()
}

/// Median time of one `Stage::filter` call on a 1080p I420 frame.
fn per_frame(stage: &mut Stage) -> Duration {
    let mut slot = Some(frame(Format::I420, W, H, |i| (i % 251) as u8));
    median_time(RUNS, || {
        let (f, _) = stage.filter(slot.take().unwrap());
        slot = Some(f);
    })
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn harness_per_buffer(element: &str) -> Duration {
    init_gst();
    let mut h = gst_check::Harness::new_parse(element);
    let caps = gst::Caps::builder("video/x-raw")
        .field("format", "I420")
        .field("width", W as i32)
        .field("height", H as i32)
        .field("framerate", gst::Fraction::new(30, 1))
        .build();
    h.set_src_caps(caps);
    let size = W * H * 3 / 2;
    let template = gst::Buffer::from_mut_slice(vec![16u8; size]);
    median_time(RUNS, || {
        // A fresh writable buffer each time, as a decoder would hand over.
        let buffer = template.copy_deep().unwrap();
        h.push(buffer).unwrap();
        drop(h.pull().unwrap());
    })
}

fn main() {
    println!("| measurement (1920x1080 I420 unless said) | time | compared with | ratio |");
    println!("| --- | --- | --- | --- |");

    let mut passthrough = stage(plugin_path("passthrough"), vec![]);
    let stage_cost = per_frame(&mut passthrough);
    let nothing = median_time(RUNS, || {
        std::hint::black_box(frame(Format::I420, 2, 2, |_| 0));
    });
    println!(
        "| `passthrough` stage call (runtime) | {} | no stage: {} | +{} per frame |",
        ms(stage_cost),
        ms(nothing),
        ms(stage_cost.saturating_sub(nothing))
    );

    let with_stage = harness_per_buffer("wasmfilter plugin=passthrough");
    let without = harness_per_buffer("identity");
    println!(
        "| `wasmfilter plugin=passthrough` per buffer (Harness, incl. buffer copy) | {} | `identity`: {} | +{} per frame |",
        ms(with_stage),
        ms(without),
        ms(with_stage.saturating_sub(without))
    );

    let mut invert = stage(plugin_path("invert"), vec![]);
    let wasm = per_frame(&mut invert);
    let mut data = vec![0u8; W * H * 3 / 2];
    let native = median_time(RUNS, || {
        invert_pixels::invert(std::hint::black_box(&mut data), 1.0, false)
    });
    println!(
        "| `invert` in WebAssembly (simd128), whole stage call | {} | same loop native, in place: {} | {:.2}x |",
        ms(wasm),
        ms(native),
        wasm.as_secs_f64() / native.as_secs_f64()
    );
    let mut half = stage(
        plugin_path("invert"),
        vec![("strength".into(), ParamValue::Number(0.5))],
    );
    let wasm_half = per_frame(&mut half);
    let native_half = median_time(RUNS, || {
        invert_pixels::invert(std::hint::black_box(&mut data), 0.5, false)
    });
    println!(
        "| `invert strength=0.5` in WebAssembly | {} | same loop native: {} | {:.2}x |",
        ms(wasm_half),
        ms(native_half),
        wasm_half.as_secs_f64() / native_half.as_secs_f64()
    );

    let mode = |m: &str| vec![("mode".to_string(), ParamValue::Text(m.into()))];
    let hostile = test_plugin_path("hostile");
    let read = per_frame(&mut stage(hostile.clone(), mode("read-planes")));
    let rewrite = per_frame(&mut stage(hostile.clone(), mode("rewrite-planes")));
    let mut copy_dst = vec![0u8; W * H * 3 / 2];
    let memcpy = median_time(RUNS, || {
        copy_dst.copy_from_slice(std::hint::black_box(&data))
    });
    println!(
        "| read all 3 planes into the guest (3.1 MB) | {} | memcpy of 3.1 MB: {} | {:.1}x |",
        ms(read.saturating_sub(stage_cost)),
        ms(memcpy),
        read.saturating_sub(stage_cost).as_secs_f64() / memcpy.as_secs_f64()
    );
    println!(
        "| write all 3 planes back from the guest | {} | memcpy of 3.1 MB: {} | {:.1}x |",
        ms(rewrite.saturating_sub(read)),
        ms(memcpy),
        rewrite.saturating_sub(read).as_secs_f64() / memcpy.as_secs_f64()
    );

    // The loop alone: the whole invert call minus a call that reads and
    // writes the same planes without touching them.
    let compute = wasm.saturating_sub(rewrite);
    println!(
        "| `invert` loop alone in WebAssembly (whole call minus read+write) | {} | same loop native: {} | {:.2}x |",
        ms(compute),
        ms(native),
        compute.as_secs_f64() / native.as_secs_f64()
    );

    for name in ["passthrough", "invert", "imagedec"] {
        let dir =
            std::env::temp_dir().join(format!("reel-bench-cache-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = plugin_path(name);
        let started = Instant::now();
        Runtime::new(Some(&dir)).unwrap().load(&path).unwrap();
        let cold = started.elapsed();
        let started = Instant::now();
        let warm_plugin = Runtime::new(Some(&dir)).unwrap().load(&path).unwrap();
        let warm = started.elapsed();
        assert_eq!(warm_plugin.origin, reel_runtime::Origin::FromCache);
        let _ = std::fs::remove_dir_all(&dir);
        println!(
            "| `{name}` warm start (from cache, incl. describe) | {} | cold start (compile): {} | {:.0}x faster |",
            ms(warm),
            ms(cold),
            cold.as_secs_f64() / warm.as_secs_f64()
        );
    }

    let plugin = runtime().load(&plugin_path("invert")).unwrap();
    let instantiate = median_time(20, || {
        Stage::new(StageSpec {
            id: "i".into(),
            plugin: plugin.clone(),
            params: vec![],
            sandbox: SandboxConfig::default(),
            on_error: OnError::Drop,
            max_failures: 5,
            live: false,
        })
        .unwrap();
    });
    println!(
        "| new instance from the pool (instantiate + configure) | {} | | |",
        ms(instantiate)
    );
}
