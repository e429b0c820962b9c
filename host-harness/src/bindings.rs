//! Host bindings generated from the same `wit/` as the guest, with the WASI
//! interfaces mapped onto wasmtime-wasi's implementations.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "sms-action",
    exports: { default: async },
    with: {
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        "wasi:random": wasmtime_wasi::p2::bindings::random,
    },
});

use siptel::sms::form as wit_form;
use siptel::sms::types as wit_types;

siptel_sms::wit_conversions!();
