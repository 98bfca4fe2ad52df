//! A deliberately badly behaved plugin for the sandbox tests. Its `mode`
//! parameter picks the misbehaviour; `ok` behaves, and `read-planes` and
//! `rewrite-planes` only move pixels (the benchmark measures crossings
//! with them).

use reel_sdk::{ParamBuilder, prelude::*};

struct Hostile {
    mode: String,
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
    "read-planes",
    "rewrite-planes",
];

impl Plugin for Hostile {
    fn describe() -> Description {
        DescriptionBuilder::filter("hostile", "Misbehaves on purpose (sandbox tests)")
            .version(env!("CARGO_PKG_VERSION"))
            .param(ParamBuilder::text("mode", "ok", "What to do on each frame").choices(MODES))
            .build()
    }

    fn new(params: &Params) -> Result<Self, StageError> {
        Ok(Hostile {
            mode: params.text("mode").to_string(),
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
