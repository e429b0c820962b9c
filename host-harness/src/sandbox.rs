//! What every call into a loaded component runs in, whichever world the
//! component has (the action's `sms-action`, the service's `wasi:http/proxy`):
//! one `Engine` (component model, epoch interruption, optionally the pooling
//! allocator) with its epoch ticker, admission to instance slots, and per
//! call a fresh `Store` with a deadline, a memory limit, captured and
//! scrubbed output, no ambient authority, and the egress policy with the
//! call's granted secrets.

use crate::admission::{Admission, CallKind, Ticket};
use crate::egress::{Egress, Scope};
use crate::error::{Called, Failed, HostError, LoadError};
use crate::options::{HostOptions, Limits};
use crate::pool::Pool;
use crate::redact::Redactor;
use crate::secrets::{Grant, Vault};
use siptel_sms::model::Entity;
use siptel_sms::secret::Secret;
use siptel_sms::siptel::{BaseUrl, parse_base_url};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use wasmtime::component::{Component, ResourceTable};
use wasmtime::{
    Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter, Store,
    Trap, UpdateDeadline,
};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_config::WasiConfigVariables;
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

/// What a send may take beyond its config's `deadline-ms` (the component
/// enforces the deadline; the host stops a component that does not).
const SEND_GRACE: Duration = Duration::from_secs(5);

/// The deadline of a send whose config allows `deadline_ms`: at least
/// `Limits::call_timeout`.
pub(crate) fn send_timeout(limits: &Limits, deadline_ms: u32) -> Duration {
    limits
        .call_timeout
        .max(Duration::from_millis(u64::from(deadline_ms)) + SEND_GRACE)
}

/// The engine and what every call shares.
pub(crate) struct Sandbox {
    engine: Engine,
    pub(crate) options: HostOptions,
    /// `options.siptel_base_url`, checked at load.
    base_url: BaseUrl,
    pub(crate) vault: Arc<Vault>,
    /// Keep-alive connections of every call's outgoing HTTP.
    pool: Pool,
    admission: Admission,
    pooled: bool,
    ticker: Option<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
}

impl Sandbox {
    /// The engine for `options` (checked: base URL, secrets, TLS roots) and
    /// its epoch ticker.
    pub(crate) fn new(options: HostOptions) -> Result<Sandbox, LoadError> {
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
                Some(wasmtime::Cache::new(config)?)
            }
        };
        let (engine, pooled) = new_engine(pooling, cache)?;

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
        Ok(Sandbox {
            engine,
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

    /// Compiles a component for this engine.
    pub(crate) fn compile(&self, wasm: &[u8]) -> Result<Component, LoadError> {
        Ok(Component::from_binary(&self.engine, wasm)?)
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Whether calls run on the pooling allocator.
    pub(crate) fn pooled(&self) -> bool {
        self.pooled
    }

    /// The Siptel base URL a call may reach: `url`, or the host's.
    pub(crate) fn base_url(&self, url: Option<&str>) -> Result<BaseUrl, HostError> {
        match url {
            None => Ok(self.base_url.clone()),
            Some(url) => parse_base_url(url).map_err(HostError::BaseUrl),
        }
    }

    /// Waits, at most `Limits::slot_wait`, for what a call of `kind` for
    /// `tenant` needs; the ticket holds it until dropped (after the store).
    pub(crate) async fn admit(
        &self,
        kind: CallKind,
        tenant: Option<&str>,
    ) -> Result<Ticket, HostError> {
        self.admission
            .admit(kind, tenant)
            .await
            .map_err(HostError::Busy)
    }

    /// A fresh store for one call: output captured in capped pipes, no
    /// sockets, files or environment, `call.wall_clock` as the wall clock,
    /// `call.config` as its `wasi:config`, egress limited to `base_url` with
    /// `call.grant`'s secrets put on it, memory capped, and a deadline
    /// `timeout` away (enforced through [`CallStore::run`]).
    pub(crate) fn store(
        &self,
        base_url: &BaseUrl,
        call: CallSetup,
        timeout: Duration,
    ) -> CallStore {
        let limits = &self.options.limits;
        let stdout = MemoryOutputPipe::new(limits.output_bytes);
        let stderr = MemoryOutputPipe::new(limits.output_bytes);
        let mut wasi = WasiCtxBuilder::new();
        wasi.stdout(stdout.clone()).stderr(stderr.clone());
        // WASI's defaults already refuse every socket address and preopen no
        // directory; say so, so a later default cannot open a way around the
        // egress hook.
        wasi.allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .max_random_size(MAX_RANDOM_BYTES);
        if let Some(at) = call.wall_clock {
            wasi.wall_clock(OffsetClock::starting_at(at));
        }
        let mut table = ResourceTable::new();
        table.set_max_capacity(MAX_RESOURCES);
        let state = CallState {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            config: call.config,
            table,
            egress: Egress::new(
                Scope::of(base_url),
                Arc::clone(&self.vault),
                call.grant,
                self.pool.clone(),
            ),
            limiter: MemoryLimiter {
                limit: limits.memory_bytes,
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
        CallStore {
            store,
            stdout,
            stderr,
            timeout,
            vault: Arc::clone(&self.vault),
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
    }
}

/// Per-call choices that shape a store.
#[derive(Default)]
pub(crate) struct CallSetup {
    /// The wall clock's reading at the start of the call (`None`: real).
    pub(crate) wall_clock: Option<SystemTime>,
    /// The secrets this call may use.
    pub(crate) grant: Grant,
    /// The call's `wasi:config` values (the service's; the action imports
    /// none).
    pub(crate) config: WasiConfigVariables,
}

/// One call's store and what it observes.
pub(crate) struct CallStore {
    pub(crate) store: Store<CallState>,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
    timeout: Duration,
    vault: Arc<Vault>,
}

impl CallStore {
    /// Runs `work` (on this call's store) under the deadline: epochs stop
    /// code that runs, this timer stops code blocked in the host.
    pub(crate) async fn run<T>(
        &mut self,
        work: impl AsyncFnOnce(&mut Store<CallState>) -> wasmtime::Result<T>,
    ) -> Result<T, HostError> {
        let timeout = self.timeout;
        let result = tokio::time::timeout(timeout + EPOCH_TICK * 2, work(&mut self.store)).await;
        match result {
            Err(_elapsed) => Err(HostError::Timeout(timeout)),
            Ok(Ok(value)) => Ok(value),
            // A refused growth the guest survived does not make a later
            // deadline a memory failure.
            Ok(Err(error)) => Err(
                if matches!(error.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
                    HostError::Timeout(timeout)
                } else if self.store.data().limiter.refused {
                    HostError::MemoryLimit(self.store.data().limiter.limit)
                } else {
                    HostError::Trap(format!("{error:#}"))
                },
            ),
        }
    }

    /// `value` with what the sandbox observed: output scrubbed of the host's
    /// keys and of `scrub` (a config's key as written and as its entities
    /// resolve it), and the refused requests.
    pub(crate) fn observed<T>(
        mut self,
        value: Result<T, HostError>,
        scrub: Option<(&Secret, &[Entity])>,
    ) -> Result<Called<T>, Failed> {
        let captured =
            |pipe: &MemoryOutputPipe| String::from_utf8_lossy(&pipe.contents()).into_owned();
        let (mut stdout, mut stderr) = (captured(&self.stdout), captured(&self.stderr));
        if !stdout.is_empty() || !stderr.is_empty() {
            let redactor = Redactor::new(self.vault.keys(), scrub);
            stdout = redactor.scrub(stdout);
            stderr = redactor.scrub(stderr);
        }
        let observed = Called {
            value: (),
            stdout,
            stderr,
            denied: std::mem::take(&mut self.store.data_mut().egress.denied),
        };
        match value {
            Ok(value) => Ok(observed.map(|()| value)),
            Err(error) => Err(observed.map(|()| error)),
        }
    }
}

/// What a call's `Store` holds.
pub(crate) struct CallState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    config: WasiConfigVariables,
    table: ResourceTable,
    pub(crate) egress: Egress,
    limiter: MemoryLimiter,
}

impl CallState {
    /// The call's `wasi:config`, for the linker.
    pub(crate) fn config(&mut self) -> wasmtime_wasi_config::WasiConfig<'_> {
        wasmtime_wasi_config::WasiConfig::from(&self.config)
    }
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

/// Core instances, tables and table elements one component instance may
/// use in the pool: the action has 3 core instances and 2 tables of at most
/// 174 elements (the service, built with the proxy adapter, a few more);
/// the rest is headroom.
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
