//! `siptel-sms`: run the Siptel SMS component from the command line.

mod demo;
mod render;
mod serve_config;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use siptel_sms::model::{Config, Entity, Outcome};
use siptel_sms_host::{
    CallOptions, Caller, HostOptions, ServeOptions, SiptelSms, SiptelSmsService,
};
use siptel_stub::{StubConfig, StubSiptel};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

#[derive(Parser)]
#[command(
    name = "siptel-sms",
    version,
    about = "The Siptel SMS action, run in a wasmtime sandbox"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    cache: CacheArgs,
}

/// Where compiled code is kept between runs.
#[derive(Args)]
struct CacheArgs {
    /// Directory of wasmtime's cache of compiled code, so a run loads the
    /// component without compiling it again (default:
    /// $SIPTEL_SMS_CACHE_DIR, else $XDG_CACHE_HOME/siptel-sms, else
    /// ~/.cache/siptel-sms).
    #[arg(long, global = true, value_name = "DIR")]
    compile_cache: Option<PathBuf>,
    /// Compile the component at every start; use no cache directory.
    #[arg(long, global = true, conflicts_with = "compile_cache")]
    no_compile_cache: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Start an embedded stub Siptel and run representative sends.
    Demo {
        /// Print the outcomes as JSON (WIT names).
        #[arg(long)]
        json: bool,
    },
    /// Send one SMS.
    Send(CallArgs),
    /// Validate a config at design time (placeholders accepted, no network).
    Check(CallArgs),
    /// Show what would be sent, without network.
    Preview(CallArgs),
    /// Print the action's form (fields, defaults, labels, help).
    Describe {
        /// Print as JSON (WIT names).
        #[arg(long)]
        json: bool,
    },
    /// Serve the action over plain HTTP (the service component, one sandbox
    /// per request) until SIGTERM or SIGINT, then drain: requests in flight
    /// are answered, then it exits 0. No TLS: put a TLS-terminating proxy in
    /// front.
    Serve(ServeArgs),
    /// Run the stub Siptel on a port until interrupted.
    Stub {
        /// Port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// The API key the stub accepts.
        #[arg(long, default_value = "test-key")]
        api_key: String,
        /// Act as if the caller's IP were not registered (requires a RUT).
        #[arg(long)]
        require_rut: bool,
        /// Serve HTTPS with the test certificate
        /// stub/tls/cert.pem (trust it with --ca-cert).
        #[arg(long)]
        tls: bool,
    },
}

#[derive(Args)]
struct CallArgs {
    /// Config JSON file: an object whose keys are the WIT `config` field names.
    config: PathBuf,
    /// Entities JSON file: an object of entity name to value.
    #[arg(long)]
    entities: Option<PathBuf>,
    /// Siptel base URL: overrides the config's `base-url` and is the only
    /// place the sandbox may reach (default https://api.siptel.cl).
    #[arg(long)]
    base_url: Option<String>,
    /// Evaluate at this RFC 3339 instant instead of now (preview, send).
    #[arg(long)]
    at: Option<String>,
    /// Print the WIT value returned, as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    host: HostArgs,
}

/// What the host holds for every call: keys and trusted certificates.
#[derive(Args)]
struct HostArgs {
    /// A key kept outside the sandbox: `NAME=ENV_VAR` reads the environment
    /// variable ENV_VAR; a config's `api-key: "secret:NAME"` then reaches
    /// Siptel with that key while the component never sees it. Repeatable.
    #[arg(long = "secret", value_name = "NAME=ENV_VAR")]
    secrets: Vec<String>,
    /// PEM file of certificates HTTPS trusts besides the public roots: a
    /// Siptel sandbox's private CA, or stub/tls/cert.pem for
    /// `siptel-sms stub --tls`.
    #[arg(long, value_name = "PEM_FILE")]
    ca_cert: Option<PathBuf>,
}

/// `serve`'s settings. Each may also come from the environment variable
/// named in its help, or from `--config`'s file; a flag wins over the
/// environment, which wins over the file.
#[derive(Args)]
struct ServeArgs {
    /// TOML file of these settings, keyed by flag name (`listen = "..."`,
    /// `caller = ["acme=ACME_TOKEN"]`, `max-connections = 256`, ...); list
    /// flags given on the command line replace the file's lists.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:8080). Plain HTTP: put a
    /// TLS-terminating proxy in front.
    #[arg(long, env = "SIPTEL_SMS_LISTEN")]
    listen: Option<SocketAddr>,
    /// Siptel base URL: the only place requests may reach (default
    /// https://api.siptel.cl); a config's `base-url` must name it.
    #[arg(long, env = "SIPTEL_SMS_BASE_URL")]
    base_url: Option<String>,
    /// A caller: `TENANT=ENV_VAR` reads the tenant's bearer token from the
    /// environment variable ENV_VAR (at least 32 characters). With callers,
    /// every request but `GET /v1/health`, `/v1/ready` and `/metrics` must
    /// carry one's token; without, requests are anonymous and may use no
    /// secret. Repeatable.
    #[arg(long = "caller", value_name = "TENANT=ENV_VAR")]
    callers: Vec<String>,
    /// Grants a caller a secret: `TENANT=NAME` lets the tenant's requests
    /// name `secret:NAME`. Repeatable.
    #[arg(long = "grant", value_name = "TENANT=NAME")]
    grants: Vec<String>,
    /// Connections served at once (default: 1024, or less to stay under
    /// the descriptor limit). One more closes the oldest connection that
    /// has sent no request yet or, when all have, is answered 503.
    #[arg(long, value_name = "N", env = "SIPTEL_SMS_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Connections one client IP may hold; one more is answered 503
    /// (default: no cap but --max-connections). Behind a proxy every
    /// connection is the proxy's: leave it.
    #[arg(long, value_name = "N", env = "SIPTEL_SMS_MAX_CONNECTIONS_PER_IP")]
    max_connections_per_ip: Option<usize>,
    /// Seconds a connection may wait before sending a request's head; an
    /// idle keep-alive connection is closed after it (default 30).
    #[arg(long, value_name = "SECONDS", env = "SIPTEL_SMS_IDLE_TIMEOUT")]
    idle_timeout: Option<u64>,
    /// Seconds a shutdown waits for requests in flight (default: the
    /// longest a send may take, about 5 min 20 s, so none is cut off).
    #[arg(long, value_name = "SECONDS", env = "SIPTEL_SMS_DRAIN_TIMEOUT")]
    drain_timeout: Option<u64>,
    /// Least level of the JSON log lines on stderr: error, warn, info
    /// (one line per request; the default), debug (also probes and
    /// scrapes), trace, off.
    #[arg(long, value_name = "LEVEL", env = "SIPTEL_SMS_LOG_LEVEL")]
    log_level: Option<tracing_subscriber::filter::LevelFilter>,
    #[command(flatten)]
    host: HostArgs,
}

/// Exit codes: 0 success, 1 error, 2 usage (clap), then one per outcome.
const EXIT_INVALID: u8 = 3;
const EXIT_BLOCKED: u8 = 4;
const EXIT_FAILED: u8 = 5;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let cache = cli.cache.directory();
    match runtime.block_on(run(cli.command, cache)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, cache: Option<PathBuf>) -> Result<ExitCode> {
    match command {
        Command::Demo { json } => demo::run(json, host_options(cache)).await,
        Command::Describe { json } => {
            let form = SiptelSms::builtin(host_options(cache))?
                .describe(&CallOptions::default())
                .await?
                .value;
            print(json, &form, || render::form(&form))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(args) => {
            let (config, _) = args.inputs()?;
            let options = args.options(None);
            let problems = args.load(cache)?.check(&config, &options).await?.value;
            print(args.json, &problems, || render::problems(&problems))?;
            Ok(if problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_INVALID)
            })
        }
        Command::Preview(args) => {
            let (config, entities) = args.inputs()?;
            let options = args.options(args.at()?);
            let answer = args
                .load(cache)?
                .preview(&config, &entities, &options)
                .await?
                .value;
            match &answer {
                Ok(preview) => {
                    print(args.json, preview, || render::preview(preview))?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(problems) => {
                    print(args.json, problems, || render::problems(problems))?;
                    Ok(ExitCode::from(EXIT_INVALID))
                }
            }
        }
        Command::Send(args) => {
            let (config, entities) = args.inputs()?;
            let options = args.options(args.at()?);
            let outcome = args
                .load(cache)?
                .send(&config, &entities, &options)
                .await?
                .value;
            print(args.json, &outcome, || render::outcome(&outcome))?;
            Ok(exit_code(&outcome))
        }
        Command::Serve(args) => serve(args, cache).await,
        Command::Stub {
            port,
            api_key,
            require_rut,
            tls,
        } => {
            let config = StubConfig {
                api_key,
                ip_registered: !require_rut,
                ..StubConfig::default()
            };
            let addr = ([127, 0, 0, 1], port).into();
            let stub = if tls {
                StubSiptel::start_tls_on(addr, config)
            } else {
                StubSiptel::start_on(addr, config)
            }
            .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
            println!("stub Siptel listening on {}", stub.base_url());
            tokio::task::spawn_blocking(move || stub.wait()).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The exit code that tells a script which outcome came.
pub(crate) fn exit_code(outcome: &Outcome) -> ExitCode {
    match outcome {
        Outcome::Sent(_) => ExitCode::SUCCESS,
        Outcome::Invalid { .. } => ExitCode::from(EXIT_INVALID),
        Outcome::Blocked(_) => ExitCode::from(EXIT_BLOCKED),
        Outcome::Failed(_) => ExitCode::from(EXIT_FAILED),
    }
}

impl CacheArgs {
    /// The cache directory: the flag's, else the user's cache directory;
    /// none with `--no-compile-cache` (or without a home).
    fn directory(&self) -> Option<PathBuf> {
        if self.no_compile_cache {
            return None;
        }
        if let Some(dir) = &self.compile_cache {
            return Some(dir.clone());
        }
        siptel_sms_host::default_compile_cache()
    }
}

/// The CLI's host: compiled code cached in `cache`, so each run loads the
/// component without compiling it again.
pub(crate) fn host_options(cache: Option<PathBuf>) -> HostOptions {
    HostOptions {
        compile_cache: cache,
        ..HostOptions::default()
    }
}

fn print<T: serde::Serialize>(json: bool, value: &T, human: impl FnOnce() -> String) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        print!("{}", human());
    }
    Ok(())
}

impl HostArgs {
    /// The CLI's host options with the secrets and the certificates named
    /// on the command line.
    fn options(&self, cache: Option<PathBuf>) -> Result<HostOptions> {
        let mut options = host_options(cache);
        for (name, variable) in self.secret_names()? {
            options.secrets.insert(
                name.to_string(),
                env_value(variable, "--secret", name)?.into(),
            );
        }
        if let Some(path) = &self.ca_cert {
            let pem = std::fs::read_to_string(path)
                .with_context(|| format!("--ca-cert {}", path.display()))?;
            options.tls_roots_pem = Some(pem);
        }
        Ok(options)
    }

    /// `(NAME, ENV_VAR)` of every `--secret`.
    fn secret_names(&self) -> Result<Vec<(&str, &str)>> {
        self.secrets
            .iter()
            .map(|secret| pair(secret, "--secret", "NAME=ENV_VAR"))
            .collect()
    }
}

/// `LEFT=RIGHT` of a repeatable flag.
fn pair<'a>(value: &'a str, flag: &str, shape: &str) -> Result<(&'a str, &'a str)> {
    match value.split_once('=') {
        Some(pair) => Ok(pair),
        None => bail!("{flag} {value:?} is not {shape}"),
    }
}

/// The environment variable `variable`, which `flag` of `name` reads.
fn env_value(variable: &str, flag: &str, name: &str) -> Result<String> {
    std::env::var(variable)
        .with_context(|| format!("{flag} {name}: the environment variable {variable} is not set"))
}

impl CallArgs {
    /// Loads the component with the secrets and the certificates named on
    /// the command line.
    fn load(&self, cache: Option<PathBuf>) -> Result<SiptelSms> {
        Ok(SiptelSms::builtin(self.host.options(cache)?)?)
    }

    fn inputs(&self) -> Result<(Config, Vec<Entity>)> {
        let mut config = read_json(&self.config, "config", siptel_sms::json::config)?;
        if let Some(url) = &self.base_url {
            config.base_url = Some(url.clone());
        }
        let entities = match &self.entities {
            None => Vec::new(),
            Some(path) => read_json(path, "entities", siptel_sms::json::entities)?,
        };
        Ok((config, entities))
    }

    /// The egress allowance follows `--base-url` and the secrets given with
    /// `--secret` are granted: the person running the CLI is the host
    /// operator.
    fn options(&self, wall_clock: Option<SystemTime>) -> CallOptions {
        CallOptions {
            siptel_base_url: self.base_url.clone(),
            wall_clock,
            secrets: self
                .host
                .secret_names()
                .unwrap_or_default()
                .into_iter()
                .map(|(name, _)| name.to_owned())
                .collect(),
            tenant: None,
        }
    }

    fn at(&self) -> Result<Option<SystemTime>> {
        let Some(at) = &self.at else { return Ok(None) };
        let parsed = chrono::DateTime::parse_from_rfc3339(at).with_context(|| {
            format!("--at {at:?} is not an RFC 3339 instant (e.g. 2026-09-07T09:00:00-03:00)")
        })?;
        match u64::try_from(parsed.timestamp()) {
            Ok(s) => Ok(Some(
                SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(s),
            )),
            Err(_) => bail!("--at {at:?} is before 1970"),
        }
    }
}

impl ServeArgs {
    /// Every `--caller` with the secrets its `--grant`s name.
    fn callers(&self) -> Result<Vec<Caller>> {
        let mut callers: BTreeMap<&str, Caller> = BTreeMap::new();
        for caller in &self.callers {
            let (tenant, variable) = pair(caller, "--caller", "TENANT=ENV_VAR")?;
            let token = env_value(variable, "--caller", tenant)?;
            let entry = Caller {
                tenant: tenant.to_owned(),
                token,
                secrets: Default::default(),
            };
            if callers.insert(tenant, entry).is_some() {
                bail!("--caller {tenant} is given twice");
            }
        }
        for grant in &self.grants {
            let (tenant, name) = pair(grant, "--grant", "TENANT=NAME")?;
            let Some(caller) = callers.get_mut(tenant) else {
                bail!("--grant {grant}: no --caller {tenant}");
            };
            caller.secrets.insert(name.to_owned());
        }
        Ok(callers.into_values().collect())
    }
}

/// `serve`: the service component on this host until SIGTERM or SIGINT,
/// then a drain; exits 0 when every request in flight was answered.
async fn serve(args: ServeArgs, cache: Option<PathBuf>) -> Result<ExitCode> {
    let args = args.with_file()?;
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_writer(std::io::stderr)
        .with_max_level(
            args.log_level
                .unwrap_or(tracing_subscriber::filter::LevelFilter::INFO),
        )
        .init();
    let mut options = args.host.options(cache)?;
    if let Some(url) = &args.base_url {
        options.siptel_base_url = url.clone();
    }
    let serve_options = args.serve_options(options.limits.concurrent_calls);
    let compile_cache = options
        .compile_cache
        .as_ref()
        .map_or_else(|| "none".to_owned(), |dir| dir.display().to_string());
    // Before the first connection, so no signal in between is missed.
    let shutdown = shutdown_signals()?;
    let started = std::time::Instant::now();
    let service = SiptelSmsService::builtin(options, args.callers()?)?;
    let listen = args.listen.unwrap_or(([127, 0, 0, 1], 8080).into());
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(
        target: "siptel_sms::serve",
        %addr,
        load_ms = started.elapsed().as_millis() as u64,
        compile_cache,
        max_connections = serve_options.max_connections,
        max_connections_per_ip = serve_options.max_connections_per_ip,
        "listening (plain HTTP: TLS is the proxy's in front)"
    );
    println!("siptel-sms service listening on http://{addr}");
    let drained = Arc::new(service)
        .serve_until(listener, serve_options, async {
            let _ = shutdown.await;
        })
        .await;
    Ok(if drained.complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Completes at the first SIGTERM or SIGINT; a second one ends the process
/// at once (exit 1), cutting off what is still in flight.
fn shutdown_signals() -> Result<tokio::sync::oneshot::Receiver<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let (first, shutdown) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut first = Some(first);
        loop {
            let signal = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            };
            match first.take() {
                Some(first) => {
                    tracing::info!(
                        target: "siptel_sms::serve",
                        signal,
                        "shutdown requested: draining (a second signal stops at once)"
                    );
                    let _ = first.send(());
                }
                None => {
                    tracing::error!(
                        target: "siptel_sms::serve",
                        signal,
                        "second signal: stopping without finishing requests in flight"
                    );
                    std::process::exit(1);
                }
            }
        }
    });
    Ok(shutdown)
}

impl ServeArgs {
    /// The connection limits and timeouts of the flags; the default cap
    /// stays under the descriptor limit, leaving room for the calls to
    /// Siptel (one per slot) and the process's own.
    fn serve_options(&self, slots: u32) -> ServeOptions {
        let default = ServeOptions::default();
        let max_connections = self.max_connections.unwrap_or_else(|| {
            let descriptors = rustix::process::getrlimit(rustix::process::Resource::Nofile)
                .current
                .unwrap_or(u64::MAX);
            let room = descriptors.saturating_sub(u64::from(slots) + 64).max(16);
            default
                .max_connections
                .min(usize::try_from(room).unwrap_or(usize::MAX))
        });
        ServeOptions {
            max_connections,
            max_connections_per_ip: self.max_connections_per_ip.unwrap_or(max_connections),
            idle_timeout: self
                .idle_timeout
                .map_or(default.idle_timeout, |s| Duration::from_secs(s.max(1))),
            drain_timeout: self.drain_timeout.map(Duration::from_secs),
        }
    }
}

fn read_json<T>(
    path: &Path,
    what: &str,
    parse: impl FnOnce(&str) -> Result<T, siptel_sms::json::JsonError>,
) -> Result<T> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the {what} file {}", path.display()))?;
    parse(&text).with_context(|| format!("the {what} file {} is not valid", path.display()))
}
