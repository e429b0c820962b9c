//! End to end: the real `.wasm` in wasmtime, sending to the stub Siptel over
//! loopback HTTP (and HTTPS) through `wasi:http`.

mod common;
#[path = "../examples/rust/embed.rs"]
mod embed;

use common::*;
use serde_json::json;
use siptel_sms::model::{Config, FailureCode, FieldId, Outcome, ProblemCode, Purpose};
use siptel_sms_host::{CallOptions, HostOptions, SiptelSms};
use siptel_stub::{StubConfig, StubSiptel, TLS_CERT_PEM};

#[tokio::test]
async fn a_promotional_message_goes_out_with_its_opt_out_on_the_last_line() {
    let stub = stub();
    let config = Config {
        purpose: Some(Purpose::Promotional),
        message: Some("Oferta: 20% en su próxima visita.".into()),
        opt_out: Some("Para no recibir más, responda BAJA".into()),
        ..config(&stub)
    };
    let receipt = expect_sent(&send(&config, &[]).await.value).clone();
    assert_eq!(receipt.segments, 1);
    let body = stub.requests()[0].json().expect("a JSON body");
    assert_eq!(
        body["message"],
        "Oferta: 20% en su próxima visita.\nPara no recibir más, responda BAJA"
    );
    // Without an opt-out a promotional message is not sent.
    let no_opt_out = Config {
        opt_out: None,
        ..config
    };
    let problems = expect_invalid(&send(&no_opt_out, &[]).await.value).to_vec();
    assert_eq!(
        problems
            .iter()
            .map(|p| (p.field, p.code))
            .collect::<Vec<_>>(),
        [(FieldId::OptOut, ProblemCode::Required)]
    );
    assert_eq!(stub.request_count(), 1);
}

#[tokio::test]
async fn sends_a_message_and_the_stub_records_the_exact_request() {
    let stub = stub();
    let config = config(&stub);
    let called = send(&config, &[]).await;

    let Outcome::Sent(receipt) = &called.value else {
        panic!("expected sent, got {:?}", called.value)
    };
    assert_eq!(receipt.attempts, 1);
    assert_eq!(receipt.segments, 1);
    assert!(receipt.id.starts_with("sms_"), "{receipt:?}");

    let requests = stub.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/sms");
    assert_eq!(
        request.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(request.header("accept"), Some("application/json"));
    // One body of a known length, never chunked.
    assert_eq!(
        request.header("content-length"),
        Some(request.body.len().to_string().as_str())
    );
    assert_eq!(request.header("transfer-encoding"), None);
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {}", stub_key()).as_str())
    );
    assert_eq!(
        request.header("user-agent"),
        Some(concat!("siptel-sms/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(
        request.header("idempotency-key"),
        Some(receipt.idempotency_key.as_str())
    );
    assert_eq!(request.header("x-siptel-rut"), None);
    assert_eq!(
        request.json(),
        Some(json!({
            "sender": "56961234567",
            "recipient": "56987654321",
            "message": "Hola Ana, su hora es el lunes 10:30.",
            "encoding": "gsm7",
        }))
    );
    assert_eq!(stub.sent_count(), 1);
    assert!(called.denied.is_empty());
}

#[tokio::test]
async fn flow_variables_are_rendered_before_sending() {
    let stub = stub();
    let mut config = config(&stub);
    config.recipient = "{{ customer_phone }}".into();
    config.message = Some("Hola {{name}}, ¿confirma su hora?".into());
    let called = send(
        &config,
        &entities(&[("customer_phone", "+56 9 8765 4321"), ("name", "Ana")]),
    )
    .await;

    expect_sent(&called.value);
    let body = stub.requests()[0].json().unwrap();
    assert_eq!(body["recipient"], "56987654321");
    assert_eq!(body["message"], "Hola Ana, ¿confirma su hora?");
    assert_eq!(body["encoding"], "gsm7");
}

#[tokio::test]
async fn an_invalid_config_gets_every_problem_and_sends_nothing() {
    let stub = stub();
    let mut config = config(&stub);
    config.api_key = "".into();
    config.recipient = "56221234567".into();
    config.message = Some("Hola {{nombre}}".into());
    let called = send(&config, &[]).await;

    let Outcome::Invalid { problems } = &called.value else {
        panic!("expected invalid, got {:?}", called.value)
    };
    let codes: Vec<_> = problems.iter().map(|p| p.code).collect();
    assert_eq!(
        codes,
        [
            ProblemCode::Required,
            ProblemCode::NotMobile,
            ProblemCode::MissingVariable
        ],
        "{problems:#?}"
    );
    assert_eq!(stub.request_count(), 0);
}

#[tokio::test]
async fn sends_over_https_only_to_a_server_the_host_trusts() {
    // The way a real send takes: `https` through wasi:http, the egress hook
    // and the pool's TLS, to a stub that speaks TLS.
    let stub = StubSiptel::start_tls(StubConfig::default()).expect("the stub starts");
    assert!(stub.base_url().starts_with("https://"));
    let host = |tls_roots_pem: Option<String>| {
        SiptelSms::builtin(HostOptions {
            siptel_base_url: stub.base_url(),
            tls_roots_pem,
            ..common::host_options()
        })
        .expect("the component loads")
    };
    let config = Config {
        max_attempts: Some(1),
        ..config(&stub)
    };

    let trusting = host(Some(TLS_CERT_PEM.into()));
    let called = trusting
        .send(&config, &[], &CallOptions::default())
        .await
        .unwrap();
    expect_sent(&called.value);
    assert_eq!(stub.requests().len(), 1);

    // Without the certificate the handshake fails and nothing reaches Siptel.
    let untrusting = host(None);
    let called = untrusting
        .send(&config, &[], &CallOptions::default())
        .await
        .unwrap();
    let Outcome::Failed(failure) = &called.value else {
        panic!("expected failed, got {:?}", called.value)
    };
    assert_eq!(failure.code, FailureCode::ConnectionFailed);
    assert_eq!(stub.requests().len(), 1);
}

#[tokio::test]
async fn the_readme_rust_example_sends_for_its_tenant_with_the_key_the_host_holds() {
    let stub = stub();
    let answer = embed::run(&stub.base_url(), &stub_key())
        .await
        .expect("the example runs");
    assert!(answer.starts_with("sent sms_"), "{answer}");
    let [request] = stub.requests().try_into().expect("one request");
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {}", stub_key()).as_str())
    );
    assert_eq!(
        request.json().unwrap()["message"],
        "Hola Ana, su hora es mañana."
    );
}

#[test]
fn the_readme_shows_the_examples_as_they_are_tested() {
    // Each is run by its own language's tests (tests/send.rs, python/tests,
    // node/test); the README must show what runs.
    let readme = include_str!("../README.md");
    let examples = [
        (
            "examples/rust/embed.rs",
            include_str!("../examples/rust/embed.rs"),
        ),
        (
            "python/examples/embed.py",
            include_str!("../python/examples/embed.py"),
        ),
        (
            "node/examples/embed.mjs",
            include_str!("../node/examples/embed.mjs"),
        ),
    ];
    for (path, example) in examples {
        assert!(
            readme.contains(example),
            "README.md does not show {path} as it is"
        );
    }
}
