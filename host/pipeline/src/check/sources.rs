//! Sources: test patterns, files and URIs (decoded once to prove they can be).

use super::*;
use reel_runtime::MAX_PICTURE_SIDE as MAX_SIDE;

impl Checker<'_> {
    pub(super) fn source_plan(&mut self, def: &Spanned<SourceDef>) -> Option<SourcePlan> {
        let s = def.get_ref();
        let id = s.id.get_ref().clone();
        let given = [
            s.uri.is_some(),
            s.file.is_some(),
            s.testsrc.is_some(),
            s.images.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            self.complain(
                def.span(),
                format!("source `{id}` needs exactly one of `uri`, `file`, `testsrc` or `images`"),
            );
            return None;
        }
        if let Some(tracks) = &s.audio_tracks
            && s.uri.is_none()
            && s.file.is_none()
        {
            self.complain(
                tracks.span(),
                format!(
                    "source `{id}`: `audio_tracks` chooses among a file's sound tracks; a test source's tone is `testsrc = {{ audio = false }}`, and pictures have none"
                ),
            );
        }
        if let Some(images) = &s.images {
            return self.image_source(&id, images);
        }
        if let Some(test) = &s.testsrc {
            let t = test.get_ref();
            let pattern = t
                .pattern
                .as_ref()
                .map_or("smpte".to_string(), |p| p.get_ref().clone());
            if let Some(p) = &t.pattern {
                self.check_enum_property("videotestsrc", "pattern", p);
            }
            let (mut width, mut height) = (TEST_WIDTH, TEST_HEIGHT);
            if let Some(size) = &t.size {
                match parse_size(size.get_ref()) {
                    Some((w, h)) => (width, height) = (w, h),
                    None => self.complain(
                        size.span(),
                        format!(
                            "size `{}` must be WIDTHxHEIGHT, like 1280x720 (each 1..=8192)",
                            size.get_ref()
                        ),
                    ),
                }
            }
            let rate = t.rate.as_ref().map_or(TEST_RATE, |r| *r.get_ref());
            if !(1..=240).contains(&rate) {
                let span = t.rate.as_ref().map(|r| r.span()).unwrap_or(test.span());
                self.complain(
                    span,
                    format!("rate {rate} must be 1..=240 frames per second"),
                );
            }
            let seconds = t.seconds.as_ref().map_or(TEST_SECONDS, |s| *s.get_ref());
            if !(seconds > 0.0 && seconds <= 86400.0) {
                let span = t.seconds.as_ref().map(|s| s.span()).unwrap_or(test.span());
                self.complain(
                    span,
                    format!("seconds {seconds} must be above 0 and at most 86400"),
                );
            }
            let tone = t.audio.as_ref().is_none_or(|a| *a.get_ref());
            let rate = rate.clamp(1, 240) as i32;
            let frames = (seconds.max(0.0) * rate as f64).round().max(1.0) as u64;
            return Some(SourcePlan {
                id,
                kind: SourceKind::Test(TestPlan {
                    pattern,
                    width,
                    height,
                    rate,
                    frames,
                }),
                audio: if tone {
                    vec![AudioTrack {
                        index: 0,
                        stream_id: None,
                    }]
                } else {
                    Vec::new()
                },
                duration: Some(Duration::from_secs_f64(frames as f64 / rate as f64)),
                fps: Some(rate as f64),
                live: false,
            });
        }
        let (uri, span) = if let Some(file) = &s.file {
            let path = self.relative(file.get_ref());
            if let Err(e) = regular_file(&path) {
                self.complain(file.span(), format!("source `{id}`: {e}"));
                return None;
            }
            match file_uri(&path) {
                Ok(uri) => (uri, file.span()),
                Err(e) => {
                    self.complain(file.span(), format!("source `{id}`: {e}"));
                    return None;
                }
            }
        } else {
            let uri = s.uri.as_ref().expect("one of the three");
            if let Ok((path, _)) = gst::glib::filename_from_uri(uri.get_ref())
                && let Err(e) = regular_file(&path)
            {
                self.complain(uri.span(), format!("source `{id}`: {e}"));
                return None;
            }
            (uri.get_ref().clone(), uri.span())
        };
        match crate::media::discover(&uri) {
            Ok(info) if info.fps.is_none() => {
                self.complain(span, format!("source `{id}`: {uri} has no video stream"));
                None
            }
            Ok(info) if info.still_image => {
                self.complain(
                    span,
                    format!(
                        "source `{id}`: this is a still image, not a clip: write it as `images = {{ file = \"...\", seconds = 10 }}`"
                    ),
                );
                None
            }
            Ok(info) => Some(SourcePlan {
                audio: self.audio_tracks(&id, s.audio_tracks.as_ref(), &info.audio)?,
                id,
                kind: SourceKind::Uri(uri),
                duration: info.duration,
                fps: info.fps,
                live: info.live,
            }),
            Err(e) => {
                self.complain(span, format!("source `{id}`: cannot read {uri}: {e}"));
                None
            }
        }
    }
}

impl Checker<'_> {
    /// The sound tracks of a file to keep: all of them unless the source
    /// says `audio_tracks = "none"` or lists them by number.
    fn audio_tracks(
        &mut self,
        id: &str,
        chosen: Option<&Spanned<toml::Value>>,
        streams: &[crate::media::AudioStream],
    ) -> Option<Vec<AudioTrack>> {
        let track = |index: usize| AudioTrack {
            index,
            stream_id: streams[index].stream_id.clone(),
        };
        let Some(chosen) = chosen else {
            return Some((0..streams.len()).map(track).collect());
        };
        let numbers: Option<Vec<i64>> = match chosen.get_ref() {
            toml::Value::String(s) if s == "all" => Some((1..=streams.len() as i64).collect()),
            toml::Value::String(s) if s == "none" => Some(Vec::new()),
            toml::Value::Array(items) => items.iter().map(toml::Value::as_integer).collect(),
            _ => None,
        };
        let Some(numbers) = numbers else {
            self.complain(
                chosen.span(),
                format!(
                    "source `{id}`: audio_tracks must be \"all\", \"none\" or track numbers from 1, like [1, 3]"
                ),
            );
            return None;
        };
        let count = streams.len();
        let mut tracks = Vec::new();
        for n in numbers {
            let message = if n < 1 || n as usize > count {
                Some(match count {
                    0 => format!("source `{id}` has no sound tracks; there is no track {n}"),
                    1 => format!("source `{id}` has 1 sound track; there is no track {n}"),
                    _ => format!(
                        "source `{id}` has {count} sound tracks (1..={count}); there is no track {n}"
                    ),
                })
            } else if tracks
                .iter()
                .any(|t: &AudioTrack| t.index + 1 == n as usize)
            {
                Some(format!("source `{id}`: track {n} is listed twice"))
            } else {
                None
            };
            match message {
                Some(m) => {
                    self.complain(chosen.span(), m);
                    return None;
                }
                None => tracks.push(track(n as usize - 1)),
            }
        }
        Some(tracks)
    }

    /// A still or numbered sequence: the files exist, the decoder is a
    /// decoder plugin, and the first picture decodes (in the sandbox).
    fn image_source(&mut self, id: &str, images: &Spanned<ImageSource>) -> Option<SourcePlan> {
        let i = images.get_ref();
        let path = self.relative(i.file.get_ref());
        let text = path.to_string_lossy().into_owned();
        let files = if text.contains('%') {
            reel_runtime::numbered_files(&text).map_err(|e| e.to_string())
        } else if path.is_file() {
            Ok(vec![path.clone()])
        } else {
            Err(format!("file {} does not exist", path.display()))
        };
        let files = match files {
            Ok(f) => f,
            Err(e) => {
                self.complain(i.file.span(), format!("source `{id}`: {e}"));
                return None;
            }
        };
        let default_decoder = Spanned::new(i.file.span(), "imagedec".to_string());
        let decoder_name = i.decoder.as_ref().unwrap_or(&default_decoder);
        let spec =
            self.load_stage_plugin(decoder_name, &format!("{id}-decoder"), StageKind::Decoder)?;
        let rate = i.rate.as_ref().map_or(25, |r| *r.get_ref());
        if !(1..=240).contains(&rate) {
            let span = i.rate.as_ref().map_or(images.span(), |r| r.span());
            self.complain(
                span,
                format!("rate {rate} must be 1..=240 frames per second"),
            );
            return None;
        }
        let seconds = i.seconds.as_ref().map(|s| *s.get_ref());
        if let Some(sec) = seconds
            && !(sec > 0.0 && sec <= 86400.0)
        {
            let span = i.seconds.as_ref().map_or(images.span(), |s| s.span());
            self.complain(
                span,
                format!("seconds {sec} must be above 0 and at most 86400"),
            );
            return None;
        }
        let max_size = match &i.max_size {
            None => reel_runtime::DEFAULT_MAX_PICTURE,
            Some(text) => match reel_runtime::parse_size(text.get_ref(), MAX_SIDE) {
                Some(size) => size,
                None => {
                    self.complain(
                        text.span(),
                        format!(
                            "max_size must be WIDTHxHEIGHT, each 1..={MAX_SIDE}, not `{}`",
                            text.get_ref()
                        ),
                    );
                    return None;
                }
            },
        };
        // Decode the first picture now: a broken file fails the check, and
        // its size and format fix the stream's caps.
        let first = reel_runtime::read_input_file(&files[0])
            .and_then(|bytes| reel_runtime::Stage::new(spec.clone())?.decode(&bytes, max_size))
            .map_err(|e| e.to_string())
            .and_then(|frames| {
                frames
                    .into_iter()
                    .next()
                    .ok_or_else(|| "the decoder returned no picture".to_string())
            });
        let first = match first {
            Ok(f) => f,
            Err(e) => {
                self.complain(
                    i.file.span(),
                    format!("source `{id}`: {}: {e}", files[0].display()),
                );
                return None;
            }
        };
        // A still with no length is stretched to the longest other source
        // later (`plan`); a sequence plays once.
        let frames = match seconds {
            Some(sec) => (sec * rate as f64).round().max(1.0) as u64,
            None if files.len() == 1 => 0,
            None => files.len() as u64,
        };
        Some(SourcePlan {
            id: id.to_string(),
            kind: SourceKind::Images(ImagePlan {
                location: path,
                files,
                decoder: Box::new(spec),
                width: first.layout.width,
                height: first.layout.height,
                format: first.layout.format,
                rate: rate as i32,
                frames,
                max_size,
            }),
            audio: Vec::new(),
            duration: (frames > 0).then(|| Duration::from_secs_f64(frames as f64 / rate as f64)),
            fps: Some(rate as f64),
            live: false,
        })
    }
}

/// Whether `path` is a regular file a source can read to the end: a FIFO
/// or a device would hang the discovery or never end.
fn regular_file(path: &Path) -> Result<(), String> {
    match std::fs::metadata(path) {
        Err(_) => Err(format!("file {} does not exist", path.display())),
        Ok(m) if !m.is_file() => Err(format!(
            "{} is not a regular file (a FIFO, device or directory cannot be a clip)",
            path.display()
        )),
        Ok(_) => Ok(()),
    }
}

/// `WIDTHxHEIGHT` with each side 1..=8192 (a test source's size).
fn parse_size(text: &str) -> Option<(i32, i32)> {
    reel_runtime::parse_size(text, 8192).map(|(w, h)| (w as i32, h as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("1280x720"), Some((1280, 720)));
        assert_eq!(parse_size("0x720"), None);
        assert_eq!(parse_size("big"), None);
    }
}
