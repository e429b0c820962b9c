//! The service's answers do not depend on the engine reading them while the
//! handler runs. wash-runtime 0.1.0 awaits `handle` before it takes the
//! response, with wasmtime-wasi-http's default body channel (two chunks);
//! an answer written 4 KiB at a time filled it and hung that engine at
//! `GET /v1/describe`. Here wasmtime 48's wasi-http, with the same defaults
//! (`default_hooks`), is driven the same way: `handle` must return before
//! the response is read. `tests/engines/wash` does the same on wash-runtime
//! itself (`scripts/test-engines.sh`).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use std::time::Duration;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_config::{WasiConfig, WasiConfigVariables};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// Far more than an answer needs: a deadlock fails the test, not CI.
const HANDLE_WITHIN: Duration = Duration::from_secs(30);

struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    config: WasiConfigVariables,
    table: ResourceTable,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            // Default body buffering: one chunk of 1 MiB plus one.
            hooks: wasmtime_wasi_http::default_hooks(),
        }
    }
}

/// Runs `handle` for `GET path` to its end, then reads the answer.
async fn get_after_handle_returns(
    engine: &Engine,
    pre: &ProxyPre<State>,
    path: &str,
) -> (u16, Bytes) {
    let mut store = Store::new(
        engine,
        State {
            wasi: WasiCtxBuilder::new().build(),
            http: WasiHttpCtx::new(),
            config: WasiConfigVariables::new(),
            table: ResourceTable::new(),
        },
    );
    let request = http::Request::get(format!("http://localhost{path}"))
        .body(Full::new(Bytes::new()))
        .expect("a request");
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let (request, response_out) = {
        let mut http = store.data_mut().http();
        let request = http
            .new_incoming_request(Scheme::Http, request)
            .expect("an incoming request");
        (
            request,
            http.new_response_outparam(sender).expect("an outparam"),
        )
    };
    let proxy = pre
        .instantiate_async(&mut store)
        .await
        .expect("instantiates");
    let handled = tokio::time::timeout(
        HANDLE_WITHIN,
        proxy
            .wasi_http_incoming_handler()
            .call_handle(&mut store, request, response_out),
    )
    .await;
    assert!(
        matches!(handled, Ok(Ok(()))),
        "GET {path}: handle did not return within {HANDLE_WITHIN:?} with nobody reading its answer"
    );
    let response = receiver
        .await
        .expect("an answer was set")
        .expect("not an error");
    let status = response.status().as_u16();
    let body = tokio::time::timeout(HANDLE_WITHIN, response.into_body().collect())
        .await
        .expect("the body was all written")
        .expect("the body reads")
        .to_bytes();
    (status, body)
}

#[tokio::test]
async fn every_answer_is_written_before_the_engine_reads_it() {
    let engine = Engine::default();
    let component =
        Component::from_file(&engine, siptel_sms_host::BUILTIN_SERVICE_WASM).expect("compiles");
    let mut linker = Linker::<State>::new(&engine);
    wasmtime_wasi_http::p2::add_to_linker_async(&mut linker).expect("links wasi:http");
    wasmtime_wasi_config::add_to_linker(&mut linker, |state: &mut State| {
        WasiConfig::from(&state.config)
    })
    .expect("links wasi:config");
    let pre = ProxyPre::new(linker.instantiate_pre(&component).expect("links"))
        .expect("a proxy component");

    // The largest answer (15.7 KB: four 4 KiB writes would not fit).
    let (status, body) = get_after_handle_returns(&engine, &pre, "/v1/describe").await;
    assert_eq!(status, 200);
    assert!(body.len() > 2 * 4096, "{} bytes", body.len());
    let form: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert!(form["fields"].as_array().is_some_and(|f| !f.is_empty()));

    let (status, body) = get_after_handle_returns(&engine, &pre, "/v1/health").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
}
