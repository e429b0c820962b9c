//! The wasmCloud build of the service component
//! (`siptel_sms_service.wasmcloud.wasm`) served by `wash-runtime` 0.1.0
//! (this crate's runner) against the stub Siptel, both child processes,
//! over real HTTP on loopback: health, check, sends with a literal key and
//! with `secret:acme` (its key from the engine's `wasi:config/runtime`),
//! the refusals, bad and misrouted requests, and `describe`, whose 15 KB
//! answer once hung this engine (it reads a response only after the
//! handler returns, through a two-chunk buffer).
//!
//! `scripts/test-engines.sh` builds everything and runs it; by hand:
//! `SIPTEL_SMS_BIN=target/debug/siptel-sms
//! SIPTEL_SMS_SERVICE_WASMCLOUD=target/guest/siptel_sms_service.wasmcloud.wasm
//! cargo test --manifest-path tests/engines/wash/Cargo.toml`.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The key the stub accepts (`siptel-sms stub --api-key`).
const STUB_KEY: &str = "test-key";
/// How long an answer may take: far more than any answer needs, so a hang
/// fails the test instead of the CI run.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);
/// Compiling the component in a debug build of the engine takes seconds.
const START_WITHIN: Duration = Duration::from_secs(120);

/// `$var`, or `default` under the repository root.
fn path_from(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../..")
            .join(default)
    })
}

/// A child process killed on drop, with the stderr it wrote so far.
struct Process {
    child: Child,
    stderr: mpsc::Receiver<String>,
    name: &'static str,
}

impl Process {
    /// Starts `command` and waits for the stdout line that starts with
    /// `prefix`; returns the process and the rest of that line.
    fn start(name: &'static str, mut command: Command, prefix: &str) -> (Process, String) {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        let stderr = drain(child.stderr.take().expect("piped"));
        let stdout = child.stdout.take().expect("piped");
        let (lines_tx, lines_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut process = Process {
            child,
            stderr,
            name,
        };
        let deadline = std::time::Instant::now() + START_WITHIN;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match lines_rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.trim().strip_prefix(prefix) {
                        return (process, rest.trim().to_string());
                    }
                }
                Err(_) => panic!(
                    "{name} did not print `{prefix}` in time; stderr:\n{}",
                    process.stderr_so_far()
                ),
            }
        }
    }

    fn stderr_so_far(&mut self) -> String {
        if let Ok(Some(status)) = self.child.try_wait() {
            return format!(
                "(exited: {status})\n{}",
                self.stderr.try_iter().collect::<String>()
            );
        }
        self.stderr.try_iter().collect()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let stderr = self.stderr_so_far();
            eprintln!("--- {} stderr ---\n{stderr}", self.name);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn drain(stderr: ChildStderr) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(format!("{line}\n")).is_err() {
                break;
            }
        }
    });
    rx
}

/// An HTTP/1.1 answer.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request on a new connection (`connection: close`), answered within
/// [`ANSWER_WITHIN`] or the test fails. A plain client, so that what is
/// tested is the engine, not a client library's retries.
fn request(base: &str, method: &str, path: &str, body: Option<&[u8]>) -> Answer {
    let authority = base.strip_prefix("http://").expect("an http:// URL");
    let mut stream = TcpStream::connect(authority).expect("connecting");
    stream.set_read_timeout(Some(ANSWER_WITHIN)).unwrap();
    stream.set_write_timeout(Some(ANSWER_WITHIN)).unwrap();
    let body = body.unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("sending the head");
    stream.write_all(body).expect("sending the body");
    let mut raw = Vec::new();
    if let Err(e) = stream.read_to_end(&mut raw) {
        panic!(
            "{method} {path}: no complete answer within {ANSWER_WITHIN:?} ({e}); got {} bytes",
            raw.len()
        );
    }
    parse(&raw).unwrap_or_else(|| {
        panic!(
            "{method} {path}: not an HTTP answer: {:?}",
            String::from_utf8_lossy(&raw)
        )
    })
}

fn parse(raw: &[u8]) -> Option<Answer> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body)?;
    }
    Some(Answer {
        status,
        headers,
        body,
    })
}

fn dechunk(mut raw: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = raw.windows(2).position(|w| w == b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&raw[..line]).ok()?.trim(), 16).ok()?;
        raw = &raw[line + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(raw.get(..size)?);
        raw = raw.get(size + 2..)?;
    }
}

fn post(base: &str, path: &str, body: &Value) -> Answer {
    request(base, "POST", path, Some(body.to_string().as_bytes()))
}

/// The stub Siptel and the service on wash-runtime, allowed `secret:acme`.
struct Fixture {
    stub_url: String,
    service_url: String,
    // Dropped (killed) last, after the service.
    _processes: [Process; 2],
}

fn fixture() -> Fixture {
    let cli = path_from("SIPTEL_SMS_BIN", "target/debug/siptel-sms");
    let wasm = path_from(
        "SIPTEL_SMS_SERVICE_WASMCLOUD",
        "target/guest/siptel_sms_service.wasmcloud.wasm",
    );
    for (path, hint) in [
        (&cli, "cargo build -p siptel-sms-host"),
        (&wasm, "the same"),
    ] {
        assert!(path.exists(), "{} is missing: {hint}", path.display());
    }
    let mut stub = Command::new(&cli);
    stub.args(["stub", "--port", "0", "--api-key", STUB_KEY]);
    let (stub, stub_url) = Process::start("stub", stub, "stub Siptel listening on");

    let mut runner = Command::new(env!("CARGO_BIN_EXE_siptel-sms-wash-runner"));
    runner
        .arg(&wasm)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--secret",
            "acme=SIPTEL_KEY_ACME",
        ])
        .env("SIPTEL_KEY_ACME", STUB_KEY);
    let (service, service_url) = Process::start("wash-runtime", runner, "wash-runtime serving on");
    Fixture {
        stub_url,
        service_url,
        _processes: [service, stub],
    }
}

const EVERY_DAY: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// A config aimed at the stub whose window is always open.
fn config(stub_url: &str, api_key: &str) -> Value {
    json!({
        "api-key": api_key,
        "sender": "56961234567",
        "recipient": "{{phone}}",
        "message": "Hola {{name}}, su hora es el lunes 10:30.",
        "window-start": "00:00:00",
        "window-end": "23:59:59",
        "weekdays": EVERY_DAY,
        "base-url": stub_url,
        "deadline-ms": 10000
    })
}

fn entities() -> Value {
    json!({"phone": "+56 9 8765 4321", "name": "Ana"})
}

/// The requests the stub received since the last reset, then a reset.
fn stub_requests(stub_url: &str) -> Vec<Value> {
    let answer = request(stub_url, "GET", "/_stub/requests", None);
    assert_eq!(answer.status, 200, "{}", answer.text());
    let requests = answer.json().as_array().expect("a list").clone();
    let reset = request(stub_url, "POST", "/_stub/reset", Some(b"{}"));
    assert_eq!(reset.status, 200, "{}", reset.text());
    requests
}

/// Every scenario against one engine process: it compiles the component at
/// start (seconds in a debug build), and a request that hangs it would hang
/// every later one too, which the order below would show.
#[test]
fn the_service_answers_every_route_on_wash_runtime() {
    let f = fixture();
    health_is_ok(&f);
    check_of_a_valid_config_is_an_empty_list(&f);
    send_with_a_literal_key_reaches_siptel(&f);
    send_with_secret_acme_takes_the_key_from_wasi_config(&f);
    refusals_and_invalid_configs_are_422_and_send_nothing(&f);
    bad_oversized_and_misrouted_requests(&f);
    describe_answers_its_large_body_and_the_engine_keeps_serving(&f);
}

fn health_is_ok(f: &Fixture) {
    let answer = request(&f.service_url, "GET", "/v1/health", None);
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json()["status"], "ok");
}

fn check_of_a_valid_config_is_an_empty_list(f: &Fixture) {
    let answer = post(
        &f.service_url,
        "/v1/check",
        &json!({"config": config(&f.stub_url, "secret:acme")}),
    );
    assert_eq!((answer.status, answer.json()), (200, json!([])), "check");
}

fn send_with_a_literal_key_reaches_siptel(f: &Fixture) {
    stub_requests(&f.stub_url);
    let body = json!({"config": config(&f.stub_url, STUB_KEY), "entities": entities()});
    let answer = post(&f.service_url, "/v1/send", &body);
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json()["type"], "sent");
    let requests = stub_requests(&f.stub_url);
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(
        requests[0]["headers"]["authorization"],
        format!("Bearer {STUB_KEY}")
    );
    assert_eq!(requests[0]["body"]["recipient"], "56987654321");
}

fn send_with_secret_acme_takes_the_key_from_wasi_config(f: &Fixture) {
    stub_requests(&f.stub_url);
    let body = json!({"config": config(&f.stub_url, "secret:acme"), "entities": entities()});
    let answer = post(&f.service_url, "/v1/send", &body);
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json()["type"], "sent");
    assert!(!answer.text().contains(STUB_KEY), "{}", answer.text());
    let requests = stub_requests(&f.stub_url);
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(
        requests[0]["headers"]["authorization"],
        format!("Bearer {STUB_KEY}")
    );
}

fn refusals_and_invalid_configs_are_422_and_send_nothing(f: &Fixture) {
    stub_requests(&f.stub_url);
    let globex = json!({"config": config(&f.stub_url, "secret:globex"), "entities": entities()});
    let answer = post(&f.service_url, "/v1/send", &globex);
    assert_eq!(answer.status, 422, "{}", answer.text());
    assert_eq!(answer.json()["problems"][0]["field"], "api-key");
    assert_eq!(answer.json()["problems"][0]["code"], "not-allowed");

    let mut no_sender = config(&f.stub_url, "secret:acme");
    no_sender["sender"] = json!("");
    let answer = post(
        &f.service_url,
        "/v1/send",
        &json!({"config": no_sender, "entities": entities()}),
    );
    assert_eq!(answer.status, 422, "{}", answer.text());
    assert_eq!(answer.json()["problems"][0]["field"], "sender");
    assert_eq!(stub_requests(&f.stub_url).len(), 0);
}

fn bad_oversized_and_misrouted_requests(f: &Fixture) {
    let mut config = config(&f.stub_url, "secret:acme");
    config["max-attempts"] = json!("three");
    let answer = post(
        &f.service_url,
        "/v1/send",
        &json!({"config": config, "at": "now"}),
    );
    assert_eq!(answer.status, 400, "{}", answer.text());
    let problems: Vec<(String, String)> = answer.json()["problems"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|p| {
            (
                p["field"].as_str().unwrap_or_default().to_string(),
                p["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        problems,
        [
            ("at".to_string(), "unknown-field".to_string()),
            ("config.max-attempts".to_string(), "wrong-type".to_string()),
        ]
    );
    let big = format!(r#"{{"config": {{}}, "pad": "{}"}}"#, "x".repeat(300 * 1024));
    let answer = request(&f.service_url, "POST", "/v1/check", Some(big.as_bytes()));
    assert_eq!(answer.status, 413, "{}", answer.text());
    assert_eq!(request(&f.service_url, "GET", "/v1/nope", None).status, 404);
    let answer = request(&f.service_url, "GET", "/v1/send", None);
    assert_eq!(answer.status, 405, "{}", answer.text());
    assert_eq!(answer.header("allow"), Some("POST"));
    assert_eq!(stub_requests(&f.stub_url).len(), 0);
}

fn describe_answers_its_large_body_and_the_engine_keeps_serving(f: &Fixture) {
    for _ in 0..3 {
        let answer = request(&f.service_url, "GET", "/v1/describe", None);
        assert_eq!(answer.status, 200, "{}", answer.text());
        assert!(answer.body.len() > 8192, "{} bytes", answer.body.len());
        let form = answer.json();
        let fields = form["fields"].as_array().expect("fields");
        assert!(fields.iter().any(|field| field["id"] == "api-key"));
    }
    health_is_ok(f);
}
