//! Server configuration from flags and environment.

use std::net::SocketAddr;
use std::time::Duration;

use mcp_handler_core::{EndpointConfig, HostPolicy};

use crate::probe::Probe;

/// Why the command line or environment could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A value did not parse.
    #[error("{name}: {value:?} is not {expected}")]
    Invalid {
        /// The flag or variable.
        name: &'static str,
        /// What was given.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A flag this program does not know.
    #[error("unknown argument {0:?} (try --help)")]
    UnknownArgument(String),
    /// A flag without its value.
    #[error("{0} needs a value")]
    MissingValue(&'static str),
    /// A secret that cannot be used; the value itself is never shown.
    #[error("{name}: {reason}")]
    BadSecret {
        /// The variable.
        name: &'static str,
        /// Why (without the value).
        reason: String,
    },
}

/// How the container server listens and drains.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Listen address (`--bind`, `MCP_BIND`; default `127.0.0.1:8080`).
    pub bind: SocketAddr,
    /// Path of the MCP endpoint (`--path`, `MCP_PATH`; default `/mcp`).
    pub path: String,
    /// How long in-flight requests may run after SIGTERM
    /// (`--drain-timeout`, `MCP_DRAIN_TIMEOUT_SECS`; default 25 s, under
    /// the 30 s ECS and Kubernetes give before SIGKILL).
    pub drain_timeout: Duration,
    /// How long a client may take to send a request's head, and how long
    /// a keep-alive connection may sit idle waiting for the next one
    /// (`--header-timeout`, `MCP_HEADER_TIMEOUT_SECS`; default 30 s).
    pub header_timeout: Duration,
    /// Open connections served at once (`--max-connections`,
    /// `MCP_MAX_CONNECTIONS`; default 10 000). Beyond it a connection's
    /// first request is answered `503` with `Retry-After` and it is closed.
    pub max_connections: usize,
    /// One log line per request on target `mcp_handler::access` at `info`
    /// (`MCP_ACCESS_LOG=on|off`; default on). Health probes are not logged.
    pub access_log: bool,
    /// Prometheus metrics at `GET /metrics` (`MCP_METRICS=on|off`; default
    /// on). Off, nothing is counted and the request path does no work for it.
    pub metrics: bool,
    /// Serve `/metrics` on this address instead of the MCP listener
    /// (`MCP_METRICS_BIND`, e.g. `0.0.0.0:9090`; default: the MCP listener).
    /// A separate port keeps the scrape out of reach of MCP clients.
    pub metrics_bind: Option<SocketAddr>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            path: "/mcp".into(),
            drain_timeout: Duration::from_secs(25),
            header_timeout: Duration::from_secs(30),
            max_connections: 10_000,
            access_log: true,
            metrics: true,
            metrics_bind: None,
        }
    }
}

impl ServerConfig {
    /// Sets the listen address.
    #[must_use]
    pub fn with_bind(mut self, bind: SocketAddr) -> Self {
        self.bind = bind;
        self
    }
    /// Sets the endpoint path.
    #[must_use]
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }
    /// Sets the drain deadline.
    #[must_use]
    pub fn with_drain_timeout(mut self, d: Duration) -> Self {
        self.drain_timeout = d;
        self
    }
    /// Sets the request-head (and idle keep-alive) timeout.
    #[must_use]
    pub fn with_header_timeout(mut self, d: Duration) -> Self {
        self.header_timeout = d;
        self
    }
    /// Turns the access log on or off.
    #[must_use]
    pub fn with_access_log(mut self, on: bool) -> Self {
        self.access_log = on;
        self
    }
    /// Turns the metrics on or off.
    #[must_use]
    pub fn with_metrics(mut self, on: bool) -> Self {
        self.metrics = on;
        self
    }
    /// Serves `/metrics` on `bind` instead of the MCP listener (`None`: on it).
    #[must_use]
    pub fn with_metrics_bind(mut self, bind: Option<SocketAddr>) -> Self {
        self.metrics_bind = bind;
        self
    }
    /// Sets how many connections are served at once.
    #[must_use]
    pub fn with_max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// Serve.
    Serve(ServerConfig),
    /// Probe a running server (`/healthz`, or with `--deep` an MCP round
    /// trip) and exit 0 or 1.
    Healthcheck(ServerConfig, Probe),
    /// Print usage.
    Help,
}

/// Usage text: the commands and flags. Programs started with
/// `mcp_handler::run` print every environment variable they read after it
/// (see [`Server::with_usage`](crate::Server::with_usage)).
pub const USAGE: &str = "\
USAGE:
    <binary> [--bind ADDR] [--path PATH] [--drain-timeout SECS] [--header-timeout SECS]
             [--max-connections N]
    <binary> healthcheck [--bind ADDR]      liveness: GET /healthz, exit 0 when it answers 200
    <binary> healthcheck --deep [--bind ADDR] [--path PATH]
                                            serving: an MCP server/discover round trip through the
                                            endpoint, with the configured auth token and an allowed
                                            Host; exit 1 with a one-line reason otherwise
";

/// Parses flags over environment over defaults. `env` is injected so tests
/// need not mutate the process environment.
pub fn parse_command(
    args: impl IntoIterator<Item = String>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Command, ConfigError> {
    let mut config = ServerConfig::default();
    if let Some(v) = env("MCP_BIND") {
        config.bind = parse_addr("MCP_BIND", &v)?;
    }
    if let Some(v) = env("MCP_PATH") {
        config.path = parse_path("MCP_PATH", &v)?;
    }
    if let Some(v) = env("MCP_DRAIN_TIMEOUT_SECS") {
        config.drain_timeout = parse_secs("MCP_DRAIN_TIMEOUT_SECS", &v)?;
    }
    if let Some(v) = env("MCP_HEADER_TIMEOUT_SECS") {
        config.header_timeout = parse_positive_secs("MCP_HEADER_TIMEOUT_SECS", &v)?;
    }
    if let Some(v) = env("MCP_MAX_CONNECTIONS") {
        config.max_connections = parse_count("MCP_MAX_CONNECTIONS", &v)?;
    }
    if let Some(v) = env("MCP_ACCESS_LOG") {
        config.access_log = parse_switch("MCP_ACCESS_LOG", v)?;
    }
    if let Some(v) = env("MCP_METRICS") {
        config.metrics = parse_switch("MCP_METRICS", v)?;
    }
    if let Some(v) = env("MCP_METRICS_BIND").filter(|v| !v.trim().is_empty()) {
        config.metrics_bind = Some(parse_addr("MCP_METRICS_BIND", v.trim())?);
    }
    let mut healthcheck = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value =
            |name: &'static str| inline.clone().or_else(|| args.next()).ok_or(ConfigError::MissingValue(name));
        match flag.as_str() {
            "healthcheck" if healthcheck.is_none() => healthcheck = Some(Probe::Liveness),
            "--deep" if healthcheck.is_some() => healthcheck = Some(Probe::Deep),
            "-h" | "--help" => return Ok(Command::Help),
            "--bind" => config.bind = parse_addr("--bind", &value("--bind")?)?,
            "--path" => config.path = parse_path("--path", &value("--path")?)?,
            "--drain-timeout" => config.drain_timeout = parse_secs("--drain-timeout", &value("--drain-timeout")?)?,
            "--header-timeout" => {
                config.header_timeout = parse_positive_secs("--header-timeout", &value("--header-timeout")?)?;
            }
            "--max-connections" => {
                config.max_connections = parse_count("--max-connections", &value("--max-connections")?)?;
            }
            _ => return Err(ConfigError::UnknownArgument(arg)),
        }
    }
    Ok(match healthcheck {
        Some(probe) => Command::Healthcheck(config, probe),
        None => Command::Serve(config),
    })
}

fn parse_switch(name: &'static str, v: String) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" => Ok(true),
        "off" | "false" | "0" => Ok(false),
        _ => Err(ConfigError::Invalid { name, value: v, expected: "on or off" }),
    }
}

fn parse_addr(name: &'static str, v: &str) -> Result<SocketAddr, ConfigError> {
    v.parse().map_err(|_| ConfigError::Invalid { name, value: v.into(), expected: "an address such as 127.0.0.1:8080" })
}

fn parse_path(name: &'static str, v: &str) -> Result<String, ConfigError> {
    if v.starts_with('/') && !v.contains(['?', '#', ' ']) {
        Ok(v.to_owned())
    } else {
        Err(ConfigError::Invalid { name, value: v.into(), expected: "a path starting with /" })
    }
}

fn parse_secs(name: &'static str, v: &str) -> Result<Duration, ConfigError> {
    v.parse::<u64>().map(Duration::from_secs).map_err(|_| ConfigError::Invalid {
        name,
        value: v.into(),
        expected: "a whole number of seconds",
    })
}

/// Seconds that must be at least one: a zero timeout would close every
/// connection before its first request.
fn parse_positive_secs(name: &'static str, v: &str) -> Result<Duration, ConfigError> {
    match v.parse::<u64>() {
        Ok(n) if n > 0 => Ok(Duration::from_secs(n)),
        _ => Err(ConfigError::Invalid { name, value: v.into(), expected: "a whole number of seconds, at least 1" }),
    }
}

/// A count of at least one.
fn parse_count(name: &'static str, v: &str) -> Result<usize, ConfigError> {
    match v.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(ConfigError::Invalid { name, value: v.into(), expected: "a whole number, at least 1" }),
    }
}

/// Applies the endpoint's environment settings (`EndpointConfig::with_env`:
/// `MCP_ALLOWED_HOSTS`, `MCP_ALLOWED_ORIGINS`, `MCP_REQUEST_STATE_KEY`), and
/// opens the Host check when bound beyond loopback without an explicit list
/// (behind a load balancer the platform fixes the host; the Origin check
/// still applies).
pub fn apply_endpoint_env(
    endpoint: EndpointConfig,
    bind: SocketAddr,
    env: impl Fn(&str) -> Option<String>,
) -> Result<EndpointConfig, ConfigError> {
    let explicit_hosts = env("MCP_ALLOWED_HOSTS").is_some();
    let mut endpoint = endpoint.with_env(&env).map_err(|e| match e {
        mcp_handler_core::EnvConfigError::Invalid { name, value, expected } => {
            ConfigError::Invalid { name, value, expected }
        }
        other => ConfigError::BadSecret { name: "MCP_REQUEST_STATE_KEY", reason: other.to_string() },
    })?;
    if !explicit_hosts && !bind.ip().is_loopback() {
        endpoint = endpoint.with_host_policy(HostPolicy::Any);
    }
    Ok(endpoint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn flags_override_env_over_defaults() {
        let env = |k: &str| (k == "MCP_BIND").then(|| "0.0.0.0:9000".to_owned());
        let Command::Serve(c) = parse_command(args(&[]), env).unwrap() else { panic!() };
        assert_eq!(c.bind, "0.0.0.0:9000".parse().unwrap());
        let Command::Serve(c) = parse_command(args(&["--bind", "127.0.0.1:1", "--path=/x"]), env).unwrap() else {
            panic!()
        };
        assert_eq!((c.bind.port(), c.path.as_str()), (1, "/x"));
        assert!(matches!(
            parse_command(args(&["healthcheck"]), |_| None),
            Ok(Command::Healthcheck(_, Probe::Liveness))
        ));
        let deep = parse_command(args(&["healthcheck", "--deep", "--path", "/x"]), |_| None);
        assert!(matches!(deep, Ok(Command::Healthcheck(c, Probe::Deep)) if c.path == "/x"));
        // `--deep` only qualifies `healthcheck`.
        assert!(matches!(parse_command(args(&["--deep"]), |_| None), Err(ConfigError::UnknownArgument(_))));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(matches!(parse_command(args(&["--bind", "nope"]), |_| None), Err(ConfigError::Invalid { .. })));
        assert!(matches!(parse_command(args(&["--bind"]), |_| None), Err(ConfigError::MissingValue(_))));
        assert!(matches!(parse_command(args(&["--frob"]), |_| None), Err(ConfigError::UnknownArgument(_))));
        let env = |k: &str| (k == "MCP_DRAIN_TIMEOUT_SECS").then(|| "soon".to_owned());
        assert!(parse_command(args(&[]), env).is_err());
        assert!(parse_command(args(&["--header-timeout", "0"]), |_| None).is_err());
        assert!(parse_command(args(&["--max-connections", "0"]), |_| None).is_err());
        let env = |k: &str| (k == "MCP_MAX_CONNECTIONS").then(|| "12".to_owned());
        let Command::Serve(c) = parse_command(args(&["--header-timeout=5"]), env).unwrap() else { panic!() };
        assert_eq!((c.header_timeout, c.max_connections), (Duration::from_secs(5), 12));
    }

    #[test]
    fn metrics_are_on_by_default_and_may_move_or_stop() {
        let Command::Serve(c) = parse_command(args(&[]), |_| None).unwrap() else { panic!() };
        assert_eq!((c.metrics, c.metrics_bind), (true, None));
        let env = |k: &str| match k {
            "MCP_METRICS" => Some("off".to_owned()),
            "MCP_METRICS_BIND" => Some("0.0.0.0:9090".to_owned()),
            _ => None,
        };
        let Command::Serve(c) = parse_command(args(&[]), env).unwrap() else { panic!() };
        assert_eq!((c.metrics, c.metrics_bind), (false, Some("0.0.0.0:9090".parse().unwrap())));
        let bad = |k: &str| (k == "MCP_METRICS").then(|| "maybe".to_owned());
        assert!(matches!(parse_command(args(&[]), bad), Err(ConfigError::Invalid { name: "MCP_METRICS", .. })));
        let bad = |k: &str| (k == "MCP_METRICS_BIND").then(|| ":9090".to_owned());
        assert!(matches!(parse_command(args(&[]), bad), Err(ConfigError::Invalid { name: "MCP_METRICS_BIND", .. })));
    }

    #[test]
    fn a_bad_state_key_fails_without_showing_it() {
        let bind = "127.0.0.1:1".parse().unwrap();
        let env = |k: &str| (k == "MCP_REQUEST_STATE_KEY").then(|| "c2hvcnQtc2VjcmV0".to_owned());
        let err = apply_endpoint_env(EndpointConfig::default(), bind, env).unwrap_err();
        assert!(err.to_string().contains("MCP_REQUEST_STATE_KEY") && !err.to_string().contains("c2hvcnQtc2VjcmV0"));
        let good = |k: &str| (k == "MCP_REQUEST_STATE_KEY").then(|| "A".repeat(44));
        assert!(apply_endpoint_env(EndpointConfig::default(), bind, good).is_ok());
    }
}
