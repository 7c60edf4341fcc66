//! Criterion micro-benchmarks of the core's parse → dispatch → serialize,
//! without HTTP (issue 10, point 1), through `mcp_handler_core::bench_api`
//! (the crate's own functions, behind the `bench-internals` feature):
//!
//! - `discover/2026`, `initialize/2025`;
//! - `tools_list/{10,100}/{2025,2026}`;
//! - `tools_call/{small,10k}/{2025,2026}`: `echo` of `payload::SMALL_TEXT`
//!   and of `payload::big_text()` (10 KiB).
//!
//! `cargo xtask bench` runs it (`xtask/src/bench_micro.rs`); by hand:
//! `cargo bench -p mcp-handler-benches --bench core -- --quick`.
//!
//! Async work runs with criterion's `to_async` on a current-thread runtime:
//! criterion then enters the runtime once per sample and awaits every
//! iteration inside it, where `block_on` per iteration would add entering
//! and leaving the runtime to each timed call.

mod fixtures;

use std::process::ExitCode;

use anyhow::Context as _;
use criterion::Criterion;
use fixtures::Shape;
use mcp_handler_benches::payload;
use mcp_handler_core::bench_api::Dispatcher;
use mcp_handler_core::{EndpointConfig, ProtocolVersion};
use tokio::runtime::Runtime;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("core benchmark: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Routers and bodies are built here, outside every measured loop.
fn run() -> anyhow::Result<()> {
    let rt = fixtures::runtime()?;
    let dispatcher = |tools| fixtures::router(tools).and_then(|r| Ok(Dispatcher::new(r, EndpointConfig::default())?));
    // One tool: exactly what `bench-server` serves.
    let echo = dispatcher(1)?;
    let lists = [(10, dispatcher(10)?), (100, dispatcher(100)?)];
    let big = payload::big_text();
    let mut c = Criterion::default().without_plots().configure_from_args();

    bench(&mut c, &rt, "discover/2026", &echo, ProtocolVersion::V2026_07_28, &fixtures::discover(), |a| {
        fixtures::expect_discover(a)
    })?;
    bench(&mut c, &rt, "initialize/2025", &echo, ProtocolVersion::V2025_06_18, &fixtures::initialize(), |a| {
        fixtures::expect_initialize(a)
    })?;
    for (n, d) in &lists {
        for shape in Shape::BOTH {
            let name = format!("tools_list/{n}/{}", shape.label());
            bench(&mut c, &rt, &name, d, shape.protocol(), &fixtures::tools_list(shape), |a| {
                fixtures::expect_tools(shape, a, *n)
            })?;
        }
    }
    for (size, text) in [("small", payload::SMALL_TEXT), ("10k", big.as_str())] {
        for shape in Shape::BOTH {
            let name = format!("tools_call/{size}/{}", shape.label());
            bench(&mut c, &rt, &name, &echo, shape.protocol(), &fixtures::tools_call(shape, text), |a| {
                fixtures::expect_echo(shape, a, text)
            })?;
        }
    }
    c.final_summary();
    Ok(())
}

/// Checks the answer once, then times `body` through `dispatcher`.
fn bench(
    c: &mut Criterion,
    rt: &Runtime,
    name: &str,
    dispatcher: &Dispatcher,
    version: ProtocolVersion,
    body: &[u8],
    check: impl FnOnce(&[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let answer = rt.block_on(dispatcher.handle(version, body));
    check(&answer).with_context(|| format!("{name}: wrong answer: {}", fixtures::excerpt(&answer)))?;
    c.bench_function(name, |b| {
        b.to_async(rt).iter(|| dispatcher.handle(version, std::hint::black_box(body)));
    });
    Ok(())
}
