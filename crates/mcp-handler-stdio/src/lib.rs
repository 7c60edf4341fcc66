//! # mcp-handler-stdio
//!
//! The stdio shell: newline-delimited JSON-RPC on stdin and stdout, the way
//! desktop hosts (Claude Desktop, IDEs) launch a local MCP server. It speaks
//! the 2025 generation (2024-11-05 … 2025-11-25), with server-to-client
//! requests (elicitation, sampling, roots) over the same pipe; logs go to
//! stderr; end of input is a clean exit.
//!
//! ```no_run
//! use mcp_handler_core::{Router, Tool};
//! use mcp_handler_stdio::StdioServer;
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> std::process::ExitCode {
//!     let router = Router::builder("hello", "1.0.0")
//!         .tool(Tool::builder("ping").description("Answers pong")
//!             .handler(|| async { "pong" }))
//!         .build()
//!         .expect("valid router");
//!     StdioServer::new(router).run().await
//! }
//! ```
//!
//! It is a thin shell over the core's [`McpService`], like the hyper and
//! Lambda shells: each line is handed to the endpoint as a POST of the
//! session that the client's `initialize` opened, and each message the
//! endpoint answers (a JSON body, or the events of an SSE stream) is written
//! as a line. No protocol rule is implemented here. Only this crate touches
//! stdin and stdout.

use std::ffi::OsString;
use std::sync::Arc;
use std::time::Duration;

use mcp_handler_core::{
    EndpointConfig, HostPolicy, InMemorySessionStore, McpService, RandomUnavailable, ResponseMode, Router,
};
use tokio::io::{AsyncBufRead, AsyncWrite};

mod bridge;
mod lines;
mod logging;
mod serve;
mod sse;

pub use logging::init_logging;

/// Why serving over stdio stopped other than at end of input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StdioError {
    /// The endpoint requires a credential, which a pipe cannot present.
    #[error("the endpoint requires a credential (with_auth), which stdio cannot carry; the pipe is the trust boundary")]
    AuthConfigured,
    /// Reading stdin failed.
    #[error("cannot read stdin: {0}")]
    Read(#[source] std::io::Error),
    /// Writing stdout failed (the host closed it).
    #[error("cannot write stdout: {0}")]
    Write(#[source] std::io::Error),
    /// The OS random source failed, so the endpoint's start-up secrets
    /// cannot be made.
    #[error("cannot start the MCP endpoint: {0}")]
    Random(#[from] RandomUnavailable),
}

/// A router served over stdio. Unless set otherwise: the endpoint's
/// default configuration, and 5 seconds for requests still running at end
/// of input.
#[derive(Debug)]
pub struct StdioServer {
    router: Router,
    endpoint: EndpointConfig,
    drain: Duration,
}

impl StdioServer {
    /// Serves `router`.
    pub fn new(router: Router) -> Self {
        Self { router, endpoint: EndpointConfig::default(), drain: Duration::from_secs(5) }
    }

    /// The endpoint configuration (body limit, client request timeout, back
    /// channel...). Whatever it says, the shell turns sessions on (in
    /// memory, without idle expiry: one process serves one client),
    /// streams responses, and accepts the host name it gives itself.
    #[must_use]
    pub fn with_endpoint_config(mut self, endpoint: EndpointConfig) -> Self {
        self.endpoint = endpoint;
        self
    }

    /// How long requests still running at end of input may take to finish
    /// and be written before they are abandoned.
    #[must_use]
    pub fn with_drain_timeout(mut self, drain: Duration) -> Self {
        self.drain = drain;
        self
    }

    /// Serves the process's stdin and stdout with logs on stderr: exit
    /// status 0 at end of input, 1 on an error (written to stderr).
    pub async fn run(self) -> std::process::ExitCode {
        init_logging();
        tracing::info!("serving MCP over stdio");
        let input = tokio::io::BufReader::new(tokio::io::stdin());
        match self.serve(input, tokio::io::stdout()).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %e, "stdio server stopped");
                std::process::ExitCode::FAILURE
            }
        }
    }

    /// Serves one client reading `input` and writing `output` until
    /// `input` ends.
    pub async fn serve<R, W>(self, input: R, output: W) -> Result<(), StdioError>
    where
        R: AsyncBufRead + Unpin,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        if self.endpoint.auth_enabled() {
            return Err(StdioError::AuthConfigured);
        }
        let max_line = self.endpoint.max_body_bytes();
        let sessions = InMemorySessionStore::new().with_idle_ttl(Duration::MAX).with_max_sessions(16);
        let endpoint = self
            .endpoint
            .with_session_store(Arc::new(sessions))
            .with_response_mode(ResponseMode::Streaming)
            .with_host_policy(HostPolicy::Localhost);
        let service = McpService::try_new(self.router, endpoint)?;
        serve::serve(service, input, output, max_line, self.drain).await
    }
}

/// Whether the process asks for stdio: the flag `--stdio` among `args`, or
/// `MCP_TRANSPORT=stdio` in `env`.
pub fn requested_by(args: impl IntoIterator<Item = OsString>, env: impl Fn(&str) -> Option<String>) -> bool {
    args.into_iter().any(|a| a == "--stdio")
        || env("MCP_TRANSPORT").is_some_and(|v| v.trim().eq_ignore_ascii_case("stdio"))
}

/// [`requested_by`] for this process's arguments and environment.
pub fn requested() -> bool {
    requested_by(std::env::args_os().skip(1), |k| std::env::var(k).ok())
}
