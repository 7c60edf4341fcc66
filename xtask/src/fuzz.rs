//! `cargo xtask fuzz [--seconds N] [TARGET]`: coverage-guided fuzzing of
//! the parsers with cargo-fuzz (libFuzzer), every target or one, each for a
//! bounded time. `cargo xtask test` runs it too, briefly.
//!
//! Installs what it needs, idempotently: a nightly toolchain (`--profile
//! minimal`; libFuzzer's instrumentation needs nightly flags) and
//! cargo-fuzz, pinned, into `.tools/cargo-fuzz`. The targets build once
//! into `fuzz/target` (their own workspace: nightly flags never touch the
//! main build), without a sanitizer: the code under test forbids `unsafe`,
//! so AddressSanitizer would find nothing and costs a slower build; debug
//! assertions stay on, so an overflow is a crash. 16 codegen units instead
//! of cargo-fuzz's 1: executions are somewhat slower, but on two cores the
//! build is what a short run spends most of its time on.
//!
//! Each run starts from the generated corpus (`fuzz/corpus/<target>`,
//! ignored), the committed seeds and every past crash. A crash fails
//! loudly with the input's path; fixed, that input moves to
//! `fuzz/regressions/<target>/`, which the stable test suite replays.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// The cargo-fuzz release used; changing it reinstalls.
const CARGO_FUZZ_VERSION: &str = "0.13.2";
const TOOLCHAIN: &str = "nightly";
/// What one target may use: well above the harness's needs, low enough
/// that a leak or an allocation blow-up is reported as a crash.
const RSS_LIMIT_MB: u32 = 1024;
/// Longer inputs add little to parsers whose structure is in the first
/// kilobytes, and slow every execution.
const MAX_LEN: u32 = 4096;
/// One input running this long is a hang, reported as a crash.
const TIMEOUT_S: u32 = 10;
/// Per target in `cargo xtask test`: four targets, two at a time on two
/// cores, in about 30 s.
pub(crate) const TEST_SECONDS: u64 = 15;

/// What one target's run did.
struct Stats {
    target: String,
    executions: u64,
    per_second: u64,
    new_units: u64,
    took: Duration,
}

/// Parses `[--seconds N] [TARGET]` and fuzzes.
pub(crate) fn cli(args: &[String]) -> anyhow::Result<()> {
    let mut seconds = 60;
    let mut only = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                let n = it.next().context("--seconds needs a number")?;
                seconds = n.parse().with_context(|| format!("--seconds {n:?} is not a number"))?;
            }
            t if !t.starts_with('-') && only.is_none() => only = Some(t.to_owned()),
            other => bail!("unknown argument {other:?}: cargo xtask fuzz [--seconds N] [TARGET]"),
        }
    }
    run(seconds, only.as_deref())
}

/// Installs, builds, and runs every target (or `only`) for `seconds` each.
pub(crate) fn run(seconds: u64, only: Option<&str>) -> anyhow::Result<()> {
    let fuzz = ensure_cargo_fuzz()?;
    let all = list(&fuzz)?;
    let targets: Vec<String> = match only {
        Some(t) if all.iter().any(|a| a == t) => vec![t.to_owned()],
        Some(t) => bail!("no fuzz target {t:?}; there are: {}", all.join(", ")),
        None => all,
    };
    crate::run::step("fuzz build (nightly, no sanitizer, debug assertions)", fuzz_cmd(&fuzz, "build", &[]))?;
    // libFuzzer runs on one thread: the targets run as many at once as
    // there are cores (four 15 s targets take 30 s on two).
    let at_once = std::thread::available_parallelism().map_or(1, usize::from);
    let mut stats = Vec::new();
    for group in targets.chunks(at_once) {
        let runs: Vec<anyhow::Result<Stats>> = std::thread::scope(|s| {
            let handles: Vec<_> = group.iter().map(|t| s.spawn(|| run_one(&fuzz, t, seconds))).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a fuzz thread panicked"))))
                .collect()
        });
        for run in runs {
            stats.push(run?);
        }
    }
    println!("\n==> fuzz: {seconds} s per target, no crash");
    for s in &stats {
        println!(
            "    {:<14} {:>10} executions  {:>7}/s  {:>4} new corpus inputs  {:.1?}",
            s.target, s.executions, s.per_second, s.new_units, s.took
        );
    }
    Ok(())
}

/// `cargo-fuzz fuzz <sub> <flags> [extra]` on nightly, from the workspace
/// root, building into `fuzz/target` whatever `CARGO_TARGET_DIR` says.
fn fuzz_cmd(cargo_fuzz: &Path, sub: &str, extra: &[&str]) -> Command {
    let root = crate::root();
    let mut c = Command::new(cargo_fuzz);
    c.args(["fuzz", sub, "--sanitizer", "none", "--debug-assertions", "--fuzz-dir"])
        .arg(root.join("fuzz"))
        .arg("--target-dir")
        .arg(root.join("fuzz").join("target"))
        .args(extra)
        .current_dir(&root)
        // cargo-fuzz runs `cargo` from PATH: rustup's proxy, told which toolchain.
        .env("RUSTUP_TOOLCHAIN", TOOLCHAIN)
        .env_remove("CARGO")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTC");
    crate::run::without_xtask_env(&mut c);
    c
}

/// The target names, as cargo-fuzz reads them from `fuzz/Cargo.toml`.
fn list(cargo_fuzz: &Path) -> anyhow::Result<Vec<String>> {
    let mut c = Command::new(cargo_fuzz);
    c.args(["fuzz", "list", "--fuzz-dir"]).arg(crate::root().join("fuzz")).env("RUSTUP_TOOLCHAIN", TOOLCHAIN);
    let out = c.output().context("running cargo-fuzz list")?;
    if !out.status.success() {
        bail!("cargo fuzz list failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let names: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(|l| l.trim().to_owned()).collect();
    if names.is_empty() {
        bail!("cargo fuzz list found no targets in fuzz/");
    }
    Ok(names)
}

/// Fuzzes `target` for `seconds`; a crash is an error naming its input.
fn run_one(cargo_fuzz: &Path, target: &str, seconds: u64) -> anyhow::Result<Stats> {
    let fuzz = crate::root().join("fuzz");
    let corpus = fuzz.join("corpus").join(target);
    std::fs::create_dir_all(&corpus).with_context(|| format!("creating {}", corpus.display()))?;
    let (seeds, regressions) = (fuzz.join("seeds").join(target), fuzz.join("regressions").join(target));
    for dir in [&seeds, &regressions] {
        if !dir.is_dir() {
            bail!("{} is missing: every target has seeds and regressions (see docs/fuzzing.md)", dir.display());
        }
    }
    let flags = [
        format!("-max_total_time={seconds}"),
        format!("-rss_limit_mb={RSS_LIMIT_MB}"),
        format!("-max_len={MAX_LEN}"),
        format!("-timeout={TIMEOUT_S}"),
        "-print_final_stats=1".to_owned(),
    ];
    let dirs = [&corpus, &seeds, &regressions].map(|d| d.to_string_lossy().into_owned());
    let mut extra: Vec<&str> = vec![target];
    extra.extend(dirs.iter().map(String::as_str));
    extra.push("--");
    extra.extend(flags.iter().map(String::as_str));
    let mut cmd = fuzz_cmd(cargo_fuzz, "run", &extra);
    println!("\n==> fuzz {target}: {}", crate::run::describe(&cmd));
    let started = Instant::now();
    let mut child = cmd.stderr(Stdio::piped()).spawn().context("starting cargo-fuzz run")?;
    let mut stats =
        Stats { target: target.to_owned(), executions: 0, per_second: 0, new_units: 0, took: Duration::ZERO };
    let mut artifact = None;
    let mut tail: Vec<String> = Vec::new();
    for line in BufReader::new(child.stderr.take().context("cargo-fuzz stderr")?).lines() {
        let line = line.context("reading cargo-fuzz output")?;
        let stat = |name: &str| line.strip_prefix(name).and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(n) = stat("stat::number_of_executed_units:") {
            stats.executions = n;
        } else if let Some(n) = stat("stat::average_exec_per_sec:") {
            stats.per_second = n;
        } else if let Some(n) = stat("stat::new_units_added:") {
            stats.new_units = n;
        }
        if let Some(at) = line.find("Test unit written to ") {
            artifact = Some(PathBuf::from(line[at + "Test unit written to ".len()..].trim()));
        }
        // libFuzzer reports every new input; keep the log to the milestones.
        if !is_progress(&line) {
            println!("    [{target}] {line}");
        }
        tail.push(line);
    }
    let status = child.wait().context("waiting for cargo-fuzz")?;
    stats.took = started.elapsed();
    if let Some(path) = artifact {
        bail!(
            "fuzz target {target} crashed on {}.\n  Reproduce: cargo +{TOOLCHAIN} fuzz run --fuzz-dir fuzz -s none -a {target} {}\n  \
             Fix the code, then move the input to fuzz/regressions/{target}/ (with a name that says what it is): \
             the test suite replays it from then on.",
            path.display(),
            path.display()
        );
    }
    if !status.success() {
        bail!("fuzz target {target} failed ({status}) without a crash input; its last lines:\n{}", last(&tail, 20));
    }
    if stats.executions == 0 {
        bail!("fuzz target {target} ran no input (no final stats); its last lines:\n{}", last(&tail, 20));
    }
    Ok(stats)
}

/// `#1234  NEW ...`, `REDUCE`, `pulse`: libFuzzer's running progress.
fn is_progress(line: &str) -> bool {
    line.starts_with('#') && ["NEW", "REDUCE", "pulse"].iter().any(|w| line.contains(w))
}

fn last(lines: &[String], n: usize) -> String {
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The nightly toolchain and cargo-fuzz, installed when missing; the path
/// of the `cargo-fuzz` binary.
fn ensure_cargo_fuzz() -> anyhow::Result<PathBuf> {
    let mut probe = Command::new("rustup");
    probe.args(["run", TOOLCHAIN, "rustc", "--version"]).stdout(Stdio::null()).stderr(Stdio::null());
    if probe.status().is_ok_and(|s| s.success()) {
        println!("==> tools: Rust {TOOLCHAIN} already installed");
    } else {
        let mut install = Command::new("rustup");
        install.args(["toolchain", "install", TOOLCHAIN, "--profile", "minimal"]);
        crate::run::step("rustup nightly", install).context("rustup is required for the fuzz targets")?;
    }
    let root = crate::root().join(".tools").join("cargo-fuzz");
    let bin = root.join("bin").join("cargo-fuzz");
    let installed = Command::new(&bin).arg("--version").output().ok().filter(|o| o.status.success());
    if installed.is_some_and(|o| String::from_utf8_lossy(&o.stdout).contains(CARGO_FUZZ_VERSION)) {
        println!("==> tools: cargo-fuzz {CARGO_FUZZ_VERSION} already in .tools/cargo-fuzz");
        return Ok(bin);
    }
    let mut install =
        crate::run::cargo(&["install", "cargo-fuzz", "--locked", "--force", "--version", CARGO_FUZZ_VERSION]);
    install.arg("--root").arg(&root).env_remove("CARGO_TARGET_DIR");
    crate::run::step("cargo install cargo-fuzz", install)?;
    Ok(bin)
}
