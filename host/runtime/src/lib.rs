//! The Reel plugin host: loads WebAssembly plugins written against the
//! `reel:plugin` contract and runs them sandboxed, one supervised instance
//! per stage.

mod cache;
mod catalog;
mod clocks;
mod compile;
mod description;
mod error;
mod files;
mod frame;
mod guest;
mod instance;
mod limits;
mod plugin;
mod runtime;
mod sandbox;
mod sequence;
mod stage;
mod text;
mod timings;

pub use cache::Origin;
pub use catalog::Catalog;
pub use compile::{CompileLimits, compiler_main};
pub use description::{
    Description, Format, ParamError, ParamSpec, ParamValue, Secret, StageKind, ValueType, closest,
};
pub use error::{Error, Result};
pub use files::check_asset_dir;
pub use frame::{FrameError, HostFrame, Pixels};
pub use limits::MAX_INSTANCES;
pub use plugin::{CONTRACT_VERSION, Plugin, compatible};
pub use reel_kernels::{Image, ImageMut, Layout, PlaneLayout, convert};
pub use runtime::Runtime;
pub use sandbox::{
    DEFAULT_HANG_GUARD, DEFAULT_MEMORY_BYTES, MAX_DEADLINE, MAX_MEMORY_BYTES, SandboxConfig,
};
pub use sequence::{
    DEFAULT_MAX_PICTURE, MAX_PICTURE_SIDE, decode_sequence, numbered_files, parse_size,
    read_input_file,
};
pub use stage::{DEFAULT_MAX_FAILURES, OnError, Stage, StageEvent, StageSpec, StageStats, Verdict};
pub use text::sanitize;
pub use timings::Timings;
