//! `bench-server`: this library's server shell serving the benchmark's `echo`
//! tool — the same tool, schema and answer as every peer in `benches/peers/`.
//!
//! It is an ordinary `mcp_handler::run` program: it listens on `MCP_BIND`
//! (the suite sets `127.0.0.1:PORT`) and, started with `AWS_LAMBDA_RUNTIME_API`
//! set, serves Lambda invocations instead (the Lambda benchmark runs this same
//! binary). `BENCH_SESSIONS=1` turns on in-memory sessions for the `session`
//! scenario; sessions are off otherwise, as in the library's default.

use std::sync::Arc;

use mcp_handler::{EndpointConfig, InMemorySessionStore, RequestContext, Router, Tool};
use mcp_handler_benches::payload;
use serde::Deserialize;

/// Built static (musl) as the container image builds its binaries, it
/// allocates as they do (`mcp-handler-examples`' allocator).
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Deserialize, schemars::JsonSchema)]
struct EchoArgs {
    /// The text to send back.
    text: String,
}

fn main() -> std::process::ExitCode {
    let router = Router::builder("mcp-handler-bench", env!("CARGO_PKG_VERSION"))
        .tool(
            Tool::builder(payload::TOOL)
                .description("Returns its text argument unchanged")
                .handler(|_ctx: RequestContext, a: EchoArgs| async move { a.text }),
        )
        .build();
    let router = match router {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut endpoint = EndpointConfig::default();
    if std::env::var_os("BENCH_SESSIONS").is_some_and(|v| v == "1") {
        endpoint = endpoint.with_session_store(Arc::new(InMemorySessionStore::default()));
    }
    mcp_handler::run_with(router, endpoint)
}
