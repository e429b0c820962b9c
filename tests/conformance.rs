//! The conformance file (`tests/conformance/cases.json`) through the Rust
//! host, by the JSON wire the Python and Node packages use
//! (`siptel_sms_host::wire`): the same cases, the same stub script, the same
//! expectations as every other path.

mod common;

use serde_json::{Map, Value, json};
use siptel_sms_host::CallOptions;
use siptel_sms_host::wire::{self, Export};

const CASES: &str = include_str!("conformance/cases.json");

#[tokio::test]
async fn every_conformance_case_holds_through_the_rust_host() {
    let file: Value = serde_json::from_str(CASES).expect("cases.json is JSON");
    let base = file["base-config"]
        .as_object()
        .expect("base-config")
        .clone();
    let cases = file["cases"].as_array().expect("cases");
    assert!(cases.len() >= 15, "the file lost its cases");
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().expect("a case has a name");
        if let Err(why) = run(&base, case).await {
            failures.push(format!("{name}: {why}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

async fn run(base: &Map<String, Value>, case: &Value) -> Result<(), String> {
    let stub = common::stub();
    if let Some(script) = case.get("script") {
        let script = serde_json::to_vec(&expand(script.clone())).unwrap();
        stub.script_json(&script)?;
    }
    let mut config = base.clone();
    if let Some(changes) = case.get("config").and_then(Value::as_object) {
        for (key, value) in changes {
            if value.is_null() {
                config.remove(key);
            } else {
                config.insert(key.clone(), value.clone());
            }
        }
    }
    config.insert("base-url".into(), stub.base_url().into());
    let export_name = case["export"].as_str().unwrap_or_default();
    let export = Export::from_name(export_name).ok_or("unknown export")?;
    let mut body = json!({"config": config});
    for part in ["entities", "at"] {
        if let Some(value) = case.get(part) {
            body[part] = value.clone();
        }
    }
    let options = CallOptions {
        siptel_base_url: Some(stub.base_url()),
        ..CallOptions::default()
    };
    let body = serde_json::to_vec(&body).unwrap();
    let called = wire::call(common::action(), export, &body, &options)
        .await
        .map_err(|e| format!("no answer: {e}"))?;
    let mut answer: Value = serde_json::from_slice(&called.value).unwrap();
    if answer.is_array() {
        answer = json!({"problems": answer});
    }
    subset(&case["expect"], &answer, "answer").map_err(|e| format!("{e}\n  got {answer}"))?;
    let requests = stub.requests_json();
    if let Some(count) = case.get("requests").and_then(Value::as_u64)
        && requests.len() as u64 != count
    {
        return Err(format!("{} requests, expected {count}", requests.len()));
    }
    if let Some(expected) = case.get("last-request") {
        let last = requests.last().ok_or("no request")?;
        subset(expected, last, "last-request")?;
    }
    Ok(())
}

/// Whether every key of `expected` is in `actual` with an equal value
/// (objects recursively, lists item by item with the same length).
fn subset(expected: &Value, actual: &Value, path: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Object(want), Value::Object(got)) => want.iter().try_for_each(|(key, value)| {
            let path = format!("{path}.{key}");
            subset(value, got.get(key).unwrap_or(&Value::Null), &path)
        }),
        (Value::Array(want), Value::Array(got)) if want.len() == got.len() => want
            .iter()
            .zip(got)
            .enumerate()
            .try_for_each(|(i, (w, g))| subset(w, g, &format!("{path}[{i}]"))),
        (want, got) if want == got => Ok(()),
        (want, got) => Err(format!("{path}: expected {want}, got {got}")),
    }
}

/// `@repeat:<c>:<n>` strings written out.
fn expand(value: Value) -> Value {
    match value {
        Value::String(text) => match text.strip_prefix("@repeat:") {
            Some(rest) => {
                let (unit, count) = rest.rsplit_once(':').expect("@repeat:<c>:<n>");
                Value::String(unit.repeat(count.parse().expect("a count")))
            }
            None => Value::String(text),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(expand).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, expand(v))).collect()),
        other => other,
    }
}
