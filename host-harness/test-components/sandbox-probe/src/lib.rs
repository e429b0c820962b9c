//! Test-only: a hostile `siptel:sms/action` component. It exports the same
//! world as the real action, but each export attacks the host's sandbox, so
//! `tests/sandbox.rs` can show that the host stops it.
//!
//! Commands come in `config.message`:
//!
//! * `describe`: loops forever (the call deadline must stop it).
//! * `check`: `grow:<bytes>` allocates (and touches) that many bytes and
//!   answers no problems; `reserve:<bytes>` tries to (`try_reserve`) and
//!   answers no problems either way, `reserve-spin:<bytes>` then loops
//!   forever; `handles` creates host resources (`wasi:http`
//!   fields) without bound; anything else allocates without bound (memory
//!   bomb).
//! * `preview`:
//!   - `flood:<bytes>` writes that many bytes to stdout and to stderr, checking
//!     every write, and answers what each stream accepted in `message`;
//!   - `print:<bytes>` prints that many bytes with `print!`, which panics when
//!     the host closes the stream;
//!   - `probe:<host:port>` looks for environment variables, arguments, files,
//!     a TCP connection and a DNS lookup, and answers what it found;
//!   - anything else echoes: prints the API key it received to stdout and
//!     stderr, and answers it in `message`.
//! * `send`: `trap` panics; anything else is a URL that gets a `POST` with
//!   `Authorization: Bearer <token>`, the token being `config.campaign` when
//!   given (a secret reference the host never saw in the config), else the
//!   API key. The answer is `sent` with the HTTP
//!   status as `id` and the `location` header (if any) as `status`, or `failed`
//!   with the `wasi:http` error (`request-denied` for `HttpRequestDenied`).

mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        world: "sms-action",
        with: {
            "wasi:http/types@0.2.12": wasi::http::types,
            "wasi:http/outgoing-handler@0.2.12": wasi::http::outgoing_handler,
            "wasi:io/poll@0.2.12": wasi::io::poll,
            "wasi:io/error@0.2.12": wasi::io::error,
            "wasi:io/streams@0.2.12": wasi::io::streams,
            "wasi:clocks/monotonic-clock@0.2.12": wasi::clocks::monotonic_clock,
            "wasi:clocks/wall-clock@0.2.12": wasi::clocks::wall_clock,
            "wasi:random/random@0.2.12": wasi::random::random,
        },
    });
}

use bindings::exports::siptel::sms::action::Guest;
use bindings::siptel::sms::form::ActionForm;
use bindings::siptel::sms::types::{
    Config, Encoding, Entity, Failure, FailureCode, Outcome, Problem, Receipt, SendPreview,
    WindowStatus,
};
use std::hint::black_box;
use std::io::Write;
use wasi::clocks::wall_clock::Datetime;
use wasi::http::types::{ErrorCode, Fields, Method, OutgoingBody, OutgoingRequest, Scheme};

struct Probe;

bindings::export!(Probe with_types_in bindings);

impl Guest for Probe {
    fn send(config: Config, _entities: Vec<Entity>) -> Outcome {
        let command = config.message.unwrap_or_default();
        if command == "trap" {
            panic!("the probe traps on purpose");
        }
        let token = config.campaign.as_deref().unwrap_or(&config.api_key);
        match post(&command, token) {
            Ok((status, location)) => Outcome::Sent(Receipt {
                id: status.to_string(),
                status: location.unwrap_or_default(),
                segments: 0,
                attempts: 1,
                idempotency_key: String::new(),
                campaign: None,
            }),
            Err(error) => Outcome::Failed(Failure {
                error_intent: "probe".into(),
                code: match error {
                    ErrorCode::HttpRequestDenied => FailureCode::RequestDenied,
                    _ => FailureCode::ConnectionFailed,
                },
                description: format!("{error:?}"),
                attempts: 1,
                last_status: None,
                idempotency_key: String::new(),
                possibly_sent: false,
            }),
        }
    }

    fn check(config: Config) -> Vec<Problem> {
        let command = config.message.unwrap_or_default();
        if let Some(bytes) = command.strip_prefix("grow:") {
            let bytes: usize = bytes.parse().expect("grow:<bytes>");
            let block = black_box(vec![1u8; bytes]);
            assert_eq!(block.iter().map(|b| usize::from(*b)).sum::<usize>(), bytes);
            return Vec::new();
        }
        if let Some(bytes) = command.strip_prefix("reserve:") {
            reserve(bytes.parse().expect("reserve:<bytes>"));
            return Vec::new();
        }
        if let Some(bytes) = command.strip_prefix("reserve-spin:") {
            reserve(bytes.parse().expect("reserve-spin:<bytes>"));
            spin();
        }
        if command == "handles" {
            let mut handles = Vec::new();
            loop {
                handles.push(Fields::new());
            }
        }
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            hoard.push(black_box(vec![1u8; 1 << 20]));
            black_box(&hoard);
        }
    }

    fn preview(
        config: Config,
        _entities: Vec<Entity>,
        _at: Option<Datetime>,
    ) -> Result<SendPreview, Vec<Problem>> {
        let command = config.message.clone().unwrap_or_default();
        let answer = if let Some(bytes) = command.strip_prefix("flood:") {
            let bytes: usize = bytes.parse().expect("flood:<bytes>");
            let out = flood(&mut std::io::stdout(), bytes);
            let err = flood(&mut std::io::stderr(), bytes);
            format!("stdout accepted {out}, stderr accepted {err}")
        } else if let Some(bytes) = command.strip_prefix("print:") {
            let bytes: usize = bytes.parse().expect("print:<bytes>");
            for _ in 0..bytes.div_ceil(64) {
                println!("{}", "x".repeat(63));
            }
            format!("printed {bytes}")
        } else if let Some(address) = command.strip_prefix("probe:") {
            probe(address)
        } else {
            println!("api-key: {}", config.api_key);
            eprintln!("api-key: {}", config.api_key);
            config.api_key.clone()
        };
        Ok(preview(answer))
    }

    fn describe() -> ActionForm {
        spin()
    }
}

/// Tries to allocate `bytes`, surviving a refusal.
fn reserve(bytes: usize) {
    let mut block = Vec::<u8>::new();
    let _ = block.try_reserve_exact(bytes);
    black_box(&mut block);
}

/// Computes forever without calling the host.
fn spin() -> ! {
    let mut spins = 0u64;
    loop {
        spins = black_box(spins.wrapping_add(1));
    }
}

/// Writes `bytes` bytes in 1 KiB chunks until the stream refuses one; returns
/// how many it accepted and how it ended.
fn flood(stream: &mut impl Write, bytes: usize) -> String {
    let chunk = [b'x'; 1024];
    let mut written = 0;
    while written < bytes {
        let n = chunk.len().min(bytes - written);
        if let Err(e) = stream.write_all(&chunk[..n]).and_then(|()| stream.flush()) {
            return format!("{written} then {:?}", e.kind());
        }
        written += n;
    }
    written.to_string()
}

/// What a guest can find of the host: each probe, then what came of it.
fn probe(address: &str) -> String {
    let env: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
    let args: Vec<String> = std::env::args().collect();
    let files = ["/", ".", "/etc/passwd"]
        .iter()
        .map(|p| format!("{p}={}", std::fs::metadata(p).is_ok()))
        .collect::<Vec<_>>()
        .join(",");
    let tcp = match std::net::TcpStream::connect(address) {
        Ok(_) => "connected".to_string(),
        Err(e) => format!("{:?}", e.kind()),
    };
    let dns = std::net::ToSocketAddrs::to_socket_addrs(&("localhost", 80))
        .map(|mut a| a.next().is_some())
        .unwrap_or(false);
    format!(
        "env={} args={} files={files} tcp={tcp} dns={dns}",
        env.len(),
        args.len()
    )
}

/// A preview that carries `message` (the rest is filler).
fn preview(message: String) -> SendPreview {
    SendPreview {
        sender: String::new(),
        recipient: String::new(),
        message: Some(message),
        campaign: None,
        campaign_variables: Vec::new(),
        encoding: Encoding::Gsm7,
        units: 0,
        segments: 0,
        ucs2_characters: Vec::new(),
        replacements: Vec::new(),
        transliterated_segments: None,
        rut: None,
        error_intent: "probe".into(),
        window: WindowStatus::Open,
    }
}

/// `POST url` with a Bearer token; the status and `location` of the answer.
fn post(url: &str, api_key: &str) -> Result<(u16, Option<String>), ErrorCode> {
    let invalid = || ErrorCode::HttpRequestUriInvalid;
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("http://") {
        (Scheme::Http, rest)
    } else if let Some(rest) = url.strip_prefix("https://") {
        (Scheme::Https, rest)
    } else {
        return Err(invalid());
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    let headers = Fields::from_list(&[
        (
            "authorization".to_string(),
            format!("Bearer {api_key}").into_bytes(),
        ),
        ("content-type".to_string(), b"application/json".to_vec()),
    ])
    .map_err(|e| ErrorCode::InternalError(Some(format!("{e:?}"))))?;
    let request = OutgoingRequest::new(headers);
    let valid = request.set_method(&Method::Post).is_ok()
        && request.set_scheme(Some(&scheme)).is_ok()
        && request.set_authority(Some(authority)).is_ok()
        && request.set_path_with_query(Some(path)).is_ok();
    if !valid {
        return Err(invalid());
    }
    let body = request.body().map_err(|()| invalid())?;
    {
        let stream = body.write().map_err(|()| invalid())?;
        stream
            .blocking_write_and_flush(b"{}")
            .map_err(|e| ErrorCode::InternalError(Some(format!("{e:?}"))))?;
    }
    let future = wasi::http::outgoing_handler::handle(request, None)?;
    OutgoingBody::finish(body, None)?;
    let response = loop {
        if let Some(ready) = future.get() {
            break ready.map_err(|()| ErrorCode::InternalError(None))??;
        }
        future.subscribe().block();
    };
    let location = response
        .headers()
        .get("location")
        .first()
        .map(|v| String::from_utf8_lossy(v).into_owned());
    Ok((response.status(), location))
}
