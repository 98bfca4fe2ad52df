//! A plugin that declares 200,000 parameters: the host must refuse the
//! description at once (a bound on its size), not spend minutes checking
//! it (sandbox tests).

use reel_sdk::{ParamBuilder, prelude::*};

struct HugeDescribe;

impl Plugin for HugeDescribe {
    fn describe() -> Description {
        let mut builder = DescriptionBuilder::filter("huge-describe", "Declares 200k parameters");
        for i in 0..200_000 {
            builder = builder.param(ParamBuilder::number(&format!("p{i}"), 0.0, "one of many"));
        }
        builder.build()
    }

    fn new(_params: &Params) -> Result<Self, StageError> {
        Ok(HugeDescribe)
    }
}

export_plugin!(HugeDescribe);
