//! The instruction-count profile of `cargo xtask bench`: userspace
//! instructions per request of the HTTP floor, the axum peer and
//! `bench-server`, counted by valgrind's callgrind. Requests/s on a shared
//! VM move with its load and so do their ratios; instruction counts do not,
//! so this is the profile that shows, run after run, how much work each
//! server does per request and where ours does more than the bounds.
//!
//! Each system and scenario runs twice under callgrind, with `n1` and `n2`
//! requests; `(Ir₂ − Ir₁) / (n2 − n1)` cancels start-up and shutdown. The
//! `call` runs also simulate the caches (`--cache-sim=yes`): equal
//! instruction counts can still cost unequal time, and the first-level
//! instruction-cache misses a request show how much distinct code it runs
//! through (a model of this machine's caches: the VM offers no hardware
//! counters). The callgrind files stay in `target/bench-report/callgrind/`
//! for `callgrind_annotate`.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use serde_json::{Value, json};

use crate::bench_load::{Server, checked_run};
use crate::peers::{self, Peer};
use crate::{apt, run};

/// The two bounds, and the server they bound.
const SYSTEMS: [&str; 3] = ["floor", "axum", "mcp-handler"];
/// Shapes all three serve (`call-2026` only where a system serves it).
const SCENARIOS: [&str; 3] = ["call", "call-2026", "big"];
/// The scenario whose runs also simulate the caches: the one the
/// shell-vs-floor target reads (a simulated run takes ~2.5× as long).
const CACHE_SCENARIO: &str = "call";
/// Connections of each run (a few, as a real client pool keeps open).
const CONNECTIONS: &str = "4";
/// Valgrind starts a server some fifty times slower than it starts alone.
const READY: Duration = Duration::from_secs(60);

/// Installs valgrind from Debian where it is missing; fails, naming
/// `--no-profile`, where it cannot (the profile is never skipped silently).
pub(crate) fn ensure_valgrind() -> anyhow::Result<()> {
    apt::ensure("valgrind", &[("valgrind", "valgrind")], apt::Recommends::Skip)
        .context("the instruction-count profile needs valgrind (pass --no-profile to leave the profile out)")
}

/// Profiles each system of [`SYSTEMS`] in each scenario, one run after the
/// other; returns `ProfileRun` objects (see `benches/src/results.rs`).
/// `quick`: 200 and 1000 requests instead of 1000 and 5000.
pub(crate) fn run(peers: &[Peer], mcp_bench: &Path, out: &Path, quick: bool) -> anyhow::Result<Vec<Value>> {
    let started = Instant::now();
    let (n1, n2): (u64, u64) = if quick { (200, 1000) } else { (1000, 5000) };
    let dir = out.join("callgrind");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut results = Vec::new();
    for name in SYSTEMS {
        let peer = peers.iter().find(|p| p.name == name).with_context(|| format!("no system {name} to profile"))?;
        for scenario in SCENARIOS.into_iter().filter(|s| *s != "call-2026" || peer.serves_2026) {
            let count = |n| {
                instructions(peer, scenario, n, mcp_bench, &dir)
                    .with_context(|| format!("callgrind: {name} {scenario}, {n} requests"))
            };
            let (counts1, counts2) = (count(n1)?, count(n2)?);
            let (total1, total2) = (counts1.ir, counts2.ir);
            ensure!(
                total2 > total1,
                "callgrind: {name} {scenario} ran {total2} instructions for {n2} requests, \
                 not more than {total1} for {n1}"
            );
            let per_request = (total2 - total1) as f64 / (n2 - n1) as f64;
            let misses = match (counts1.i1_misses, counts2.i1_misses) {
                (Some(m1), Some(m2)) => {
                    ensure!(
                        m2 >= m1,
                        "callgrind: {name} {scenario} missed {m2} times for {n2} requests, fewer than {m1} for {n1}"
                    );
                    Some((m2 - m1) as f64 / (n2 - n1) as f64)
                }
                _ => None,
            };
            let shown = misses.map_or_else(String::new, |m| format!(", {m:.0} I1 misses/request"));
            eprintln!("==> bench: callgrind {name} {scenario}: {per_request:.0} instructions/request{shown}");
            let mut result = json!({
                "system": name, "scenario": scenario, "instructions_per_request": per_request,
                "n1": n1, "n2": n2, "total1": total1, "total2": total2,
            });
            if let Some(m) = misses {
                result["i1_misses_per_request"] = json!(m);
            }
            if let Some(cache) = counts2.i1_cache {
                result["i1_cache"] = json!(cache);
            }
            results.push(result);
        }
    }
    eprintln!("==> bench: instruction-count profile done in {:.0?}", started.elapsed());
    Ok(results)
}

/// What callgrind counted over one whole server run, start to exit.
struct Counts {
    /// Instructions (`Ir`).
    ir: u64,
    /// First-level instruction-cache misses (`I1mr`), where the caches
    /// were simulated.
    i1_misses: Option<u64>,
    /// The simulated cache, as callgrind's `desc: I1 cache:` line says.
    i1_cache: Option<String>,
}

/// Callgrind's totals of one whole server run, start to exit, that
/// answered `n` requests of `scenario` (and the readiness probe's one); in
/// [`CACHE_SCENARIO`] with the caches simulated.
fn instructions(peer: &Peer, scenario: &str, n: u64, mcp_bench: &Path, dir: &Path) -> anyhow::Result<Counts> {
    let stem = format!("{}.{scenario}.{n}", peer.name);
    let data = dir.join(format!("callgrind.{stem}.out"));
    let log_path = dir.join(format!("{stem}.log"));
    // A file from an earlier run must not pass for this one's.
    let _ = std::fs::remove_file(&data);
    let log = std::fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    let mut out_file = OsString::from("--callgrind-out-file=");
    out_file.push(&data);
    let port = run::free_port()?;
    let mut args = vec![OsString::from("--tool=callgrind"), out_file];
    let simulated = scenario == CACHE_SCENARIO;
    if simulated {
        args.push("--cache-sim=yes".into());
    }
    let mut cmd = peer.under(port, "valgrind", args);
    cmd.stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log);
    let mut server = Server(cmd.spawn().with_context(|| format!("starting {}", run::describe(&cmd)))?);
    let in_log = || format!("its output is in {}", log_path.display());
    peers::wait_ready(port, READY).with_context(in_log)?;
    load(peer, scenario, n, mcp_bench, port)?;
    if server.0.try_wait()?.is_some() {
        bail!("{} exited during the load; {}", peer.name, in_log());
    }
    // SIGTERM: the server exits and callgrind writes its file on the way out.
    server.stop();
    let text = std::fs::read_to_string(&data)
        .with_context(|| format!("no callgrind output {} (did it exit on SIGTERM?); {}", data.display(), in_log()))?;
    let ir = total(&text, "Ir")
        .with_context(|| format!("no instruction total (summary: or totals:) in {}", data.display()))?;
    let i1_misses = if simulated {
        Some(total(&text, "I1mr").with_context(|| format!("no I1mr total in {}", data.display()))?)
    } else {
        None
    };
    let i1_cache = text.lines().find_map(|l| l.strip_prefix("desc: I1 cache:")).map(|d| d.trim().to_owned());
    Ok(Counts { ir, i1_misses, i1_cache })
}

/// `n` checked requests of `scenario` from one `mcp-bench` thread, with no
/// warm-up, so the server answers exactly `n` (any error fails the run).
fn load(peer: &Peer, scenario: &str, n: u64, mcp_bench: &Path, port: u16) -> anyhow::Result<()> {
    let mut bench = Command::new(mcp_bench);
    bench.args(["--scenario", scenario, "-c", CONNECTIONS, "-n", &n.to_string(), "--warmup", "0s"]);
    bench.args(["--threads", "1", "--json", "--quiet"]);
    if peer.fixed_id {
        bench.arg("--fixed-id");
    }
    bench.arg(format!("http://127.0.0.1:{port}/mcp"));
    checked_run(&mut bench, n)?;
    Ok(())
}

/// The total of `event` in a callgrind output file: its `summary:` line
/// (the `totals:` line where a file has none), in the column its `events:`
/// line names `event` (for `Ir`, the first where no `events:` line says).
fn total(text: &str, event: &str) -> Option<u64> {
    let column = match text.lines().find_map(|l| l.strip_prefix("events:")) {
        Some(events) => events.split_whitespace().position(|e| e == event)?,
        None if event == "Ir" => 0,
        None => return None,
    };
    let line = ["summary:", "totals:"].into_iter().find_map(|key| text.lines().find_map(|l| l.strip_prefix(key)))?;
    line.split_whitespace().nth(column)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "# callgrind format\nversion: 1\ncreator: callgrind-3.19.0\npart: 1\n\n\
        desc: Trigger: Program termination\n\npositions: line\n";

    #[test]
    fn the_summary_line_is_the_total() {
        let text = format!("{HEADER}events: Ir\nsummary: 30060378\n\nfn=(1) main\n0 71\n\ntotals: 30060552\n");
        assert_eq!(total(&text, "Ir"), Some(30_060_378));
    }

    #[test]
    fn totals_stand_in_for_a_missing_summary() {
        assert_eq!(total(&format!("{HEADER}events: Ir\n\nfn=(1) main\n0 5\ntotals: 1234\n"), "Ir"), Some(1234));
    }

    #[test]
    fn the_ir_column_is_read_among_several_events() {
        assert_eq!(total(&format!("{HEADER}events: Dr Ir Dw\nsummary: 7 900 8\n"), "Ir"), Some(900));
        assert_eq!(total(&format!("{HEADER}events: Dr Dw\nsummary: 7 8\n"), "Ir"), None, "no Ir counted");
        let simulated = format!("{HEADER}events: Ir Dr Dw I1mr D1mr\nsummary: 900 7 8 41 3\n");
        assert_eq!(total(&simulated, "I1mr"), Some(41));
        assert_eq!(total(&format!("{HEADER}summary: 900\n"), "I1mr"), None, "only Ir stands in for no events line");
    }

    #[test]
    fn a_file_without_a_total_is_none() {
        assert_eq!(total(HEADER, "Ir"), None);
        assert_eq!(total(&format!("{HEADER}events: Ir\nsummary: many\n"), "Ir"), None);
    }
}
