//! Shared set-up of the integration tests: one compiled component per test
//! binary (a debug host spends most of a second compiling it), a stub Siptel
//! per test, and a baseline config that is valid at any instant.

#![allow(dead_code)]

use siptel_sms::model::{Blocked, Config, Entity, Failure, Outcome, Problem, Receipt, Weekdays};
use siptel_sms_host::{CallOptions, Called, HostOptions, SiptelSms};
use siptel_stub::{StubConfig, StubSiptel};
use std::sync::OnceLock;

/// The component, compiled once for this test binary.
pub fn action() -> &'static SiptelSms {
    static ACTION: OnceLock<SiptelSms> = OnceLock::new();
    ACTION.get_or_init(|| SiptelSms::builtin(host_options()).expect("the built component loads"))
}

/// The default host, with compiled code shared by the test binaries through
/// wasmtime's cache (a debug host spends seconds compiling a component).
pub fn host_options() -> HostOptions {
    HostOptions {
        compile_cache: Some(
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("wasmtime-cache"),
        ),
        ..HostOptions::default()
    }
}

/// The API key the default stub accepts.
pub fn stub_key() -> String {
    StubConfig::default().api_key
}

/// A stub Siptel with the contract's default behaviour.
pub fn stub() -> StubSiptel {
    StubSiptel::start(StubConfig::default()).expect("the stub starts")
}

/// A valid message config aimed at `stub`, whose window is always open.
pub fn config(stub: &StubSiptel) -> Config {
    Config {
        api_key: stub_key().into(),
        sender: "56961234567".into(),
        recipient: "56987654321".into(),
        message: Some("Hola Ana, su hora es el lunes 10:30.".into()),
        window_start: "00:00:00".into(),
        window_end: "23:59:59".into(),
        // Open on holidays too, so the tests pass on any day of the year.
        send_on_holidays: Some(true),
        weekdays: Weekdays::ALL,
        base_url: Some(stub.base_url()),
        // Short waits keep retry tests fast; the policy is unit-tested natively.
        deadline_ms: Some(10_000),
        ..Config::default()
    }
}

/// Entities from `(name, value)` pairs.
pub fn entities(pairs: &[(&str, &str)]) -> Vec<Entity> {
    pairs
        .iter()
        .map(|(name, value)| Entity {
            name: (*name).into(),
            value: (*value).into(),
            kind: None,
        })
        .collect()
}

/// Sends with the real clock, egress allowed to the config's base URL (the
/// test's stub); a host error fails the test with its message. The
/// component reaches nothing else and prints nothing, whatever the outcome.
pub async fn send(config: &Config, entities: &[Entity]) -> Called<Outcome> {
    let options = CallOptions {
        siptel_base_url: config.base_url.clone(),
        ..CallOptions::default()
    };
    quiet_and_contained(send_with(config, entities, &options).await)
}

/// `called`, once asserted that the component reached nothing but the
/// allowed Siptel and printed nothing.
#[track_caller]
fn quiet_and_contained(called: Called<Outcome>) -> Called<Outcome> {
    assert!(
        called.denied.is_empty(),
        "egress denied: {:?}",
        called.denied
    );
    assert_eq!((called.stdout.as_str(), called.stderr.as_str()), ("", ""));
    called
}

/// The receipt of a `sent` outcome; any other outcome fails the test.
#[track_caller]
pub fn expect_sent(outcome: &Outcome) -> &Receipt {
    match outcome {
        Outcome::Sent(receipt) => receipt,
        other => panic!("expected sent, got {other:?}"),
    }
}

/// The block of a `blocked` outcome; any other outcome fails the test.
#[track_caller]
pub fn expect_blocked(outcome: &Outcome) -> &Blocked {
    match outcome {
        Outcome::Blocked(blocked) => blocked,
        other => panic!("expected blocked, got {other:?}"),
    }
}

/// The problems of an `invalid` outcome; any other outcome fails the test.
#[track_caller]
pub fn expect_invalid(outcome: &Outcome) -> &[Problem] {
    match outcome {
        Outcome::Invalid { problems } => problems,
        other => panic!("expected invalid, got {other:?}"),
    }
}

/// The failure of a `failed` outcome; any other outcome fails the test.
#[track_caller]
pub fn expect_failed(outcome: &Outcome) -> &Failure {
    match outcome {
        Outcome::Failed(failure) => failure,
        other => panic!("expected failed, got {other:?}"),
    }
}

/// Sends with explicit call options.
pub async fn send_with(
    config: &Config,
    entities: &[Entity],
    options: &CallOptions,
) -> Called<Outcome> {
    match action().send(config, entities, options).await {
        Ok(called) => called,
        Err(e) => panic!("host error: {e}"),
    }
}

/// The instant written `rfc3339` (e.g. `2026-09-07T09:00:00-03:00`), as Unix
/// seconds.
pub fn unix(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap_or_else(|e| panic!("{rfc3339:?} is not RFC 3339: {e}"))
        .timestamp()
}

/// The instant written `rfc3339`, as the `SystemTime` a wall clock reads.
pub fn instant(rfc3339: &str) -> std::time::SystemTime {
    let seconds = u64::try_from(unix(rfc3339)).expect("an instant after 1970");
    std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(seconds)
}

/// Sends as if the guest's wall clock read `rfc3339` at the start of the
/// call, egress allowed to the config's base URL (the test's stub).
pub async fn send_at(config: &Config, entities: &[Entity], rfc3339: &str) -> Called<Outcome> {
    let mut options = CallOptions {
        siptel_base_url: config.base_url.clone(),
        ..CallOptions::default()
    };
    options.wall_clock = Some(instant(rfc3339));
    quiet_and_contained(send_with(config, entities, &options).await)
}

/// Design-time validation through the component; a host error fails the test.
pub async fn check(config: &Config) -> Vec<siptel_sms::model::Problem> {
    match action().check(config, &CallOptions::default()).await {
        Ok(called) => called.value,
        Err(e) => panic!("host error: {e}"),
    }
}

/// `preview` through the component at the instant written `rfc3339`; a host
/// error fails the test.
pub async fn preview_at(
    config: &Config,
    entities: &[Entity],
    rfc3339: &str,
) -> Result<siptel_sms::model::SendPreview, Vec<siptel_sms::model::Problem>> {
    let options = CallOptions {
        wall_clock: Some(instant(rfc3339)),
        ..CallOptions::default()
    };
    match action().preview(config, entities, &options).await {
        Ok(called) => called.value,
        Err(e) => panic!("host error: {e}"),
    }
}

/// `describe` through the component; a host error fails the test.
pub async fn describe() -> siptel_sms::model::ActionForm {
    match action().describe(&CallOptions::default()).await {
        Ok(called) => called.value,
        Err(e) => panic!("host error: {e}"),
    }
}

/// Waits until `condition` holds, looking every 5 ms, for at most 10 s: a
/// test orders its events on what happened, not on how long it slept, and a
/// condition that never holds fails the test instead of hanging it.
pub async fn until(what: &str, condition: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "waited 10 s for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}
