//! `reel style train` and `reel style export-cube`: learning a look from
//! images, and baking it into a `.cube` for other tools.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use reel_pipeline::looks;
use reel_style::train::{TrainError, TrainOptions};

use crate::{EXIT_BAD_INPUT, EXIT_RUN_FAILED, fail};

pub fn train(images: &Path, out: &Path) -> ExitCode {
    let name = out
        .file_stem()
        .map_or("style".into(), |s| s.to_string_lossy().into_owned());
    let options = TrainOptions {
        name,
        ..TrainOptions::default()
    };
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} images  {msg}")
                .expect("valid template"),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let progress = |done: usize, all: usize, file: &Path| {
        bar.set_length(all as u64);
        bar.set_position(done as u64);
        bar.set_message(
            file.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
        );
    };
    let result = reel_style::train::train(images, &options, &progress);
    bar.finish_and_clear();
    let (style, summary) = match result {
        Ok(done) => done,
        Err(e) => {
            if let TrainError::TooFew { summary, .. } = &e {
                for (file, why) in &summary.skipped {
                    eprintln!("skipped {}: {why}", file.display());
                }
            }
            return fail(EXIT_BAD_INPUT, &e.to_string());
        }
    };
    for (file, why) in &summary.skipped {
        eprintln!("skipped {}: {why}", file.display());
    }
    if let Some(warning) = summary.warning() {
        eprintln!("warning: {warning}");
    }
    if let Err(e) = looks::save(out, &style.to_bytes()) {
        return fail(EXIT_RUN_FAILED, &e.to_string());
    }
    let h = &style.header;
    println!(
        "{}: learned from {} images ({} skipped); palette of {}, luma {:.2} ± {:.2}, lines {:.1}%, stroke scale {:.2}% of the height",
        out.display(),
        summary.used.len(),
        summary.skipped.len(),
        h.palette.len(),
        h.tone.luma_mean,
        h.tone.luma_std,
        100.0 * h.lines.edge_density,
        100.0 * h.strokes.scale
    );
    ExitCode::SUCCESS
}

pub fn export_cube(style: &Path, reference: &Path, out: &Path, size: usize) -> ExitCode {
    let style = match looks::read_style(style) {
        Ok(s) => s,
        Err(e) => return fail(EXIT_BAD_INPUT, &e.to_string()),
    };
    let cube = match looks::export_cube(&style, reference, size) {
        Ok(c) => c,
        Err(e) => return fail(EXIT_BAD_INPUT, &e.to_string()),
    };
    if let Err(e) = looks::save(out, cube.to_text().as_bytes()) {
        return fail(EXIT_RUN_FAILED, &e.to_string());
    }
    println!(
        "{}: a {size}³ LUT of `{}`",
        out.display(),
        style.header.name
    );
    ExitCode::SUCCESS
}
