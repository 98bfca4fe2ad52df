//! `reel`: check, run and inspect TOML media pipelines whose stages are
//! sandboxed WebAssembly plugins on GStreamer.

//!
//! The logic lives in `reel-pipeline` and `reel-runtime`; this binary only
//! reads arguments, prints, and turns outcomes into exit codes. One module
//! per command.

mod asset;
mod check;
mod graph;
mod plugin;
mod run;
mod style;
mod watermark;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "reel",
    version,
    about = "Run media pipelines with sandboxed WebAssembly stages"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a pipeline, then run it to the end.
    Run {
        pipeline: PathBuf,
        /// Override a stage parameter or property: --set stage.param=value
        #[arg(long = "set", value_name = "STAGE.PARAM=VALUE")]
        set: Vec<String>,
        /// In a file job, pass frames a stage failed on through unchanged
        /// (and report them) instead of failing the run, for stages that
        /// do not set `on_error` themselves.
        #[arg(long)]
        allow_failures: bool,
        /// Refuse to run when an output file exists (by default an existing
        /// output is replaced, and only when the run succeeds).
        #[arg(long)]
        no_overwrite: bool,
    },
    /// Check a pipeline without running it.
    Check {
        pipeline: PathBuf,
        #[arg(long = "set", value_name = "STAGE.PARAM=VALUE")]
        set: Vec<String>,
    },
    /// Print the built GStreamer pipeline as Graphviz DOT.
    Graph { pipeline: PathBuf },
    /// Inspect and list plugins.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
    /// Learn a look from example images; export it as a .cube.
    Style {
        #[command(subcommand)]
        command: StyleCommand,
    },
    /// Make watermark keys; find Reel's invisible watermark in a clip.
    Watermark {
        #[command(subcommand)]
        command: WatermarkCommand,
    },
    /// The asset registry: who owns which watermark payload (append-only,
    /// hash-chained, signed).
    Asset {
        #[command(subcommand)]
        command: AssetCommand,
    },
}

#[derive(Subcommand)]
enum AssetCommand {
    /// Write a new registry signing key (ed25519, 64 hexadecimal digits,
    /// mode 600) and print its public key; never overwrites a file.
    Keygen {
        #[arg(long)]
        out: PathBuf,
    },
    /// Register an asset: its ID (the watermark payload), owner, title,
    /// the SHA-256 of FILE and the watermark key's id. Makes the registry
    /// with its first asset.
    Register {
        file: PathBuf,
        /// The registry database.
        #[arg(long, env = "REEL_REGISTRY")]
        registry: PathBuf,
        /// The asset ID: the 64-bit watermark payload (decimal or 0x hex).
        #[arg(long)]
        id: String,
        #[arg(long)]
        owner: String,
        #[arg(long)]
        title: String,
        /// The registry's signing key file (`reel asset keygen`).
        #[arg(long)]
        signing_key: PathBuf,
        /// The watermark key file the asset is marked with (only its id
        /// is recorded).
        #[arg(long, conflicts_with = "key_env", required_unless_present = "key_env")]
        key_file: Option<PathBuf>,
        /// The environment variable holding the watermark key.
        #[arg(long)]
        key_env: Option<String>,
    },
    /// Check every entry's hash, link and signature: exit 0 intact, 1
    /// tampered, 2 on an error.
    Verify {
        #[arg(long, env = "REEL_REGISTRY")]
        registry: PathBuf,
        /// The public key the registry must be signed by (64 hex digits).
        #[arg(long, conflicts_with = "signing_key")]
        public_key: Option<String>,
        /// Or the signing key whose public half it must be signed by.
        #[arg(long)]
        signing_key: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Print the certificate of the issuer that signs this registry's
    /// Content Credentials (PEM): add it to a C2PA validator's trust
    /// anchors to trust the registry's outputs.
    Issuer {
        /// The registry's signing key file (`reel asset keygen`).
        #[arg(long)]
        signing_key: PathBuf,
    },
    /// Print one registered asset, or all.
    Show {
        /// The asset ID (decimal or 0x hex); all when left out.
        id: Option<String>,
        #[arg(long, env = "REEL_REGISTRY")]
        registry: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum WatermarkCommand {
    /// Write a new random key (64 hexadecimal digits, mode 600); an
    /// existing file is never overwritten.
    Keygen {
        #[arg(long)]
        out: PathBuf,
    },
    /// Find the invisible watermark in anything GStreamer decodes: exit 0
    /// when found, 1 when not, 2 on an error.
    Detect {
        input: PathBuf,
        /// The key file the mark was made with.
        #[arg(long, conflicts_with = "key_env", required_unless_present = "key_env")]
        key_file: Option<PathBuf>,
        /// The environment variable holding the key.
        #[arg(long)]
        key_env: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// An asset registry in which to name the asset the payload
        /// belongs to.
        #[arg(long, env = "REEL_REGISTRY")]
        registry: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum StyleCommand {
    /// Learn a style from a folder of 30-50 images (JPEG, PNG, WebP).
    Train {
        /// The folder of example images.
        #[arg(long)]
        images: PathBuf,
        /// The .style file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Bake a style's colour transfer for some content into a .cube LUT
    /// (for DaVinci Resolve, OBS, ffmpeg's lut3d).
    ExportCube {
        /// The .style file.
        style: PathBuf,
        /// The content the LUT is for: a clip, or a folder of images.
        #[arg(long)]
        reference: PathBuf,
        /// The .cube file to write.
        #[arg(long)]
        out: PathBuf,
        /// Lattice points per side.
        #[arg(long, default_value_t = 33, value_parser = lut_size)]
        size: usize,
    },
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Show a plugin's self-description.
    Inspect {
        /// A plugin name on the search path, or a path to a .wasm file.
        plugin: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List the plugins on the search path.
    List,
}

/// The lattice sizes other tools expect of a .cube.
fn lut_size(text: &str) -> Result<usize, String> {
    match text {
        "17" | "33" | "65" => Ok(text.parse().expect("a number")),
        _ => Err("17, 33 or 65".into()),
    }
}

/// Exit codes: 1 for a failed run, 2 for a pipeline or usage mistake,
/// 130 for a run interrupted (files finished) or abandoned.
const EXIT_RUN_FAILED: u8 = 1;
const EXIT_BAD_INPUT: u8 = 2;
const EXIT_INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = reel_pipeline::init(&reel_runtime::Catalog::for_this_program()) {
        return fail(EXIT_RUN_FAILED, &format!("{e:#}"));
    }
    match cli.command {
        Command::Run {
            pipeline,
            set,
            allow_failures,
            no_overwrite,
        } => run::run(&pipeline, &set, allow_failures, no_overwrite),
        Command::Check { pipeline, set } => check::check(&pipeline, &set),
        Command::Graph { pipeline } => graph::graph(&pipeline),
        Command::Plugin { command } => match command {
            PluginCommand::Inspect { plugin, json } => plugin::inspect(&plugin, json),
            PluginCommand::List => plugin::list(),
        },
        Command::Style { command } => match command {
            StyleCommand::Train { images, out } => style::train(&images, &out),
            StyleCommand::ExportCube {
                style: file,
                reference,
                out,
                size,
            } => style::export_cube(&file, &reference, &out, size),
        },
        Command::Watermark { command } => match command {
            WatermarkCommand::Keygen { out } => watermark::keygen(&out),
            WatermarkCommand::Detect {
                input,
                key_file,
                key_env,
                json,
                registry,
            } => watermark::detect(
                &input,
                key_file.as_deref(),
                key_env.as_deref(),
                registry.as_deref(),
                json,
            ),
        },
        Command::Asset { command } => match command {
            AssetCommand::Keygen { out } => asset::keygen(&out),
            AssetCommand::Register {
                file,
                registry,
                id,
                owner,
                title,
                signing_key,
                key_file,
                key_env,
            } => asset::register(asset::Register {
                registry: &registry,
                file: &file,
                id: &id,
                owner: &owner,
                title: &title,
                signing_key: &signing_key,
                key_file: key_file.as_deref(),
                key_env: key_env.as_deref(),
            }),
            AssetCommand::Verify {
                registry,
                public_key,
                signing_key,
                json,
            } => asset::verify(
                &registry,
                public_key.as_deref(),
                signing_key.as_deref(),
                json,
            ),
            AssetCommand::Issuer { signing_key } => asset::issuer(&signing_key),
            AssetCommand::Show { id, registry, json } => {
                asset::show(&registry, id.as_deref(), json)
            }
        },
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(code)
}
