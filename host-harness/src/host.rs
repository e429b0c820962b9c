//! Loading the component once and calling it in sandboxed, per-call stores.

use crate::admission::{Admission, CallKind};
use crate::bindings::SmsActionPre;
use crate::bindings::siptel::sms::{form as wit_form, types as wit};
use crate::egress::{Egress, Scope};
use crate::error::{Called, Failed, HostError, LoadError};
use crate::options::{CallOptions, HostOptions, Limits};
use crate::pool::Pool;
use crate::redact::Redactor;
use crate::secrets::{Grant, Vault};
use siptel_sms::config::{self, MAX_PROBLEMS};
use siptel_sms::model::{ActionForm, Config, Entity, FieldId, Outcome, Problem, SendPreview};
use siptel_sms::secret::{self, Secret, SecretError};
use siptel_sms::siptel::{BaseUrl, parse_base_url};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use wasmtime::component::{
    Component, ComponentExportIndex, ComponentNamedList, Instance, InstancePre, Lift, Linker,
    Lower, ResourceTable, TypedFunc,
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

/// What the component sees instead of a `secret:` reference this call may
/// not use, while the host collects the config's other problems: a literal
/// key that passes validation and is never sent (only `check` and `preview`
/// run with it).
const WITHHELD_KEY: &str = "secret-withheld-by-host";

/// The loaded component: compile once, call many times, from many tasks.
pub struct SiptelSms {
    engine: Engine,
    pre: InstancePre<CallState>,
    exports: Exports,
    options: HostOptions,
    /// `options.siptel_base_url`, checked at load.
    base_url: BaseUrl,
    vault: Arc<Vault>,
    /// Keep-alive connections of every call's outgoing HTTP.
    pool: Pool,
    admission: Admission,
    pooled: bool,
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
        let bytes = std::fs::read(path).map_err(|error| LoadError::Read {
            path: path.to_owned(),
            error,
        })?;
        Self::from_bytes(&bytes, options)
    }

    /// Loads a component from its bytes.
    pub fn from_bytes(wasm: &[u8], options: HostOptions) -> Result<Self, HostError> {
        let base_url = parse_base_url(&options.siptel_base_url).map_err(LoadError::BaseUrl)?;
        let vault = Arc::new(Vault::new(&options.secrets)?);
        let roots =
            crate::pool::roots(options.tls_roots_pem.as_deref()).map_err(LoadError::TlsRoots)?;
        let pooling = options.pooling.then(|| pooling_config(&options.limits));
        let cache = match &options.compile_cache {
            None => None,
            Some(dir) => {
                let mut config = wasmtime::CacheConfig::new();
                config.with_directory(dir);
                Some(wasmtime::Cache::new(config).map_err(LoadError::from)?)
            }
        };
        let (engine, pooled) = new_engine(pooling, cache).map_err(LoadError::from)?;
        let component = Component::from_binary(&engine, wasm).map_err(LoadError::from)?;
        let mut linker = Linker::<CallState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(LoadError::from)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(LoadError::from)?;
        let pre = linker
            .instantiate_pre(&component)
            .map_err(LoadError::from)?;
        // Type-checks every export against the world once, here.
        SmsActionPre::new(pre.clone()).map_err(LoadError::from)?;
        let exports = Exports::find(&component).map_err(LoadError::from)?;

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
                .map_err(LoadError::Thread)?
        };
        Ok(SiptelSms {
            engine,
            pre,
            exports,
            admission: Admission::new(&options.limits),
            options,
            base_url,
            vault,
            pool: Pool::with_roots(roots),
            pooled,
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
        self.pooled
    }

    /// `send`: validates, checks the window, sends through Siptel.
    pub async fn send(
        &self,
        config: &Config,
        entities: &[Entity],
        options: &CallOptions,
    ) -> Result<Called<Outcome>, Failed> {
        if let Some(refusal) = self.secret_refusal(config, options) {
            return self
                .with_other_problems(refusal, config, Some(entities), options)
                .await
                .map(|called| called.map(|problems| Outcome::Invalid { problems }));
        }
        let deadline_ms = config.deadline_ms.unwrap_or(config::DEADLINE_MS.default);
        let timeout = self
            .options
            .limits
            .call_timeout
            .max(Duration::from_millis(u64::from(deadline_ms)) + Duration::from_secs(5));
        let (config, entities) = config::bounded(config, entities);
        let api_key = config.api_key.clone();
        let (wit_config, wit_entities) = (wit::Config::from(config), wit_entities(&entities));
        let scrub = (&api_key, entities.as_slice());
        self.call(
            CallKind::Send,
            options,
            timeout,
            Some(scrub),
            async |instance, store| {
                let (outcome,) = invoke::<(&wit::Config, &[wit::Entity]), (wit::Outcome,)>(
                    instance,
                    store,
                    &self.exports.send,
                    (&wit_config, &wit_entities),
                )
                .await?;
                Ok(outcome.into())
            },
        )
        .await
    }

    /// `check`: design-time validation.
    pub async fn check(
        &self,
        config: &Config,
        options: &CallOptions,
    ) -> Result<Called<Vec<Problem>>, Failed> {
        if let Some(refusal) = self.secret_refusal(config, options) {
            return self
                .with_other_problems(refusal, config, None, options)
                .await;
        }
        self.guest_check(config, options).await
    }

    async fn guest_check(
        &self,
        config: &Config,
        options: &CallOptions,
    ) -> Result<Called<Vec<Problem>>, Failed> {
        let (config, _) = config::bounded(config, &[]);
        let api_key = config.api_key.clone();
        let wit_config = wit::Config::from(config);
        let timeout = self.options.limits.call_timeout;
        let scrub = (&api_key, &[][..]);
        self.call(
            CallKind::Quick,
            options,
            timeout,
            Some(scrub),
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

    /// `preview`: what `send` would do at `options.wall_clock` (default:
    /// now), without network.
    pub async fn preview(
        &self,
        config: &Config,
        entities: &[Entity],
        options: &CallOptions,
    ) -> Result<Called<Result<SendPreview, Vec<Problem>>>, Failed> {
        if let Some(refusal) = self.secret_refusal(config, options) {
            return self
                .with_other_problems(refusal, config, Some(entities), options)
                .await
                .map(|called| called.map(Err));
        }
        self.guest_preview(config, entities, options).await
    }

    async fn guest_preview(
        &self,
        config: &Config,
        entities: &[Entity],
        options: &CallOptions,
    ) -> Result<Called<Result<SendPreview, Vec<Problem>>>, Failed> {
        let (config, entities) = config::bounded(config, entities);
        let api_key = config.api_key.clone();
        let (wit_config, wit_entities) = (wit::Config::from(config), wit_entities(&entities));
        let at = options.wall_clock.map(|at| {
            let since_epoch = at.duration_since(UNIX_EPOCH).unwrap_or_default();
            Datetime {
                seconds: since_epoch.as_secs(),
                nanoseconds: 0,
            }
        });
        let timeout = self.options.limits.call_timeout;
        let scrub = (&api_key, entities.as_slice());
        self.call(
            CallKind::Quick,
            options,
            timeout,
            Some(scrub),
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
    pub async fn describe(&self, options: &CallOptions) -> Result<Called<ActionForm>, Failed> {
        let timeout = self.options.limits.call_timeout;
        self.call(
            CallKind::Quick,
            options,
            timeout,
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
        let timeout = self.options.limits.call_timeout;
        self.call(
            CallKind::Quick,
            &CallOptions::default(),
            timeout,
            None,
            async |_instance, _store| Ok(()),
        )
        .await
        .map(|_| ())
    }

    /// The problem of a config whose `secret:<name>` this call may not use
    /// (not granted by `options.secrets`, or not held by the host: the same
    /// answer, so a tenant cannot probe for other tenants' names). A
    /// malformed reference is left to the component, which explains it.
    fn secret_refusal(&self, config: &Config, options: &CallOptions) -> Option<Problem> {
        let name = secret::reference(config.api_key.expose())?;
        let granted = Grant::new(&options.secrets);
        if !secret::is_valid_name(name) || granted.allows(name, &self.vault) {
            return None;
        }
        let error = SecretError::NotGranted {
            name: name.to_owned(),
        };
        let lang = config.language.unwrap_or_default();
        Some(Problem::of(FieldId::ApiKey, &error, lang))
    }

    /// `refusal` and every other problem of the config, found by the
    /// component with the refused reference withheld: `check` at design
    /// time (`entities` `None`), else `preview`. Nothing is sent.
    async fn with_other_problems(
        &self,
        refusal: Problem,
        config: &Config,
        entities: Option<&[Entity]>,
        options: &CallOptions,
    ) -> Result<Called<Vec<Problem>>, Failed> {
        let withheld = Config {
            api_key: Secret::from(WITHHELD_KEY),
            ..config.clone()
        };
        let others = match entities {
            None => self.guest_check(&withheld, options).await?,
            Some(entities) => self
                .guest_preview(&withheld, entities, options)
                .await?
                .map(|answer| answer.err().unwrap_or_default()),
        };
        Ok(others.map(|others| {
            let mut problems = vec![refusal];
            problems.extend(others);
            problems.truncate(MAX_PROBLEMS);
            problems
        }))
    }

    /// Runs one export in a fresh store, once admitted (a slot within
    /// `Limits::slot_wait`): deadline, memory limit, captured output
    /// (scrubbed of the host's keys and of `scrub`, the config's key as
    /// written and as its entities resolve it), no sockets, files or
    /// environment, and egress limited to the call's Siptel base URL (with
    /// the call's granted secrets put on it).
    async fn call<T>(
        &self,
        kind: CallKind,
        options: &CallOptions,
        timeout: Duration,
        scrub: Option<(&Secret, &[Entity])>,
        run: impl AsyncFnOnce(&Instance, &mut Store<CallState>) -> wasmtime::Result<T>,
    ) -> Result<Called<T>, Failed> {
        let base_url = match &options.siptel_base_url {
            None => self.base_url.clone(),
            Some(url) => parse_base_url(url).map_err(|e| Called::quiet(HostError::BaseUrl(e)))?,
        };
        // Admitted before the store exists, released after it is dropped
        // (declared first, so dropped last).
        let _ticket = self
            .admission
            .admit(kind, options.tenant.as_deref())
            .await
            .map_err(|waited| Called::quiet(HostError::Busy(waited)))?;
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
        let mut table = ResourceTable::new();
        table.set_max_capacity(MAX_RESOURCES);
        let state = CallState {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table,
            egress: Egress::new(
                Scope::of(&base_url),
                Arc::clone(&self.vault),
                Grant::new(&options.secrets),
                self.pool.clone(),
            ),
            limiter: MemoryLimiter {
                limit: self.options.limits.memory_bytes,
                refused: false,
            },
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
            let redactor = Redactor::new(self.vault.keys(), scrub);
            stdout = redactor.scrub(stdout);
            stderr = redactor.scrub(stderr);
        }
        let observed = Called {
            value: (),
            stdout,
            stderr,
            denied: std::mem::take(&mut store.data_mut().egress.denied),
        };
        match value {
            Ok(value) => Ok(observed.map(|()| value)),
            Err(error) => Err(observed.map(|()| error)),
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
        const INTERFACE: &str = siptel_sms::ACTION_INTERFACE;
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

/// Calls the export `index` of `instance` with `params`, without checking
/// its type again: `SiptelSms::from_bytes` checked every export against the
/// world once, at load (`SmsActionPre::new`), and each call site names the
/// types of the export it calls, as the generated bindings do.
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
    let func = instance
        .get_func(&mut *store, index)
        .ok_or_else(|| wasmtime::format_err!("the component lost an export it had at load"))?;
    // SAFETY: the export's type was checked against the world (these `P`
    // and `R`) when the component loaded, and a loaded component does not
    // change.
    let func = unsafe { TypedFunc::<P, R>::new_unchecked(func) };
    func.call_async(&mut *store, params).await
}

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

/// The pooling allocator sized for this component: `limits.concurrent_calls`
/// instances, each with one linear memory of at most `limits.memory_bytes`.
fn pooling_config(limits: &Limits) -> PoolingAllocationConfig {
    const WASM_PAGE: usize = 64 << 10;
    let slots = limits.concurrent_calls.max(1);
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
        let pooling = pooling_config(&Limits::default());
        let (_engine, pooled) = new_engine(Some(pooling), None).unwrap();
        assert!(pooled);
    }

    #[test]
    fn an_unreservable_pool_falls_back_to_on_demand() {
        // A million 4 GiB memory slots: more address space than exists.
        let mut pooling = pooling_config(&Limits::default());
        pooling.total_memories(1 << 20);
        let (_engine, pooled) = new_engine(Some(pooling), None).unwrap();
        assert!(!pooled);
    }
}
