//! A filter that follows the programme's sound (contract 0.1.6): it paints
//! the frame's luma by the sound's level (16 at -120 dBFS and below, up 2
//! code values a dB) and writes what it was given as frame metadata
//! (`sound.*`), so tests see which sound reached which frame.

use reel_sdk::prelude::*;

struct Meter;

fn db(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return -120.0;
    }
    let power = samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32;
    if power > 0.0 {
        (10.0 * power.log10()).max(-120.0)
    } else {
        -120.0
    }
}

impl Plugin for Meter {
    fn describe() -> Description {
        DescriptionBuilder::filter(
            "soundmeter",
            "Paints luma by the frame's sound level (tests)",
        )
        .version(env!("CARGO_PKG_VERSION"))
        .formats(&[PixelFormat::I420])
        .build()
    }

    fn new(_params: &Params) -> Result<Self, StageError> {
        Ok(Meter)
    }

    fn filter(&mut self, frame: &Frame) -> Result<(), StageError> {
        let (Some(sound), Some(measures)) = (audio::frame_sound(), audio::frame_measures()) else {
            frame.meta_set("sound.none", "1");
            return Ok(());
        };
        let span = sound.frame_samples as usize;
        let ahead = &sound.samples[span.min(sound.samples.len())..];
        frame.meta_set("sound.rate", &sound.rate.to_string());
        frame.meta_set("sound.frame_samples", &sound.frame_samples.to_string());
        frame.meta_set(
            "sound.lookahead_samples",
            &sound.lookahead_samples.to_string(),
        );
        frame.meta_set("sound.missing", &sound.missing.to_string());
        frame.meta_set("sound.level", &format!("{:.2}", measures.level_db));
        frame.meta_set(
            "sound.own_level",
            &format!("{:.2}", db(&sound.samples[..span])),
        );
        frame.meta_set("sound.lookahead_level", &format!("{:.2}", db(ahead)));
        frame.meta_set("sound.peak", &format!("{:.2}", measures.peak_db));
        frame.meta_set("sound.voice", &format!("{:.3}", measures.voice));
        let bands: Vec<String> = measures.bands.iter().map(|b| format!("{b:.1}")).collect();
        frame.meta_set("sound.bands", &bands.join(","));
        let luma = frame.info().planes[0];
        let value = (16.0 + 2.0 * (measures.level_db + 120.0)).clamp(16.0, 235.0) as u8;
        frame.write_rows(0, 0, &vec![value; (luma.rows * luma.row_bytes) as usize])?;
        Ok(())
    }
}

export_plugin!(Meter);
