//! A plugin's self-description on the host side, and the parameter values
//! checked against it.

use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::text::{MAX_DOC, MAX_LINE, is_identifier, sanitize};

pub use reel_kernels::Format;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StageKind {
    Filter,
    Mixer,
    Decoder,
}

impl fmt::Display for StageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StageKind::Filter => "filter",
            StageKind::Mixer => "mixer",
            StageKind::Decoder => "decoder",
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    Boolean,
    Integer,
    Number,
    Text,
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueType::Boolean => "boolean",
            ValueType::Integer => "integer",
            ValueType::Number => "number",
            ValueType::Text => "text",
        })
    }
}

/// A parameter value.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    Boolean(bool),
    Integer(i64),
    Number(f64),
    Text(String),
    /// Text the pipeline took from a key file or the environment (never
    /// from the pipeline file): the plugin receives it as text; shown,
    /// printed or serialised, it reads `<secret>`.
    Secret(Secret),
}

/// A secret's text, kept out of every display: `Debug`, `Display` and
/// serialisation print `<secret>`; only [`Secret::expose`] gives it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(text.into())
    }

    /// The text itself, for the plugin that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the secret (in any ASCII case)
    /// replaced by `<secret>`: what a plugin says about it never reaches
    /// a log or a terminal.
    pub fn redact(&self, text: &str) -> String {
        let needle = self.0.to_ascii_lowercase();
        if needle.is_empty() {
            return text.to_string();
        }
        let lower = text.to_ascii_lowercase();
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        while let Some(i) = lower[at..].find(&needle) {
            out.push_str(&text[at..at + i]);
            out.push_str("<secret>");
            at += i + needle.len();
        }
        out.push_str(&text[at..]);
        out
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str("<secret>")
    }
}

impl ParamValue {
    pub fn value_type(&self) -> ValueType {
        match self {
            ParamValue::Boolean(_) => ValueType::Boolean,
            ParamValue::Integer(_) => ValueType::Integer,
            ParamValue::Number(_) => ValueType::Number,
            ParamValue::Text(_) | ParamValue::Secret(_) => ValueType::Text,
        }
    }

    /// Reads a value written as a TOML literal (`1.5`, `true`, `"x"`), or
    /// takes the text as it is when it is not one (`--set s.mode=fast`).
    pub fn parse_literal(text: &str) -> ParamValue {
        let wrapped = format!("v = {text}");
        match toml::from_str::<toml::Table>(&wrapped)
            .ok()
            .and_then(|mut t| t.remove("v"))
        {
            Some(v) => ParamValue::from_toml(&v).unwrap_or_else(|| ParamValue::Text(text.into())),
            None => ParamValue::Text(text.to_string()),
        }
    }

    /// A TOML scalar as a parameter value; None for tables, arrays, dates.
    pub fn from_toml(value: &toml::Value) -> Option<ParamValue> {
        Some(match value {
            toml::Value::Boolean(b) => ParamValue::Boolean(*b),
            toml::Value::Integer(i) => ParamValue::Integer(*i),
            toml::Value::Float(f) => ParamValue::Number(*f),
            toml::Value::String(s) => ParamValue::Text(s.clone()),
            _ => return None,
        })
    }

    /// Parameters written inline: a JSON object (`{"strength": 0.5}`), a
    /// TOML inline table (`{ strength = 0.5 }`) or its inside
    /// (`strength = 0.5, mode = "x"`). Parameters are matched by name, so
    /// the order they come back in carries no meaning.
    pub fn parse_table(text: &str) -> crate::Result<Vec<(String, ParamValue)>> {
        Self::parse_table_text(text).map_err(crate::Error::ParamSyntax)
    }

    fn parse_table_text(text: &str) -> Result<Vec<(String, ParamValue)>, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Vec::new());
        }
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str(text) {
            return map
                .iter()
                .map(|(k, v)| {
                    ParamValue::from_json(v)
                        .map(|v| (k.clone(), v))
                        .ok_or_else(|| format!("`{k}` must be a boolean, number or string"))
                })
                .collect();
        }
        let inner = text
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .unwrap_or(text);
        let doc = format!("v = {{ {inner} }}");
        let mut table: toml::Table = toml::from_str(&doc).map_err(|e| {
            format!(
                "`{text}` is neither a JSON object nor a TOML table: {}",
                e.message()
            )
        })?;
        let Some(toml::Value::Table(values)) = table.remove("v") else {
            unreachable!("the document is one inline table");
        };
        values
            .iter()
            .map(|(k, v)| {
                ParamValue::from_toml(v)
                    .map(|v| (k.clone(), v))
                    .ok_or_else(|| format!("`{k}` must be a boolean, number or string"))
            })
            .collect()
    }

    pub fn from_json(value: &serde_json::Value) -> Option<ParamValue> {
        Some(match value {
            serde_json::Value::Bool(b) => ParamValue::Boolean(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => ParamValue::Integer(i),
                None => ParamValue::Number(n.as_f64()?),
            },
            serde_json::Value::String(s) => ParamValue::Text(s.clone()),
            _ => return None,
        })
    }
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Boolean(b) => write!(f, "{b}"),
            ParamValue::Integer(i) => write!(f, "{i}"),
            ParamValue::Number(n) => write!(f, "{n:?}"),
            ParamValue::Text(s) => write!(f, "{s:?}"),
            ParamValue::Secret(_) => write!(f, "<secret>"),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ParamSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ValueType,
    pub default: ParamValue,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub choices: Vec<String>,
    pub doc: String,
}

impl ParamSpec {
    /// `value` checked (and an integer widened for a number parameter), or
    /// what is wrong with it.
    pub fn check(&self, value: &ParamValue) -> Result<ParamValue, ParamError> {
        self.check_value(value).map_err(|message| ParamError {
            name: self.name.clone(),
            message,
            suggestion: None,
        })
    }

    fn check_value(&self, value: &ParamValue) -> Result<ParamValue, String> {
        let value = match (self.kind, value) {
            (ValueType::Number, ParamValue::Integer(i)) => ParamValue::Number(*i as f64),
            (kind, v) if kind == v.value_type() => v.clone(),
            (kind, v) => {
                return Err(format!(
                    "`{}` takes {} {kind}, not {} {}",
                    self.name,
                    article(kind),
                    article(v.value_type()),
                    v.value_type()
                ));
            }
        };
        let number = match &value {
            ParamValue::Integer(i) => Some(*i as f64),
            ParamValue::Number(n) => Some(*n),
            _ => None,
        };
        if let Some(n) = number {
            if !n.is_finite() {
                return Err(format!("`{}` must be a finite number", self.name));
            }
            let below = self.min.is_some_and(|min| n < min);
            let above = self.max.is_some_and(|max| n > max);
            if below || above {
                return Err(format!(
                    "`{}` = {value} is out of range {}..={}",
                    self.name,
                    self.min.map_or("".into(), |m| m.to_string()),
                    self.max.map_or("".into(), |m| m.to_string())
                ));
            }
        }
        if let ParamValue::Text(text) = &value
            && !self.choices.is_empty()
            && !self.choices.contains(text)
        {
            return Err(format!(
                "`{}` = {value} is not one of {}",
                self.name,
                self.choices.join(", ")
            ));
        }
        Ok(value)
    }
}

fn article(kind: ValueType) -> &'static str {
    if kind == ValueType::Integer {
        "an"
    } else {
        "a"
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Description {
    pub name: String,
    pub version: String,
    pub kind: StageKind,
    pub summary: String,
    #[serde(serialize_with = "format_names")]
    pub formats: Vec<Format>,
    pub inputs: Vec<String>,
    pub params: Vec<ParamSpec>,
    /// The contract version the plugin was built against.
    pub contract: String,
}

fn format_names<S: serde::Serializer>(formats: &[Format], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(formats.iter().map(|f| f.to_string()))
}

/// Why a set of parameters was refused: which one, and what is wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamError {
    pub name: String,
    pub message: String,
    /// A close valid name, for an unknown one.
    pub suggestion: Option<String>,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(s) = &self.suggestion {
            write!(f, " (did you mean `{s}`?)")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParamError {}

impl Description {
    /// A mixer whose inputs are `["*"]` takes any number of them, each
    /// named by the pipeline (the id of the source or stage it comes from).
    pub fn takes_any_inputs(&self) -> bool {
        self.inputs.len() == 1 && self.inputs[0] == ANY_INPUTS
    }

    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }

    /// Checks `given` against the schema and returns every parameter, in
    /// schema order, with defaults filled in (the last value given for a
    /// name wins).
    pub fn resolve_params(
        &self,
        given: &[(String, ParamValue)],
    ) -> Result<Vec<(String, ParamValue)>, ParamError> {
        let mut chosen: HashMap<&str, ParamValue> = HashMap::new();
        for (name, value) in given {
            let Some(spec) = self.param(name) else {
                return Err(ParamError {
                    name: name.clone(),
                    message: format!("`{}` has no parameter `{name}`", self.name),
                    suggestion: closest(name, self.params.iter().map(|p| p.name.as_str())),
                });
            };
            let value = spec.check(value)?;
            chosen.insert(spec.name.as_str(), value);
        }
        Ok(self
            .params
            .iter()
            .map(|spec| {
                let value = chosen
                    .remove(spec.name.as_str())
                    .unwrap_or_else(|| spec.default.clone());
                (spec.name.clone(), value)
            })
            .collect())
    }

    /// The description as the guest gave it (converted by
    /// `guest::convert`), refused if it contradicts itself (repeated or
    /// malformed names, defaults of the wrong type or out of range) or is
    /// larger than any honest plugin needs: a plugin's schema is checked
    /// like any other guest data, in time linear in its size. Free text
    /// (summary, docs, version, choices) is sanitised for terminals.
    pub(crate) fn checked(mut self) -> Result<Description, String> {
        let name_ok = |what: &str, name: &str| {
            if is_identifier(name) {
                Ok(())
            } else {
                Err(format!(
                    "{what} `{}` is not a plain name (1 to 64 letters, digits, `-`, `_` or `.`)",
                    sanitize(name, 64)
                ))
            }
        };
        name_ok("the plugin name", &self.name)?;
        let too_many = |what: &str, count: usize, max: usize| {
            if count > max {
                Err(format!(
                    "it declares {count} {what}; at most {max} are allowed"
                ))
            } else {
                Ok(())
            }
        };
        too_many("parameters", self.params.len(), MAX_PARAMS)?;
        too_many("inputs", self.inputs.len(), MAX_INPUTS)?;
        too_many("formats", self.formats.len(), MAX_FORMATS)?;
        if self.takes_any_inputs() && self.kind != StageKind::Mixer {
            return Err("only a mixer can take any inputs (`*`)".into());
        }
        let mut seen = HashSet::new();
        for input in self.inputs.iter().filter(|_| !self.takes_any_inputs()) {
            name_ok("input name", input)?;
            if !seen.insert(input.as_str()) {
                return Err(format!("input name `{input}` is repeated"));
            }
        }
        let mut seen = HashSet::new();
        for spec in &mut self.params {
            name_ok("parameter name", &spec.name)?;
            if !seen.insert(spec.name.clone()) {
                return Err(format!("parameter name `{}` is repeated", spec.name));
            }
            too_many(
                &format!("choices for `{}`", spec.name),
                spec.choices.len(),
                MAX_CHOICES,
            )?;
            if let ParamValue::Text(t) = &spec.default {
                spec.default = ParamValue::Text(sanitize(t, MAX_LINE));
            }
            for choice in &mut spec.choices {
                *choice = sanitize(choice, MAX_CHOICE);
            }
            spec.doc = sanitize(&spec.doc, MAX_DOC);
            spec.check(&spec.default)
                .map_err(|e| format!("the default of parameter `{}` is invalid: {e}", spec.name))?;
        }
        self.version = sanitize(&self.version, 64);
        self.summary = sanitize(&self.summary, MAX_DOC);
        if self.formats.is_empty() {
            self.formats = vec![Format::I420, Format::Nv12, Format::Rgba];
        }
        Ok(self)
    }
}

/// The one input name of a mixer that takes any number of inputs.
pub const ANY_INPUTS: &str = "*";

/// Bounds on a description: far above any real plugin's needs.
const MAX_PARAMS: usize = 256;
const MAX_INPUTS: usize = 64;
const MAX_FORMATS: usize = 16;
const MAX_CHOICES: usize = 256;
const MAX_CHOICE: usize = 64;

/// The candidate nearest to `name` by edit distance, if it is close enough
/// to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ParamSpec {
        ParamSpec {
            name: "strength".into(),
            kind: ValueType::Number,
            default: ParamValue::Number(1.0),
            min: Some(0.0),
            max: Some(1.0),
            choices: vec![],
            doc: String::new(),
        }
    }

    #[test]
    fn integers_widen_to_numbers_and_ranges_hold() {
        assert_eq!(
            spec().check(&ParamValue::Integer(1)),
            Ok(ParamValue::Number(1.0))
        );
        let err = spec().check(&ParamValue::Number(1.5)).unwrap_err();
        assert!(err.message.contains("out of range 0..=1"), "{err}");
        let err = spec().check(&ParamValue::Text("x".into())).unwrap_err();
        assert!(err.message.contains("takes a number, not a text"), "{err}");
    }

    #[test]
    fn literals_parse_as_toml_or_fall_back_to_text() {
        assert_eq!(ParamValue::parse_literal("0.5"), ParamValue::Number(0.5));
        assert_eq!(ParamValue::parse_literal("3"), ParamValue::Integer(3));
        assert_eq!(ParamValue::parse_literal("true"), ParamValue::Boolean(true));
        assert_eq!(
            ParamValue::parse_literal("fast"),
            ParamValue::Text("fast".into())
        );
    }

    #[test]
    fn inline_tables_parse_from_json_and_toml() {
        let want = vec![
            ("mode".to_string(), ParamValue::Text("x".into())),
            ("strength".to_string(), ParamValue::Number(0.5)),
        ];
        let sorted = |text: &str| {
            let mut v = ParamValue::parse_table(text).unwrap();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        };
        assert_eq!(sorted(r#"{"strength": 0.5, "mode": "x"}"#), want);
        assert_eq!(sorted(r#"strength = 0.5, mode = "x""#), want);
        assert_eq!(sorted(r#"{ strength = 0.5, mode = "x" }"#), want);
        assert!(ParamValue::parse_table("strength = ").is_err());
        assert!(ParamValue::parse_table("a = [1]").is_err());
    }

    #[test]
    fn closest_finds_typos_only() {
        assert_eq!(
            closest("strenght", ["strength", "mode"]),
            Some("strength".into())
        );
        assert_eq!(closest("zzz", ["strength", "mode"]), None);
    }
}
