//! Serves the service component on `wash-runtime` 0.1.0, wasmCloud's runtime
//! as released to the crate registry, the way a wasmCloud host would: the
//! `wasi:http` server plugin on a loopback address and the
//! `wasi:config/runtime@0.2.0-draft` plugin holding the component's runtime
//! config.
//!
//! ```sh
//! SIPTEL_KEY_ACME=... cargo run --manifest-path tests/engines/wash/Cargo.toml -- \
//!     target/guest/siptel_sms_service.wasmcloud.wasm --secret acme=SIPTEL_KEY_ACME
//! ```
//!
//! `--listen ADDR` (default `127.0.0.1:0`, a free port) is where it serves;
//! `--secret NAME=ENV_VAR` puts the environment variable's value in the
//! config as `siptel_secret_<NAME>` (the key of `secret:<NAME>`), so no key is
//! on the command line. Once it serves, it prints
//! `wash-runtime serving on http://ADDR` and runs until interrupted.

use anyhow::{Context, bail};
use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use wash_runtime::engine::Engine;
use wash_runtime::host::{HostApi, HostBuilder};
use wash_runtime::plugin::wasi_config::RuntimeConfig;
use wash_runtime::plugin::wasi_http::HttpServer;
use wash_runtime::types::{Component, LocalResources, Workload, WorkloadStartRequest};
use wash_runtime::wit::WitInterface;

/// The service reads `siptel_secret_<name>` (service/src/keys.rs).
const SECRET_PREFIX: &str = "siptel_secret_";

struct Args {
    wasm: String,
    listen: SocketAddr,
    config: HashMap<String, String>,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut wasm = None;
    let mut listen: SocketAddr = "127.0.0.1:0".parse().expect("a socket address");
    let mut config = HashMap::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => {
                let value = args.next().context("--listen takes ADDR")?;
                listen = value.parse().with_context(|| format!("--listen {value}"))?;
            }
            "--secret" => {
                let value = args.next().context("--secret takes NAME=ENV_VAR")?;
                let (name, variable) = value
                    .split_once('=')
                    .with_context(|| format!("--secret {value}: NAME=ENV_VAR"))?;
                let key = std::env::var(variable)
                    .with_context(|| format!("--secret {name}: ${variable} is not set"))?;
                config.insert(format!("{SECRET_PREFIX}{name}"), key);
            }
            flag if flag.starts_with('-') => bail!("unknown flag {flag}"),
            path if wasm.is_none() => wasm = Some(path.to_string()),
            extra => bail!("unexpected argument {extra}"),
        }
    }
    let wasm = wasm.context(
        "usage: siptel-sms-wash-runner COMPONENT.wasm [--listen ADDR] [--secret NAME=ENV_VAR]...",
    )?;
    Ok(Args {
        wasm,
        listen,
        config,
    })
}

/// `addr`, or a free loopback port when its port is 0: wash-runtime's server
/// binds inside `start` and does not report the port it got.
fn concrete(addr: SocketAddr) -> anyhow::Result<SocketAddr> {
    if addr.port() != 0 {
        return Ok(addr);
    }
    let probe = TcpListener::bind(addr).context("finding a free port")?;
    Ok(probe.local_addr()?)
}

fn interface(name: &str, config: HashMap<String, String>) -> WitInterface {
    WitInterface {
        config,
        ..WitInterface::from(name)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let args = parse_args()?;
    let bytes = std::fs::read(&args.wasm).with_context(|| format!("reading {}", args.wasm))?;
    let addr = concrete(args.listen)?;

    let host = HostBuilder::new()
        .with_engine(Engine::builder().build()?)
        .with_plugin(Arc::new(HttpServer::new(addr)))?
        .with_plugin(Arc::new(RuntimeConfig::default()))?
        .build()?
        .start()
        .await
        .context("starting the host")?;

    let workload = Workload {
        namespace: "siptel".into(),
        name: "siptel-sms-service".into(),
        annotations: HashMap::new(),
        service: None,
        components: vec![Component {
            bytes: bytes.into(),
            local_resources: LocalResources::default(),
            pool_size: 1,
            max_invocations: -1,
        }],
        host_interfaces: vec![
            // Any Host header: no virtual hosting on a loopback test server.
            interface(
                "wasi:http/incoming-handler",
                HashMap::from([("host".to_string(), "*".to_string())]),
            ),
            // The plugin hands the component this interface's config.
            interface("wasi:config/runtime@0.2.0-draft", args.config),
        ],
        volumes: vec![],
    };
    host.workload_start(WorkloadStartRequest { workload })
        .await
        .with_context(|| format!("starting {} on wash-runtime", args.wasm))?;
    // Read by tests/service.rs (and by people): the address it serves.
    println!("wash-runtime serving on http://{addr}");

    tokio::signal::ctrl_c().await?;
    host.stop().await
}
