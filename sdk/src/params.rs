//! Typed access to the parameters the host passed to `configure`.

use crate::bindings::exports::reel::plugin::stage::Param;
use crate::{Description, Value};

/// Parameter values by name, falling back to the defaults of the plugin's
/// own description. The host has already checked types and ranges.
pub struct Params {
    description: Description,
    values: Vec<Param>,
}

impl Params {
    pub(crate) fn new(description: Description, values: Vec<Param>) -> Self {
        Params {
            description,
            values,
        }
    }

    /// The value of `name`: as given, else the declared default.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values
            .iter()
            .find(|p| p.name == name)
            .map(|p| &p.value)
            .or_else(|| {
                self.description
                    .params
                    .iter()
                    .find(|p| p.name == name)
                    .map(|p| &p.default)
            })
    }

    pub fn number(&self, name: &str) -> f64 {
        match self.get(name) {
            Some(Value::Number(n)) => *n,
            Some(Value::Integer(i)) => *i as f64,
            _ => 0.0,
        }
    }

    pub fn integer(&self, name: &str) -> i64 {
        match self.get(name) {
            Some(Value::Integer(i)) => *i,
            Some(Value::Number(n)) => *n as i64,
            _ => 0,
        }
    }

    pub fn boolean(&self, name: &str) -> bool {
        matches!(self.get(name), Some(Value::Boolean(true)))
    }

    pub fn text(&self, name: &str) -> &str {
        match self.get(name) {
            Some(Value::Text(s)) => s,
            _ => "",
        }
    }
}
