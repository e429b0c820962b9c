//! Keep-alive egress: the HTTP client behind the `wasi:http` send hook.
//!
//! `wasmtime_wasi_http::default_send_request` opens a new TCP (and TLS)
//! connection for every request and builds a new TLS configuration each time.
//! [`Pool`] instead keeps HTTP/1.1 connections alive per authority (scheme,
//! host and port), shared by every call and every `Store` of one loaded
//! component on one tokio runtime: hyper-util's pooled legacy `Client` over a
//! small connector that speaks TCP, or TLS the way the default sender does
//! (tokio-rustls, ring, the webpki roots, here with ALPN `http/1.1`).
//!
//! What a guest observes stays as with the default sender:
//! - the `wasi:http` request options apply: the connect timeout bounds TCP
//!   and the TLS handshake (`ConnectionTimeout`); the first-byte timeout runs
//!   from the start of the request, or from the moment a new connection is
//!   ready when one had to be opened (`ConnectionReadTimeout`); the
//!   between-bytes timeout bounds each wait for the next body frame
//!   (`ConnectionReadTimeout`); each defaults to 600 s as there;
//! - errors map to the same `wasmtime_wasi_http::Error` variants: connection
//!   failures to `Connect` (refused), TLS failures to `Tls`, a bad server name
//!   to `InvalidDnsNameError`, and HTTP-level failures (a connection closed
//!   before the answer, a malformed answer) to `HttpProtocolError`, which is
//!   what the default sender's `Hyper` variant becomes for a p2 guest.
//!
//! A pooled connection that the peer closed is detected by hyper (its
//! connection task sees the EOF) and dropped from the pool; a request that
//! raced such a close before being written is retried on another connection
//! by hyper-util, a request already written is not (its error reaches the
//! guest, whose retry policy decides). Connections idle longer than
//! [`IDLE_TIMEOUT`] are closed.

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_rustls::client::TlsStream;
use wasmtime_wasi_http::p2::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

/// Each request option's value when the guest sets none (as the default sender).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// Longest timeout honoured (a guest may ask for centuries; deadlines must stay
/// representable).
const MAX_TIMEOUT: Duration = Duration::from_secs(365 * 24 * 3600);

/// How long an unused connection stays in the pool: below the keep-alive
/// timeout of common servers and load balancers (60–75 s), so the pool rarely
/// picks a connection the server is about to close.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(20);

/// Idle connections kept per authority (beyond them, connections close after
/// their request). Matches the pooling allocator's concurrent instances, each
/// of which has at most one request in flight.
const MAX_IDLE_PER_AUTHORITY: usize = 128;

/// The keep-alive client: cheap to clone (clones share the pool), `Send + Sync`.
///
/// A connection is driven by a task of the tokio runtime that opened it, so
/// each runtime gets its own pool: a connection is never handed to a call on
/// another runtime, where it would stall while its runtime is not running
/// (a current-thread runtime outside `block_on`) or die with it. A server
/// has one runtime, hence one pool; a test binary has one per test, and a
/// host that makes a runtime per request one per request: only the
/// [`MAX_RUNTIMES`] runtimes used last keep a client (tokio tells no one
/// when a runtime ends), so the clients of finished runtimes do not pile up.
#[derive(Clone)]
pub(crate) struct Pool {
    connector: Connector,
    /// Most recently used first.
    clients: Arc<Mutex<Vec<RuntimeClient>>>,
}

/// The client of one runtime (`None`: outside any runtime).
type RuntimeClient = (Option<tokio::runtime::Id>, PooledClient);

/// Runtimes whose clients are kept: one per worker thread of a
/// current-thread-runtime-per-core server fits.
const MAX_RUNTIMES: usize = 64;

type PooledClient = Client<Connector, WasiBody>;

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool").finish_non_exhaustive()
    }
}

impl Pool {
    /// A pool whose TLS trusts the webpki roots (as the default sender).
    #[cfg(test)]
    pub(crate) fn new() -> Pool {
        Pool::with_roots(roots(None).expect("no extra roots to parse"))
    }

    /// A pool whose TLS trusts `roots` only.
    pub(crate) fn with_roots(roots: rustls::RootCertStore) -> Pool {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        Pool {
            connector: Connector {
                tls: tokio_rustls::TlsConnector::from(Arc::new(tls)),
            },
            clients: Arc::default(),
        }
    }

    /// The client of the current tokio runtime.
    fn client(&self) -> PooledClient {
        let runtime = tokio::runtime::Handle::try_current()
            .ok()
            .map(|handle| handle.id());
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        let used = match clients.iter().position(|(id, _)| *id == runtime) {
            Some(i) => clients.remove(i),
            None => {
                clients.truncate(MAX_RUNTIMES - 1);
                let client = Client::builder(TokioExecutor::new())
                    .pool_timer(TokioTimer::new())
                    .pool_idle_timeout(IDLE_TIMEOUT)
                    .pool_max_idle_per_host(MAX_IDLE_PER_AUTHORITY)
                    .build(self.connector.clone());
                (runtime, client)
            }
        };
        let client = used.1.clone();
        clients.insert(0, used);
        client
    }

    /// Runtimes with a client (for tests of the bookkeeping).
    #[cfg(test)]
    fn runtimes(&self) -> usize {
        self.clients.lock().map(|c| c.len()).unwrap_or(0)
    }

    /// Sends `request` (absolute URI) on a pooled connection to its authority,
    /// opening one if none is idle. The response body streams from the
    /// connection, which returns to the pool once the body is read to its end.
    pub(crate) async fn send(
        &self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> Result<http::Response<WasiBody>, Error> {
        if request.uri().authority().is_none() {
            return Err(Error::HttpRequestUriInvalid);
        }
        let timeout = |pick: fn(&RequestOptions) -> Option<Duration>| {
            options
                .as_ref()
                .and_then(pick)
                .unwrap_or(DEFAULT_TIMEOUT)
                .min(MAX_TIMEOUT)
        };
        let first_byte = timeout(|o| o.first_byte_timeout);
        let between_bytes = timeout(|o| o.between_bytes_timeout);
        let attempt = Arc::new(Attempt {
            connect_timeout: timeout(|o| o.connect_timeout),
            connecting: AtomicUsize::new(0),
            settled: Notify::new(),
        });

        let response = ATTEMPT.scope(Arc::clone(&attempt), self.client().request(request));
        tokio::pin!(response);
        let first_byte_deadline = tokio::time::sleep(first_byte);
        tokio::pin!(first_byte_deadline);
        let response = loop {
            tokio::select! {
                biased;
                result = &mut response => break result.map_err(client_error)?,
                // A new connection is ready (or failed): the first-byte clock
                // restarts, as the default sender starts it after connecting.
                () = attempt.settled.notified() => {
                    first_byte_deadline.as_mut().reset(Instant::now() + first_byte);
                }
                () = &mut first_byte_deadline => {
                    if attempt.connecting.load(Ordering::Acquire) == 0 {
                        return Err(Error::ConnectionReadTimeout);
                    }
                    // Still connecting: the connect timeout rules; the clock
                    // is re-armed when the connection settles.
                    first_byte_deadline.as_mut().reset(Instant::now() + MAX_TIMEOUT);
                }
            }
        };
        // Tokio refuses a zero interval; 1 ns is effectively zero (as the
        // default sender does).
        let between_bytes = between_bytes.max(Duration::from_nanos(1));
        Ok(response.map(|incoming| {
            IncomingResponseBody {
                incoming,
                between_bytes,
                stall: Box::pin(tokio::time::sleep(between_bytes)),
            }
            .boxed_unsync()
        }))
    }
}

/// The webpki roots (as wasmtime-wasi-http's default sender trusts), plus
/// the certificates of `extra_pem`; an error names what is wrong with them.
pub(crate) fn roots(extra_pem: Option<&str>) -> Result<rustls::RootCertStore, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.into(),
    };
    if let Some(pem) = extra_pem {
        let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("TLS roots: not PEM certificates ({e})"))?;
        if certs.is_empty() {
            return Err("TLS roots: no certificate in the PEM text".into());
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| format!("TLS roots: unusable certificate ({e})"))?;
        }
    }
    Ok(roots)
}

tokio::task_local! {
    /// The request being sent, seen by the connector when the client asks it
    /// for a new connection (it does so while polling that request).
    static ATTEMPT: Arc<Attempt>;
}

/// The timeouts and connection progress of one request.
struct Attempt {
    connect_timeout: Duration,
    /// Connects started for this request and not yet settled.
    connecting: AtomicUsize,
    /// Signalled when one of them settles.
    settled: Notify,
}

/// Marks a connect in progress for its request until dropped.
struct Connecting(Arc<Attempt>);

impl Connecting {
    fn start(attempt: Arc<Attempt>) -> Connecting {
        attempt.connecting.fetch_add(1, Ordering::AcqRel);
        Connecting(attempt)
    }
}

impl Drop for Connecting {
    fn drop(&mut self) {
        self.0.connecting.fetch_sub(1, Ordering::AcqRel);
        self.0.settled.notify_one();
    }
}

// ---------------------------------------------------------------------------
// Connector

/// Opens TCP connections, wrapped in TLS for `https`.
#[derive(Clone)]
struct Connector {
    tls: tokio_rustls::TlsConnector,
}

type ConnectFuture = Pin<Box<dyn Future<Output = Result<TokioIo<Stream>, ConnectError>> + Send>>;

impl tower_service::Service<http::Uri> for Connector {
    type Response = TokioIo<Stream>;
    type Error = ConnectError;
    type Future = ConnectFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ConnectError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, destination: http::Uri) -> ConnectFuture {
        // Called while the client polls the request that needs the connection,
        // so its options are in scope; a connect outliving that request (the
        // client pools it for later) keeps the timeout taken here.
        let attempt = ATTEMPT.try_with(Arc::clone).ok();
        let timeout = attempt
            .as_ref()
            .map_or(DEFAULT_TIMEOUT, |a| a.connect_timeout);
        let progress = attempt.map(Connecting::start);
        let tls = self.tls.clone();
        Box::pin(async move {
            let connected = tokio::time::timeout(timeout, connect(&destination, &tls)).await;
            drop(progress);
            match connected {
                Ok(stream) => stream.map(TokioIo::new),
                Err(_elapsed) => Err(ConnectError::Timeout),
            }
        })
    }
}

async fn connect(
    destination: &http::Uri,
    tls: &tokio_rustls::TlsConnector,
) -> Result<Stream, ConnectError> {
    let https = destination.scheme() == Some(&http::uri::Scheme::HTTPS);
    let authority = destination
        .authority()
        .ok_or(ConnectError::InvalidDnsName)?;
    let host_port = match authority.port_u16() {
        Some(_) => authority.as_str().to_owned(),
        None => format!("{authority}:{}", if https { 443 } else { 80 }),
    };
    let tcp = TcpStream::connect(&host_port)
        .await
        .map_err(ConnectError::Tcp)?;
    // Requests are written in one go; do not let Nagle hold the last segment.
    let _ = tcp.set_nodelay(true);
    if !https {
        return Ok(Stream::Plain(tcp));
    }
    let name = tls_server_name(&host_port).ok_or(ConnectError::InvalidDnsName)?;
    let stream = tls.connect(name, tcp).await.map_err(ConnectError::Tls)?;
    Ok(Stream::Tls(Box::new(stream)))
}

/// The rustls server name of `host:port` (`[v6]:port` for IPv6), as the
/// default sender resolves it: an IP literal, else the host without its port.
fn tls_server_name(host_port: &str) -> Option<rustls::pki_types::ServerName<'static>> {
    use rustls::pki_types::ServerName;
    if let Ok(address) = host_port.parse::<std::net::SocketAddr>() {
        return Some(ServerName::from(address.ip()));
    }
    let host = host_port
        .split_once(':')
        .map_or(host_port, |(host, _)| host);
    ServerName::try_from(host).ok().map(|name| name.to_owned())
}

/// Why a connection could not be opened.
#[derive(Debug)]
enum ConnectError {
    Timeout,
    Tcp(io::Error),
    Tls(io::Error),
    InvalidDnsName,
}

impl ConnectError {
    /// The error the default sender reports for the same failure.
    fn to_wasi(&self) -> Error {
        // The client keeps our error behind a shared reference: rebuild the
        // I/O errors with their kind and message (which is what the p2
        // conversion looks at).
        let copy = |e: &io::Error| io::Error::new(e.kind(), e.to_string());
        match self {
            ConnectError::Timeout => Error::ConnectionTimeout,
            ConnectError::Tcp(e) => Error::Connect(copy(e)),
            ConnectError::Tls(e) => Error::Tls(copy(e)),
            ConnectError::InvalidDnsName => {
                Error::InvalidDnsNameError(rustls::pki_types::InvalidDnsNameError)
            }
        }
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::Timeout => f.write_str("connect timed out"),
            ConnectError::Tcp(e) => write!(f, "connection error: {e}"),
            ConnectError::Tls(e) => write!(f, "TLS error: {e}"),
            ConnectError::InvalidDnsName => f.write_str("invalid DNS name"),
        }
    }
}

impl StdError for ConnectError {}

/// Maps a client error to what the default sender reports for it.
fn client_error(error: hyper_util::client::legacy::Error) -> Error {
    let mut cause = error.source();
    while let Some(e) = cause {
        if let Some(connect) = e.downcast_ref::<ConnectError>() {
            return connect.to_wasi();
        }
        // A `wasi:http` error code raised by the request body.
        if let Some(code) = e.downcast_ref::<ErrorCode>() {
            return code.clone().into();
        }
        cause = e.source();
    }
    if error.is_connect() {
        return Error::Connect(io::Error::other(format!("{error:?}")));
    }
    // The default sender answers `Error::Hyper(_)` here, which a p2 guest
    // receives as `http-protocol-error`.
    Error::HttpProtocolError
}

// ---------------------------------------------------------------------------
// Streams

/// A connection: plain TCP or TLS over TCP.
enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        match self {
            Stream::Plain(tcp) => tcp.connected(),
            Stream::Tls(_) => Connected::new(),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The response body, with the between-bytes timeout of the request options.
struct IncomingResponseBody {
    incoming: Incoming,
    between_bytes: Duration,
    stall: Pin<Box<tokio::time::Sleep>>,
}

impl Body for IncomingResponseBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(if e.is_timeout() {
                Error::HttpResponseTimeout
            } else {
                Error::from(e)
            }))),
            Poll::Ready(Some(Ok(frame))) => {
                let next = Instant::now() + self.between_bytes;
                self.stall.as_mut().reset(next);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                ready!(self.stall.as_mut().poll(cx));
                Poll::Ready(Some(Err(Error::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;
    use siptel_stub::{Scripted, StubConfig, StubSiptel, TLS_CERT_PEM};
    use std::convert::Infallible;
    use std::net::SocketAddr;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;
    use tokio::task::JoinHandle;

    const _: () = {
        const fn shared_across_threads<T: Send + Sync + 'static>() {}
        shared_across_threads::<Pool>();
    };

    /// A TCP proxy in front of a server that counts the connections it accepts
    /// and can sever all of them.
    struct CountingProxy {
        addr: SocketAddr,
        accepted: Arc<AtomicUsize>,
        links: Arc<Mutex<Vec<JoinHandle<()>>>>,
        accept: JoinHandle<()>,
    }

    impl CountingProxy {
        async fn start(target: SocketAddr) -> CountingProxy {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let accepted = Arc::new(AtomicUsize::new(0));
            let links = Arc::new(Mutex::new(Vec::new()));
            let accept = {
                let (accepted, links) = (Arc::clone(&accepted), Arc::clone(&links));
                tokio::spawn(async move {
                    while let Ok((mut inbound, _)) = listener.accept().await {
                        accepted.fetch_add(1, Ordering::SeqCst);
                        let link = tokio::spawn(async move {
                            if let Ok(mut outbound) = TcpStream::connect(target).await {
                                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound)
                                    .await;
                            }
                        });
                        links.lock().unwrap().push(link);
                    }
                })
            };
            CountingProxy {
                addr,
                accepted,
                links,
                accept,
            }
        }

        fn accepted(&self) -> usize {
            self.accepted.load(Ordering::SeqCst)
        }

        /// Closes every connection (both sides), as a server restart would.
        fn sever_all(&self) {
            for link in self.links.lock().unwrap().drain(..) {
                link.abort();
            }
        }
    }

    impl Drop for CountingProxy {
        fn drop(&mut self) {
            self.accept.abort();
            self.sever_all();
        }
    }

    fn post(url: &str) -> http::Request<WasiBody> {
        let body = br#"{"sender":"56961234567","recipient":"56987654321","message":"Hola","encoding":"gsm7"}"#;
        http::Request::post(url)
            .header("content-type", "application/json")
            .header("authorization", "Bearer test-key")
            .body(
                Full::new(Bytes::from_static(body))
                    .map_err(|e: Infallible| match e {})
                    .boxed_unsync(),
            )
            .unwrap()
    }

    /// Sends and reads the whole answer: `(status, body)`.
    async fn exchange(
        pool: &Pool,
        url: &str,
        options: Option<RequestOptions>,
    ) -> Result<(u16, Bytes), Error> {
        let response = pool.send(post(url), options).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }

    fn timeouts(connect: u64, first_byte: u64, between_bytes: u64) -> Option<RequestOptions> {
        Some(RequestOptions {
            connect_timeout: Some(Duration::from_millis(connect)),
            first_byte_timeout: Some(Duration::from_millis(first_byte)),
            between_bytes_timeout: Some(Duration::from_millis(between_bytes)),
        })
    }

    /// Lets the connection of a finished exchange go back to the pool (hyper
    /// returns it from a task of its own).
    /// A runtime of its own, as a host running several of them would have.
    fn current_thread() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    async fn settle() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    #[tokio::test]
    async fn two_requests_reuse_one_connection() {
        let stub = StubSiptel::start(StubConfig::default()).unwrap();
        let proxy = CountingProxy::start(stub.addr()).await;
        let pool = Pool::new();
        let url = format!("http://{}/v1/sms", proxy.addr);
        for _ in 0..3 {
            let (status, body) = exchange(&pool, &url, None).await.unwrap();
            assert_eq!(status, 400, "{body:?}"); // no idempotency key: refused
            settle().await;
        }
        assert_eq!(stub.request_count(), 3);
        assert_eq!(proxy.accepted(), 1);
    }

    #[tokio::test]
    async fn clones_share_the_pool() {
        let stub = StubSiptel::start(StubConfig::default()).unwrap();
        let proxy = CountingProxy::start(stub.addr()).await;
        let pool = Pool::new();
        let url = format!("http://{}/v1/sms", proxy.addr);
        exchange(&pool, &url, None).await.unwrap();
        settle().await;
        exchange(&pool.clone(), &url, None).await.unwrap();
        assert_eq!(proxy.accepted(), 1);
    }

    #[tokio::test]
    async fn a_connection_the_server_closed_is_not_reused() {
        let stub = StubSiptel::start(StubConfig::default()).unwrap();
        let proxy = CountingProxy::start(stub.addr()).await;
        let pool = Pool::new();
        let url = format!("http://{}/v1/sms", proxy.addr);
        exchange(&pool, &url, None).await.unwrap();
        settle().await;
        proxy.sever_all();
        settle().await;
        let (status, _) = exchange(&pool, &url, None).await.unwrap();
        assert_eq!(status, 400);
        assert_eq!(proxy.accepted(), 2);
    }

    #[tokio::test]
    async fn a_connection_dropped_mid_request_fails_it_and_is_not_reused() {
        let stub = StubSiptel::start(StubConfig::default()).unwrap();
        let proxy = CountingProxy::start(stub.addr()).await;
        let pool = Pool::new();
        let url = format!("http://{}/v1/sms", proxy.addr);
        exchange(&pool, &url, None).await.unwrap();
        settle().await;
        stub.script([Scripted::drop_connection()]);
        let error = exchange(&pool, &url, None).await.unwrap_err();
        assert!(matches!(error, Error::HttpProtocolError), "{error:?}");
        settle().await;
        let (status, _) = exchange(&pool, &url, None).await.unwrap();
        assert_eq!(status, 400);
        assert_eq!(proxy.accepted(), 2);
    }

    #[test]
    fn a_connection_of_a_finished_runtime_is_not_reused() {
        // A host shared by several runtimes (tests each run their own): the
        // connection task dies with its runtime, so the pool must not hand out
        // its connection.
        let stub = StubSiptel::start(StubConfig::default()).unwrap();
        let pool = Pool::new();
        let url = format!("http://{}/v1/sms", stub.addr());
        for _ in 0..2 {
            let (status, _) = current_thread()
                .block_on(async {
                    let answer = exchange(&pool, &url, None).await;
                    settle().await;
                    answer
                })
                .unwrap();
            assert_eq!(status, 400);
        }
        assert_eq!(stub.request_count(), 2);
    }

    #[test]
    fn the_clients_of_past_runtimes_do_not_pile_up() {
        let stub = StubSiptel::start(StubConfig::default()).unwrap();
        let pool = Pool::new();
        let url = format!("http://{}/v1/sms", stub.addr());
        for _ in 0..MAX_RUNTIMES + 10 {
            let (status, _) = current_thread()
                .block_on(exchange(&pool, &url, None))
                .unwrap();
            assert_eq!(status, 400);
        }
        assert_eq!(pool.runtimes(), MAX_RUNTIMES);
    }

    #[test]
    fn a_runtime_at_rest_does_not_hold_up_another() {
        // A current-thread runtime runs its tasks only inside `block_on`: a
        // connection it opened must not serve a call on another runtime.
        let stub = StubSiptel::start(StubConfig::default()).unwrap();
        let pool = Pool::new();
        let url = format!("http://{}/v1/sms", stub.addr());
        let resting = current_thread();
        resting.block_on(async {
            exchange(&pool, &url, None).await.unwrap();
            settle().await;
        });
        let (status, _) = current_thread()
            .block_on(async {
                tokio::time::timeout(Duration::from_secs(2), exchange(&pool, &url, None)).await
            })
            .expect("not held up by the resting runtime")
            .unwrap();
        assert_eq!(status, 400);
        drop(resting);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_requests_share_the_pool() {
        let stub = StubSiptel::start(StubConfig::default()).unwrap();
        let proxy = CountingProxy::start(stub.addr()).await;
        let pool = Pool::new();
        let url = format!("http://{}/v1/sms", proxy.addr);
        for _round in 0..3 {
            let tasks: Vec<_> = (0..16)
                .map(|_| {
                    let (pool, url) = (pool.clone(), url.clone());
                    tokio::spawn(async move { exchange(&pool, &url, None).await })
                })
                .collect();
            for task in tasks {
                assert_eq!(task.await.unwrap().unwrap().0, 400);
            }
            settle().await;
        }
        assert_eq!(stub.request_count(), 48);
        // Connections are kept across rounds: 16 would be perfect reuse, 48
        // none. hyper-util may open a spare one when a request comes just
        // before a finished connection is back in the pool (CI saw 17), so
        // the bound leaves room for that, not for a round without reuse.
        assert!(proxy.accepted() < 32, "{} connections", proxy.accepted());
    }

    #[tokio::test]
    async fn first_byte_timeout_fires() {
        let stub = StubSiptel::start(StubConfig::default()).unwrap();
        let pool = Pool::new();
        let url = format!("{}/v1/sms", stub.base_url());
        // Also on a reused connection.
        exchange(&pool, &url, None).await.unwrap();
        settle().await;
        stub.script([Scripted::status(201).with_delay(Duration::from_secs(2))]);
        let started = std::time::Instant::now();
        let error = exchange(&pool, &url, timeouts(1_000, 100, 1_000))
            .await
            .unwrap_err();
        assert!(matches!(error, Error::ConnectionReadTimeout), "{error:?}");
        assert!(started.elapsed() < Duration::from_millis(1_500));
    }

    #[tokio::test]
    async fn first_byte_clock_starts_after_connecting() {
        // A slow connect does not eat the first-byte time: 300 ms to connect
        // plus 30 ms to answer passes a 200 ms first-byte timeout.
        let (addr, _server) =
            tls_server(Duration::from_millis(300), Duration::from_millis(30)).await;
        let pool = Pool::with_roots(test_roots());
        let url = format!("https://{addr}/slow-handshake");
        let (status, _) = exchange(&pool, &url, timeouts(2_000, 200, 1_000))
            .await
            .unwrap();
        assert_eq!(status, 200);
    }

    #[tokio::test]
    async fn between_bytes_timeout_fires() {
        // Headers, two of ten body bytes, then silence.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = vec![0; 4096];
            let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut request).await;
            socket
                .write_all(b"HTTP/1.1 201 Created\r\ncontent-length: 10\r\n\r\n{\"")
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
        let pool = Pool::new();
        let started = std::time::Instant::now();
        let response = pool
            .send(
                post(&format!("http://{addr}/v1/sms")),
                timeouts(1_000, 1_000, 100),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let error = response.into_body().collect().await.unwrap_err();
        assert!(matches!(error, Error::ConnectionReadTimeout), "{error:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
        server.abort();
    }

    #[tokio::test]
    async fn connect_timeout_fires() {
        // TCP is accepted but the TLS handshake never answered.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let pool = Pool::new();
        let started = std::time::Instant::now();
        let error = exchange(
            &pool,
            &format!("https://{addr}/"),
            timeouts(100, 5_000, 5_000),
        )
        .await
        .unwrap_err();
        assert!(matches!(error, Error::ConnectionTimeout), "{error:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
        server.abort();
    }

    #[tokio::test]
    async fn refused_connection_is_a_connect_error() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let pool = Pool::new();
        let error = exchange(&pool, &format!("http://127.0.0.1:{port}/"), None)
            .await
            .unwrap_err();
        match error {
            Error::Connect(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused),
            other => panic!("expected a connect error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_server_that_is_not_tls_is_a_tls_error() {
        let stub = StubSiptel::start(StubConfig::default()).unwrap();
        let pool = Pool::new();
        let error = exchange(&pool, &format!("https://{}/v1/sms", stub.addr()), None)
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Tls(_)), "{error:?}");
    }

    #[tokio::test]
    async fn an_untrusted_certificate_is_refused() {
        let (addr, _server) = tls_server(Duration::ZERO, Duration::ZERO).await;
        let pool = Pool::new(); // webpki roots only
        let error = exchange(&pool, &format!("https://{addr}/"), None)
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Tls(_)), "{error:?}");
    }

    #[tokio::test]
    async fn https_works_and_reuses_its_connection() {
        let (addr, server) = tls_server(Duration::ZERO, Duration::ZERO).await;
        let pool = Pool::with_roots(test_roots());
        for host in ["127.0.0.1", "127.0.0.1", "localhost"] {
            let url = format!("https://{host}:{}/hello", addr.port());
            let (status, body) = exchange(&pool, &url, None).await.unwrap();
            assert_eq!((status, &body[..]), (200, &b"hello over tls"[..]));
            settle().await;
        }
        // One connection per authority (`127.0.0.1:port` and `localhost:port`).
        assert_eq!(server.handshakes.load(Ordering::SeqCst), 2);
    }

    // -----------------------------------------------------------------------
    // A TLS server for the tests, with the stub's certificate.

    fn test_cert() -> rustls::pki_types::CertificateDer<'static> {
        use rustls::pki_types::pem::PemObject;
        rustls::pki_types::CertificateDer::from_pem_slice(TLS_CERT_PEM.as_bytes()).unwrap()
    }

    fn test_roots() -> rustls::RootCertStore {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(test_cert()).unwrap();
        roots
    }

    #[test]
    fn extra_roots_are_trusted_besides_the_webpki_ones() {
        let webpki = webpki_roots::TLS_SERVER_ROOTS.len();
        assert_eq!(roots(Some(TLS_CERT_PEM)).unwrap().len(), webpki + 1);
        assert_eq!(roots(None).unwrap().len(), webpki);
        for bad in [
            "",
            "not a certificate",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        ] {
            assert!(roots(Some(bad)).is_err(), "{bad:?}");
        }
    }

    struct TlsServer {
        handshakes: Arc<AtomicUsize>,
        accept: JoinHandle<()>,
    }

    impl Drop for TlsServer {
        fn drop(&mut self) {
            self.accept.abort();
        }
    }

    /// An HTTPS server answering `200 hello over tls` to everything after
    /// `answer_delay`; it waits `handshake_delay` before each TLS handshake.
    async fn tls_server(
        handshake_delay: Duration,
        answer_delay: Duration,
    ) -> (SocketAddr, TlsServer) {
        let acceptor = siptel_stub::tls_acceptor().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let handshakes = Arc::new(AtomicUsize::new(0));
        let accept = {
            let handshakes = Arc::clone(&handshakes);
            tokio::spawn(async move {
                while let Ok((socket, _)) = listener.accept().await {
                    let (acceptor, handshakes) = (acceptor.clone(), Arc::clone(&handshakes));
                    tokio::spawn(async move {
                        tokio::time::sleep(handshake_delay).await;
                        let Ok(tls) = acceptor.accept(socket).await else {
                            return;
                        };
                        handshakes.fetch_add(1, Ordering::SeqCst);
                        let service = hyper::service::service_fn(move |_request| async move {
                            tokio::time::sleep(answer_delay).await;
                            Ok::<_, Infallible>(hyper::Response::new(Full::new(
                                Bytes::from_static(b"hello over tls"),
                            )))
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(tls), service)
                            .await;
                    });
                }
            })
        };
        (addr, TlsServer { handshakes, accept })
    }
}
