//! `siptel_sms._native`: the Python package's bridge to the Rust host.
//!
//! One class over `siptel_sms_host::wire::Binding`: bytes of JSON in, one
//! JSON document out (`wire::result_json`), the GIL released while the core
//! loads or runs a call. Options, values, outcomes and errors are the wire's
//! JSON; the Python package (`siptel_sms`) turns them into dataclasses and
//! exceptions. No policy and no conversion live here: the sandbox, its
//! limits and every check of input are the core's.

use pyo3::prelude::*;

pyo3::create_exception!(
    _native,
    LoadFailed,
    pyo3::exceptions::PyException,
    "The component or the host options could not be loaded; args[0] is the \
     core's error document as JSON bytes ({\"error\": {\"kind\": ...}})."
);

#[pymodule(module = "siptel_sms")]
mod _native {
    use pyo3::exceptions::PyValueError;
    use pyo3::prelude::*;
    use pyo3::types::PyBytes;
    use siptel_sms_host::wire::{self, Export};

    #[pymodule_export]
    use super::LoadFailed;

    /// The component loaded once in this process, with its host options;
    /// safe to call from any number of threads at once. A `fork`ed child
    /// loads it again at its first call.
    #[pyclass(frozen)]
    struct Binding {
        inner: wire::Binding,
    }

    #[pymethods]
    impl Binding {
        /// Loads `wasm` (bytes; the embedded action when `None`) with the
        /// host options `options` (JSON bytes, `wire::host_options`).
        /// Raises `LoadFailed` with the error document.
        #[new]
        #[pyo3(signature = (wasm, options))]
        fn new(py: Python<'_>, wasm: Option<&[u8]>, options: &[u8]) -> PyResult<Binding> {
            let wasm = wasm.map(<[u8]>::to_vec);
            py.detach(|| wire::Binding::load(wasm, options))
                .map(|inner| Binding { inner })
                .map_err(|error| {
                    let document = wire::error_json(&error);
                    LoadFailed::new_err(PyBytes::new(py, &document).unbind())
                })
        }

        /// Runs `export` (`send`, `check`, `preview`, `describe`) with
        /// `body` and the call options `options` (JSON bytes); answers the
        /// result document (`{"ok": ...}` or `{"error": ...}`) as bytes.
        fn call<'py>(
            &self,
            py: Python<'py>,
            export: &str,
            body: &[u8],
            options: &[u8],
        ) -> PyResult<Bound<'py, PyBytes>> {
            let export = Export::from_name(export)
                .ok_or_else(|| PyValueError::new_err(format!("no export named {export:?}")))?;
            let answer = py.detach(|| self.inner.call_blocking_json(export, body, options));
            Ok(PyBytes::new(py, &answer))
        }

        /// Drops the loaded component and its runtime (calls in flight
        /// finish first); a later call loads it again.
        fn close(&self, py: Python<'_>) {
            py.detach(|| self.inner.close());
        }
    }
}
