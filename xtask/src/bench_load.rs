//! The load part of `cargo xtask bench`: every system of `peers.rs` started
//! pinned to its cores, `mcp-bench` pinned to the others, the same scenarios
//! against each, in rounds that interleave the systems (a slow moment of the
//! machine spreads over all of them instead of landing on one).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use serde_json::{Value, json};

use crate::peers::{self, Peer};
use crate::run;

/// How much load, and where.
pub(crate) struct Plan {
    /// Core counts to give the servers (`--cores 1,2,4`).
    pub(crate) cores: Vec<u32>,
    /// Rounds (each system once per round).
    pub(crate) rounds: u32,
    /// Measured time of each run.
    pub(crate) duration: Duration,
    /// Unmeasured warm-up before each run.
    pub(crate) warmup: Duration,
}

/// One `mcp-bench` run of a system.
struct Run {
    scenario: &'static str,
    connections: u32,
    /// Open loop at this many requests per second.
    rate: Option<u32>,
    /// How long it is measured, in halves of the plan's duration.
    halves: u32,
}

/// A closed-loop run, measured for the plan's duration.
const fn closed(scenario: &'static str, connections: u32) -> Run {
    Run { scenario, connections, rate: None, halves: 2 }
}

/// Measured for half the plan's duration: a run whose figures settle
/// sooner (one connection: ~10k sequential calls in 1 s; 256 connections:
/// the memory peak), which keeps the suite in its bound.
const fn closed_half(scenario: &'static str, connections: u32) -> Run {
    Run { scenario, connections, rate: None, halves: 1 }
}

/// The open loop at 200 requests/s, measured for one and a half times the
/// plan's duration: at that rate its p99 comes from few samples (600 in 3 s).
const fn open_loop() -> Run {
    Run { scenario: "call", connections: 16, rate: Some(200), halves: 3 }
}

/// The runs of one system at one core count. One core: every shape at 50
/// connections, one connection (sequential latency), an open loop at a rate
/// every peer sustains (latency without coordinated omission), and both
/// small-call shapes at 256 connections (memory, and the 2026 shape's ratio
/// where every core is busy). More cores: the scaling runs only.
fn runs_for(peer: &Peer, cores: u32) -> Vec<Run> {
    if peer.sessions {
        return if cores == 1 { vec![closed("session", 50)] } else { Vec::new() };
    }
    if peer.name == "mcp-handler-logged" {
        return if cores == 1 { vec![closed("call", 50)] } else { Vec::new() };
    }
    let fast = !slow(peer);
    if cores > 1 {
        // Single-threaded runtimes do not scale with cores; skip them.
        return if fast { small_calls(peer, 256, closed).collect() } else { Vec::new() };
    }
    let mut v: Vec<Run> = small_calls(peer, 50, closed).collect();
    v.extend([closed("list", 50), closed("big", 50), closed_half("call", 1)]);
    v.push(open_loop());
    if fast {
        // Both shapes: the many-connections table sets them side by side
        // on every core count, one core's included.
        v.extend(small_calls(peer, 256, closed_half));
    }
    v
}

/// `call`, and `call-2026` where `peer` serves it, at `connections`, each
/// made by `run` (`closed` or `closed_half`).
fn small_calls(peer: &Peer, connections: u32, run: fn(&'static str, u32) -> Run) -> impl Iterator<Item = Run> {
    let shapes: &[&'static str] = if peer.serves_2026 { &["call", "call-2026"] } else { &["call"] };
    shapes.iter().map(move |&scenario| run(scenario, connections))
}

/// The SDKs two orders of magnitude below the others (FastMCP, the
/// TypeScript SDK): they run in the first round only, as their spread
/// between rounds changes no ratio the report draws, and their runs took
/// about a minute and a half of the suite's bound in the other rounds.
fn slow(peer: &Peer) -> bool {
    matches!(peer.name, "fastmcp" | "typescript-sdk")
}

/// Runs every round; returns `LoadResult` objects (see `benches/src/results.rs`).
pub(crate) fn run_all(
    plan: &Plan,
    peers: &[Peer],
    mcp_bench: &Path,
    logs: &Path,
    notes: &mut Vec<String>,
) -> anyhow::Result<Vec<Value>> {
    let online = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    let mut out = Vec::new();
    for &cores in &plan.cores {
        if cores == 0 || cores >= online {
            notes.push(format!(
                "{cores} server core(s) skipped: this machine has {online}, and the load needs one of its own"
            ));
            continue;
        }
        let server_cpus = cpu_range(0, cores);
        let load_cpus = cpu_range(cores, online);
        for round in 1..=plan.rounds {
            for peer in peers {
                let runs = if round > 1 && slow(peer) { Vec::new() } else { runs_for(peer, cores) };
                if runs.is_empty() {
                    continue;
                }
                eprintln!("==> bench: round {round}, {} on {cores} core(s)", peer.name);
                let results = measure(peer, &runs, &server_cpus, &load_cpus, plan, mcp_bench, logs)
                    .with_context(|| format!("{} (round {round}, {cores} cores)", peer.name))?;
                for Measured { run, idle, idle_anon, code, peak } in results {
                    out.push(json!({
                        "system": peer.name, "cores": cores, "round": round,
                        "rss_idle_kb": idle, "rss_idle_anon_kb": idle_anon,
                        "rss_idle_code_kb": code.map(|c| c.rss_kb), "code_kb": code.map(|c| c.size_kb),
                        "rss_peak_kb": peak, "run": run,
                    }));
                }
            }
        }
    }
    Ok(out)
}

/// `a-b` (inclusive) for taskset.
fn cpu_range(from: u32, to: u32) -> String {
    if to - from == 1 { from.to_string() } else { format!("{from}-{}", to - 1) }
}

/// One run, and the server's RSS in KiB: before the load (all of it, its
/// private part, its own code) and its high-water mark after.
struct Measured {
    run: Value,
    idle: Option<u64>,
    idle_anon: Option<u64>,
    code: Option<Code>,
    peak: Option<u64>,
}

fn measure(
    peer: &Peer,
    runs: &[Run],
    server_cpus: &str,
    load_cpus: &str,
    plan: &Plan,
    mcp_bench: &Path,
    logs: &Path,
) -> anyhow::Result<Vec<Measured>> {
    let port = run::free_port()?;
    let log = std::fs::File::create(logs.join(format!("{}.log", peer.name)))?;
    let mut cmd = peer.pinned(port, server_cpus);
    cmd.stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log);
    let mut server = Server(cmd.spawn().with_context(|| format!("starting {}", run::describe(&cmd)))?);
    peers::wait_ready(port, Duration::from_secs(60))?;
    let pid = server.0.id();
    let (idle, idle_anon, code) = (status_kb(pid, "VmRSS:"), status_kb(pid, "RssAnon:"), code_kb(pid));
    let threads = load_cpus.split('-').filter_map(|c| c.parse::<u32>().ok()).collect::<Vec<_>>();
    let threads = match threads.as_slice() {
        [a, b] => b - a + 1,
        _ => 1,
    };
    let mut out = Vec::new();
    for r in runs {
        let mut bench = Command::new("taskset");
        bench.args(["-c", load_cpus]).arg(mcp_bench);
        bench.args(["--scenario", r.scenario, "--connections", &r.connections.to_string()]);
        let duration = plan.duration * r.halves / 2;
        bench.args(["--duration", &format!("{}ms", duration.as_millis())]);
        bench.args(["--warmup", &format!("{}ms", plan.warmup.as_millis())]);
        bench.args(["--threads", &threads.to_string(), "--json"]);
        if let Some(rate) = r.rate {
            bench.args(["--rate", &rate.to_string()]);
        }
        if peer.fixed_id {
            bench.arg("--fixed-id");
        }
        bench.arg(format!("http://127.0.0.1:{port}/mcp"));
        let output = bench.stderr(Stdio::inherit()).output().with_context(|| run::describe(&bench))?;
        let text = String::from_utf8_lossy(&output.stdout);
        let run: Value = serde_json::from_str(text.trim())
            .with_context(|| format!("{} printed no result: {}", run::describe(&bench), text.trim()))?;
        if server.0.try_wait()?.is_some() {
            bail!("{} exited during the {} run; see {}", peer.name, r.scenario, logs.display());
        }
        out.push(Measured { run, idle, idle_anon, code, peak: status_kb(pid, "VmHWM:") });
    }
    server.stop();
    Ok(out)
}

/// A `/proc/PID/status` figure in KiB.
fn status_kb(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The program's own machine code: how much of it is resident, and its size.
#[derive(Clone, Copy)]
struct Code {
    rss_kb: u64,
    size_kb: u64,
}

/// [`Code`] from `/proc/PID/smaps`: the executable mappings of the file
/// the process runs (for Python and Node, the interpreter's).
fn code_kb(pid: u32) -> Option<Code> {
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
    let exe = exe.to_str()?;
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).ok()?;
    let (mut code, mut ours) = (Code { rss_kb: 0, size_kb: 0 }, false);
    for line in smaps.lines() {
        let mut words = line.split_whitespace();
        match words.next() {
            // A mapping's header: `start-end perms offset dev inode path`.
            Some(range) if range.contains('-') && !range.ends_with(':') => {
                let perms = words.next().unwrap_or("");
                ours = perms.contains('x') && words.nth(3) == Some(exe);
            }
            Some(key @ ("Size:" | "Rss:")) if ours => {
                let kb: u64 = words.next()?.parse().ok()?;
                if key == "Size:" { code.size_kb += kb } else { code.rss_kb += kb }
            }
            _ => {}
        }
    }
    (code.size_kb > 0).then_some(code)
}

/// Runs `mcp-bench` (with `--json`) and returns its result, which must
/// count exactly `n` correct answers and no error.
pub(crate) fn checked_run(bench: &mut std::process::Command, n: u64) -> anyhow::Result<Value> {
    let o = bench.output().with_context(|| run::describe(bench))?;
    let stderr = String::from_utf8_lossy(&o.stderr);
    ensure!(o.status.success(), "{} failed ({}): {}", run::describe(bench), o.status, stderr.trim());
    let result: Value = serde_json::from_slice(&o.stdout)
        .with_context(|| format!("{} printed no result: {}", run::describe(bench), stderr.trim()))?;
    let errors: u64 = result["errors"].as_object().map_or(0, |m| m.values().filter_map(Value::as_u64).sum());
    ensure!(errors == 0 && result["ok"].as_u64() == Some(n), "expected {n} correct answers, got {result}");
    Ok(result)
}

/// A server process, stopped (SIGTERM, then SIGKILL) however the run ends.
pub(crate) struct Server(pub(crate) Child);

impl Server {
    pub(crate) fn stop(&mut self) {
        if self.0.try_wait().ok().flatten().is_some() {
            return;
        }
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        for _ in 0..50 {
            if self.0.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(peer: &Peer, cores: u32) -> Vec<(&'static str, u32, Option<u32>, u32)> {
        runs_for(peer, cores).into_iter().map(|r| (r.scenario, r.connections, r.rate, r.halves)).collect()
    }

    #[test]
    fn one_core_runs_every_shape_and_more_cores_the_scaling_pair() {
        let ours = Peer::named("mcp-handler", true);
        assert_eq!(
            plan(&ours, 1),
            [
                ("call", 50, None, 2),
                ("call-2026", 50, None, 2),
                ("list", 50, None, 2),
                ("big", 50, None, 2),
                ("call", 1, None, 1),
                ("call", 16, Some(200), 3),
                ("call", 256, None, 1),
                ("call-2026", 256, None, 1),
            ]
        );
        assert_eq!(plan(&ours, 4), [("call", 256, None, 2), ("call-2026", 256, None, 2)]);
        let sdk = Peer::named("fastmcp", false);
        assert_eq!(
            plan(&sdk, 1),
            [
                ("call", 50, None, 2),
                ("list", 50, None, 2),
                ("big", 50, None, 2),
                ("call", 1, None, 1),
                ("call", 16, Some(200), 3)
            ]
        );
        assert!(plan(&sdk, 4).is_empty(), "a single-threaded SDK runs no scaling suite");
    }

    #[test]
    fn reads_this_process_code_from_smaps() {
        let code = code_kb(std::process::id()).expect("the test binary has executable mappings");
        // The test binary runs some of its code, and no more than all of it.
        assert!(code.rss_kb > 0 && code.rss_kb <= code.size_kb, "rss {} of {} KiB", code.rss_kb, code.size_kb);
        assert!(code_kb(u32::MAX).is_none(), "no such process");
    }
}
