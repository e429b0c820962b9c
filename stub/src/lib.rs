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
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio::sync::{Notify, oneshot};

/// The certificate of the stub's HTTPS mode ([`StubSiptel::start_tls_on`],
/// `siptel-sms stub --tls`), `stub/tls/cert.pem`: self-signed
/// for `127.0.0.1` and `localhost` (P-256, valid until 2126), for hosts to
/// trust in tests (`HostOptions::tls_roots_pem`, `--ca-cert`). Made with
/// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1
///  -nodes -days 36500 -subj "/CN=siptel-sms test"
///  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost"
///  -addext "basicConstraints=critical,CA:FALSE"`.
pub const TLS_CERT_PEM: &str = include_str!("../tls/cert.pem");

/// The private key of [`TLS_CERT_PEM`]: a test key, public on purpose.
const TLS_KEY_PEM: &str = include_str!("../tls/key.pem");

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

    /// Queues answers written as the control API's `POST /_stub/script`
    /// takes them (a JSON array of `{status, headers, body, delay_ms,
    /// cut_after, stall_after}` or `{drop, delay_ms}`), so a test written as
    /// data scripts the stub the same way from every language.
    pub fn script_json(&self, entries: &[u8]) -> Result<(), String> {
        let answers = script::parse_script(entries)?;
        self.script(answers);
        Ok(())
    }

    /// Every request received so far as the control API's `GET
    /// /_stub/requests` lists them (`{method, path, headers, body,
    /// answered_status, received_ms}`).
    pub fn requests_json(&self) -> Vec<Value> {
        let state = self.shared.lock();
        state
            .requests
            .iter()
            .map(|(_, r)| control::request_json(r, self.shared.started))
            .collect()
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

/// The TLS side of [`StubSiptel::start_tls`], for a test server of a host's own.
pub fn tls_acceptor() -> std::io::Result<tokio_rustls::TlsAcceptor> {
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

mod contract;
mod control;
mod script;
mod server;

use contract::*;
use control::*;
use script::*;
pub use script::{Ending, Scripted};
use server::*;

#[cfg(test)]
mod tests;
