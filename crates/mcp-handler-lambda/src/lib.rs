//! # mcp-handler-lambda
//!
//! The AWS Lambda shell: hands the core's [`McpService`] to `lambda_http`,
//! buffered (API Gateway REST and HTTP APIs, ALB, Function URLs in
//! `BUFFERED` mode) or response-streamed (Function URLs in
//! `RESPONSE_STREAM` mode, API Gateway REST streaming). The only crate of
//! the workspace that knows Lambda.
//!
//! On Lambda the endpoint is stateless: no sessions (a sandbox's memory is
//! not shared with the next invocation's sandbox), no 2025 server-to-client
//! requests (the client's answer may reach another sandbox), while 2026
//! input-required results work unchanged (their state travels with the
//! client). Handlers see the invocation's request id, deadline and
//! authorizer context through `ctx.invocation()` / `ctx.deadline()`.
//!
//! ```no_run
//! use mcp_handler_core::{EndpointConfig, Router, Tool};
//!
//! # async fn main_() -> Result<(), mcp_handler_lambda::Error> {
//! let router = Router::builder("hello", "1.0.0")
//!     .tool(Tool::builder("hi").description("Says hi").handler(|| async { "hi" }))
//!     .build()
//!     .expect("router");
//! mcp_handler_lambda::LambdaApp::new(router).run().await
//! # }
//! ```

mod config;
mod emf;
mod runtime;
mod service;
mod snapstart;

use std::future::Future;

use futures_util::future::BoxFuture;
use mcp_handler_core::{EndpointConfig, McpService, ResponseMode, Router};

pub use config::{ConfigError, DEFAULT_NAMESPACE, LambdaConfig};
pub use emf::EmfSink;
pub use lambda_http::{Error, SnapStartResource};
pub use mcp_handler_core::EnvConfigError;
pub use runtime::{Flavor, build_runtime, flavor};
pub use service::LambdaService;

/// Init-phase work that may adjust the endpoint configuration.
type Init = Box<dyn FnOnce(EndpointConfig) -> BoxFuture<'static, Result<EndpointConfig, Error>> + Send>;

pub use service::BeforeInvocation;

/// A Lambda function serving one router.
#[must_use]
pub struct LambdaApp {
    router: Router,
    endpoint: EndpointConfig,
    config: Option<LambdaConfig>,
    prefetch: Vec<(String, Init)>,
    before: Vec<BeforeInvocation>,
    snapshot: Vec<snapstart::Hooks>,
    snapstart_resources: Vec<std::sync::Arc<dyn SnapStartResource>>,
    emf_sink: Option<EmfSink>,
    #[cfg(feature = "otel")]
    otel: Option<mcp_handler_otel::Otel>,
    /// When `run` began: the init phase's start, for the cold start's figure.
    init_started: Option<std::time::Instant>,
}

impl std::fmt::Debug for LambdaApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LambdaApp")
            .field("router", &self.router)
            .field("config", &self.config)
            .field("prefetch", &self.prefetch.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>())
            .field("before_invocation", &self.before.len())
            .field("snapshot_hooks", &self.snapshot.iter().map(|h| h.name.as_str()).collect::<Vec<_>>())
            .finish()
    }
}

impl LambdaApp {
    /// A function for `router`, configured from the environment at `run`.
    pub fn new(router: Router) -> Self {
        Self {
            router,
            endpoint: EndpointConfig::default(),
            config: None,
            prefetch: Vec::new(),
            before: Vec::new(),
            snapshot: Vec::new(),
            snapstart_resources: Vec::new(),
            emf_sink: None,
            #[cfg(feature = "otel")]
            otel: None,
            init_started: None,
        }
    }

    /// Endpoint settings to start from (limits, origins, the request-state
    /// key); Lambda's own rules are applied on top (see [`lambda_endpoint`]).
    pub fn with_endpoint_config(mut self, endpoint: EndpointConfig) -> Self {
        self.endpoint = endpoint;
        self
    }

    /// Lambda settings instead of reading `MCP_LAMBDA_RESPONSE_MODE`.
    pub fn with_config(mut self, config: LambdaConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// Work done during the init phase, before the first invocation: load
    /// secrets, build clients, warm caches. A failure stops the function
    /// with an init error naming `name`.
    pub fn with_prefetch<F>(mut self, name: impl Into<String>, work: F) -> Self
    where
        F: Future<Output = Result<(), Error>> + Send + 'static,
    {
        self.prefetch.push((name.into(), Box::new(move |e| Box::pin(async move { work.await.map(|()| e) }))));
        self
    }

    /// Init-phase work that receives the endpoint configuration and returns
    /// it, possibly adjusted (a request-state key loaded from a secret). Runs
    /// after the environment is applied, in the order added with
    /// [`with_prefetch`](Self::with_prefetch).
    pub fn with_init<F, Fut>(mut self, name: impl Into<String>, work: F) -> Self
    where
        F: FnOnce(EndpointConfig) -> Fut + Send + 'static,
        Fut: Future<Output = Result<EndpointConfig, Error>> + Send + 'static,
    {
        self.prefetch.push((name.into(), Box::new(move |e| Box::pin(work(e)))));
        self
    }

    /// Work before an invocation reaches the endpoint, for what can only
    /// happen during invocations (the Parameters and Secrets extension
    /// answers only then) or must be refreshed in a sandbox whose
    /// background tasks are frozen between invocations. `check` runs on
    /// every invocation and must be cheap: it returns `None` when there is
    /// nothing to do, or the work. If the work fails the invocation is
    /// answered 503 with its message (which must not contain secrets), and
    /// the next invocation tries again.
    pub fn with_before_invocation<F>(mut self, check: F) -> Self
    where
        F: Fn() -> Option<BoxFuture<'static, Result<(), String>>> + Send + Sync + 'static,
    {
        self.before.push(std::sync::Arc::new(check));
        self
    }

    /// Work around a Lambda SnapStart snapshot, named `name` in errors:
    /// `before` runs once, after init and before the snapshot (drop what
    /// must not be shared by every restored environment: cached secrets,
    /// connections, credentials, ids meant to be unique); `after` runs in
    /// each restored environment before its first invocation, with the
    /// endpoint (reload, reconnect, regenerate). Hooks run only with
    /// SnapStart (`AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`): `before`
    /// in the reverse order of adding, `after` in that order, after the
    /// shell has regenerated the request-state key it generated. A failure
    /// of either ends the environment (Lambda reports it as an init or a
    /// restore error), so a hook whose work may be retried later (a secret
    /// store that is down) should log and succeed instead.
    pub fn with_snapshot_hooks<B, BF, A, AF>(mut self, name: impl Into<String>, before: B, after: A) -> Self
    where
        B: Fn() -> BF + Send + Sync + 'static,
        BF: Future<Output = Result<(), Error>> + Send + 'static,
        A: Fn(McpService) -> AF + Send + Sync + 'static,
        AF: Future<Output = Result<(), Error>> + Send + 'static,
    {
        self.snapshot.push(snapstart::Hooks {
            name: name.into(),
            before: std::sync::Arc::new(move || Box::pin(before())),
            after: std::sync::Arc::new(move |mcp| Box::pin(after(mcp))),
        });
        self
    }

    /// A `lambda_runtime` SnapStart resource of your own, registered after
    /// the shell's (so its `before_snapshot` runs first and its
    /// `after_restore` last).
    pub fn with_snapstart_resource(mut self, resource: std::sync::Arc<dyn SnapStartResource>) -> Self {
        self.snapstart_resources.push(resource);
        self
    }

    /// Exports a SERVER span per invocation through `otel` (feature
    /// `otel`); [`run`](Self::run) sets it up from `OTEL_*` itself.
    #[cfg(feature = "otel")]
    pub fn with_otel(mut self, otel: mcp_handler_otel::Otel) -> Self {
        self.otel = Some(otel);
        self
    }

    /// Where the EMF metric lines go instead of stdout (tests, custom
    /// log shipping).
    pub fn with_emf_sink(mut self, sink: EmfSink) -> Self {
        self.emf_sink = Some(sink);
        self
    }

    /// The service the runtime will call (for tests and custom runtimes).
    pub fn into_service(self) -> Result<LambdaService, ConfigError> {
        let config = match self.config {
            Some(c) => c,
            None => LambdaConfig::from_env(|k| std::env::var(k).ok())?,
        };
        // Records and lines only where the log would keep them.
        let access_log =
            config.access_log && tracing::enabled!(target: mcp_handler_core::access::TARGET, tracing::Level::INFO);
        let emf = config.metrics_namespace.as_deref().map(|namespace| {
            let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "unknown".into());
            let init = self.init_started.map(|t| t.elapsed());
            emf::Emf::new(namespace, &function, self.emf_sink, init)
        });
        #[cfg(feature = "otel")]
        let otel = self.otel;
        #[cfg(feature = "otel")]
        let traced = otel.is_some();
        #[cfg(not(feature = "otel"))]
        let traced = false;
        let records = access_log || emf.is_some() || traced;
        #[allow(unused_mut)]
        let mut endpoint = lambda_endpoint(self.endpoint, &config).with_exchange_records(records);
        #[cfg(feature = "otel")]
        if traced {
            endpoint = endpoint.with_trace_context_hook(mcp_handler_otel::hook());
        }
        let service = LambdaService::new(McpService::try_new(self.router, endpoint)?, self.before, access_log, emf);
        #[cfg(feature = "otel")]
        let service = service.with_otel(otel);
        Ok(service)
    }

    /// Everything [`run`](Self::run) does before serving: reads the
    /// environment, runs the init work, and returns the service with the
    /// response mode it was configured for (for custom runtimes and tests).
    pub async fn into_ready_service(mut self) -> Result<(LambdaService, ResponseMode), Error> {
        let config = match self.config.clone() {
            Some(c) => c,
            None => LambdaConfig::from_env(|k| std::env::var(k).ok())?,
        };
        self.endpoint = self.endpoint.with_env(|k| std::env::var(k).ok())?;
        for (name, work) in std::mem::take(&mut self.prefetch) {
            self.endpoint = work(self.endpoint).await.map_err(|e| format!("init: {name} failed: {e}"))?;
        }
        if !self.endpoint.has_request_state_key() {
            tracing::warn!(
                "MCP_REQUEST_STATE_KEY is not set: each sandbox generates its own key, so a 2026 input-required \
                 retry that reaches another sandbox is refused; configure one key for the function"
            );
        }
        let mode = config.response_mode;
        Ok((self.with_config(config).into_service()?, mode))
    }

    /// Runs the init work, then serves invocations until the runtime
    /// stops the sandbox. Must run inside Lambda (`AWS_LAMBDA_RUNTIME_API`).
    pub async fn run(mut self) -> Result<(), Error> {
        self.init_started = Some(std::time::Instant::now());
        #[cfg(feature = "otel")]
        {
            self.otel = init_logging_traced();
        }
        #[cfg(not(feature = "otel"))]
        init_logging();
        let hooks = std::mem::take(&mut self.snapshot);
        let mut resources = std::mem::take(&mut self.snapstart_resources);
        let (service, mode) = self.into_ready_service().await?;
        let streaming = mode == ResponseMode::Streaming;
        let snapstart = snapstart::enabled();
        tracing::info!(
            streaming,
            auth = service.mcp().config().auth_enabled(),
            snapstart,
            state_key = service.mcp().generated_state_key_id(),
            "MCP server ready for invocations"
        );
        let shell = snapstart::Snapshot { mcp: service.mcp().clone(), emf: service.emf().cloned(), hooks };
        resources.insert(0, std::sync::Arc::new(shell));
        // `lambda_runtime` runs their hooks only with SnapStart, where the
        // loop is never restarted (below): one registration runs them once.
        // The runtime loop ends only on an error talking to the Runtime API
        // (a dropped connection, say). Restarting it keeps the sandbox
        // serving; failing repeatedly and at once means the API is gone.
        let concurrent = service.concurrent();
        let mut quick_failures = 0;
        loop {
            let started = std::time::Instant::now();
            let served_before = service.served();
            // With `AWS_LAMBDA_MAX_CONCURRENCY` > 1 (Lambda Managed
            // Instances) the concurrent entry points run up to that many
            // invocations at once in this process, each with its facts in its
            // own request. Unset or 1, classic Lambda keeps the sequential
            // entry points exactly as before (the concurrent ones' fallback
            // lost its Runtime API connection far more often on the emulator).
            let result = match (streaming, concurrent) {
                (true, true) => {
                    run_loop!(lambda_http::streaming_runtime_concurrent(service.clone()), &resources, run_concurrent)
                }
                (false, true) => {
                    run_loop!(lambda_http::runtime_concurrent(service.clone()), &resources, run_concurrent)
                }
                (true, false) => run_loop!(lambda_http::streaming_runtime(service.clone()), &resources, run),
                (false, false) => run_loop!(lambda_http::runtime(service.clone()), &resources, run),
            };
            let Err(e) = result else { return Ok(()) };
            if snapstart {
                // A new loop would call the restore handshake again, which
                // only a snapshot's init may: end, and Lambda starts afresh.
                tracing::error!(error = %e, "Lambda runtime loop ended; with SnapStart the environment ends with it");
                return Err(e);
            }
            // A loop that served invocations before it ended found the API
            // there (the emulator drops its connection after some streamed
            // answers, a few times a second under a fast client).
            let quick = started.elapsed() < std::time::Duration::from_secs(1);
            let served = service.served() > served_before;
            quick_failures = if quick && !served { quick_failures + 1 } else { 1 };
            if quick_failures >= 5 {
                tracing::error!(error = %e, "the Lambda Runtime API keeps failing; giving up");
                return Err(e);
            }
            tracing::warn!(error = %e, attempt = quick_failures, "Lambda runtime loop ended; restarting it");
            tokio::time::sleep(std::time::Duration::from_millis(100 * quick_failures)).await;
        }
    }
}

/// Runs one `lambda_runtime` loop as `lambda_http::run` and its siblings
/// do (with their tracing layer), with `resources` registered for SnapStart.
macro_rules! run_loop {
    ($runtime:expr, $resources:expr, $run:ident) => {{
        let mut runtime = $runtime.layer(lambda_http::lambda_runtime::layers::TracingLayer::new());
        for r in $resources {
            runtime = runtime.register_snapstart_resource(r.clone());
        }
        runtime.$run().await
    }};
}
use run_loop;

/// Lambda's rules on top of `base`: no sessions, no 2025 back channel, the
/// configured response mode, and any `Host` (the platform fixes it; the
/// Origin check stays).
pub fn lambda_endpoint(base: EndpointConfig, config: &LambdaConfig) -> EndpointConfig {
    let mut e = base
        .with_response_mode(config.response_mode)
        .with_host_policy(mcp_handler_core::HostPolicy::Any)
        .without_back_channel()
        .without_sessions();
    if config.response_mode == ResponseMode::Buffered {
        // A buffered response cannot keep a stream open.
        e = e.with_keep_alive(None);
    }
    e
}

/// `AWS_LAMBDA_MAX_CONCURRENCY`: how many invocations Lambda Managed
/// Instances hand this sandbox at once (1 when unset or unreadable).
pub(crate) fn max_concurrency() -> u32 {
    std::env::var("AWS_LAMBDA_MAX_CONCURRENCY").ok().and_then(|v| v.trim().parse().ok()).unwrap_or(1)
}

/// Whether this process runs inside Lambda.
pub fn in_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
}

/// Lambda's logs: the level from `AWS_LAMBDA_LOG_LEVEL` (the function's
/// advanced logging controls) or `RUST_LOG`, JSON when
/// `AWS_LAMBDA_LOG_FORMAT` (or `MCP_LOG_FORMAT`) says so, no timestamps
/// (CloudWatch adds them) and no colours. A second call is a no-op.
pub fn init_logging() {
    mcp_handler_core::logging::install_logging(log_setup());
}

/// [`init_logging`] with the OpenTelemetry layer when the environment asks
/// for traces (`OTEL_EXPORTER_OTLP_ENDPOINT`); the exporter.
#[cfg(feature = "otel")]
pub fn init_logging_traced() -> Option<mcp_handler_otel::Otel> {
    let otel = mcp_handler_otel::Otel::from_env().unwrap_or_else(|e| {
        eprintln!("warning: {e}; traces are off");
        None
    });
    mcp_handler_core::logging::install_logging_with(log_setup(), otel.as_ref().map(mcp_handler_otel::Otel::layer));
    otel
}

fn log_setup() -> mcp_handler_core::logging::LogSetup {
    use mcp_handler_core::logging::LogSetup;
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let json = ["AWS_LAMBDA_LOG_FORMAT", "MCP_LOG_FORMAT"]
        .iter()
        .any(|k| var(k).is_some_and(|v| v.eq_ignore_ascii_case("json")));
    LogSetup {
        filter: var("AWS_LAMBDA_LOG_LEVEL").or_else(|| var("RUST_LOG")),
        json,
        timestamps: false,
        audit: mcp_handler_core::logging::audit_from_env(),
    }
}
