//! A plugin that declares 5,000 parameters: more than the host allows, yet
//! small enough to reach its check (larger descriptions are refused while
//! they are copied). The host must refuse it at once, not spend minutes
//! checking it (sandbox tests).

use reel_sdk::{ParamBuilder, prelude::*};

struct HugeDescribe;

impl Plugin for HugeDescribe {
    fn describe() -> Description {
        let mut builder = DescriptionBuilder::filter("huge-describe", "Declares 5000 parameters");
        for i in 0..5_000 {
            builder = builder.param(ParamBuilder::number(&format!("p{i}"), 0.0, "one of many"));
        }
        builder.build()
    }

    fn new(_params: &Params) -> Result<Self, StageError> {
        Ok(HugeDescribe)
    }
}

export_plugin!(HugeDescribe);
