//! Loading the component once and calling it in sandboxed, per-call stores.

use crate::bindings::SmsActionPre;
use crate::bindings::siptel::sms::{form as wit_form, types as wit};
use crate::egress::{Authority, Egress, Secrets};
use crate::pool::Pool;
use crate::redact::Redactor;
use siptel_sms::model::{ActionForm, Config, Entity, Outcome, Problem, SendPreview};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use wasmtime::component::{
    Component, ComponentExportIndex, ComponentNamedList, Instance, InstancePre, Lift, Linker,
    Lower, ResourceTable,
};
use wasmtime::{
    Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter, Store,
    Trap, UpdateDeadline,
};
use wasmtime_wasi::p2::bindings::clocks::wall_clock::Datetime;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// How often the epoch advances: the granularity of call deadlines, and how
/// often a guest that computes without calling the host yields its thread.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Most resource handles (streams, requests, pollables ...) one call may hold
/// at once. Their memory is the host's, outside the `ResourceLimiter`'s
/// reach; the action needs a few dozen.
const MAX_RESOURCES: usize = 4096;

/// Largest `wasi:random` buffer one request may ask the host to fill.
const MAX_RANDOM_BYTES: u64 = 64 << 10;

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
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            call_timeout: Duration::from_secs(10),
            memory_bytes: 16 << 20,
            output_bytes: 64 << 10,
        }
    }
}

/// What the embedding platform decides, for every call.
#[derive(Clone)]
pub struct HostOptions {
    /// The only Siptel base URL calls may reach: outgoing requests to any
    /// other scheme, host or port are refused (whatever the config says).
    pub siptel_base_url: String,
    /// Sandbox limits.
    pub limits: Limits,
    /// API keys kept outside the sandbox, by name. A config whose `api-key`
    /// is `secret:<name>` reaches the component as is; the component sends
    /// `Authorization: Bearer secret:<name>`, and the egress hook replaces
    /// that value with `Bearer <key>`, only on requests to the allowed Siptel
    /// authority. A name missing here refuses the request: the send fails
    /// `request-denied` and [`Called::denied`] says which name was missing
    /// (the placeholder never leaves the machine). Keys must be visible ASCII
    /// without spaces, or loading fails. `Debug` shows the names only.
    pub secrets: BTreeMap<String, String>,
    /// Whether calls run on wasmtime's pooling instance allocator (default
    /// `true`): slots for 128 concurrent calls (linear memory
    /// capped at `limits.memory_bytes`, tables, fiber stacks) are reserved
    /// when the component loads, virtual memory only, and a slot's pages are
    /// reset in place between calls: a call's fixed cost (store and
    /// instantiation) drops by about a third, a `check` by half (the
    /// benchmark, `cargo bench -p siptel-sms-host`); calls beyond that wait
    /// for a free slot. When the reservation fails (e.g. a capped address space),
    /// the host falls back to on-demand allocation: [`SiptelSms::pooling`]
    /// tells which one is in use.
    pub pooling: bool,
    /// Directory where wasmtime caches compiled code across processes, so a
    /// short-lived host (a CLI, a test binary) loads the component without
    /// compiling it again. `None` (the default) compiles at every load.
    pub compile_cache: Option<PathBuf>,
    /// Certificates (PEM) that HTTPS egress trusts besides the webpki roots:
    /// the private CA of a Siptel sandbox or of a TLS-inspecting egress
    /// proxy, or a test server's certificate (`stub::TLS_CERT_PEM`). Text
    /// that holds no usable certificate fails the load.
    pub tls_roots_pem: Option<String>,
}

impl Default for HostOptions {
    fn default() -> Self {
        HostOptions {
            siptel_base_url: siptel_sms::siptel::DEFAULT_BASE_URL.into(),
            limits: Limits::default(),
            secrets: BTreeMap::new(),
            pooling: true,
            compile_cache: None,
            tls_roots_pem: None,
        }
    }
}

impl fmt::Debug for HostOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let HostOptions {
            siptel_base_url,
            limits,
            secrets,
            pooling,
            compile_cache,
            tls_roots_pem,
        } = self;
        f.debug_struct("HostOptions")
            .field("siptel_base_url", siptel_base_url)
            .field("limits", limits)
            .field("secrets", &secrets.keys().collect::<Vec<_>>())
            .field("pooling", pooling)
            .field("compile_cache", compile_cache)
            .field("tls_roots_pem", &tls_roots_pem.as_ref().map(|_| "…"))
            .finish()
    }
}

/// Per-call choices of the host.
#[derive(Clone, Debug, Default)]
pub struct CallOptions {
    /// Overrides `HostOptions::siptel_base_url` for this call (a platform
    /// serving several Siptel endpoints, or a test with its own stub).
    pub siptel_base_url: Option<String>,
    /// Wall-clock instant the guest sees at the start of the call (it then
    /// advances in real time); `None` is the real clock. Tests use it to
    /// place a send inside or outside the sending window.
    pub wall_clock: Option<SystemTime>,
}

/// The action's answer (or, as [`Failed`], the host's error) plus what the
/// sandbox observed during the call.
#[derive(Clone, Debug)]
pub struct Called<T> {
    /// The action's own answer.
    pub value: T,
    /// Guest stdout (lossy UTF-8, size-capped).
    pub stdout: String,
    /// Guest stderr (lossy UTF-8, size-capped).
    pub stderr: String,
    /// Outgoing requests refused by the egress policy: `scheme://host:port`
    /// of a request to another authority, or `scheme://host:port (unknown
    /// secret `name`)` of a request naming a secret the host does not hold.
    pub denied: Vec<String>,
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
    /// The component could not be read, compiled or linked.
    Load(String),
    /// The call ran past its deadline and was stopped.
    Timeout(Duration),
    /// The guest tried to grow memory past the limit (bytes).
    MemoryLimit(usize),
    /// The guest trapped.
    Trap(String),
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::Load(e) => write!(f, "cannot load the component: {e}"),
            HostError::Timeout(d) => write!(f, "the component ran past its {d:?} deadline"),
            HostError::MemoryLimit(n) => {
                write!(f, "the component exceeded its {n}-byte memory limit")
            }
            HostError::Trap(e) => write!(f, "the component trapped: {e}"),
        }
    }
}

impl std::error::Error for HostError {}

/// The loaded component: compile once, call many times, from many tasks.
pub struct SiptelSms {
    engine: Engine,
    pre: InstancePre<CallState>,
    exports: Exports,
    options: HostOptions,
    secrets: Arc<Secrets>,
    /// Keep-alive connections of every call's outgoing HTTP.
    pool: Pool,
    /// With the pooling allocator: one permit per instance slot.
    slots: Option<tokio::sync::Semaphore>,
    ticker: Option<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
}

impl SiptelSms {
    /// Loads the component that `build.rs` built from this workspace.
    pub fn builtin(options: HostOptions) -> Result<Self, HostError> {
        Self::from_file(crate::BUILTIN_WASM, options)
    }

    /// Loads a component from a `.wasm` file.
    pub fn from_file(path: impl AsRef<Path>, options: HostOptions) -> Result<Self, HostError> {
        let path = path.as_ref();
        let bytes =
            std::fs::read(path).map_err(|e| HostError::Load(format!("{}: {e}", path.display())))?;
        Self::from_bytes(&bytes, options)
    }

    /// Loads a component from its bytes.
    pub fn from_bytes(wasm: &[u8], options: HostOptions) -> Result<Self, HostError> {
        let load = |e: wasmtime::Error| HostError::Load(format!("{e:#}"));
        let secrets = Arc::new(Secrets::new(&options.secrets).map_err(HostError::Load)?);
        let roots =
            crate::pool::roots(options.tls_roots_pem.as_deref()).map_err(HostError::Load)?;
        let pooling = options
            .pooling
            .then(|| pooling_config(&options.limits, POOLED_CALLS));
        let cache = match &options.compile_cache {
            None => None,
            Some(dir) => {
                let mut config = wasmtime::CacheConfig::new();
                config.with_directory(dir);
                Some(wasmtime::Cache::new(config).map_err(load)?)
            }
        };
        let (engine, pooling) = new_engine(pooling, cache).map_err(load)?;
        let component = Component::from_binary(&engine, wasm).map_err(load)?;
        let mut linker = Linker::<CallState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(load)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(load)?;
        let pre = linker.instantiate_pre(&component).map_err(load)?;
        // Type-checks every export against the world once, here.
        SmsActionPre::new(pre.clone()).map_err(load)?;
        let exports = Exports::find(&component).map_err(load)?;

        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let (engine, stop) = (engine.clone(), stop.clone());
            std::thread::Builder::new()
                .name("siptel-sms-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(EPOCH_TICK);
                        engine.increment_epoch();
                    }
                })
                .map_err(|e| HostError::Load(format!("epoch thread: {e}")))?
        };
        Ok(SiptelSms {
            engine,
            pre,
            exports,
            options,
            secrets,
            pool: Pool::with_roots(roots),
            slots: pooling.then(|| tokio::sync::Semaphore::new(POOLED_CALLS as usize)),
            ticker: Some(ticker),
            stop,
        })
    }

    /// The options every call runs under.
    pub fn options(&self) -> &HostOptions {
        &self.options
    }

    /// Whether calls run on the pooling allocator (see [`HostOptions::pooling`]).
    pub fn pooling(&self) -> bool {
        self.slots.is_some()
    }

    /// `send`: validates, checks the window, sends through Siptel.
    pub async fn send(
        &self,
        config: &Config,
        entities: &[Entity],
        options: &CallOptions,
    ) -> Result<Called<Outcome>, Failed> {
        let deadline_ms = config
            .deadline_ms
            .unwrap_or(siptel_sms::describe::DEFAULT_DEADLINE_MS);
        let timeout = self
            .options
            .limits
            .call_timeout
            .max(Duration::from_millis(u64::from(deadline_ms)) + Duration::from_secs(5));
        let (wit_config, wit_entities) = (config.clone().into(), wit_entities(entities));
        let key = Some((config.api_key.as_str(), entities));
        self.call(options, timeout, key, async |instance, store| {
            let (outcome,) = invoke::<(&wit::Config, &[wit::Entity]), (wit::Outcome,)>(
                instance,
                store,
                &self.exports.send,
                (&wit_config, &wit_entities),
            )
            .await?;
            Ok(outcome.into())
        })
        .await
    }

    /// `check`: design-time validation.
    pub async fn check(&self, config: &Config) -> Result<Called<Vec<Problem>>, Failed> {
        let wit_config = config.clone().into();
        self.call(
            &CallOptions::default(),
            self.options.limits.call_timeout,
            Some((&config.api_key, &[])),
            async |instance, store| {
                let (problems,) = invoke::<(&wit::Config,), (Vec<wit::Problem>,)>(
                    instance,
                    store,
                    &self.exports.check,
                    (&wit_config,),
                )
                .await?;
                Ok(problems.into_iter().map(Into::into).collect())
            },
        )
        .await
    }

    /// `preview` at `at` (Unix seconds; `None` is the guest's clock).
    pub async fn preview(
        &self,
        config: &Config,
        entities: &[Entity],
        at: Option<i64>,
        options: &CallOptions,
    ) -> Result<Called<Result<SendPreview, Vec<Problem>>>, Failed> {
        let (wit_config, wit_entities) = (config.clone().into(), wit_entities(entities));
        let at = at.map(|s| Datetime {
            seconds: u64::try_from(s).unwrap_or(0),
            nanoseconds: 0,
        });
        self.call(
            options,
            self.options.limits.call_timeout,
            Some((&config.api_key, entities)),
            async |instance, store| {
                type Answer = Result<wit::SendPreview, Vec<wit::Problem>>;
                let (answer,) =
                    invoke::<(&wit::Config, &[wit::Entity], Option<Datetime>), (Answer,)>(
                        instance,
                        store,
                        &self.exports.preview,
                        (&wit_config, &wit_entities, at),
                    )
                    .await?;
                Ok(answer
                    .map(Into::into)
                    .map_err(|problems| problems.into_iter().map(Into::into).collect()))
            },
        )
        .await
    }

    /// `describe`: the action's form.
    pub async fn describe(&self) -> Result<Called<ActionForm>, Failed> {
        self.call(
            &CallOptions::default(),
            self.options.limits.call_timeout,
            None,
            async |instance, store| {
                let (form,) = invoke::<(), (wit_form::ActionForm,)>(
                    instance,
                    store,
                    &self.exports.describe,
                    (),
                )
                .await?;
                Ok(form.into())
            },
        )
        .await
    }

    /// Instantiates the component in a call's sandbox and drops it, calling
    /// no export: a readiness check (the component links and fits the
    /// limits) that costs what every call pays before its export runs.
    pub async fn instantiate(&self) -> Result<(), Failed> {
        self.call(
            &CallOptions::default(),
            self.options.limits.call_timeout,
            None,
            async |_instance, _store| Ok(()),
        )
        .await
        .map(|_| ())
    }

    /// Runs one export in a fresh store: deadline, memory limit, captured
    /// output (scrubbed of `api_key`, as written and resolved by its
    /// entities, and of the host's secrets), no sockets, files or
    /// environment, and egress limited to the allowed Siptel authority (with
    /// the host's secrets put on it).
    async fn call<T>(
        &self,
        options: &CallOptions,
        timeout: Duration,
        api_key: Option<(&str, &[Entity])>,
        run: impl AsyncFnOnce(&Instance, &mut Store<CallState>) -> wasmtime::Result<T>,
    ) -> Result<Called<T>, Failed> {
        let stdout = MemoryOutputPipe::new(self.options.limits.output_bytes);
        let stderr = MemoryOutputPipe::new(self.options.limits.output_bytes);
        let mut wasi = WasiCtxBuilder::new();
        wasi.stdout(stdout.clone()).stderr(stderr.clone());
        // WASI's defaults already refuse every socket address and preopen no
        // directory; say so, so a later default cannot open a way around the
        // egress hook.
        wasi.allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .max_random_size(MAX_RANDOM_BYTES);
        if let Some(at) = options.wall_clock {
            wasi.wall_clock(OffsetClock::starting_at(at));
        }
        let base_url = options
            .siptel_base_url
            .as_deref()
            .unwrap_or(&self.options.siptel_base_url);
        let mut table = ResourceTable::new();
        table.set_max_capacity(MAX_RESOURCES);
        let state = CallState {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table,
            egress: Egress::new(
                Authority::of_base_url(base_url),
                self.secrets.clone(),
                self.pool.clone(),
            ),
            limiter: MemoryLimiter {
                limit: self.options.limits.memory_bytes,
                refused: false,
            },
        };
        // A pooled instance slot for this call, released after the store
        // (declared before it, so dropped after it).
        let _slot = match &self.slots {
            // Never closed: `acquire` only waits.
            Some(slots) => slots.acquire().await.ok(),
            None => None,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        // At every tick a guest that is computing yields its thread to other
        // tasks, and past the deadline it traps (`Trap::Interrupt`).
        let deadline = Instant::now() + timeout;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            Ok(if Instant::now() >= deadline {
                UpdateDeadline::Interrupt
            } else {
                UpdateDeadline::Yield(1)
            })
        });

        let work = async {
            let instance = self.pre.instantiate_async(&mut store).await?;
            run(&instance, &mut store).await
        };
        // Epochs stop code that runs; the timer stops code blocked in the host.
        let result = tokio::time::timeout(timeout + EPOCH_TICK * 2, work).await;
        let value = match result {
            Err(_elapsed) => Err(HostError::Timeout(timeout)),
            Ok(Ok(value)) => Ok(value),
            // A refused growth the guest survived does not make a later
            // deadline a memory failure.
            Ok(Err(error)) => Err(
                if matches!(error.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
                    HostError::Timeout(timeout)
                } else if store.data().limiter.refused {
                    HostError::MemoryLimit(self.options.limits.memory_bytes)
                } else {
                    HostError::Trap(format!("{error:#}"))
                },
            ),
        };
        let captured =
            |pipe: &MemoryOutputPipe| String::from_utf8_lossy(&pipe.contents()).into_owned();
        let (mut stdout, mut stderr) = (captured(&stdout), captured(&stderr));
        if !stdout.is_empty() || !stderr.is_empty() {
            let redactor = Redactor::new(self.options.secrets.values(), api_key);
            stdout = redactor.scrub(stdout);
            stderr = redactor.scrub(stderr);
        }
        let denied = std::mem::take(&mut store.data_mut().egress.denied);
        match value {
            Ok(value) => Ok(Called {
                value,
                stdout,
                stderr,
                denied,
            }),
            Err(error) => Err(Called {
                value: error,
                stdout,
                stderr,
                denied,
            }),
        }
    }
}

/// The action's exports, found once at load. A call type-checks only the
/// export it runs: the generated `SmsAction` would check all four at every
/// instantiation, a sixth of a `check` call's cost.
struct Exports {
    send: ComponentExportIndex,
    check: ComponentExportIndex,
    preview: ComponentExportIndex,
    describe: ComponentExportIndex,
}

impl Exports {
    fn find(component: &Component) -> wasmtime::Result<Exports> {
        const INTERFACE: &str = "siptel:sms/action@0.1.0";
        let interface = component
            .get_export_index(None, INTERFACE)
            .ok_or_else(|| wasmtime::format_err!("no export `{INTERFACE}`"))?;
        let func = |name: &str| {
            component
                .get_export_index(Some(&interface), name)
                .ok_or_else(|| wasmtime::format_err!("no export `{INTERFACE}#{name}`"))
        };
        Ok(Exports {
            send: func("send")?,
            check: func("check")?,
            preview: func("preview")?,
            describe: func("describe")?,
        })
    }
}

/// Calls the export `index` of `instance` with `params`.
async fn invoke<P, R>(
    instance: &Instance,
    store: &mut Store<CallState>,
    index: &ComponentExportIndex,
    params: P,
) -> wasmtime::Result<R>
where
    P: ComponentNamedList + Lower + Send + Sync,
    R: ComponentNamedList + Lift + Send + Sync + 'static,
{
    let func = instance.get_typed_func::<P, R>(&mut *store, index)?;
    func.call_async(&mut *store, params).await
}

/// Concurrent calls the pooling allocator reserves instance slots for.
const POOLED_CALLS: u32 = 128;

/// Core instances, tables and table elements one component instance may
/// use in the pool: the action (and the sandbox probe) has 3 core instances
/// and 2 tables of at most 174 elements; the rest is headroom.
const POOLED_CORE_INSTANCES: u32 = 8;
const POOLED_TABLES: u32 = 4;
const POOLED_TABLE_ELEMENTS: usize = 10_000;

/// Bytes of a slot's tables and linear memory reset in place after a call
/// (see `pooling_config`): all of the tables, and the part of memory this
/// guest uses (stack, data and heap sit in its first 2 MiB).
const POOLED_TABLE_KEEP_RESIDENT: usize = 64 << 10;
const POOLED_MEMORY_KEEP_RESIDENT: usize = 4 << 20;

/// The pooling allocator sized for this component: `slots` concurrent
/// instances, each with one linear memory of at most `limits.memory_bytes`.
fn pooling_config(limits: &Limits, slots: u32) -> PoolingAllocationConfig {
    const WASM_PAGE: usize = 64 << 10;
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(slots)
        .max_core_instances_per_component(POOLED_CORE_INSTANCES)
        .total_core_instances(slots * POOLED_CORE_INSTANCES)
        .max_memories_per_component(1)
        .total_memories(slots)
        .max_memory_size(limits.memory_bytes.next_multiple_of(WASM_PAGE))
        .max_tables_per_component(POOLED_TABLES)
        .total_tables(slots * POOLED_TABLES)
        .table_elements(POOLED_TABLE_ELEMENTS)
        .total_stacks(slots);
    // Reset a slot's pages in place instead of `madvise`-ing them away: no
    // system call, no TLB shootdown of the other cores, and no page faults
    // (copy-on-write of the memory image) in the next call. Tables are a
    // page or two: `memset` them. Linear memory only where the kernel tells
    // which pages a call wrote (`PAGEMAP_SCAN`, Linux 6.7+); elsewhere
    // zeroing the low megabytes (the guest's stack) would cost more than it
    // saves.
    pool.table_keep_resident(POOLED_TABLE_KEEP_RESIDENT);
    if PoolingAllocationConfig::is_pagemap_scan_available() {
        pool.pagemap_scan(Enabled::Yes)
            .linear_memory_keep_resident(POOLED_MEMORY_KEEP_RESIDENT);
    }
    pool
}

/// The engine, on the pooling allocator when `pooling` is given and its
/// reservation succeeds (the returned flag), else on-demand.
fn new_engine(
    pooling: Option<PoolingAllocationConfig>,
    cache: Option<wasmtime::Cache>,
) -> wasmtime::Result<(Engine, bool)> {
    let config = |pooling: Option<PoolingAllocationConfig>| {
        let mut config = wasmtime::Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.cache(cache.clone());
        if let Some(pooling) = pooling {
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
        }
        config
    };
    if let Some(pooling) = pooling
        && let Ok(engine) = Engine::new(&config(Some(pooling)))
    {
        return Ok((engine, true));
    }
    Ok((Engine::new(&config(None))?, false))
}

impl Drop for SiptelSms {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
    }
}

fn wit_entities(entities: &[Entity]) -> Vec<wit::Entity> {
    entities.iter().cloned().map(Into::into).collect()
}

/// What a call's `Store` holds.
struct CallState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    egress: Egress,
    limiter: MemoryLimiter,
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for CallState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.egress,
        }
    }
}

/// Refuses memory growth past the limit and remembers that it did, so a
/// resulting trap is reported as the limit it is.
struct MemoryLimiter {
    limit: usize,
    refused: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired <= self.limit;
        self.refused |= !allowed;
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// A wall clock that starts at a chosen instant and advances in real time.
struct OffsetClock {
    start: Duration,
    started: Instant,
}

impl OffsetClock {
    fn starting_at(at: SystemTime) -> Self {
        OffsetClock {
            start: at.duration_since(UNIX_EPOCH).unwrap_or_default(),
            started: Instant::now(),
        }
    }
}

impl HostWallClock for OffsetClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        self.start + self.started.elapsed()
    }
}

#[cfg(test)]
mod pooling_tests {
    use super::*;

    #[test]
    fn pooling_reserves_slots_for_the_default_limits() {
        let pooling = pooling_config(&Limits::default(), POOLED_CALLS);
        let (_engine, pooled) = new_engine(Some(pooling), None).unwrap();
        assert!(pooled);
    }

    #[test]
    fn an_unreservable_pool_falls_back_to_on_demand() {
        // A million 4 GiB memory slots: more address space than exists.
        let mut pooling = pooling_config(&Limits::default(), POOLED_CALLS);
        pooling.total_memories(1 << 20);
        let (_engine, pooled) = new_engine(Some(pooling), None).unwrap();
        assert!(!pooled);
    }
}
