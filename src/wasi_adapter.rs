//! WASI behind the small traits of `delivery`: `wasi:http` is the
//! [`Transport`], `wasi:clocks` the [`Clock`], `wasi:random` the [`Entropy`].
//! Shared by every component built on this library.

use crate::delivery::{Clock, Entropy, Response, Transport, TransportError};
use crate::siptel::{self, BodyEnd, Request, Scheme};
use wasi::clocks::{monotonic_clock, wall_clock};
use wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions,
    Scheme as WasiScheme,
};
use wasi::io::poll;
use wasi::io::streams::StreamError;

/// `wasi:clocks`: waits block on a pollable, never spin.
pub struct WasiClock;

impl Clock for WasiClock {
    fn monotonic_ms(&mut self) -> u64 {
        monotonic_clock::now() / 1_000_000
    }

    fn sleep_ms(&mut self, ms: u64) {
        monotonic_clock::subscribe_duration(ms.saturating_mul(1_000_000)).block();
    }

    fn unix_seconds(&mut self) -> i64 {
        i64::try_from(wall_clock::now().seconds).unwrap_or(i64::MAX)
    }
}

/// `wasi:random`.
pub struct WasiRandom;

impl Entropy for WasiRandom {
    fn next_u64(&mut self) -> u64 {
        wasi::random::random::get_random_u64()
    }

    /// One host call for 128 bits (an idempotency key), not two.
    fn next_u128(&mut self) -> u128 {
        let bytes = wasi::random::random::get_random_bytes(16);
        let mut buffer = [0u8; 16];
        let n = bytes.len().min(16);
        buffer[..n].copy_from_slice(&bytes[..n]);
        u128::from_le_bytes(buffer)
    }
}

/// `wasi:http/outgoing-handler`. The attempt's timeout is a monotonic-clock
/// pollable the guest waits on beside the answer, which bounds every wait in
/// a host that polls asynchronously (wasmtime); a connect timeout goes in the
/// request options too, for hosts whose `wasi:http` blocks while connecting
/// and reading the head (Node's preview2-shim, which honours it as a
/// time-to-headers limit). First-byte and between-bytes timeouts would be
/// host calls (and host timers) that the pollable already makes redundant.
pub struct WasiHttp;

impl Transport for WasiHttp {
    fn send(&mut self, request: &Request, timeout_ms: u64) -> Result<Response, TransportError> {
        let timeout_ns = timeout_ms.saturating_mul(1_000_000);
        let deadline = monotonic_clock::subscribe_duration(timeout_ns);

        let headers: Vec<(String, Vec<u8>)> = request
            .headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.as_str().as_bytes().to_vec()))
            .collect();
        let fields = Fields::from_list(&headers).map_err(|_| TransportError::Other)?;
        let outgoing = OutgoingRequest::new(fields);
        let scheme = match request.scheme {
            Scheme::Http => WasiScheme::Http,
            Scheme::Https => WasiScheme::Https,
        };
        let valid = outgoing.set_method(&Method::Post).is_ok()
            && outgoing.set_scheme(Some(&scheme)).is_ok()
            && outgoing.set_authority(Some(&request.authority)).is_ok()
            && outgoing.set_path_with_query(Some(&request.path)).is_ok();
        if !valid {
            return Err(TransportError::Other);
        }
        let options = RequestOptions::new();
        // A host may refuse it; the pollable below still holds.
        let _ = options.set_connect_timeout(Some(timeout_ns));

        let body = outgoing.body().map_err(|_| TransportError::Other)?;
        write_body(&body, &request.body)?;
        let future = wasi::http::outgoing_handler::handle(outgoing, Some(options))
            .map_err(|e| transport_error(&e))?;
        OutgoingBody::finish(body, None).map_err(|e| transport_error(&e))?;

        // The answer is never ready this early: wait first, then take it
        // (one host call fewer than asking first).
        let ready = future.subscribe();
        let response = loop {
            if poll::poll(&[&ready, &deadline]) == [1] {
                return Err(TransportError::Timeout);
            }
            if let Some(answer) = future.get() {
                break answer
                    .map_err(|()| TransportError::Other)?
                    .map_err(|e| transport_error(&e))?;
            }
        };
        drop(ready);

        let status = response.status();
        // Only a retryable refusal has a header the contract reads
        // (`Retry-After`): three host calls fewer on every other answer.
        let headers = if siptel::is_retryable_status(status) {
            response
                .headers()
                .entries()
                .into_iter()
                .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
                .collect()
        } else {
            Vec::new()
        };
        // From here on the status is known: whatever happens to the body,
        // the answer is a `Response` (a 2xx cut short may have sent the SMS).
        let (body, body_end) = match response.consume() {
            Ok(incoming) => read_body(&incoming, &deadline),
            Err(()) => (Vec::new(), BodyEnd::Cut),
        };
        Ok(Response {
            status,
            headers,
            body,
            body_end,
        })
    }
}

/// Writes the whole body; `blocking-write-and-flush` takes at most 4096 bytes a call.
fn write_body(body: &OutgoingBody, bytes: &[u8]) -> Result<(), TransportError> {
    let stream = body.write().map_err(|()| TransportError::Other)?;
    for chunk in bytes.chunks(4096) {
        stream
            .blocking_write_and_flush(chunk)
            .map_err(|_| TransportError::ConnectionLost)?;
    }
    Ok(())
}

/// Reads at most `MAX_BODY_BYTES` and says how the body ended.
fn read_body(incoming: &IncomingBody, deadline: &poll::Pollable) -> (Vec<u8>, BodyEnd) {
    let Ok(stream) = incoming.stream() else {
        return (Vec::new(), BodyEnd::Cut);
    };
    // Made on the first empty read only: a small answer is usually all
    // there by the time the head is.
    let mut readable = None;
    let mut body = Vec::new();
    loop {
        let room = (siptel::MAX_BODY_BYTES + 1).saturating_sub(body.len());
        if room == 0 {
            body.truncate(siptel::MAX_BODY_BYTES);
            return (body, BodyEnd::TooLong);
        }
        match stream.read(room as u64) {
            Ok(chunk) if chunk.is_empty() => {
                let readable = readable.get_or_insert_with(|| stream.subscribe());
                if poll::poll(&[&*readable, deadline]) == [1] {
                    return (body, BodyEnd::Stalled);
                }
            }
            Ok(chunk) => body.extend_from_slice(&chunk),
            Err(StreamError::Closed) => {
                let end = if body.len() > siptel::MAX_BODY_BYTES {
                    body.truncate(siptel::MAX_BODY_BYTES);
                    BodyEnd::TooLong
                } else {
                    BodyEnd::Complete
                };
                return (body, end);
            }
            Err(StreamError::LastOperationFailed(_)) => return (body, BodyEnd::Cut),
        }
    }
}

/// Classifies a `wasi:http` error the way the retry policy needs it, and by
/// whether the request may have reached Siptel: only failures before the
/// request could leave (DNS, connecting, the TLS handshake) are sure it did
/// not.
fn transport_error(error: &ErrorCode) -> TransportError {
    match error {
        ErrorCode::HttpRequestDenied => TransportError::Denied,
        ErrorCode::DnsTimeout
        | ErrorCode::DnsError(_)
        | ErrorCode::DestinationNotFound
        | ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationIpProhibited
        | ErrorCode::DestinationIpUnroutable
        | ErrorCode::ConnectionRefused
        | ErrorCode::ConnectionTimeout
        | ErrorCode::TlsProtocolError
        | ErrorCode::TlsCertificateError
        | ErrorCode::TlsAlertReceived(_) => TransportError::Unreachable,
        ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout => TransportError::Timeout,
        ErrorCode::HttpRequestMethodInvalid
        | ErrorCode::HttpRequestUriInvalid
        | ErrorCode::HttpRequestUriTooLong
        | ErrorCode::ConfigurationError => TransportError::Other,
        // Reset, terminated, protocol errors: the connection broke after the
        // request may have gone out; the contract retries these.
        _ => TransportError::ConnectionLost,
    }
}
