//! What the embedding platform decides: for every call ([`HostOptions`],
//! [`Limits`]) and for one call ([`CallOptions`]).

use siptel_sms::secret::Secret;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// Sandbox limits applied to every call.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Longest a `check`, `preview` or `describe` call may run, and the least a
    /// `send` may (a `send` also gets its config's `deadline-ms` plus 5 s).
    pub call_timeout: Duration,
    /// Largest linear memory of one instance, in bytes.
    pub memory_bytes: usize,
    /// Bytes of guest stdout and of stderr kept per call. Past them the
    /// stream is closed to the guest (its writes fail); the call goes on.
    pub output_bytes: usize,
    /// Calls that run at once (instance slots; with the pooling allocator,
    /// the slots reserved at load). Further calls wait for a slot.
    pub concurrent_calls: u32,
    /// Of those slots, how many only quick calls (`check`, `preview`,
    /// `describe`) may take: sends, which may wait seconds on Siptel, never
    /// hold every slot, so a design-time check still answers.
    pub quick_reserve: u32,
    /// Most slots the calls of one tenant (`CallOptions::tenant`) hold at
    /// once, so one tenant's slow sends cannot hold every slot.
    pub tenant_slots: u32,
    /// Longest a call waits for a slot (its tenant's share, then a free
    /// slot) before failing with `HostError::Busy`.
    pub slot_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            call_timeout: Duration::from_secs(10),
            memory_bytes: 16 << 20,
            output_bytes: 64 << 10,
            concurrent_calls: 128,
            quick_reserve: 8,
            tenant_slots: 32,
            slot_wait: Duration::from_secs(2),
        }
    }
}

/// What the embedding platform decides, for every call.
#[derive(Clone, Debug)]
pub struct HostOptions {
    /// The Siptel base URL calls may reach (scheme, host, port and path
    /// prefix): outgoing requests anywhere else are refused, whatever the
    /// config says; a config without `base-url` is sent there. It must be a
    /// base URL the component accepts, or loading fails.
    pub siptel_base_url: String,
    /// Sandbox limits.
    pub limits: Limits,
    /// API keys kept outside the sandbox, by name (1 to 64 of
    /// `[A-Za-z0-9_.-]`), for every tenant. A call may use only the names its
    /// [`CallOptions::secrets`] grants: a config whose `api-key` is
    /// `secret:<name>` with a granted name reaches the component as is; the
    /// component sends `Authorization: Bearer secret:<name>`, and the egress
    /// hook replaces that value with `Bearer <key>`, only on requests to the
    /// call's Siptel base URL. A name not granted is refused before the
    /// component runs (an `invalid` outcome, problem `not-allowed` on
    /// `api-key`). Keys must be visible ASCII without spaces, or loading
    /// fails. A key is a [`Secret`]: `Debug` shows the names only.
    pub secrets: BTreeMap<String, Secret>,
    /// Whether calls run on wasmtime's pooling instance allocator (default
    /// `true`): slots for `limits.concurrent_calls` instances (linear memory
    /// capped at `limits.memory_bytes`, tables, fiber stacks) are reserved
    /// when the component loads, virtual memory only, and a slot's pages are
    /// reset in place between calls: a call's fixed cost (store and
    /// instantiation) drops by about a third, a `check` by half (the
    /// benchmark, `cargo bench -p siptel-sms-host`). When the reservation
    /// fails (e.g. a capped address space), the host falls back to on-demand
    /// allocation: `SiptelSms::pooling` tells which one is in use.
    pub pooling: bool,
    /// Directory where wasmtime caches compiled code across processes, so a
    /// short-lived host (a CLI, a test binary) loads the component without
    /// compiling it again. `None` (the default) compiles at every load.
    pub compile_cache: Option<PathBuf>,
    /// Certificates (PEM) that HTTPS egress trusts besides the webpki roots:
    /// the private CA of a Siptel sandbox or of a TLS-inspecting egress
    /// proxy, or a test server's certificate. Text that holds no usable
    /// certificate fails the load.
    pub tls_roots_pem: Option<String>,
}

impl Default for HostOptions {
    fn default() -> Self {
        HostOptions {
            siptel_base_url: siptel_sms::config::DEFAULT_BASE_URL.into(),
            limits: Limits::default(),
            secrets: BTreeMap::new(),
            pooling: true,
            compile_cache: None,
            tls_roots_pem: None,
        }
    }
}

/// Per-call choices of the host.
#[derive(Clone, Debug, Default)]
pub struct CallOptions {
    /// Overrides `HostOptions::siptel_base_url` for this call (a platform
    /// serving several Siptel endpoints or gateway paths, or a test with its
    /// own stub); it must be a base URL the component accepts
    /// (`HostError::BaseUrl` otherwise).
    pub siptel_base_url: Option<String>,
    /// Wall-clock instant the guest sees at the start of the call (it then
    /// advances in real time), and the instant `preview` evaluates the
    /// window at; `None` is the real clock.
    pub wall_clock: Option<SystemTime>,
    /// Names of `HostOptions::secrets` this call may use: the tenant's own.
    /// Empty (the default) grants none.
    pub secrets: BTreeSet<String>,
    /// The tenant this call runs for: the calls of one tenant hold at most
    /// `Limits::tenant_slots` slots at once. `None`: no share applies.
    pub tenant: Option<String>,
}

/// Where a host that wants a compile cache keeps it unless told otherwise:
/// `$SIPTEL_SMS_CACHE_DIR`, else `$XDG_CACHE_HOME/siptel-sms`, else
/// `$HOME/.cache/siptel-sms`; `None` when none of them is set. The Python
/// and Node packages use it by default, so a new process loads the embedded
/// component from compiled code instead of compiling it again (seconds on a
/// debug build, half a second on a release one).
pub fn default_compile_cache() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    if let Some(dir) = var("SIPTEL_SMS_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        return Some(PathBuf::from(dir).join("siptel-sms"));
    }
    var("HOME").map(|home| PathBuf::from(home).join(".cache").join("siptel-sms"))
}
