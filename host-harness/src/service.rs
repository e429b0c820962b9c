//! The service component (`wasi:http/proxy`) on this host: each request runs
//! in its own sandbox like a call of [`SiptelSms`](crate::SiptelSms) (the
//! same engine set-up, deadline, memory limit, admission with tenant shares,
//! egress policy, keep-alive pool and secrets), and [`SiptelSmsService::serve`]
//! answers HTTP/1.1 with hyper.
//!
//! What the host adds around the component: it identifies the caller by its
//! bearer token ([`Caller`]) and removes the token before the component sees
//! the request; it tells the component, through `wasi:config`, which secret
//! names this caller's requests may use (the egress hook then puts the keys
//! on the requests to Siptel); and it answers its own failures as JSON:
//! 401 unknown caller, 503 no slot within `Limits::slot_wait` (with
//! `Retry-After`), 504 past the deadline, 500 a trap or the memory limit.
//!
//! What the host answers itself, with no token, no body read and no slot
//! taken: `GET /v1/health` (the versions of the data this build judges
//! with), `GET /v1/ready` (503 once a drain began) and `GET /metrics`
//! (`crate::metrics`). Every request is logged as one `tracing` event
//! (target `siptel_sms::request`: tenant, route, status, outcome, code,
//! idempotency key, latency), never with a token, a key or a body; the
//! outcome, code and idempotency key come from the headers the component
//! sets (`x-siptel-outcome`, `x-siptel-code`, `idempotency-key`), which are
//! passed on to the client.

use crate::admission::CallKind;
use crate::callers::{Caller, Callers, Identity};
use crate::error::{Called, Failed, HostError, LoadError};
use crate::metrics::Metrics;
use crate::options::HostOptions;
use crate::sandbox::{self, CallSetup, CallState, Sandbox};
use crate::secrets::Grant;
use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Body;
use siptel_sms::config::DEADLINE_MS;
use siptel_sms_service::api;
use siptel_sms_service::keys::HOST_INJECTED;
use std::collections::BTreeSet;
use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio_util::task::TaskTracker;
use wasmtime::component::Linker;
use wasmtime_wasi_config::WasiConfigVariables;
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;

/// The body of a response: streamed from the component, or the host's own.
pub type ResponseBody = UnsyncBoxBody<Bytes, wasmtime_wasi_http::Error>;

/// Longest a client may take to send a request's body once its head is in.
/// The body is read before the request takes an instance slot, so a client
/// that trickles its body holds a connection, never a slot.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How one request ended, for [`SiptelSmsService::on_finished`]: its method
/// and path, and the sandbox's observations (guest output scrubbed of the
/// host's keys, refused egress) or the host error that ended it.
#[derive(Debug)]
pub struct Finished {
    pub method: String,
    pub path: String,
    pub result: Result<Called<()>, Failed>,
}

type Observer = Arc<dyn Fn(Finished) + Send + Sync>;

/// The loaded service component: compile once, serve many requests.
pub struct SiptelSmsService {
    sandbox: Sandbox,
    pre: ProxyPre<CallState>,
    callers: Callers,
    observer: Option<Observer>,
    metrics: Arc<Metrics>,
    /// Set when `serve_until` begins to drain: `/v1/ready` answers 503.
    pub(crate) draining: AtomicBool,
    /// The component tasks of requests (a drain waits for them).
    pub(crate) tasks: TaskTracker,
}

impl SiptelSmsService {
    /// Loads the service component embedded in this crate
    /// ([`crate::SERVICE_WASM`]).
    pub fn builtin(options: HostOptions, callers: Vec<Caller>) -> Result<Self, HostError> {
        Self::from_bytes(crate::SERVICE_WASM, options, callers)
    }

    /// Loads a service component from a `.wasm` file.
    pub fn from_file(
        path: impl AsRef<Path>,
        options: HostOptions,
        callers: Vec<Caller>,
    ) -> Result<Self, HostError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|error| LoadError::Read {
            path: path.to_owned(),
            error,
        })?;
        Self::from_bytes(&bytes, options, callers)
    }

    /// Loads a service component from its bytes. `callers` empty: every
    /// request is anonymous and may use no host secret.
    pub fn from_bytes(
        wasm: &[u8],
        options: HostOptions,
        callers: Vec<Caller>,
    ) -> Result<Self, HostError> {
        let held: BTreeSet<&str> = options.secrets.keys().map(String::as_str).collect();
        let callers = Callers::new(callers, &held).map_err(LoadError::Caller)?;
        let sandbox = Sandbox::new(options)?;
        let component = sandbox.compile(wasm)?;
        // The proxy world's interfaces only (no `wasi:cli/environment`,
        // files or sockets), and runtime config.
        let mut linker = Linker::<CallState>::new(sandbox.engine());
        wasmtime_wasi_http::p2::add_to_linker_async(&mut linker).map_err(LoadError::from)?;
        wasmtime_wasi_config::add_to_linker(&mut linker, CallState::config)
            .map_err(LoadError::from)?;
        let pre = linker
            .instantiate_pre(&component)
            .map_err(LoadError::from)?;
        let pre = ProxyPre::new(pre).map_err(LoadError::from)?;
        Ok(SiptelSmsService {
            sandbox,
            pre,
            callers,
            observer: None,
            metrics: Arc::new(Metrics::new()),
            draining: AtomicBool::new(false),
            tasks: TaskTracker::new(),
        })
    }

    /// Calls `observer` when a request's sandbox is gone (its response
    /// sent, or its failure answered).
    pub fn on_finished(mut self, observer: impl Fn(Finished) + Send + Sync + 'static) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// The options every request runs under.
    pub fn options(&self) -> &HostOptions {
        &self.sandbox.options
    }

    /// The service's metrics as OpenMetrics text (what `GET /metrics`
    /// answers), for an embedder that exposes them elsewhere.
    pub fn metrics_text(&self) -> String {
        self.metrics.encode()
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The longest a request may take once it arrived: its body, its wait
    /// for a slot, and the longest send deadline a config may set (with
    /// the host's grace): how long a drain waits by default.
    pub(crate) fn longest_request(&self) -> Duration {
        let limits = &self.options().limits;
        BODY_READ_TIMEOUT
            + limits.slot_wait
            + sandbox::send_timeout(limits, DEADLINE_MS.max)
            + Duration::from_secs(1)
    }

    /// Answers one request. Its URI or `Host` header must name an authority
    /// (a server's requests carry `Host`).
    pub async fn handle<B>(&self, request: http::Request<B>) -> http::Response<ResponseBody>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let started = Instant::now();
        let _in_flight = self.metrics.in_flight();
        if request.method() == http::Method::GET
            && let Some((route, answer)) = self.host_route(request.uri().path())
        {
            // Probes and scrapes come every few seconds: not worth an info
            // line each.
            let elapsed = started.elapsed();
            self.metrics.latency(route, elapsed);
            tracing::debug!(
                target: "siptel_sms::request",
                route,
                status = answer.status().as_u16(),
                latency_ms = elapsed.as_secs_f64() * 1e3,
                "request"
            );
            return answer;
        }
        let route = api::Route::of(request.method().as_str(), request.uri().path()).ok();
        let (response, tenant) = self.call(request, route).await;
        let elapsed = started.elapsed();
        let label = route_label(route);
        self.metrics.latency(label, elapsed);
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
        };
        let (outcome, code) = (header(api::OUTCOME_HEADER), header(api::CODE_HEADER));
        if route == Some(api::Route::Send) {
            self.metrics.send(outcome, code);
        }
        tracing::info!(
            target: "siptel_sms::request",
            tenant = tenant.as_deref().unwrap_or_default(),
            route = label,
            status = response.status().as_u16(),
            outcome = outcome.unwrap_or_default(),
            code = code.unwrap_or_default(),
            idempotency_key = header(api::IDEMPOTENCY_KEY_HEADER)
                .map(|key| key.get(..100).unwrap_or(key))
                .unwrap_or_default(),
            latency_ms = elapsed.as_secs_f64() * 1e3,
            "request"
        );
        response
    }

    /// The answer of a route the host serves itself (no token, no body, no
    /// slot), with its label; `None` for the component's routes.
    fn host_route(&self, path: &str) -> Option<(&'static str, http::Response<ResponseBody>)> {
        match path {
            "/v1/health" => Some(("health", host_answer(api::health()))),
            "/v1/ready" if self.draining.load(Ordering::SeqCst) => {
                Some(("ready", host_answer(api::draining())))
            }
            "/v1/ready" => Some(("ready", host_answer(api::ready()))),
            "/metrics" => {
                let mut answer = http::Response::new(full(self.metrics.encode().into()));
                answer.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static(crate::metrics::CONTENT_TYPE),
                );
                Some(("metrics", answer))
            }
            _ => None,
        }
    }

    /// Runs one request of the component's routes in a sandbox: the answer,
    /// and the caller's tenant.
    async fn call<B>(
        &self,
        request: http::Request<B>,
        route: Option<api::Route>,
    ) -> (http::Response<ResponseBody>, Option<String>)
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let (mut parts, body) = request.into_parts();
        let authorization = parts.headers.remove(http::header::AUTHORIZATION);
        let Some((tenant, grant)) = self.caller(authorization.as_ref()) else {
            return (unauthorized(), None);
        };
        let answer = self
            .sandboxed(parts, body, route, tenant.as_deref(), grant)
            .await;
        (answer, tenant)
    }

    /// Reads the body, waits for a slot, and runs the component on the
    /// request in a fresh store: its answer, or the host's.
    async fn sandboxed<B>(
        &self,
        mut parts: http::request::Parts,
        body: B,
        route: Option<api::Route>,
        tenant: Option<&str>,
        grant: BTreeSet<String>,
    ) -> http::Response<ResponseBody>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        // The component answers wrong paths; the host needs the route only
        // to give sends their deadline.
        let limits = &self.options().limits;
        let (kind, timeout) = if route == Some(api::Route::Send) {
            // The config's own deadline is inside the body: the component
            // enforces it, the host the longest one a config may set.
            (
                CallKind::Send,
                sandbox::send_timeout(limits, DEADLINE_MS.max),
            )
        } else {
            (CallKind::Quick, limits.call_timeout)
        };
        let method = parts.method.to_string();
        let path = parts.uri.path().to_owned();
        let body = match read_body(body).await {
            Ok(body) => body,
            Err(answer) => return host_answer(answer),
        };
        parts
            .headers
            .insert(http::header::CONTENT_LENGTH, body.len().into());
        let request = http::Request::from_parts(parts, Full::new(body));

        let waiting = Instant::now();
        let admitted = self.sandbox.admit(kind, tenant).await;
        self.metrics.slot_wait(waiting.elapsed());
        let ticket = match admitted {
            Ok(ticket) => ticket,
            Err(error) => {
                if matches!(error, HostError::Busy(_)) {
                    self.metrics.busy();
                }
                return failure_answer(&error);
            }
        };
        let mut config = WasiConfigVariables::new();
        config.insert(
            HOST_INJECTED,
            grant.iter().cloned().collect::<Vec<_>>().join(","),
        );
        let setup = CallSetup {
            wall_clock: None,
            grant: Grant::new(&grant),
            config,
        };
        let base_url = match self.sandbox.base_url(None) {
            Ok(base_url) => base_url,
            Err(error) => return failure_answer(&error),
        };
        let mut call = self.sandbox.store(&base_url, setup, timeout);
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let handles = {
            let mut http = call.store.data_mut().http();
            http.new_incoming_request(Scheme::Http, request)
                .and_then(|request| Ok((request, http.new_response_outparam(sender)?)))
        };
        let (request, response_out) = match handles {
            Ok(handles) => handles,
            Err(error) => {
                return host_answer(api::error(400, "bad-request", &format!("{error:#}")));
            }
        };

        // The component streams the body after it sets the response: it
        // runs in its own task, which holds the slot until the store is gone.
        let pre = self.pre.clone();
        let observer = self.observer.clone();
        let metrics = Arc::clone(&self.metrics);
        let task = self.tasks.spawn(async move {
            let value = call
                .run(async |store| {
                    let proxy = pre.instantiate_async(&mut *store).await?;
                    proxy
                        .wasi_http_incoming_handler()
                        .call_handle(&mut *store, request, response_out)
                        .await
                })
                .await;
            let result = call.observed(value, None);
            drop(ticket);
            report(&metrics, route_label(route), &result);
            let failure = result
                .as_ref()
                .err()
                .map(|failed| failure_status(&failed.value));
            if let Some(observer) = observer {
                observer(Finished {
                    method,
                    path,
                    result,
                });
            }
            failure
        });
        match receiver.await {
            Ok(Ok(response)) => response,
            Ok(Err(error)) => host_answer(api::error(
                500,
                "component-error",
                &format!("the component answered an error: {error:?}"),
            )),
            // The component ended without answering: its failure says why.
            Err(_) => match task.await {
                Ok(Some(answer)) => host_answer(answer),
                Ok(None) | Err(_) => host_answer(api::error(
                    500,
                    "no-response",
                    "the component ended without answering",
                )),
            },
        }
    }

    /// The tenant and granted secret names of the request that carries
    /// `authorization`; `None` when it is no caller's (and not the health
    /// probe, which needs no token: it says nothing about anyone).
    fn caller(
        &self,
        authorization: Option<&http::HeaderValue>,
    ) -> Option<(Option<String>, BTreeSet<String>)> {
        match self.callers.identify(authorization.map(|v| v.as_bytes())) {
            Some(Identity::Caller(caller)) => {
                Some((Some(caller.tenant.clone()), caller.secrets.clone()))
            }
            Some(Identity::Anonymous) => Some((None, BTreeSet::new())),
            None => None,
        }
    }
}

/// The status and JSON answer of a host failure.
fn failure_status(error: &HostError) -> api::Response {
    match error {
        HostError::Busy(_) => api::error(
            503,
            "busy",
            "no instance slot came free in time; repeat the request later",
        ),
        HostError::Timeout(limit) => api::error(
            504,
            "timeout",
            &format!("the request ran past its {limit:?} deadline"),
        ),
        HostError::MemoryLimit(bytes) => api::error(
            500,
            "memory-limit",
            &format!("the component exceeded its {bytes}-byte memory limit"),
        ),
        HostError::Trap(_) | HostError::Load(_) | HostError::BaseUrl(_) => {
            api::error(500, "component-failed", "the component failed")
        }
    }
}

/// 401, with the scheme a caller must use.
fn unauthorized() -> http::Response<ResponseBody> {
    let mut response = host_answer(api::error(
        401,
        "unauthorized",
        "send `Authorization: Bearer <token>` with a caller's token",
    ));
    response
        .headers_mut()
        .insert("www-authenticate", http::HeaderValue::from_static("Bearer"));
    response
}

fn failure_answer(error: &HostError) -> http::Response<ResponseBody> {
    let mut response = host_answer(failure_status(error));
    if matches!(error, HostError::Busy(_)) {
        response
            .headers_mut()
            .insert("retry-after", http::HeaderValue::from_static("1"));
    }
    response
}

/// A request's body, read within [`BODY_READ_TIMEOUT`]: whole, or its first
/// `MAX_BODY_BYTES + 1` bytes (enough for the component to answer 413, the
/// rest is not read).
async fn read_body<B>(body: B) -> Result<Bytes, api::Response>
where
    B: Body<Data = Bytes>,
    B::Error: Into<wasmtime_wasi_http::Error>,
{
    let limit = siptel_sms_service::body::MAX_BODY_BYTES + 1;
    let read = async {
        let mut body = std::pin::pin!(body);
        let mut bytes = Vec::new();
        while bytes.len() < limit {
            match body.frame().await {
                None => break,
                Some(Ok(frame)) => {
                    if let Some(data) = frame.data_ref() {
                        bytes.extend_from_slice(data);
                    }
                }
                Some(Err(_)) => {
                    return Err(api::error(
                        400,
                        "bad-request",
                        "the request's body could not be read",
                    ));
                }
            }
        }
        bytes.truncate(limit);
        Ok(Bytes::from(bytes))
    };
    tokio::time::timeout(BODY_READ_TIMEOUT, read)
        .await
        .unwrap_or_else(|_| {
            Err(api::error(
                408,
                "body-timeout",
                &format!(
                    "the request's body took longer than {} s to arrive",
                    BODY_READ_TIMEOUT.as_secs()
                ),
            ))
        })
}

/// An answer of the host's own, as JSON.
fn host_answer(answer: api::Response) -> http::Response<ResponseBody> {
    let mut builder = http::Response::builder()
        .status(answer.status)
        .header("content-type", "application/json");
    for (name, value) in &answer.headers {
        builder = builder.header(*name, value);
    }
    let body = Full::new(Bytes::from(answer.body))
        .map_err(|never: Infallible| match never {})
        .boxed_unsync();
    builder
        .body(body)
        .unwrap_or_else(|_| http::Response::new(empty()))
}

fn empty() -> ResponseBody {
    Full::new(Bytes::new())
        .map_err(|never: Infallible| match never {})
        .boxed_unsync()
}

fn full(bytes: Bytes) -> ResponseBody {
    Full::new(bytes)
        .map_err(|never: Infallible| match never {})
        .boxed_unsync()
}

/// The label of `route` in logs and metrics (`unknown`: a wrong path or
/// method, which the component answers 404 or 405).
fn route_label(route: Option<api::Route>) -> &'static str {
    match route {
        Some(api::Route::Send) => "send",
        Some(api::Route::Check) => "check",
        Some(api::Route::Preview) => "preview",
        Some(api::Route::Describe) => "describe",
        Some(api::Route::Health) => "health",
        Some(api::Route::Ready) => "ready",
        None => "unknown",
    }
}

/// Counts and logs what the sandbox saw of a request: refused egress, a
/// host failure. Guest output is not logged (it might hold a message's
/// text); `SiptelSmsService::on_finished` hands it to an embedder.
fn report(metrics: &Metrics, route: &'static str, result: &Result<Called<()>, Failed>) {
    let (denied, failure) = match result {
        Ok(called) => (&called.denied, None),
        Err(failed) => (&failed.denied, Some(failed)),
    };
    if !denied.is_empty() {
        metrics.egress_refused(denied.len());
        tracing::warn!(
            target: "siptel_sms::egress",
            route,
            refused = ?denied,
            "outgoing requests refused by the egress policy"
        );
    }
    if let Some(failed) = failure {
        tracing::warn!(
            target: "siptel_sms::request",
            route,
            error = %failed.value,
            guest_stderr_bytes = failed.stderr.len(),
            "the component failed"
        );
    }
}
