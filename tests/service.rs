//! The service component (`wasi:http/proxy`) on this project's host, driven
//! in process through `SiptelSmsService::handle` (and once over TCP through
//! `serve`) against the stub Siptel: every outcome with its status, the
//! design-time paths, bad and oversized bodies, callers and their secrets.

mod common;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use siptel_sms_host::{Caller, Finished, HostOptions, Limits, SiptelSmsService};
use siptel_stub::{Scripted, StubSiptel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ACME_TOKEN: &str = "acme-0123456789abcdef0123456789abcdef";
const GLOBEX_TOKEN: &str = "globex-0123456789abcdef0123456789abcde";
/// The key the host holds as `globex`: the stub never accepts it, and no
/// answer may show it.
const GLOBEX_KEY: &str = "globex-real-key-never-shown";

/// A stub Siptel and a service allowed to reach it only, holding the stub's
/// key as secret `acme` (granted to the acme caller) and another key as
/// `globex` (granted to the globex caller).
struct Fixture {
    stub: StubSiptel,
    service: SiptelSmsService,
    finished: Arc<Mutex<Vec<Finished>>>,
}

fn fixture() -> Fixture {
    fixture_with(Limits::default())
}

fn fixture_with(limits: Limits) -> Fixture {
    let stub = common::stub();
    let options = HostOptions {
        siptel_base_url: stub.base_url(),
        secrets: [
            ("acme".to_string(), common::stub_key().into()),
            ("globex".to_string(), GLOBEX_KEY.into()),
        ]
        .into(),
        limits,
        ..common::host_options()
    };
    let caller = |tenant: &str, token: &str| Caller {
        tenant: tenant.into(),
        token: token.into(),
        secrets: [tenant.to_string()].into(),
    };
    let finished = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&finished);
    let service = SiptelSmsService::builtin(
        options,
        vec![caller("acme", ACME_TOKEN), caller("globex", GLOBEX_TOKEN)],
    )
    .expect("the service component loads")
    .on_finished(move |done| log.lock().unwrap().push(done));
    Fixture {
        stub,
        service,
        finished,
    }
}

/// A message config aimed at the stub whose window is always open, as JSON.
fn config(stub: &StubSiptel) -> Value {
    json!({
        "api-key": "secret:acme",
        "sender": "56961234567",
        "recipient": "{{phone}}",
        "message": "Hola {{name}}, su hora es el lunes 10:30.",
        "window-start": "00:00:00",
        "window-end": "23:59:59",
        "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
        "base-url": stub.base_url(),
        "deadline-ms": 10000
    })
}

fn entities() -> Value {
    json!({"phone": "+56 9 8765 4321", "name": "Ana"})
}

/// A response's status, headers and body (as text and as JSON).
struct Answer {
    status: u16,
    headers: http::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

impl Fixture {
    async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("http://siptel-sms.test{path}"))
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = request.body(Full::new(Bytes::from(body))).unwrap();
        let response = self.service.handle(request).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("the whole body")
            .to_bytes();
        Answer {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.request(
            "POST",
            path,
            Some(ACME_TOKEN),
            serde_json::to_vec(&body).unwrap(),
        )
        .await
    }

    /// `POST /v1/send` of the always-open config and the test entities.
    async fn send(&self) -> Answer {
        let body = json!({"config": config(&self.stub), "entities": entities()});
        self.post("/v1/send", body).await
    }

    async fn get(&self, path: &str) -> Answer {
        self.request("GET", path, Some(ACME_TOKEN), Vec::new())
            .await
    }
}

#[tokio::test]
async fn send_answers_sent_with_200_and_the_key_reaches_siptel_only() {
    let f = fixture();
    let answer = f.send().await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let outcome = answer.json();
    assert_eq!(outcome["type"], "sent");
    assert_eq!(outcome["attempts"], 1);
    assert!(outcome["id"].as_str().unwrap().starts_with("sms_"));
    assert!(!answer.text.contains(&common::stub_key()));

    let requests = f.stub.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {}", common::stub_key()).as_str())
    );
    assert_eq!(sent.json().unwrap()["recipient"], "56987654321");
}

#[tokio::test]
async fn send_outside_the_window_is_409_with_retry_after_and_sends_nothing() {
    let f = fixture();
    let mut config = config(&f.stub);
    // A window starting an hour from now (UTC) and an hour long never
    // contains now, overnight or not.
    let hour = (chrono::Utc::now().timestamp() / 3600 + 1) % 24;
    config["time-zone"] = "UTC".into();
    config["window-start"] = format!("{hour:02}:00:00").into();
    config["window-end"] = format!("{:02}:59:59", hour).into();
    let answer = f
        .post(
            "/v1/send",
            json!({"config": config, "entities": entities()}),
        )
        .await;
    assert_eq!(answer.status, 409, "{}", answer.text);
    let outcome = answer.json();
    assert_eq!(outcome["type"], "blocked");
    assert_eq!(outcome["reason"], "outside-hours");
    let wait = outcome["wait-seconds"].as_u64().unwrap();
    assert!((1..=3600).contains(&wait), "{wait}");
    assert_eq!(answer.headers["retry-after"], wait.to_string().as_str());
    assert_eq!(f.stub.request_count(), 0);
}

#[tokio::test]
async fn send_invalid_is_422_with_every_problem_and_sends_nothing() {
    let f = fixture();
    let mut config = config(&f.stub);
    config["sender"] = "".into();
    config["max-attempts"] = 99.into();
    let answer = f
        .post(
            "/v1/send",
            json!({"config": config, "entities": entities()}),
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    let outcome = answer.json();
    assert_eq!(outcome["type"], "invalid");
    let fields: Vec<&str> = outcome["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["sender", "max-attempts"]);
    assert_eq!(f.stub.request_count(), 0);
}

#[tokio::test]
async fn send_failed_is_502_with_the_error_intent() {
    let f = fixture();
    f.stub.script([Scripted::status(402)]);
    let answer = f.send().await;
    assert_eq!(answer.status, 502, "{}", answer.text);
    let outcome = answer.json();
    assert_eq!(outcome["type"], "failed");
    assert_eq!(outcome["code"], "insufficient-balance");
    assert_eq!(outcome["error-intent"], "SendSMS_SiptelSMS_ErrorError");
    assert_eq!(outcome["possibly-sent"], false);
}

#[tokio::test]
async fn check_and_preview_answer_what_the_cli_prints() {
    let f = fixture();
    let clean = f
        .post("/v1/check", json!({"config": config(&f.stub)}))
        .await;
    assert_eq!((clean.status, clean.json()), (200, json!([])));

    let mut wrong = config(&f.stub);
    wrong["window-end"] = "25:00".into();
    let problems = f.post("/v1/check", json!({"config": wrong})).await;
    assert_eq!(problems.status, 422);
    assert_eq!(problems.json()[0]["field"], "window-end");
    assert_eq!(problems.json()[0]["code"], "invalid-time");

    let mut workdays = config(&f.stub);
    workdays["weekdays"] = json!(["monday", "tuesday", "wednesday", "thursday", "friday"]);
    let body =
        json!({"config": workdays, "entities": entities(), "at": "2026-09-06T10:00:00-03:00"});
    let preview = f.post("/v1/preview", body).await;
    assert_eq!(preview.status, 200, "{}", preview.text);
    let preview = preview.json();
    assert_eq!(preview["recipient"], "56987654321");
    assert_eq!(preview["message"], "Hola Ana, su hora es el lunes 10:30.");
    assert_eq!(preview["window"]["type"], "closed");
    assert_eq!(
        preview["window"]["next-allowed"],
        "2026-09-07T00:00:00-03:00"
    );

    let unresolved = f
        .post("/v1/preview", json!({"config": config(&f.stub)}))
        .await;
    assert_eq!(unresolved.status, 422);
    assert_eq!(unresolved.json()[0]["code"], "missing-variable");
    assert_eq!(f.stub.request_count(), 0);
}

#[tokio::test]
async fn describe_and_health_answer_get() {
    let f = fixture();
    let form = f.get("/v1/describe").await;
    assert_eq!(form.status, 200);
    let fields = form.json()["fields"].as_array().unwrap().len();
    assert_eq!(fields, siptel_sms::describe().fields.len());

    // Probes need no token.
    let health = f.request("GET", "/v1/health", None, Vec::new()).await;
    assert_eq!(health.status, 200, "{}", health.text);
    assert_eq!(health.json()["status"], "ok");
    assert_eq!(health.json()["tzdata"], siptel_sms::tz::TZDATA_VERSION);
}

#[tokio::test]
async fn bad_bodies_get_400_with_field_named_problems() {
    let f = fixture();
    let not_json = f
        .request(
            "POST",
            "/v1/send",
            Some(ACME_TOKEN),
            b"{\"config\": ".to_vec(),
        )
        .await;
    assert_eq!(not_json.status, 400);
    assert_eq!(not_json.json()["error"], "bad-request");
    assert_eq!(not_json.json()["problems"][0]["code"], "not-json");

    let mut config = config(&f.stub);
    config["max-attempts"] = "three".into();
    config["langauge"] = "en".into();
    let body = json!({"config": config, "entities": {"name": 7}, "at": "2026-09-07T09:00:00Z"});
    let answer = f.post("/v1/send", body).await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    let named: Vec<(String, String)> = answer.json()["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["field"].as_str().unwrap().into(),
                p["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            ("at".into(), "unknown-field".into()),
            ("config.langauge".into(), "unknown-field".into()),
            ("entities.name".into(), "wrong-type".into()),
        ]
    );
    let array = f.post("/v1/check", json!([config])).await;
    assert_eq!(array.status, 400);
    assert_eq!(array.json()["problems"][0]["code"], "not-an-object");
    assert_eq!(f.stub.request_count(), 0);
}

#[tokio::test]
async fn an_oversized_body_gets_413() {
    let f = fixture();
    let mut body = serde_json::to_vec(&json!({"config": config(&f.stub)})).unwrap();
    body.extend(std::iter::repeat_n(
        b' ',
        siptel_sms_service::body::MAX_BODY_BYTES,
    ));
    let answer = f.request("POST", "/v1/send", Some(ACME_TOKEN), body).await;
    assert_eq!(answer.status, 413, "{}", answer.text);
    assert_eq!(answer.json()["error"], "body-too-large");
    assert_eq!(f.stub.request_count(), 0);
}

#[tokio::test]
async fn paths_and_methods_outside_the_api_get_404_and_405() {
    let f = fixture();
    assert_eq!(f.get("/v1/sms").await.status, 404);
    let wrong = f.get("/v1/send").await;
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.headers["allow"], "POST");
}

#[tokio::test]
async fn a_secret_not_granted_to_the_caller_is_refused_and_nothing_is_sent() {
    let f = fixture();
    let mut config = config(&f.stub);
    config["api-key"] = "secret:globex".into();
    config["recipient"] = "2".into();
    let answer = f
        .post(
            "/v1/send",
            json!({"config": config, "entities": entities()}),
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    let problems = &answer.json()["problems"];
    assert_eq!(problems[0]["field"], "api-key");
    assert_eq!(problems[0]["code"], "not-allowed");
    // The other problems come along.
    assert_eq!(problems[1]["field"], "recipient");
    assert!(!answer.text.contains(GLOBEX_KEY));
    assert_eq!(f.stub.request_count(), 0);

    // The same name is the globex caller's own.
    let mut config = self::config(&f.stub);
    config["api-key"] = "secret:globex".into();
    let body = serde_json::to_vec(&json!({"config": config, "entities": entities()})).unwrap();
    let globex = f
        .request("POST", "/v1/send", Some(GLOBEX_TOKEN), body)
        .await;
    // The stub does not take globex's key: Siptel refused it, for good.
    assert_eq!(globex.status, 502, "{}", globex.text);
    assert_eq!(globex.json()["code"], "invalid-api-key");
    assert!(!globex.text.contains(GLOBEX_KEY));
    let requests = f.stub.requests();
    assert_eq!(
        requests[0].header("authorization"),
        Some(format!("Bearer {GLOBEX_KEY}").as_str())
    );
}

#[tokio::test]
async fn callers_without_a_known_token_get_401() {
    let f = fixture();
    let body = serde_json::to_vec(&json!({"config": config(&f.stub)})).unwrap();
    for token in [None, Some("not-a-caller-0123456789abcdef0123456789")] {
        let answer = f.request("POST", "/v1/send", token, body.clone()).await;
        assert_eq!(answer.status, 401, "{}", answer.text);
        assert_eq!(answer.headers["www-authenticate"], "Bearer");
        assert_eq!(answer.json()["error"], "unauthorized");
    }
    assert_eq!(f.stub.request_count(), 0);
    // Nothing ran: no sandbox was made.
    assert!(f.finished.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_caller_past_its_share_of_slots_gets_503_with_retry_after() {
    let f = fixture_with(Limits {
        tenant_slots: 1,
        slot_wait: Duration::from_millis(100),
        ..Limits::default()
    });
    f.stub
        .script([Scripted::status(201).with_delay(Duration::from_millis(800))]);
    let body = json!({"config": config(&f.stub), "entities": entities()});
    let later = |token: &'static str, secret: &str| {
        let mut config = config(&f.stub);
        config["api-key"] = format!("secret:{secret}").into();
        let check = serde_json::to_vec(&json!({ "config": config })).unwrap();
        let f = &f;
        async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            f.request("POST", "/v1/check", Some(token), check).await
        }
    };
    let (slow, acme, globex) = tokio::join!(
        f.post("/v1/send", body),
        later(ACME_TOKEN, "acme"),
        later(GLOBEX_TOKEN, "globex")
    );
    assert_eq!(slow.status, 200, "{}", slow.text);
    assert_eq!(acme.status, 503, "{}", acme.text);
    assert_eq!(acme.json()["error"], "busy");
    assert_eq!(acme.headers["retry-after"], "1");
    // Another tenant is not held up by acme's share.
    assert_eq!(globex.status, 200, "{}", globex.text);
}

/// A request body whose bytes never come, as a client that trickles or
/// stalls its upload sends it.
struct StalledBody;

impl hyper::body::Body for StalledBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Pending
    }
}

#[tokio::test]
async fn a_stalled_request_body_holds_no_instance_slot() {
    let f = fixture_with(Limits {
        tenant_slots: 1,
        slot_wait: Duration::from_millis(100),
        ..Limits::default()
    });
    let stalled = http::Request::post("http://siptel-sms.test/v1/send")
        .header("authorization", format!("Bearer {ACME_TOKEN}"))
        .header("content-length", "1000")
        .body(StalledBody)
        .unwrap();
    let check = async {
        // Well after the stalled request has arrived.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let body = json!({ "config": config(&f.stub) });
        f.post("/v1/check", body).await
    };
    let stalled = tokio::time::timeout(Duration::from_secs(2), f.service.handle(stalled));
    let (stalled, check) = tokio::join!(stalled, check);
    // The same tenant, whose share is one slot, is served at once: the
    // stalled body is waited for outside the sandbox.
    assert_eq!(check.status, 200, "{}", check.text);
    assert!(stalled.is_err(), "the stalled request is still being read");
    assert!(
        f.finished
            .lock()
            .unwrap()
            .iter()
            .all(|done| done.path == "/v1/check")
    );
}

#[tokio::test]
async fn the_sandbox_reports_each_request_with_nothing_refused() {
    let f = fixture();
    let answer = f.send().await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    // The report comes when the request's task ends, just after the body.
    let report = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Some(done) = f.finished.lock().unwrap().pop() {
                return done;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("a report");
    assert_eq!(
        (report.method.as_str(), report.path.as_str()),
        ("POST", "/v1/send")
    );
    let observed = report.result.expect("no host error");
    assert!(observed.denied.is_empty(), "{:?}", observed.denied);
    assert!(observed.stderr.is_empty(), "{}", observed.stderr);
}

#[tokio::test]
async fn serves_keep_alive_http_over_tcp() {
    let f = fixture();
    let stub_url = f.stub.base_url();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(Arc::new(f.service).serve(listener));

    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    for _ in 0..2 {
        let config = json!({"config": {
            "api-key": "secret:acme", "sender": "56961234567", "recipient": "56987654321",
            "message": "Hola", "window-start": "00:00", "window-end": "23:59:59",
            "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
            "base-url": stub_url
        }});
        let request = http::Request::post(format!("http://{addr}/v1/send"))
            .header("authorization", format!("Bearer {ACME_TOKEN}"))
            .body(Full::new(Bytes::from(serde_json::to_vec(&config).unwrap())))
            .unwrap();
        let response = client.request(request).await.expect("the service answers");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let outcome: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(outcome["type"], "sent");
    }
    assert_eq!(f.stub.sent_count(), 2);
    server.abort();
}

#[tokio::test]
async fn the_example_bodies_are_what_the_api_takes() {
    let f = fixture();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/service");
    let read = |name: &str| -> Value {
        let text = std::fs::read_to_string(examples.join(name)).expect("the example exists");
        serde_json::from_str(&text).expect("the example is JSON")
    };
    let preview = f.post("/v1/preview", read("preview.json")).await;
    assert_eq!(preview.status, 200, "{}", preview.text);
    assert_eq!(preview.json()["recipient"], "56987654321");
    // Sunday: the window opens on Monday at 09:00.
    assert_eq!(
        preview.json()["window"]["next-allowed"],
        "2026-09-07T09:00:00-03:00"
    );
    let send = read("send.json");
    let check = f.post("/v1/check", json!({"config": send["config"]})).await;
    assert_eq!((check.status, check.json()), (200, json!([])));
}

/// Waits (at most 10 s) until the stub has received `n` requests.
async fn stub_received(stub: &StubSiptel, n: usize) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while stub.request_count() < n {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the request reaches the stub");
}

#[tokio::test]
async fn health_and_ready_take_no_slot_and_read_no_body() {
    // One slot, held by a slow send.
    let f = fixture_with(Limits {
        concurrent_calls: 1,
        quick_reserve: 0,
        slot_wait: Duration::from_millis(100),
        ..Limits::default()
    });
    f.stub
        .script([Scripted::status(201).with_delay(Duration::from_secs(2))]);
    let send = f.send();
    let probes = async {
        stub_received(&f.stub, 1).await;
        // The only slot is taken: a check is refused...
        let check = f
            .post("/v1/check", json!({"config": config(&f.stub)}))
            .await;
        assert_eq!(check.status, 503, "{}", check.text);
        let busy = sample(&f.service.metrics_text(), "siptel_sms_busy_refusals_total");
        assert_eq!(busy, 1.0);
        // ...while a flood of probes, without a token and with bodies that
        // never come, is answered at once.
        for _ in 0..50 {
            for path in ["/v1/health", "/v1/ready"] {
                let probe = http::Request::get(format!("http://siptel-sms.test{path}"))
                    .header("content-length", "1000")
                    .body(StalledBody)
                    .unwrap();
                let answer = tokio::time::timeout(Duration::from_secs(1), f.service.handle(probe))
                    .await
                    .unwrap_or_else(|_| panic!("{path} waited"));
                assert_eq!(answer.status(), 200, "{path}");
            }
        }
        let health = f.request("GET", "/v1/health", None, Vec::new()).await;
        assert_eq!(health.json()["tzdata"], siptel_sms::tz::TZDATA_VERSION);
        assert_eq!(
            f.request("GET", "/v1/ready", None, Vec::new()).await.json()["status"],
            "ready"
        );
    };
    let (send, ()) = tokio::join!(send, probes);
    assert_eq!(send.status, 200, "{}", send.text);
    // No probe made a sandbox: the send (and the refused check, which got
    // no slot) are all the host ran.
    let finished = f.finished.lock().unwrap();
    assert!(finished.iter().all(|done| done.path == "/v1/send"));
}

/// The value of the sample `series` (name and labels as exposed) in
/// `text`, 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.parse().expect("a number"))
}

#[tokio::test]
async fn metrics_count_a_send_by_outcome() {
    let f = fixture();
    let scrape = async || {
        let answer = f.request("GET", "/metrics", None, Vec::new()).await;
        assert_eq!(answer.status, 200);
        assert!(
            answer.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/openmetrics-text")
        );
        answer.text
    };
    let sent = r#"siptel_sms_sends_total{outcome="sent",code=""}"#;
    let failed = r#"siptel_sms_sends_total{outcome="failed",code="insufficient-balance"}"#;
    let before = scrape().await;
    let answer = f.send().await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.headers["x-siptel-outcome"], "sent");
    assert_eq!(
        answer.headers["idempotency-key"],
        answer.json()["idempotency-key"].as_str().unwrap()
    );
    f.stub.script([Scripted::status(402)]);
    let answer = f.send().await;
    assert_eq!(answer.status, 502, "{}", answer.text);
    let after = scrape().await;
    assert_eq!(sample(&after, sent), sample(&before, sent) + 1.0, "{after}");
    assert_eq!(sample(&after, failed), sample(&before, failed) + 1.0);
    let sends = r#"siptel_sms_request_duration_seconds_count{route="send"}"#;
    assert_eq!(sample(&after, sends), 2.0, "{after}");
    // Nothing of a caller, a key or a body is in a label.
    assert!(!after.contains("acme") && !after.contains(&common::stub_key()));

    // A send aimed elsewhere is refused by the egress hook, and counted
    // when its sandbox is gone (just after the answer).
    let mut elsewhere = config(&f.stub);
    elsewhere["base-url"] = "http://127.0.0.1:9".into();
    let answer = f
        .post(
            "/v1/send",
            json!({"config": elsewhere, "entities": entities()}),
        )
        .await;
    assert_eq!(
        answer.headers["x-siptel-code"], "request-denied",
        "{}",
        answer.text
    );
    tokio::time::timeout(Duration::from_secs(5), async {
        while sample(
            &f.service.metrics_text(),
            "siptel_sms_egress_refusals_total",
        ) < 1.0
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the refusal is counted");
}

#[tokio::test]
async fn serve_until_drains_a_send_in_flight_and_then_stops_accepting() {
    let f = fixture();
    f.stub
        .script([Scripted::status(201).with_delay(Duration::from_secs(1))]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let service = Arc::new(f.service);
    let server = tokio::spawn(Arc::clone(&service).serve_until(
        listener,
        siptel_sms_host::ServeOptions::default(),
        async {
            let _ = stopped.await;
        },
    ));
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let body = json!({"config": config(&f.stub), "entities": entities()});
    let request = http::Request::post(format!("http://{addr}/v1/send"))
        .header("authorization", format!("Bearer {ACME_TOKEN}"))
        .body(Full::new(Bytes::from(serde_json::to_vec(&body).unwrap())))
        .unwrap();
    let send = tokio::spawn(client.request(request));
    stub_received(&f.stub, 1).await;
    stop.send(()).unwrap();
    let drained = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the drain ends")
        .unwrap();
    assert!(drained.complete, "{drained:?}");
    let response = send.await.unwrap().expect("the send is answered");
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["type"],
        "sent"
    );
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    let ready = service
        .handle(
            http::Request::get("http://siptel-sms.test/v1/ready")
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await;
    assert_eq!(ready.status(), 503);
}
