//! Which API key a request's `secret:<name>` stands for, in a service.
//!
//! A service's callers should not carry the Siptel key in every body: they
//! write `"api-key": "secret:<name>"` and the engine holds the key. Two ways,
//! asked in this order through `wasi:config/store`:
//!
//! - [`HOST_INJECTED`] lists the names whose key the host puts on the
//!   request to Siptel itself (this project's host: its egress hook swaps
//!   `Bearer secret:<name>` for the key, for the names granted to the
//!   caller). The reference is kept; the key never enters the sandbox.
//! - [`SECRET_PREFIX`]`<name>` holds the key itself (any engine with
//!   runtime config: `wasmtime serve -S config-var`, wasmCloud config, Spin
//!   variables, a jco import map). The component puts it in the config, so
//!   the key is in the sandbox's memory for that request.
//!
//! A name found in neither is refused: the answer is the `not-allowed`
//! problem on `api-key` that the Rust host gives, plus the config's other
//! problems, and nothing is sent.

use siptel_sms::config::MAX_PROBLEMS;
use siptel_sms::model::{Config, FieldId, Problem};
use siptel_sms::secret::{self, Secret, SecretError};

/// `wasi:config` key of the names the host injects (comma-separated).
pub const HOST_INJECTED: &str = "siptel_host_injected_secrets";
/// `wasi:config` key prefix of a key held by the engine:
/// `siptel_secret_<name>`.
pub const SECRET_PREFIX: &str = "siptel_secret_";

/// What the component sees instead of a refused reference, while it
/// collects the config's other problems: a literal key that passes
/// validation and is never sent (only `check` and `preview` run with it).
const WITHHELD_KEY: &str = "secret-withheld-by-host";

/// The engine's runtime config (`wasi:config/store`).
pub trait RuntimeConfig {
    /// The value of `key`, if the engine has one (errors count as none).
    fn get(&self, key: &str) -> Option<String>;
}

/// The config to run with: as written, or with the engine's key in place of
/// its `secret:<name>`; `Err` with the refusal when the name is neither
/// injected by the host nor held by the engine. A literal key, or a
/// malformed reference (which validation explains), is left as written.
pub fn resolve(config: &Config, runtime: &impl RuntimeConfig) -> Result<Config, Problem> {
    let Some(name) = secret::reference(config.api_key.expose()) else {
        return Ok(config.clone());
    };
    if !secret::is_valid_name(name) {
        return Ok(config.clone());
    }
    let injected = runtime.get(HOST_INJECTED).unwrap_or_default();
    if injected.split(',').any(|n| n.trim() == name) {
        return Ok(config.clone());
    }
    if let Some(key) = runtime.get(&format!("{SECRET_PREFIX}{name}")) {
        return Ok(Config {
            api_key: Secret::from(key),
            ..config.clone()
        });
    }
    let error = SecretError::NotGranted {
        name: name.to_owned(),
    };
    let lang = config.language.unwrap_or_default();
    Err(Problem::of(FieldId::ApiKey, &error, lang))
}

/// `config` with its refused reference withheld, for finding its other
/// problems.
pub fn withheld(config: &Config) -> Config {
    Config {
        api_key: Secret::from(WITHHELD_KEY),
        ..config.clone()
    }
}

/// `refusal` first, then `others`, at most `MAX_PROBLEMS`.
pub fn with_refusal(refusal: Problem, others: Vec<Problem>) -> Vec<Problem> {
    let mut problems = vec![refusal];
    problems.extend(others);
    problems.truncate(MAX_PROBLEMS);
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use siptel_sms::model::ProblemCode;
    use std::collections::BTreeMap;

    struct Store(BTreeMap<&'static str, &'static str>);

    impl RuntimeConfig for Store {
        fn get(&self, key: &str) -> Option<String> {
            self.0.get(key).map(|v| v.to_string())
        }
    }

    fn config(key: &str) -> Config {
        Config {
            api_key: key.into(),
            ..Config::default()
        }
    }

    #[test]
    fn a_host_injected_name_keeps_its_reference() {
        let store = Store(BTreeMap::from([(HOST_INJECTED, "acme, globex")]));
        let resolved = resolve(&config("secret:globex"), &store).unwrap();
        assert_eq!(resolved.api_key.expose(), "secret:globex");
    }

    #[test]
    fn an_engine_held_key_replaces_its_reference() {
        let store = Store(BTreeMap::from([("siptel_secret_acme", "KEY-123")]));
        let resolved = resolve(&config("secret:acme"), &store).unwrap();
        assert_eq!(resolved.api_key.expose(), "KEY-123");
    }

    #[test]
    fn a_name_nobody_holds_is_refused_without_a_key() {
        let store = Store(BTreeMap::from([
            (HOST_INJECTED, "acme"),
            ("siptel_secret_acme", "KEY-123"),
        ]));
        for name in ["globex", "acm", "acmex"] {
            let refusal = resolve(&config(&format!("secret:{name}")), &store).unwrap_err();
            assert_eq!(refusal.field, FieldId::ApiKey);
            assert_eq!(refusal.code, ProblemCode::NotAllowed, "{name}");
            assert!(!refusal.message.contains("KEY-123"));
        }
    }

    #[test]
    fn literal_keys_and_malformed_references_pass_as_written() {
        let store = Store(BTreeMap::new());
        for key in ["sk_live", "secret:", "secret:a b", ""] {
            assert_eq!(resolve(&config(key), &store).unwrap().api_key.expose(), key);
        }
    }

    #[test]
    fn the_refusal_comes_first_and_the_list_stays_bounded() {
        let refusal = resolve(&config("secret:x"), &Store(BTreeMap::new())).unwrap_err();
        let others = vec![refusal.clone(); 80];
        let problems = with_refusal(refusal.clone(), others);
        assert_eq!(problems.len(), MAX_PROBLEMS);
        assert_eq!(problems[0], refusal);
        assert_eq!(withheld(&config("secret:x")).api_key.expose(), WITHHELD_KEY);
    }
}
