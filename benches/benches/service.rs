//! Criterion micro-benchmarks of one request through the whole `McpService`,
//! in process (issue 10, point 1): `tower_service::Service::call` on a ready
//! service with an `http::Request` built in memory, the response body
//! collected. This is the core's full per-request cost (Host/Origin checks,
//! headers, body limit, generation, dispatch, response) without a socket.
//!
//! - `service/call/{2025,2026}`: `echo` of `payload::SMALL_TEXT`;
//! - `service/big/{2025,2026}`: `echo` of `payload::big_text()` (10 KiB).
//!
//! The request is built outside the measured time (`iter_batched`); the
//! service is the one `bench-server` runs (its router, default config). Async
//! work runs with `to_async` on a current-thread runtime, as in `core.rs`:
//! one runtime entry per sample instead of one per call.
//!
//! By hand: `cargo bench -p mcp-handler-benches --bench service -- --quick`.

// Shared with `core.rs`; this target needs only the `tools/call` part.
#[allow(dead_code)]
mod fixtures;

use std::process::ExitCode;

use anyhow::{Context as _, ensure};
use bytes::Bytes;
use criterion::{BatchSize, Criterion};
use fixtures::Shape;
use http::StatusCode;
use mcp_handler_benches::payload;
use mcp_handler_core::{EndpointConfig, McpService};
use tokio::runtime::Runtime;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("service benchmark: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let rt = fixtures::runtime()?;
    let service = McpService::new(fixtures::router(1)?, EndpointConfig::default());
    let big = payload::big_text();
    let mut c = Criterion::default().without_plots().configure_from_args();
    for (size, text) in [("call", payload::SMALL_TEXT), ("big", big.as_str())] {
        for shape in Shape::BOTH {
            let name = format!("service/{size}/{}", shape.label());
            bench(&mut c, &rt, &name, service.clone(), shape, text)?;
        }
    }
    c.final_summary();
    Ok(())
}

/// Checks the answer once, then times the call, body collected.
fn bench(
    c: &mut Criterion,
    rt: &Runtime,
    name: &str,
    mut service: McpService,
    shape: Shape,
    text: &str,
) -> anyhow::Result<()> {
    let body = Bytes::from(fixtures::tools_call(shape, text));
    let (ready, fut) = fixtures::call(&mut service, fixtures::http_request(shape, &body));
    ensure!(ready, "{name}: the service was not ready");
    let (status, content_type, answer) = rt.block_on(async { fixtures::collect(fut.await).await });
    let context = || format!("{name}: wrong answer ({status}): {}", fixtures::excerpt(&answer));
    ensure!(status == StatusCode::OK, context());
    ensure!(content_type.is_some_and(|v| v == "application/json"), "{}: not a JSON answer", context());
    fixtures::expect_echo(shape, &answer, text).with_context(context)?;
    c.bench_function(name, |b| {
        b.to_async(rt).iter_batched(
            || fixtures::http_request(shape, &body),
            |req| {
                let (_, fut) = fixtures::call(&mut service, req);
                async move { fixtures::collect(fut.await).await }
            },
            BatchSize::SmallInput,
        );
    });
    Ok(())
}
