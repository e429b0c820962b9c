//! What a call returns besides the action's answer: the sandbox's
//! observations ([`Called`]) and the host's own failures ([`HostError`]).

use crate::callers::CallerError;
use siptel_sms::siptel::UrlError;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// The action's answer (or, as [`Failed`], the host's error) plus what the
/// sandbox observed during the call.
#[derive(Clone, Debug)]
pub struct Called<T> {
    /// The action's own answer.
    pub value: T,
    /// Guest stdout (lossy UTF-8, size-capped, scrubbed of API keys).
    pub stdout: String,
    /// Guest stderr (lossy UTF-8, size-capped, scrubbed of API keys).
    pub stderr: String,
    /// Outgoing requests refused by the egress policy: `scheme://host:port`
    /// of a request out of the call's scope (another authority, or a path
    /// outside the base URL's prefix), or `scheme://host:port (secret `name`
    /// not granted)` of a request naming a secret this call may not use.
    pub denied: Vec<String>,
}

impl<T> Called<T> {
    /// The same observations with `value` mapped.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Called<U> {
        Called {
            value: f(self.value),
            stdout: self.stdout,
            stderr: self.stderr,
            denied: self.denied,
        }
    }

    /// `value` with nothing observed (the guest did not run).
    pub(crate) fn quiet(value: T) -> Called<T> {
        Called {
            value,
            stdout: String::new(),
            stderr: String::new(),
            denied: Vec::new(),
        }
    }
}

/// A call that ended in a host error (its `value`), with what the sandbox
/// observed until then: a trapping guest's stderr usually says why (a Rust
/// guest prints its panic message there). `Display` shows the error only;
/// `?` turns it into the bare [`HostError`].
pub type Failed = Called<HostError>;

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value, f)
    }
}

impl std::error::Error for Failed {}

impl From<Failed> for HostError {
    fn from(failed: Failed) -> HostError {
        failed.value
    }
}

/// A failure of the host, distinct from the action's own outcomes.
#[derive(Debug)]
pub enum HostError {
    /// The component or the host's options could not be loaded.
    Load(LoadError),
    /// `CallOptions::siptel_base_url` is not a base URL the component
    /// accepts (so no request could ever be allowed).
    BaseUrl(UrlError),
    /// No instance slot came free within `Limits::slot_wait`: the host is at
    /// its concurrency limit, or this call's tenant at its share of it. The
    /// action did not run; the call may be repeated later.
    Busy(Duration),
    /// The call ran past its deadline and was stopped.
    Timeout(Duration),
    /// The guest tried to grow memory past the limit (bytes).
    MemoryLimit(usize),
    /// The guest trapped (wasmtime's description of the trap).
    Trap(String),
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::Load(e) => write!(f, "cannot load the component: {e}"),
            HostError::BaseUrl(e) => write!(f, "the call's Siptel base URL is refused: {e:?}"),
            HostError::Busy(d) => write!(f, "no instance slot came free within {d:?}"),
            HostError::Timeout(d) => write!(f, "the component ran past its {d:?} deadline"),
            HostError::MemoryLimit(n) => {
                write!(f, "the component exceeded its {n}-byte memory limit")
            }
            HostError::Trap(e) => write!(f, "the component trapped: {e}"),
        }
    }
}

impl std::error::Error for HostError {}

impl From<LoadError> for HostError {
    fn from(error: LoadError) -> HostError {
        HostError::Load(error)
    }
}

/// Why the component, or the options it is loaded with, cannot be used.
#[derive(Debug)]
pub enum LoadError {
    /// The `.wasm` file could not be read.
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    /// wasmtime refused the component (compiling, linking or its exports);
    /// wasmtime's description.
    Component(String),
    /// `HostOptions::siptel_base_url` is not a base URL the component accepts.
    BaseUrl(UrlError),
    /// The secret `name` of `HostOptions::secrets` has an invalid name (not
    /// 1 to 64 of `[A-Za-z0-9_.-]`) or key (empty, whitespace, not visible
    /// ASCII).
    Secret { name: String },
    /// `HostOptions::tls_roots_pem` holds no usable certificate.
    TlsRoots(String),
    /// The thread that advances the epoch could not start.
    Thread(std::io::Error),
    /// The service's callers cannot be used (a weak or shared token, a
    /// secret the host does not hold).
    Caller(CallerError),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Read { path, error } => write!(f, "{}: {error}", path.display()),
            LoadError::Component(e) => f.write_str(e),
            LoadError::BaseUrl(e) => write!(f, "the Siptel base URL is refused: {e:?}"),
            LoadError::Secret { name } => write!(f, "secret `{name}` is not a valid API key"),
            LoadError::TlsRoots(e) => write!(f, "TLS roots: {e}"),
            LoadError::Thread(e) => write!(f, "epoch thread: {e}"),
            LoadError::Caller(e) => write!(f, "callers: {e}"),
        }
    }
}

impl std::error::Error for LoadError {}

impl From<wasmtime::Error> for LoadError {
    fn from(error: wasmtime::Error) -> LoadError {
        LoadError::Component(format!("{error:#}"))
    }
}
