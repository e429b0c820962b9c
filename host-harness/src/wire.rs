//! The one wire between languages: what the Python and Node packages hand to
//! this core, and what they get back, is the JSON the CLI reads and the
//! service takes. Every conversion (config, entities, options, outcome) is
//! written here once; a binding converts its own values to and from JSON and
//! maps [`WireError`] to its exceptions, nothing else.
//!
//! | export | body | answer |
//! | --- | --- | --- |
//! | `send` | `{config, entities?}` | the outcome (`{"type": "sent", ...}`) |
//! | `check` | `{config}` | the problems (a list, empty when valid) |
//! | `preview` | `{config, entities?, at?}` | the preview (an object) or the problems (a list) |
//! | `describe` | `{}` | the action's form |
//!
//! `entities` is an object of name to value or a list of `{name, value,
//! kind?}`; `at` an RFC 3339 instant. Host options and call options are JSON
//! objects too ([`host_options`], [`call_options`]). A shape that does not fit
//! is a [`WireError::Input`] naming each wrong part by its JSON path
//! (`config.max-attempts`, `options.tenant`), as the service's 400s do.
//!
//! [`Binding`] is what a binding holds: the component loaded once, its own
//! tokio runtime, and a fresh load in a `fork`ed child (a runtime's threads
//! and the epoch ticker do not survive `fork`).

use crate::error::{Called, Failed, HostError};
use crate::host::SiptelSms;
use crate::options::{CallOptions, HostOptions, Limits, default_compile_cache};
use serde::Deserialize;
use serde_json::Value;
use siptel_sms::model::{Config, Entity};
use siptel_sms::secret::Secret;
use siptel_sms_service::body::{self, BodyProblem, Parts};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use siptel_sms_service::body::BodyProblem as InputProblem;

/// The action's four functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    Send,
    Check,
    Preview,
    Describe,
}

impl Export {
    /// The export named `name` (`send`, `check`, `preview`, `describe`).
    pub fn from_name(name: &str) -> Option<Export> {
        Some(match name {
            "send" => Export::Send,
            "check" => Export::Check,
            "preview" => Export::Preview,
            "describe" => Export::Describe,
            _ => return None,
        })
    }

    fn parts(self) -> Parts {
        match self {
            Export::Send => Parts::CONFIG_ENTITIES,
            Export::Preview => Parts::CONFIG_ENTITIES_AT,
            Export::Check | Export::Describe => Parts::CONFIG,
        }
    }
}

/// Why a call through the wire has no answer of the action's.
#[derive(Debug)]
pub enum WireError {
    /// What was handed in does not have the shape of its part: every wrong
    /// part, each named by its JSON path. The component did not run.
    Input(Vec<InputProblem>),
    /// The host failed the call (busy, timeout, memory limit, trap, load),
    /// with what the sandbox observed until then.
    Host(Failed),
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WireError::Input(problems) => {
                let listed: Vec<String> = problems
                    .iter()
                    .map(|p| format!("{}: {}", p.field, p.message))
                    .collect();
                f.write_str(&listed.join("; "))
            }
            WireError::Host(failed) => std::fmt::Display::fmt(&failed.value, f),
        }
    }
}

impl std::error::Error for WireError {}

impl From<Failed> for WireError {
    fn from(failed: Failed) -> WireError {
        WireError::Host(failed)
    }
}

impl From<HostError> for WireError {
    fn from(error: HostError) -> WireError {
        WireError::Host(Called::quiet(error))
    }
}

/// A call's result as one JSON document, the shape every binding decodes:
///
/// - `{"ok": <answer>, "stdout": "...", "stderr": "...", "denied": [...]}`
///   (the answer as in the module's table, the sandbox's observations);
/// - `{"error": {"kind": ..., "message": ..., ...}}` with `kind`
///   `input` (and `problems`: `[{field, code, message}]`), `busy` (and
///   `seconds`), `timeout` (and `seconds`), `memory-limit` (and
///   `limit-bytes`), `trap`, `load` or `base-url`; a host error carries
///   `stdout`, `stderr` and `denied` too.
///
/// Messages never hold an API key: guest output is scrubbed by the
/// sandbox, and the host's own messages name secrets by name only.
pub fn result_json(result: &Result<Called<Vec<u8>>, WireError>) -> Vec<u8> {
    let mut out = Vec::new();
    match result {
        Ok(called) => {
            out.extend_from_slice(b"{\"ok\":");
            out.extend_from_slice(&called.value);
            let observed = json(serde_json::json!({
                "stdout": called.stdout,
                "stderr": called.stderr,
                "denied": called.denied,
            }));
            // `{"stdout":...}` without its opening brace continues the object.
            out.push(b',');
            out.extend_from_slice(&observed[1..]);
        }
        Err(error) => out = error_json(error),
    }
    out
}

/// A [`WireError`] as `{"error": {...}}` (see [`result_json`]).
pub fn error_json(error: &WireError) -> Vec<u8> {
    let body = match error {
        WireError::Input(problems) => serde_json::json!({
            "kind": "input",
            "message": error.to_string(),
            "problems": problems,
        }),
        WireError::Host(failed) => {
            let mut body = serde_json::json!({
                "message": failed.value.to_string(),
                "stdout": failed.stdout,
                "stderr": failed.stderr,
                "denied": failed.denied,
            });
            let (kind, extra) = match &failed.value {
                HostError::Busy(waited) => ("busy", Some(("seconds", waited.as_secs_f64().into()))),
                HostError::Timeout(limit) => {
                    ("timeout", Some(("seconds", limit.as_secs_f64().into())))
                }
                HostError::MemoryLimit(bytes) => (
                    "memory-limit",
                    Some(("limit-bytes", (*bytes as u64).into())),
                ),
                HostError::Trap(_) => ("trap", None),
                HostError::Load(_) => ("load", None),
                HostError::BaseUrl(_) => ("base-url", None),
            };
            body["kind"] = kind.into();
            if let Some((key, value)) = extra {
                body[key] = value;
            }
            body
        }
    };
    json(serde_json::json!({ "error": body }))
}

/// Host options as JSON, every key optional:
///
/// ```json
/// {"siptel-base-url": "https://api.siptel.cl",
///  "secrets": {"acme": "<key>"},
///  "limits": {"call-timeout-ms": 10000, "memory-bytes": 16777216,
///             "output-bytes": 65536, "concurrent-calls": 128,
///             "quick-reserve": 8, "tenant-slots": 32, "slot-wait-ms": 2000},
///  "pooling": true,
///  "compile-cache": true,
///  "tls-roots-pem": "-----BEGIN CERTIFICATE-----..."}
/// ```
///
/// `compile-cache` is `true` (the default: [`default_compile_cache`]),
/// `false` (compile at every load) or a directory.
pub fn host_options(json: &[u8]) -> Result<HostOptions, Vec<InputProblem>> {
    let wire: HostOptionsJson = read_object("options", json)?;
    let defaults = Limits::default();
    let limits = wire.limits;
    let millis = |ms: Option<u64>, default: Duration| ms.map_or(default, Duration::from_millis);
    let base = HostOptions::default();
    Ok(HostOptions {
        siptel_base_url: wire.siptel_base_url.unwrap_or(base.siptel_base_url),
        limits: Limits {
            call_timeout: millis(limits.call_timeout_ms, defaults.call_timeout),
            memory_bytes: limits.memory_bytes.unwrap_or(defaults.memory_bytes),
            output_bytes: limits.output_bytes.unwrap_or(defaults.output_bytes),
            concurrent_calls: limits.concurrent_calls.unwrap_or(defaults.concurrent_calls),
            quick_reserve: limits.quick_reserve.unwrap_or(defaults.quick_reserve),
            tenant_slots: limits.tenant_slots.unwrap_or(defaults.tenant_slots),
            slot_wait: millis(limits.slot_wait_ms, defaults.slot_wait),
        },
        secrets: wire
            .secrets
            .into_iter()
            .map(|(name, key)| (name, Secret::from(key)))
            .collect(),
        pooling: wire.pooling.unwrap_or(base.pooling),
        // wasmtime's cache wants an absolute directory: a relative one (an
        // argument, or `SIPTEL_SMS_CACHE_DIR=target/cache`) is taken from
        // the working directory, as the caller meant it.
        compile_cache: match wire.compile_cache {
            None | Some(CacheJson::On(true)) => default_compile_cache(),
            Some(CacheJson::On(false)) => None,
            Some(CacheJson::Dir(dir)) => Some(dir),
        }
        .map(|dir| std::path::absolute(&dir).unwrap_or(dir)),
        tls_roots_pem: wire.tls_roots_pem,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct HostOptionsJson {
    siptel_base_url: Option<String>,
    #[serde(default)]
    secrets: BTreeMap<String, String>,
    #[serde(default)]
    limits: LimitsJson,
    pooling: Option<bool>,
    compile_cache: Option<CacheJson>,
    tls_roots_pem: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct LimitsJson {
    call_timeout_ms: Option<u64>,
    memory_bytes: Option<usize>,
    output_bytes: Option<usize>,
    concurrent_calls: Option<u32>,
    quick_reserve: Option<u32>,
    tenant_slots: Option<u32>,
    slot_wait_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum CacheJson {
    On(bool),
    Dir(PathBuf),
}

/// Call options as JSON, every key optional: `{"secrets": ["acme"],
/// "tenant": "acme", "siptel-base-url": "...", "wall-clock": "2026-09-07T09:00:00-03:00"}`
/// (see [`CallOptions`]; `wall-clock` is RFC 3339).
pub fn call_options(json: &[u8]) -> Result<CallOptions, Vec<InputProblem>> {
    let wire: CallOptionsJson = read_object("options", json)?;
    let wall_clock = match wire.wall_clock.as_deref().map(instant) {
        None => None,
        Some(Some(at)) => Some(at),
        Some(None) => {
            return Err(vec![not_an_instant("options.wall-clock")]);
        }
    };
    Ok(CallOptions {
        siptel_base_url: wire.siptel_base_url,
        wall_clock,
        secrets: wire.secrets,
        tenant: wire.tenant,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct CallOptionsJson {
    #[serde(default)]
    secrets: BTreeSet<String>,
    tenant: Option<String>,
    siptel_base_url: Option<String>,
    wall_clock: Option<String>,
}

/// Runs `export` with `body` (see the module's table) and answers the
/// action's value as JSON.
pub async fn call(
    action: &SiptelSms,
    export: Export,
    body: &[u8],
    options: &CallOptions,
) -> Result<Called<Vec<u8>>, WireError> {
    let input = if export == Export::Describe && body.iter().all(u8::is_ascii_whitespace) {
        body::CallInput::default()
    } else {
        body::read(body, export.parts()).map_err(WireError::Input)?
    };
    let (config, entities): (&Config, &[Entity]) = (&input.config, &input.entities);
    let mut options = options.clone();
    if let Some(at) = input.at {
        options.wall_clock = Some(unix_seconds(at));
    }
    let called = match export {
        Export::Send => action.send(config, entities, &options).await?.map(json),
        Export::Check => action.check(config, &options).await?.map(json),
        Export::Preview => action
            .preview(config, entities, &options)
            .await?
            .map(|answer| match answer {
                Ok(preview) => json(preview),
                Err(problems) => json(problems),
            }),
        Export::Describe => action.describe(&options).await?.map(json),
    };
    Ok(called)
}

/// What a language binding holds: the component loaded once with its host
/// options, and the tokio runtime its calls run on. Calls may come from any
/// thread, blocking ([`Binding::call_blocking`]) or awaited from any async
/// runtime ([`Binding::call`]).
///
/// In a child made by `fork` (gunicorn `--preload`, multiprocessing) the
/// parent's runtime threads and epoch ticker are gone: the first call there
/// loads the component again (from the compile cache), and the parent's
/// copy is left alone, never dropped (dropping it would wait on threads
/// the child does not have).
pub struct Binding {
    wasm: Arc<[u8]>,
    options: HostOptions,
    live: Mutex<Option<Arc<Live>>>,
}

struct Live {
    pid: u32,
    action: Arc<SiptelSms>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Live {
    /// The component loaded in process `pid`, on a runtime of its own.
    fn load(pid: u32, wasm: &[u8], options: &HostOptions) -> Result<Live, HostError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("siptel-sms")
            .enable_all()
            .build()
            .map_err(crate::error::LoadError::Thread)?;
        // The egress pool spawns its connections on the runtime it is used
        // from: load inside ours.
        let action = {
            let _entered = runtime.enter();
            SiptelSms::from_bytes(wasm, options.clone())?
        };
        Ok(Live {
            pid,
            action: Arc::new(action),
            runtime: Some(runtime),
        })
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        // A runtime dropped from within another (a Node callback) must not
        // block: let its threads finish on their own.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Binding {
    /// Loads `wasm` (the embedded action when `None`) with the host options
    /// `options_json` ([`host_options`]), in this process, now: a component
    /// or options that cannot load fail here, not at the first call.
    pub fn load(wasm: Option<Vec<u8>>, options_json: &[u8]) -> Result<Binding, WireError> {
        let options = host_options(options_json).map_err(WireError::Input)?;
        let wasm: Arc<[u8]> = match wasm {
            Some(bytes) => bytes.into(),
            None => crate::ACTION_WASM.into(),
        };
        let binding = Binding {
            wasm,
            options,
            live: Mutex::new(None),
        };
        binding.live()?;
        Ok(binding)
    }

    /// The host options calls run under.
    pub fn options(&self) -> &HostOptions {
        &self.options
    }

    /// Runs `export` (see [`call`]) with the call options `options_json`
    /// ([`call_options`]), blocking this thread until it answers.
    pub fn call_blocking(
        &self,
        export: Export,
        body: &[u8],
        options_json: &[u8],
    ) -> Result<Called<Vec<u8>>, WireError> {
        let options = call_options(options_json).map_err(WireError::Input)?;
        let live = self.live()?;
        let runtime = live.runtime.as_ref().expect("a live binding has a runtime");
        runtime.block_on(call(&live.action, export, body, &options))
    }

    /// Runs `export` like [`Binding::call_blocking`], on the binding's own
    /// runtime, awaited from any executor.
    pub async fn call(
        &self,
        export: Export,
        body: Vec<u8>,
        options_json: &[u8],
    ) -> Result<Called<Vec<u8>>, WireError> {
        let options = call_options(options_json).map_err(WireError::Input)?;
        let live = self.live()?;
        let action = Arc::clone(&live.action);
        let runtime = live.runtime.as_ref().expect("a live binding has a runtime");
        let task = runtime.spawn(async move { call(&action, export, &body, &options).await });
        match task.await {
            Ok(answer) => answer,
            Err(error) => Err(WireError::from(HostError::Trap(format!(
                "the call's task ended without an answer: {error}"
            )))),
        }
    }

    /// [`Binding::call_blocking`] with its options and result as JSON
    /// ([`result_json`]): what a binding that decodes one document calls.
    pub fn call_blocking_json(&self, export: Export, body: &[u8], options_json: &[u8]) -> Vec<u8> {
        result_json(&self.call_blocking(export, body, options_json))
    }

    /// [`Binding::call`] with its result as JSON ([`result_json`]).
    pub async fn call_json(&self, export: Export, body: Vec<u8>, options_json: &[u8]) -> Vec<u8> {
        result_json(&self.call(export, body, options_json).await)
    }

    /// Runs `export` like [`Binding::call_json`], spawned on the binding's
    /// runtime, and hands the result document to `done` on that runtime's
    /// thread: for a binding whose own event loop takes the answer (a Node
    /// promise settled from any thread), so no second executor and no extra
    /// thread hop stand between the caller and the call. `done` runs
    /// exactly once: with a `trap` document if the call's task is dropped
    /// unfinished (the binding closed, the task panicked).
    pub fn spawn_json<F>(&self, export: Export, body: Vec<u8>, options_json: &[u8], done: F)
    where
        F: FnOnce(Vec<u8>) + Send + 'static,
    {
        let done = Answer(Some(done));
        let options = match call_options(options_json) {
            Ok(options) => options,
            Err(problems) => return done.send(error_json(&WireError::Input(problems))),
        };
        let live = match self.live() {
            Ok(live) => live,
            Err(error) => return done.send(error_json(&WireError::from(error))),
        };
        let runtime = live.runtime.as_ref().expect("a live binding has a runtime");
        // The task holds the runtime (and the component) until it answers,
        // so `close` lets a call in flight finish: a send that may have
        // reached Siptel is answered, never cancelled.
        runtime.handle().clone().spawn(async move {
            let result = call(&live.action, export, &body, &options).await;
            done.send(result_json(&result));
            release(live);
        });
    }

    /// Drops the loaded component and its runtime once the calls in flight
    /// have answered (each holds them until then); a later call loads it again.
    pub fn close(&self) {
        let taken = self.lock().take();
        if let Some(live) = taken
            && live.pid != std::process::id()
        {
            std::mem::forget(live);
        }
    }

    /// The component loaded in this process, loading it when there is none
    /// or the one there is was loaded before a `fork`.
    fn live(&self) -> Result<Arc<Live>, HostError> {
        let pid = std::process::id();
        if let Some(live) = self.lock().as_ref().filter(|live| live.pid == pid) {
            return Ok(Arc::clone(live));
        }
        // Loaded without the lock held: a `fork` from another thread while
        // this loads leaves the child a free lock (one held at the fork is
        // never released there). Two threads may load at once; the first to
        // finish is kept, the other's copy dropped outside the lock.
        let loaded = Arc::new(Live::load(pid, &self.wasm, &self.options)?);
        let mut slot = self.lock();
        if let Some(live) = slot.as_ref().filter(|live| live.pid == pid) {
            let kept = Arc::clone(live);
            drop(slot);
            drop(loaded);
            return Ok(kept);
        }
        if let Some(inherited) = slot.replace(Arc::clone(&loaded)) {
            // Loaded before a `fork`: its threads are the parent's.
            std::mem::forget(inherited);
        }
        Ok(loaded)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Arc<Live>>> {
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Binding {
    fn drop(&mut self) {
        self.close();
    }
}

/// Drops `live` if this was its last holder, on a thread of its own: a
/// task of the binding's runtime may be the last (after `close`), and a
/// runtime is not shut down from one of its own workers.
fn release(live: Arc<Live>) {
    if let Ok(last) = Arc::try_unwrap(live) {
        let _ = std::thread::Builder::new()
            .name("siptel-sms-release".into())
            .spawn(move || drop(last));
    }
}

/// The callback of [`Binding::spawn_json`], called once: with the answer,
/// or on drop with a `trap` document saying the call ended without one.
struct Answer<F: FnOnce(Vec<u8>)>(Option<F>);

impl<F: FnOnce(Vec<u8>)> Answer<F> {
    fn send(mut self, document: Vec<u8>) {
        if let Some(done) = self.0.take() {
            done(document);
        }
    }
}

impl<F: FnOnce(Vec<u8>)> Drop for Answer<F> {
    fn drop(&mut self) {
        if let Some(done) = self.0.take() {
            let error = WireError::from(HostError::Trap(
                "the call's task ended without an answer".to_owned(),
            ));
            done(error_json(&error));
        }
    }
}

/// `json` read as an object `T`, problems named under `name`.
fn read_object<T: serde::de::DeserializeOwned>(
    name: &str,
    json: &[u8],
) -> Result<T, Vec<InputProblem>> {
    let text = if json.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        json
    };
    let value: Value = serde_json::from_slice(text).map_err(|e| {
        vec![BodyProblem {
            field: name.to_owned(),
            code: "not-json",
            message: format!("{name} is not JSON: {e}"),
        }]
    })?;
    body::part(name, value).map_err(|problem| vec![problem])
}

fn not_an_instant(field: &str) -> InputProblem {
    BodyProblem {
        field: field.to_owned(),
        code: "not-an-instant",
        message: "expected an RFC 3339 instant with its offset, e.g. 2026-09-07T09:00:00-03:00"
            .to_owned(),
    }
}

/// An RFC 3339 instant (at or after 1970) as a `SystemTime`.
fn instant(text: &str) -> Option<SystemTime> {
    let at = chrono::DateTime::parse_from_rfc3339(text).ok()?;
    let seconds = u64::try_from(at.timestamp()).ok()?;
    Some(UNIX_EPOCH + Duration::new(seconds, at.timestamp_subsec_nanos()))
}

fn unix_seconds(seconds: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
}

/// The model's plain types as JSON (serializing them cannot fail).
fn json(value: impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(&value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_options_take_every_key_and_name_wrong_ones_by_path() {
        let options = host_options(
            br#"{"siptel-base-url": "http://127.0.0.1:9", "secrets": {"acme": "k"},
                 "limits": {"slot-wait-ms": 5, "tenant-slots": 2}, "pooling": false,
                 "compile-cache": false}"#,
        )
        .unwrap();
        assert_eq!(options.siptel_base_url, "http://127.0.0.1:9");
        assert_eq!(options.limits.slot_wait, Duration::from_millis(5));
        assert_eq!(options.limits.tenant_slots, 2);
        assert!(!options.pooling && options.compile_cache.is_none());
        let relative = host_options(br#"{"compile-cache": "target/cache"}"#).unwrap();
        let dir = relative.compile_cache.unwrap();
        assert!(
            dir.is_absolute() && dir.ends_with("target/cache"),
            "{dir:?}"
        );
        assert_eq!(options.secrets["acme"].expose(), "k");

        let problems = host_options(br#"{"limits": {"tenant-slots": "2"}}"#).unwrap_err();
        assert_eq!(problems[0].field, "options.limits.tenant-slots");
        assert_eq!(problems[0].code, "wrong-type");
        let problems = host_options(br#"{"secret": {}}"#).unwrap_err();
        assert_eq!(
            (problems[0].field.as_str(), problems[0].code),
            ("options.secret", "unknown-field")
        );
        assert_eq!(host_options(b"[]").unwrap_err()[0].code, "not-an-object");
    }

    #[test]
    fn results_are_one_json_document_with_a_kind_for_each_error() {
        let ok = Ok(Called {
            value: br#"{"type":"sent"}"#.to_vec(),
            stdout: "out".into(),
            stderr: String::new(),
            denied: vec!["http://evil:80".into()],
        });
        let doc: Value = serde_json::from_slice(&result_json(&ok)).unwrap();
        assert_eq!(doc["ok"]["type"], "sent");
        assert_eq!(doc["stdout"], "out");
        assert_eq!(doc["denied"][0], "http://evil:80");

        let busy = Err(WireError::from(HostError::Busy(Duration::from_millis(
            1500,
        ))));
        let doc: Value = serde_json::from_slice(&result_json(&busy)).unwrap();
        assert_eq!(doc["error"]["kind"], "busy");
        assert_eq!(doc["error"]["seconds"], 1.5);

        let input = Err(WireError::Input(
            call_options(br#"{"tenant": 5}"#).unwrap_err(),
        ));
        let doc: Value = serde_json::from_slice(&result_json(&input)).unwrap();
        assert_eq!(doc["error"]["kind"], "input");
        assert_eq!(doc["error"]["problems"][0]["field"], "options.tenant");
        assert_eq!(doc["error"]["problems"][0]["code"], "wrong-type");
    }

    #[test]
    fn a_spawned_call_dropped_unfinished_still_answers_once_with_a_trap() {
        let (sender, receiver) = std::sync::mpsc::channel();
        let answer = Answer(Some(move |document: Vec<u8>| {
            sender.send(document).unwrap()
        }));
        drop(answer);
        let documents: Vec<Vec<u8>> = receiver.try_iter().collect();
        assert_eq!(documents.len(), 1);
        let doc: Value = serde_json::from_slice(&documents[0]).unwrap();
        assert_eq!(doc["error"]["kind"], "trap");

        let (sender, receiver) = std::sync::mpsc::channel();
        Answer(Some(move |document: Vec<u8>| {
            sender.send(document).unwrap()
        }))
        .send(b"{}".to_vec());
        assert_eq!(receiver.try_iter().collect::<Vec<_>>(), [b"{}".to_vec()]);
    }

    #[test]
    fn call_options_read_the_wall_clock_as_rfc_3339() {
        let options = call_options(
            br#"{"secrets": ["acme"], "tenant": "acme", "wall-clock": "2026-09-07T09:00:00-03:00"}"#,
        )
        .unwrap();
        assert_eq!(
            options.wall_clock,
            Some(UNIX_EPOCH + Duration::from_secs(1_788_782_400))
        );
        assert!(options.secrets.contains("acme"));
        let problems = call_options(br#"{"wall-clock": "monday"}"#).unwrap_err();
        assert_eq!(problems[0].field, "options.wall-clock");
        assert_eq!(call_options(b"").unwrap().tenant, None);
    }
}
