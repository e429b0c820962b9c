//! The JSON bodies the service takes, read into the action's plain types.
//!
//! A body is an object: `config` (the object the CLI reads, keys the WIT
//! field names), `entities` (an object of entity name to value, optional)
//! and, for `preview` only, `at` (an RFC 3339 instant, optional). Every part
//! is read on its own, so one answer names every part that is wrong, each
//! by its JSON path (`config.max-attempts`, `entities.name`).

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use siptel_sms::model::{Config, Entity};
use std::collections::BTreeMap;

/// Largest body read: a config's texts are bounded to a few KB each
/// (`siptel_sms::config`), so 256 KiB is room for any config and a flow's
/// entities; past it the answer is 413 without reading further.
pub const MAX_BODY_BYTES: usize = 256 << 10;

/// What is wrong with one part of a body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BodyProblem {
    /// JSON path of the part: `body`, `config`, `config.max-attempts`,
    /// `entities.name`, `at`.
    pub field: String,
    /// Stable code: `not-json`, `not-an-object`, `unknown-field`,
    /// `missing-field`, `wrong-type`, `unknown-value`, `not-an-instant`.
    pub code: &'static str,
    /// What is wrong, in English.
    pub message: String,
}

impl BodyProblem {
    fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        BodyProblem {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// The inputs of one call, read from its body.
#[derive(Debug, Default)]
pub struct CallInput {
    pub config: Config,
    pub entities: Vec<Entity>,
    /// `at` as Unix seconds (preview only).
    pub at: Option<i64>,
}

/// Which parts a body may hold besides `config`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts {
    pub entities: bool,
    pub at: bool,
}

impl Parts {
    /// `check`: the config alone (design time).
    pub const CONFIG: Parts = Parts {
        entities: false,
        at: false,
    };
    /// `send`: config and entities; the instant is the clock's, never the
    /// caller's, so a caller cannot move a send into its window.
    pub const CONFIG_ENTITIES: Parts = Parts {
        entities: true,
        at: false,
    };
    /// `preview`: config, entities and the instant to judge the window at.
    pub const CONFIG_ENTITIES_AT: Parts = Parts {
        entities: true,
        at: true,
    };

    fn allowed(self) -> Vec<&'static str> {
        let mut names = vec!["config"];
        if self.entities {
            names.push("entities");
        }
        if self.at {
            names.push("at");
        }
        names
    }
}

/// Reads `bytes` as a body holding `parts`; `Err` lists every part that is
/// wrong.
pub fn read(bytes: &[u8], parts: Parts) -> Result<CallInput, Vec<BodyProblem>> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        vec![BodyProblem::new(
            "body",
            "not-json",
            format!("the body is not JSON: {e}"),
        )]
    })?;
    let Value::Object(mut object) = value else {
        return Err(vec![BodyProblem::new(
            "body",
            "not-an-object",
            "the body must be a JSON object",
        )]);
    };
    let allowed = parts.allowed();
    let mut problems: Vec<BodyProblem> = object
        .keys()
        .filter(|key| !allowed.contains(&key.as_str()))
        .map(|key| {
            BodyProblem::new(
                key.as_str(),
                "unknown-field",
                format!("unknown field, expected one of: {}", allowed.join(", ")),
            )
        })
        .collect();

    let mut input = CallInput::default();
    match object.remove("config") {
        None => problems.push(BodyProblem::new(
            "config",
            "missing-field",
            "the config object is required",
        )),
        Some(config) => match part::<Config>("config", config) {
            Ok(config) => input.config = config,
            Err(problem) => problems.push(problem),
        },
    }
    if let Some(entities) = object.remove("entities").filter(|_| parts.entities) {
        match read_entities(entities) {
            Ok(entities) => input.entities = entities,
            Err(problem) => problems.push(problem),
        }
    }
    if let Some(at) = object.remove("at").filter(|_| parts.at) {
        match instant(&at) {
            Some(seconds) => input.at = Some(seconds),
            None => problems.push(BodyProblem::new(
                "at",
                "not-an-instant",
                "expected an RFC 3339 instant with its offset, e.g. 2026-09-07T09:00:00-03:00",
            )),
        }
    }
    if problems.is_empty() {
        Ok(input)
    } else {
        Err(problems)
    }
}

/// Entities: an object of name to value, or a list of `{name, value, kind?}`
/// objects (the WIT `entity` records, which can carry a `kind`).
fn read_entities(value: Value) -> Result<Vec<Entity>, BodyProblem> {
    if value.is_array() {
        return typed("entities", value);
    }
    let map = part::<BTreeMap<String, String>>("entities", value)?;
    Ok(siptel_sms::json::entities_of(map))
}

/// One part, which must be an object (serde would read an array as a
/// record's fields by position, which nobody means), read as a `T`; a
/// problem names the JSON path under `name` of what does not fit.
pub fn part<T: DeserializeOwned>(name: &str, value: Value) -> Result<T, BodyProblem> {
    if !value.is_object() {
        return Err(BodyProblem::new(
            name,
            "not-an-object",
            format!("{name} must be a JSON object"),
        ));
    }
    typed(name, value)
}

/// `value` read as a `T`, a problem naming the JSON path under `name`.
fn typed<T: DeserializeOwned>(name: &str, value: Value) -> Result<T, BodyProblem> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let field = match path.as_str() {
            "." => name.to_owned(),
            index if index.starts_with('[') => format!("{name}{index}"),
            path => format!("{name}.{path}"),
        };
        let message = error.into_inner().to_string();
        BodyProblem::new(field, code_of(&message), message)
    })
}

/// The stable code of a serde message (serde's own wording, which is stable
/// across its releases).
fn code_of(message: &str) -> &'static str {
    if message.starts_with("unknown field") {
        "unknown-field"
    } else if message.starts_with("missing field") {
        "missing-field"
    } else if message.starts_with("unknown variant") {
        "unknown-value"
    } else {
        "wrong-type"
    }
}

/// Unix seconds of an RFC 3339 instant.
fn instant(value: &Value) -> Option<i64> {
    let text = value.as_str()?;
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(result: Result<CallInput, Vec<BodyProblem>>) -> Vec<(String, &'static str)> {
        result
            .expect_err("problems")
            .into_iter()
            .map(|p| (p.field, p.code))
            .collect()
    }

    #[test]
    fn a_full_preview_body_reads_every_part() {
        let body = br#"{"config": {"api-key": "k", "max-attempts": 2},
                        "entities": {"name": "Ana"}, "at": "2026-09-07T09:00:00-03:00"}"#;
        let input = read(body, Parts::CONFIG_ENTITIES_AT).unwrap();
        assert_eq!(input.config.api_key.expose(), "k");
        assert_eq!(input.config.max_attempts, Some(2));
        assert_eq!(input.entities.len(), 1);
        assert_eq!(input.at, Some(1_788_782_400));
    }

    #[test]
    fn every_wrong_part_is_named_by_its_path() {
        let body = br#"{"config": {"max-attempts": "3", "nope": 1},
                        "entities": {"name": 5}, "at": "tomorrow", "extra": true}"#;
        assert_eq!(
            codes(read(body, Parts::CONFIG_ENTITIES_AT)),
            [
                ("extra".to_owned(), "unknown-field"),
                ("config.max-attempts".to_owned(), "wrong-type"),
                ("entities.name".to_owned(), "wrong-type"),
                ("at".to_owned(), "not-an-instant"),
            ]
        );
        let body = br#"{"config": {"language": "fr", "weekdays": ["someday"]}}"#;
        assert_eq!(
            codes(read(body, Parts::CONFIG)),
            [("config.language".to_owned(), "unknown-value")]
        );
        let body = br#"{"config": {"nope": 1}}"#;
        assert_eq!(
            codes(read(body, Parts::CONFIG)),
            [("config.nope".to_owned(), "unknown-field")]
        );
    }

    #[test]
    fn a_send_takes_no_instant_and_a_check_no_entities() {
        let body = br#"{"config": {}, "entities": {}, "at": "2026-09-07T09:00:00-03:00"}"#;
        assert_eq!(
            codes(read(body, Parts::CONFIG_ENTITIES)),
            [("at".to_owned(), "unknown-field")]
        );
        assert_eq!(
            codes(read(body, Parts::CONFIG)),
            [
                ("at".to_owned(), "unknown-field"),
                ("entities".to_owned(), "unknown-field")
            ]
        );
    }

    #[test]
    fn entities_may_be_a_list_of_records_with_a_kind() {
        let body = br#"{"config": {}, "entities": [{"name": "phone", "value": "+56 9 8765 4321", "kind": "phone"}]}"#;
        let input = read(body, Parts::CONFIG_ENTITIES).unwrap();
        assert_eq!(input.entities[0].kind.as_deref(), Some("phone"));
        let body = br#"{"config": {}, "entities": [{"name": "phone"}]}"#;
        assert_eq!(
            codes(read(body, Parts::CONFIG_ENTITIES)),
            [("entities[0]".to_owned(), "missing-field")]
        );
    }

    #[test]
    fn bodies_that_are_not_objects_are_refused() {
        assert_eq!(
            codes(read(b"{", Parts::CONFIG)),
            [("body".to_owned(), "not-json")]
        );
        assert_eq!(
            codes(read(b"[1]", Parts::CONFIG)),
            [("body".to_owned(), "not-an-object")]
        );
        assert_eq!(
            codes(read(br#"{"config": ["k"]}"#, Parts::CONFIG)),
            [("config".to_owned(), "not-an-object")]
        );
        assert_eq!(
            codes(read(b"{}", Parts::CONFIG)),
            [("config".to_owned(), "missing-field")]
        );
    }

    #[test]
    fn out_of_range_integers_are_left_to_validation() {
        let input = read(br#"{"config": {"max-attempts": -4}}"#, Parts::CONFIG).unwrap();
        assert_eq!(input.config.max_attempts, Some(0));
    }
}
