//! The stub against the contract, over real sockets.

use super::*;
use std::io::{Read, Write};
use std::net::TcpStream;

const KEY: &str = "test-key";

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends raw bytes and reads until the server closes; returns every byte read.
fn exchange(addr: SocketAddr, raw: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(raw)?;
    let mut out = Vec::new();
    stream.read_to_end(&mut out)?;
    Ok(out)
}

fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut raw = format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n");
    for (name, value) in headers {
        raw.push_str(&format!("{name}: {value}\r\n"));
    }
    raw.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut raw = raw.into_bytes();
    raw.extend_from_slice(body);
    let out = exchange(addr, &raw).expect("exchange");
    parse_reply(&out)
}

fn parse_reply(out: &[u8]) -> Reply {
    let end = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(out)));
    let head = std::str::from_utf8(&out[..end]).expect("head is UTF-8");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: out[end + 4..].to_vec(),
    }
}

fn sms_body() -> Value {
    json!({"sender": "56961234567", "recipient": "56987654321",
           "message": "Hola Ana, su hora es el lunes 10:30.", "encoding": "gsm7"})
}

fn post(stub: &StubSiptel, path: &str, extra: &[(&str, &str)], body: &Value) -> Reply {
    let auth = format!("Bearer {KEY}");
    let mut headers = vec![
        ("authorization", auth.as_str()),
        ("content-type", "application/json; charset=utf-8"),
        ("accept", "application/json"),
        ("idempotency-key", "key-00000001"),
    ];
    for (name, value) in extra {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        headers.push((name, value));
    }
    http(
        stub.addr(),
        "POST",
        path,
        &headers,
        body.to_string().as_bytes(),
    )
}

fn send(stub: &StubSiptel, extra: &[(&str, &str)], body: &Value) -> Reply {
    post(stub, "/v1/sms", extra, body)
}

fn stub() -> StubSiptel {
    StubSiptel::start(StubConfig::default()).expect("stub starts")
}

#[test]
fn accepts_valid_send() {
    let stub = stub();
    let reply = send(&stub, &[], &sms_body());
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let answer = reply.json();
    assert!(answer["id"].as_str().unwrap().starts_with("sms_"));
    assert_eq!(answer["status"], "queued");
    assert_eq!(answer["segments"], 1);
    assert!(answer.get("campaign").is_none());
    assert_eq!(stub.sent_count(), 1);
    let requests = stub.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/v1/sms")
    );
    assert_eq!(request.header("Authorization"), Some("Bearer test-key"));
    assert_eq!(request.json(), Some(sms_body()));
    assert_eq!(request.answered_status, Some(201));
    assert_eq!(stub.sent()[0].text, "Hola Ana, su hora es el lunes 10:30.");
}

#[test]
fn long_and_unicode_messages_count_segments() {
    let stub = stub();
    let mut body = sms_body();
    body["message"] = json!("a".repeat(161));
    assert_eq!(
        send(&stub, &[("idempotency-key", "long-gsm7")], &body).json()["segments"],
        2
    );
    body["message"] = json!("¿Cómo está? 🙂");
    body["encoding"] = json!("ucs2");
    assert_eq!(
        send(&stub, &[("idempotency-key", "short-ucs2")], &body).json()["segments"],
        1
    );
}

#[test]
fn rejects_bad_api_key() {
    let stub = stub();
    let reply = send(&stub, &[("authorization", "Bearer wrong")], &sms_body());
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (401, "invalid_api_key")
    );
    let reply = send(
        &stub,
        &[("authorization", "Basic dGVzdC1rZXk=")],
        &sms_body(),
    );
    assert_eq!(reply.status, 401);
    assert_eq!(stub.sent_count(), 0);
}

#[test]
fn unregistered_ip_needs_valid_rut() {
    let config = StubConfig {
        ip_registered: false,
        ..StubConfig::default()
    };
    let stub = StubSiptel::start(config).unwrap();
    let reply = send(&stub, &[], &sms_body());
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (403, "ip_not_authorized")
    );
    for bad in ["12345678-4", "12.345.678-5", "12345678", "012345678-5"] {
        let reply = send(&stub, &[("x-siptel-rut", bad)], &sms_body());
        assert_eq!(reply.status, 403, "{bad}");
    }
    let reply = send(&stub, &[("x-siptel-rut", "12345678-5")], &sms_body());
    assert_eq!(reply.status, 201);
}

#[test]
fn rut_check_digit() {
    assert!(valid_rut("12345678-5"));
    assert!(valid_rut("11111111-1"));
    assert!(valid_rut("10000013-K"));
    assert!(!valid_rut("10000013-k"));
    assert!(valid_rut("76354771-K"));
    assert!(valid_rut("1-9"));
    assert!(!valid_rut("-5"));
    assert!(!valid_rut("1234567a-5"));
}

#[test]
fn repeated_idempotency_key_answers_original() {
    let stub = stub();
    let first = send(&stub, &[], &sms_body());
    let second = send(&stub, &[], &sms_body());
    assert_eq!((first.status, second.status), (201, 200));
    assert_eq!(first.json(), second.json());
    assert_eq!(stub.sent_count(), 1);
    assert_eq!(stub.request_count(), 2);
}

#[test]
fn same_key_other_body_conflicts() {
    let stub = stub();
    assert_eq!(send(&stub, &[], &sms_body()).status, 201);
    let mut other = sms_body();
    other["message"] = json!("Otro texto");
    let reply = send(&stub, &[], &other);
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (409, "idempotency_conflict")
    );
    assert_eq!(stub.sent_count(), 1);
}

#[test]
fn missing_or_malformed_idempotency_key_is_invalid() {
    let stub = stub();
    for key in ["", "short", "has space!", &"x".repeat(65)] {
        let reply = send(&stub, &[("idempotency-key", key)], &sms_body());
        assert_eq!(
            (reply.status, reply.code().as_str()),
            (400, "invalid_request"),
            "{key:?}"
        );
    }
    let reply = http(
        stub.addr(),
        "POST",
        "/v1/sms",
        &[
            ("authorization", "Bearer test-key"),
            ("content-type", "application/json"),
        ],
        sms_body().to_string().as_bytes(),
    );
    assert_eq!(reply.status, 400);
}

#[test]
fn malformed_bodies_are_rejected() {
    let stub = stub();
    let cases: Vec<(Value, &str)> = vec![
        (json!([1, 2]), "invalid_request"),
        (json!({"sender": "56961234567"}), "invalid_request"),
        (
            json!({"sender": "56961234567", "recipient": "56987654321", "message": "x",
                "encoding": "gsm7", "extra": 1}),
            "invalid_request",
        ),
        (
            json!({"sender": "56961234567", "recipient": "+56987654321", "message": "x",
                "encoding": "gsm7"}),
            "invalid_number",
        ),
        (
            json!({"sender": "1234567", "recipient": "56987654321", "message": "x",
                "encoding": "gsm7"}),
            "invalid_number",
        ),
        (
            json!({"sender": "56961234567", "recipient": "56987654321", "message": "",
                "encoding": "gsm7"}),
            "invalid_request",
        ),
        (
            json!({"sender": "56961234567", "recipient": "56987654321", "message": "x",
                "encoding": "utf8"}),
            "invalid_request",
        ),
        (
            json!({"sender": "56961234567", "recipient": "56987654321", "message": "acción",
                "encoding": "gsm7"}),
            "invalid_request",
        ),
    ];
    for (body, code) in cases {
        let reply = send(&stub, &[], &body);
        assert_eq!((reply.status, reply.code().as_str()), (400, code), "{body}");
    }
    let reply = http(
        stub.addr(),
        "POST",
        "/v1/sms",
        &[
            ("authorization", "Bearer test-key"),
            ("content-type", "application/json"),
            ("idempotency-key", "key-00000001"),
        ],
        b"\xff{not json",
    );
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (400, "invalid_request")
    );
    let reply = send(&stub, &[("content-type", "text/plain")], &sms_body());
    assert_eq!(reply.status, 400);
    assert_eq!(stub.sent_count(), 0);
}

#[test]
fn oversized_body_gets_413() {
    let stub = stub();
    let head = format!(
        "POST /v1/sms HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {KEY}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        MAX_BODY_BYTES + 1
    );
    let reply = parse_reply(&exchange(stub.addr(), head.as_bytes()).unwrap());
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (413, "payload_too_large")
    );
}

#[test]
fn garbage_and_bad_headers_do_not_break_the_server() {
    let stub = stub();
    let _ = exchange(stub.addr(), b"\x00\x01garbage\r\n\r\n");
    let _ = exchange(stub.addr(), b"POST /v1/sms HTTP/1.1\r\nbad header\r\n\r\n");
    let non_utf8 = exchange(
        stub.addr(),
        b"POST /v1/sms HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\
          authorization: Bearer \xff\xfe\r\ncontent-length: 2\r\n\r\n{}",
    );
    assert_eq!(parse_reply(&non_utf8.unwrap()).status, 401);
    let _ = exchange(
        stub.addr(),
        b"POST /v1/sms HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
    );
    assert_eq!(send(&stub, &[], &sms_body()).status, 201);
}

#[test]
fn unknown_path_is_404_and_wrong_method_405() {
    let stub = stub();
    let reply = http(stub.addr(), "POST", "/v2/sms", &[], b"");
    assert_eq!((reply.status, reply.code().as_str()), (404, "not_found"));
    let reply = http(stub.addr(), "GET", "/v1/sms", &[], b"");
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("POST"));
}

#[test]
fn balance_runs_out_with_402() {
    let config = StubConfig {
        balance: Some(1),
        ..StubConfig::default()
    };
    let stub = StubSiptel::start(config).unwrap();
    assert_eq!(send(&stub, &[], &sms_body()).status, 201);
    // A repeat of the accepted send is still answered.
    assert_eq!(send(&stub, &[], &sms_body()).status, 200);
    let reply = send(&stub, &[("idempotency-key", "key-00000002")], &sms_body());
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (402, "insufficient_balance")
    );
    assert_eq!(stub.sent_count(), 1);
}

#[test]
fn scripted_503_503_then_contract_201() {
    let stub = stub();
    stub.script([Scripted::status(503), Scripted::status(503)]);
    let first = send(&stub, &[], &sms_body());
    assert_eq!(
        (first.status, first.code().as_str()),
        (503, "service_unavailable")
    );
    assert_eq!(send(&stub, &[], &sms_body()).status, 503);
    assert_eq!(send(&stub, &[], &sms_body()).status, 201);
    assert_eq!(stub.sent_count(), 1);
    let statuses: Vec<_> = stub.requests().iter().map(|r| r.answered_status).collect();
    assert_eq!(statuses, [Some(503), Some(503), Some(201)]);
}

#[test]
fn scripted_raw_and_headers_are_answered_as_given() {
    let stub = stub();
    stub.script([
        Scripted::raw(502, "<html>Bad Gateway</html>").with_header("Content-Type", "text/html"),
        Scripted::status(429).with_header("retry-after", "7"),
    ]);
    let reply = send(&stub, &[], &sms_body());
    assert_eq!(reply.status, 502);
    assert_eq!(reply.body, b"<html>Bad Gateway</html>");
    assert_eq!(reply.header("content-type"), Some("text/html"));
    let reply = send(&stub, &[], &sms_body());
    assert_eq!((reply.status, reply.code().as_str()), (429, "rate_limited"));
    assert_eq!(reply.header("retry-after"), Some("7"));
}

#[test]
fn scripted_drop_closes_connection_without_answer() {
    let stub = stub();
    stub.script([Scripted::drop_connection()]);
    let body = sms_body().to_string();
    let raw = format!(
        "POST /v1/sms HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    match exchange(stub.addr(), raw.as_bytes()) {
        Ok(bytes) => assert!(bytes.is_empty(), "{:?}", String::from_utf8_lossy(&bytes)),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset),
    }
    assert_eq!(stub.requests()[0].answered_status, None);
    assert_eq!(send(&stub, &[], &sms_body()).status, 201);
}

#[test]
fn scripted_delay_holds_the_answer() {
    let stub = stub();
    let delay = Duration::from_millis(200);
    stub.script([Scripted::status(504).with_delay(delay)]);
    let started = Instant::now();
    assert_eq!(send(&stub, &[], &sms_body()).status, 504);
    assert!(started.elapsed() >= delay);
}

#[test]
fn campaign_unknown_missing_variable_and_sent() {
    let stub = stub();
    let vars =
        |v: Value| json!({"sender": "56961234567", "recipient": "56987654321", "variables": v});
    let reply = post(
        &stub,
        "/v1/campaigns/nope/sms",
        &[],
        &vars(json!({"name": "Ana"})),
    );
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (404, "campaign_not_found")
    );
    let reply = post(&stub, "/v1/campaigns/bienvenida/sms", &[], &vars(json!({})));
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (422, "missing_variable")
    );
    let reply = post(
        &stub,
        "/v1/campaigns/bienvenida/sms",
        &[],
        &vars(json!({"name": "Ana"})),
    );
    assert_eq!(reply.status, 201);
    let answer = reply.json();
    assert_eq!(answer["campaign"], "bienvenida");
    assert_eq!(answer["segments"], 1);
    assert_eq!(stub.sent()[0].text, "Hola Ana, bienvenido a Siptel.");
}

#[test]
fn campaign_name_is_percent_decoded() {
    let config = StubConfig {
        campaigns: vec![StubCampaign::new("cita médica/2", "Su cita: {date}")],
        ..StubConfig::default()
    };
    let stub = StubSiptel::start(config).unwrap();
    let body = json!({"sender": "56961234567", "recipient": "56987654321",
                      "variables": {"date": "lunes 10:30"}});
    let reply = post(
        &stub,
        "/v1/campaigns/cita%20m%C3%A9dica%2F2/sms",
        &[],
        &body,
    );
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(stub.sent()[0].text, "Su cita: lunes 10:30");
    assert_eq!(
        stub.requests()[0].path,
        "/v1/campaigns/cita%20m%C3%A9dica%2F2/sms"
    );
}

#[test]
fn control_api_round_trip() {
    let stub = stub();
    let script = json!([
        {"status": 503, "headers": {"x-proxy": "edge"}, "body": "upstream down", "delay_ms": 0},
        {"status": 429, "headers": {"retry-after": 0}},
        {"drop": true}
    ]);
    let reply = http(
        stub.addr(),
        "POST",
        "/_stub/script",
        &[],
        script.to_string().as_bytes(),
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["pending"], 3);
    assert_eq!(stub.pending_script(), 3);

    let reply = send(&stub, &[], &sms_body());
    assert_eq!(
        (reply.status, reply.body.as_slice()),
        (503, &b"upstream down"[..])
    );
    assert_eq!(reply.header("x-proxy"), Some("edge"));
    let reply = send(&stub, &[], &sms_body());
    assert_eq!(
        (reply.status, reply.header("retry-after")),
        (429, Some("0"))
    );

    let listed = http(stub.addr(), "GET", "/_stub/requests", &[], b"").json();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2, "control requests are not recorded");
    assert_eq!(listed[0]["method"], "POST");
    assert_eq!(listed[0]["path"], "/v1/sms");
    assert_eq!(listed[0]["headers"]["authorization"], "Bearer test-key");
    assert_eq!(listed[0]["body"], sms_body());
    assert_eq!(listed[0]["answered_status"], 503);

    let reply = http(
        stub.addr(),
        "POST",
        "/_stub/script",
        &[],
        b"[{\"status\": 5}]",
    );
    assert_eq!(reply.status, 400);

    let reply = http(stub.addr(), "POST", "/_stub/reset", &[], b"");
    assert_eq!(reply.status, 200);
    assert_eq!((stub.request_count(), stub.pending_script()), (0, 0));
    assert_eq!(send(&stub, &[], &sms_body()).status, 201);
    let sent = http(stub.addr(), "GET", "/_stub/sent", &[], b"").json();
    assert_eq!(sent.as_array().unwrap().len(), 1);

    let config = json!({"ip_registered": false, "balance": 0});
    let reply = http(
        stub.addr(),
        "POST",
        "/_stub/config",
        &[],
        config.to_string().as_bytes(),
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["api_key"], "test-key");
    assert!(!stub.config().ip_registered);
}

#[test]
fn server_stops_on_drop() {
    let stub = stub();
    let addr = stub.addr();
    assert_eq!(stub.base_url(), format!("http://{addr}"));
    stub.script([Scripted::status(503).with_delay(Duration::from_secs(30))]);
    // A request waiting on a long delay does not hold the drop up.
    let pending = std::thread::spawn(move || {
        let body = sms_body().to_string();
        let raw = format!(
            "POST /v1/sms HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        exchange(addr, raw.as_bytes())
    });
    while stub.request_count() == 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let started = Instant::now();
    drop(stub);
    assert!(started.elapsed() < Duration::from_secs(5));
    match pending.join().unwrap() {
        Ok(bytes) => assert!(bytes.is_empty()),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset),
    }
    assert!(
        TcpStream::connect(addr).is_err(),
        "port still accepts after drop"
    );
}

#[test]
fn templates_accept_single_and_double_braces() {
    assert_eq!(
        scan_template("Hola {name}, {{ date }} {x-y} {{bad"),
        [
            Piece::Text("Hola "),
            Piece::Var("name"),
            Piece::Text(", "),
            Piece::Var("date"),
            Piece::Text(" {x-y} {{bad"),
        ]
    );
    assert_eq!(StubCampaign::new("c", "{a}{{b}}{a}").variables, ["a", "b"]);
}

#[test]
fn segment_boundaries() {
    assert_eq!(segments(&"a".repeat(160), Encoding::Gsm7), 1);
    assert_eq!(segments(&"a".repeat(161), Encoding::Gsm7), 2);
    assert_eq!(segments(&"a".repeat(306), Encoding::Gsm7), 2);
    assert_eq!(segments(&"a".repeat(307), Encoding::Gsm7), 3);
    assert_eq!(segments(&"€".repeat(80), Encoding::Gsm7), 1);
    assert_eq!(segments(&"€".repeat(81), Encoding::Gsm7), 2);
    assert_eq!(segments(&"ó".repeat(70), Encoding::Ucs2), 1);
    assert_eq!(segments(&"ó".repeat(71), Encoding::Ucs2), 2);
    assert_eq!(segments(&"ó".repeat(134), Encoding::Ucs2), 2);
    assert_eq!(segments(&"ó".repeat(135), Encoding::Ucs2), 3);
}
