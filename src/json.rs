//! The JSON a host reads the action's inputs from (the CLI's files): a
//! config is an object whose keys are the WIT field names; entities are an
//! object of entity name to value. One reading, shared by every host that
//! takes JSON, so the same text means the same everywhere.

use crate::model::{Config, Entity};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::fmt;

/// Why a JSON text is not the input it should be.
#[derive(Debug)]
pub enum JsonError {
    /// Well-formed JSON, but not an object (serde would read an array as
    /// the record's fields by position, which nobody means).
    NotAnObject,
    /// Not JSON, or an object with unknown keys or values of the wrong type.
    Invalid(serde_json::Error),
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::NotAnObject => f.write_str("expected a JSON object"),
            JsonError::Invalid(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for JsonError {}

/// A config: a JSON object whose keys are the WIT `config` field names
/// (missing keys take their defaults; integers out of any range become the
/// field's `out-of-range` problem, not a type error).
pub fn config(text: &str) -> Result<Config, JsonError> {
    object(text)
}

/// Entities: a JSON object of entity name to string value.
pub fn entities(text: &str) -> Result<Vec<Entity>, JsonError> {
    Ok(entities_of(object(text)?))
}

/// Entities from a map of name to value (no `kind`): what the object form
/// of entities means wherever it is read (the CLI's files, the service's
/// and the bindings' bodies).
pub fn entities_of(map: BTreeMap<String, String>) -> Vec<Entity> {
    map.into_iter()
        .map(|(name, value)| Entity {
            name,
            value,
            kind: None,
        })
        .collect()
}

fn object<T: DeserializeOwned>(text: &str) -> Result<T, JsonError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(JsonError::Invalid)?;
    if !value.is_object() {
        return Err(JsonError::NotAnObject);
    }
    serde_json::from_value(value).map_err(JsonError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_is_an_object() {
        assert!(matches!(
            config(r#"["k", "56961234567"]"#),
            Err(JsonError::NotAnObject)
        ));
        assert!(matches!(config("3"), Err(JsonError::NotAnObject)));
        assert!(matches!(config("{"), Err(JsonError::Invalid(_))));
        assert!(matches!(
            config(r#"{"nope": 1}"#),
            Err(JsonError::Invalid(_))
        ));
        let c = config(r#"{"api-key": "k", "max-attempts": 256}"#).unwrap();
        assert_eq!(c.api_key.expose(), "k");
        assert_eq!(c.max_attempts, Some(256));
    }

    #[test]
    fn entities_are_an_object_of_strings() {
        let e = entities(r#"{"name": "Ana", "phone": "56987654321"}"#).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].name.as_str(), e[0].value.as_str()), ("name", "Ana"));
        assert!(matches!(
            entities(r#"[["name", "Ana"]]"#),
            Err(JsonError::NotAnObject)
        ));
        assert!(matches!(
            entities(r#"{"n": 1}"#),
            Err(JsonError::Invalid(_))
        ));
    }
}
