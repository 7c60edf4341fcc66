//! `mcp-bench`'s engine: drives an MCP endpoint with checked requests and
//! measures it.
//!
//! A run spreads its connections over worker threads, each with its own
//! single-threaded tokio runtime (no work stealing, no locks between
//! connections on the hot path); each connection is one task holding one
//! HTTP/1.1 keep-alive connection. The [closed loop](closed) keeps every
//! connection busy; the [open loop](open) sends at a fixed arrival rate and
//! counts latency from each request's intended send time. Every answer is
//! [checked](check) and a wrong one is an error of a named kind.
//!
//! ```no_run
//! use mcp_handler_benches::load::{self, Config, Scenario, Stop};
//!
//! let config = Config::new("http://127.0.0.1:8080/mcp")?
//!     .with_scenario(Scenario::Call2026)
//!     .with_stop(Stop::Requests(10_000))?;
//! let outcome = load::run(&config)?;
//! println!("{outcome}");
//! # anyhow::Ok(())
//! ```

mod check;
mod cli;
mod closed;
mod config;
mod conn;
mod h1;
mod mixed;
mod open;
mod report;
mod scenario;
mod sigv4;
mod slot;
mod sse;
mod stats;
mod wire;
mod worker;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;

pub use check::ErrorKind;
pub use cli::Cli;
pub use config::Scenario;
pub use config::{Config, MAX_CONNECTIONS, MAX_SESSION_CALLS, Stop};
pub use report::Outcome;
pub use sigv4::SigV4;

use closed::Closed;
use open::Open;
use scenario::Plan;
use sigv4::Signer;
use stats::Stats;
use worker::{Schedule, Shared};

/// Runs the load `config` describes and returns what it measured. Blocks
/// the calling thread (it starts its own runtimes).
pub fn run(config: &Config) -> anyhow::Result<Outcome> {
    let plan = Plan::new(config)?;
    let tls = if config.target.tls { Some(conn::tls_for(&config.target.host)?) } else { None };
    let signer = config.sigv4.as_ref().map(|o| Signer::new(o, &config.target)).transpose()?;
    let threads = config.threads.clamp(1, config.connections as usize);
    let start = Instant::now();
    let schedule = match config.rate {
        Some(rate) => Schedule::Open(Open::new(start, config.warmup, config.stop, rate)),
        None => Schedule::Closed(Closed::new(start, config.warmup, config.stop)),
    };
    let shared =
        Arc::new(Shared { plan, schedule, target: config.target.clone(), tls, signer, timeout: config.timeout });
    let per_thread = |t: usize| {
        let c = config.connections as usize;
        c / threads + usize::from(t < c % threads)
    };
    let handles = (0..threads)
        .map(|t| {
            let shared = shared.clone();
            let n = per_thread(t);
            std::thread::Builder::new().name(format!("mcp-bench-{t}")).spawn(move || worker_thread(shared, n))
        })
        .collect::<Result<Vec<_>, _>>()
        .context("starting worker threads")?;
    let mut total = Stats::new()?;
    for h in handles {
        let stats = h.join().map_err(|_| anyhow::anyhow!("a worker thread panicked"))??;
        total.merge(&stats);
    }
    let measured_from = shared.schedule.measure_from();
    let duration_s = total.last_done.map_or(0.0, |t| t.saturating_duration_since(measured_from).as_secs_f64());
    Ok(Outcome::new(&total, config.scenario.name(), config.connections, config.rate, duration_s, config.url(), threads))
}

/// One worker thread: `connections` tasks on a single-threaded runtime.
fn worker_thread(shared: Arc<Shared>, connections: usize) -> anyhow::Result<Stats> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let stats = Rc::new(RefCell::new(Stats::new()?));
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let tasks: Vec<_> = (0..connections)
            .map(|_| {
                let shared = shared.clone();
                let stats = stats.clone();
                tokio::task::spawn_local(async move { worker::connection(&shared, stats).await })
            })
            .collect();
        for t in tasks {
            let _ = t.await;
        }
    });
    let stats = stats.borrow().clone();
    Ok(stats)
}
