//! `cargo xtask bench`: the numbers users choose by, in one command.
//!
//! Builds the tools and the peers, then runs (each part in its own module):
//! the criterion micro-benchmarks (`bench_micro.rs`), the load suite of every
//! system pinned to its cores (`bench_load.rs`), the instructions per request
//! of the floor, axum and `bench-server` under valgrind's callgrind, which the
//! machine's load does not move (`bench_profile.rs`), the Lambda functions
//! against the Runtime API stand-in and through `cargo lambda watch`
//! (`bench_lambda.rs`), and finally `bench-report`, which adds the cost model
//! and the targets and writes `target/bench-report/` (`report.md`,
//! `results.json`, SVG charts).
//!
//! `--quick` is a smoke run (one short round; figures not comparable);
//! `--cores 1,2,4,8` adds the scaling suite where the machine has the cores;
//! `--no-lambda`, `--no-micro` and `--no-profile` leave a part out.
//! `cargo xtask test` calls [`smoke`]: the micro-benchmarks and `mcp-bench`
//! compile, run against the library's server, check every answer and report.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use crate::bench_load::{self, Plan};
use crate::{bench_lambda, bench_micro, bench_profile, peers, run, tools};

/// The command line of `cargo xtask bench`.
struct Options {
    quick: bool,
    cores: Vec<u32>,
    rounds: u32,
    lambda: bool,
    micro: bool,
    /// The callgrind instruction counts (`--no-profile` leaves them out).
    profile: bool,
}

fn options(args: &[String]) -> anyhow::Result<Options> {
    // Three rounds: the median then drops a round the VM slowed (two
    // rounds' median is their mean, which such a round moves by half).
    let mut o = Options { quick: false, cores: vec![1], rounds: 3, lambda: true, micro: true, profile: true };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => o.quick = true,
            "--no-lambda" => o.lambda = false,
            "--no-micro" => o.micro = false,
            "--no-profile" => o.profile = false,
            "--cores" => {
                let list = it.next().context("--cores needs a list, e.g. 1,2,4")?;
                o.cores = list.split(',').map(|c| c.trim().parse()).collect::<Result<_, _>>()?;
            }
            "--rounds" => o.rounds = it.next().context("--rounds needs a number")?.parse()?,
            other => {
                bail!(
                    "unknown bench option {other} \
                     (--quick, --cores 1,2,4, --rounds N, --no-lambda, --no-micro, --no-profile)"
                )
            }
        }
    }
    if o.quick {
        o.rounds = 1;
    }
    Ok(o)
}

/// `cargo xtask bench [--quick] [--cores 1,2,4] [--rounds N] [--no-lambda] [--no-micro] [--no-profile]`.
///
/// Timed in stages (`results.json`'s `stages`, the report's "Run time"):
/// everything that installs or builds comes first, in `prepare`, so the
/// measuring stages after it take the same time on every run and the
/// report can say how much of the whole was builds.
pub(crate) fn bench(args: &[String]) -> anyhow::Result<()> {
    let o = options(args)?;
    let mut stages = run::Stages::new();
    let micro_mode = if o.quick { bench_micro::Mode::Quick } else { bench_micro::Mode::Full };
    let mut notes = Vec::new();
    let (node, bin, peers, lambda_systems) = stages.run("prepare", || {
        if o.profile {
            // Before the long suites: a machine that cannot install valgrind fails now.
            bench_profile::ensure_valgrind()?;
        }
        let node = tools::ensure_node()?;
        // In its own target folder, so beside the builds below.
        let image_build = crate::static_build::start()?;
        let bin = run::bench_release()?;
        if o.micro {
            bench_micro::build(micro_mode)?;
        }
        let lambda_systems = if o.lambda { Some(bench_lambda::prepare(&mut notes)?) } else { None };
        image_build.finish(false)?;
        // Every system answers correctly before anything is timed.
        let peers = peers::smoke(&node)?;
        Ok((node, bin, peers, lambda_systems))
    })?;
    let out = crate::target_dir().join("bench-report");
    let logs = out.join("logs");
    std::fs::create_dir_all(&logs)?;
    let mut versions = serde_json::Map::new();
    versions.insert("rustc".into(), command_line("rustc", &["--version"]).into());
    versions.insert("node".into(), command_line(&node.node.display().to_string(), &["--version"]).into());
    for p in &peers {
        versions.insert(p.name.into(), p.version.clone().into());
    }
    let online = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    let date = command_line("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"]);

    let micro = if o.micro { stages.run("micro-benchmarks", || bench_micro::run(micro_mode))? } else { Vec::new() };
    let plan = Plan {
        cores: o.cores.clone(),
        rounds: o.rounds,
        // 2 s: ~200k answers from the fast systems, plenty for a p99.9; with
        // 3 s the suite ran 15.6 min after a library change (2026-12-07 15:32).
        duration: if o.quick { Duration::from_secs(1) } else { Duration::from_secs(2) },
        warmup: if o.quick { Duration::from_millis(300) } else { Duration::from_millis(500) },
    };
    let load = stages.run("load", || bench_load::run_all(&plan, &peers, &bin.join("mcp-bench"), &logs, &mut notes))?;
    let profile = if o.profile {
        versions.insert("valgrind".into(), command_line("valgrind", &["--version"]).into());
        stages.run("profile", || bench_profile::run(&peers, &bin.join("mcp-bench"), &out, o.quick))?
    } else {
        Vec::new()
    };
    let (lambda, watch) = match lambda_systems {
        Some(systems) => {
            let figures = stages.run("lambda", || bench_lambda::run(&systems, o.quick, &bin.join("mcp-bench")))?;
            notes.extend(figures.notes);
            (figures.runs, figures.watch)
        }
        None => (Vec::new(), None),
    };
    let max_cores = o.cores.iter().copied().filter(|&c| c < online).max().unwrap_or(1);
    let stage_times: Vec<Value> =
        stages.times().iter().map(|(name, took)| json!({ "name": name, "seconds": took.as_secs_f64() })).collect();
    let results = json!({
        "date": date,
        "quick": o.quick,
        "machine": machine(online, max_cores),
        "versions": versions,
        "micro": micro,
        "load": load,
        "profile": profile,
        "lambda": lambda,
        "lambda_watch": watch,
        "stages": stage_times,
        "notes": notes,
    });
    write_and_report(&bin, &out, &results)?;
    stages.print("bench: stage times");
    eprintln!("==> bench: done in {:.0?}; see {}", stages.elapsed(), out.join("report.md").display());
    Ok(())
}

fn write_and_report(bin: &Path, out: &Path, results: &Value) -> anyhow::Result<()> {
    let path = out.join("results.json");
    std::fs::write(&path, serde_json::to_vec_pretty(results)?)?;
    let mut report = std::process::Command::new(bin.join("bench-report"));
    report.arg("--results").arg(&path).arg("--out").arg(out);
    run::step("bench-report", report)
}

/// The machine, in the words of `results::Machine`.
fn machine(online: u32, max_server_cores: u32) -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, v)| v.trim().to_owned()))
        .unwrap_or_else(|| "unknown".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kb: f64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|r| r.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    let pinning = if max_server_cores == 1 {
        let load = if online == 2 { "CPU 1".to_owned() } else { format!("CPUs 1-{}", online - 1) };
        format!("servers on CPU 0, mcp-bench on {load} (taskset)")
    } else {
        format!("servers on CPUs 0..k-1 for k server cores, mcp-bench on the remaining of {online} (taskset)")
    };
    json!({
        "cpu": cpu,
        "cores": online,
        "memory_gib": (mem_kb / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        "os": command_line("uname", &["-sr"]),
        "pinning": pinning,
    })
}

/// The first line a command prints, or `unknown`.
fn command_line(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

/// The test command's part: the micro-benchmarks in smoke mode, and
/// `mcp-bench` against the library's own server in every scenario, closed
/// and open loop, each answer checked (any error fails), then `bench-report`
/// on what they measured. Nothing timed is asserted.
pub(crate) fn smoke() -> anyhow::Result<()> {
    let micro = bench_micro::run(bench_micro::Mode::Smoke)?;
    let bin = run::binaries(run::Build::Test, &["mcp-bench", "bench-server", "bench-report"])?;
    let out = crate::target_dir().join("bench-smoke");
    std::fs::create_dir_all(&out)?;
    let mut load = Vec::new();
    for (sessions, scenarios) in [(false, &["call", "call-2026", "list", "big"][..]), (true, &["session"][..])] {
        let port = run::free_port()?;
        let mut server = std::process::Command::new(bin.join("bench-server"));
        server.env("MCP_BIND", format!("127.0.0.1:{port}")).env("RUST_LOG", "warn");
        if sessions {
            server.env("BENCH_SESSIONS", "1");
        }
        let mut child = ChildGuard(server.spawn().context("starting bench-server")?);
        peers::wait_ready(port, Duration::from_secs(30))?;
        for scenario in scenarios {
            for rate in [None, Some("500")] {
                let mut b = std::process::Command::new(bin.join("mcp-bench"));
                b.args(["--scenario", scenario, "-c", "4", "-n", "300", "--warmup", "0s", "--json"]);
                if let Some(r) = rate {
                    b.args(["--rate", r]);
                }
                b.arg(format!("http://127.0.0.1:{port}/mcp"));
                let run = bench_load::checked_run(&mut b, 300)
                    .with_context(|| format!("mcp-bench {scenario} (rate {rate:?})"))?;
                eprintln!("==> mcp-bench {scenario:<9} {:>8}: ok", rate.map_or("closed", |_| "open"));
                load.push(json!({ "system": "mcp-handler", "cores": 0, "round": 1, "run": run }));
            }
        }
        child.0.kill().ok();
    }
    let online = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    let results = json!({ "date": command_line("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"]), "quick": true,
        "machine": machine(online, 1), "micro": micro, "load": load,
        "notes": ["smoke run of the test command (unpinned, 300 requests a run): figures not comparable"] });
    write_and_report(&bin, &out, &results)
}

struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
