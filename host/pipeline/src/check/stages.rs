//! Stages: plugins (parameters against their schema) and native elements (properties against GStreamer's).

use super::*;

/// The parameter a stage's secret key fills.
pub(super) const SECRET_PARAM: &str = "key";
const INLINE_KEY: &str = "a key is never written in a pipeline file or on the command line: give the stage key_file = \"FILE\" (readable only by you) or key_env = \"VARIABLE\"";

impl Checker<'_> {
    pub(super) fn stage_work(
        &mut self,
        def: &Spanned<StageDef>,
        inputs: &[Text],
        overrides: &[Override],
    ) -> Option<StageWork> {
        let s = def.get_ref();
        let id = s.id.get_ref().clone();
        let overrides: Vec<&Override> = overrides.iter().filter(|o| o.stage == id).collect();
        match (&s.plugin, &s.element) {
            (Some(plugin), None) => self.plugin_stage(def, plugin, inputs, &overrides),
            (None, Some(element)) => {
                if inputs.len() > 1 {
                    self.complain(
                        inputs[1].span(),
                        format!("stage `{id}` is a native element and takes one input"),
                    );
                }
                for field in [s.params.as_ref().map(|p| p.span())].into_iter().flatten() {
                    self.complain(
                        field,
                        format!("stage `{id}` is a native element: use `properties`, not `params`"),
                    );
                }
                let mut properties = Vec::new();
                let factory = element.get_ref().clone();
                let instance = self.native_element(element)?;
                for (key, value) in s.properties.iter().flat_map(|p| p.get_ref().iter()) {
                    let text = toml_text(value.get_ref());
                    if self.check_property(&instance, key, Some(value.span()), &text) {
                        properties.push((key.get_ref().clone(), text));
                    }
                }
                for o in overrides {
                    let key = Spanned::new(0..0, o.key.clone());
                    if self.check_property(&instance, &key, None, &o.value) {
                        properties.retain(|(k, _)| *k != o.key);
                        properties.push((o.key.clone(), o.value.clone()));
                    }
                }
                // Set them on the scratch element: its caps decide below.
                for (key, value) in &properties {
                    if let Some(pspec) = instance.find_property(key)
                        && let Ok(v) = gst::glib::Value::deserialize_with_pspec(value, &pspec)
                    {
                        instance.set_property_from_value(key, &v);
                    }
                }
                if let Err(why) = takes_video(&instance) {
                    self.complain(
                        element.span(),
                        format!("stage `{id}`: element `{factory}` {why}"),
                    );
                    return None;
                }
                Some(StageWork::Element {
                    factory,
                    properties,
                })
            }
            _ => {
                self.complain(
                    def.span(),
                    format!("stage `{id}` needs exactly one of `plugin` or `element`"),
                );
                None
            }
        }
    }

    /// Finds and loads a plugin named (or pathed) by `plugin`; problems are
    /// reported at it.
    pub(super) fn load_plugin(&mut self, plugin: &Text, id: &str) -> Option<Arc<Plugin>> {
        let name = plugin.get_ref();
        let path = if name.ends_with(".wasm") || name.contains('/') {
            Ok(self.relative(name))
        } else {
            self.catalog.find(name)
        };
        let loaded = path.and_then(|path| self.runtime.load(&path));
        match loaded {
            Ok(p) => Some(p),
            Err(e) => {
                self.complain_about(plugin.span(), &format!("`{id}`: "), e);
                None
            }
        }
    }

    /// A plugin of `kind` with default parameters and limits, for a stage
    /// the host drives itself (a source's decoder).
    pub(super) fn load_stage_plugin(
        &mut self,
        plugin: &Text,
        id: &str,
        kind: StageKind,
    ) -> Option<StageSpec> {
        let loaded = self.load_plugin(plugin, id)?;
        if let Err(e) = loaded.expect_kind(kind) {
            self.complain(plugin.span(), format!("`{id}`: {e}"));
            return None;
        }
        Some(StageSpec {
            id: id.to_string(),
            plugin: loaded,
            params: Vec::new(),
            sandbox: SandboxConfig::default(),
            on_error: OnError::Fail,
            max_failures: reel_runtime::DEFAULT_MAX_FAILURES,
            live: false,
        })
    }

    pub(super) fn plugin_stage(
        &mut self,
        def: &Spanned<StageDef>,
        plugin: &Text,
        inputs: &[Text],
        overrides: &[&Override],
    ) -> Option<StageWork> {
        let s = def.get_ref();
        let id = s.id.get_ref().clone();
        if let Some(p) = &s.properties {
            self.complain(
                p.span(),
                format!("stage `{id}` is a plugin: use `params`, not `properties`"),
            );
        }
        let plugin_arc = self.load_plugin(plugin, &id)?;
        let description = &plugin_arc.description;
        let accepted = match description.kind {
            StageKind::Filter => 1,
            StageKind::Mixer if description.takes_any_inputs() => usize::MAX,
            StageKind::Mixer => description.inputs.len(),
            StageKind::Decoder => {
                self.complain(
                    plugin.span(),
                    format!(
                        "stage `{id}`: plugin `{}` is a decoder; use it in a source: images = {{ file = \"...\", decoder = \"{}\" }}",
                        description.name, plugin.get_ref()
                    ),
                );
                return None;
            }
        };
        if inputs.len() > accepted {
            let names = if description.inputs.is_empty() {
                String::new()
            } else {
                format!(" ({})", description.inputs.join(", "))
            };
            self.complain(
                inputs[accepted].span(),
                format!(
                    "stage `{id}`: plugin `{}` takes {accepted} input{}{names}",
                    description.name,
                    if accepted == 1 { "" } else { "s" }
                ),
            );
            return None;
        }
        // Fewer inputs than a mixer names may be meant (optional layers),
        // but deserve a word: the missing ones never get a frame.
        if description.kind == StageKind::Mixer
            && accepted != usize::MAX
            && let Some(last) = inputs.last()
            && inputs.len() < accepted
        {
            let missing = description.inputs[inputs.len()..].join("`, `");
            let warning = self.error(
                last.span(),
                format!(
                    "stage `{id}`: plugin `{}` takes {accepted} inputs ({}); `{missing}` is not connected and gets no frames",
                    description.name,
                    description.inputs.join(", ")
                ),
            );
            self.warnings.push(warning);
        }
        let mut params: Vec<(String, ParamValue)> = Vec::new();
        let mut ok = true;
        let empty = SpannedTable::new();
        for (key, value) in s.params.as_ref().map_or(&empty, |p| p.get_ref()) {
            if key.get_ref() == SECRET_PARAM {
                ok = false;
                if let toml::Value::String(text) = value.get_ref() {
                    self.inline_secrets.push(text.clone());
                }
                // The span of the key only: the value is not quoted back.
                self.complain(key.span(), format!("stage `{id}`: {INLINE_KEY}"));
                continue;
            }
            let Some(v) = param_value(value.get_ref(), description.param(key.get_ref())) else {
                self.complain(
                    value.span(),
                    format!(
                        "parameter `{}` must be a boolean, number or string (a table or array only for a text parameter)",
                        key.get_ref()
                    ),
                );
                ok = false;
                continue;
            };
            match description.resolve_params(&[(key.get_ref().clone(), v.clone())]) {
                Ok(_) => params.push((key.get_ref().clone(), v)),
                Err(e) => {
                    ok = false;
                    let span = if e.suggestion.is_some() || description.param(&e.name).is_none() {
                        key.span()
                    } else {
                        value.span()
                    };
                    let err = self
                        .error(span, format!("stage `{id}`: {}", e.message))
                        .suggest(e.suggestion);
                    self.report(err);
                }
            }
        }
        if let Some(given) = s.key_file.as_ref().or(s.key_env.as_ref()) {
            if description.param(SECRET_PARAM).is_none() {
                ok = false;
                self.complain(
                    given.span(),
                    format!("stage `{id}`: plugin `{}` takes no key", description.name),
                );
            } else {
                match self.secret(
                    s.key_file.as_ref(),
                    s.key_env.as_ref(),
                    ["key_file", "key_env"],
                ) {
                    Some(key) => params.push((SECRET_PARAM.into(), ParamValue::Secret(key))),
                    None => ok = false,
                }
            }
        }
        for o in overrides {
            if o.key == SECRET_PARAM {
                ok = false;
                self.problems.push(Diagnostic::plain(format!(
                    "--set {}.{}: {INLINE_KEY}",
                    o.stage, o.key
                )));
                continue;
            }
            // A text parameter takes the value as written (`--set
            // mark.payload=0x2A` means the text, not a number).
            let v = match description.param(&o.key) {
                Some(spec) if spec.kind == ValueType::Text => {
                    match ParamValue::parse_literal(&o.value) {
                        text @ ParamValue::Text(_) => text,
                        _ => ParamValue::Text(o.value.clone()),
                    }
                }
                _ => ParamValue::parse_literal(&o.value),
            };
            match description.resolve_params(&[(o.key.clone(), v.clone())]) {
                Ok(_) => params.push((o.key.clone(), v)),
                Err(e) => {
                    ok = false;
                    self.problems.push(Diagnostic::plain(format!(
                        "--set {}.{}={}: {e}",
                        o.stage, o.key, o.value
                    )));
                }
            }
        }
        let mut sandbox = SandboxConfig::default();
        let mut on_error = OnError::default();
        if let Some(name) = &s.on_error {
            match OnError::parse(name.get_ref()) {
                Some(o) => on_error = o,
                None => {
                    ok = false;
                    let e = self
                        .error(
                            name.span(),
                            format!("on_error must be one of {}", OnError::NAMES.join(", ")),
                        )
                        .suggest(closest(name.get_ref(), OnError::NAMES));
                    self.report(e);
                }
            }
        }
        let mut max_failures = reel_runtime::DEFAULT_MAX_FAILURES;
        if let Some(n) = &s.max_failures {
            match u32::try_from(*n.get_ref()) {
                Ok(v) if v >= 1 => max_failures = v,
                _ => {
                    ok = false;
                    self.complain(n.span(), "max_failures must be at least 1");
                }
            }
        }
        // A deadline left unset is twice the frame interval, filled in once
        // the source's rate is known (see `build`).
        sandbox.deadline = Duration::ZERO;
        for (given, name, field) in [
            (&s.deadline_ms, "deadline_ms", &mut sandbox.deadline),
            (&s.hang_guard_ms, "hang_guard_ms", &mut sandbox.hang_guard),
        ] {
            let Some(ms) = given else { continue };
            match u64::try_from(*ms.get_ref()) {
                Ok(v) if (1..=600_000).contains(&v) => *field = Duration::from_millis(v),
                _ => {
                    ok = false;
                    self.complain(ms.span(), format!("{name} must be 1..=600000"));
                }
            }
        }
        if let Some(mb) = &s.memory_mb {
            let max = reel_runtime::MAX_MEMORY_BYTES >> 20;
            match usize::try_from(*mb.get_ref()) {
                Ok(v) if (1..=max).contains(&v) => sandbox.memory_bytes = v << 20,
                _ => {
                    ok = false;
                    self.complain(mb.span(), format!("memory_mb must be 1..={max}"));
                }
            }
        }
        if let Some(dir) = &s.assets {
            // The folder checked is the folder granted: resolved once,
            // links and `..` included.
            let found = self
                .catalog
                .find_assets(dir.get_ref(), &self.dir)
                .and_then(|path| {
                    let path = path.canonicalize().map_err(|e| reel_runtime::Error::File {
                        path,
                        reason: format!("cannot be resolved: {e}"),
                    })?;
                    reel_runtime::check_asset_dir(&path).map(|()| path)
                });
            match found {
                Ok(path) => sandbox.assets = Some(path),
                Err(e) => {
                    ok = false;
                    self.complain_about(dir.span(), "assets: ", e);
                }
            }
        }
        if !ok {
            return None;
        }
        let spec = StageSpec {
            id,
            plugin: plugin_arc.clone(),
            params,
            sandbox,
            on_error,
            max_failures,
            // Decided by the element from its stream (see gst-reel).
            live: false,
        };
        // Start it once now: a plugin that refuses these parameters or
        // assets (a missing file) says so here, at the stage, not mid-run.
        if let Err(e) = reel_runtime::Stage::new(spec.clone()) {
            let span = s.params.as_ref().map_or(plugin.span(), |p| p.span());
            self.complain(span, format!("{e:#}"));
            return None;
        }
        Some(StageWork::Plugin(Box::new(spec)))
    }

    /// A secret from the file or environment variable given under `names`
    /// (`key_file` and `key_env` for a stage), or None (with the problem
    /// reported when one was given).
    pub(super) fn secret(
        &mut self,
        file: Option<&Text>,
        env: Option<&Text>,
        names: [&str; 2],
    ) -> Option<Secret> {
        let [file_name, env_name] = names;
        match (file, env) {
            (None, None) => None,
            (Some(_), Some(env)) => {
                self.complain(
                    env.span(),
                    format!("give {file_name} or {env_name}, not both"),
                );
                None
            }
            (Some(file), None) => {
                match crate::keys::read_key_file(&self.dir.join(file.get_ref())) {
                    Ok(key) => {
                        if let Some(warning) = key.warning {
                            let warning = self.error(file.span(), warning);
                            self.warnings.push(warning);
                        }
                        Some(Secret::new(key.text))
                    }
                    Err(e) => {
                        self.complain(file.span(), format!("{file_name}: {e}"));
                        None
                    }
                }
            }
            (None, Some(env)) => match crate::keys::read_key_env(env.get_ref()) {
                Ok(text) => Some(Secret::new(text)),
                Err(e) => {
                    self.complain(env.span(), format!("{env_name}: {e}"));
                    None
                }
            },
        }
    }

    pub(super) fn native_element(&mut self, element: &Text) -> Option<gst::Element> {
        let name = element.get_ref();
        match gst::ElementFactory::make(name).build() {
            Ok(e) => Some(e),
            Err(_) => {
                let names: Vec<String> = gst::Registry::get()
                    .features(gst::ElementFactory::static_type())
                    .iter()
                    .map(|f| f.name().to_string())
                    .collect();
                let e = self
                    .error(
                        element.span(),
                        format!("there is no GStreamer element `{name}`"),
                    )
                    .suggest(closest(name, names.iter().map(String::as_str)));
                self.report(e);
                None
            }
        }
    }

    /// Whether `value` is valid for property `key` of `element`; reports
    /// the problem at `span` (or against --set) when not.
    pub(super) fn check_property(
        &mut self,
        element: &gst::Element,
        key: &Text,
        span: Option<Range<usize>>,
        value: &str,
    ) -> bool {
        let name = key.get_ref();
        let at =
            |this: &mut Self, s: Option<Range<usize>>, msg: String, hint: Option<String>| match s {
                Some(s) => {
                    let e = this.error(s, msg).suggest(hint);
                    this.report(e);
                }
                None => this.problems.push(Diagnostic::plain(format!(
                    "--set {name}={value}: {msg}{}",
                    hint.map(|h| format!(" (did you mean `{h}`?)"))
                        .unwrap_or_default()
                ))),
            };
        let Some(pspec) = element.find_property(name) else {
            let names: Vec<String> = element
                .list_properties()
                .iter()
                .map(|p| p.name().to_string())
                .collect();
            let hint = closest(name, names.iter().map(String::as_str));
            at(
                self,
                span.map(|_| key.span()),
                format!(
                    "element `{}` has no property `{name}`",
                    factory_name(element)
                ),
                hint,
            );
            return false;
        };
        if !pspec.flags().contains(gst::glib::ParamFlags::WRITABLE) {
            at(
                self,
                span.map(|_| key.span()),
                format!("property `{name}` cannot be set"),
                None,
            );
            return false;
        }
        let parsed = gst::glib::Value::deserialize_with_pspec(value, &pspec);
        let Ok(parsed) = parsed else {
            let values = enum_values(&pspec);
            let hint = values
                .as_ref()
                .and_then(|v| closest(value, v.iter().map(String::as_str)));
            let kind = match (&values, &hint) {
                (Some(v), None) => format!("one of: {}", v.join(", ")),
                _ => pspec.value_type().name().to_string(),
            };
            at(
                self,
                span,
                format!("`{value}` is not a valid value for property `{name}` ({kind})"),
                hint,
            );
            return false;
        };
        // Setting a value outside the property's range would fail (and
        // panic) once the pipeline is built: say so here.
        if !pspec.value_is_valid(&parsed) {
            at(
                self,
                span,
                format!(
                    "`{value}` is out of range for property `{name}`{}",
                    range_text(&pspec)
                ),
                None,
            );
            return false;
        }
        true
    }

    pub(super) fn check_enum_property(
        &mut self,
        factory: &str,
        property: &str,
        value: &Text,
    ) -> bool {
        match gst::ElementFactory::make(factory).build() {
            Ok(element) => {
                let key = Spanned::new(value.span(), property.to_string());
                self.check_property(&element, &key, Some(value.span()), value.get_ref())
            }
            Err(_) => true,
        }
    }
}

fn factory_name(element: &gst::Element) -> String {
    element
        .factory()
        .map(|f| f.name().to_string())
        .unwrap_or_default()
}

/// Whether a video stage can be `element`: its pads take and give raw
/// video (a capsfilter's caps included), else why not.
fn takes_video(element: &gst::Element) -> Result<(), String> {
    let video = gst::Caps::builder("video/x-raw").any_features().build();
    for (direction, what) in [
        (gst::PadDirection::Sink, "take"),
        (gst::PadDirection::Src, "give"),
    ] {
        let pads: Vec<gst::Caps> = element
            .pad_template_list()
            .iter()
            .filter(|t| t.direction() == direction && t.presence() == gst::PadPresence::Always)
            .map(|t| t.caps().clone())
            .collect();
        let Some(caps) = pads.first() else {
            return Err(format!(
                "has no {} pad for video",
                if what == "take" { "input" } else { "output" }
            ));
        };
        if !caps.can_intersect(&video) {
            return Err(format!(
                "does not {what} video (its pad is {})",
                short_caps(caps)
            ));
        }
    }
    if let Some(pspec) = element.find_property("caps")
        && pspec.value_type() == gst::Caps::static_type()
        && let Ok(caps) = element.property_value("caps").get::<gst::Caps>()
        && !caps.is_any()
        && !caps.can_intersect(&video)
    {
        return Err(format!("caps `{caps}` cannot fit raw video"));
    }
    Ok(())
}

/// The media types of `caps`, not every field.
fn short_caps(caps: &gst::Caps) -> String {
    let names: Vec<&str> = caps.iter().map(|s| s.name().as_str()).collect();
    names.join(", ")
}

/// The names an enum property takes.
fn enum_values(pspec: &gst::glib::ParamSpec) -> Option<Vec<String>> {
    let spec = pspec.downcast_ref::<gst::glib::ParamSpecEnum>()?;
    Some(
        spec.enum_class()
            .values()
            .iter()
            .map(|v| v.nick().to_string())
            .collect(),
    )
}

/// ` (min..=max)` for a numeric property, else nothing.
fn range_text(pspec: &gst::glib::ParamSpec) -> String {
    use gst::glib::{
        ParamSpecDouble, ParamSpecFloat, ParamSpecInt, ParamSpecInt64, ParamSpecUInt,
        ParamSpecUInt64,
    };
    let range = if let Some(p) = pspec.downcast_ref::<ParamSpecDouble>() {
        format!("{}..={}", p.minimum(), p.maximum())
    } else if let Some(p) = pspec.downcast_ref::<ParamSpecFloat>() {
        format!("{}..={}", p.minimum(), p.maximum())
    } else if let Some(p) = pspec.downcast_ref::<ParamSpecInt>() {
        format!("{}..={}", p.minimum(), p.maximum())
    } else if let Some(p) = pspec.downcast_ref::<ParamSpecUInt>() {
        format!("{}..={}", p.minimum(), p.maximum())
    } else if let Some(p) = pspec.downcast_ref::<ParamSpecInt64>() {
        format!("{}..={}", p.minimum(), p.maximum())
    } else if let Some(p) = pspec.downcast_ref::<ParamSpecUInt64>() {
        format!("{}..={}", p.minimum(), p.maximum())
    } else {
        return String::new();
    };
    format!(" ({range})")
}

/// A TOML scalar as the text GStreamer parses property values from.
fn toml_text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A parameter's value from the pipeline file. A table or an array given
/// to a text parameter arrives as JSON text: structured settings (a
/// compositor's layers) are written in TOML and read by the plugin with
/// any JSON parser, with no change to the contract's value types.
fn param_value(value: &toml::Value, spec: Option<&ParamSpec>) -> Option<ParamValue> {
    if let Some(v) = ParamValue::from_toml(value) {
        return Some(v);
    }
    let structured = matches!(value, toml::Value::Table(_) | toml::Value::Array(_));
    if structured && spec.is_some_and(|s| s.kind == ValueType::Text) {
        return serde_json::to_string(value).ok().map(ParamValue::Text);
    }
    None
}
