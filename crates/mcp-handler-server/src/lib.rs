//! # mcp-handler-server
//!
//! The container shell: serves an [`McpService`] over HTTP/1.1 and h2c with
//! hyper, next to `GET /healthz` (liveness), `GET /readyz` (readiness) and
//! `GET /metrics` (Prometheus), and drains gracefully on SIGTERM/SIGINT.
//! This is the only crate of the workspace that opens sockets or handles
//! signals.
//!
//! ```no_run
//! use mcp_handler_core::{Router, Tool};
//! use mcp_handler_server::Server;
//!
//! # async fn main_() -> std::process::ExitCode {
//! let router = Router::builder("hello", "1.0.0")
//!     .tool(Tool::builder("hi").description("Says hi").handler(|| async { "hi" }))
//!     .build()
//!     .expect("router");
//! Server::new(router).run().await
//! # }
//! ```

mod app;
mod config;
mod conn;
mod logging;
mod metrics;
mod probe;
mod readiness;
mod scrape;
mod serve;
mod watch;

use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use mcp_handler_core::{EndpointConfig, HostPolicy, McpService, Router};
use tokio::net::TcpListener;

pub use config::{Command, ConfigError, ServerConfig, USAGE, apply_endpoint_env, parse_command};
pub use logging::init_logging;
pub use metrics::SecretReport;
pub use probe::{DeepProbe, Probe, deep_probe, probe};
pub use readiness::Readiness;
pub use serve::DrainOutcome;

/// Start-up work that may adjust the endpoint (load secrets, set the
/// request-state key from one).
type Init = Box<
    dyn FnOnce(EndpointConfig) -> BoxFuture<'static, Result<EndpointConfig, Box<dyn std::error::Error + Send + Sync>>>
        + Send,
>;

/// Finds the `Authorization` value `healthcheck --deep` sends.
type ProbeCredential = Box<
    dyn FnOnce() -> BoxFuture<'static, Result<Option<http::HeaderValue>, Box<dyn std::error::Error + Send + Sync>>>
        + Send,
>;

/// A container server for one router.
#[must_use]
pub struct Server {
    router: Router,
    endpoint: EndpointConfig,
    readiness: Readiness,
    init: Vec<(String, Init)>,
    probe_credential: Option<ProbeCredential>,
    secret_reports: Option<metrics::SecretReports>,
    usage: std::borrow::Cow<'static, str>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("router", &self.router)
            .field("endpoint", &self.endpoint)
            .field("readiness", &self.readiness)
            .field("init", &self.init.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>())
            .field("probe_credential", &self.probe_credential.is_some())
            .field("secret_reports", &self.secret_reports.is_some())
            .finish()
    }
}

impl Server {
    /// A server for `router` with the default endpoint configuration.
    pub fn new(router: Router) -> Self {
        Self {
            router,
            endpoint: EndpointConfig::default(),
            readiness: Readiness::default(),
            init: Vec::new(),
            probe_credential: None,
            secret_reports: None,
            usage: USAGE.into(),
        }
    }

    /// How `healthcheck --deep` (run as a separate process, beside the
    /// server, with the same environment) finds the credential the endpoint
    /// requires: an `Authorization` header value, or `None` when it needs
    /// none. Without it the probe sends no credential.
    pub fn with_healthcheck_credential<F, Fut>(mut self, find: F) -> Self
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<Option<http::HeaderValue>, Box<dyn std::error::Error + Send + Sync>>>
            + Send
            + 'static,
    {
        self.probe_credential = Some(Box::new(move || Box::pin(find())));
        self
    }

    /// Work done by [`run`](Self::run) before it listens (after flags,
    /// environment and logging): load secrets, warm clients. It receives
    /// the endpoint configuration and returns it, possibly adjusted. A
    /// failure is logged naming `name` and the process exits 1 without
    /// listening. (`serve` does not run it: its caller did the start-up.)
    pub fn with_init<F, Fut>(mut self, name: impl Into<String>, work: F) -> Self
    where
        F: FnOnce(EndpointConfig) -> Fut + Send + 'static,
        Fut: Future<Output = Result<EndpointConfig, Box<dyn std::error::Error + Send + Sync>>> + Send + 'static,
    {
        self.init.push((name.into(), Box::new(move |e| Box::pin(work(e)))));
        self
    }

    /// The text `--help` prints, and bad flags are followed by (default:
    /// [`USAGE`], the commands and flags). `mcp_handler::run` adds every
    /// environment variable the program reads.
    pub fn with_usage(mut self, usage: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        self.usage = usage.into();
        self
    }

    /// Where the metrics read each secret's refreshes and freshness
    /// (`mcp_secret_*`), at every scrape. `mcp_handler::run` wires the
    /// program's secrets here; this crate knows no secret store.
    pub fn with_secret_reports<F>(mut self, reports: F) -> Self
    where
        F: Fn() -> Vec<SecretReport> + Send + Sync + 'static,
    {
        self.secret_reports = Some(Arc::new(reports));
        self
    }

    /// Sets the endpoint configuration (sessions, limits, host policy...).
    pub fn with_endpoint_config(mut self, endpoint: EndpointConfig) -> Self {
        self.endpoint = endpoint;
        self
    }

    /// Adds a readiness check: `/readyz` answers 503 while it returns false.
    pub fn with_readiness_check<F, Fut>(mut self, name: &str, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        self.readiness.add_check(name, check);
        self
    }

    /// Serves on `listener` until `shutdown` completes, then drains. The
    /// endpoint configuration is used as given (no environment). With
    /// `config.metrics_bind` the metrics listen there; an address that
    /// cannot be bound is logged and the metrics are then not served
    /// (`run` exits 1 instead).
    pub async fn serve(
        self,
        listener: TcpListener,
        config: &ServerConfig,
        shutdown: impl Future<Output = ()>,
    ) -> DrainOutcome {
        let scrape = match config.metrics_bind.filter(|_| config.metrics) {
            Some(addr) => match TcpListener::bind(addr).await {
                Ok(l) => Some(l),
                Err(e) => {
                    tracing::error!(bind = %addr, error = %e, "cannot listen for metrics; serving none");
                    None
                }
            },
            None => None,
        };
        let endpoint = self.endpoint.clone();
        let make = |router, endpoint| Ok::<_, std::convert::Infallible>(McpService::new(router, endpoint));
        let app = match self.into_app(make, endpoint, config, false) {
            Ok(app) => app,
            Err(never) => match never {},
        };
        serve::serve(listener, scrape, app, shutdown, config).await
    }

    /// The request router: the endpoint over `endpoint` (with the exchange
    /// records the access log or the metrics read), the readiness checks,
    /// and the metrics when on.
    fn into_app<E>(
        self,
        make: impl FnOnce(Router, EndpointConfig) -> Result<McpService, E>,
        endpoint: EndpointConfig,
        config: &ServerConfig,
        traced: bool,
    ) -> Result<app::App, E> {
        // The log and the spans need every text; the metrics only what
        // counting needs.
        let full = config.access_log || traced;
        let endpoint = endpoint.with_exchange_records(full).with_exchange_counts(config.metrics);
        let mcp = make(self.router, endpoint)?;
        let metrics = config.metrics.then(|| Arc::new(metrics::Metrics::new(&mcp, self.secret_reports)));
        Ok(app::App {
            mcp,
            path: Arc::from(config.path.as_str()),
            readiness: self.readiness,
            access_log: config.access_log,
            traced,
            scrape_here: metrics.is_some() && config.metrics_bind.is_none(),
            metrics,
        })
    }

    /// The whole program: parses flags and environment, installs logging,
    /// answers `healthcheck` and `--help`, binds, serves until SIGTERM or
    /// SIGINT, drains, and returns the exit code (0 after a requested stop,
    /// 1 when it cannot listen, 2 on bad flags).
    pub async fn run(self) -> ExitCode {
        let command = parse_command(std::env::args().skip(1), |k| std::env::var(k).ok());
        self.run_command(command).await
    }

    /// [`run`](Self::run) with an already parsed command.
    pub async fn run_command(self, command: Result<Command, ConfigError>) -> ExitCode {
        let mut config = match command {
            Ok(Command::Serve(c)) => c,
            Ok(Command::Help) => {
                print!("{}", self.usage);
                return ExitCode::SUCCESS;
            }
            Ok(Command::Healthcheck(c, kind)) => {
                let outcome = match kind {
                    Probe::Deep => self.deep_healthcheck(&c).await,
                    _ => probe(c.bind, Duration::from_secs(3)).await,
                };
                return match outcome {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("healthcheck failed: {e}");
                        ExitCode::FAILURE
                    }
                };
            }
            Err(e) => {
                eprintln!("error: {e}\n\n{}", self.usage);
                return ExitCode::from(2);
            }
        };
        #[cfg(feature = "otel")]
        let otel = logging::init_traced();
        #[cfg(not(feature = "otel"))]
        init_logging();
        // One write per burst of lines rather than per request, until
        // this returns (the rest is written then).
        let _lines = mcp_handler_core::logging::LineBatch::start();
        #[cfg(feature = "otel")]
        let traced = otel.is_some();
        #[cfg(not(feature = "otel"))]
        let traced = false;
        // The filter is fixed once installed: a log that would drop every
        // access line costs nothing per request.
        config.access_log &= tracing::enabled!(target: mcp_handler_core::access::TARGET, tracing::Level::INFO);
        let mut endpoint = match apply_endpoint_env(self.endpoint.clone(), config.bind, |k| std::env::var(k).ok()) {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(error = %e, "invalid configuration");
                return ExitCode::from(2);
            }
        };
        let mut this = self;
        for (name, work) in std::mem::take(&mut this.init) {
            endpoint = match work(endpoint).await {
                Ok(e) => e,
                Err(e) => {
                    tracing::error!(step = %name, error = %e, "start-up failed");
                    return ExitCode::FAILURE;
                }
            };
        }
        if !endpoint.has_request_state_key() {
            tracing::info!(
                "MCP_REQUEST_STATE_KEY not set: a random key seals input-required state, so a retry must reach this process"
            );
        }
        let listener = match TcpListener::bind(config.bind).await {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(bind = %config.bind, error = %e, "cannot listen");
                return ExitCode::FAILURE;
            }
        };
        let scrape = match config.metrics_bind.filter(|_| config.metrics) {
            Some(addr) => match TcpListener::bind(addr).await {
                Ok(l) => Some(l),
                Err(e) => {
                    tracing::error!(bind = %addr, error = %e, "cannot listen for metrics (MCP_METRICS_BIND)");
                    return ExitCode::FAILURE;
                }
            },
            None => None,
        };
        let local = listener.local_addr().map_or_else(|_| config.bind.to_string(), |a| a.to_string());
        let metrics_at = match (&scrape, config.metrics) {
            (Some(l), _) => l.local_addr().map(|a| format!("http://{a}/metrics")).ok(),
            (None, true) => Some(format!("http://{local}/metrics")),
            (None, false) => None,
        };
        tracing::info!(
            server = %this.router.server_info().name,
            auth = endpoint.auth_enabled(),
            url = %format!("http://{local}{}", config.path),
            metrics = metrics_at.as_deref().unwrap_or("off"),
            "MCP server listening"
        );
        #[cfg(feature = "otel")]
        if traced {
            endpoint = endpoint.with_trace_context_hook(mcp_handler_otel::hook());
        }
        let app = match this.into_app(McpService::try_new, endpoint, &config, traced) {
            Ok(app) => app,
            Err(e) => {
                tracing::error!(error = %e, "cannot start the MCP endpoint");
                return ExitCode::FAILURE;
            }
        };
        // A drain that hit its deadline was still an orderly, requested
        // stop (it is logged as a warning); exit 0 so orchestrators do not
        // count it as a crash.
        let _outcome = serve::serve(listener, scrape, app, serve::shutdown_signal(), &config).await;
        #[cfg(feature = "otel")]
        if let Some(otel) = otel {
            otel.shutdown(Duration::from_secs(5)).await;
        }
        ExitCode::SUCCESS
    }

    /// `healthcheck --deep`: the probe a client would send, to the address,
    /// path and an allowed `Host` of the configured server, with its
    /// credential. Within 4 s, under the 5 s that ECS, Docker and
    /// Kubernetes give a health command by default.
    async fn deep_healthcheck(self, config: &ServerConfig) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(4);
        let endpoint = apply_endpoint_env(self.endpoint, config.bind, |k| std::env::var(k).ok())
            .map_err(|e| format!("invalid configuration: {e}"))?;
        let host = match endpoint.host_policy() {
            HostPolicy::List(hosts) if !hosts.is_empty() => hosts[0].clone(),
            _ => probe::loopback_authority(config.bind),
        };
        let authorization = match self.probe_credential {
            Some(find) => tokio::time::timeout_at(deadline, find())
                .await
                .map_err(|_| "the auth token did not load within the probe's time".to_owned())?
                .map_err(|e| format!("cannot load the auth token: {e}"))?,
            None => None,
        };
        let p = DeepProbe { addr: config.bind, path: config.path.clone(), host, authorization };
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        deep_probe(&p, left).await
    }
}
