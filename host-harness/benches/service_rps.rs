//! Requests per second through the service component on this host
//! (`SiptelSmsService::serve` on loopback, one sandbox per request), each
//! request a `POST /v1/send` whose `secret:` key the egress hook injects,
//! to the loopback stub Siptel: with one client and with 16 concurrent
//! clients, each on its own kept-alive connection (hyper's pooled client).
//! The stub's log is reset every 20 ms, as in (c).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use siptel_sms_host::{Caller, HostOptions, SiptelSmsService};
use siptel_stub::{StubConfig, StubSiptel};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

const TOKEN: &str = "bench-caller-token-0123456789abcdef";
const WARM_UP: Duration = Duration::from_millis(300);
const RUN: Duration = Duration::from_millis(1500);

/// Sends per second with one client and with 16.
pub struct ServiceRates {
    pub one_client: f64,
    pub sixteen_clients: f64,
}

impl fmt::Display for ServiceRates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<34} {:>10}",
            "(e) service over HTTP, keep-alive", "sends/s"
        )?;
        writeln!(f, "{:<34} {:>10.0}", "1 client", self.one_client)?;
        write!(
            f,
            "{:<34} {:>10.0}",
            "16 concurrent clients", self.sixteen_clients
        )
    }
}

/// Serves the built service on `runtime` and measures it against `stub`.
pub fn measure(runtime: &Runtime, stub: &StubSiptel) -> ServiceRates {
    let options = HostOptions {
        siptel_base_url: stub.base_url(),
        secrets: [("bench".to_string(), StubConfig::default().api_key.into())].into(),
        ..HostOptions::default()
    };
    let caller = Caller {
        tenant: "bench".into(),
        token: TOKEN.into(),
        secrets: ["bench".to_string()].into(),
    };
    let service = SiptelSmsService::builtin(options, vec![caller]).expect("the service loads");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a loopback port");
    let url = format!("http://{}/v1/send", listener.local_addr().expect("bound"));
    let server = runtime.spawn(Arc::new(service).serve(listener));
    let body = Bytes::from(
        serde_json::to_vec(&serde_json::json!({"config": {
            "api-key": "secret:bench", "sender": "56961234567", "recipient": "56987654321",
            "message": "Hola Ana, su hora es el lunes 10:30.",
            "window-start": "00:00:00", "window-end": "23:59:59",
            "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
            "base-url": stub.base_url(), "deadline-ms": 10000
        }}))
        .expect("JSON"),
    );

    let stop_resetting = AtomicBool::new(false);
    let rates = std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop_resetting.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(20));
                stub.reset();
            }
        });
        let rates = ServiceRates {
            one_client: runtime.block_on(rate(1, &url, &body)),
            sixteen_clients: runtime.block_on(rate(16, &url, &body)),
        };
        stop_resetting.store(true, Ordering::Relaxed);
        rates
    });
    server.abort();
    rates
}

/// Sends per second of `clients` tasks posting `body` to `url` in a loop.
async fn rate(clients: usize, url: &str, body: &Bytes) -> f64 {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let counting_from = Instant::now() + WARM_UP;
    let until = counting_from + RUN;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (client, url, body) = (client.clone(), url.to_owned(), body.clone());
            tokio::spawn(async move {
                let mut counted = 0u64;
                loop {
                    let request = http::Request::post(&url)
                        .header("authorization", format!("Bearer {TOKEN}"))
                        .header("content-type", "application/json")
                        .body(Full::new(body.clone()))
                        .expect("a valid request");
                    let response = client.request(request).await.expect("the service answers");
                    let status = response.status();
                    let answer = response.into_body().collect().await.expect("the body");
                    assert_eq!(status, 200, "{:?}", answer.to_bytes());
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
    let mut sends = 0;
    for task in tasks {
        sends += task.await.expect("a client finished");
    }
    sends as f64 / RUN.as_secs_f64()
}
