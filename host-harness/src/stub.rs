//! The stub Siptel: an in-process HTTP/1.1 server on loopback that answers the
//! assumed Siptel contract (`POST /v1/sms`, `POST /v1/campaigns/{campaign}/sms`,
//! see the README), scripted per test, recording every request.
//!
//! It runs on its own thread with its own tokio runtime, so synchronous code (the
//! CLI `stub` command, tests on any runtime) can use it, and it stops (closing
//! every connection) when the [`StubSiptel`] is dropped.
//!
//! Each request to `/v1/*` first takes the next [`Scripted`] answer, if one is
//! queued; otherwise the contract applies, checked in this order:
//!
//! 1. route (404 `not_found`) and method (405 `method_not_allowed`), body size
//!    (413 `payload_too_large` past [`MAX_BODY_BYTES`]);
//! 2. `Authorization: Bearer <key>` (401 `invalid_api_key`);
//! 3. when the IP is not registered, `X-Siptel-Rut` in normalised form with a
//!    valid check digit (403 `ip_not_authorized`);
//! 4. `Content-Type: application/json` (400 `invalid_request`);
//! 5. the body's shape (400 `invalid_request`; numbers: 400 `invalid_number`);
//! 6. campaign known (404 `campaign_not_found`) and its variables given
//!    (422 `missing_variable`);
//! 7. `Idempotency-Key` present and well formed (400 `invalid_request`), then the
//!    idempotency store: same key and body answer the original result again with
//!    200, another body 409 `idempotency_conflict`;
//! 8. balance (402 `insufficient_balance`);
//! 9. 201 `{"id":"sms_…","status":"queued","segments":N}` (+ `"campaign"`).
//!
//! A small control API under `/_stub/` serves test hosts that are not Rust (they
//! start the stub through the CLI): `GET /_stub/requests`, `GET /_stub/sent`,
//! `POST /_stub/script`, `POST /_stub/reset`, `GET`/`POST /_stub/config`.
//! Control requests are neither recorded nor scripted.

use siptel_sms::encoding::is_gsm7;
use siptel_sms::model::Encoding;
use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio::sync::{Notify, oneshot};

/// The certificate of the stub's HTTPS mode ([`StubSiptel::start_tls_on`],
/// `siptel-sms stub --tls`), `host-harness/stub-tls/cert.pem`: self-signed
/// for `127.0.0.1` and `localhost` (P-256, valid until 2126), for hosts to
/// trust in tests (`HostOptions::tls_roots_pem`, `--ca-cert`). Made with
/// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1
///  -nodes -days 36500 -subj "/CN=siptel-sms test"
///  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost"
///  -addext "basicConstraints=critical,CA:FALSE"`.
pub const TLS_CERT_PEM: &str = include_str!("../stub-tls/cert.pem");

/// The private key of [`TLS_CERT_PEM`]: a test key, public on purpose.
const TLS_KEY_PEM: &str = include_str!("../stub-tls/key.pem");

/// Request bodies larger than this are answered 413 `payload_too_large`.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// How the stub behaves when no scripted answer is queued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StubConfig {
    /// The only valid Bearer key (default `"test-key"`).
    pub api_key: String,
    /// `false`: requests without a valid `X-Siptel-Rut` get 403
    /// `ip_not_authorized` (default `true`).
    pub ip_registered: bool,
    /// Known campaigns (default: `bienvenida`, template
    /// `"Hola {{name}}, bienvenido a Siptel."`).
    pub campaigns: Vec<StubCampaign>,
    /// `None`: unlimited. `Some(n)`: after `n` accepted SMS, 402
    /// `insufficient_balance`.
    pub balance: Option<u32>,
}

impl Default for StubConfig {
    fn default() -> Self {
        StubConfig {
            api_key: "test-key".to_owned(),
            ip_registered: true,
            campaigns: vec![StubCampaign::new(
                "bienvenida",
                "Hola {{name}}, bienvenido a Siptel.",
            )],
            balance: None,
        }
    }
}

/// A campaign known to the stub, with its SMS template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StubCampaign {
    /// The campaign's name, as it appears (decoded) in the path.
    pub name: String,
    /// Variables a send must give values for, on top of those the template uses.
    #[serde(default)]
    pub variables: Vec<String>,
    /// The SMS text, with `{name}` or `{{name}}` placeholders.
    #[serde(default)]
    pub template: String,
}

impl StubCampaign {
    /// A campaign whose required variables are exactly its template's placeholders.
    pub fn new(name: impl Into<String>, template: impl Into<String>) -> Self {
        let template = template.into();
        let mut variables: Vec<String> = Vec::new();
        for piece in scan_template(&template) {
            if let Piece::Var(var) = piece
                && !variables.iter().any(|v| v == var)
            {
                variables.push(var.to_owned());
            }
        }
        StubCampaign {
            name: name.into(),
            variables,
            template,
        }
    }
}

/// One scripted answer: the next request to `/v1/*` gets it instead of the
/// contract's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scripted {
    /// Answer with this status, headers and body, after `delay`.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        delay: Duration,
    },
    /// Close the connection without an answer, after `delay`.
    Drop { delay: Duration },
}

impl Scripted {
    /// A contract-shaped answer for `status`: for an error status, the JSON error
    /// body with the contract's code (e.g. 503 `service_unavailable`, 429
    /// `rate_limited` with `Retry-After: 1`); for a 2xx status, a success body
    /// `{"id":"sms_scripted","status":"queued","segments":1}` (not counted as sent).
    pub fn status(status: u16) -> Self {
        if (200..300).contains(&status) {
            return Scripted::json(
                status,
                json!({"id": "sms_scripted", "status": "queued", "segments": 1}),
            );
        }
        let code = error_code_for(status);
        let message = StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("scripted error");
        let answer = Scripted::json(status, error_body(&code, message));
        if status == 429 {
            answer.with_header("retry-after", "1")
        } else {
            answer
        }
    }

    /// `body` serialized as JSON, with `Content-Type: application/json`.
    pub fn json(status: u16, body: Value) -> Self {
        Scripted::Respond {
            status,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: body.to_string().into_bytes(),
            delay: Duration::ZERO,
        }
    }

    /// These exact body bytes, with no `Content-Type` (add one with
    /// [`Scripted::with_header`]), e.g. a proxy's HTML error page.
    pub fn raw(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Scripted::Respond {
            status,
            headers: Vec::new(),
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    /// Close the connection without an answer.
    pub fn drop_connection() -> Self {
        Scripted::Drop {
            delay: Duration::ZERO,
        }
    }

    /// Sets a header, replacing any header of the same name (case-insensitive).
    /// No effect on [`Scripted::Drop`].
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        if let Scripted::Respond { headers, .. } = &mut self {
            let name = name.into().to_ascii_lowercase();
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
            headers.push((name, value.into()));
        }
        self
    }

    /// Waits this long before answering (or dropping the connection).
    pub fn with_delay(mut self, d: Duration) -> Self {
        match &mut self {
            Scripted::Respond { delay, .. } | Scripted::Drop { delay } => *delay = d,
        }
        self
    }
}

/// A request the stub received (control requests excepted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path and query exactly as sent (still percent-encoded).
    pub path: String,
    /// Header names lower-case, in order of arrival (values of a repeated name
    /// grouped together).
    pub headers: Vec<(String, String)>,
    /// The body; empty when it was larger than [`MAX_BODY_BYTES`].
    pub body: Vec<u8>,
    pub received_at: Instant,
    /// The status answered; `None` while pending or when the connection was
    /// dropped by a script.
    pub answered_status: Option<u16>,
}

impl RecordedRequest {
    /// The first value of the header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// An SMS the stub accepted (one per distinct idempotency key).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SentSms {
    pub id: String,
    pub sender: String,
    pub recipient: String,
    /// The message sent (for campaigns, the rendered template).
    pub text: String,
    /// `"gsm7"` or `"ucs2"` (for campaigns, computed from the rendered text).
    pub encoding: String,
    pub segments: u32,
    pub campaign: Option<String>,
    pub idempotency_key: String,
}

/// A running stub Siptel. Dropping it stops the server and joins its thread.
pub struct StubSiptel {
    addr: SocketAddr,
    tls: bool,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for StubSiptel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StubSiptel")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl StubSiptel {
    /// Starts on `127.0.0.1` with a free port.
    pub fn start(config: StubConfig) -> std::io::Result<StubSiptel> {
        StubSiptel::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config)
    }

    /// Starts on `127.0.0.1` with a free port, speaking HTTPS with
    /// [`TLS_CERT_PEM`]: the way to Siptel a real send takes, TLS included.
    pub fn start_tls(config: StubConfig) -> std::io::Result<StubSiptel> {
        StubSiptel::start_tls_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config)
    }

    /// [`StubSiptel::start_tls`] on `addr`.
    pub fn start_tls_on(addr: SocketAddr, config: StubConfig) -> std::io::Result<StubSiptel> {
        StubSiptel::start_with(addr, config, Some(tls_acceptor()?))
    }

    /// Starts on `addr`. Returns once the port is bound: requests may be sent at once.
    pub fn start_on(addr: SocketAddr, config: StubConfig) -> std::io::Result<StubSiptel> {
        StubSiptel::start_with(addr, config, None)
    }

    fn start_with(
        addr: SocketAddr,
        config: StubConfig,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> std::io::Result<StubSiptel> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let shared = Arc::new(Shared::new(config, addr));
        let (shutdown, stop) = oneshot::channel();
        let server = Arc::clone(&shared);
        let https = tls.is_some();
        let thread = std::thread::Builder::new()
            .name(format!("stub-siptel-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(serve(listener, tls, server, stop));
                // Dropping the runtime here cancels every connection task,
                // closing its socket.
                drop(runtime);
            })?;
        Ok(StubSiptel {
            addr,
            tls: https,
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, or `https://` from [`StubSiptel::start_tls`]
    /// (no trailing slash).
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Queues answers: each request to `/v1/*` takes the next one; when the queue
    /// is empty, the contract applies.
    pub fn script(&self, answers: impl IntoIterator<Item = Scripted>) {
        self.shared.lock().script.extend(answers);
    }

    /// Scripted answers not yet taken.
    pub fn pending_script(&self) -> usize {
        self.shared.lock().script.len()
    }

    /// Every request received so far (control requests excepted), in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        let state = self.shared.lock();
        state.requests.iter().map(|(_, r)| r.clone()).collect()
    }

    pub fn request_count(&self) -> usize {
        self.shared.lock().requests.len()
    }

    /// SMS actually accepted (distinct, after idempotency dedup).
    pub fn sent_count(&self) -> usize {
        self.shared.lock().sent.len()
    }

    /// The SMS accepted, in order.
    pub fn sent(&self) -> Vec<SentSms> {
        self.shared.lock().sent.clone()
    }

    pub fn config(&self) -> StubConfig {
        self.shared.lock().config.clone()
    }

    /// Replaces the configuration; recorded requests, script, idempotency store
    /// and sent SMS are kept.
    pub fn set_config(&self, config: StubConfig) {
        self.shared.lock().config = config;
    }

    /// Forgets recorded requests, queued script, idempotency keys and sent SMS.
    pub fn reset(&self) {
        self.shared.lock().reset();
    }

    /// Blocks until the server stops (it does not stop by itself: for a CLI
    /// command that runs until killed).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for StubSiptel {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

// ---------------------------------------------------------------------------
// Shared state

struct Shared {
    state: Mutex<State>,
    started: Instant,
    id_prefix: String,
}

impl Shared {
    fn new(config: StubConfig, addr: SocketAddr) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let seed = nanos ^ (u64::from(addr.port()) << 48) ^ u64::from(std::process::id());
        Shared {
            state: Mutex::new(State {
                config,
                script: VecDeque::new(),
                requests: Vec::new(),
                next_seq: 0,
                idempotency: HashMap::new(),
                sent: Vec::new(),
                next_id: 1,
            }),
            started: Instant::now(),
            id_prefix: format!("{:010X}", seed & 0xFF_FFFF_FFFF),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock must not take the stub down.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

struct State {
    config: StubConfig,
    script: VecDeque<Scripted>,
    /// Each with a sequence number, to set its answered status later.
    requests: Vec<(u64, RecordedRequest)>,
    next_seq: u64,
    idempotency: HashMap<String, Stored>,
    sent: Vec<SentSms>,
    next_id: u64,
}

impl State {
    fn reset(&mut self) {
        self.script.clear();
        self.requests.clear();
        self.idempotency.clear();
        self.sent.clear();
    }

    fn set_answered(&mut self, seq: u64, status: u16) {
        // Answers come for recent requests: search from the end, so a long
        // log (a benchmark) does not make every answer slower.
        if let Some((_, r)) = self.requests.iter_mut().rev().find(|(s, _)| *s == seq) {
            r.answered_status = Some(status);
        }
    }
}

/// What an idempotency key was first used for, and the answer it got.
struct Stored {
    path: String,
    body: Value,
    answer: Vec<u8>,
}

// ---------------------------------------------------------------------------
// Server

/// The TLS side of [`StubSiptel::start_tls`] (and of the pool's TLS tests).
pub(crate) fn tls_acceptor() -> std::io::Result<tokio_rustls::TlsAcceptor> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let invalid = |e: &dyn fmt::Display| std::io::Error::other(format!("stub TLS: {e}"));
    let cert = CertificateDer::from_pem_slice(TLS_CERT_PEM.as_bytes()).map_err(|e| invalid(&e))?;
    let key = PrivateKeyDer::from_pem_slice(TLS_KEY_PEM.as_bytes()).map_err(|e| invalid(&e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(&e))?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .map_err(|e| invalid(&e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

async fn serve(
    listener: std::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
    mut stop: oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let shared = Arc::clone(&shared);
                    match tls.clone() {
                        None => tokio::spawn(connection(stream, shared)),
                        Some(tls) => tokio::spawn(async move {
                            // A failed handshake is the client's problem.
                            if let Ok(stream) = tls.accept(stream).await {
                                connection(stream, shared).await;
                            }
                        }),
                    };
                }
                // E.g. out of file descriptors: do not spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
}

async fn connection<S>(stream: S, shared: Arc<Shared>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::marker::Send + 'static,
{
    // Signalled by a scripted `Drop`: the connection is then dropped unanswered.
    let drop_now = Arc::new(Notify::new());
    let service = {
        let drop_now = Arc::clone(&drop_now);
        hyper::service::service_fn(move |req| {
            let shared = Arc::clone(&shared);
            let drop_now = Arc::clone(&drop_now);
            async move { handle(req, &shared, &drop_now).await }
        })
    };
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = conn => {}
        _ = drop_now.notified() => {}
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BodyError {
    TooLarge,
    Unreadable,
}

async fn read_body(headers: &HeaderMap, body: Incoming) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(BodyError::TooLarge);
    }
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(BodyError::TooLarge),
        Err(_) => Err(BodyError::Unreadable),
    }
}

async fn handle(
    req: Request<Incoming>,
    shared: &Shared,
    drop_now: &Notify,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let received_at = Instant::now();
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let body = read_body(&parts.headers, body).await;

    if path == "/_stub" || path.starts_with("/_stub/") {
        return Ok(control(&parts.method, &path, body, shared).into_response());
    }

    let raw_path = parts
        .uri
        .path_and_query()
        .map_or_else(|| path.clone(), |p| p.as_str().to_owned());
    let recorded = RecordedRequest {
        method: parts.method.to_string(),
        path: raw_path,
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (n.as_str().to_owned(), value)
            })
            .collect(),
        body: body.as_ref().map(|b| b.to_vec()).unwrap_or_default(),
        received_at,
        answered_status: None,
    };

    let (seq, scripted) = {
        let mut state = shared.lock();
        let seq = state.next_seq;
        state.next_seq += 1;
        state.requests.push((seq, recorded));
        let scripted = if path.starts_with("/v1/") {
            state.script.pop_front()
        } else {
            None
        };
        match scripted {
            Some(scripted) => (seq, scripted),
            None => {
                let request = RequestView {
                    method: &parts.method,
                    path: &path,
                    headers: &parts.headers,
                    body: body.as_deref(),
                };
                let answer = contract(&mut state, &shared.id_prefix, &request);
                state.set_answered(seq, answer.status);
                return Ok(answer.into_response());
            }
        }
    };

    match scripted {
        Scripted::Respond {
            status,
            headers,
            body,
            delay,
        } => {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let answer = Answer {
                status,
                headers,
                body,
            };
            let response = answer.into_response();
            shared.lock().set_answered(seq, response.status().as_u16());
            Ok(response)
        }
        Scripted::Drop { delay } => {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            drop_now.notify_one();
            // The connection future (and this one with it) is dropped now.
            std::future::pending().await
        }
    }
}

/// An answer before it becomes a hyper response.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn json(status: u16, body: &Value) -> Self {
        Answer {
            status,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: body.to_string().into_bytes(),
        }
    }

    fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn into_response(self) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(Bytes::from(self.body)));
        // 1xx cannot be a final answer: such a script is answered 500.
        *response.status_mut() = StatusCode::from_u16(self.status)
            .ok()
            .filter(|s| !s.is_informational())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in &self.headers {
            // Headers that are not valid HTTP are left out rather than failing.
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                response.headers_mut().append(name, value);
            }
        }
        response
    }
}

fn error_body(code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message}})
}

fn error(status: u16, code: &str, message: impl AsRef<str>) -> Answer {
    Answer::json(status, &error_body(code, message.as_ref()))
}

fn invalid_request(message: impl AsRef<str>) -> Answer {
    error(400, "invalid_request", message)
}

/// The contract's error code for a status (the first one listed when several).
fn error_code_for(status: u16) -> String {
    let code = match status {
        400 => "invalid_request",
        401 => "invalid_api_key",
        402 => "insufficient_balance",
        403 => "sender_not_authorized",
        404 => "campaign_not_found",
        405 => "method_not_allowed",
        409 => "idempotency_conflict",
        413 => "payload_too_large",
        422 => "template_invalid",
        429 => "rate_limited",
        500 => "internal_error",
        502 => "bad_gateway",
        503 => "service_unavailable",
        504 => "gateway_timeout",
        _ => {
            let reason = StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason());
            return match reason {
                Some(reason) => snake_case(reason),
                None => format!("http_{status}"),
            };
        }
    };
    code.to_owned()
}

fn snake_case(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') && c != '\'' {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_owned()
}

// ---------------------------------------------------------------------------
// The contract

struct RequestView<'a> {
    method: &'a Method,
    path: &'a str,
    headers: &'a HeaderMap,
    body: Result<&'a [u8], &'a BodyError>,
}

enum Route {
    Sms,
    /// The decoded campaign name; `None` when the segment is not valid
    /// percent-encoded UTF-8.
    Campaign(Option<String>),
}

fn route(path: &str) -> Option<Route> {
    if path == "/v1/sms" {
        return Some(Route::Sms);
    }
    let segment = path.strip_prefix("/v1/campaigns/")?.strip_suffix("/sms")?;
    if segment.is_empty() || segment.contains('/') {
        return None;
    }
    Some(Route::Campaign(percent_decode(segment)))
}

fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn contract(state: &mut State, id_prefix: &str, request: &RequestView<'_>) -> Answer {
    match check_send(state, id_prefix, request) {
        Ok(answer) | Err(answer) => answer,
    }
}

/// What the body asks for, once its shape is checked.
struct Send {
    sender: String,
    recipient: String,
    kind: SendKind,
    body: Value,
}

enum SendKind {
    Sms { message: String, encoding: Encoding },
    Campaign { variables: Map<String, Value> },
}

fn check_send(
    state: &mut State,
    id_prefix: &str,
    request: &RequestView<'_>,
) -> Result<Answer, Answer> {
    let path = request.path;
    let Some(route) = route(path) else {
        return Err(error(404, "not_found", format!("no such resource: {path}")));
    };
    if *request.method != Method::POST {
        return Err(error(
            405,
            "method_not_allowed",
            format!("{} is not allowed on {path}; use POST", request.method),
        )
        .with_header("allow", "POST"));
    }
    let body = match request.body {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            return Err(error(
                413,
                "payload_too_large",
                format!("the body is larger than {MAX_BODY_BYTES} bytes"),
            )
            .with_header("connection", "close"));
        }
        Err(BodyError::Unreadable) => return Err(invalid_request("the body could not be read")),
    };
    let headers = request.headers;
    let config = &state.config;

    let token = header_str(headers, header::AUTHORIZATION.as_str()).and_then(|v| {
        let (scheme, token) = v.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    });
    if !token.is_some_and(|t| !t.is_empty() && t == config.api_key) {
        return Err(error(
            401,
            "invalid_api_key",
            "missing or invalid Authorization: Bearer <key>",
        )
        .with_header("www-authenticate", "Bearer"));
    }

    if !config.ip_registered && !header_str(headers, "x-siptel-rut").is_some_and(valid_rut) {
        return Err(error(
            403,
            "ip_not_authorized",
            "this IP is not registered: send X-Siptel-Rut with the account's RUT (e.g. 12345678-5)",
        ));
    }

    check_content_type(header_str(headers, header::CONTENT_TYPE.as_str()))?;
    let send = parse_body(&route, body)?;

    let (text, encoding, campaign) = match (&route, &send.kind) {
        (Route::Sms, SendKind::Sms { message, encoding }) => (message.clone(), *encoding, None),
        (Route::Campaign(name), SendKind::Campaign { variables }) => {
            let campaign = name
                .as_deref()
                .and_then(|name| config.campaigns.iter().find(|c| c.name == name));
            let Some(campaign) = campaign else {
                return Err(error(
                    404,
                    "campaign_not_found",
                    format!("no campaign {}", name.as_deref().unwrap_or("(undecodable)")),
                ));
            };
            let text = render_campaign(campaign, variables)?;
            let encoding = if text.chars().all(is_gsm7) {
                Encoding::Gsm7
            } else {
                Encoding::Ucs2
            };
            (text, encoding, Some(campaign.name.clone()))
        }
        // `parse_body` follows the route.
        _ => return Err(invalid_request("body does not match the route")),
    };

    let key = header_str(headers, "idempotency-key").unwrap_or("");
    let key_ok = (8..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !key_ok {
        return Err(invalid_request(
            "Idempotency-Key is required: 8 to 64 of [A-Za-z0-9_-]",
        ));
    }

    if let Some(stored) = state.idempotency.get(key) {
        if stored.path == path && stored.body == send.body {
            return Ok(Answer {
                status: 200,
                headers: vec![
                    ("content-type".to_owned(), "application/json".to_owned()),
                    ("idempotent-replayed".to_owned(), "true".to_owned()),
                ],
                body: stored.answer.clone(),
            });
        }
        return Err(error(
            409,
            "idempotency_conflict",
            "this Idempotency-Key was used for another request",
        ));
    }

    if let Some(balance) = config.balance
        && state.sent.len() >= balance as usize
    {
        return Err(error(
            402,
            "insufficient_balance",
            "the account has no balance left",
        ));
    }

    let id = format!("sms_{id_prefix}{:06}", state.next_id);
    state.next_id += 1;
    let segments = segments(&text, encoding);
    let mut answer = json!({"id": id, "status": "queued", "segments": segments});
    if let Some(campaign) = &campaign {
        answer["campaign"] = Value::String(campaign.clone());
    }
    let answer = Answer::json(201, &answer);
    state.idempotency.insert(
        key.to_owned(),
        Stored {
            path: path.to_owned(),
            body: send.body,
            answer: answer.body.clone(),
        },
    );
    state.sent.push(SentSms {
        id,
        sender: send.sender,
        recipient: send.recipient,
        text,
        encoding: encoding.as_str().to_owned(),
        segments,
        campaign,
        idempotency_key: key.to_owned(),
    });
    Ok(answer)
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn check_content_type(value: Option<&str>) -> Result<(), Answer> {
    let bad = || invalid_request("Content-Type must be application/json");
    let value = value.ok_or_else(bad)?;
    let mut params = value.split(';');
    let media = params.next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(bad());
    }
    for param in params {
        if let Some((name, charset)) = param.split_once('=')
            && name.trim().eq_ignore_ascii_case("charset")
            && !charset
                .trim()
                .trim_matches('"')
                .eq_ignore_ascii_case("utf-8")
        {
            return Err(invalid_request("the body must be UTF-8 JSON"));
        }
    }
    Ok(())
}

fn parse_body(route: &Route, body: &[u8]) -> Result<Send, Answer> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| invalid_request(format!("the body is not JSON: {e}")))?;
    let Some(object) = value.as_object() else {
        return Err(invalid_request("the body must be a JSON object"));
    };
    let allowed: &[&str] = match route {
        Route::Sms => &["sender", "recipient", "message", "encoding"],
        Route::Campaign(_) => &["sender", "recipient", "variables"],
    };
    if let Some(unknown) = object.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(invalid_request(format!("unknown field `{unknown}`")));
    }
    let string = |name: &str| -> Result<String, Answer> {
        match object.get(name) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(invalid_request(format!("`{name}` must be a string"))),
            None => Err(invalid_request(format!("`{name}` is required"))),
        }
    };
    let sender = string("sender")?;
    let recipient = string("recipient")?;
    let kind = match route {
        Route::Sms => {
            let message = string("message")?;
            let encoding = match string("encoding")?.as_str() {
                "gsm7" => Encoding::Gsm7,
                "ucs2" => Encoding::Ucs2,
                other => {
                    return Err(invalid_request(format!(
                        "`encoding` must be gsm7 or ucs2, not {other:?}"
                    )));
                }
            };
            SendKind::Sms { message, encoding }
        }
        Route::Campaign(_) => {
            let variables = match object.get("variables") {
                None => Map::new(),
                Some(Value::Object(vars)) => {
                    if let Some((name, _)) = vars.iter().find(|(_, v)| !v.is_string()) {
                        return Err(invalid_request(format!(
                            "variable `{name}` must be a string"
                        )));
                    }
                    vars.clone()
                }
                Some(_) => {
                    return Err(invalid_request("`variables` must be an object of strings"));
                }
            };
            SendKind::Campaign { variables }
        }
    };
    for (name, number) in [("sender", &sender), ("recipient", &recipient)] {
        if !(8..=15).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error(
                400,
                "invalid_number",
                format!("`{name}` must be 8 to 15 digits (country code first, no `+`)"),
            ));
        }
    }
    if let SendKind::Sms { message, encoding } = &kind {
        if message.is_empty() {
            return Err(invalid_request("`message` must not be empty"));
        }
        if *encoding == Encoding::Gsm7 && !message.chars().all(is_gsm7) {
            return Err(invalid_request(
                "`message` has characters outside GSM-7 but `encoding` is gsm7",
            ));
        }
    }
    Ok(Send {
        sender,
        recipient,
        kind,
        body: value,
    })
}

fn render_campaign(
    campaign: &StubCampaign,
    variables: &Map<String, Value>,
) -> Result<String, Answer> {
    let pieces = scan_template(&campaign.template);
    let mut missing: Vec<&str> = Vec::new();
    let required = campaign
        .variables
        .iter()
        .map(String::as_str)
        .chain(pieces.iter().filter_map(|p| match p {
            Piece::Var(v) => Some(*v),
            Piece::Text(_) => None,
        }));
    for name in required {
        if !variables.contains_key(name) && !missing.contains(&name) {
            missing.push(name);
        }
    }
    if !missing.is_empty() {
        return Err(error(
            422,
            "missing_variable",
            format!(
                "campaign {} needs the variables: {}",
                campaign.name,
                missing.join(", ")
            ),
        ));
    }
    let mut text = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(t) => text.push_str(t),
            Piece::Var(v) => text.push_str(variables.get(v).and_then(Value::as_str).unwrap_or("")),
        }
    }
    Ok(text)
}

// ---------------------------------------------------------------------------
// Templates, RUT, segments

#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Var(&'a str),
}

/// Splits a template into text and `{name}` / `{{ name }}` placeholders. A
/// brace that does not open a valid placeholder is text.
fn scan_template(template: &str) -> Vec<Piece<'_>> {
    fn is_name(s: &str) -> bool {
        let mut chars = s.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    }
    let mut pieces = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    while let Some(offset) = template[i..].find('{') {
        let open = i + offset;
        let rest = &template[open..];
        let found = if let Some(inner) = rest.strip_prefix("{{") {
            inner
                .find("}}")
                .map(|end| (inner[..end].trim(), 2 + end + 2))
                .filter(|(name, _)| is_name(name))
        } else {
            None
        };
        let found = found.or_else(|| {
            rest[1..]
                .find('}')
                .map(|end| (&rest[1..1 + end], 1 + end + 1))
                .filter(|(name, _)| is_name(name))
        });
        match found {
            Some((name, len)) => {
                if open > text_start {
                    pieces.push(Piece::Text(&template[text_start..open]));
                }
                pieces.push(Piece::Var(name));
                i = open + len;
                text_start = i;
            }
            None => i = open + 1,
        }
    }
    if text_start < template.len() {
        pieces.push(Piece::Text(&template[text_start..]));
    }
    pieces
}

/// A RUT in normalised form (`12345678-5`: digits without dots or leading zero,
/// a dash, the check digit with upper-case `K`) whose check digit is right.
/// The stub plays Siptel, but the modulo-11 rule is the component's own.
fn valid_rut(rut: &str) -> bool {
    siptel_sms::rut::normalize(rut).is_ok_and(|normalised| normalised == rut)
}

/// SMS segments for `text` as Siptel bills them (at least one), counted by
/// the component's encoding module: one definition of carrier segmenting.
fn segments(text: &str, encoding: Encoding) -> u32 {
    siptel_sms::encoding::analyze(text, encoding == Encoding::Ucs2)
        .segments
        .max(1)
}

// ---------------------------------------------------------------------------
// Control API

fn control(method: &Method, path: &str, body: Result<Bytes, BodyError>, shared: &Shared) -> Answer {
    let known = [
        "/_stub/requests",
        "/_stub/sent",
        "/_stub/script",
        "/_stub/reset",
        "/_stub/config",
    ];
    match (method.as_str(), path) {
        ("GET", "/_stub/requests") => {
            let state = shared.lock();
            let requests: Vec<Value> = state
                .requests
                .iter()
                .map(|(_, r)| request_json(r, shared.started))
                .collect();
            Answer::json(200, &Value::Array(requests))
        }
        ("GET", "/_stub/sent") => {
            let sent = serde_json::to_value(&shared.lock().sent).unwrap_or(Value::Null);
            Answer::json(200, &sent)
        }
        ("POST", "/_stub/script") => {
            let entries = match body
                .map_err(|_| "the body is too large or unreadable".to_owned())
                .and_then(|b| parse_script(&b))
            {
                Ok(entries) => entries,
                Err(message) => return invalid_request(message),
            };
            let mut state = shared.lock();
            state.script.extend(entries);
            Answer::json(200, &json!({"pending": state.script.len()}))
        }
        ("POST", "/_stub/reset") => {
            shared.lock().reset();
            Answer::json(200, &json!({"reset": true}))
        }
        ("GET", "/_stub/config") => {
            let config = serde_json::to_value(&shared.lock().config).unwrap_or(Value::Null);
            Answer::json(200, &config)
        }
        ("POST", "/_stub/config") => {
            let parsed = body
                .map_err(|_| "the body is too large or unreadable".to_owned())
                .and_then(|b| serde_json::from_slice::<StubConfig>(&b).map_err(|e| e.to_string()));
            match parsed {
                Ok(config) => {
                    let answer = serde_json::to_value(&config).unwrap_or(Value::Null);
                    shared.lock().config = config;
                    Answer::json(200, &answer)
                }
                Err(message) => invalid_request(format!("not a stub config: {message}")),
            }
        }
        (_, p) if known.contains(&p) => error(405, "method_not_allowed", "wrong method"),
        _ => error(404, "not_found", format!("no control resource {path}")),
    }
}

fn request_json(r: &RecordedRequest, started: Instant) -> Value {
    let mut headers = Map::new();
    for (name, value) in &r.headers {
        match headers.get_mut(name) {
            Some(Value::String(joined)) => {
                joined.push_str(", ");
                joined.push_str(value);
            }
            _ => {
                headers.insert(name.clone(), Value::String(value.clone()));
            }
        }
    }
    let body = if r.body.is_empty() {
        Value::Null
    } else {
        r.json()
            .unwrap_or_else(|| Value::String(String::from_utf8_lossy(&r.body).into_owned()))
    };
    let received_ms = r
        .received_at
        .saturating_duration_since(started)
        .as_secs_f64()
        * 1000.0;
    json!({
        "method": r.method,
        "path": r.path,
        "headers": headers,
        "body": body,
        "answered_status": r.answered_status,
        "received_ms": received_ms,
    })
}

/// One entry of `POST /_stub/script`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptEntry {
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    headers: Map<String, Value>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    delay_ms: u64,
    #[serde(default)]
    drop: bool,
}

fn parse_script(body: &[u8]) -> Result<Vec<Scripted>, String> {
    let entries: Vec<ScriptEntry> = serde_json::from_slice(body).map_err(|e| {
        let shape = "{status, headers, body, delay_ms} or {drop, delay_ms}";
        format!("expected a JSON array of {shape}: {e}")
    })?;
    entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let delay = Duration::from_millis(entry.delay_ms);
            if entry.drop {
                return Ok(Scripted::Drop { delay });
            }
            let status = entry
                .status
                .filter(|s| (200..=999).contains(s))
                .ok_or_else(|| {
                    format!("entry {i}: `status` 200..=999 or `drop: true` is required")
                })?;
            let mut scripted = match entry.body {
                None => Scripted::status(status),
                Some(Value::String(text)) => Scripted::raw(status, text),
                Some(json) => Scripted::json(status, json),
            };
            for (name, value) in entry.headers {
                let value = match value {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                scripted = scripted.with_header(name, value);
            }
            Ok(scripted.with_delay(delay))
        })
        .collect()
}

#[cfg(test)]
mod tests {
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
            serde_json::from_slice(&self.body).unwrap_or_else(|e| {
                panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body))
            })
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
}
