//! End to end, the delivery of one send: the real `.wasm` in wasmtime against
//! the stub Siptel, one test per scenario of the contract (retries, waits,
//! timeouts, broken connections, final refusals, idempotency, campaigns),
//! each checking the outcome and the exact requests the stub received.
//!
//! Waits are kept short (small `deadline-ms` and `attempt-timeout-ms`) unless
//! the wait is what a test is about; timing assertions are lower bounds, with
//! generous upper bounds only where "quickly" is the point.

mod common;

use common::*;
use serde_json::{Value, json};
use siptel_sms::config::DEFAULT_ERROR_INTENT;
use siptel_sms::delivery::Undelivered;
use siptel_sms::failure;
use siptel_sms::model::{
    CampaignVariable, Config, Failure, FailureCode, FieldId, Language, Outcome,
};
use siptel_sms_host::Called;
use siptel_stub::{RecordedRequest, Scripted, StubCampaign, StubConfig, StubSiptel};
use std::time::{Duration, Instant};

/// The body of the baseline config's message send.
fn message_body() -> Value {
    json!({
        "sender": "56961234567",
        "recipient": "56987654321",
        "message": "Hola Ana, su hora es el lunes 10:30.",
        "encoding": "gsm7",
    })
}

/// A stub Siptel with `config`.
fn stub_with(config: StubConfig) -> StubSiptel {
    StubSiptel::start(config).expect("the stub starts")
}

/// The description the component gives `failure` in `lang`.
fn described(failure: &Failure, lang: Language) -> String {
    let undelivered = Undelivered {
        code: failure.code,
        attempts: failure.attempts,
        last_status: failure.last_status,
        possibly_sent: failure.possibly_sent,
    };
    failure::describe(&undelivered, &failure.idempotency_key, lang)
}

/// Asserts a failure to the default error intent with its Spanish description.
fn assert_failed(
    called: &Called<Outcome>,
    code: FailureCode,
    attempts: u32,
    last_status: Option<u16>,
) -> Failure {
    let failure = expect_failed(&called.value).clone();
    assert_eq!(
        (failure.code, failure.attempts, failure.last_status),
        (code, attempts, last_status),
        "{failure:?}"
    );
    assert_eq!(failure.error_intent, DEFAULT_ERROR_INTENT);
    assert!(!failure.description.trim().is_empty());
    assert_eq!(failure.description, described(&failure, Language::Es));
    failure
}

/// Asserts that every request the stub received is an attempt of the same
/// send of `config`: `POST path`, the contract's headers, one well-formed
/// `Idempotency-Key` on all of them, and `body`. Returns the requests.
fn attempts_of_one_send(
    stub: &StubSiptel,
    config: &Config,
    path: &str,
    body: &Value,
) -> Vec<RecordedRequest> {
    let requests = stub.requests();
    assert!(!requests.is_empty(), "the stub received nothing");
    let key = requests[0]
        .header("idempotency-key")
        .expect("an Idempotency-Key")
        .to_owned();
    assert!(
        siptel_sms::siptel::is_valid_idempotency_key(&key),
        "malformed key {key:?}"
    );
    let authorization = format!("Bearer {}", config.api_key.expose());
    for (i, request) in requests.iter().enumerate() {
        assert_eq!(request.method, "POST", "attempt {i}");
        assert_eq!(request.path, path, "attempt {i}");
        assert_eq!(
            request.header("content-type"),
            Some("application/json; charset=utf-8"),
            "attempt {i}"
        );
        assert_eq!(request.header("accept"), Some("application/json"));
        assert_eq!(
            request.header("user-agent"),
            Some(concat!("siptel-sms/", env!("CARGO_PKG_VERSION")))
        );
        assert_eq!(
            request.header("authorization"),
            Some(authorization.as_str())
        );
        if config.rut.is_none() {
            assert_eq!(request.header("x-siptel-rut"), None, "attempt {i}");
        }
        assert_eq!(
            request.header("idempotency-key"),
            Some(key.as_str()),
            "attempt {i} changed the key"
        );
        assert_eq!(request.json().as_ref(), Some(body), "attempt {i}");
    }
    requests
}

/// The statuses the stub answered, in order (`None`: no answer).
fn answered(requests: &[RecordedRequest]) -> Vec<Option<u16>> {
    requests.iter().map(|r| r.answered_status).collect()
}

/// Time between the arrivals of requests `i - 1` and `i`.
fn gap(requests: &[RecordedRequest], i: usize) -> Duration {
    requests[i]
        .received_at
        .duration_since(requests[i - 1].received_at)
}

/// A config in campaign mode (no message).
fn campaign_config(stub: &StubSiptel, campaign: &str, variables: &[(&str, &str)]) -> Config {
    Config {
        message: None,
        campaign: Some(campaign.into()),
        campaign_variables: variables
            .iter()
            .map(|(name, value)| CampaignVariable {
                name: (*name).into(),
                value: (*value).into(),
            })
            .collect(),
        ..config(stub)
    }
}

// ---------------------------------------------------------------------------
// Success and retries

#[tokio::test]
async fn caller_supplied_idempotency_key_is_used_verbatim() {
    const KEY: &str = "Cobranza-2024_000123";
    let stub = stub();
    let config = Config {
        idempotency_key: Some(KEY.into()),
        ..config(&stub)
    };
    let called = send(&config, &[]).await;

    let receipt = expect_sent(&called.value).clone();
    assert_eq!(receipt.idempotency_key, KEY);
    assert_eq!(receipt.attempts, 1);
    assert_eq!(receipt.campaign, None);
    let requests = attempts_of_one_send(&stub, &config, "/v1/sms", &message_body());
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].header("idempotency-key"), Some(KEY));
    let sent = stub.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].idempotency_key, KEY);
    assert_eq!(receipt.id, sent[0].id);
}

#[tokio::test]
async fn retries_503_503_then_201_with_one_key_and_one_sms() {
    let stub = stub();
    stub.script([Scripted::status(503), Scripted::status(503)]);
    let config = config(&stub);
    let called = send(&config, &[]).await;

    let receipt = expect_sent(&called.value).clone();
    assert_eq!(receipt.attempts, 3);
    assert_eq!(stub.sent_count(), 1);
    assert_eq!(receipt.id, stub.sent()[0].id);
    let requests = attempts_of_one_send(&stub, &config, "/v1/sms", &message_body());
    assert_eq!(requests.len(), 3);
    assert_eq!(
        requests[0].header("idempotency-key"),
        Some(receipt.idempotency_key.as_str())
    );
    assert_eq!(answered(&requests), [Some(503), Some(503), Some(201)]);
    // Equal jitter: each wait is at least half its backoff (250 ms, then 500 ms).
    assert!(
        gap(&requests, 1) >= Duration::from_millis(125),
        "{requests:?}"
    );
    assert!(
        gap(&requests, 2) >= Duration::from_millis(250),
        "{requests:?}"
    );
}

#[tokio::test]
async fn rate_limited_429_with_retry_after_1_waits_at_least_a_second() {
    let stub = stub();
    stub.script([Scripted::status(429).with_header("Retry-After", "1")]);
    let config = config(&stub);
    let called = send(&config, &[]).await;

    let receipt = expect_sent(&called.value).clone();
    assert_eq!(receipt.attempts, 2);
    assert_eq!(stub.sent_count(), 1);
    let requests = attempts_of_one_send(&stub, &config, "/v1/sms", &message_body());
    assert_eq!(answered(&requests), [Some(429), Some(201)]);
    let waited = gap(&requests, 1);
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}");
}

#[tokio::test]
async fn retry_after_beyond_the_deadline_fails_rate_limited_at_once() {
    let stub = stub();
    stub.script([Scripted::status(429).with_header("Retry-After", "3600")]);
    let config = Config {
        deadline_ms: Some(5_000),
        ..config(&stub)
    };
    action(); // Compile outside the measured time.
    let started = Instant::now();
    let called = send(&config, &[]).await;
    let took = started.elapsed();

    assert_failed(&called, FailureCode::RateLimited, 1, Some(429));
    // It neither waited for the Retry-After nor for the deadline.
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let requests = attempts_of_one_send(&stub, &config, "/v1/sms", &message_body());
    assert_eq!(answered(&requests), [Some(429)]);
    assert_eq!(stub.sent_count(), 0);
}

#[tokio::test]
async fn attempt_timeout_then_success_on_the_second_attempt() {
    let stub = stub();
    // A scripted 201 that would arrive after 2 s: taking it would be 1 attempt.
    stub.script([Scripted::status(201).with_delay(Duration::from_secs(2))]);
    let config = Config {
        attempt_timeout_ms: Some(300),
        deadline_ms: Some(5_000),
        ..config(&stub)
    };
    action(); // Compile outside the measured time.
    let started = Instant::now();
    let called = send(&config, &[]).await;

    let receipt = expect_sent(&called.value).clone();
    assert_eq!(receipt.attempts, 2);
    assert_ne!(receipt.id, "sms_scripted");
    assert_eq!(receipt.id, stub.sent()[0].id);
    assert_eq!(stub.sent_count(), 1);
    let requests = attempts_of_one_send(&stub, &config, "/v1/sms", &message_body());
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].answered_status, Some(201));
    // The retry came after the attempt's timeout (300 ms) and the least
    // backoff (125 ms), counted from before the first attempt.
    let retried = requests[1].received_at.duration_since(started);
    assert!(
        retried >= Duration::from_millis(425),
        "retried after {retried:?}"
    );
}

#[tokio::test]
async fn dropped_connection_then_success() {
    let stub = stub();
    stub.script([Scripted::drop_connection()]);
    let config = config(&stub);
    let called = send(&config, &[]).await;

    let receipt = expect_sent(&called.value).clone();
    assert_eq!(receipt.attempts, 2);
    assert_eq!(stub.sent_count(), 1);
    let requests = attempts_of_one_send(&stub, &config, "/v1/sms", &message_body());
    assert_eq!(answered(&requests), [None, Some(201)]);
}

#[tokio::test]
async fn a_201_cut_off_is_confirmed_by_a_retry_with_the_same_key() {
    let stub = stub();
    stub.script([Scripted::status(201).cut_after(10)]);
    let config = config(&stub);
    let called = send(&config, &[]).await;

    let receipt = expect_sent(&called.value).clone();
    assert_eq!(receipt.attempts, 2);
    let requests = attempts_of_one_send(&stub, &config, "/v1/sms", &message_body());
    assert_eq!(answered(&requests), [Some(201), Some(201)]);
}

#[tokio::test]
async fn a_201_cut_off_or_stalled_for_good_is_unconfirmed_never_not_sent() {
    for (scripted, attempt_timeout_ms) in [
        (Scripted::status(201).cut_after(12), 10_000),
        (Scripted::status(201).stall_after(12), 300),
    ] {
        let stub = stub();
        stub.script([scripted.clone(), scripted]);
        let config = Config {
            max_attempts: Some(2),
            attempt_timeout_ms: Some(attempt_timeout_ms),
            ..config(&stub)
        };
        let called = send(&config, &[]).await;

        let failure = assert_failed(&called, FailureCode::Unconfirmed, 2, Some(201));
        assert!(failure.possibly_sent);
        let requests = attempts_of_one_send(&stub, &config, "/v1/sms", &message_body());
        let key = requests[0].header("idempotency-key").unwrap();
        assert_eq!(failure.idempotency_key, key);
        assert!(failure.description.contains(key), "{failure:?}");
        assert!(
            failure.description.contains("pudo haberse enviado"),
            "{failure:?}"
        );
    }
}

#[tokio::test]
async fn non_json_502_from_a_proxy_is_retried() {
    let stub = stub();
    stub.script([Scripted::raw(
        502,
        "<html><head><title>502 Bad Gateway</title></head>\
         <body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
    )
    .with_header("Content-Type", "text/html")]);
    let config = config(&stub);
    let called = send(&config, &[]).await;

    let receipt = expect_sent(&called.value).clone();
    assert_eq!(receipt.attempts, 2);
    assert_eq!(stub.sent_count(), 1);
    let requests = attempts_of_one_send(&stub, &config, "/v1/sms", &message_body());
    assert_eq!(answered(&requests), [Some(502), Some(201)]);
}

#[tokio::test]
async fn response_body_over_64_kib_is_malformed_and_not_retried() {
    let stub = stub();
    // A well-formed success body, padded to 100 KB: the size alone makes it
    // malformed, and a 201 is not retried (the message may have been sent).
    let padding = "x".repeat(100_000);
    let body = json!({"id": "sms_big", "status": "queued", "segments": 1, "padding": padding});
    stub.script([Scripted::json(201, body)]);
    let config = config(&stub);
    let called = send(&config, &[]).await;

    let failure = assert_failed(&called, FailureCode::MalformedResponse, 1, Some(201));
    assert!(failure.description.contains("64 KiB"), "{failure:?}");
    let requests = attempts_of_one_send(&stub, &config, "/v1/sms", &message_body());
    assert_eq!(answered(&requests), [Some(201)]);
    assert_eq!(stub.pending_script(), 0);
}

#[tokio::test]
async fn max_attempts_exhausted_fails_server_error_to_the_custom_intent() {
    const INTENT: &str = "Cobranza_SMS_Error";
    let mut keys = Vec::new();
    for (language, ending) in [
        (
            None,
            "Se hicieron 2 intentos; la última respuesta HTTP fue 503.",
        ),
        (
            Some(Language::En),
            "2 attempts were made; the last HTTP status was 503.",
        ),
    ] {
        let stub = stub();
        stub.script([Scripted::status(503), Scripted::status(503)]);
        let config = Config {
            max_attempts: Some(2),
            error_intent: Some(INTENT.into()),
            language,
            ..config(&stub)
        };
        let called = send(&config, &[]).await;

        let failure = expect_failed(&called.value).clone();
        assert_eq!(
            (failure.code, failure.attempts, failure.last_status),
            (FailureCode::ServerError, 2, Some(503))
        );
        assert_eq!(failure.error_intent, INTENT);
        let lang = language.unwrap_or(Language::Es);
        assert_eq!(failure.description, described(&failure, lang));
        assert!(failure.description.ends_with(ending), "{failure:?}");
        let opening = lang.pick("Siptel respondió", "Siptel answered");
        assert!(failure.description.starts_with(opening), "{failure:?}");

        let requests = attempts_of_one_send(&stub, &config, "/v1/sms", &message_body());
        assert_eq!(answered(&requests), [Some(503), Some(503)]);
        assert_eq!(stub.sent_count(), 0);
        keys.push(requests[0].header("idempotency-key").unwrap().to_owned());
    }
    // Without a caller's key, each logical send draws its own.
    assert_ne!(keys[0], keys[1]);
}

#[tokio::test]
async fn rerun_with_the_same_key_after_success_gets_the_original_id() {
    let stub = stub();
    let config = Config {
        idempotency_key: Some("flow-7781-step-3".into()),
        ..config(&stub)
    };
    let first = expect_sent(&send(&config, &[]).await.value).clone();
    // The host crashed before recording the outcome and runs the action again.
    let again = expect_sent(&send(&config, &[]).await.value).clone();

    assert_eq!(again.id, first.id);
    assert_eq!(again.attempts, 1);
    assert_eq!(again.idempotency_key, "flow-7781-step-3");
    assert_eq!(again, first);
    assert_eq!(stub.sent_count(), 1);
    let requests = attempts_of_one_send(&stub, &config, "/v1/sms", &message_body());
    assert_eq!(answered(&requests), [Some(201), Some(200)]);
}

// ---------------------------------------------------------------------------
// Final refusals: one attempt each

#[tokio::test]
async fn invalid_api_key_401_is_not_retried() {
    let stub = stub();
    let config = Config {
        api_key: "wrong-key-0000".into(),
        ..config(&stub)
    };
    let called = send(&config, &[]).await;

    assert_failed(&called, FailureCode::InvalidApiKey, 1, Some(401));
    let requests = attempts_of_one_send(&stub, &config, "/v1/sms", &message_body());
    assert_eq!(answered(&requests), [Some(401)]);
}

#[tokio::test]
async fn insufficient_balance_402_is_not_retried() {
    let stub = stub_with(StubConfig {
        balance: Some(0),
        ..StubConfig::default()
    });
    let config = config(&stub);
    let called = send(&config, &[]).await;

    assert_failed(&called, FailureCode::InsufficientBalance, 1, Some(402));
    let requests = attempts_of_one_send(&stub, &config, "/v1/sms", &message_body());
    assert_eq!(answered(&requests), [Some(402)]);
    assert_eq!(stub.sent_count(), 0);
}

#[tokio::test]
async fn ip_not_authorized_403_without_rut_is_not_retried() {
    let stub = stub_with(StubConfig {
        ip_registered: false,
        ..StubConfig::default()
    });
    let config = config(&stub);
    let called = send(&config, &[]).await;

    assert_failed(&called, FailureCode::IpNotAuthorized, 1, Some(403));
    let requests = attempts_of_one_send(&stub, &config, "/v1/sms", &message_body());
    assert_eq!(answered(&requests), [Some(403)]);
    assert_eq!(requests[0].header("x-siptel-rut"), None);
}

#[tokio::test]
async fn campaign_not_found_404_is_not_retried() {
    let stub = stub();
    let config = campaign_config(&stub, "desconocida", &[("name", "Ana")]);
    let called = send(&config, &[]).await;

    assert_failed(&called, FailureCode::CampaignNotFound, 1, Some(404));
    let body = json!({
        "sender": "56961234567",
        "recipient": "56987654321",
        "variables": {"name": "Ana"},
    });
    let requests = attempts_of_one_send(&stub, &config, "/v1/campaigns/desconocida/sms", &body);
    assert_eq!(answered(&requests), [Some(404)]);
}

#[tokio::test]
async fn idempotency_conflict_409_is_not_retried() {
    const KEY: &str = "reused-key-0001";
    let stub = stub();
    let first = Config {
        idempotency_key: Some(KEY.into()),
        ..config(&stub)
    };
    expect_sent(&send(&first, &[]).await.value);
    // The same key for another message.
    let second = Config {
        message: Some("Otro mensaje, otra hora.".into()),
        ..first.clone()
    };
    let called = send(&second, &[]).await;

    assert_failed(&called, FailureCode::IdempotencyConflict, 1, Some(409));
    let requests = stub.requests();
    assert_eq!(answered(&requests), [Some(201), Some(409)]);
    let retried = &requests[1];
    assert_eq!(retried.path, "/v1/sms");
    assert_eq!(retried.header("idempotency-key"), Some(KEY));
    assert_eq!(
        retried.header("authorization"),
        Some(format!("Bearer {}", stub_key()).as_str())
    );
    assert_eq!(
        retried.json(),
        Some(json!({
            "sender": "56961234567",
            "recipient": "56987654321",
            "message": "Otro mensaje, otra hora.",
            "encoding": "gsm7",
        }))
    );
    assert_eq!(stub.sent_count(), 1);
}

#[tokio::test]
async fn missing_variable_422_is_not_retried() {
    let stub = stub();
    // `bienvenida` needs `name`; none is given.
    let config = campaign_config(&stub, "bienvenida", &[]);
    let called = send(&config, &[]).await;

    assert_failed(&called, FailureCode::MissingVariable, 1, Some(422));
    let body = json!({
        "sender": "56961234567",
        "recipient": "56987654321",
        "variables": {},
    });
    let requests = attempts_of_one_send(&stub, &config, "/v1/campaigns/bienvenida/sms", &body);
    assert_eq!(answered(&requests), [Some(422)]);
}

// ---------------------------------------------------------------------------
// RUT and campaigns

#[tokio::test]
async fn rut_header_lets_an_unregistered_ip_send() {
    let stub = stub_with(StubConfig {
        ip_registered: false,
        ..StubConfig::default()
    });
    let config = Config {
        rut: Some("12.345.678-5".into()),
        ..config(&stub)
    };
    let called = send(&config, &[]).await;

    let receipt = expect_sent(&called.value).clone();
    assert_eq!(receipt.attempts, 1);
    assert_eq!(stub.sent_count(), 1);
    let requests = attempts_of_one_send(&stub, &config, "/v1/sms", &message_body());
    assert_eq!(answered(&requests), [Some(201)]);
    assert_eq!(requests[0].header("x-siptel-rut"), Some("12345678-5"));
}

#[tokio::test]
async fn campaign_send_renders_variables_from_entities() {
    let stub = stub();
    let config = campaign_config(&stub, "bienvenida", &[("name", "{{name}}")]);
    let called = send(&config, &entities(&[("name", "Ana")])).await;

    let receipt = expect_sent(&called.value).clone();
    assert_eq!(receipt.attempts, 1);
    assert_eq!(receipt.campaign.as_deref(), Some("bienvenida"));
    let body = json!({
        "sender": "56961234567",
        "recipient": "56987654321",
        "variables": {"name": "Ana"},
    });
    let requests = attempts_of_one_send(&stub, &config, "/v1/campaigns/bienvenida/sms", &body);
    assert_eq!(answered(&requests), [Some(201)]);
    let sent = stub.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].text, "Hola Ana, bienvenido a Siptel.");
    assert_eq!(sent[0].campaign.as_deref(), Some("bienvenida"));
    assert_eq!(receipt.id, sent[0].id);
}

#[tokio::test]
async fn campaign_name_is_percent_encoded_as_one_path_segment() {
    const CAMPAIGN: &str = "Promo Día ¿sí? #5 100%";
    let stub = stub_with(StubConfig {
        campaigns: vec![StubCampaign::new(
            CAMPAIGN,
            "Hola {{name}}, su promoción le espera.",
        )],
        ..StubConfig::default()
    });
    let config = campaign_config(&stub, CAMPAIGN, &[("name", "Ana")]);
    let called = send(&config, &[]).await;

    let receipt = expect_sent(&called.value).clone();
    assert_eq!(receipt.campaign.as_deref(), Some(CAMPAIGN));
    let body = json!({
        "sender": "56961234567",
        "recipient": "56987654321",
        "variables": {"name": "Ana"},
    });
    let requests = attempts_of_one_send(
        &stub,
        &config,
        "/v1/campaigns/Promo%20D%C3%ADa%20%C2%BFs%C3%AD%3F%20%235%20100%25/sms",
        &body,
    );
    assert_eq!(answered(&requests), [Some(201)]);
    assert_eq!(stub.sent()[0].text, "Hola Ana, su promoción le espera.");
}

#[tokio::test]
async fn campaign_names_that_would_leave_their_segment_are_refused_and_not_sent() {
    // `..` went out as `%2E%2E`, which RFC 3986 normalises to another
    // endpoint; a `/` or `\` splits the segment once a proxy decodes it.
    for campaign in ["..", ".", "Promo 1/2", "a\\b"] {
        let stub = stub();
        let config = campaign_config(&stub, campaign, &[("name", "Ana")]);
        let problems = expect_invalid(&send(&config, &[]).await.value).to_vec();
        assert!(
            problems.iter().any(|p| p.field == FieldId::Campaign),
            "{campaign:?}: {problems:?}"
        );
        assert_eq!(stub.request_count(), 0, "{campaign:?}");
    }
}

// ---------------------------------------------------------------------------
// The API key stays secret

#[tokio::test]
async fn sentinel_api_key_never_leaks_from_any_outcome_or_output() {
    const SENTINEL: &str = "SENTINEL-siptel-key-4d2b91";
    let stub = stub_with(StubConfig {
        api_key: SENTINEL.into(),
        ..StubConfig::default()
    });
    let base = Config {
        api_key: SENTINEL.into(),
        deadline_ms: Some(3_000),
        ..config(&stub)
    };
    let big = json!({"id": "sms_big", "padding": "x".repeat(100_000)});
    // (script, config changes, expected failure code or `None` for sent)
    let scenarios: Vec<(Vec<Scripted>, Config, Option<FailureCode>)> = vec![
        (vec![], base.clone(), None),
        (vec![Scripted::status(503)], base.clone(), None),
        (vec![Scripted::drop_connection()], base.clone(), None),
        (
            vec![Scripted::status(401)],
            base.clone(),
            Some(FailureCode::InvalidApiKey),
        ),
        (
            vec![Scripted::status(402)],
            Config {
                language: Some(Language::En),
                ..base.clone()
            },
            Some(FailureCode::InsufficientBalance),
        ),
        (
            vec![Scripted::status(503), Scripted::status(503)],
            Config {
                max_attempts: Some(2),
                ..base.clone()
            },
            Some(FailureCode::ServerError),
        ),
        (
            vec![Scripted::drop_connection(), Scripted::drop_connection()],
            Config {
                max_attempts: Some(2),
                language: Some(Language::En),
                ..base.clone()
            },
            Some(FailureCode::ConnectionFailed),
        ),
        (
            vec![Scripted::status(201).with_delay(Duration::from_secs(2))],
            Config {
                max_attempts: Some(1),
                attempt_timeout_ms: Some(200),
                ..base.clone()
            },
            Some(FailureCode::Timeout),
        ),
        (
            vec![Scripted::json(201, big)],
            base.clone(),
            Some(FailureCode::MalformedResponse),
        ),
        (
            vec![Scripted::status(429).with_header("Retry-After", "3600")],
            base.clone(),
            Some(FailureCode::RateLimited),
        ),
        (
            vec![],
            Config {
                campaign: Some("desconocida".into()),
                message: None,
                ..base.clone()
            },
            Some(FailureCode::CampaignNotFound),
        ),
    ];

    let mut texts = Vec::new();
    for (script, config, expected) in scenarios {
        stub.script(script);
        let called = send(&config, &[]).await;
        match (&called.value, expected) {
            (Outcome::Sent(_), None) => {}
            (Outcome::Failed(failure), Some(code)) => {
                assert_eq!(failure.code, code, "{failure:?}");
                texts.push(failure.description.clone());
            }
            (other, expected) => panic!("expected {expected:?}, got {other:?}"),
        }
        texts.push(serde_json::to_string(&called.value).unwrap());
        assert_eq!(stub.pending_script(), 0);
    }
    // An unregistered IP without a RUT: the contract's own 403.
    stub.set_config(StubConfig {
        api_key: SENTINEL.into(),
        ip_registered: false,
        ..StubConfig::default()
    });
    let called = send(&base, &[]).await;
    assert_eq!(
        expect_failed(&called.value).code,
        FailureCode::IpNotAuthorized
    );
    texts.push(serde_json::to_string(&called.value).unwrap());
    // Invalid, and at design time: problems never quote the key either.
    let invalid_config = Config {
        sender: "not a number".into(),
        ..base.clone()
    };
    let invalid = send(&invalid_config, &[]).await;
    assert!(!expect_invalid(&invalid.value).is_empty());
    texts.push(serde_json::to_string(&invalid.value).unwrap());
    let checked = check(&invalid_config).await;
    assert!(!checked.is_empty());
    texts.push(serde_json::to_string(&checked).unwrap());
    texts.push(format!("{base:?}"));

    for text in &texts {
        assert!(!text.contains(SENTINEL), "the API key leaked: {text}");
    }
    // The key went to Siptel, in the Authorization header and nowhere else.
    let requests = stub.requests();
    assert_eq!(requests.len(), 16);
    let bearer = format!("Bearer {SENTINEL}");
    for request in &requests {
        for (name, value) in &request.headers {
            if name == "authorization" {
                assert_eq!(value, &bearer);
            } else {
                assert!(!value.contains(SENTINEL), "{name}: {value}");
            }
        }
        assert!(!request.path.contains(SENTINEL));
        assert!(!String::from_utf8_lossy(&request.body).contains(SENTINEL));
    }
}
