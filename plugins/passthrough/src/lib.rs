//! Passes every frame on untouched: the cost of a stage that does nothing.

use reel_sdk::prelude::*;

struct Passthrough;

impl Plugin for Passthrough {
    fn describe() -> Description {
        DescriptionBuilder::filter("passthrough", "Passes frames on unchanged")
            .version(env!("CARGO_PKG_VERSION"))
            .build()
    }

    fn new(_params: &Params) -> Result<Self, StageError> {
        Ok(Passthrough)
    }

    fn filter(&mut self, _frame: &Frame) -> Result<(), StageError> {
        Ok(())
    }
}

export_plugin!(Passthrough);
