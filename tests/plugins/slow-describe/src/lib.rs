//! A plugin whose `describe` sleeps for an hour: loading it must fail at
//! the describe deadline, not hang the host (sandbox tests).

use reel_sdk::prelude::*;

struct SlowDescribe;

impl Plugin for SlowDescribe {
    fn describe() -> Description {
        std::thread::sleep(std::time::Duration::from_secs(3600));
        DescriptionBuilder::filter("slow-describe", "Never finishes describing itself").build()
    }

    fn new(_params: &Params) -> Result<Self, StageError> {
        Ok(SlowDescribe)
    }
}

export_plugin!(SlowDescribe);
