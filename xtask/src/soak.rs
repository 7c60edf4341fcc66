//! `cargo xtask soak [--minutes N | --seconds S] [--connections C] [--interval S]`:
//! a long mixed load on the release `everything` server (the test command's
//! short form: on its debug build), for what only time
//! shows — an error that comes after an hour, latency that drifts, memory
//! that grows with every session.
//!
//! The load is `mcp-bench --scenario mixed` (`tools/list`, `tools/call`,
//! `resources/read` and a progress-reporting call answered with SSE, in
//! both generations, inside a 2025 session that is opened and deleted over
//! and over), one `mcp-bench` process per interval: each interval's
//! requests, errors and p99 come from its own histogram, and between two
//! intervals the server's RSS is read from `/proc/<pid>/status`. The run
//! fails when any request failed, when the server died, when RSS after the
//! last interval is more than 10% above RSS after the first (which starts
//! after 15 s of unmeasured warm-up: buffers, pools and allocator arenas
//! grown to their working size), or when the server does not drain and exit 0 on
//! SIGTERM at the end.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::Value;

use crate::run;

/// How much RSS may grow from the first interval to the last.
const RSS_GROWTH_LIMIT: f64 = 0.10;

/// Load before the first interval is measured: the allocator's arenas and
/// thread caches, hyper's buffers and the session tables reach their
/// working size in the first seconds. Measured with heaptrack over 90 s
/// of this load (2026-11-23): the heap in use stays between 0.8 and
/// 0.9 MiB from second 1 to the end, while RSS still creeps up by a few
/// per cent in the first minutes (pages the allocator keeps), so RSS is
/// compared from after this warm-up.
const WARMUP: &str = "15s";

/// The drain deadline given to the server, and how long its exit may take.
const DRAIN_SECS: u64 = 10;

/// What to run.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Options {
    total: Duration,
    interval: Duration,
    connections: u32,
}

fn options(args: &[String]) -> anyhow::Result<Options> {
    let mut total = Duration::from_secs(600);
    let mut connections = 50;
    let mut interval = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        let mut number = || -> anyhow::Result<u64> {
            let v = value()?;
            v.parse().with_context(|| format!("{flag}: {v:?} is not a whole number"))
        };
        match flag.as_str() {
            "--minutes" => total = Duration::from_secs(number()? * 60),
            "--seconds" => total = Duration::from_secs(number()?),
            "--connections" => connections = u32::try_from(number()?)?,
            "--interval" => interval = Some(Duration::from_secs(number()?)),
            other => bail!(
                "unknown flag {other:?}: cargo xtask soak [--minutes N | --seconds S] [--connections C] [--interval S]"
            ),
        }
    }
    // A minute per line on a long run; a short run still gets six points.
    let interval =
        interval.unwrap_or(if total >= Duration::from_secs(120) { Duration::from_secs(60) } else { total / 6 });
    if interval < Duration::from_secs(1) || total < 2 * interval {
        bail!("the soak needs at least two intervals of 1 s or more (RSS is compared between the first and the last)");
    }
    if connections == 0 || connections > 10_000 {
        bail!("--connections must be between 1 and 10000");
    }
    Ok(Options { total, interval, connections })
}

/// One interval's figures.
struct Interval {
    requests: u64,
    errors: u64,
    error_kinds: String,
    p99_ms: f64,
    rss_kib: u64,
}

/// `cargo xtask soak ...`, on the release build.
pub(crate) fn soak(args: &[String]) -> anyhow::Result<()> {
    run(&options(args)?, run::Build::Release)
}

fn run(o: &Options, build: run::Build) -> anyhow::Result<()> {
    let bin = run::binaries(build, &["everything", "mcp-bench"])?;
    let port = run::free_port()?;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let log_path = crate::target_dir().join("soak-server.log");
    let log = std::fs::File::create(&log_path)?;
    let mut cmd = Command::new(bin.join("everything"));
    cmd.args(["--bind", &addr.to_string(), "--drain-timeout", &DRAIN_SECS.to_string()]);
    cmd.env("RUST_LOG", "warn").stdin(Stdio::null()).stdout(Stdio::null()).stderr(log);
    let mut server = Server(Some(cmd.spawn().context("starting everything")?));
    let healthz = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    run::wait_for("everything answers /healthz", Duration::from_secs(30), || {
        run::answers_200(addr, &healthz, Duration::from_secs(1)).then_some(())
    })?;
    let pid = server.pid()?;

    let intervals = o.total.as_secs().div_ceil(o.interval.as_secs());
    println!(
        "\n==> soak: mcp-bench --scenario mixed, {} connections, {intervals} intervals of {:?}, against everything (pid {pid})",
        o.connections, o.interval
    );
    println!("    {:>8}  {:>10}  {:>6}  {:>9}  {:>9}", "at", "requests", "errors", "p99", "rss");
    let mut seen = Vec::new();
    for i in 0..intervals {
        let started = Instant::now();
        let figures = interval(&bin.join("mcp-bench"), addr, o, i == 0)?;
        let Some(rss_kib) = rss_kib(pid) else {
            bail!("the server died during interval {}; see {}", i + 1, log_path.display());
        };
        let at = o.interval.as_secs() * (i + 1);
        let errors =
            if figures.errors == 0 { "0".to_owned() } else { format!("{} ({})", figures.errors, figures.error_kinds) };
        println!(
            "    {:>2}:{:02}:{:02}  {:>10}  {:>6}  {:>7.1}ms  {:>6.1}MiB",
            at / 3600,
            at / 60 % 60,
            at % 60,
            figures.requests,
            errors,
            figures.p99_ms,
            rss_kib as f64 / 1024.0
        );
        seen.push(Interval { rss_kib, ..figures });
        if started.elapsed() > o.interval + Duration::from_secs(30) {
            bail!("interval {} took {:?}: mcp-bench did not stop on time", i + 1, started.elapsed());
        }
    }

    let drained = server.stop_gracefully()?;
    summarize(&seen, o, drained)
}

/// One `mcp-bench` run of one interval; the first has a warm-up.
fn interval(mcp_bench: &Path, addr: std::net::SocketAddr, o: &Options, first: bool) -> anyhow::Result<Interval> {
    let mut b = Command::new(mcp_bench);
    b.args(["--scenario", "mixed", "--connections", &o.connections.to_string()]);
    let warmup = if first { WARMUP } else { "0s" };
    b.args(["--duration", &format!("{}s", o.interval.as_secs()), "--warmup", warmup]);
    b.args(["--json", "--quiet"]).arg(format!("http://{addr}/mcp"));
    let out = b.stderr(Stdio::inherit()).output().with_context(|| run::describe(&b))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let r: Value = serde_json::from_str(text.trim())
        .with_context(|| format!("{} printed no result ({}): {}", run::describe(&b), out.status, text.trim()))?;
    let kinds = r["errors"].as_object().cloned().unwrap_or_default();
    let errors: u64 = kinds.values().filter_map(Value::as_u64).sum();
    let error_kinds = kinds.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ");
    let ok = r["ok"].as_u64().context("mcp-bench result without ok")?;
    let p99_ms = r["latency_us"]["p99"].as_f64().unwrap_or(f64::NAN) / 1000.0;
    Ok(Interval { requests: ok + errors, errors, error_kinds, p99_ms, rss_kib: 0 })
}

fn summarize(seen: &[Interval], o: &Options, drained: Duration) -> anyhow::Result<()> {
    let (Some(first), Some(last)) = (seen.first(), seen.last()) else { bail!("no interval ran") };
    let requests: u64 = seen.iter().map(|s| s.requests).sum();
    let errors: u64 = seen.iter().map(|s| s.errors).sum();
    let per_minute = requests as f64 / o.total.as_secs_f64() * 60.0;
    let worst_p99 = seen.iter().map(|s| s.p99_ms).fold(0.0, f64::max);
    let growth = last.rss_kib as f64 / first.rss_kib as f64 - 1.0;
    println!(
        "==> soak: {requests} requests ({per_minute:.0}/min), {errors} errors, worst p99 {worst_p99:.1}ms, \
         RSS {:.1} MiB after the first interval, {:.1} MiB at the end ({:+.1}%), drained and exited 0 in {drained:.2?}",
        first.rss_kib as f64 / 1024.0,
        last.rss_kib as f64 / 1024.0,
        growth * 100.0
    );
    if errors > 0 {
        bail!("soak: {errors} of {requests} requests failed");
    }
    if growth > RSS_GROWTH_LIMIT {
        bail!(
            "soak: RSS grew {:.1}% from the first interval to the last (limit {:.0}%)",
            growth * 100.0,
            RSS_GROWTH_LIMIT * 100.0
        );
    }
    Ok(())
}

/// The resident set of `pid` in KiB; `None` once it is gone.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    // A zombie keeps its /proc entry but has no VmRSS line.
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The server, killed if the soak ends early.
struct Server(Option<Child>);

impl Server {
    fn pid(&self) -> anyhow::Result<u32> {
        self.0.as_ref().map(Child::id).context("server not running")
    }

    /// SIGTERM, then waits (reaping the child) for an exit 0 within the
    /// drain deadline; returns how long it took.
    fn stop_gracefully(&mut self) -> anyhow::Result<Duration> {
        let mut child = self.0.take().context("server not running")?;
        let sent = Instant::now();
        let ok = Command::new("kill").args(["-TERM", &child.id().to_string()]).status()?.success();
        if !ok {
            bail!("kill -TERM {} failed", child.id());
        }
        let deadline = sent + Duration::from_secs(DRAIN_SECS + 5);
        loop {
            if let Some(status) = child.try_wait()? {
                let took = sent.elapsed();
                if !status.success() {
                    bail!("the server exited with {status} after SIGTERM");
                }
                return Ok(took);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                bail!("the server did not exit within {DRAIN_SECS} s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The short form `cargo xtask test` runs: a minute, 20 connections (the
/// load tool and the server share two cores there), on the test build
/// (`run::Build::Test`): what it looks for, an error, a leak or an unclean
/// exit, does not depend on the optimiser.
pub(crate) fn short() -> anyhow::Result<()> {
    run(&options(&["--seconds", "60", "--connections", "20"].map(str::to_owned))?, run::Build::Test)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> anyhow::Result<Options> {
        options(&args.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn options_default_to_ten_minutes_of_minutes_and_bound_the_rest() -> anyhow::Result<()> {
        let o = parse(&[])?;
        assert_eq!((o.total, o.interval, o.connections), (Duration::from_secs(600), Duration::from_secs(60), 50));
        let o = parse(&["--seconds", "60", "--connections", "20"])?;
        assert_eq!((o.interval, o.connections), (Duration::from_secs(10), 20));
        assert!(parse(&["--minutes", "1", "--interval", "60"]).is_err(), "one interval cannot show growth");
        assert!(parse(&["--connections", "0"]).is_err());
        assert!(parse(&["--minutes"]).is_err());
        assert!(parse(&["--hours", "1"]).is_err());
        Ok(())
    }
}
