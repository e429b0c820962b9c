//! The control API under `/_stub/`, for test hosts that are not Rust.

use super::*;

// ---------------------------------------------------------------------------
// Control API

pub(crate) fn answer_control(
    method: &Method,
    path: &str,
    body: Result<Bytes, BodyError>,
    shared: &Shared,
) -> Answer {
    let known = [
        "/_stub/requests",
        "/_stub/sent",
        "/_stub/script",
        "/_stub/reset",
        "/_stub/config",
    ];
    match (method.as_str(), path) {
        ("GET", "/_stub/requests") => {
            let state = shared.lock();
            let requests: Vec<Value> = state
                .requests
                .iter()
                .map(|(_, r)| request_json(r, shared.started))
                .collect();
            Answer::json(200, &Value::Array(requests))
        }
        ("GET", "/_stub/sent") => {
            let sent = serde_json::to_value(&shared.lock().sent).unwrap_or(Value::Null);
            Answer::json(200, &sent)
        }
        ("POST", "/_stub/script") => {
            let entries = match body
                .map_err(|_| "the body is too large or unreadable".to_owned())
                .and_then(|b| parse_script(&b))
            {
                Ok(entries) => entries,
                Err(message) => return invalid_request(message),
            };
            let mut state = shared.lock();
            state.script.extend(entries);
            Answer::json(200, &json!({"pending": state.script.len()}))
        }
        ("POST", "/_stub/reset") => {
            shared.lock().reset();
            Answer::json(200, &json!({"reset": true}))
        }
        ("GET", "/_stub/config") => {
            let config = serde_json::to_value(&shared.lock().config).unwrap_or(Value::Null);
            Answer::json(200, &config)
        }
        ("POST", "/_stub/config") => {
            let parsed = body
                .map_err(|_| "the body is too large or unreadable".to_owned())
                .and_then(|b| serde_json::from_slice::<StubConfig>(&b).map_err(|e| e.to_string()));
            match parsed {
                Ok(config) => {
                    let answer = serde_json::to_value(&config).unwrap_or(Value::Null);
                    shared.lock().config = config;
                    Answer::json(200, &answer)
                }
                Err(message) => invalid_request(format!("not a stub config: {message}")),
            }
        }
        (_, p) if known.contains(&p) => error(405, "method_not_allowed", "wrong method"),
        _ => error(404, "not_found", format!("no control resource {path}")),
    }
}

pub(crate) fn request_json(r: &RecordedRequest, started: Instant) -> Value {
    let mut headers = Map::new();
    for (name, value) in &r.headers {
        match headers.get_mut(name) {
            Some(Value::String(joined)) => {
                joined.push_str(", ");
                joined.push_str(value);
            }
            _ => {
                headers.insert(name.clone(), Value::String(value.clone()));
            }
        }
    }
    let body = if r.body.is_empty() {
        Value::Null
    } else {
        r.json()
            .unwrap_or_else(|| Value::String(String::from_utf8_lossy(&r.body).into_owned()))
    };
    let received_ms = r
        .received_at
        .saturating_duration_since(started)
        .as_secs_f64()
        * 1000.0;
    json!({
        "method": r.method,
        "path": r.path,
        "headers": headers,
        "body": body,
        "answered_status": r.answered_status,
        "received_ms": received_ms,
    })
}
