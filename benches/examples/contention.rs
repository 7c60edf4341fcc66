//! How much one `McpService` shared by several threads costs each of them:
//! the multi-core question the 2-core load benchmark cannot ask.
//!
//! Each thread runs its own current-thread runtime and calls `echo`
//! in process (no socket), as `benches/benches/service.rs` does, for a
//! short slice; the figure is calls per second per thread. Four ways,
//! interleaved, ten times each, medians printed:
//!
//! - one thread alone;
//! - N threads calling clones of **one** service (what a tower stack such
//!   as axum does: every request of every core takes a reference on the
//!   same handle);
//! - N threads each calling its own `connection_handle()` of that one
//!   service (what the server shell does, one handle per connection);
//! - N threads each calling **its own** service (nothing shared between
//!   them: the reference).
//!
//! Shared or handles over separate below 1.0 is what the threads pay for
//! writing the same cache lines: a reference count taken and dropped per
//! request (clones of one service share their handle's), and the in-flight
//! counter every call of the endpoint writes. It grows with the number of
//! cores, so read it on the machine you deploy to.
//!
//! `cargo run --release -p mcp-handler-benches --example contention [THREADS]`
//! (default: every available core). It prints figures and asserts nothing
//! but the answers.

#[allow(dead_code)]
#[path = "../benches/fixtures.rs"]
mod fixtures;

use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use bytes::Bytes;
use fixtures::Shape;
use mcp_handler_benches::{payload, report};
use mcp_handler_core::{EndpointConfig, McpService};

const SLICE: Duration = Duration::from_millis(700);
const TRIES: usize = 10;

fn main() -> anyhow::Result<()> {
    let threads = match std::env::args().nth(1) {
        Some(n) => n.parse().context("THREADS must be a number")?,
        None => std::thread::available_parallelism().map_or(2, usize::from),
    };
    ensure!(threads >= 2, "needs at least 2 threads to share anything");
    println!("{threads} threads, {TRIES} tries of {SLICE:?} each; calls/s per thread, medians");
    for shape in Shape::BOTH {
        let (mut alone, mut shared, mut handles, mut separate) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..TRIES {
            let service = new_service()?;
            alone.push(spin(service.clone(), shape)?);
            shared.push(per_thread(threads, || Ok(service.clone()), shape)?);
            handles.push(per_thread(threads, || Ok(service.connection_handle()), shape)?);
            separate.push(per_thread(threads, new_service, shape)?);
        }
        let median = |v| report::median(v).unwrap_or(f64::NAN);
        let (alone, shared, handles, separate) = (median(alone), median(shared), median(handles), median(separate));
        println!(
            "{}: alone {alone:.0}; shared {shared:.0}; handles {handles:.0}; separate {separate:.0} \
             (separate / alone {:.2}); over separate: shared {:.2}, handles {:.2}",
            shape.label(),
            separate / alone,
            shared / separate,
            handles / separate,
        );
    }
    Ok(())
}

/// The service `bench-server` runs: its router, the default config.
fn new_service() -> anyhow::Result<McpService> {
    Ok(McpService::new(fixtures::router(1)?, EndpointConfig::default()))
}

/// Mean calls/s of `threads` threads, each calling the service `make` gives it.
fn per_thread(threads: usize, make: impl Fn() -> anyhow::Result<McpService>, shape: Shape) -> anyhow::Result<f64> {
    let services = (0..threads).map(|_| make()).collect::<anyhow::Result<Vec<_>>>()?;
    let rates: Vec<anyhow::Result<f64>> = std::thread::scope(|s| {
        let handles: Vec<_> = services.into_iter().map(|sv| s.spawn(move || spin(sv, shape))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a thread panicked")))).collect()
    });
    let rates = rates.into_iter().collect::<anyhow::Result<Vec<f64>>>()?;
    Ok(rates.iter().sum::<f64>() / rates.len() as f64)
}

/// Calls `echo` for one slice on a current-thread runtime; calls/s.
fn spin(mut service: McpService, shape: Shape) -> anyhow::Result<f64> {
    let rt = fixtures::runtime()?;
    let body = Bytes::from(fixtures::tools_call(shape, payload::SMALL_TEXT));
    rt.block_on(async move {
        let start = Instant::now();
        let mut calls = 0u64;
        let mut first: Option<Bytes> = None;
        while start.elapsed() < SLICE {
            for _ in 0..256 {
                let (_, fut) = fixtures::call(&mut service, fixtures::http_request(shape, &body));
                let (_, _, answer) = fixtures::collect(fut.await).await;
                // The same request gets the same bytes back: checked in full
                // once, compared after (parsing each answer would cost more
                // than the call).
                match &first {
                    Some(f) => ensure!(answer == *f, "an answer differs from the first"),
                    None => {
                        fixtures::expect_echo(shape, &answer, payload::SMALL_TEXT)?;
                        first = Some(answer);
                    }
                }
                calls += 1;
            }
        }
        Ok(calls as f64 / start.elapsed().as_secs_f64())
    })
}
