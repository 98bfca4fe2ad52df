//! A filter that paints a band of `rows` luma rows grey, from row `top`:
//! what a lower-third or a ticker writes. The benchmarks measure what the
//! error policy costs on a call that changes part of a frame.

use reel_sdk::{ParamBuilder, prelude::*};

struct Band {
    top: u32,
    rows: u32,
    /// The band's rows, made once.
    grey: Vec<u8>,
}

impl Plugin for Band {
    fn describe() -> Description {
        DescriptionBuilder::filter("band", "Paints a band of luma rows grey (tests)")
            .version(env!("CARGO_PKG_VERSION"))
            .formats(&[PixelFormat::I420])
            .param(ParamBuilder::integer("top", 440, "First row").range(0.0, 16384.0))
            .param(ParamBuilder::integer("rows", 200, "Rows painted").range(0.0, 16384.0))
            .build()
    }

    fn new(params: &Params) -> Result<Self, StageError> {
        // Tests count these lines: set-up runs once per instance.
        println!("band: new");
        Ok(Band {
            top: params.integer("top") as u32,
            rows: params.integer("rows") as u32,
            grey: Vec::new(),
        })
    }

    fn filter(&mut self, frame: &Frame) -> Result<(), StageError> {
        let luma = frame.info().planes[0];
        let rows = self.rows.min(luma.rows.saturating_sub(self.top));
        let len = (rows * luma.row_bytes) as usize;
        if self.grey.len() != len {
            self.grey = vec![128; len];
        }
        frame.write_rows(0, self.top, &self.grey)?;
        Ok(())
    }
}

export_plugin!(Band);
