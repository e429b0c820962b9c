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
