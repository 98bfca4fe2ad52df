//! A deliberately badly behaved plugin for the sandbox tests. Its `mode`
//! parameter picks the misbehaviour; `ok` behaves, and `read-planes` and
//! `rewrite-planes` only move pixels (the benchmark measures crossings
//! with them).

use reel_sdk::{ParamBuilder, prelude::*};

struct Hostile {
    mode: String,
    /// Rounds of busy work per frame (`spin`).
    spins: i64,
    /// Frames created and kept on purpose (`hoard-handles`).
    hoard: Vec<Frame>,
}

const MODES: &[&str] = &[
    "ok",
    "loop",
    "membomb",
    "trap",
    "panic",
    "open-file",
    "read-asset",
    "bad-plane",
    "error",
    "print",
    "hoard-frames",
    "hoard-luts",
    "hoard-palettes",
    "bad-stylise",
    "kuwahara-bomb",
    "bad-key",
    "bad-wrap",
    "read-planes",
    "rewrite-planes",
    "sleep",
    "sleep-configure",
    "hoard-handles",
    "hoard-handles-configure",
    "forge-meta-then-fail",
    "escape",
    "spin",
    "meta-bomb",
    "huge-error",
    "need-asset",
];

/// Creates 1x1 frames until the host refuses, and returns them all.
fn hoard_handles() -> Vec<Frame> {
    let mut frames = Vec::new();
    while let Ok(f) = reel_sdk::create_frame(PixelFormat::Rgba, 1, 1) {
        frames.push(f);
    }
    frames
}

/// A sleep far longer than any deadline: in WASI it becomes a clock
/// subscription and a blocking poll, where no epoch check can reach it.
fn sleep_an_hour() {
    std::thread::sleep(std::time::Duration::from_secs(3600));
}

impl Plugin for Hostile {
    fn describe() -> Description {
        // The summary and a doc try to act on the terminal they are shown in.
        DescriptionBuilder::filter(
            "hostile",
            "Misbehaves on purpose (sandbox tests)\r\x1b[2Kforged: all is well",
        )
        .version(env!("CARGO_PKG_VERSION"))
        .param(ParamBuilder::text("mode", "ok", "What to do on each frame").choices(MODES))
        .param(
            ParamBuilder::integer("spins", 0, "Rounds of busy work per frame (spin)")
                .range(0.0, 1e12),
        )
        .param(ParamBuilder::text(
            "note",
            "",
            "Ignored\x1b]0;owned\x07\x1b[31m red \u{202e}txt.exe",
        ))
        .build()
    }

    fn new(params: &Params) -> Result<Self, StageError> {
        let mode = params.text("mode").to_string();
        let mut hoard = Vec::new();
        match mode.as_str() {
            "sleep-configure" => sleep_an_hour(),
            "hoard-handles-configure" => hoard = hoard_handles(),
            "need-asset" => {
                std::fs::read("/assets/hello.txt").map_err(|e| {
                    StageError::InvalidParam(format!("cannot read /assets/hello.txt: {e}"))
                })?;
            }
            _ => {}
        }
        Ok(Hostile {
            mode,
            spins: params.integer("spins"),
            hoard,
        })
    }

    fn filter(&mut self, frame: &Frame) -> Result<(), StageError> {
        match self.mode.as_str() {
            "loop" => {
                let mut x: u64 = 0;
                loop {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            }
            "membomb" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 16 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "trap" => {
                #[cfg(target_arch = "wasm32")]
                core::arch::wasm32::unreachable();
                #[cfg(not(target_arch = "wasm32"))]
                unreachable!()
            }
            "panic" => panic!("hostile plugin panics on purpose"),
            "sleep" => {
                sleep_an_hour();
                Ok(())
            }
            "hoard-handles" => {
                self.hoard.extend(hoard_handles());
                frame.meta_set("hoard-result", &self.hoard.len().to_string());
                Ok(())
            }
            "forge-meta-then-fail" => {
                frame.meta_set("forged", "this frame was processed");
                let row = frame.info().planes[0].row_bytes as usize;
                frame.write_rows(0, 0, &vec![0xEE; row])?;
                panic!("fails after writing metadata and pixels")
            }
            "spin" => {
                // Work that takes CPU time in proportion to `spins`.
                let mut x: u64 = 1;
                for i in 0..self.spins as u64 {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
                }
                frame.meta_set("spin", &x.to_string());
                Ok(())
            }
            "meta-bomb" => {
                // Tiny frames carrying as much metadata as each may hold:
                // the metadata must count against the memory cap.
                let value = "m".repeat(60 << 10);
                let mut kept = 0;
                for f in hoard_handles() {
                    f.meta_set("bulk", &value);
                    if f.meta_get("bulk").is_some() {
                        kept += 1;
                    }
                    self.hoard.push(f);
                }
                frame.meta_set("meta-kept", &kept.to_string());
                Ok(())
            }
            "huge-error" => Err(StageError::Failed("x".repeat(20 << 20))),
            "escape" => {
                println!("\x1b[2J\x1b[H\rreel: all frames processed");
                Err(StageError::Failed("\x1b]0;owned\x07\rforged error".into()))
            }
            "open-file" | "read-asset" => {
                let path = if self.mode == "open-file" {
                    "/etc/passwd"
                } else {
                    "/assets/hello.txt"
                };
                let outcome = match std::fs::read_to_string(path) {
                    Ok(text) => format!("read: {}", text.trim()),
                    Err(e) => format!("denied: {e}"),
                };
                frame.meta_set("open-result", &outcome);
                Ok(())
            }
            "bad-plane" => {
                let info = frame.info();
                let row = info.planes[0].row_bytes as usize;
                // One byte short of two rows: the host must refuse it whole.
                let outcome = frame.write_rows(0, 0, &vec![0xAB; 2 * row - 1]);
                frame.meta_set("write-result", &format!("{outcome:?}"));
                let past_end = frame.write_rows(0, info.planes[0].rows, &vec![0xAB; row]);
                frame.meta_set("past-end-result", &format!("{past_end:?}"));
                Ok(())
            }
            "error" => Err(StageError::Failed(
                "this frame is refused on purpose".into(),
            )),
            "print" => {
                println!("hello from the sandbox, frame at {:?}", frame.info().pts_ns);
                Ok(())
            }
            "hoard-frames" => {
                // Ask the host for ever more frames: its allowance must say no.
                let mut frames = Vec::new();
                loop {
                    match reel_sdk::create_frame(PixelFormat::Rgba, 4096, 4096) {
                        Ok(f) => frames.push(f),
                        Err(e) => {
                            frame.meta_set("hoard-result", &format!("{} then {e:?}", frames.len()));
                            return Ok(());
                        }
                    }
                }
            }
            "hoard-luts" => {
                // The largest LUTs, again and again: they count against the
                // plugin's memory like its own allocations.
                let table = vec![0.5f32; 65 * 65 * 65 * 3];
                let mut luts = Vec::new();
                loop {
                    match kernels::Lut3d::from_table(65, &table) {
                        Ok(lut) => luts.push(lut),
                        Err(e) => {
                            frame.meta_set("hoard-result", &format!("{} then {e:?}", luts.len()));
                            return Ok(());
                        }
                    }
                }
            }
            "hoard-palettes" => {
                // Palettes (0.1.4) share the LUTs' limit on tables held.
                let colours = vec![
                    kernels::Rgba {
                        r: 1,
                        g: 2,
                        b: 3,
                        a: 255
                    };
                    256
                ];
                let mut palettes = Vec::new();
                loop {
                    match kernels::Palette::from_colors(&colours) {
                        Ok(p) => palettes.push(p),
                        Err(e) => {
                            frame.meta_set(
                                "hoard-result",
                                &format!("{} then {e:?}", palettes.len()),
                            );
                            return Ok(());
                        }
                    }
                }
            }
            "bad-stylise" => {
                // Every 0.1.4 stylising kernel given what it must refuse.
                let grey = kernels::Rgba {
                    r: 9,
                    g: 9,
                    b: 9,
                    a: 255,
                };
                let empty = kernels::Palette::from_colors(&[]);
                let too_many = kernels::Palette::from_colors(&vec![grey; 257]);
                let nan = kernels::Xdog {
                    sigma: f32::NAN,
                    k: 1.6,
                    tau: 0.98,
                    phi: 200.0,
                };
                let lines = kernels::draw_lines(frame, nan, kernels::LineThreshold::Density(0.1));
                let flat = kernels::Xdog {
                    sigma: 2.0,
                    k: 0.5,
                    tau: 0.98,
                    phi: 200.0,
                };
                let inner = kernels::draw_lines(frame, flat, kernels::LineThreshold::Value(0.0));
                let radius = kernels::kuwahara(frame, 1000.0, 8.0);
                let sharpness = kernels::kuwahara(frame, 4.0, f32::INFINITY);
                for (key, outcome) in [
                    ("empty", empty.map(|_| ()).map_err(|e| format!("{e:?}"))),
                    (
                        "too-many",
                        too_many.map(|_| ()).map_err(|e| format!("{e:?}")),
                    ),
                    ("nan-sigma", lines.map(|_| ()).map_err(|e| format!("{e:?}"))),
                    ("small-k", inner.map(|_| ()).map_err(|e| format!("{e:?}"))),
                    ("radius", radius.map_err(|e| format!("{e:?}"))),
                    ("sharpness", sharpness.map_err(|e| format!("{e:?}"))),
                ] {
                    frame.meta_set(key, &format!("{outcome:?}"));
                }
                Ok(())
            }
            "bad-key" => {
                // The 0.1.5 screen keyer given what it must refuse, and
                // settings that are no numbers, which it must survive.
                let keyer = |color: Option<kernels::Rgba>, x: f32| kernels::Keyer {
                    color,
                    similarity: x,
                    smoothness: x,
                    spill: x,
                    plate: true,
                };
                let green = kernels::Rgba {
                    r: 40,
                    g: 180,
                    b: 60,
                    a: 255,
                };
                let grey = kernels::Rgba {
                    r: 120,
                    g: 128,
                    b: 124,
                    a: 255,
                };
                // The frame is I420: the keyer takes RGBA only.
                let yuv = kernels::key_screen(frame, keyer(Some(green), 0.5));
                let rgba = reel_sdk::create_frame(PixelFormat::Rgba, 8, 8)?;
                let yuv_dst = reel_sdk::create_frame(PixelFormat::I420, 8, 8)?;
                let outcomes = [
                    ("yuv", yuv),
                    ("grey", kernels::key_screen(&rgba, keyer(Some(grey), 0.5))),
                    ("no-screen", kernels::key_screen(&rgba, keyer(None, 0.5))),
                    (
                        "nan",
                        kernels::key_screen(&rgba, keyer(Some(green), f32::NAN)),
                    ),
                    // 0.1.7: into a YUV frame, into itself, into another size.
                    (
                        "into-yuv",
                        kernels::key_screen_into(&rgba, &yuv_dst, keyer(Some(green), 0.5)),
                    ),
                    (
                        "into-itself",
                        kernels::key_screen_into(&rgba, &rgba, keyer(Some(green), 0.5)),
                    ),
                    (
                        "into-other-size",
                        kernels::key_screen_into(frame, &rgba, keyer(Some(green), 0.5)),
                    ),
                ];
                for (key, outcome) in outcomes {
                    frame.meta_set(
                        key,
                        &format!("{:?}", outcome.map(|_| ()).map_err(|e| format!("{e:?}"))),
                    );
                }
                Ok(())
            }
            "bad-wrap" => {
                // The 0.1.7 light wrap given a YUV layer, the same frame as
                // layer and background, a place far off the background and
                // settings that are no numbers.
                let wrap = |x: f32| kernels::Wrap {
                    radius: x,
                    strength: x,
                };
                let layer = reel_sdk::create_frame(PixelFormat::Rgba, 64, 48)?;
                let outcomes = [
                    (
                        "yuv-layer",
                        kernels::light_wrap(frame, &layer, 0, 0, wrap(0.5)),
                    ),
                    ("same", kernels::light_wrap(&layer, &layer, 0, 0, wrap(0.5))),
                    (
                        "far",
                        kernels::light_wrap(&layer, frame, i32::MIN, i32::MAX, wrap(1.0)),
                    ),
                    (
                        "nan",
                        kernels::light_wrap(&layer, frame, 3, 3, wrap(f32::NAN)),
                    ),
                    (
                        "huge",
                        kernels::light_wrap(&layer, frame, -7, 2, wrap(f32::MAX)),
                    ),
                ];
                for (key, outcome) in outcomes {
                    frame.meta_set(key, &format!("{:?}", outcome.map_err(|e| format!("{e:?}"))));
                }
                Ok(())
            }
            "kuwahara-bomb" => {
                // A frame that fits the allowance, filtered at full
                // resolution: the kernel's working memory would not.
                let big = reel_sdk::create_frame(PixelFormat::I420, 8192, 8192)?;
                let outcome = kernels::kuwahara(&big, 1.0, 8.0);
                frame.meta_set("bomb-result", &format!("{outcome:?}"));
                Ok(())
            }
            "read-planes" | "rewrite-planes" => {
                let info = frame.info();
                for (index, plane) in (0..).zip(&info.planes) {
                    let rows = frame.read_rows(index, 0, plane.rows)?;
                    if self.mode == "rewrite-planes" {
                        frame.write_rows(index, 0, &rows)?;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

export_plugin!(Hostile);
