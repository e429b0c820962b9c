//! The `wasi:http/incoming-handler` export: reads the request (its body
//! bounded), answers through `api`, and writes the response. The action's
//! logic reaches Siptel, the clocks and randomness through the library's
//! `wasi_adapter`, and runtime config through `wasi:config/store`.

mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "service",
        with: { "wasi:config/store@0.2.0-rc.1": generate },
    });
}

use crate::api::{self, Body, Io, Route};
use crate::body::MAX_BODY_BYTES;
use crate::keys::RuntimeConfig;
use bindings::wasi::config::store;
use siptel_sms::wasi_adapter::{WasiClock, WasiHttp, WasiRandom};
use wasi::exports::http::incoming_handler::Guest;
use wasi::http::types::{
    Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
};
use wasi::io::streams::{OutputStream, StreamError};

struct Service;

wasi::http::proxy::export!(Service);

impl Guest for Service {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let method = method_name(&request.method());
        let path = request.path_with_query().unwrap_or_default();
        let response = match Route::of(&method, &path) {
            Err(answer) => answer,
            Ok(route) => {
                let body = if route.takes_body() {
                    read_body(request)
                } else {
                    Body::Read(Vec::new())
                };
                let mut io = Io {
                    transport: WasiHttp,
                    clock: WasiClock,
                    entropy: WasiRandom,
                };
                api::respond(route, body, &mut io, &ConfigStore)
            }
        };
        write_response(response_out, &response);
    }
}

/// `wasi:config/store`; an engine error counts as no value.
struct ConfigStore;

impl RuntimeConfig for ConfigStore {
    fn get(&self, key: &str) -> Option<String> {
        store::get(key).ok().flatten()
    }
}

fn method_name(method: &Method) -> String {
    match method {
        Method::Get => "GET".into(),
        Method::Head => "HEAD".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Connect => "CONNECT".into(),
        Method::Options => "OPTIONS".into(),
        Method::Trace => "TRACE".into(),
        Method::Patch => "PATCH".into(),
        Method::Other(other) => other.clone(),
    }
}

/// The whole body, or [`Body::TooLarge`] as soon as it passes
/// [`MAX_BODY_BYTES`] (the rest is never read). A body that breaks off
/// counts as what arrived, which then fails as JSON.
fn read_body(request: IncomingRequest) -> Body {
    let Ok(incoming) = request.consume() else {
        return Body::Read(Vec::new());
    };
    let Ok(stream) = incoming.stream() else {
        return Body::Read(Vec::new());
    };
    let mut bytes = Vec::new();
    loop {
        let room = (MAX_BODY_BYTES + 1 - bytes.len()) as u64;
        match stream.blocking_read(room.min(64 << 10)) {
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            Err(StreamError::Closed) => return Body::Read(bytes),
            Err(StreamError::LastOperationFailed(_)) => return Body::Read(bytes),
        }
        if bytes.len() > MAX_BODY_BYTES {
            return Body::TooLarge;
        }
    }
}

/// Sends the head, then the body in as few writes as the engine permits.
///
/// Some engines read the response only after `handle` returns: wash-runtime
/// 0.1.0 awaits the handler before it takes the response
/// (`handle_component_request` in its `plugin/wasi_http.rs`). Until then
/// the body waits in wasmtime-wasi-http's channel of
/// `outgoing_body_buffer_chunks + 1` chunks (two by default; wasmtime 31's
/// `HostOutgoingBody::new`), and a full channel blocks the guest for good.
/// `blocking-write-and-flush` takes at most 4096 bytes a call, so a 15.7 KB
/// `describe` took four chunks and hung that engine. `check-write` there
/// permits a whole chunk (`outgoing_body_chunk_size`, 1 MiB by default), so
/// every answer of this API, all far below 1 MiB, goes in one `write`, one
/// chunk. Engines that read concurrently (wasmtime `serve`, jco, Spin) are
/// served the same way.
fn write_response(response_out: ResponseOutparam, response: &api::Response) {
    let mut headers: Vec<(String, Vec<u8>)> = vec![
        ("content-type".into(), b"application/json".to_vec()),
        (
            "content-length".into(),
            response.body.len().to_string().into_bytes(),
        ),
    ];
    headers.extend(
        response
            .headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.as_bytes().to_vec())),
    );
    let fields = Fields::from_list(&headers).unwrap_or_else(|_| Fields::new());
    let outgoing = OutgoingResponse::new(fields);
    // Every status `api` answers is valid.
    let _ = outgoing.set_status_code(response.status);
    let Ok(body) = outgoing.body() else {
        return;
    };
    ResponseOutparam::set(response_out, Ok(outgoing));
    if let Ok(stream) = body.write()
        && write_all(&stream, &response.body).is_err()
    {
        // The client went away; nothing more to say to it.
        return;
    }
    let _ = OutgoingBody::finish(body, None);
}

/// Writes `bytes`, each `write` as large as `check-write` permits, then
/// flushes.
fn write_all(stream: &OutputStream, mut bytes: &[u8]) -> Result<(), StreamError> {
    let ready = stream.subscribe();
    while !bytes.is_empty() {
        let permitted = stream.check_write()?;
        if permitted == 0 {
            ready.block();
            continue;
        }
        let len = usize::try_from(permitted)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let (now, rest) = bytes.split_at(len);
        stream.write(now)?;
        bytes = rest;
    }
    stream.blocking_flush()
}
