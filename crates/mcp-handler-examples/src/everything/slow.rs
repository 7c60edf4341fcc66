//! `slow`: a tool that takes as long as it is told, for the drain test
//! (`tests/tests/drain.rs`) and for anyone checking what a deploy does to
//! calls in flight. Not a conformance fixture: the suite scores no tool of
//! this name.

use std::time::Duration;

use mcp_handler::{Args, RequestContext, RouterBuilder, Tool};
use serde::Deserialize;

/// The longest `slow` call: a client must not be able to pin a task (and,
/// during a drain, the whole process) for as long as it likes.
const MAX_SLOW_MS: u64 = 10_000;

#[derive(Deserialize, schemars::JsonSchema)]
struct SlowArgs {
    /// How long to take, in milliseconds (at most 10000).
    ms: u64,
}

/// Adds `slow` and `slow_invocation`.
pub(super) fn register(b: RouterBuilder) -> RouterBuilder {
    // For the Lambda concurrency test: calls that overlap in one process
    // must each see their own invocation.
    let b = b.tool(
        Tool::builder("slow_invocation")
            .description("Sleeps `ms` milliseconds, then names the Lambda invocation it served (none outside Lambda)")
            .handler(|ctx: RequestContext, Args(a): Args<SlowArgs>| async move {
                if a.ms > MAX_SLOW_MS {
                    return Err(format!("ms must be at most {MAX_SLOW_MS}, not {}", a.ms));
                }
                tokio::time::sleep(Duration::from_millis(a.ms)).await;
                Ok(ctx.invocation().map_or_else(|| "none".to_owned(), |i| i.request_id.clone()))
            }),
    );
    b.tool(
        Tool::builder("slow")
            .description("Reports progress 0 at once, sleeps `ms` milliseconds, reports progress 1, and says so")
            .handler(|ctx: RequestContext, Args(a): Args<SlowArgs>| async move {
                if a.ms > MAX_SLOW_MS {
                    return Err(format!("ms must be at most {MAX_SLOW_MS}, not {}", a.ms));
                }
                // The first progress event tells a client that the call has
                // started (the drain test waits for it before the signal).
                ctx.progress(0.0, Some(1.0), Some("started"));
                tokio::time::sleep(Duration::from_millis(a.ms)).await;
                ctx.progress(1.0, Some(1.0), Some("done"));
                Ok(format!("slept {} ms", a.ms))
            }),
    )
}
