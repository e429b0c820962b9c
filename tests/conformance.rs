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

/// `close` while a send is in flight: the send still answers what Siptel
/// did (here `sent`, after a 1 s answer), never a cancelled call, since the
/// request may have reached Siptel. Through `spawn_json`, the Node
/// package's path.
#[test]
fn close_lets_a_send_in_flight_finish_with_its_outcome() {
    let stub = common::stub();
    stub.script_json(br#"[{"status": 201, "delay_ms": 1000}]"#)
        .unwrap();
    let cache = common::host_options().compile_cache.expect("a cache dir");
    let options = json!({"siptel-base-url": stub.base_url(), "compile-cache": cache});
    let binding = wire::Binding::load(None, options.to_string().as_bytes()).expect("it loads");
    let file: Value = serde_json::from_str(CASES).unwrap();
    let body = json!({"config": file["base-config"]}).to_string();

    let (answered, answer) = std::sync::mpsc::channel();
    binding.spawn_json(Export::Send, body.into_bytes(), b"{}", move |document| {
        let _ = answered.send(document);
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while stub.request_count() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the send never reached the stub"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    binding.close();

    let document = answer
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the send answers");
    let document: Value = serde_json::from_slice(&document).unwrap();
    assert_eq!(document["ok"]["type"], "sent", "{document}");
}
