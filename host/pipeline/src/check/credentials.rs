//! A file sink's Content Credentials: the registry's signing key, the
//! asset, and what the claim says of the part of the pipeline that feeds
//! the sink (its sources as ingredients, its stages as actions, its
//! invisible watermark as a soft binding).

use super::stages::SECRET_PARAM;
use super::*;
use crate::config::CredentialsDef;
use crate::plan::CredentialsPlan;
use reel_credentials::{Action, Claim, Source, Watermark};

/// The plugin whose invisible mark a claim records as a soft binding.
const WATERMARK_PLUGIN: &str = "watermark";

/// Stages that feed `input`, in pipeline order.
fn upstream<'a>(input: &str, stages: &'a [StagePlan]) -> Vec<&'a StagePlan> {
    let mut wanted: HashSet<&str> = HashSet::from([input]);
    let mut found = Vec::new();
    // Plan order puts every stage after its inputs: walk it backwards.
    for stage in stages.iter().rev() {
        if wanted.contains(stage.id.as_str()) {
            wanted.extend(stage.inputs.iter().map(String::as_str));
            found.push(stage);
        }
    }
    found.reverse();
    found
}

/// The C2PA action a stage amounts to.
fn action_of(stage: &StagePlan) -> Option<Action> {
    match &stage.work {
        StageWork::Plugin(spec) => {
            let d = &spec.plugin.description;
            let params = d.resolve_params(&spec.params).ok()?;
            let text = |name: &str| {
                params.iter().find_map(|(n, v)| match v {
                    ParamValue::Text(t) if n == name => Some(t.as_str()),
                    _ => None,
                })
            };
            let action = match (d.name.as_str(), text("mode")) {
                // Reading a mark changes no pixel.
                (WATERMARK_PLUGIN, Some("detect")) => return None,
                (WATERMARK_PLUGIN, _) => "c2pa.watermarked",
                ("lut" | "restyle", _) => "c2pa.color_adjustments",
                _ => "c2pa.edited",
            };
            Some(Action {
                action: action.into(),
                description: format!("stage `{}`: plugin {}", stage.id, d.name),
                agent: format!("Reel plugin {} {}", d.name, d.version),
            })
        }
        StageWork::Element { factory, .. } => {
            let action = match factory.as_str() {
                "videoscale" => "c2pa.resized",
                "videocrop" | "aspectratiocrop" => "c2pa.cropped",
                "videoflip" => "c2pa.orientation",
                "videobalance" | "gamma" => "c2pa.color_adjustments",
                _ => "c2pa.edited",
            };
            Some(Action {
                action: action.into(),
                description: format!("stage `{}`: GStreamer element {factory}", stage.id),
                agent: format!("GStreamer {factory}"),
            })
        }
    }
}

/// The invisible mark a watermark stage embeds, if it embeds one.
fn mark_of(stage: &StagePlan) -> Option<Watermark> {
    let StageWork::Plugin(spec) = &stage.work else {
        return None;
    };
    let d = &spec.plugin.description;
    if d.name != WATERMARK_PLUGIN {
        return None;
    }
    let params = d.resolve_params(&spec.params).ok()?;
    let value = |name: &str| params.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let (Some(ParamValue::Text(mode)), Some(ParamValue::Text(payload))) =
        (value("mode"), value("payload"))
    else {
        return None;
    };
    let Some(ParamValue::Secret(key)) = value(SECRET_PARAM) else {
        return None;
    };
    if !matches!(mode.as_str(), "invisible" | "both") {
        return None;
    }
    Some(Watermark {
        payload: reel_watermark::parse_payload(payload).ok()?,
        key_id: reel_watermark::Key::parse(key.expose()).ok()?.id(),
    })
}

fn source_of(source: &SourcePlan) -> Source {
    let id = source.id.clone();
    match &source.kind {
        SourceKind::Uri(uri) => match gst::glib::filename_from_uri(uri) {
            Ok((path, _)) => Source::File { id, path },
            Err(_) => Source::Captured { id },
        },
        SourceKind::Images(images) => match images.files.first() {
            Some(path) => Source::File {
                id,
                path: path.clone(),
            },
            None => Source::Generated { id },
        },
        SourceKind::Test(_) => Source::Generated { id },
    }
}

/// Rejects text a certificate or a report should not carry.
fn plain_text(text: &str) -> Result<&str, &'static str> {
    let t = text.trim();
    if t.is_empty() {
        Err("is empty")
    } else if t.chars().any(char::is_control) {
        Err("holds control characters")
    } else {
        Ok(t)
    }
}

impl Checker<'_> {
    pub(super) fn credentials_plan(
        &mut self,
        def: &Spanned<CredentialsDef>,
        path: &Path,
        input: &str,
        sources: &[SourcePlan],
        stages: &[StagePlan],
    ) -> Option<Box<CredentialsPlan>> {
        let c = def.get_ref();
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("mkv"))
        {
            self.complain(
                def.span(),
                "Content Credentials need an .mp4 or .mov output (C2PA does not sign Matroska)",
            );
            return None;
        }
        let mut ok = true;
        let key = if c.signing_key_file.is_none() && c.signing_key_env.is_none() {
            self.complain(
                def.span(),
                "credentials are signed with the asset registry's key: give signing_key_file (the file `reel asset keygen` wrote) or signing_key_env",
            );
            None
        } else {
            let names = ["signing_key_file", "signing_key_env"];
            let given = c.signing_key_file.as_ref().or(c.signing_key_env.as_ref());
            let span = given.map(|g| g.span()).unwrap_or_default();
            let secret = self.secret(
                c.signing_key_file.as_ref(),
                c.signing_key_env.as_ref(),
                names,
            );
            match secret.map(|s| reel_registry::signing_key(s.expose())) {
                Some(Ok(key)) => Some(key),
                Some(Err(e)) => {
                    self.complain(span, e.to_string());
                    None
                }
                None => None,
            }
        };
        let owner = match plain_text(c.owner.get_ref()) {
            Ok(o) => o.to_string(),
            Err(why) => {
                self.complain(c.owner.span(), format!("owner {why}"));
                ok = false;
                String::new()
            }
        };
        let asset_title = match &c.title {
            Some(t) => match plain_text(t.get_ref()) {
                Ok(t) => Some(t.to_string()),
                Err(why) => {
                    self.complain(t.span(), format!("title {why}"));
                    ok = false;
                    None
                }
            },
            None => None,
        };
        let feeding = upstream(input, stages);
        let marks: Vec<Watermark> = feeding.iter().filter_map(|s| mark_of(s)).collect();
        if marks.len() > 1 {
            self.complain(
                def.span(),
                "more than one invisible watermark feeds this sink: a manifest records one",
            );
            return None;
        }
        let watermark = marks.into_iter().next();
        let asset = match (&c.asset, &watermark) {
            (Some(a), _) => match reel_watermark::parse_payload(a.get_ref()) {
                Ok(id) if watermark.as_ref().is_some_and(|w| w.payload != id) => {
                    self.complain(
                        a.span(),
                        format!(
                            "asset {id:#018x} differs from the payload {:#018x} the watermark stage embeds",
                            watermark.as_ref().map_or(0, |w| w.payload)
                        ),
                    );
                    None
                }
                Ok(id) => Some(id),
                Err(e) => {
                    self.complain(a.span(), format!("asset: {e}"));
                    None
                }
            },
            (None, Some(w)) => Some(w.payload),
            (None, None) => {
                self.complain(
                    def.span(),
                    "no invisible watermark feeds this sink: give the asset ID (asset = \"0x...\")",
                );
                None
            }
        };
        let (key, asset) = (key?, asset?);
        if !ok {
            return None;
        }
        // The source the sink's video comes from first: it is the parent.
        let mut feeding_sources: Vec<&SourcePlan> = sources
            .iter()
            .filter(|s| s.id == input || feeding.iter().any(|f| f.inputs.contains(&s.id)))
            .collect();
        let root = {
            let mut id = input;
            while let Some(stage) = stages.iter().find(|s| s.id == id) {
                id = stage.inputs.first().map_or("", String::as_str);
            }
            id
        };
        feeding_sources.sort_by_key(|s| s.id != root);
        let title = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let claim = Claim {
            title,
            asset,
            owner,
            asset_title,
            sources: feeding_sources.into_iter().map(source_of).collect(),
            actions: feeding.iter().filter_map(|s| action_of(s)).collect(),
            watermark,
        };
        Some(Box::new(CredentialsPlan { key, claim }))
    }
}
