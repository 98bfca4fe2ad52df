//! The one error type of the runtime's public API. Each variant is a case
//! a caller may act on differently (suggest a name, point at a parameter,
//! report a stage); `Display` is always a sentence for the user, with any
//! guest text already sanitised.

use std::fmt;
use std::path::PathBuf;

use crate::description::{ParamError, StageKind};
use crate::frame::FrameError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The host cannot start: the engine, the environment (`REEL_CPU_LEVEL`)
    /// or the operating system refused.
    Setup(String),
    /// No plugin has that name in the catalog.
    NoSuchPlugin {
        name: String,
        /// The catalog's directories, in the order they were searched.
        searched: Vec<PathBuf>,
        /// A close name the catalog has.
        suggestion: Option<String>,
    },
    /// No asset bundle has that name (and no folder of that name is
    /// beside the file that names it).
    NoSuchAssets {
        name: String,
        /// The folders searched, in order.
        searched: Vec<PathBuf>,
        /// A close name the catalog has.
        suggestion: Option<String>,
    },
    /// A file Reel was asked to read is missing, not a regular file, too
    /// large or unreadable.
    File { path: PathBuf, reason: String },
    /// The file is not a plugin this host can use: not a component, built
    /// for another contract, or it failed to describe itself.
    Plugin { path: PathBuf, reason: String },
    /// The plugin is another kind of stage than the one asked for.
    WrongKind {
        plugin: String,
        is: StageKind,
        wanted: StageKind,
    },
    /// Parameters a stage's plugin refuses (by its schema).
    Param { stage: String, error: ParamError },
    /// Text that is not a parameter list (`name=value,...`).
    ParamSyntax(String),
    /// A stage's set-up is refused (its parameters, its asset directory).
    Stage { stage: String, reason: String },
    /// A stage's plugin could not start (it trapped or refused its
    /// parameters in `configure`).
    StageStart {
        stage: String,
        plugin: String,
        reason: String,
    },
    /// A numbered file pattern that is malformed or matches nothing.
    Sequence(String),
    /// A decoder stage failed on one item (the `item`-th it was given,
    /// read from `file` when there is one).
    Decode {
        stage: String,
        item: u64,
        file: Option<PathBuf>,
        reason: String,
    },
    /// A frame access was refused (a size, plane or row range that does
    /// not fit the frame).
    Frame(FrameError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Setup(reason) => f.write_str(reason),
            Error::NoSuchPlugin {
                name,
                searched,
                suggestion,
            } => not_found(f, "plugin named", name, searched, suggestion),
            Error::NoSuchAssets {
                name,
                searched,
                suggestion,
            } => not_found(
                f,
                "asset directory or bundle named",
                name,
                searched,
                suggestion,
            ),
            Error::File { path, reason } => write!(f, "{}: {reason}", path.display()),
            Error::Plugin { path, reason } => {
                write!(f, "cannot use plugin {}: {reason}", path.display())
            }
            Error::WrongKind { plugin, is, wanted } => {
                write!(f, "plugin `{plugin}` is a {is}, not a {wanted}")
            }
            Error::Param { stage, error } => write!(f, "stage `{stage}`: {error}"),
            Error::ParamSyntax(reason) => f.write_str(reason),
            Error::Stage { stage, reason } => write!(f, "stage `{stage}`: {reason}"),
            Error::StageStart {
                stage,
                plugin,
                reason,
            } => write!(
                f,
                "stage `{stage}` (plugin {plugin}) could not start: {reason}"
            ),
            Error::Sequence(reason) => f.write_str(reason),
            Error::Decode {
                stage,
                item,
                file,
                reason,
            } => {
                if let Some(file) = file {
                    write!(f, "{}: ", file.display())?;
                }
                write!(f, "stage `{stage}`, item {item}: {reason}")
            }
            Error::Frame(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

/// "no WHAT `name` (did you mean ..?); searched ..."
fn not_found(
    f: &mut fmt::Formatter<'_>,
    what: &str,
    name: &str,
    searched: &[PathBuf],
    suggestion: &Option<String>,
) -> fmt::Result {
    write!(f, "no {what} `{name}`")?;
    if let Some(s) = suggestion {
        write!(f, " (did you mean `{s}`?)")?;
    }
    let dirs: Vec<String> = searched.iter().map(|d| d.display().to_string()).collect();
    write!(f, "; searched {}", dirs.join(", "))
}

impl From<FrameError> for Error {
    fn from(e: FrameError) -> Error {
        Error::Frame(e)
    }
}
