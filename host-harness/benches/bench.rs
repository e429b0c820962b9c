//! `cargo bench -p siptel-sms-host`: the component in wasmtime against the same
//! Rust called natively, measured in one run on one machine.
//!
//! - (a) `check` and `preview` through the component vs `siptel_sms::check` /
//!   `siptel_sms::preview` called directly;
//! - (b) one `send` through the component to the loopback stub Siptel vs a
//!   native keep-alive hyper client posting the identical request (built by
//!   `siptel_sms::siptel::request`) to the same stub;
//! - (c) sends per second with 16 concurrent callers on one `SiptelSms` vs 16
//!   concurrent native keep-alive callers, with the CPU the stub's thread used;
//! - (d) the fixed cost of a call (sandbox store + instantiation + drop, no
//!   export called), pooling vs on-demand allocator.
//!
//! Everything runs on one 2-worker tokio runtime; the stub runs on its own
//! thread (a current-thread runtime), so on a 2-core machine the host, the
//! client and the stub share the same two cores. Iterations are bounded: the
//! whole run takes seconds once built.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use siptel_sms::model::{Config, Encoding, Entity, Outcome, Weekdays};
use siptel_sms::siptel::{self, BaseUrl, Payload, Submission};
use siptel_sms_host::stub::{StubConfig, StubSiptel};
use siptel_sms_host::{BUILTIN_WASM, CallOptions, HostOptions, SiptelSms};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const MESSAGE: &str = "Hola Ana, su hora es el lunes 10:30.";
const SENDER: &str = "56912345678";
const RECIPIENT: &str = "56987654321";
/// Concurrent callers of (c).
const CALLERS: usize = 16;
/// How long each side of (c) runs, after its warm-up.
const THROUGHPUT_RUN: Duration = Duration::from_secs(2);
const THROUGHPUT_WARM_UP: Duration = Duration::from_millis(300);

type NativeClient = Client<HttpConnector, Full<Bytes>>;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
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
    let entities: Vec<Entity> = Vec::new();
    let preview_at = 1_788_782_400; // 2026-09-07T09:00:00-03:00, a Monday
    let client = native_client();
    let base = siptel::parse_base_url(&stub.base_url()).expect("the stub's URL is valid");

    println!("siptel-sms host benchmark");
    println!(
        "machine: {} cores; release .wasm: {} bytes ({:.0} KB) at {BUILTIN_WASM}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        wasm_bytes,
        wasm_bytes as f64 / 1000.0
    );
    println!(
        "component load (compile + link): pooling {:.1} ms, on-demand {:.1} ms",
        ms(pooled_load),
        ms(on_demand_load)
    );
    println!();

    let mut rows: Vec<Row> = Vec::new();

    // (a) Pure functions: through the component vs natively.
    let check_component = runtime.block_on(time_async(200, 2_000, || async {
        let called = pooled.check(&config).await.expect("check runs");
        assert!(called.value.is_empty(), "{:?}", called.value);
    }));
    let check_native = time_sync(2_000, 20_000, || {
        let problems = siptel_sms::check(std::hint::black_box(&config));
        assert!(problems.is_empty());
        std::hint::black_box(problems);
    });
    rows.push(Row::new("(a) check", check_component, check_native));

    let preview_component = runtime.block_on(time_async(200, 2_000, || async {
        let called = pooled
            .preview(
                &config,
                &entities,
                Some(preview_at),
                &CallOptions::default(),
            )
            .await
            .expect("preview runs");
        assert!(called.value.is_ok(), "{:?}", called.value);
    }));
    let preview_native = time_sync(2_000, 20_000, || {
        let preview = siptel_sms::preview(std::hint::black_box(&config), &entities, preview_at);
        assert!(preview.is_ok());
        std::hint::black_box(preview).ok();
    });
    rows.push(Row::new("(a) preview", preview_component, preview_native));

    // (b) One send at a time, keep-alive on both sides, same stub.
    let send_options = CallOptions {
        siptel_base_url: config.base_url.clone(),
        ..CallOptions::default()
    };
    let keys = AtomicU64::new(1);
    let send_component = runtime.block_on(time_async(200, 1_500, || async {
        let called = pooled
            .send(&config, &entities, &send_options)
            .await
            .expect("send runs");
        assert!(
            matches!(called.value, Outcome::Sent(_)),
            "{:?}",
            called.value
        );
    }));
    stub.reset();
    let send_native = runtime.block_on(time_async(200, 1_500, || async {
        let status = native_send(&client, &base, &keys).await;
        assert_eq!(status, 201);
    }));
    stub.reset();
    rows.push(Row::new(
        "(b) send, keep-alive, loopback",
        send_component,
        send_native,
    ));

    // (d) The fixed cost of a call: sandbox store + instantiation + drop.
    let instantiate_pooled = runtime.block_on(time_async(300, 3_000, || async {
        pooled.instantiate().await.expect("instantiates");
    }));
    let instantiate_on_demand = runtime.block_on(time_async(300, 3_000, || async {
        on_demand.instantiate().await.expect("instantiates");
    }));

    // (c) Throughput with 16 concurrent callers.
    let pooled = Arc::new(pooled);
    let component_rate = {
        let (pooled, config, options) = (
            Arc::clone(&pooled),
            Arc::new(config.clone()),
            Arc::new(send_options.clone()),
        );
        runtime.block_on(throughput(&stub, move || {
            let (pooled, config, options) = (
                Arc::clone(&pooled),
                Arc::clone(&config),
                Arc::clone(&options),
            );
            async move {
                let called = pooled
                    .send(&config, &[], &options)
                    .await
                    .expect("send runs");
                assert!(matches!(called.value, Outcome::Sent(_)));
            }
        }))
    };
    stub.reset();
    let native_rate = {
        let (client, base, keys) = (client.clone(), Arc::new(base.clone()), Arc::new(keys));
        runtime.block_on(throughput(&stub, move || {
            let (client, base, keys) = (client.clone(), Arc::clone(&base), Arc::clone(&keys));
            async move {
                assert_eq!(native_send(&client, &base, &keys).await, 201);
            }
        }))
    };
    stub.reset();

    // The table.
    println!(
        "{:<34} {:>11} {:>11} {:>11} {:>11} {:>9}",
        "per call (µs)", "wasm med", "wasm p99", "native med", "native p99", "ratio"
    );
    for row in &rows {
        println!(
            "{:<34} {:>11.2} {:>11.2} {:>11.3} {:>11.3} {:>8.1}x",
            row.name,
            us(row.component.median),
            us(row.component.p99),
            us(row.native.median),
            us(row.native.p99),
            row.ratio()
        );
    }
    println!();
    println!(
        "{:<34} {:>11} {:>11} {:>9}",
        "(d) call fixed cost (µs)", "median", "p99", "vs pool"
    );
    for (name, stats) in [
        ("pooling allocator", &instantiate_pooled),
        ("on-demand allocator", &instantiate_on_demand),
    ] {
        println!(
            "{:<34} {:>11.2} {:>11.2} {:>8.2}x",
            name,
            us(stats.median),
            us(stats.p99),
            ratio(stats.median, instantiate_pooled.median)
        );
    }
    println!();
    println!(
        "{:<34} {:>11} {:>11} {:>11}",
        "(c) 16 concurrent callers", "sends/s", "stub CPU", "process CPU"
    );
    for (name, rate) in [
        ("component (one SiptelSms)", &component_rate),
        ("native keep-alive client", &native_rate),
    ] {
        println!(
            "{:<34} {:>11.0} {:>10.0}% {:>10.0}%",
            name,
            rate.per_second,
            rate.stub_cpu * 100.0,
            rate.process_cpu * 100.0
        );
    }
    println!(
        "{:<34} {:>10.2}x",
        "component / native",
        component_rate.per_second / native_rate.per_second
    );

    // The targets.
    let send_ratio = rows[2].ratio();
    let rate_ratio = component_rate.per_second / native_rate.per_second;
    println!();
    println!("targets");
    target(
        "component send within 1.5x of native keep-alive (median)",
        format!("{send_ratio:.2}x"),
        send_ratio <= 1.5,
    );
    target(
        "16-caller throughput at least 1/3 of native",
        format!("{rate_ratio:.2}"),
        rate_ratio >= 1.0 / 3.0,
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
    if native_rate.stub_cpu > 0.85 {
        println!(
            "note: the stub's thread used {:.0}% of a core during the native run: \
             the stub (one current-thread runtime) bounds the native rate, so the \
             throughput ratio understates the component.",
            native_rate.stub_cpu * 100.0
        );
    }
}

/// A valid message config aimed at `stub`, whose window is always open.
fn config(stub: &StubSiptel) -> Config {
    Config {
        api_key: StubConfig::default().api_key,
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

/// Posts what the component posts (a fresh idempotency key each time) and
/// reads the whole answer: the status.
async fn native_send(client: &NativeClient, base: &BaseUrl, keys: &AtomicU64) -> u16 {
    let n = keys.fetch_add(1, Ordering::Relaxed);
    let key =
        siptel::new_idempotency_key(u128::from(n) * 0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835);
    let request = siptel::request(
        base,
        &Submission {
            api_key: "test-key",
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
    let status = response.status().as_u16();
    response
        .into_body()
        .collect()
        .await
        .expect("the whole answer");
    status
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

fn time_sync(warm_up: usize, runs: usize, mut f: impl FnMut()) -> Stats {
    for _ in 0..warm_up {
        f();
    }
    let samples = (0..runs)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .collect();
    stats(samples)
}

async fn time_async<F: Future<Output = ()>>(
    warm_up: usize,
    runs: usize,
    mut f: impl FnMut() -> F,
) -> Stats {
    for _ in 0..warm_up {
        f().await;
    }
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        f().await;
        samples.push(started.elapsed());
    }
    stats(samples)
}

struct Rate {
    per_second: f64,
    /// CPU time of the stub's thread / wall time (1.0 = one core).
    stub_cpu: f64,
    /// CPU time of the whole process / wall time.
    process_cpu: f64,
}

/// Runs `CALLERS` tasks that call `op` in a loop: a warm-up, then
/// `THROUGHPUT_RUN` counted.
async fn throughput<F>(stub: &StubSiptel, op: impl Fn() -> F + Send + Sync + 'static) -> Rate
where
    F: Future<Output = ()> + Send + 'static,
{
    let op = Arc::new(op);
    let started = Instant::now();
    let counting_from = started + THROUGHPUT_WARM_UP;
    let until = counting_from + THROUGHPUT_RUN;
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
    let cpu_at_start = (cpu_seconds(Some(&stub_thread)), cpu_seconds(None));
    tokio::time::sleep_until(until.into()).await;
    let cpu_at_end = (cpu_seconds(Some(&stub_thread)), cpu_seconds(None));
    let mut total = 0;
    for caller in callers {
        total += caller.await.expect("a caller finished");
    }
    let (stub0, process0) = cpu_at_start;
    let wall = THROUGHPUT_RUN.as_secs_f64();
    Rate {
        per_second: total as f64 / wall,
        stub_cpu: (cpu_at_end.0 - stub0) / wall,
        process_cpu: (cpu_at_end.1 - process0) / wall,
    }
}

/// CPU seconds (user + system) of this process, or of its thread whose name
/// starts like `thread` (Linux `/proc`; 0 elsewhere).
fn cpu_seconds(thread: Option<&str>) -> f64 {
    // /proc reports clock ticks of USER_HZ, 100 on Linux.
    const TICKS_PER_SECOND: f64 = 100.0;
    let ticks = |stat: &str| -> f64 {
        // Fields after the parenthesised command: state is field 3; utime
        // and stime are fields 14 and 15.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<f64>().ok());
        field(14).unwrap_or(0.0) + field(15).unwrap_or(0.0)
    };
    let Some(thread) = thread else {
        return std::fs::read_to_string("/proc/self/stat").map_or(0.0, |s| ticks(&s))
            / TICKS_PER_SECOND;
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
            return std::fs::read_to_string(path.join("stat")).map_or(0.0, |s| ticks(&s))
                / TICKS_PER_SECOND;
        }
    }
    0.0
}

// ---------------------------------------------------------------------------
// Printing

struct Row {
    name: &'static str,
    component: Stats,
    native: Stats,
}

impl Row {
    fn new(name: &'static str, component: Stats, native: Stats) -> Row {
        Row {
            name,
            component,
            native,
        }
    }

    fn ratio(&self) -> f64 {
        ratio(self.component.median, self.native.median)
    }
}

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
