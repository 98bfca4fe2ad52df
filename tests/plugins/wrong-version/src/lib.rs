//! A plugin built against a contract version the host does not speak
//! (reel:plugin@0.2.0): the host must refuse it by name and version.

wit_bindgen::generate!({
    inline: "
        package reel:plugin@0.2.0;

        interface stage {
            describe: func() -> string;
        }

        world plugin {
            export stage;
        }
    ",
    world: "plugin",
});

struct Future;

impl exports::reel::plugin::stage::Guest for Future {
    fn describe() -> String {
        "from the future".into()
    }
}

export!(Future);
