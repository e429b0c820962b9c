//! Host for the `siptel:sms` component: load it once, call it many times,
//! from any number of tasks.
//!
//! ```no_run
//! # async fn demo() -> Result<(), siptel_sms_host::HostError> {
//! use siptel_sms_host::{SiptelSms, HostOptions, CallOptions};
//! use siptel_sms::model::Config;
//!
//! let action = SiptelSms::builtin(HostOptions::default())?;
//! let config: Config = serde_json::from_str(r#"{"api-key": "k", "sender": "56961234567"}"#).unwrap();
//! let problems = action.check(&config, &CallOptions::default()).await?.value;
//! # Ok(()) }
//! ```
//!
//! Every call runs in a fresh `Store` with a deadline (epoch interruption), a
//! memory limit and captured, size-capped guest output scrubbed of API keys;
//! outgoing HTTP passes one egress policy (only the configured Siptel base
//! URL, over TLS that trusts the webpki roots plus
//! [`HostOptions::tls_roots_pem`]). The outer `Result` is the host's
//! ([`Failed`]: trap, timeout or limit, with the output seen until then); the
//! value is the action's. API keys may stay outside the sandbox, granted per
//! call to the tenant they belong to: see [`HostOptions::secrets`] and
//! [`CallOptions::secrets`]. Calls wait a bounded time for an instance slot,
//! with shares per tenant and a reserve for quick calls: see [`Limits`].
//!
//! [`SiptelSmsService`] runs the service component (the same action over
//! HTTP, the `wasi:http/proxy` world) in the same sandbox, one per request,
//! and serves it over HTTP/1.1 with connection limits, a drain on shutdown
//! ([`ServeOptions`]), `tracing` events and Prometheus metrics.

mod admission;
mod bindings;
mod callers;
mod egress;
mod error;
mod host;
mod metrics;
mod options;
mod pool;
mod redact;
mod sandbox;
mod secrets;
mod serve;
mod service;
pub mod wire;

pub use callers::{Caller, CallerError, MIN_TOKEN_BYTES};
pub use error::{Called, Failed, HostError, LoadError};
pub use host::SiptelSms;
pub use options::{CallOptions, HostOptions, Limits, default_compile_cache};
pub use redact::REDACTED;
pub use serve::{Drained, ServeOptions};
pub use service::{Finished, ResponseBody, SiptelSmsService};

/// The action component `build.rs` built from this workspace, embedded, so
/// a binary (or a Python or Node package) that links this crate runs from
/// any path with no `.wasm` beside it. [`SiptelSms::builtin`] loads it.
pub static ACTION_WASM: &[u8] = include_bytes!(env!("SIPTEL_SMS_WASM"));

/// The service component `build.rs` built from `service/` (the same guest
/// code exporting `wasi:http/incoming-handler`), embedded; see
/// [`SiptelSmsService::builtin`].
pub static SERVICE_WASM: &[u8] = include_bytes!(env!("SIPTEL_SMS_SERVICE_WASM"));

/// Where `build.rs` wrote [`ACTION_WASM`] at build time: for tools that read
/// the file (tests, benchmarks, jco), never for loading at run time (the
/// path does not travel with the binary).
pub const BUILTIN_WASM: &str = env!("SIPTEL_SMS_WASM");

/// Where `build.rs` wrote [`SERVICE_WASM`] at build time (see
/// [`BUILTIN_WASM`]).
pub const BUILTIN_SERVICE_WASM: &str = env!("SIPTEL_SMS_SERVICE_WASM");

/// Where `build.rs` wrote the service for wasmCloud as released
/// (`wash-runtime` 0.1.0, `wasmcloud-runtime` 0.12.0), which imports
/// `wasi:config/runtime@0.2.0-draft` instead of `wasi:config/store@0.2.0-rc.1`;
/// otherwise the same module as [`BUILTIN_SERVICE_WASM`].
pub const BUILTIN_SERVICE_WASMCLOUD_WASM: &str = env!("SIPTEL_SMS_SERVICE_WASMCLOUD_WASM");

/// Where `build.rs` wrote the service for Spin 3.x, which imports
/// `wasi:config/store@0.2.0-draft-2024-09-27`; otherwise the same module as
/// [`BUILTIN_SERVICE_WASM`].
pub const BUILTIN_SERVICE_SPIN_WASM: &str = env!("SIPTEL_SMS_SERVICE_SPIN_WASM");

/// Path of the test-only `sandbox-probe` component (`test-components/`), a
/// hostile `siptel:sms/action` that loops, hoards memory, floods its output
/// and reaches for other hosts, so tests can show the sandbox stops it. Not
/// for production use.
#[doc(hidden)]
pub const SANDBOX_PROBE_WASM: &str = env!("SIPTEL_SMS_SANDBOX_PROBE_WASM");

/// Path of the bench-only `floor` component (`test-components/`): the same
/// world as the action, whose `send` makes one correct `wasi:http` POST and
/// nothing else, the floor of this design the benchmark compares with. Not
/// for production use.
#[doc(hidden)]
pub const FLOOR_WASM: &str = env!("SIPTEL_SMS_FLOOR_WASM");
