//! End to end: the `siptel-sms` binary, run as a user runs it, from the
//! workspace root on the files in `examples/`. Sends go to a stub Siptel
//! started by the test and named with `--base-url`.
//!
//! Exit codes: 0 success, 1 error, 2 usage, 3 invalid, 4 blocked, 5 failed.

mod common;

use common::stub;
use serde_json::Value;
use siptel_stub::{StubConfig, StubSiptel};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What one run of the binary left behind.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    /// The standard output parsed as JSON.
    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self:?}"))
    }
}

/// The workspace root, where `examples/` lives.
fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host-harness lives in the workspace")
}

/// Runs `siptel-sms args...` from the workspace root.
/// `siptel-sms send CONFIG --entities examples/entities.json` to `stub` at
/// instant `at`, plus `extra` arguments.
fn send_example(stub: &StubSiptel, config: &str, at: &str, extra: &[&str]) -> Run {
    let base_url = stub.base_url();
    let mut args = vec![
        "send",
        config,
        "--entities",
        "examples/entities.json",
        "--base-url",
        &base_url,
        "--at",
        at,
    ];
    args.extend_from_slice(extra);
    siptel_sms(&args)
}

fn siptel_sms(args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_siptel-sms"))
        .args(args)
        .current_dir(workspace())
        .output()
        .expect("the siptel-sms binary runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Writes `contents` to a file of this test binary's scratch directory.
fn scratch_file(name: &str, contents: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    std::fs::write(&path, contents).expect("the scratch file is written");
    path
}

/// Every object key in `value`, recursively.
fn keys(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                keys(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

/// Asserts that every key is a WIT name: lower-case kebab-case.
#[track_caller]
fn assert_wit_names(value: &Value) {
    let mut all = Vec::new();
    keys(value, &mut all);
    for key in all {
        assert!(
            key.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{key:?} is not a WIT name in {value:#}"
        );
    }
}

/// A Monday morning, inside the examples' window.
const MONDAY_10: &str = "2026-09-07T10:00:00-03:00";
/// A Sunday morning, outside it.
const SUNDAY_10: &str = "2026-09-13T10:00:00-03:00";

#[test]
fn describe_json_is_valid_json_with_the_fields() {
    let run = siptel_sms(&["describe", "--json"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let form = run.json();
    assert_wit_names(&form);
    assert_eq!(form["name"]["es"], "Siptel SMS");
    let fields = form["fields"].as_array().expect("fields is a list");
    assert_eq!(fields.len(), 24);
    assert_eq!(fields[0]["id"], "api-key");
    assert_eq!(fields[0]["kind"], serde_json::json!({"type": "secret"}));
    assert_eq!(fields[0]["required"], true);
    let language = &fields[18];
    assert_eq!(language["id"], "language");
    assert_eq!(
        language["kind"],
        serde_json::json!({"type": "choice", "values": ["es", "en"]})
    );
    assert_eq!(language["default-value"], "es");
    let max_segments = &fields[20];
    assert_eq!(max_segments["id"], "max-segments");
    assert_eq!(
        max_segments["kind"],
        serde_json::json!({"type": "integer", "min": 1, "max": 10})
    );
    assert_eq!(max_segments["accepts-variables"], false);
}

#[test]
fn check_accepts_the_example_configs() {
    for example in [
        "examples/config.json",
        "examples/campaign.json",
        "examples/promotional.json",
    ] {
        let run = siptel_sms(&["check", example]);
        assert_eq!(run.code, Some(0), "{example}: {run:?}");
        assert_eq!(run.stdout, "valid: no problems\n", "{example}");
        assert_eq!(run.stderr, "", "{example}");
    }
}

#[test]
fn check_of_a_bad_config_exits_3_and_names_each_field_at_fault() {
    let config = scratch_file(
        "bad-config.json",
        r#"{
            "api-key": "",
            "sender": "56961234567",
            "recipient": "+56 2 2123 4567",
            "message": "Hola {{name}",
            "window-start": "09:00:00",
            "window-end": "18:00:00",
            "weekdays": []
        }"#,
    );
    let run = siptel_sms(&["check", config.to_str().unwrap()]);
    assert_eq!(run.code, Some(3), "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{run:?}");
    assert_eq!(lines[0], "4 problems");
    assert_eq!(lines[1], "  api-key [required]: Este campo es obligatorio.");
    assert!(
        lines[2].starts_with("  recipient [not-mobile]: "),
        "{run:?}"
    );
    assert!(
        lines[3].starts_with("  message [bad-placeholder]: "),
        "{run:?}"
    );
    assert!(lines[4].starts_with("  weekdays [no-weekday]: "), "{run:?}");
}

#[test]
fn preview_of_the_example_prints_the_text_encoding_segments_and_what_forced_ucs2() {
    let run = siptel_sms(&[
        "preview",
        "examples/config.json",
        "--entities",
        "examples/entities.json",
        "--at",
        MONDAY_10,
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        "from 56961234567 to 56987654321\n\
         message:\n  \
         Hola Ana, le recordamos su hora en Clínica Alemana el lunes 7 de septiembre a \
         las 10:30. Si no podrá asistir, responda NO a este mensaje.\n\
         encoding: ucs2, 137 UTF-16 units, 3 segments\n\
         UCS-2 forced by: í á\n\
         with encoding gsm7-transliterate: 1 segment instead of 3\n\
         error intent: SendSMS_SiptelSMS_ErrorError\n\
         window: open\n",
        "{run:?}"
    );
}

#[test]
fn preview_json_uses_wit_names() {
    let run = siptel_sms(&[
        "preview",
        "examples/config.json",
        "--entities",
        "examples/entities.json",
        "--at",
        SUNDAY_10,
        "--json",
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let preview = run.json();
    assert_wit_names(&preview);
    assert_eq!(preview["recipient"], "56987654321");
    assert_eq!(preview["encoding"], "ucs2");
    assert_eq!(preview["segments"], 3);
    assert_eq!(preview["ucs2-characters"], serde_json::json!(["í", "á"]));
    assert_eq!(preview["transliterated-segments"], 1);
    assert_eq!(preview["error-intent"], "SendSMS_SiptelSMS_ErrorError");
    let window = &preview["window"];
    assert_eq!(window["type"], "closed");
    assert_eq!(window["reason"], "weekday-disabled");
    assert_eq!(window["next-allowed"], "2026-09-14T09:00:00-03:00");
    assert_eq!(window["wait-seconds"], 82_800);
    assert!(
        window["description"]
            .as_str()
            .unwrap()
            .contains("America/Santiago"),
        "{run:?}"
    );
}

#[test]
fn send_to_a_stub_exits_0_and_prints_sent() {
    let stub = stub();
    let run = send_example(&stub, "examples/config.json", MONDAY_10, &[]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.starts_with("sent: sms_"), "{run:?}");
    assert!(
        run.stdout
            .contains(" (queued), 3 segments, 1 attempt, idempotency key "),
        "{run:?}"
    );
    let requests = stub.requests();
    assert_eq!(requests.len(), 1);
    let body = requests[0].json().unwrap();
    assert_eq!(body["recipient"], "56987654321");
    assert_eq!(body["encoding"], "ucs2");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Hola Ana, le recordamos"),
        "{body}"
    );
}

#[test]
fn send_over_https_trusts_the_certificate_given_with_ca_cert() {
    let stub = StubSiptel::start_tls(StubConfig::default()).unwrap();
    let run = send_example(
        &stub,
        "examples/config.json",
        MONDAY_10,
        &["--ca-cert", "stub/tls/cert.pem"],
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.starts_with("sent: sms_"), "{run:?}");
    assert_eq!(stub.requests().len(), 1);

    // Without it the stub's certificate is not trusted: nothing is sent
    // (one attempt: a connection failure would be retried).
    let mut config: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace().join("examples/config.json")).unwrap(),
    )
    .unwrap();
    config["max-attempts"] = 1.into();
    let once = scratch_file("one-attempt.json", &config.to_string());
    let run = send_example(&stub, once.to_str().unwrap(), MONDAY_10, &[]);
    assert_eq!(run.code, Some(5), "{run:?}");
    assert!(run.stdout.contains("[connection-failed]"), "{run:?}");
    assert_eq!(stub.requests().len(), 1);
}

#[test]
fn send_outside_the_window_exits_4_and_sends_nothing() {
    let stub = stub();
    let run = send_example(&stub, "examples/config.json", SUNDAY_10, &[]);
    assert_eq!(run.code, Some(4), "{run:?}");
    assert!(
        run.stdout.starts_with(
            "blocked (weekday-disabled): next allowed 2026-09-14T09:00:00-03:00 (in 82800 s)\n"
        ),
        "{run:?}"
    );
    assert!(run.stdout.contains("America/Santiago"), "{run:?}");
    assert_eq!(stub.request_count(), 0);
}

#[test]
fn send_json_of_the_campaign_example_uses_wit_names() {
    let stub = stub();
    let run = send_example(&stub, "examples/campaign.json", MONDAY_10, &["--json"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let outcome = run.json();
    assert_wit_names(&outcome);
    assert_eq!(outcome["type"], "sent");
    assert_eq!(outcome["campaign"], "bienvenida");
    assert_eq!(outcome["attempts"], 1);
    let key = outcome["idempotency-key"].as_str().expect("a key");
    let requests = stub.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v1/campaigns/bienvenida/sms");
    assert_eq!(requests[0].header("idempotency-key"), Some(key));
    assert_eq!(requests[0].header("x-siptel-rut"), Some("76354771-K"));
    assert_eq!(stub.sent()[0].text, "Hola Ana, bienvenido a Siptel.");
}

#[test]
fn an_unknown_flag_is_a_usage_error() {
    let run = siptel_sms(&["check", "examples/config.json", "--bogus"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with("error: unexpected argument '--bogus' found"),
        "{run:?}"
    );
    assert!(run.stderr.contains("Usage: siptel-sms check"), "{run:?}");
}

#[test]
fn an_unreadable_config_file_is_named_in_the_error() {
    let run = siptel_sms(&["check", "examples/missing.json"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with("error: cannot read the config file examples/missing.json: "),
        "{run:?}"
    );

    let run = siptel_sms(&[
        "preview",
        "examples/config.json",
        "--entities",
        "examples/missing-entities.json",
    ]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr
            .starts_with("error: cannot read the entities file examples/missing-entities.json: "),
        "{run:?}"
    );
}

#[test]
fn a_config_file_that_is_not_a_config_is_named_with_the_reason() {
    let misspelt = scratch_file("misspelt.json", r#"{"apikey": "test-key"}"#);
    let run = siptel_sms(&["check", misspelt.to_str().unwrap()]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.starts_with(&format!(
            "error: the config file {} is not valid: unknown field `apikey`, expected one of `api-key`",
            misspelt.display()
        )),
        "{run:?}"
    );

    let broken = scratch_file("broken.json", "{\"api-key\": ");
    let run = siptel_sms(&["check", broken.to_str().unwrap()]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.starts_with(&format!(
            "error: the config file {} is not valid: ",
            broken.display()
        )),
        "{run:?}"
    );
}

#[test]
fn at_garbage_is_a_clear_error() {
    for command in ["preview", "send"] {
        let run = siptel_sms(&[
            command,
            "examples/config.json",
            "--entities",
            "examples/entities.json",
            "--at",
            "garbage",
        ]);
        assert_eq!(run.code, Some(1), "{command}: {run:?}");
        assert_eq!(run.stdout, "", "{command}");
        assert!(
            run.stderr.starts_with(
                "error: --at \"garbage\" is not an RFC 3339 instant \
                 (e.g. 2026-09-07T09:00:00-03:00)"
            ),
            "{command}: {run:?}"
        );
    }
}

#[test]
fn a_config_must_be_an_object_not_a_list_of_fields() {
    let positional = scratch_file(
        "positional.json",
        r#"["test-key", "56961234567", "56987654321"]"#,
    );
    let run = siptel_sms(&["check", positional.to_str().unwrap()]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.starts_with(&format!(
            "error: the config file {} is not valid: expected a JSON object",
            positional.display()
        )),
        "{run:?}"
    );
}

#[test]
fn out_of_range_numbers_of_any_size_are_the_same_problem() {
    for value in ["255", "256", "-1", "99999999999999999999999"] {
        let text = format!(
            r#"{{"api-key": "k", "sender": "56961234567", "recipient": "56987654321",
                "message": "Hola", "window-start": "09:00", "window-end": "18:00",
                "weekdays": ["monday"], "max-attempts": {value}}}"#
        );
        let config = scratch_file(&format!("max-attempts-{value}.json"), &text);
        let run = siptel_sms(&["check", config.to_str().unwrap(), "--json"]);
        assert_eq!(run.code, Some(3), "{value}: {run:?}");
        let problems = run.json();
        assert_eq!(problems[0]["field"], "max-attempts", "{value}: {run:?}");
        assert_eq!(problems[0]["code"], "out-of-range", "{value}: {run:?}");
    }
}

#[test]
fn control_characters_in_echoed_values_are_shown_escaped() {
    // An invalid placeholder name that would retitle the terminal.
    let text = "{\"api-key\": \"k\", \"sender\": \"56961234567\", \"recipient\": \
                \"56987654321\", \"message\": \"{{\\u001b]0;owned\\u0007}}\", \
                \"window-start\": \"09:00\", \"window-end\": \"18:00\", \
                \"weekdays\": [\"monday\"]}";
    let config = scratch_file("escape.json", text);
    let run = siptel_sms(&["check", config.to_str().unwrap()]);
    assert_eq!(run.code, Some(3), "{run:?}");
    assert!(!run.stdout.contains('\u{1b}'), "{run:?}");
    assert!(run.stdout.contains("U+001B]0;ownedU+0007"), "{run:?}");
}

/// The bearer token of the `serve` tests' caller.
const SERVE_TOKEN: &str = "acme-serve-0123456789abcdef0123456789";

/// A `siptel-sms serve` process on a free port of 127.0.0.1, with caller
/// `acme`, its JSON log in a scratch file; killed on drop if still running.
struct Served {
    child: std::process::Child,
    addr: std::net::SocketAddr,
    log: PathBuf,
}

impl Served {
    fn start(name: &str, stub: &StubSiptel, extra: &[&str]) -> Served {
        let mut args: Vec<std::ffi::OsString> = vec![
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--base-url".into(),
            stub.base_url().into(),
            "--caller".into(),
            "acme=SIPTEL_SERVE_TEST_TOKEN".into(),
        ];
        args.extend(extra.iter().map(Into::into));
        Served::spawn(name, &args, &[])
    }

    /// `siptel-sms serve ARGS` with `envs` and the test binaries' compile
    /// cache, once it says where it listens.
    fn spawn(name: &str, args: &[std::ffi::OsString], envs: &[(&str, &str)]) -> Served {
        use std::io::BufRead;
        let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-serve-{name}.log"));
        let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wasmtime-cache");
        let mut child = Command::new(env!("CARGO_BIN_EXE_siptel-sms"))
            .arg("serve")
            .args(args)
            .arg("--compile-cache")
            .arg(&cache)
            .env("SIPTEL_SERVE_TEST_TOKEN", SERVE_TOKEN)
            .envs(envs.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("the log file"))
            .spawn()
            .expect("the siptel-sms binary runs");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let _ = tx.send(line);
            }
        });
        // A cold compile of the component takes half a minute on a debug
        // build; a warm cache, a fraction of a second.
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(180))
            .expect("serve says where it listens")
            .unwrap();
        let addr = line
            .rsplit("http://")
            .next()
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Served { child, addr, log }
    }

    /// The JSON lines of the log so far.
    fn log(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }

    /// Waits (at most 60 s) for the process to exit; its exit code.
    fn exit_code(&mut self) -> Option<i32> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(std::time::Instant::now() < deadline, "serve did not exit");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// A connection to the service from `source` (any 127.x address).
    fn connect_from(&self, source: [u8; 4]) -> std::net::TcpStream {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        let stream = runtime.block_on(async {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind((source, 0).into()).unwrap();
            socket.connect(self.addr).await.unwrap()
        });
        let stream = stream.into_std().unwrap();
        stream.set_nonblocking(false).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        stream
    }

    /// One request (`Connection: close`) from `source`: status and body.
    fn request(&self, source: [u8; 4], method: &str, path: &str, body: &str) -> (u16, String) {
        use std::io::Write;
        let mut stream = self.connect_from(source);
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nhost: siptel-sms.test\r\n\
             authorization: Bearer {SERVE_TOKEN}\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        read_answer(&mut stream)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Status and body of one answer on `stream` (its `content-length`
/// bytes), leaving the connection open.
fn read_response(stream: &mut std::net::TcpStream) -> (u16, String) {
    use std::io::Read;
    let mut bytes = Vec::new();
    let mut byte = [0];
    while !bytes.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).expect("an answer's head");
        bytes.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&bytes).into_owned();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no content-length: {head}"));
    let mut body = vec![0; length];
    stream.read_exact(&mut body).expect("the answer's body");
    let status = head[9..12].parse().expect("a status");
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Status and body of the answer on `stream`, read to its end.
fn read_answer(stream: &mut std::net::TcpStream) -> (u16, String) {
    use std::io::Read;
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("an answer");
    let status = text
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not HTTP: {text:?}"));
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, body.to_owned())
}

/// A send body aimed at `stub`, window always open, the key in the config.
fn serve_send_body(stub: &StubSiptel) -> String {
    serde_json::json!({"config": {
        "api-key": common::stub_key(), "sender": "56961234567", "recipient": "56987654321",
        "message": "Hola Ana, un mensaje privado", "window-start": "00:00", "window-end": "23:59:59",
        "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
        "send-on-holidays": true, "base-url": stub.base_url()
    }})
    .to_string()
}

#[test]
fn serve_answers_a_send_in_flight_at_sigterm_and_exits_0() {
    let stub = stub();
    stub.script([siptel_stub::Scripted::status(201).with_delay(std::time::Duration::from_secs(3))]);
    let mut served = Served::start("sigterm", &stub, &[]);
    let body = serve_send_body(&stub);
    let addr = served.addr;
    let send = {
        let mut stream = served.connect_from([127, 0, 0, 1]);
        std::thread::spawn(move || {
            use std::io::Write;
            write!(
                stream,
                "POST /v1/send HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {SERVE_TOKEN}\r\n\
                 content-length: {}\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
            read_answer(&mut stream)
        })
    };
    // SIGTERM once the POST has reached Siptel (which answers 3 s later).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while stub.request_count() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "no send reached the stub"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let kill = Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let (status, answer) = send.join().unwrap();
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        serde_json::from_str::<Value>(&answer).unwrap()["type"],
        "sent"
    );
    assert_eq!(served.exit_code(), Some(0), "{:?}", served.log());
    assert_eq!(stub.request_count(), 1);

    let log = served.log();
    let request = log
        .iter()
        .find(|line| line["message"] == "request" && line["route"] == "send")
        .unwrap_or_else(|| panic!("no request line: {log:?}"));
    assert_eq!(request["tenant"], "acme");
    assert_eq!(request["status"], 200);
    assert_eq!(request["outcome"], "sent");
    let key = serde_json::from_str::<Value>(&answer).unwrap()["idempotency-key"].clone();
    assert_eq!(request["idempotency_key"], key);
    assert!(request["latency_ms"].as_f64().unwrap() >= 1000.0);
    assert!(
        log.iter()
            .any(|line| line["message"].as_str().unwrap().starts_with("drained"))
    );
    // No token, key or message text in the log.
    let text = std::fs::read_to_string(&served.log).unwrap();
    for secret in [SERVE_TOKEN, &common::stub_key(), "mensaje privado"] {
        assert!(!text.contains(secret), "{secret} in the log:\n{text}");
    }
}

#[test]
fn serve_sheds_a_connection_flood_with_503_and_still_answers_checks() {
    let stub = stub();
    let served = Served::start(
        "flood",
        &stub,
        &["--max-connections", "8", "--max-connections-per-ip", "4"],
    );
    // One client holds its four connections, idle; its next ones are shed.
    let idle: Vec<_> = (0..4)
        .map(|_| served.connect_from([127, 0, 0, 2]))
        .collect();
    for _ in 0..6 {
        let (status, body) = read_answer(&mut served.connect_from([127, 0, 0, 2]));
        assert_eq!(status, 503, "{body}");
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap()["error"],
            "too-many-connections"
        );
    }
    // Another client's check is answered.
    let check = serde_json::json!({"config": serde_json::from_str::<Value>(&serve_send_body(&stub)).unwrap()["config"]});
    let (status, body) = served.request([127, 0, 0, 3], "POST", "/v1/check", &check.to_string());
    assert_eq!((status, body.as_str()), (200, "[]"));

    // At the total cap, a connection that has sent no request yet is
    // closed to make room for a client with a request.
    let mut held: Vec<_> = (0..4)
        .map(|_| served.connect_from([127, 0, 0, 4]))
        .collect();
    let (status, body) = served.request([127, 0, 0, 5], "POST", "/v1/check", &check.to_string());
    assert_eq!((status, body.as_str()), (200, "[]"));
    // Once every place is a connection that has sent a request (each asks
    // for health and is kept alive), the next one is shed.
    let shed_total = (10..40).any(|last| {
        let mut stream = served.connect_from([127, 0, 0, last]);
        std::io::Write::write_all(
            &mut stream,
            b"GET /v1/health HTTP/1.1\r\nhost: siptel-sms.test\r\n\r\n",
        )
        .unwrap();
        let (status, body) = read_response(&mut stream);
        match status {
            200 => {
                held.push(stream);
                false
            }
            503 => body.contains("too-many-connections"),
            other => panic!("{other}: {body}"),
        }
    });
    assert!(shed_total, "no connection was shed at the total cap");
    drop(held);
    drop(idle);
    // Once the idle connections are gone, a scrape gets in.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let metrics = loop {
        let (status, text) = served.request([127, 0, 0, 1], "GET", "/metrics", "");
        if status == 200 {
            break text;
        }
        assert!(std::time::Instant::now() < deadline, "the scrape is shed");
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert!(
        metrics.contains(r#"siptel_sms_connections_shed_total{reason="per-ip"} 6"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"siptel_sms_connections_shed_total{reason="total"}"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"siptel_sms_connections_shed_total{reason="idle-evicted"}"#),
        "{metrics}"
    );

    let log = served.log();
    let shed = log
        .iter()
        .find(|line| line["reason"] == "per-ip")
        .unwrap_or_else(|| panic!("no shed line: {log:?}"));
    assert_eq!(shed["level"], "WARN");
    assert_eq!(shed["client_ip"], "127.0.0.2");
    assert!(shed["message"].as_str().unwrap().contains("shed"));
}

#[test]
fn serve_takes_its_settings_from_a_file_below_the_environment_and_the_flags() {
    let stub = stub();
    let file = scratch_file(
        "serve.toml",
        &format!(
            "listen = \"127.0.0.1:0\"\nbase-url = \"{}\"\ncaller = [\"acme=SIPTEL_SERVE_TEST_TOKEN\"]\n\
             max-connections = 100\nmax-connections-per-ip = 10\nidle-timeout = 5\nlog-level = \"warn\"\n",
            stub.base_url()
        ),
    );
    let served = Served::spawn(
        "config",
        &[
            "--config".into(),
            file.into(),
            "--log-level".into(),
            "info".into(),
        ],
        &[("SIPTEL_SMS_MAX_CONNECTIONS", "50")],
    );
    let log = served.log();
    let listening = log
        .iter()
        .find(|line| line["message"].as_str().unwrap().starts_with("listening"))
        .unwrap_or_else(|| panic!("no listening line (the flag's info level): {log:?}"));
    assert_eq!(listening["max_connections"], 50, "the environment wins");
    assert_eq!(listening["max_connections_per_ip"], 10, "from the file");
    // The file's caller: a check needs its token.
    let check = serde_json::json!({"config": serde_json::from_str::<Value>(&serve_send_body(&stub)).unwrap()["config"]});
    let (status, body) = served.request([127, 0, 0, 1], "POST", "/v1/check", &check.to_string());
    assert_eq!((status, body.as_str()), (200, "[]"));

    let wrong = scratch_file("serve-wrong.toml", "max-conections = 5\n");
    let run = siptel_sms(&["serve", "--config", wrong.to_str().unwrap()]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("max-conections"), "{run:?}");
}
