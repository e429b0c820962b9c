//! Shared set-up of the integration tests: one compiled component per test
//! binary (a debug host spends most of a second compiling it), a stub Siptel
//! per test, and a baseline config that is valid at any instant.

#![allow(dead_code)]

use siptel_sms::model::{Config, Entity, Outcome, Weekdays};
use siptel_sms_host::stub::{StubConfig, StubSiptel};
use siptel_sms_host::{CallOptions, Called, HostOptions, SiptelSms};
use std::sync::OnceLock;

/// The component, compiled once for this test binary.
pub fn action() -> &'static SiptelSms {
    static ACTION: OnceLock<SiptelSms> = OnceLock::new();
    ACTION.get_or_init(|| {
        SiptelSms::builtin(HostOptions::default()).expect("the built component loads")
    })
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
        api_key: stub_key(),
        sender: "56912345678".into(),
        recipient: "56987654321".into(),
        message: Some("Hola Ana, su hora es el lunes 10:30.".into()),
        window_start: "00:00:00".into(),
        window_end: "23:59:59".into(),
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
/// test's stub); a host error fails the test with its message.
pub async fn send(config: &Config, entities: &[Entity]) -> Called<Outcome> {
    send_with(
        config,
        entities,
        &CallOptions {
            siptel_base_url: config.base_url.clone(),
            ..CallOptions::default()
        },
    )
    .await
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
