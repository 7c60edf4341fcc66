//! # mcp-handler
//!
//! Serverless-first MCP servers: write tools, resources and prompts once,
//! ship the same binary as an AWS Lambda function or a container service.
//!
//! ```no_run
//! use mcp_handler::{Args, Router, Tool};
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct Add {
//!     /// First addend.
//!     a: f64,
//!     /// Second addend.
//!     b: f64,
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     let router = Router::builder("calculator", "1.0.0")
//!         .tool(Tool::builder("add").description("Adds two numbers")
//!             .handler(|Args(x): Args<Add>| async move { format!("{}", x.a + x.b) }))
//!         .tool(Tool::builder("ping").description("Answers pong")
//!             .handler(|| async { "pong" }))
//!         .build()
//!         .expect("valid router");
//!     mcp_handler::run(router)
//! }
//! ```
//!
//! ## Features
//!
//! | feature  | default | what it adds |
//! |----------|---------|--------------|
//! | `server` | yes     | [`run`] and [`server`]: the hyper container shell with health, readiness and graceful drain |
//! | `lambda` | yes     | [`lambda`]: the AWS Lambda shell; [`run`] starts it when `AWS_LAMBDA_RUNTIME_API` is set |
//! | `stdio`  | yes     | [`stdio`]: newline-delimited JSON-RPC on stdin/stdout for desktop hosts; [`run`] starts it with `--stdio` or `MCP_TRANSPORT=stdio` |
//! | `secrets` | yes    | [`secrets`]: env and file secrets; [`run`] loads, refreshes and reports them, and guards the endpoint with `MCP_SECRET_AUTH_TOKEN` |
//! | `aws-secrets` | no | `aws-sm:` (AWS Secrets Manager, via `aws-sdk-secretsmanager`) and `aws-ext:` (the Lambda extension) references |
//! | `otel` | no | OpenTelemetry traces over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (`mcp-handler-otel`; see the README's Traces section) |
//!
//! With the default features one binary is a Lambda function (deployed with
//! `cargo lambda deploy`), a container service and a local server a desktop
//! host launches over stdio, chosen at start.
//!
//! The core (protocol, router, the streamable-HTTP endpoint as a
//! `tower::Service`) is always present and re-exported at the crate root.

pub use mcp_handler_core::*;
/// The schema crate tool arguments derive `JsonSchema` from (add `schemars = "1"`
/// to your own manifest too: the derive refers to `::schemars`).
pub use schemars;

pub mod environment;
#[cfg(feature = "lambda")]
pub use mcp_handler_lambda as lambda;
/// Secrets from env vars, files, AWS Secrets Manager and the Lambda
/// extension (`mcp-handler-secrets`).
#[cfg(feature = "secrets")]
pub mod secrets;
#[cfg(feature = "server")]
pub use mcp_handler_server as server;
#[cfg(feature = "stdio")]
pub use mcp_handler_stdio as stdio;

/// Runs `router` as a complete program with the default endpoint
/// configuration: see [`run_with`].
#[cfg(any(feature = "server", feature = "lambda", feature = "stdio"))]
pub fn run(router: Router) -> std::process::ExitCode {
    run_with(router, EndpointConfig::default())
}

/// Runs `router` as a complete program. With `--stdio` or
/// `MCP_TRANSPORT=stdio` (feature `stdio`) it serves one client on stdin and
/// stdout until end of input (see `mcp_handler_stdio`). Inside AWS Lambda
/// (`AWS_LAMBDA_RUNTIME_API` set, feature `lambda`) it serves invocations
/// (see `mcp_handler_lambda`); elsewhere (feature `server`) it reads flags
/// and environment, listens, serves until SIGTERM/SIGINT and drains.
#[cfg(any(feature = "server", feature = "lambda", feature = "stdio"))]
pub fn run_with(router: Router, endpoint: EndpointConfig) -> std::process::ExitCode {
    // Asked for explicitly, so it wins over the Lambda environment.
    #[cfg(feature = "stdio")]
    let stdio = stdio::requested();
    #[cfg(not(feature = "stdio"))]
    let stdio = false;
    let runtime = match build_runtime(stdio) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    #[cfg(feature = "secrets")]
    let setup = match secrets::SecretsSetup::new(&router) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    #[cfg(feature = "stdio")]
    if stdio {
        #[cfg(feature = "secrets")]
        let setup = setup.clone();
        return runtime.block_on(async move {
            stdio::init_logging();
            #[cfg(feature = "secrets")]
            if let Err(e) = setup.stdio().await {
                tracing::error!(error = %e, "secrets could not be loaded");
                return std::process::ExitCode::FAILURE;
            }
            stdio::StdioServer::new(router).with_endpoint_config(endpoint).run().await
        });
    }
    #[cfg(feature = "lambda")]
    if lambda::in_lambda() {
        #[allow(unused_mut)]
        let mut app = lambda::LambdaApp::new(router).with_endpoint_config(endpoint);
        #[cfg(feature = "secrets")]
        {
            app = setup.clone().lambda(app);
        }
        return match runtime.block_on(app.run()) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    #[cfg(feature = "server")]
    {
        let usage = format!("{}\n{}", server::USAGE, environment::help_section());
        #[allow(unused_mut)]
        let mut server = server::Server::new(router).with_endpoint_config(endpoint).with_usage(usage);
        #[cfg(feature = "secrets")]
        {
            server = setup.server(server);
        }
        let code = runtime.block_on(server.run());
        // Drained: whatever is still spawned (a secrets refresher, an idle
        // connection's task) has nothing left to deliver, so the process
        // exits now rather than when the runtime's threads wind down.
        runtime.shutdown_timeout(std::time::Duration::from_millis(100));
        code
    }
    #[cfg(not(feature = "server"))]
    {
        #[cfg(feature = "secrets")]
        drop(setup);
        drop((router, endpoint));
        eprintln!(
            "error: not inside AWS Lambda (AWS_LAMBDA_RUNTIME_API is unset), stdio not asked for (--stdio), and the `server` feature is off"
        );
        std::process::ExitCode::FAILURE
    }
}

/// The runtime for the shell [`run_with`] picks (`stdio` when it was asked
/// for): inside Lambda the one the Lambda shell asks for (one thread for one
/// invocation at a time, see `mcp_handler_lambda::build_runtime`);
/// elsewhere worker threads.
#[cfg(any(feature = "server", feature = "lambda", feature = "stdio"))]
fn build_runtime(stdio: bool) -> std::io::Result<tokio::runtime::Runtime> {
    #[cfg(feature = "lambda")]
    if lambda::in_lambda() && !stdio {
        return lambda::build_runtime();
    }
    #[cfg(not(feature = "lambda"))]
    let _ = stdio;
    tokio::runtime::Builder::new_multi_thread().enable_all().build()
}

/// The README's code blocks, compiled as doctests so the front page
/// cannot drift from the API.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
