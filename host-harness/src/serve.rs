//! Serving [`SiptelSmsService`] over HTTP/1.1 on a TCP listener: the accept
//! loop, its connection limits, and the drain on shutdown.
//!
//! Every connection is counted against [`ServeOptions::max_connections`]
//! and [`ServeOptions::max_connections_per_ip`]; one past either is
//! answered `503` with `Retry-After` at once and closed, so a flood of idle
//! connections is shed while the process still has descriptors to accept
//! (and answer) others. When the shutdown future completes the listener is
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
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// How [`SiptelSmsService::serve_until`] serves connections.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Connections served at once; one more is answered 503 and closed.
    /// Keep it well under the process's descriptor limit (each connection
    /// holds one, and so does each request's call to Siptel).
    pub max_connections: usize,
    /// Connections one client IP may hold at once (503 past it). Behind a
    /// proxy every connection is the proxy's: keep it at `max_connections`.
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
content-length: 100\r\n\
\r\n\
{\"error\":\"too-many-connections\",\"message\":\"the service holds all the connections it serves at once\"}";

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
                    // A fresh socket's send buffer takes the whole answer;
                    // the connection closes when `stream` drops.
                    let _ = stream.try_write(SHED_ANSWER);
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let open = self.metrics().connection();
            let service = Arc::clone(&self);
            let handler = hyper::service::service_fn(move |request| {
                let service = Arc::clone(&service);
                async move { Ok::<_, Infallible>(service.handle(request).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(options.idle_timeout)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), handler);
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                let _ = connection.await;
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

/// The connections open, in total and per client IP.
struct Limiter {
    max: usize,
    per_ip: usize,
    open: Arc<Mutex<Open>>,
}

#[derive(Default)]
struct Open {
    total: usize,
    by_ip: HashMap<IpAddr, usize>,
}

/// A connection's place under the limits; dropping it frees the place.
struct Permit {
    ip: IpAddr,
    open: Arc<Mutex<Open>>,
}

impl Limiter {
    fn new(options: &ServeOptions) -> Limiter {
        Limiter {
            max: options.max_connections.max(1),
            per_ip: options.max_connections_per_ip.max(1),
            open: Arc::default(),
        }
    }

    fn admit(&self, ip: IpAddr) -> Result<Permit, ShedReason> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.total >= self.max {
            return Err(ShedReason::Total);
        }
        let of_ip = open.by_ip.entry(ip).or_default();
        if *of_ip >= self.per_ip {
            return Err(ShedReason::PerIp);
        }
        *of_ip += 1;
        open.total += 1;
        Ok(Permit {
            ip,
            open: Arc::clone(&self.open),
        })
    }

    fn open(&self) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).total
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.total -= 1;
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
            "connections shed with 503: at the connection limit"
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
                "connections shed with 503 since the last report"
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
        let _a2 = limiter.admit(a).unwrap();
        assert_eq!(limiter.admit(a).err(), Some(ShedReason::PerIp));
        let _b1 = limiter.admit(b).unwrap();
        assert_eq!(limiter.admit(b).err(), Some(ShedReason::Total));
        drop(a1);
        let _a3 = limiter.admit(a).unwrap();
        assert_eq!(limiter.open(), 3);
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
