//! The Node package's native addon: the Rust host behind async functions.
//!
//! Thin on purpose: one class holding the core's [`wire::Binding`], whose
//! methods pass JSON text through. Every conversion of configs, entities,
//! options and outcomes is the core's (`siptel_sms_host::wire`); the package's
//! `index.js` turns JS values into that JSON and the answer document into
//! values or JS errors.

use napi::Env;
use napi::bindgen_prelude::{Buffer, Error, Object, Result};
use napi_derive::napi;
use siptel_sms_host::wire::{self, Export, WireError};
use std::sync::Arc;

/// The component loaded once, with its host options and its own tokio
/// runtime (the core's [`wire::Binding`]).
#[napi]
pub struct NativeBinding {
    inner: Arc<wire::Binding>,
}

#[napi]
impl NativeBinding {
    /// Loads `wasm` (the embedded component when absent) with the host
    /// options `options_json` (`wire::host_options`). Compiling, or reading
    /// the compile cache, runs on a blocking thread, never on Node's.
    #[napi(factory)]
    pub async fn load(wasm: Option<Buffer>, options_json: String) -> Result<NativeBinding> {
        let wasm = wasm.map(|bytes| bytes.to_vec());
        let loaded = napi::tokio::task::spawn_blocking(move || {
            wire::Binding::load(wasm, options_json.as_bytes())
        })
        .await
        .map_err(|e| {
            Error::from_reason(format!("the load's thread ended without an answer: {e}"))
        })?;
        match loaded {
            Ok(binding) => Ok(NativeBinding {
                inner: Arc::new(binding),
            }),
            Err(error) => Err(wire_error(&error)),
        }
    }

    /// Runs `export` (`send`, `check`, `preview`, `describe`) with the
    /// service's JSON `body` and the call options `options_json`, and
    /// resolves with the core's result document (`wire::result_json`) as
    /// text. The call runs on the binding's runtime, which settles the
    /// promise itself (`wire::Binding::spawn_json`): no napi runtime thread
    /// stands between them.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn call<'env>(
        &self,
        env: &'env Env,
        export: String,
        body: String,
        options_json: String,
    ) -> Result<Object<'env>> {
        let export = Export::from_name(&export)
            .ok_or_else(|| Error::from_reason(format!("no export named `{export}`")))?;
        let (deferred, promise) = env.create_deferred()?;
        self.inner.spawn_json(
            export,
            body.into_bytes(),
            options_json.as_bytes(),
            move |document| {
                // The document is serde_json's output: UTF-8 already.
                let text = String::from_utf8(document)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
                deferred.resolve(move |_| Ok(text));
            },
        );
        Ok(promise)
    }

    /// Drops the loaded component and its runtime; calls in flight finish,
    /// a later call loads it again.
    #[napi]
    pub fn close(&self) {
        self.inner.close();
    }
}

/// A rejection whose message is the core's error document (`{"error":
/// {...}}`, [`wire::error_json`]), which `index.js` decodes. (napi's async
/// factories reject with its own `Status` codes only, so the message is the
/// one place for it.)
fn wire_error(error: &WireError) -> Error {
    Error::from_reason(String::from_utf8_lossy(&wire::error_json(error)).into_owned())
}
