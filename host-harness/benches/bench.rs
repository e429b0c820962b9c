//! `cargo bench -p siptel-sms-host`: the component in wasmtime against the same
//! Rust called natively, measured in one run on one machine.
//!
//! - (a) `check` and `preview` through the component vs `siptel_sms::check` /
//!   `siptel_sms::preview` called directly;
//! - (b) one `send` through the component to the loopback stub Siptel vs a
//!   native keep-alive hyper client posting the identical request (built by
//!   `siptel_sms::siptel::request`) to the same stub, on a 2-worker and on a
//!   current-thread tokio runtime;
//! - (c) sends per second with 16 concurrent callers on one `SiptelSms` vs 16
//!   concurrent native keep-alive callers (2-worker runtime), with the CPU
//!   the stub's thread and the whole process used;
//! - (d) the fixed cost of a call (sandbox store + instantiation + drop, no
//!   export called), pooling vs on-demand allocator.
//!
//! The two sides of each comparison are measured interleaved (one call of
//! each in turn; for (c) alternating rounds), so a machine busy with
//! something else slows both alike. The stub records every request and
//! looks its log up linearly, so it is reset every 100 requests (out of the
//! timed region) and every 20 ms during (c): both sides see the same small
//! stub. The stub runs on its own thread (a current-thread runtime); on a
//! 2-core machine the host, the client and the stub share the two cores.
//! Iterations are bounded: the run takes about 15 s once built.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use siptel_sms::model::{Config, Encoding, Outcome, Weekdays};
use siptel_sms::siptel::{self, BaseUrl, Payload, Submission};
use siptel_sms_host::{BUILTIN_WASM, CallOptions, HostOptions, SiptelSms};
use siptel_stub::{StubConfig, StubSiptel};
use std::future::Future;
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
/// (c): rounds per side, and each round's warm-up and counted time.
const ROUNDS: usize = 3;
const ROUND_WARM_UP: Duration = Duration::from_millis(200);
const ROUND_RUN: Duration = Duration::from_millis(700);
/// Requests between two resets of the stub's log.
const RESET_EVERY: usize = 100;

type NativeClient = Client<HttpConnector, Full<Bytes>>;

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

    let load = |pooling: bool| {
        let started = Instant::now();
        let action = SiptelSms::builtin(HostOptions {
            pooling,
            ..HostOptions::default()
        })
        .expect("the built component loads");
        (action, started.elapsed())
    };
    let (pooled, pooled_load) = load(true);
    let (on_demand, on_demand_load) = load(false);
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
        stub,
        config,
        base,
        keys: AtomicU64::new(1),
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

    // (b) One send at a time, keep-alive on both sides, same stub.
    let sends = |runtime: &Runtime| {
        let client = native_client();
        let stats = on_worker(
            runtime,
            interleaved(
                200,
                1_500,
                || bench.component_send(),
                move || {
                    let client = client.clone();
                    async move { bench.native_send(&client).await }
                },
                |i| {
                    if i % (RESET_EVERY / 2) == 0 {
                        bench.stub.reset();
                    }
                },
            ),
        );
        stub.reset();
        stats
    };
    let (send_multi_component, send_multi_native) = sends(&multi);
    let (send_single_component, send_single_native) = sends(&single);

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

    // (c) Throughput with 16 concurrent callers, alternating rounds.
    let client = native_client();
    let (mut component_rate, mut native_rate) = (Rate::default(), Rate::default());
    let stop_resetting = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop_resetting.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(20));
                stub.reset();
            }
        });
        for _ in 0..ROUNDS {
            component_rate.add(&multi.block_on(throughput(stub, || bench.component_send())));
            native_rate.add(&multi.block_on(throughput(stub, {
                let client = client.clone();
                move || {
                    let client = client.clone();
                    async move { bench.native_send(&client).await }
                }
            })));
        }
        stop_resetting.store(true, Ordering::Relaxed);
    });

    // The tables.
    let rows = [
        ("(a) check", check_component, check_native),
        ("(a) preview", preview_component, preview_native),
        (
            "(b) send, 2-worker runtime",
            send_multi_component,
            send_multi_native,
        ),
        (
            "(b) send, current-thread runtime",
            send_single_component,
            send_single_native,
        ),
    ];
    println!(
        "{:<34} {:>10} {:>10} {:>10} {:>10} {:>8}",
        "per call, µs", "wasm med", "wasm p99", "native med", "native p99", "ratio"
    );
    for (name, component, native) in &rows {
        println!(
            "{:<34} {:>10.1} {:>10.1} {:>10.2} {:>10.2} {:>7.1}x",
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
        "{:<34} {:>10} {:>10} {:>8}",
        "(d) call fixed cost, µs", "median", "p99", "ratio"
    );
    for (name, stats) in [
        ("pooling allocator", &instantiate_pooled),
        ("on-demand allocator", &instantiate_on_demand),
    ] {
        println!(
            "{:<34} {:>10.1} {:>10.1} {:>7.2}x",
            name,
            us(stats.median),
            us(stats.p99),
            ratio(stats.median, instantiate_pooled.median)
        );
    }
    println!();
    println!(
        "{:<34} {:>10} {:>10} {:>12}",
        "(c) 16 callers, 2-worker runtime", "sends/s", "stub CPU", "process CPU"
    );
    for (name, rate) in [
        ("component (one SiptelSms)", &component_rate),
        ("native keep-alive client", &native_rate),
    ] {
        println!(
            "{:<34} {:>10.0} {:>9.0}% {:>11.0}%",
            name,
            rate.per_second(),
            rate.stub_cpu() * 100.0,
            rate.process_cpu() * 100.0
        );
    }
    let rate_ratio = component_rate.per_second() / native_rate.per_second();
    println!("{:<34} {:>9.2}x", "component / native", rate_ratio);
    println!();
    println!("{}", service_rps::measure(&multi, stub));

    // The targets.
    let send_ratio = ratio(send_multi_component.median, send_multi_native.median);
    println!();
    println!("targets");
    target(
        "component send within 1.5x of native keep-alive (median, 2-worker)",
        format!(
            "{send_ratio:.2}x (current-thread {:.2}x)",
            ratio(send_single_component.median, send_single_native.median)
        ),
        send_ratio <= 1.5,
    );
    target(
        "16-caller throughput at least 1/3 of native",
        format!("{rate_ratio:.2}"),
        rate_ratio >= 1.0 / 3.0,
    );
    target(
        "instantiation (call fixed cost) with pooling < 20 µs (median)",
        format!("{:.1} µs", us(instantiate_pooled.median)),
        instantiate_pooled.median < Duration::from_micros(20),
    );
    target(
        "release .wasm < 600 KB",
        format!("{:.0} KB", wasm_bytes as f64 / 1000.0),
        wasm_bytes < 600_000,
    );
    let busiest = native_rate.stub_cpu().max(component_rate.stub_cpu());
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
    stub: StubSiptel,
    config: Config,
    send_options: CallOptions,
    base: BaseUrl,
    keys: AtomicU64,
}

impl Bench {
    /// One send through the component (pooling allocator).
    async fn component_send(&self) {
        let called = self
            .pooled
            .send(&self.config, &[], &self.send_options)
            .await
            .expect("send runs");
        assert!(matches!(called.value, Outcome::Sent(_)), "{called:?}");
    }

    /// Posts what the component posts (a fresh idempotency key each time)
    /// and reads the whole answer.
    async fn native_send(&self, client: &NativeClient) {
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
            builder = builder.header(*name, value);
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

#[derive(Clone, Copy)]
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

    fn process_cpu(&self) -> f64 {
        self.process_cpu / self.wall
    }
}

/// Runs `CALLERS` tasks that call `op` in a loop: `ROUND_WARM_UP`, then
/// `ROUND_RUN` counted.
async fn throughput<F>(stub: &StubSiptel, op: impl Fn() -> F + Send + Sync + 'static) -> Rate
where
    F: Future<Output = ()> + Send + 'static,
{
    let op = Arc::new(op);
    let counting_from = Instant::now() + ROUND_WARM_UP;
    let until = counting_from + ROUND_RUN;
    let stub_thread = format!("stub-siptel-{}", stub.addr().port());
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let op = Arc::clone(&op);
            tokio::spawn(async move {
                let mut counted = 0u64;
                loop {
                    op().await;
                    let now = Instant::now();
                    if now >= until {
                        break counted;
                    }
                    if now >= counting_from {
                        counted += 1;
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep_until(counting_from.into()).await;
    let (stub_start, process_start) = (cpu_seconds(Some(&stub_thread)), cpu_seconds(None));
    tokio::time::sleep_until(until.into()).await;
    let (stub_end, process_end) = (cpu_seconds(Some(&stub_thread)), cpu_seconds(None));
    let mut sends = 0;
    for caller in callers {
        sends += caller.await.expect("a caller finished");
    }
    Rate {
        sends,
        stub_cpu: stub_end - stub_start,
        process_cpu: process_end - process_start,
        wall: ROUND_RUN.as_secs_f64(),
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
