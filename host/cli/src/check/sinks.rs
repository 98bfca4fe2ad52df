//! Sinks: output files, encoder settings, display and null.

use super::*;

impl Checker<'_> {
    pub(super) fn sink_plan(
        &mut self,
        def: &Spanned<SinkDef>,
        known: &[String],
    ) -> Option<SinkPlan> {
        let s = def.get_ref();
        self.check_reference(&s.input, known, None)?;
        let kinds = [s.file.is_some(), s.display.is_some(), s.null.is_some()];
        if kinds.iter().filter(|k| **k).count() != 1 {
            self.complain(
                def.span(),
                "a sink needs exactly one of `file`, `display` or `null`",
            );
            return None;
        }
        let kind = if let Some(file) = &s.file {
            let path = self.relative(file.get_ref());
            let container = match path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_lowercase)
                .as_deref()
            {
                Some("mp4") => Container::Mp4,
                Some("mkv") => Container::Mkv,
                Some("mov") => Container::Mov,
                _ => {
                    self.complain(
                        file.span(),
                        "the output file must end in .mp4, .mkv or .mov",
                    );
                    return None;
                }
            };
            if path.is_dir() {
                self.complain(file.span(), format!("{} is a directory", path.display()));
                return None;
            }
            let (mut preset, mut crf, mut kbps) =
                (DEFAULT_PRESET.to_string(), DEFAULT_CRF, DEFAULT_AUDIO_KBPS);
            if let Some(video) = &s.video {
                if let Some(p) = &video.get_ref().preset {
                    self.check_enum_property("x264enc", "speed-preset", p);
                    preset = p.get_ref().clone();
                }
                if let Some(c) = &video.get_ref().crf {
                    crf = *c.get_ref();
                    if !(0..=51).contains(&crf) {
                        self.complain(c.span(), format!("crf {crf} must be 0..=51"));
                    }
                }
            }
            if let Some(b) = s
                .audio
                .as_ref()
                .and_then(|a| a.get_ref().bitrate_kbps.as_ref())
            {
                kbps = *b.get_ref();
                if !(16..=512).contains(&kbps) {
                    self.complain(b.span(), format!("bitrate_kbps {kbps} must be 16..=512"));
                }
            }
            SinkKind::File {
                path,
                container,
                preset,
                crf: crf.clamp(0, 51) as u32,
                audio_kbps: kbps.clamp(16, 512) as u32,
            }
        } else if s.display.as_ref().is_some_and(|d| *d.get_ref()) {
            SinkKind::Display
        } else {
            SinkKind::Null
        };
        Some(SinkPlan {
            input: s.input.get_ref().clone(),
            kind,
        })
    }
}
