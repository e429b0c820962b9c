//! `cargo bench -p siptel-sms-host`: the component in wasmtime against the
//! floor of its design and against native Rust, measured in one run on one
//! machine.
//!
//! Three sides send the identical request to the same loopback stub:
//! - **product**: the action (`SiptelSms::builtin`), a fresh instance per call;
//! - **floor**: a minimal guest (`test-components/floor`) in the same host
//!   (pooling, egress hook, keep-alive pool), whose `send` makes one correct
//!   `wasi:http` POST and nothing else: what this design (standard
//!   `wasi:http`, a fresh instance per call) costs at the least;
//! - **native**: a keep-alive hyper client posting the request
//!   `siptel_sms::siptel::request` builds.
//!
//! Measured:
//! - (a) `check` and `preview` through the component vs called natively;
//! - (b) one caller: every side in turn, one call each ("alternated"), on a
//!   2-worker and on a current-thread runtime, and each side alone in a
//!   steady loop ("steady"), medians and p99;
//! - (c) 16 concurrent callers, each side for a fixed number of sends in
//!   alternating rounds: sends/s, and host CPU µs per send (the process's
//!   CPU less the stub thread's, over those sends);
//! - (d) the fixed cost of a call (store + instantiation + drop, no export
//!   called), pooling vs on-demand allocator.
//!
//! The stub records every request, so it is reset every 100 requests (out
//! of the timed region) and every 20 ms during (c). It runs on its own
//! thread (a current-thread runtime); on a 2-core machine the host, the
//! client and the stub share the two cores. Iterations are bounded: the run
//! takes about half a minute once built.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use siptel_sms::model::{Config, Encoding, Outcome, Weekdays};
use siptel_sms::siptel::{self, BaseUrl, Payload, Submission};
use siptel_sms_host::{BUILTIN_WASM, CallOptions, FLOOR_WASM, HostOptions, SiptelSms};
use siptel_stub::{StubConfig, StubSiptel};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

#[path = "service_rps.rs"]
mod service_rps;

const MESSAGE: &str = "Hola Ana, su hora es el lunes 10:30.";
const SENDER: &str = "56961234567";
const RECIPIENT: &str = "56987654321";
/// 2026-09-07T09:00:00-03:00, a Monday.
const PREVIEW_AT: i64 = 1_788_782_400;
/// Concurrent callers of (c).
const CALLERS: usize = 16;
/// (c): rounds per side, and the sends of each round (after a warm-up).
const ROUNDS: usize = 3;
const ROUND_WARM_UP: u64 = 1_000;
const ROUND_SENDS: u64 = 6_000;
/// Requests between two resets of the stub's log.
const RESET_EVERY: usize = 100;

type NativeClient = Client<HttpConnector, Full<Bytes>>;

/// One send of one side, as a boxed future (the sides differ in type).
type SendFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// The sides, in the order they are printed.
const SIDES: [&str; 3] = ["product", "floor", "native"];

fn main() {
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let single = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let wasm_bytes = std::fs::metadata(BUILTIN_WASM).map_or(0, |m| m.len());

    let load = |path: &str, pooling: bool| {
        let started = Instant::now();
        let action = SiptelSms::from_file(
            path,
            HostOptions {
                pooling,
                ..HostOptions::default()
            },
        )
        .expect("the component loads");
        (action, started.elapsed())
    };
    let (pooled, pooled_load) = load(BUILTIN_WASM, true);
    let (on_demand, on_demand_load) = load(BUILTIN_WASM, false);
    let (floor, _) = load(FLOOR_WASM, true);
    assert!(
        pooled.pooling(),
        "the pooling allocator could not reserve its slots here"
    );
    let stub = StubSiptel::start(StubConfig::default()).expect("the stub starts");
    let config = config(&stub);
    let base = siptel::parse_base_url(&stub.base_url()).expect("the stub's URL is valid");
    // Shared by the measuring tasks for the whole run.
    let bench: &'static Bench = Box::leak(Box::new(Bench {
        send_options: CallOptions {
            siptel_base_url: config.base_url.clone(),
            ..CallOptions::default()
        },
        pooled,
        on_demand,
        floor,
        stub,
        config,
        base,
        keys: AtomicU64::new(1),
        client: native_client(),
    }));
    let (pooled, on_demand, stub) = (&bench.pooled, &bench.on_demand, &bench.stub);

    println!("siptel-sms host benchmark");
    println!(
        "machine: {} cores; release .wasm: {} bytes ({:.0} KB), {BUILTIN_WASM}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        wasm_bytes,
        wasm_bytes as f64 / 1000.0
    );
    println!(
        "component load (compile + link): pooling {:.0} ms, on-demand {:.0} ms",
        ms(pooled_load),
        ms(on_demand_load)
    );
    println!();

    // (a) Pure functions: through the component vs natively.
    let (check_component, check_native) = on_worker(
        &multi,
        interleaved(
            300,
            3_000,
            || async {
                let called = pooled
                    .check(&bench.config, &CallOptions::default())
                    .await
                    .expect("check runs");
                assert!(called.value.is_empty(), "{:?}", called.value);
            },
            || async {
                let problems = siptel_sms::check(std::hint::black_box(&bench.config));
                assert!(problems.is_empty());
            },
            |_| {},
        ),
    );
    let (preview_component, preview_native) = on_worker(
        &multi,
        interleaved(
            300,
            3_000,
            || async {
                let at = std::time::UNIX_EPOCH
                    + std::time::Duration::from_secs(PREVIEW_AT.unsigned_abs());
                let options = CallOptions {
                    wall_clock: Some(at),
                    ..CallOptions::default()
                };
                let called = pooled
                    .preview(&bench.config, &[], &options)
                    .await
                    .expect("preview runs");
                assert!(called.value.is_ok(), "{:?}", called.value);
            },
            || async {
                let preview =
                    siptel_sms::preview(std::hint::black_box(&bench.config), &[], PREVIEW_AT);
                assert!(preview.is_ok());
            },
            |_| {},
        ),
    );

    // (b) One caller, keep-alive on every side, same stub.
    let alternated_multi = on_worker(&multi, alternated(bench, 200, 1_500));
    let alternated_single = single.block_on(alternated(bench, 200, 1_500));
    let steady_multi = on_worker(&multi, steady(bench, 200, 1_500));
    stub.reset();

    // (d) The fixed cost of a call: sandbox store + instantiation + drop.
    let (instantiate_pooled, instantiate_on_demand) = on_worker(
        &multi,
        interleaved(
            300,
            3_000,
            || async { pooled.instantiate().await.expect("instantiates") },
            || async { on_demand.instantiate().await.expect("instantiates") },
            |_| {},
        ),
    );

    // (c) 16 concurrent callers, alternating rounds of each side.
    let mut rates = [Rate::default(), Rate::default(), Rate::default()];
    let stop_resetting = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop_resetting.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(20));
                stub.reset();
            }
        });
        for _ in 0..ROUNDS {
            for (side, rate) in rates.iter_mut().enumerate() {
                rate.add(&multi.block_on(throughput(stub, move || bench.send(side))));
            }
        }
        stop_resetting.store(true, Ordering::Relaxed);
    });

    // The tables.
    println!(
        "{:<40} {:>10} {:>10} {:>10} {:>10} {:>8}",
        "(a) per call, µs", "wasm med", "wasm p99", "native med", "native p99", "ratio"
    );
    for (name, component, native) in [
        ("check", check_component, check_native),
        ("preview", preview_component, preview_native),
    ] {
        println!(
            "{:<40} {:>10.1} {:>10.1} {:>10.2} {:>10.2} {:>7.1}x",
            name,
            us(component.median),
            us(component.p99),
            us(native.median),
            us(native.p99),
            ratio(component.median, native.median)
        );
    }
    println!();
    println!(
        "{:<40} {:>15} {:>15} {:>15} {:>9} {:>9}",
        "(b) one caller, µs median / p99", "product", "floor", "native", "/floor", "/native"
    );
    for (name, stats) in [
        ("alternated, 2-worker runtime", &alternated_multi),
        ("alternated, current-thread runtime", &alternated_single),
        ("steady (each side alone), 2-worker", &steady_multi),
    ] {
        let cell = |s: &Stats| format!("{:.0} / {:.0}", us(s.median), us(s.p99));
        println!(
            "{:<40} {:>15} {:>15} {:>15} {:>8.2}x {:>8.2}x",
            name,
            cell(&stats[0]),
            cell(&stats[1]),
            cell(&stats[2]),
            ratio(stats[0].median, stats[1].median),
            ratio(stats[0].median, stats[2].median)
        );
    }
    println!();
    println!(
        "{:<40} {:>10} {:>18} {:>10}",
        "(c) 16 callers, 2-worker runtime", "sends/s", "host CPU µs/send", "stub CPU"
    );
    for (name, rate) in SIDES.iter().zip(&rates) {
        println!(
            "{:<40} {:>10.0} {:>18.1} {:>9.0}%",
            name,
            rate.per_second(),
            rate.host_cpu_per_send() * 1e6,
            rate.stub_cpu() * 100.0
        );
    }
    let [product, floor_rate, native] = &rates;
    let cpu_ratio = product.host_cpu_per_send() / floor_rate.host_cpu_per_send();
    let throughput_ratio = product.per_second() / native.per_second();
    println!(
        "{:<40} {:>9.2}x {:>17.2}x",
        "product / floor",
        product.per_second() / floor_rate.per_second(),
        cpu_ratio
    );
    println!(
        "{:<40} {:>9.2}x {:>17.2}x",
        "product / native",
        throughput_ratio,
        product.host_cpu_per_send() / native.host_cpu_per_send()
    );
    println!();
    println!(
        "{:<40} {:>10} {:>10} {:>8}",
        "(d) call fixed cost, µs", "median", "p99", "ratio"
    );
    for (name, stats) in [
        ("pooling allocator", &instantiate_pooled),
        ("on-demand allocator", &instantiate_on_demand),
    ] {
        println!(
            "{:<40} {:>10.1} {:>10.1} {:>7.2}x",
            name,
            us(stats.median),
            us(stats.p99),
            ratio(stats.median, instantiate_pooled.median)
        );
    }

    // (e) The same action as an HTTP service (the service component).
    println!();
    println!("{}", service_rps::measure(&multi, stub));

    // The targets.
    println!();
    println!("targets");
    target(
        "product host CPU per send within 1.15x of the floor's (16 callers)",
        format!("{cpu_ratio:.2}x"),
        cpu_ratio <= 1.15,
    );
    target(
        "16-caller throughput at least 0.30 of native keep-alive",
        format!("{throughput_ratio:.2}"),
        throughput_ratio >= 0.30,
    );
    target(
        "call fixed cost with pooling < 20 µs (median)",
        format!("{:.1} µs", us(instantiate_pooled.median)),
        instantiate_pooled.median < Duration::from_micros(20),
    );
    target(
        "release .wasm < 600 KB",
        format!("{:.0} KB", wasm_bytes as f64 / 1000.0),
        wasm_bytes < 600_000,
    );
    let busiest = rates.iter().map(Rate::stub_cpu).fold(0.0, f64::max);
    if busiest > 0.85 {
        println!(
            "note: the stub's thread used up to {:.0}% of a core in (c): the stub (one \
             current-thread runtime) bounds that side's rate.",
            busiest * 100.0
        );
    }
}

/// A valid message config aimed at `stub`, whose window is always open.
fn config(stub: &StubSiptel) -> Config {
    Config {
        api_key: StubConfig::default().api_key.into(),
        sender: SENDER.into(),
        recipient: RECIPIENT.into(),
        message: Some(MESSAGE.into()),
        window_start: "00:00:00".into(),
        window_end: "23:59:59".into(),
        send_on_holidays: Some(true),
        weekdays: Weekdays::ALL,
        base_url: Some(stub.base_url()),
        deadline_ms: Some(10_000),
        ..Config::default()
    }
}

fn native_client() -> NativeClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new()).build(connector)
}

/// What the measuring tasks share.
struct Bench {
    pooled: SiptelSms,
    on_demand: SiptelSms,
    floor: SiptelSms,
    stub: StubSiptel,
    config: Config,
    send_options: CallOptions,
    base: BaseUrl,
    keys: AtomicU64,
    client: NativeClient,
}

impl Bench {
    /// One send of side `side` (an index of [`SIDES`]).
    fn send(&'static self, side: usize) -> SendFuture<'static> {
        match side {
            0 => Box::pin(self.component_send(&self.pooled)),
            1 => Box::pin(self.component_send(&self.floor)),
            _ => Box::pin(self.native_send()),
        }
    }

    /// One send through a component (pooling allocator).
    async fn component_send(&self, action: &SiptelSms) {
        let called = action
            .send(&self.config, &[], &self.send_options)
            .await
            .expect("send runs");
        assert!(matches!(called.value, Outcome::Sent(_)), "{called:?}");
    }

    /// Posts what the component posts (a fresh idempotency key each time)
    /// and reads the whole answer.
    async fn native_send(&self) {
        let client = &self.client;
        let n = self.keys.fetch_add(1, Ordering::Relaxed);
        let key =
            siptel::new_idempotency_key(u128::from(n) * 0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835);
        let request = siptel::request(
            &self.base,
            &Submission {
                api_key: &"test-key".into(),
                rut: None,
                idempotency_key: &key,
                sender: SENDER,
                recipient: RECIPIENT,
                payload: Payload::Message {
                    text: MESSAGE,
                    encoding: Encoding::Gsm7,
                },
            },
        );
        let mut builder = http::Request::post(request.url());
        for (name, value) in &request.headers {
            builder = builder.header(*name, value.as_str());
        }
        let request = builder
            .body(Full::new(Bytes::from(request.body)))
            .expect("a valid request");
        let response = client.request(request).await.expect("the stub answers");
        assert_eq!(response.status(), 201);
        response
            .into_body()
            .collect()
            .await
            .expect("the whole answer");
    }
}

/// Runs `work` in a task of `runtime` (on a worker thread of a multi-thread
/// runtime, as a server's request handler would) and waits for it.
fn on_worker<F>(runtime: &Runtime, work: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    runtime.block_on(async { tokio::spawn(work).await.expect("the task finished") })
}

// ---------------------------------------------------------------------------
// Measuring

#[derive(Clone, Copy, Default)]
struct Stats {
    median: Duration,
    p99: Duration,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    Stats {
        median: at(0.5),
        p99: at(0.99),
    }
}

/// Times one send of each side in turn, `runs` times each after `warm_up`
/// rounds; the stub is reset between rounds, untimed.
async fn alternated(bench: &'static Bench, warm_up: usize, runs: usize) -> [Stats; 3] {
    let mut times: [Vec<Duration>; 3] = Default::default();
    for i in 0..warm_up + runs {
        if i % (RESET_EVERY / SIDES.len()) == 0 {
            bench.stub.reset();
        }
        for (side, samples) in times.iter_mut().enumerate() {
            let started = Instant::now();
            bench.send(side).await;
            if i >= warm_up {
                samples.push(started.elapsed());
            }
        }
    }
    times.map(stats)
}

/// Times each side alone: `warm_up` then `runs` sends in a row.
async fn steady(bench: &'static Bench, warm_up: usize, runs: usize) -> [Stats; 3] {
    let mut result = [Stats::default(); 3];
    for (side, stats_of_side) in result.iter_mut().enumerate() {
        let mut samples = Vec::with_capacity(runs);
        for i in 0..warm_up + runs {
            if i % RESET_EVERY == 0 {
                bench.stub.reset();
            }
            let started = Instant::now();
            bench.send(side).await;
            if i >= warm_up {
                samples.push(started.elapsed());
            }
        }
        *stats_of_side = stats(samples);
    }
    result
}

/// Times `a` and `b` in turn, `runs` times each after `warm_up` rounds;
/// `between(i)` runs before round `i`, untimed.
async fn interleaved<A, B>(
    warm_up: usize,
    runs: usize,
    mut a: impl FnMut() -> A,
    mut b: impl FnMut() -> B,
    mut between: impl FnMut(usize),
) -> (Stats, Stats)
where
    A: Future<Output = ()>,
    B: Future<Output = ()>,
{
    let (mut times_a, mut times_b) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for i in 0..warm_up + runs {
        between(i);
        let started = Instant::now();
        a().await;
        let middle = Instant::now();
        b().await;
        let ended = Instant::now();
        if i >= warm_up {
            times_a.push(middle - started);
            times_b.push(ended - middle);
        }
    }
    (stats(times_a), stats(times_b))
}

/// Sends, CPU seconds of the stub's thread and of the process, over `wall`.
#[derive(Default)]
struct Rate {
    sends: u64,
    stub_cpu: f64,
    process_cpu: f64,
    wall: f64,
}

impl Rate {
    fn add(&mut self, other: &Rate) {
        self.sends += other.sends;
        self.stub_cpu += other.stub_cpu;
        self.process_cpu += other.process_cpu;
        self.wall += other.wall;
    }

    fn per_second(&self) -> f64 {
        self.sends as f64 / self.wall
    }

    fn stub_cpu(&self) -> f64 {
        self.stub_cpu / self.wall
    }

    /// CPU seconds per send of everything but the stub.
    fn host_cpu_per_send(&self) -> f64 {
        (self.process_cpu - self.stub_cpu) / self.sends as f64
    }
}

/// Runs `CALLERS` tasks that call `op` until `ROUND_WARM_UP` sends are done,
/// then counts `ROUND_SENDS` sends: the wall time and the CPU they took.
async fn throughput<F>(stub: &StubSiptel, op: impl Fn() -> F + Send + Sync + 'static) -> Rate
where
    F: Future<Output = ()> + Send + 'static,
{
    let op = Arc::new(op);
    let issued = Arc::new(AtomicU64::new(0));
    let counted_start = Arc::new(tokio::sync::Notify::new());
    let total = ROUND_WARM_UP + ROUND_SENDS;
    let stub_thread = format!("stub-siptel-{}", stub.addr().port());
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let (op, issued, counted_start) = (
                Arc::clone(&op),
                Arc::clone(&issued),
                Arc::clone(&counted_start),
            );
            tokio::spawn(async move {
                loop {
                    let n = issued.fetch_add(1, Ordering::Relaxed);
                    if n >= total {
                        break;
                    }
                    op().await;
                    if n + 1 == ROUND_WARM_UP {
                        counted_start.notify_one();
                    }
                }
            })
        })
        .collect();
    counted_start.notified().await;
    let (stub_start, process_start) = (cpu_seconds(Some(&stub_thread)), cpu_seconds(None));
    let started = Instant::now();
    for caller in callers {
        caller.await.expect("a caller finished");
    }
    let wall = started.elapsed().as_secs_f64();
    let (stub_end, process_end) = (cpu_seconds(Some(&stub_thread)), cpu_seconds(None));
    Rate {
        sends: ROUND_SENDS,
        stub_cpu: stub_end - stub_start,
        process_cpu: process_end - process_start,
        wall,
    }
}

/// CPU seconds (user + system) of this process, or of its thread named
/// `thread` (Linux `/proc`; 0 elsewhere).
fn cpu_seconds(thread: Option<&str>) -> f64 {
    // /proc counts in USER_HZ ticks: 100 a second on Linux.
    const TICKS_PER_SECOND: f64 = 100.0;
    let ticks = |stat: &str| -> f64 {
        // After the parenthesised command comes field 3 (state); utime and
        // stime are fields 14 and 15.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<f64>().ok());
        field(14).unwrap_or(0.0) + field(15).unwrap_or(0.0)
    };
    let read = |path: &std::path::Path| std::fs::read_to_string(path).map_or(0.0, |s| ticks(&s));
    let Some(thread) = thread else {
        return read("/proc/self/stat".as_ref()) / TICKS_PER_SECOND;
    };
    // Thread names are cut to 15 bytes.
    let wanted = &thread[..thread.len().min(15)];
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    for task in tasks.flatten() {
        let path = task.path();
        let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if name.trim_end() == wanted {
            return read(&path.join("stat")) / TICKS_PER_SECOND;
        }
    }
    0.0
}

// ---------------------------------------------------------------------------
// Printing

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-12)
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn target(what: &str, measured: String, met: bool) {
    println!(
        "  [{}] {what}: {measured}",
        if met { "met" } else { "MISSED" }
    );
}
