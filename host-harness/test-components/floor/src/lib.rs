//! Bench-only: the floor of this design. It exports the same world as the
//! action, and its `send` does the least a correct send through standard
//! `wasi:http` can do in a fresh instance: one `POST` with the action's
//! headers and an identical body (a fresh random idempotency key, the same
//! length as the action's), the answer's status and body read, an outcome
//! returned. No validation, no rendering, no retries. `cargo bench` runs it
//! in the same host (pooling, egress hook, keep-alive pool) beside the
//! action, so the action's cost above this floor is what its own work adds.
//! The other exports are never called by the bench.

mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        world: "sms-action",
        with: {
            "wasi:http/types@0.2.12": wasi::http::types,
            "wasi:http/outgoing-handler@0.2.12": wasi::http::outgoing_handler,
            "wasi:io/poll@0.2.12": wasi::io::poll,
            "wasi:io/error@0.2.12": wasi::io::error,
            "wasi:io/streams@0.2.12": wasi::io::streams,
            "wasi:clocks/monotonic-clock@0.2.12": wasi::clocks::monotonic_clock,
            "wasi:clocks/wall-clock@0.2.12": wasi::clocks::wall_clock,
            "wasi:random/random@0.2.12": wasi::random::random,
        },
    });
}

use bindings::exports::siptel::sms::action::Guest;
use bindings::siptel::sms::form::{ActionForm, Localized, Versions};
use bindings::siptel::sms::types::{
    Config, Entity, Failure, FailureCode, Outcome, Problem, Receipt, SendPreview,
};
use wasi::clocks::wall_clock::Datetime;
use wasi::http::types::{Fields, Method, OutgoingBody, OutgoingRequest, Scheme};
use wasi::io::streams::StreamError;

/// The action's body for the bench's config, byte for byte.
const BODY: &[u8] = br#"{"sender":"56961234567","recipient":"56987654321","message":"Hola Ana, su hora es el lunes 10:30.","encoding":"gsm7"}"#;

struct Floor;

bindings::export!(Floor with_types_in bindings);

impl Guest for Floor {
    fn send(config: Config, _entities: Vec<Entity>) -> Outcome {
        let key = format!("sms-{:026x}", wasi::random::random::get_random_u64());
        match post(&config, &key) {
            Some(status) => Outcome::Sent(Receipt {
                id: status.to_string(),
                status: "queued".into(),
                segments: 1,
                attempts: 1,
                idempotency_key: key,
                campaign: None,
            }),
            None => Outcome::Failed(Failure {
                error_intent: String::new(),
                code: FailureCode::ConnectionFailed,
                description: String::new(),
                attempts: 1,
                last_status: None,
                idempotency_key: key,
                possibly_sent: true,
            }),
        }
    }

    fn check(_config: Config) -> Vec<Problem> {
        Vec::new()
    }

    fn preview(
        _config: Config,
        _entities: Vec<Entity>,
        _at: Option<Datetime>,
    ) -> Result<SendPreview, Vec<Problem>> {
        Err(Vec::new())
    }

    fn describe() -> ActionForm {
        let empty = || Localized {
            es: String::new(),
            en: String::new(),
        };
        ActionForm {
            name: empty(),
            summary: empty(),
            fields: Vec::new(),
            versions: Versions {
                component: String::new(),
                tzdata: String::new(),
                phone_metadata: String::new(),
                holiday_years: String::new(),
            },
        }
    }
}

/// One `POST {base-url}/v1/sms`; the answer's status once its body is read.
fn post(config: &Config, key: &str) -> Option<u16> {
    let authority = config.base_url.as_deref()?.strip_prefix("http://")?;
    let headers = Fields::from_list(&[
        (
            "Content-Type".into(),
            b"application/json; charset=utf-8".to_vec(),
        ),
        ("Content-Length".into(), BODY.len().to_string().into_bytes()),
        ("Accept".into(), b"application/json".to_vec()),
        ("User-Agent".into(), b"siptel-sms/0.2.0".to_vec()),
        (
            "Authorization".into(),
            format!("Bearer {}", config.api_key).into_bytes(),
        ),
        ("Idempotency-Key".into(), key.as_bytes().to_vec()),
    ])
    .ok()?;
    let request = OutgoingRequest::new(headers);
    request.set_method(&Method::Post).ok()?;
    request.set_scheme(Some(&Scheme::Http)).ok()?;
    request.set_authority(Some(authority)).ok()?;
    request.set_path_with_query(Some("/v1/sms")).ok()?;
    let body = request.body().ok()?;
    {
        let stream = body.write().ok()?;
        stream.blocking_write_and_flush(BODY).ok()?;
    }
    let future = wasi::http::outgoing_handler::handle(request, None).ok()?;
    OutgoingBody::finish(body, None).ok()?;
    let ready = future.subscribe();
    let response = loop {
        ready.block();
        if let Some(answer) = future.get() {
            break answer.ok()?.ok()?;
        }
    };
    drop(ready);
    let status = response.status();
    let incoming = response.consume().ok()?;
    {
        let stream = incoming.stream().ok()?;
        loop {
            match stream.read(64 * 1024) {
                Ok(chunk) if chunk.is_empty() => stream.subscribe().block(),
                Ok(_) => {}
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(_)) => return None,
            }
        }
    }
    Some(status)
}
