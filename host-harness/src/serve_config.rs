//! `serve --config FILE`: the flags of `serve` as a TOML file, below the
//! command line and the environment.

use crate::ServeArgs;
use anyhow::{Context, Result};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The file: keys are the flags' names; repeatable flags are lists.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct ServeFile {
    listen: Option<SocketAddr>,
    base_url: Option<String>,
    #[serde(default)]
    caller: Vec<String>,
    #[serde(default)]
    grant: Vec<String>,
    #[serde(default)]
    secret: Vec<String>,
    ca_cert: Option<PathBuf>,
    max_connections: Option<usize>,
    max_connections_per_ip: Option<usize>,
    idle_timeout: Option<u64>,
    drain_timeout: Option<u64>,
    log_level: Option<String>,
}

impl ServeArgs {
    /// These settings with what the command line and the environment left
    /// unset taken from `--config`'s file.
    pub(crate) fn with_file(mut self) -> Result<ServeArgs> {
        let Some(path) = &self.config else {
            return Ok(self);
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the config file {}", path.display()))?;
        let file: ServeFile = toml::from_str(&text)
            .with_context(|| format!("the config file {} is not valid", path.display()))?;
        self.listen = self.listen.or(file.listen);
        self.base_url = self.base_url.or(file.base_url);
        self.max_connections = self.max_connections.or(file.max_connections);
        self.max_connections_per_ip = self.max_connections_per_ip.or(file.max_connections_per_ip);
        self.idle_timeout = self.idle_timeout.or(file.idle_timeout);
        self.drain_timeout = self.drain_timeout.or(file.drain_timeout);
        if self.log_level.is_none()
            && let Some(level) = &file.log_level
        {
            self.log_level = Some(level.parse().with_context(|| {
                format!("{}: log-level {level:?} is not a level", path.display())
            })?);
        }
        if self.callers.is_empty() {
            self.callers = file.caller;
        }
        if self.grants.is_empty() {
            self.grants = file.grant;
        }
        if self.host.secrets.is_empty() {
            self.host.secrets = file.secret;
        }
        self.host.ca_cert = self.host.ca_cert.take().or(file.ca_cert);
        Ok(self)
    }
}
