//! Serving [`SiptelSmsService`] over HTTP/1.1 on a TCP listener: the accept
//! loop, its connection limits, and the drain on shutdown.
//!
//! Every connection is counted against [`ServeOptions::max_connections`]
//! and [`ServeOptions::max_connections_per_ip`], so the process keeps
//! descriptors to accept (and answer) others. At the total cap the oldest
//! connection that has sent no request yet is closed to make room, so a
//! flood of idle connections cannot keep a client with a request out; when
//! every connection has sent one, or past the per-IP cap, the new
//! connection is answered `503` with `Retry-After` at once and closed
//! gently (its bytes read and discarded for a moment, so the answer is not
//! lost to a reset). When the shutdown future completes the listener is
//! closed, idle connections are closed, and requests in flight finish
//! (hyper-util's `GracefulShutdown`), as do the component tasks of clients
//! that left, within [`ServeOptions::drain_timeout`].
//!
//! The service speaks plain HTTP: TLS is a terminating proxy's job. Behind
//! one, every connection comes from the proxy's address, so leave the
//! per-IP cap at the total cap (the default).

use crate::metrics::ShedReason;
use crate::service::SiptelSmsService;
use hyper_util::server::graceful::GracefulShutdown;
use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// How [`SiptelSmsService::serve_until`] serves connections.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Connections served at once. One more closes the oldest connection
    /// without a request yet, or, when all have sent one, is answered 503
    /// and closed. Keep it well under the process's descriptor limit (each
    /// connection holds one, and so does each request's call to Siptel).
    pub max_connections: usize,
    /// Connections one client IP may hold at once (503 past it); at or
    /// above `max_connections` there is no per-IP cap. Behind a proxy every
    /// connection is the proxy's: keep it at `max_connections`.
    pub max_connections_per_ip: usize,
    /// Longest a connection may take to send a request's head, the first
    /// or the next one on a keep-alive connection: an idle connection is
    /// closed after it.
    pub idle_timeout: Duration,
    /// Longest a shutdown waits for requests in flight. `None`: the longest
    /// a request may take (body read, slot wait, the longest send deadline
    /// a config may set, and the host's grace), so no send is cut short.
    pub drain_timeout: Option<Duration>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            max_connections: 1024,
            max_connections_per_ip: 1024,
            idle_timeout: Duration::from_secs(30),
            drain_timeout: None,
        }
    }
}

/// How a drain ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Drained {
    /// Every request in flight was answered (and every component task
    /// ended) within the drain timeout.
    pub complete: bool,
    /// Connections still open when the drain ended (0 when complete).
    pub connections_left: usize,
}

/// The answer to a connection past a limit, written before it is read.
const SHED_ANSWER: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/json\r\n\
retry-after: 1\r\n\
x-siptel-code: too-many-connections\r\n\
connection: close\r\n\
content-length: 109\r\n\
\r\n\
{\"error\":\"too-many-connections\",\"message\":\"the service is at its connection limit; repeat the request later\"}";

/// Shed connections being closed gently at once (each holds a descriptor
/// for up to [`CLOSE_WAIT`]); past it they are closed at once.
const CLOSING_AT_ONCE: usize = 32;

/// Longest a shed connection is read (and its bytes discarded) after its
/// answer, so that closing it does not reset the answer away.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// Answers a shed connection 503, ends its sending side and discards what
/// the client sent (for at most [`CLOSE_WAIT`]) before closing: a socket
/// closed with unread bytes is reset, and the client may lose the answer.
async fn close_gently(mut stream: TcpStream, _closer: OwnedSemaphorePermit) {
    let mut buffer = [0; 4096];
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        stream.write_all(SHED_ANSWER).await?;
        stream.shutdown().await?;
        while stream.read(&mut buffer).await? > 0 {}
        Ok::<_, std::io::Error>(())
    })
    .await;
}

impl SiptelSmsService {
    /// Serves HTTP/1.1 (keep-alive) on `listener` with the default
    /// [`ServeOptions`] until the task is dropped (no drain; see
    /// [`serve_until`](Self::serve_until)).
    pub async fn serve(self: Arc<Self>, listener: TcpListener) {
        self.serve_until(listener, ServeOptions::default(), std::future::pending())
            .await;
    }

    /// Serves HTTP/1.1 (keep-alive) on `listener` until `shutdown`
    /// completes, then drains: stops accepting, answers 503 `draining` to
    /// `GET /v1/ready`, closes idle connections, and waits (at most
    /// [`ServeOptions::drain_timeout`]) for requests in flight to be
    /// answered and for every component task to end. A send that reached
    /// Siptel is answered unless the drain times out.
    pub async fn serve_until(
        self: Arc<Self>,
        listener: TcpListener,
        options: ServeOptions,
        shutdown: impl Future<Output = ()>,
    ) -> Drained {
        let limiter = Limiter::new(&options);
        let closing = Arc::new(Semaphore::new(CLOSING_AT_ONCE));
        let graceful = GracefulShutdown::new();
        let mut shed_log = ShedLog::default();
        let mut shutdown = std::pin::pin!(shutdown);
        let mut report = tokio::time::interval(Duration::from_secs(1));
        report.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let accepted = tokio::select! {
                biased;
                () = &mut shutdown => break,
                accepted = listener.accept() => accepted,
                _ = report.tick() => {
                    shed_log.flush();
                    continue;
                }
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                // Out of descriptors, or a connection reset before it was
                // accepted: wait a moment, keep serving.
                Err(error) => {
                    tracing::warn!(target: "siptel_sms::serve", %error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let ip = peer.ip().to_canonical();
            let permit = match limiter.admit(ip) {
                Ok(permit) => permit,
                Err(reason) => {
                    self.metrics().shed(reason);
                    shed_log.shed(reason, ip, &options);
                    match Arc::clone(&closing).try_acquire_owned() {
                        Ok(closer) => {
                            tokio::spawn(close_gently(stream, closer));
                        }
                        // Too many closing already: the answer goes out
                        // (a fresh socket's buffer takes it), but a client
                        // that already sent its request may see a reset.
                        Err(_) => {
                            let _ = stream.try_write(SHED_ANSWER);
                        }
                    }
                    continue;
                }
            };
            if let Some(evicted) = permit.evicted {
                self.metrics().shed(ShedReason::IdleEvicted);
                shed_log.shed(ShedReason::IdleEvicted, evicted, &options);
            }
            let _ = stream.set_nodelay(true);
            let open = self.metrics().connection();
            let service = Arc::clone(&self);
            let first = permit.first_request();
            let handler = hyper::service::service_fn(move |request| {
                first.seen();
                let service = Arc::clone(&service);
                async move { Ok::<_, Infallible>(service.handle(request).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(options.idle_timeout)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), handler);
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                // Evicted: dropping the connection closes it.
                tokio::select! {
                    _ = connection => {}
                    () = permit.evict.cancelled() => {}
                }
                drop((permit, open));
            });
        }
        drop(listener);
        shed_log.flush();
        self.draining.store(true, Ordering::SeqCst);
        let timeout = options
            .drain_timeout
            .unwrap_or_else(|| self.longest_request());
        tracing::info!(
            target: "siptel_sms::serve",
            connections = graceful.count(),
            timeout_s = timeout.as_secs(),
            "shutting down: no new connections, draining requests in flight"
        );
        let started = Instant::now();
        let drain = {
            let tasks = self.tasks.clone();
            async move {
                graceful.shutdown().await;
                tasks.close();
                tasks.wait().await;
            }
        };
        let complete = tokio::time::timeout(timeout, drain).await.is_ok();
        let connections_left = if complete { 0 } else { limiter.open() };
        if complete {
            tracing::info!(
                target: "siptel_sms::serve",
                elapsed_ms = started.elapsed().as_millis() as u64,
                "drained: every request in flight was answered"
            );
        } else {
            tracing::error!(
                target: "siptel_sms::serve",
                connections_left,
                "drain timed out: requests in flight were cut off"
            );
        }
        Drained {
            complete,
            connections_left,
        }
    }
}

/// The connections open, in total and per client IP, and those that have
/// sent no request yet (evictable).
struct Limiter {
    max: usize,
    per_ip: usize,
    open: Arc<Mutex<Open>>,
}

#[derive(Default)]
struct Open {
    total: usize,
    by_ip: HashMap<IpAddr, usize>,
    /// Connections without a request yet, oldest first: id, IP, and how to
    /// close one.
    fresh: BTreeMap<u64, (IpAddr, CancellationToken)>,
    next_id: u64,
}

/// A connection's place under the limits; dropping it frees the place.
struct Permit {
    id: u64,
    ip: IpAddr,
    open: Arc<Mutex<Open>>,
    /// Cancelled when the connection is evicted to make room.
    evict: CancellationToken,
    /// The IP of the connection evicted to admit this one.
    evicted: Option<IpAddr>,
}

impl Limiter {
    fn new(options: &ServeOptions) -> Limiter {
        Limiter {
            max: options.max_connections.max(1),
            per_ip: options.max_connections_per_ip.max(1),
            open: Arc::default(),
        }
    }

    /// A place for a connection from `ip`. At the total cap, the oldest
    /// connection that has sent no request yet is evicted to make room (an
    /// idle flood holds no place a client with a request needs); when every
    /// connection has sent one, the new connection is shed.
    fn admit(&self, ip: IpAddr) -> Result<Permit, ShedReason> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        // A per-IP cap at the total cap is none: the total's rule applies.
        if self.per_ip < self.max && open.by_ip.get(&ip).copied().unwrap_or(0) >= self.per_ip {
            return Err(ShedReason::PerIp);
        }
        let mut evicted = None;
        if open.total >= self.max {
            // The evicted connection's place is freed when its task ends,
            // a moment later: until then the total may pass the cap by the
            // evictions under way.
            match open.fresh.pop_first() {
                Some((_, (ip, evict))) => {
                    evict.cancel();
                    evicted = Some(ip);
                }
                None => return Err(ShedReason::Total),
            }
        }
        *open.by_ip.entry(ip).or_default() += 1;
        open.total += 1;
        let id = open.next_id;
        open.next_id += 1;
        let evict = CancellationToken::new();
        open.fresh.insert(id, (ip, evict.clone()));
        Ok(Permit {
            id,
            ip,
            open: Arc::clone(&self.open),
            evict,
            evicted,
        })
    }

    fn open(&self) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).total
    }
}

impl Permit {
    /// What tells the limiter the connection's first request came.
    fn first_request(&self) -> FirstRequest {
        FirstRequest {
            id: self.id,
            open: Arc::clone(&self.open),
            seen: AtomicBool::new(false),
        }
    }
}

/// Marks a connection as no longer evictable at its first request.
struct FirstRequest {
    id: u64,
    open: Arc<Mutex<Open>>,
    seen: AtomicBool,
}

impl FirstRequest {
    fn seen(&self) {
        if !self.seen.swap(true, Ordering::Relaxed) {
            let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
            open.fresh.remove(&self.id);
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.total -= 1;
        open.fresh.remove(&self.id);
        if let Some(of_ip) = open.by_ip.get_mut(&self.ip) {
            *of_ip -= 1;
            if *of_ip == 0 {
                open.by_ip.remove(&self.ip);
            }
        }
    }
}

/// Logs shed connections: the first after a quiet second at once, the
/// rest as one line a second with how many were shed, so a flood does not
/// flood the log.
#[derive(Default)]
struct ShedLog {
    last: Option<Instant>,
    unlogged: u64,
}

impl ShedLog {
    fn shed(&mut self, reason: ShedReason, ip: IpAddr, options: &ServeOptions) {
        self.unlogged += 1;
        if self
            .last
            .is_some_and(|last| last.elapsed() < Duration::from_secs(1))
        {
            return;
        }
        tracing::warn!(
            target: "siptel_sms::serve",
            reason = reason.as_str(),
            client_ip = %ip,
            shed = self.unlogged,
            max_connections = options.max_connections,
            max_connections_per_ip = options.max_connections_per_ip,
            "connections shed at the connection limit (new ones answered 503, or idle ones closed)"
        );
        self.last = Some(Instant::now());
        self.unlogged = 0;
    }

    /// Logs the connections shed since the last line, if any (called
    /// every second and at shutdown).
    fn flush(&mut self) {
        if self.unlogged > 0 {
            tracing::warn!(
                target: "siptel_sms::serve",
                shed = self.unlogged,
                "connections shed since the last report"
            );
            self.last = Some(Instant::now());
            self.unlogged = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_counts_per_ip_and_in_total_and_frees_on_drop() {
        let limiter = Limiter::new(&ServeOptions {
            max_connections: 3,
            max_connections_per_ip: 2,
            ..ServeOptions::default()
        });
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let a1 = limiter.admit(a).unwrap();
        let a2 = limiter.admit(a).unwrap();
        assert_eq!(limiter.admit(a).err(), Some(ShedReason::PerIp));
        let b1 = limiter.admit(b).unwrap();
        // Every connection has sent a request: nothing to evict.
        for permit in [&a1, &a2, &b1] {
            permit.first_request().seen();
        }
        assert_eq!(limiter.admit(b).err(), Some(ShedReason::Total));
        drop(a1);
        let _a3 = limiter.admit(a).unwrap();
        assert_eq!(limiter.open(), 3);
    }

    #[test]
    fn at_the_total_cap_the_oldest_connection_without_a_request_is_evicted() {
        let limiter = Limiter::new(&ServeOptions {
            max_connections: 3,
            ..ServeOptions::default()
        });
        let ip = |last| IpAddr::from([10, 0, 0, last]);
        let idle1 = limiter.admit(ip(1)).unwrap();
        let busy = limiter.admit(ip(2)).unwrap();
        busy.first_request().seen();
        let idle2 = limiter.admit(ip(3)).unwrap();
        let new = limiter.admit(ip(4)).unwrap();
        assert_eq!(new.evicted, Some(ip(1)));
        assert!(idle1.evict.is_cancelled());
        assert!(!idle2.evict.is_cancelled() && !busy.evict.is_cancelled());
        // Over the cap until the evicted connection's task drops its place.
        assert_eq!(limiter.open(), 4);
        drop(idle1);
        assert_eq!(limiter.open(), 3);
        new.first_request().seen();
        let fifth = limiter.admit(ip(5)).unwrap();
        assert_eq!(fifth.evicted, Some(ip(3)));
        fifth.first_request().seen();
        drop(idle2);
        // Every place is a connection with a request: shed.
        assert_eq!(limiter.admit(ip(6)).err(), Some(ShedReason::Total));
    }

    #[test]
    fn the_shed_answer_is_well_formed() {
        let text = std::str::from_utf8(SHED_ANSWER).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["error"], "too-many-connections");
    }
}
