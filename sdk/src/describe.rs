//! Builders for a plugin's self-description.

use crate::{Description, ParamSpec, PixelFormat, StageKind, Value, ValueType};

/// Builds the [`Description`] a plugin returns from `describe`.
pub struct DescriptionBuilder {
    description: Description,
}

impl DescriptionBuilder {
    fn new(kind: StageKind, name: &str, summary: &str) -> Self {
        DescriptionBuilder {
            description: Description {
                name: name.to_string(),
                version: "0.0.0".to_string(),
                kind,
                summary: summary.to_string(),
                formats: vec![PixelFormat::I420, PixelFormat::Nv12, PixelFormat::Rgba],
                inputs: Vec::new(),
                params: Vec::new(),
            },
        }
    }

    pub fn filter(name: &str, summary: &str) -> Self {
        Self::new(StageKind::Filter, name, summary)
    }

    /// A mixer taking any number of inputs (at least one), each named by
    /// the pipeline: the id of the source or stage it comes from, or the
    /// `input` property of a `wasmmixer` pad (contract 0.1.2).
    pub fn mixer_of_any(name: &str, summary: &str) -> Self {
        Self::mixer(name, summary, &["*"])
    }

    /// A mixer with its input names, in order.
    pub fn mixer(name: &str, summary: &str, inputs: &[&str]) -> Self {
        let mut builder = Self::new(StageKind::Mixer, name, summary);
        builder.description.inputs = inputs.iter().map(|s| s.to_string()).collect();
        builder
    }

    pub fn decoder(name: &str, summary: &str) -> Self {
        Self::new(StageKind::Decoder, name, summary)
    }

    /// The plugin's own version, usually `env!("CARGO_PKG_VERSION")`.
    pub fn version(mut self, version: &str) -> Self {
        self.description.version = version.to_string();
        self
    }

    /// Accepted formats, preferred first (default: I420, NV12, RGBA).
    pub fn formats(mut self, formats: &[PixelFormat]) -> Self {
        self.description.formats = formats.to_vec();
        self
    }

    pub fn param(mut self, param: ParamBuilder) -> Self {
        self.description.params.push(param.spec);
        self
    }

    pub fn build(self) -> Description {
        self.description
    }
}

/// Builds one [`ParamSpec`].
pub struct ParamBuilder {
    spec: ParamSpec,
}

impl ParamBuilder {
    fn new(name: &str, kind: ValueType, default: Value, doc: &str) -> Self {
        ParamBuilder {
            spec: ParamSpec {
                name: name.to_string(),
                kind,
                default,
                min: None,
                max: None,
                choices: Vec::new(),
                doc: doc.to_string(),
            },
        }
    }

    pub fn boolean(name: &str, default: bool, doc: &str) -> Self {
        Self::new(name, ValueType::Boolean, Value::Boolean(default), doc)
    }

    pub fn integer(name: &str, default: i64, doc: &str) -> Self {
        Self::new(name, ValueType::Integer, Value::Integer(default), doc)
    }

    pub fn number(name: &str, default: f64, doc: &str) -> Self {
        Self::new(name, ValueType::Number, Value::Number(default), doc)
    }

    pub fn text(name: &str, default: &str, doc: &str) -> Self {
        Self::new(name, ValueType::Text, Value::Text(default.to_string()), doc)
    }

    /// Inclusive bounds (integer and number parameters).
    pub fn range(mut self, min: f64, max: f64) -> Self {
        self.spec.min = Some(min);
        self.spec.max = Some(max);
        self
    }

    /// The allowed values of a text parameter.
    pub fn choices(mut self, choices: &[&str]) -> Self {
        self.spec.choices = choices.iter().map(|s| s.to_string()).collect();
        self
    }
}
