//! Sinks: output files, encoder settings, display and null.

use super::*;

/// H.264 as every browser and hardware decoder plays it: 8-bit 4:2:0,
/// High profile, constant quality.
fn default_video() -> VideoSettings {
    VideoSettings {
        preset: DEFAULT_PRESET.into(),
        rate: RateControl::Quality(DEFAULT_CRF as u32),
        keyframe_interval: None,
        psy_tune: None,
        tune: None,
        profile: "high".into(),
        raw_format: "I420".into(),
    }
}

/// The file's encoding, as the last action of its Content Credentials.
fn encoding_action(video: &VideoSettings, container: Container) -> reel_credentials::Action {
    let container = match container {
        Container::Mp4 => "MP4",
        Container::Mov => "QuickTime",
        Container::Mkv => "Matroska",
    };
    let rate = match video.rate {
        RateControl::Quality(crf) => format!("CRF {crf}"),
        RateControl::Bitrate { kbps, .. } => format!("{kbps} kbit/s"),
    };
    reel_credentials::Action {
        action: "c2pa.transcoded".into(),
        description: format!(
            "H.264 {} ({}, {rate}) in {container}",
            video.profile, video.preset
        ),
        agent: "GStreamer x264enc".into(),
    }
}

/// A number from the file within `range`, or a complaint at it.
fn in_range(
    checker: &mut Checker<'_>,
    value: &Spanned<i64>,
    name: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Option<u32> {
    let v = *value.get_ref();
    if range.contains(&v) {
        Some(v as u32)
    } else {
        checker.complain(
            value.span(),
            format!("{name} {v} must be {}..={}", range.start(), range.end()),
        );
        None
    }
}

impl Checker<'_> {
    /// Reports that `what` = `value` is none of `names`, with the closest.
    fn not_one_of(&mut self, span: Range<usize>, what: &str, value: &str, names: &[&str]) {
        let e = self
            .error(
                span,
                format!("{what} `{value}` is not one of {}", names.join(", ")),
            )
            .suggest(closest(value, names.iter().copied()));
        self.report(e);
    }

    /// A sink's `video = {...}`, checked: one rate control, known names,
    /// a profile that can carry the pixel format.
    fn video_settings(&mut self, v: &crate::config::VideoEncoding) -> Option<VideoSettings> {
        let mut settings = default_video();
        let mut ok = true;
        if let Some(p) = &v.preset {
            ok &= self.check_enum_property("x264enc", "speed-preset", p);
            settings.preset = p.get_ref().clone();
        }
        match (&v.crf, &v.bitrate_kbps) {
            (Some(_), Some(b)) => {
                self.complain(b.span(), "give either `crf` (constant quality) or `bitrate_kbps` (constant bitrate), not both");
                ok = false;
            }
            (Some(c), None) => match in_range(self, c, "crf", 0..=51) {
                Some(crf) => settings.rate = RateControl::Quality(crf),
                None => ok = false,
            },
            (None, Some(b)) => {
                let kbps = in_range(self, b, "bitrate_kbps", 100..=200_000);
                let vbv_ms = match &v.vbv_ms {
                    Some(ms) => in_range(self, ms, "vbv_ms", 100..=10_000),
                    None => Some(1000),
                };
                match (kbps, vbv_ms) {
                    (Some(kbps), Some(vbv_ms)) => {
                        settings.rate = RateControl::Bitrate { kbps, vbv_ms }
                    }
                    _ => ok = false,
                }
            }
            (None, None) => {}
        }
        if let (Some(ms), None) = (&v.vbv_ms, &v.bitrate_kbps) {
            self.complain(ms.span(), "vbv_ms applies to `bitrate_kbps` only");
            ok = false;
        }
        if let Some(k) = &v.keyframe_interval {
            settings.keyframe_interval = in_range(self, k, "keyframe_interval", 1..=1000);
            ok &= settings.keyframe_interval.is_some();
        }
        if let Some(t) = &v.tune {
            match t.get_ref().as_str() {
                "film" | "animation" | "grain" => settings.psy_tune = Some(t.get_ref().clone()),
                "stillimage" | "fastdecode" | "zerolatency" => {
                    settings.tune = Some(t.get_ref().clone())
                }
                other => {
                    let names = [
                        "film",
                        "animation",
                        "grain",
                        "stillimage",
                        "fastdecode",
                        "zerolatency",
                    ];
                    self.not_one_of(t.span(), "tune", other, &names);
                    ok = false;
                }
            }
        }
        let (format, high_profile) = match v.pixel_format.as_ref().map(|p| p.get_ref().as_str()) {
            None | Some("yuv420p") => ("I420", "high"),
            Some("yuv422p") => ("Y42B", "high-4:2:2"),
            Some("yuv444p") => ("Y444", "high-4:4:4"),
            Some(other) => {
                let span = v
                    .pixel_format
                    .as_ref()
                    .map(|p| p.span())
                    .unwrap_or_default();
                let names = ["yuv420p", "yuv422p", "yuv444p"];
                self.not_one_of(span, "pixel_format", other, &names);
                return None;
            }
        };
        settings.raw_format = format.into();
        settings.profile = high_profile.into();
        if let Some(p) = &v.profile {
            match (p.get_ref().as_str(), format) {
                ("high", _) => {}
                ("main" | "baseline", "I420") => settings.profile = p.get_ref().clone(),
                ("main" | "baseline", _) => {
                    self.complain(
                        p.span(),
                        format!("profile `{}` carries only yuv420p", p.get_ref()),
                    );
                    ok = false;
                }
                (other, _) => {
                    self.not_one_of(p.span(), "profile", other, &["high", "main", "baseline"]);
                    ok = false;
                }
            }
        }
        ok.then_some(settings)
    }

    pub(super) fn sink_plan(
        &mut self,
        def: &Spanned<SinkDef>,
        known: &[String],
        sources: &[SourcePlan],
        stages: &[StagePlan],
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
            let mut kbps = DEFAULT_AUDIO_KBPS;
            let video = match &s.video {
                Some(v) => self.video_settings(v.get_ref())?,
                None => default_video(),
            };
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
            let credentials = match &s.credentials {
                Some(c) => {
                    let mut plan =
                        self.credentials_plan(c, &path, s.input.get_ref(), sources, stages)?;
                    plan.claim.actions.push(encoding_action(&video, container));
                    Some(plan)
                }
                None => None,
            };
            SinkKind::File {
                path,
                container,
                video,
                audio_kbps: kbps.clamp(16, 512) as u32,
                credentials,
            }
        } else if let Some(display) = s.display.as_ref().filter(|d| *d.get_ref()) {
            // Without a graphical session the video sink would fail (or
            // crash) once the pipeline starts.
            if std::env::var_os("DISPLAY").is_none()
                && std::env::var_os("WAYLAND_DISPLAY").is_none()
            {
                self.complain(
                    display.span(),
                    "display = true needs a graphical session, and neither DISPLAY nor WAYLAND_DISPLAY is set",
                );
                return None;
            }
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
