//! The HTTP API: which path does what, and which status each answer gets.
//!
//! | request | answer |
//! | --- | --- |
//! | `POST /v1/send` `{config, entities?}` | the outcome as the CLI's `send --json` prints it: `sent` 200, `blocked` 409 with `Retry-After`, `invalid` 422, `failed` 502 |
//! | `POST /v1/check` `{config}` | the problems as `check --json` prints them: 200 when none, else 422 |
//! | `POST /v1/preview` `{config, entities?, at?}` | the preview (200) or the problems (422), as `preview --json` |
//! | `GET /v1/describe` | the action's form (200), as `describe --json` |
//! | `GET /v1/health` | `{"status": "ok", ...}` (200): the service runs, and the versions of the data it judges with |
//! | `GET /v1/ready` | `{"status": "ready"}` (200): it takes requests (a host answers 503 while it drains) |
//!
//! Why these statuses: each one is what a client (or a proxy, a queue, a
//! dashboard that sees only statuses) must do next. 200: done, go on. 409
//! (the sending window is closed, a state of the world, not of the request)
//! with `Retry-After`: the same request will succeed later, repeat it then.
//! 422: the config is wrong; repeating it unchanged never helps. 502:
//! Siptel refused or could not be reached; the component has already
//! retried under one idempotency key, so the send is final: trigger the
//! error intent, and repeat only with the same `idempotency-key`. 400 and
//! 413 are a malformed request, 404 and 405 a wrong path or method.
//! Everything the service answers is JSON.

use crate::body::{self, BodyProblem, CallInput, Parts};
use crate::keys::{self, RuntimeConfig};
use serde::Serialize;
use siptel_sms::delivery::{Clock, Entropy, Transport};
use siptel_sms::model::{Outcome, Problem};

/// A JSON answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// Headers besides `content-type: application/json`.
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    fn json(status: u16, value: &impl Serialize) -> Response {
        Response {
            status,
            headers: Vec::new(),
            // Serializing the model's plain types cannot fail.
            body: serde_json::to_vec(value).unwrap_or_default(),
        }
    }

    fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }
}

/// An answer that is not the action's: `{"error", "message", "problems"?}`.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    problems: &'a [BodyProblem],
}

/// Header of a send's answer naming its outcome: `sent`, `blocked`,
/// `invalid` or `failed` (the body's `type`).
pub const OUTCOME_HEADER: &str = "x-siptel-outcome";

/// Header naming why an answer is not a success: a failed send's
/// `failure-code`, a blocked send's `block-reason`, an error answer's
/// `error` (`bad-request`, `busy`, ...).
pub const CODE_HEADER: &str = "x-siptel-code";

/// Header of a sent or failed send's answer: the idempotency key it was
/// sent under (repeat a failed send only with it).
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";

/// An error answer with `status`, stable `code` (also in [`CODE_HEADER`])
/// and `message`.
pub fn error(status: u16, code: &str, message: &str) -> Response {
    Response::json(
        status,
        &ErrorBody {
            error: code,
            message,
            problems: &[],
        },
    )
    .with_header(CODE_HEADER, code)
}

/// What a path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Health,
    Ready,
    Describe,
    Check,
    Preview,
    Send,
}

impl Route {
    /// The route of `method` on `path_with_query` (the query is ignored), or
    /// the 404 or 405 answer.
    pub fn of(method: &str, path_with_query: &str) -> Result<Route, Response> {
        let path = path_with_query.split('?').next().unwrap_or_default();
        let (route, allowed) = match path {
            "/v1/health" => (Route::Health, "GET"),
            "/v1/ready" => (Route::Ready, "GET"),
            "/v1/describe" => (Route::Describe, "GET"),
            "/v1/check" => (Route::Check, "POST"),
            "/v1/preview" => (Route::Preview, "POST"),
            "/v1/send" => (Route::Send, "POST"),
            _ => {
                return Err(error(
                    404,
                    "not-found",
                    "no such path: the service answers /v1/send, /v1/check, /v1/preview \
                     (POST), /v1/describe, /v1/health and /v1/ready (GET)",
                ));
            }
        };
        if method != allowed {
            return Err(error(
                405,
                "method-not-allowed",
                &format!("{path} takes {allowed} only"),
            )
            .with_header("allow", allowed));
        }
        Ok(route)
    }

    /// Whether the route reads a body.
    pub fn takes_body(self) -> bool {
        matches!(self, Route::Check | Route::Preview | Route::Send)
    }

    fn parts(self) -> Parts {
        match self {
            Route::Send => Parts::CONFIG_ENTITIES,
            Route::Preview => Parts::CONFIG_ENTITIES_AT,
            Route::Check | Route::Health | Route::Ready | Route::Describe => Parts::CONFIG,
        }
    }
}

/// A request body as read: whole, or longer than [`body::MAX_BODY_BYTES`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Read(Vec<u8>),
    TooLarge,
}

/// What a send reaches the world through.
pub struct Io<T, C, E> {
    pub transport: T,
    pub clock: C,
    pub entropy: E,
}

/// The answer to `route` with `body` (empty for GET routes).
pub fn respond<T: Transport, C: Clock, E: Entropy>(
    route: Route,
    body: Body,
    io: &mut Io<T, C, E>,
    runtime: &impl RuntimeConfig,
) -> Response {
    match route {
        Route::Health => health(),
        Route::Ready => ready(),
        Route::Describe => Response::json(200, &siptel_sms::describe()),
        Route::Check | Route::Preview | Route::Send => {
            let input = match read_input(route, body) {
                Ok(input) => input,
                Err(answer) => return answer,
            };
            call(route, input, io, runtime)
        }
    }
}

fn read_input(route: Route, body: Body) -> Result<CallInput, Response> {
    let bytes = match body {
        Body::Read(bytes) => bytes,
        Body::TooLarge => {
            return Err(error(
                413,
                "body-too-large",
                &format!("the body is larger than {} bytes", body::MAX_BODY_BYTES),
            ));
        }
    };
    body::read(&bytes, route.parts()).map_err(|problems| {
        Response::json(
            400,
            &ErrorBody {
                error: "bad-request",
                message: "the body is not what this path takes: see problems",
                problems: &problems,
            },
        )
        .with_header(CODE_HEADER, "bad-request")
    })
}

/// Runs the action on bounded inputs, as the Rust host's calls do.
fn call<T: Transport, C: Clock, E: Entropy>(
    route: Route,
    input: CallInput,
    io: &mut Io<T, C, E>,
    runtime: &impl RuntimeConfig,
) -> Response {
    let (config, entities) = siptel_sms::config::bounded(&input.config, &input.entities);
    let resolved = keys::resolve(&config, runtime);
    let problems_answer = |problems: Vec<Problem>| {
        let status = if problems.is_empty() { 200 } else { 422 };
        Response::json(status, &problems)
    };
    match route {
        Route::Check => match resolved {
            Ok(config) => problems_answer(siptel_sms::check(&config)),
            Err(refusal) => problems_answer(keys::with_refusal(
                refusal,
                siptel_sms::check(&keys::withheld(&config)),
            )),
        },
        Route::Preview => {
            let at = input.at.unwrap_or_else(|| io.clock.unix_seconds());
            let preview = match resolved {
                Ok(config) => siptel_sms::preview(&config, &entities, at),
                Err(refusal) => Err(keys::with_refusal(refusal, others(&config, &entities, at))),
            };
            match preview {
                Ok(preview) => Response::json(200, &preview),
                Err(problems) => problems_answer(problems),
            }
        }
        Route::Send => {
            let outcome = match resolved {
                Ok(config) => siptel_sms::send(
                    &config,
                    &entities,
                    &mut io.transport,
                    &mut io.clock,
                    &mut io.entropy,
                ),
                Err(refusal) => {
                    let at = io.clock.unix_seconds();
                    Outcome::Invalid {
                        problems: keys::with_refusal(refusal, others(&config, &entities, at)),
                    }
                }
            };
            outcome_answer(&outcome)
        }
        Route::Health | Route::Ready | Route::Describe => unreachable!("routes without a body"),
    }
}

/// The problems of `config` besides its refused key (none, or preview's).
fn others(
    config: &siptel_sms::model::Config,
    entities: &[siptel_sms::model::Entity],
    at: i64,
) -> Vec<Problem> {
    siptel_sms::preview(&keys::withheld(config), entities, at)
        .err()
        .unwrap_or_default()
}

/// A send's outcome with the status a client acts on (see the module), and
/// the headers that name it ([`OUTCOME_HEADER`], [`CODE_HEADER`],
/// [`IDEMPOTENCY_KEY_HEADER`]) so a host or proxy can log and count sends
/// without parsing the body.
fn outcome_answer(outcome: &Outcome) -> Response {
    let answer = match outcome {
        Outcome::Sent(receipt) => Response::json(200, outcome)
            .with_header(IDEMPOTENCY_KEY_HEADER, receipt.idempotency_key.clone()),
        Outcome::Blocked(blocked) => Response::json(409, outcome)
            .with_header("retry-after", blocked.wait_seconds.max(1).to_string())
            .with_header(CODE_HEADER, kebab(&blocked.reason)),
        Outcome::Invalid { .. } => Response::json(422, outcome),
        Outcome::Failed(failure) => Response::json(502, outcome)
            .with_header(CODE_HEADER, kebab(&failure.code))
            .with_header(IDEMPOTENCY_KEY_HEADER, failure.idempotency_key.clone()),
    };
    let name = match outcome {
        Outcome::Sent(_) => "sent",
        Outcome::Blocked(_) => "blocked",
        Outcome::Invalid { .. } => "invalid",
        Outcome::Failed(_) => "failed",
    };
    answer.with_header(OUTCOME_HEADER, name)
}

/// A unit enum's WIT (kebab-case) name.
fn kebab(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// The answer to `GET /v1/health`: the service runs, and which data it
/// judges with. It reads nothing of the request, so a host may answer it
/// itself, without running the component.
pub fn health() -> Response {
    Response::json(200, &Health::now())
}

/// The answer to `GET /v1/ready` while the service takes requests.
pub fn ready() -> Response {
    Response::json(200, &Status { status: "ready" })
}

/// The answer to `GET /v1/ready` while the host stops (drains): 503, so a
/// load balancer sends new requests elsewhere.
pub fn draining() -> Response {
    Response::json(503, &Status { status: "draining" }).with_header(CODE_HEADER, "draining")
}

#[derive(Serialize)]
struct Status {
    status: &'static str,
}

/// `GET /v1/health`: the service runs, and which data it judges with.
#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    tzdata: &'static str,
    #[serde(rename = "phone-metadata")]
    phone_metadata: &'static str,
}

impl Health {
    fn now() -> Health {
        Health {
            status: "ok",
            version: env!("CARGO_PKG_VERSION"),
            tzdata: siptel_sms::tz::TZDATA_VERSION,
            phone_metadata: siptel_sms::phone::METADATA_VERSION,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use siptel_sms::delivery::{Response as SiptelResponse, TransportError};
    use siptel_sms::siptel::{BodyEnd, Request};
    use std::collections::BTreeMap;

    /// Monday 2026-09-07 10:00 in Santiago.
    const MONDAY_MORNING: i64 = 1_788_786_000;

    struct Clock(i64);

    impl siptel_sms::delivery::Clock for Clock {
        fn monotonic_ms(&mut self) -> u64 {
            0
        }
        fn sleep_ms(&mut self, _ms: u64) {}
        fn unix_seconds(&mut self) -> i64 {
            self.0
        }
    }

    struct Zero;

    impl Entropy for Zero {
        fn next_u64(&mut self) -> u64 {
            0
        }
    }

    /// Answers every request with `status` and records the `Authorization`
    /// it carried.
    struct Siptel {
        status: u16,
        authorizations: Vec<String>,
    }

    impl Transport for Siptel {
        fn send(
            &mut self,
            request: &Request,
            _timeout_ms: u64,
        ) -> Result<SiptelResponse, TransportError> {
            let auth = request
                .header("authorization")
                .unwrap_or_default()
                .to_owned();
            self.authorizations.push(auth);
            let body = match self.status {
                201 => r#"{"id": "sms_1", "status": "queued", "segments": 1}"#,
                _ => r#"{"error": {"code": "invalid_api_key", "message": "no"}}"#,
            };
            Ok(SiptelResponse {
                status: self.status,
                headers: vec![("content-type".into(), "application/json".into())],
                body: body.as_bytes().to_vec(),
                body_end: BodyEnd::Complete,
            })
        }
    }

    struct Store(BTreeMap<&'static str, &'static str>);

    impl RuntimeConfig for Store {
        fn get(&self, key: &str) -> Option<String> {
            self.0.get(key).map(|v| v.to_string())
        }
    }

    fn io(status: u16, at: i64) -> Io<Siptel, Clock, Zero> {
        Io {
            transport: Siptel {
                status,
                authorizations: Vec::new(),
            },
            clock: Clock(at),
            entropy: Zero,
        }
    }

    fn body(config: Value) -> Body {
        Body::Read(serde_json::to_vec(&serde_json::json!({ "config": config })).unwrap())
    }

    fn config(key: &str) -> Value {
        serde_json::json!({
            "api-key": key, "sender": "56961234567", "recipient": "56987654321",
            "message": "Hola", "window-start": "09:00", "window-end": "18:00",
            "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "base-url": "http://127.0.0.1:9"
        })
    }

    fn json(response: &Response) -> Value {
        serde_json::from_slice(&response.body).unwrap()
    }

    fn empty() -> Store {
        Store(BTreeMap::new())
    }

    #[test]
    fn each_outcome_has_its_status() {
        let sent = respond(
            Route::Send,
            body(config("k")),
            &mut io(201, MONDAY_MORNING),
            &empty(),
        );
        assert_eq!(
            (sent.status, json(&sent)["type"].as_str()),
            (200, Some("sent"))
        );

        let sunday = MONDAY_MORNING - 86_400;
        let blocked = respond(
            Route::Send,
            body(config("k")),
            &mut io(201, sunday),
            &empty(),
        );
        assert_eq!(blocked.status, 409);
        assert_eq!(json(&blocked)["type"], "blocked");
        let wait = json(&blocked)["wait-seconds"].as_u64().unwrap();
        assert_eq!(
            blocked.headers,
            [
                ("retry-after", wait.to_string()),
                (CODE_HEADER, "weekday-disabled".to_owned()),
                (OUTCOME_HEADER, "blocked".to_owned())
            ]
        );

        let invalid = respond(
            Route::Send,
            body(config("")),
            &mut io(201, MONDAY_MORNING),
            &empty(),
        );
        assert_eq!(
            (invalid.status, json(&invalid)["type"].as_str()),
            (422, Some("invalid"))
        );

        let failed = respond(
            Route::Send,
            body(config("k")),
            &mut io(401, MONDAY_MORNING),
            &empty(),
        );
        assert_eq!(
            (failed.status, json(&failed)["type"].as_str()),
            (502, Some("failed"))
        );
        let header = |answer: &Response, name: &str| {
            answer
                .headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            header(&failed, CODE_HEADER).as_deref(),
            Some("invalid-api-key")
        );
        assert_eq!(
            header(&failed, IDEMPOTENCY_KEY_HEADER),
            json(&failed)["idempotency-key"].as_str().map(String::from)
        );
        assert_eq!(header(&sent, OUTCOME_HEADER).as_deref(), Some("sent"));
        assert_eq!(header(&sent, CODE_HEADER), None);
        assert_eq!(
            header(&sent, IDEMPOTENCY_KEY_HEADER),
            json(&sent)["idempotency-key"].as_str().map(String::from)
        );
        assert_eq!(header(&invalid, OUTCOME_HEADER).as_deref(), Some("invalid"));
    }

    #[test]
    fn check_and_preview_answer_problems_with_422() {
        let clean = respond(Route::Check, body(config("k")), &mut io(201, 0), &empty());
        assert_eq!((clean.status, json(&clean)), (200, serde_json::json!([])));
        let wrong = respond(Route::Check, body(config("")), &mut io(201, 0), &empty());
        assert_eq!(wrong.status, 422);
        assert_eq!(json(&wrong)[0]["field"], "api-key");

        let request = serde_json::json!({"config": config("k"), "at": "2026-09-06T10:00:00-03:00"});
        let preview = respond(
            Route::Preview,
            Body::Read(serde_json::to_vec(&request).unwrap()),
            &mut io(201, MONDAY_MORNING),
            &empty(),
        );
        assert_eq!(preview.status, 200);
        assert_eq!(json(&preview)["window"]["type"], "closed");
    }

    #[test]
    fn a_secret_nobody_holds_is_refused_and_nothing_is_sent() {
        let mut io = io(201, MONDAY_MORNING);
        let mut config = config("secret:acme");
        config["recipient"] = "2".into();
        let answer = respond(Route::Send, body(config), &mut io, &empty());
        assert_eq!(answer.status, 422);
        let problems = &json(&answer)["problems"];
        assert_eq!(problems[0]["code"], "not-allowed");
        assert_eq!(problems[1]["field"], "recipient");
        assert!(io.transport.authorizations.is_empty());
    }

    #[test]
    fn secrets_are_injected_by_the_host_or_taken_from_runtime_config() {
        let host = Store(BTreeMap::from([(keys::HOST_INJECTED, "acme")]));
        let mut via_host = io(201, MONDAY_MORNING);
        let answer = respond(
            Route::Send,
            body(config("secret:acme")),
            &mut via_host,
            &host,
        );
        assert_eq!(answer.status, 200);
        assert_eq!(via_host.transport.authorizations, ["Bearer secret:acme"]);

        let engine = Store(BTreeMap::from([("siptel_secret_acme", "KEY-123")]));
        let mut via_engine = io(201, MONDAY_MORNING);
        let answer = respond(
            Route::Send,
            body(config("secret:acme")),
            &mut via_engine,
            &engine,
        );
        assert_eq!(answer.status, 200);
        assert_eq!(via_engine.transport.authorizations, ["Bearer KEY-123"]);
        assert!(!String::from_utf8_lossy(&answer.body).contains("KEY-123"));
    }

    #[test]
    fn paths_methods_and_bodies_are_checked_before_anything_runs() {
        assert_eq!(Route::of("POST", "/v1/send?x=1"), Ok(Route::Send));
        assert_eq!(Route::of("GET", "/v1/health"), Ok(Route::Health));
        assert_eq!(Route::of("GET", "/v2/send").unwrap_err().status, 404);
        let wrong_method = Route::of("GET", "/v1/send").unwrap_err();
        assert_eq!(wrong_method.status, 405);
        assert_eq!(
            wrong_method.headers,
            [
                (CODE_HEADER, "method-not-allowed".to_owned()),
                ("allow", "POST".to_owned())
            ]
        );

        let mut io = io(201, MONDAY_MORNING);
        let too_large = respond(Route::Send, Body::TooLarge, &mut io, &empty());
        assert_eq!(
            (too_large.status, json(&too_large)["error"].as_str()),
            (413, Some("body-too-large"))
        );
        let bad = respond(
            Route::Send,
            Body::Read(b"{\"config\": 1}".to_vec()),
            &mut io,
            &empty(),
        );
        assert_eq!(bad.status, 400);
        assert_eq!(json(&bad)["problems"][0]["field"], "config");
        assert!(io.transport.authorizations.is_empty());
    }

    #[test]
    fn describe_and_health_answer_without_a_body() {
        let mut io = io(201, 0);
        let form = respond(Route::Describe, Body::Read(Vec::new()), &mut io, &empty());
        assert_eq!(form.status, 200);
        assert!(
            json(&form)["fields"]
                .as_array()
                .is_some_and(|f| !f.is_empty())
        );
        let health = respond(Route::Health, Body::Read(Vec::new()), &mut io, &empty());
        assert_eq!(json(&health)["status"], "ok");
    }
}
