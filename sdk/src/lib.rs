//! Write Reel plugins in Rust.
//!
//! A plugin is a type implementing [`Plugin`], exported with
//! [`export_plugin!`]. Build it with
//! `cargo build --release --target wasm32-wasip2` and the `.wasm` in
//! `target/wasm32-wasip2/release/` is a component the Reel host can load.
//!
//! The WIT contract in `sdk/wit/plugin.wit` is the source of truth; this
//! crate only hides the generated bindings behind a smaller, safer API.

extern crate self as reel_sdk;

pub mod assets;
mod color;
mod describe;
mod params;

pub use color::parse_color;
pub use describe::{DescriptionBuilder, ParamBuilder};
pub use params::Params;

/// The contract version this SDK was built from (the WIT package version).
pub const CONTRACT_VERSION: &str = "0.1.7";

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "plugin",
        pub_export_macro: true,
        default_bindings_module: "reel_sdk::bindings",
        runtime_path: "reel_sdk::__wit_bindgen_rt",
    });
}

#[doc(hidden)]
pub use wit_bindgen::rt as __wit_bindgen_rt;

pub use bindings::exports::reel::plugin::stage::{
    Description, MixerInput, ParamSpec, StageError, StageKind, Value, ValueType,
};
pub use bindings::reel::plugin::frames::{
    Frame, FrameError, FrameInfo, PixelFormat, Plane, create as create_frame,
};

/// Native kernels the host lends to plugins; they work on frames directly,
/// without copying pixels into the plugin.
pub mod kernels {
    pub use crate::bindings::reel::plugin::kernels::*;
}

/// The programme's sound, for the frame being worked on (contract 0.1.6):
/// call [`audio::frame_sound`] or [`audio::frame_measures`] from `filter`
/// or `mix`. A plugin that calls them imports `audio`, and a pipeline
/// wires the programme's sound to it; one that never does is unaffected
/// (and still loads on hosts older than 0.1.6).
pub mod audio {
    pub use crate::bindings::reel::plugin::audio::*;
}

/// Everything a plugin usually needs.
pub mod prelude {
    pub use crate::{
        Description, Frame, FrameError, MixerInput, PixelFormat, Plugin, StageError, Value, audio,
        describe::DescriptionBuilder, export_plugin, kernels, params::Params,
    };
}

impl From<FrameError> for StageError {
    fn from(e: FrameError) -> Self {
        StageError::Failed(format!("frame access refused: {e:?}"))
    }
}

/// One stage instance. The host creates an instance with [`Plugin::new`],
/// once, passing every parameter (defaults filled in), then calls the
/// method for its kind once per frame. Do expensive set-up (tables, assets
/// read from `/assets`) in `new`; `&mut self` is yours between frames:
/// keep scratch buffers there.
pub trait Plugin: Sized + 'static {
    /// Name, kind, formats and parameter schema; see [`DescriptionBuilder`].
    fn describe() -> Description;

    /// A new instance configured with `params`.
    fn new(params: &Params) -> Result<Self, StageError>;

    /// New parameter values while running. The default rebuilds the instance.
    fn configure(&mut self, params: &Params) -> Result<(), StageError> {
        *self = Self::new(params)?;
        Ok(())
    }

    /// Filters: change `frame` in place.
    fn filter(&mut self, _frame: &Frame) -> Result<(), StageError> {
        Err(StageError::Unsupported(
            "this plugin is not a filter".into(),
        ))
    }

    /// Mixers: compose `inputs` into `output`.
    fn mix(&mut self, _inputs: Vec<MixerInput>, _output: &Frame) -> Result<(), StageError> {
        Err(StageError::Unsupported("this plugin is not a mixer".into()))
    }

    /// Decoders: parse `data` into frames.
    fn decode(&mut self, _data: &[u8]) -> Result<Vec<Frame>, StageError> {
        Err(StageError::Unsupported(
            "this plugin is not a decoder".into(),
        ))
    }
}

#[doc(hidden)]
pub mod __private {
    use super::*;
    use bindings::exports::reel::plugin::stage::{GuestInstance, Param};
    use std::cell::RefCell;

    pub use bindings::exports::reel::plugin::stage::Guest;

    /// Adapts a [`Plugin`] to the generated `instance` resource. The
    /// component model calls methods through `&self`, hence the `RefCell`;
    /// calls never re-enter, so it never fails to borrow.
    pub struct Instance<T: Plugin> {
        state: RefCell<State<T>>,
    }

    enum State<T> {
        /// Made, not configured yet: the host configures every instance
        /// before its first frame, so [`Plugin::new`] waits for the
        /// parameters and runs once.
        Unbuilt,
        Ready(T),
        Failed(StageError),
    }

    fn build<T: Plugin>(params: Vec<Param>) -> State<T> {
        match T::new(&Params::new(T::describe(), params)) {
            Ok(plugin) => State::Ready(plugin),
            Err(e) => State::Failed(e),
        }
    }

    impl<T: Plugin> GuestInstance for Instance<T> {
        fn new() -> Self {
            Instance {
                state: RefCell::new(State::Unbuilt),
            }
        }

        fn configure(&self, params: Vec<Param>) -> Result<(), StageError> {
            let mut state = self.state.borrow_mut();
            if let State::Ready(plugin) = &mut *state {
                return plugin.configure(&Params::new(T::describe(), params));
            }
            *state = build::<T>(params);
            match &*state {
                State::Failed(e) => Err(e.clone()),
                _ => Ok(()),
            }
        }

        fn filter(&self, frame: &Frame) -> Result<(), StageError> {
            self.with(|p| p.filter(frame))
        }

        fn mix(&self, inputs: Vec<MixerInput>, output: &Frame) -> Result<(), StageError> {
            self.with(|p| p.mix(inputs, output))
        }

        fn decode(&self, data: Vec<u8>) -> Result<Vec<Frame>, StageError> {
            self.with(|p| p.decode(&data))
        }
    }

    impl<T: Plugin> Instance<T> {
        fn with<R>(
            &self,
            f: impl FnOnce(&mut T) -> Result<R, StageError>,
        ) -> Result<R, StageError> {
            let mut state = self.state.borrow_mut();
            if let State::Unbuilt = *state {
                // A host that never configured: every default applies.
                *state = build::<T>(Vec::new());
            }
            match &mut *state {
                State::Ready(plugin) => f(plugin),
                State::Failed(e) => Err(e.clone()),
                State::Unbuilt => Err(StageError::Failed("the instance was never built".into())),
            }
        }
    }
}

/// Exports `$plugin` (a type implementing [`Plugin`]) as the component's
/// `stage` interface. Use it once per plugin crate.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        struct __ReelStage;
        impl $crate::__private::Guest for __ReelStage {
            type Instance = $crate::__private::Instance<$plugin>;
            fn describe() -> $crate::Description {
                <$plugin as $crate::Plugin>::describe()
            }
        }
        $crate::bindings::export!(__ReelStage with_types_in $crate::bindings);
    };
}
