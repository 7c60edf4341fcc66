//! The criterion micro-benchmarks (`benches/benches/core.rs` and
//! `service.rs`): built, listed, run pinned to one core, and read back from
//! criterion's `estimates.json` as `results::MicroResult` objects
//! (`name`, `mean_ns`, `median_ns`).
//!
//! Criterion writes into a directory of this run's own (`CRITERION_HOME`,
//! emptied first), so nothing another run left in `target/criterion` is
//! mistaken for a figure of this one.

// `main.rs` wires `run` into `cargo xtask bench` and the test command's
// smoke run; until then nothing calls it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, bail, ensure};
use serde_json::{Value, json};

use crate::run;

/// How long the benchmarks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// For `cargo xtask test`: every benchmark compiles, runs for a moment
    /// and reports (seconds). Figures are not comparable.
    Smoke,
    /// For `cargo xtask bench --quick`: criterion's `--quick`, a second at
    /// most per benchmark.
    Quick,
    /// The real figures: about 4.5 s per benchmark, ≈ 1 minute in all.
    Full,
}

impl Mode {
    /// Criterion's options for the mode.
    fn criterion_args(self) -> &'static [&'static str] {
        match self {
            // Ten samples is criterion's minimum; a thousand resamples keep
            // the analysis from outlasting the measurement.
            Self::Smoke => {
                &["--warm-up-time", "0.05", "--measurement-time", "0.1", "--sample-size", "10", "--nresamples", "1000"]
            }
            Self::Quick => &["--quick", "--measurement-time", "1"],
            // Every benchmark here takes under 10 µs: 3 s give 100 samples
            // of thousands of iterations each (criterion's confidence
            // interval on the 2025 call is under ±1%); 1 s of warm-up
            // settles the caches and the CPU's clock.
            Self::Full => &["--warm-up-time", "1", "--measurement-time", "3", "--sample-size", "100"],
        }
    }

    /// What cargo builds the benchmarks as. The smoke run's figures mean
    /// nothing, so it builds them as the tests are built (the dev profile,
    /// the whole workspace's features), reusing what the tests compiled: the
    /// bench profile would compile our crates again with fat LTO (~3 min on
    /// two cores) for figures nobody reads.
    fn cargo_args(self) -> &'static [&'static str] {
        match self {
            Self::Smoke => &["bench", "--workspace", "--profile", "dev"],
            Self::Quick | Self::Full => &["bench", "-p", "mcp-handler-benches"],
        }
    }
}

/// The criterion targets of `mcp-handler-benches`.
const BENCHES: &[&str] = &["core", "service"];

/// The core the benchmarks run on (the load suite keeps its own pinning).
const CORE: &str = "1";

/// Builds the benchmarks (with fat LTO, minutes after a change), so that
/// [`run`] finds them built and times only their running.
pub(crate) fn build(mode: Mode) -> anyhow::Result<()> {
    run::step("micro-benchmarks: build", bench_cmd(mode, &["--no-run"], &[]))
}

/// Builds (a no-op after [`build`]) and runs every micro-benchmark, then returns one
/// `MicroResult`-shaped object per benchmark, in the order they ran.
pub(crate) fn run(mode: Mode) -> anyhow::Result<Vec<Value>> {
    let started = Instant::now();
    // Built unpinned first: compiling on one core would take much longer.
    build(mode)?;
    let names = list(mode)?;
    ensure!(!names.is_empty(), "micro-benchmarks: criterion listed no benchmark");
    let home = crate::target_dir().join("bench-micro").join("criterion");
    if home.exists() {
        std::fs::remove_dir_all(&home).with_context(|| format!("emptying {}", home.display()))?;
    }
    let mut cmd = pinned(bench_cmd(mode, &[], mode.criterion_args()));
    cmd.env("CRITERION_HOME", &home);
    run::step(&format!("micro-benchmarks ({mode:?})"), cmd)?;
    let estimates = read_estimates(&home)?;
    let mut out = Vec::with_capacity(names.len());
    for name in &names {
        let Some(&(mean_ns, median_ns)) = estimates.get(name) else {
            bail!("micro-benchmark {name} produced no estimates in {}", home.display());
        };
        ensure!(
            mean_ns.is_finite() && median_ns.is_finite() && mean_ns > 0.0 && median_ns > 0.0,
            "micro-benchmark {name}: estimates are not positive times (mean {mean_ns}, median {median_ns})"
        );
        out.push(json!({ "name": name, "mean_ns": mean_ns, "median_ns": median_ns }));
    }
    println!("==> micro-benchmarks: {} figures in {:.1?} ({mode:?})", out.len(), started.elapsed());
    Ok(out)
}

/// `cargo bench <the mode's selection> --bench core --bench service
/// <cargo_args> -- <criterion_args>`.
fn bench_cmd(mode: Mode, cargo_args: &[&str], criterion_args: &[&str]) -> Command {
    let mut args = mode.cargo_args().to_vec();
    for b in BENCHES {
        args.extend(["--bench", b]);
    }
    args.extend_from_slice(cargo_args);
    if !criterion_args.is_empty() {
        args.push("--");
        args.extend_from_slice(criterion_args);
    }
    run::cargo(&args)
}

/// Every benchmark's name, as criterion's `--list` prints them
/// (`name: benchmark`): what the run must produce figures for.
fn list(mode: Mode) -> anyhow::Result<Vec<String>> {
    let mut cmd = bench_cmd(mode, &["--quiet"], &["--list"]);
    let out = cmd.output().with_context(|| format!("cannot start {}", run::describe(&cmd)))?;
    if !out.status.success() {
        bail!("micro-benchmarks: listing failed ({}):\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    }
    Ok(parse_list(&String::from_utf8_lossy(&out.stdout)))
}

fn parse_list(stdout: &str) -> Vec<String> {
    stdout.lines().filter_map(|l| l.strip_suffix(": benchmark")).map(str::to_owned).collect()
}

/// `cmd` under `taskset -c 1`, so that the figures do not wander with the
/// scheduler; unpinned (and said so) where there is no second core or no
/// `taskset`.
fn pinned(cmd: Command) -> Command {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let has_taskset = Command::new("taskset")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if cores < 2 || !has_taskset {
        println!("==> micro-benchmarks: not pinned ({cores} core(s), taskset found: {has_taskset})");
        return cmd;
    }
    let mut p = Command::new("taskset");
    p.args(["-c", CORE]).arg(cmd.get_program()).args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        p.current_dir(dir);
    }
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => p.env(k, v),
            None => p.env_remove(k),
        };
    }
    p
}

/// `full_id → (mean, median)` from every `*/new/{benchmark,estimates}.json`
/// under `home`.
fn read_estimates(home: &Path) -> anyhow::Result<BTreeMap<String, (f64, f64)>> {
    let mut found = BTreeMap::new();
    let mut dirs = vec![home.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            if !path.is_dir() {
                continue;
            }
            if path.file_name().is_some_and(|n| n == "new") {
                let (name, figures) = read_one(&path)?;
                found.insert(name, figures);
            } else {
                dirs.push(path);
            }
        }
    }
    Ok(found)
}

/// One benchmark's name and (mean, median) point estimates, nanoseconds.
fn read_one(new: &Path) -> anyhow::Result<(String, (f64, f64))> {
    let read = |file: &str| -> anyhow::Result<Value> {
        let path: PathBuf = new.join(file);
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    };
    let id = read("benchmark.json")?;
    let name = id["full_id"].as_str().with_context(|| format!("{}: no full_id", new.display()))?.to_owned();
    let est = read("estimates.json")?;
    let point = |which: &str| {
        est[which]["point_estimate"].as_f64().with_context(|| format!("{name}: no {which} point estimate"))
    };
    Ok((name.clone(), (point("mean")?, point("median")?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_keeps_only_benchmark_names() {
        let out = "discover/2026: benchmark\nnoise\nservice/call/2025: benchmark\n";
        assert_eq!(parse_list(out), ["discover/2026", "service/call/2025"]);
    }

    #[test]
    fn estimates_are_read_by_full_id_from_new_only() -> anyhow::Result<()> {
        let home = std::env::temp_dir().join(format!("xtask-bench-micro-{}", std::process::id()));
        let write = |dir: &str, sub: &str, id: &str, mean: f64| -> anyhow::Result<()> {
            let d = home.join(dir).join(sub);
            std::fs::create_dir_all(&d)?;
            std::fs::write(d.join("benchmark.json"), json!({ "full_id": id }).to_string())?;
            let est = json!({ "mean": { "point_estimate": mean }, "median": { "point_estimate": mean / 2.0 } });
            std::fs::write(d.join("estimates.json"), est.to_string())?;
            Ok(())
        };
        write("tools_list_10_2025", "new", "tools_list/10/2025", 400.0)?;
        write("tools_list_10_2025", "base", "tools_list/10/2025", 9.0)?;
        write("service_call_2026", "new", "service/call/2026", 3000.0)?;
        let found = read_estimates(&home);
        std::fs::remove_dir_all(&home)?;
        let found = found?;
        assert_eq!(found.len(), 2);
        assert_eq!(found.get("tools_list/10/2025"), Some(&(400.0, 200.0)));
        assert_eq!(found.get("service/call/2026"), Some(&(3000.0, 1500.0)));
        Ok(())
    }
}
