//! The Lambda part of `cargo xtask bench`: every function timed by
//! `bench-lambda` against the local stand-in of the AWS Lambda Runtime API,
//! and one end-to-end pass of `mcp-bench` through `cargo lambda watch`'s
//! emulated Function URL.
//!
//! Functions, each buffered and streamed unless said otherwise (streamed
//! twice: against a plain socket, and with `--quick-ack`, reported as
//! `streaming-quickack`, which removes the ~40 ms delayed-ACK wait that
//! `lambda_runtime`'s client meets on Linux and so shows the function's own
//! cost):
//! - `mcp-handler-no-sdk` / `mcp-handler`: this library's `bench-server`,
//!   built with `--profile lambda` (the shipped Lambda artifact's profile)
//!   without and with the AWS SDK (`--features aws-sdk`);
//! - `lambda-runtime-floor`: a bare `lambda_runtime` function answering fixed
//!   bytes (`benches/peers/lambda-floor`, built the same way);
//! - `awslabs-python`: the awslabs `mcp-lambda-handler` run by the official
//!   Python runtime interface client `awslambdaric` (buffered only: the
//!   library answers a buffered result).
//!
//! Runs are interleaved (every function once per round, each round starting
//! at the next function) so a slow moment of the machine spreads over all of
//! them; each run starts a fresh process, so each run gives one init figure.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::Value;

/// The Python peer's packages, pinned (installing another pin reinstalls).
const AWSLABS_PACKAGES: &[&str] = &["awslabs-mcp-lambda-handler==0.1.15", "awslambdaric==4.2.2"];

/// The modes a Rust function is timed in (`bench-lambda` labels).
const RUST_MODES: &[&str] = &["buffered", "streaming", "streaming-quickack"];

/// What the Lambda benchmark measured.
#[derive(Debug, Default)]
pub(crate) struct LambdaFigures {
    /// `bench-lambda --json` lines (`results::LambdaRun`), in run order.
    pub(crate) runs: Vec<Value>,
    /// `mcp-bench --json` through `cargo lambda watch` (`results::LoadRun`).
    pub(crate) watch: Option<Value>,
    /// What could not be measured, and why (for the report).
    pub(crate) notes: Vec<String>,
}

/// One function to time.
struct System {
    name: &'static str,
    modes: &'static [&'static str],
    program: PathBuf,
    args: Vec<String>,
    /// The function's working directory (the Python handler's folder).
    dir: PathBuf,
    /// This library: a failure fails the benchmark instead of becoming a note.
    ours: bool,
}

/// The functions, built, and the stand-in that times them.
pub(crate) struct Prepared {
    bench_lambda: PathBuf,
    systems: Vec<System>,
}

/// Builds every function and the stand-in; a peer that cannot be built or
/// installed becomes a note in `notes`.
pub(crate) fn prepare(notes: &mut Vec<String>) -> anyhow::Result<Prepared> {
    Ok(Prepared { bench_lambda: build_bench_lambda()?, systems: systems(notes)? })
}

/// Times every prepared function (`quick`: one round of few invocations),
/// then the `cargo lambda watch` pass with `mcp_bench`.
pub(crate) fn run(prepared: &Prepared, quick: bool, mcp_bench: &Path) -> anyhow::Result<LambdaFigures> {
    let mut figures = LambdaFigures::default();
    let Prepared { bench_lambda, systems } = prepared;
    let rounds = if quick { 1 } else { 6 };
    for round in 1..=rounds {
        // Each round starts at the next function: the one run first after
        // another program (the Python peer, a previous stage) starts slower,
        // and a fixed order would charge that to the same function each time.
        let first = (round - 1) % systems.len().max(1);
        for system in systems[first..].iter().chain(&systems[..first]) {
            for mode in system.modes {
                match measure(bench_lambda, system, mode, quick) {
                    Ok(run) => {
                        println!("==> lambda round {round}/{rounds}: {}", summary(&run));
                        figures.runs.push(run);
                    }
                    Err(e) if system.ours => return Err(e),
                    Err(e) => {
                        println!("==> lambda: {} {mode} failed: {e:#}", system.name);
                        figures.notes.push(format!("Lambda {} {mode} (round {round}): {e:#}", system.name));
                    }
                }
            }
        }
    }
    match watch_pass(mcp_bench) {
        Ok(load) => figures.watch = load,
        Err(e) => {
            println!("==> lambda watch: {e:#}");
            figures.notes.push(format!("cargo lambda watch pass: {e:#}"));
        }
    }
    Ok(figures)
}

/// Warm invocations per run. A plain streamed response from a
/// `lambda_runtime` function waits out a delayed ACK (~40 ms), so those
/// runs get fewer to keep the benchmark bounded (6 rounds: ~15 s).
fn invocations(quick: bool, mode: &str) -> u32 {
    match (quick, mode) {
        (true, _) => 20,
        (false, "streaming") => 60,
        (false, _) => 2000,
    }
}

fn measure(bench_lambda: &Path, system: &System, mode: &str, quick: bool) -> anyhow::Result<Value> {
    let log = crate::target_dir().join("bench-lambda").join(format!("{}-{mode}.log", system.name));
    let mut cmd = Command::new(bench_lambda);
    match mode.strip_suffix("-quickack") {
        Some(m) => cmd.args(["--mode", m, "--quick-ack"]),
        None => cmd.args(["--mode", mode]),
    };
    cmd.current_dir(&system.dir)
        .args(["--system", system.name, "--json"])
        .args(["--invocations", &invocations(quick, mode).to_string()])
        .arg("--log")
        .arg(&log)
        .arg("--")
        .arg(&system.program)
        .args(&system.args)
        .stderr(Stdio::inherit());
    let out = cmd.output().with_context(|| format!("starting {}", bench_lambda.display()))?;
    if !out.status.success() {
        bail!("bench-lambda {} {mode} failed ({}); see above and {}", system.name, out.status, log.display());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().rev().find(|l| l.trim_start().starts_with('{')).context("bench-lambda printed no JSON")?;
    serde_json::from_str(line).with_context(|| format!("bench-lambda's JSON: {line}"))
}

fn summary(run: &Value) -> String {
    format!(
        "{} {}: init {:.2} ms, first {:.3} ms, warm p50 {:.1} µs p99 {:.1} µs ({} invocations), VmHWM {} KiB",
        run["system"].as_str().unwrap_or("?"),
        run["mode"].as_str().unwrap_or("?"),
        run["init_ms"].as_f64().unwrap_or(f64::NAN),
        run["first_invoke_ms"].as_f64().unwrap_or(f64::NAN),
        run["warm_us"]["p50"].as_f64().unwrap_or(f64::NAN),
        run["warm_us"]["p99"].as_f64().unwrap_or(f64::NAN),
        run["invocations"],
        run["rss_hwm_kb"],
    )
}

/// `bench-lambda` itself, optimised: the stand-in should cost the machine
/// as little as it can while it times.
fn build_bench_lambda() -> anyhow::Result<PathBuf> {
    Ok(crate::run::bench_release()?.join("bench-lambda"))
}

/// Builds the functions; a peer that cannot be built becomes a note.
fn systems(notes: &mut Vec<String>) -> anyhow::Result<Vec<System>> {
    let out = crate::target_dir().join("bench-lambda");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let root = crate::root();
    let mut systems = Vec::new();
    // The SDK build first: the plain one is then what `target/lambda/`
    // holds, which the `cargo lambda watch` pass builds again for free.
    for (name, features) in [("mcp-handler", Some("aws-sdk")), ("mcp-handler-no-sdk", None)] {
        let mut args = vec!["build", "--profile", "lambda", "-p", "mcp-handler-benches", "--bin", "bench-server"];
        args.extend(features.iter().flat_map(|f| ["--features", *f]));
        crate::run::step(&format!("build {name} (bench-server, profile lambda)"), crate::run::cargo(&args))?;
        let program = out.join(name);
        std::fs::copy(crate::target_dir().join("lambda/bench-server"), &program)
            .with_context(|| format!("copying bench-server to {}", program.display()))?;
        systems.push(System { name, modes: RUST_MODES, program, args: vec![], dir: root.clone(), ours: true });
    }
    match build_floor() {
        Ok(program) => systems.push(System {
            name: "lambda-runtime-floor",
            modes: RUST_MODES,
            program,
            args: vec![],
            dir: root.clone(),
            ours: false,
        }),
        Err(e) => notes.push(format!("the Lambda floor was not built: {e:#}")),
    }
    match crate::pytools::ensure("awslabs-lambda", AWSLABS_PACKAGES, &["python"]) {
        Ok(venv) => systems.push(System {
            name: "awslabs-python",
            modes: &["buffered"],
            program: venv.bin.join("python"),
            args: ["-m", "awslambdaric", "handler.lambda_handler"].map(String::from).to_vec(),
            dir: root.join("benches/peers/awslabs-lambda"),
            ours: false,
        }),
        Err(e) => notes.push(format!("the awslabs Python function was not installed: {e:#}")),
    }
    Ok(systems)
}

/// The floor, in its own workspace and target folder, with the lambda profile.
fn build_floor() -> anyhow::Result<PathBuf> {
    let target = crate::target_dir().join("peers-lambda");
    let manifest = crate::root().join("benches/peers/lambda-floor/Cargo.toml");
    let mut build = crate::run::cargo(&["build", "--locked", "--profile", "lambda"]);
    build.arg("--manifest-path").arg(&manifest).arg("--target-dir").arg(&target);
    crate::run::step("build lambda-runtime-floor (profile lambda)", build)?;
    Ok(target.join("lambda/lambda-floor"))
}

/// `bench-server` under `cargo lambda watch` (buffered), loaded through its
/// emulated Function URL by `mcp-bench`. `None` when `mcp_bench` is not
/// built yet (the emulator is still checked with one call).
fn watch_pass(mcp_bench: &Path) -> anyhow::Result<Option<Value>> {
    crate::tools::ensure_python()?;
    let port = crate::run::free_port()?;
    let log_path = crate::target_dir().join("bench-lambda/watch.log");
    let log = std::fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    println!(
        "\n==> lambda watch: bench-server under cargo lambda watch on 127.0.0.1:{port} (log {})",
        log_path.display()
    );
    let mut cmd = Command::new(crate::run::cargo_bin());
    crate::run::without_xtask_env(&mut cmd)
        .current_dir(crate::root())
        .env("PATH", crate::lambda::path_env())
        .args(["lambda", "watch", "-A", "127.0.0.1", "-P", &port.to_string(), "--ignore-changes"])
        .args(["--profile", "lambda", "-p", "mcp-handler-benches", "--bin", "bench-server"])
        .args(["--env-var", "MCP_LAMBDA_RESPONSE_MODE=buffered"])
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .process_group(0);
    let watch = Watch(cmd.spawn().context("starting cargo lambda watch")?);
    let path = "/lambda-url/bench-server/mcp";
    let url = format!("http://127.0.0.1:{port}{path}");
    // The first call may wait for the function's build and start.
    let deadline = std::time::Instant::now() + Duration::from_secs(600);
    let mut watch = watch;
    while !echo_call(port, path) {
        if let Some(status) = watch.0.try_wait()? {
            bail!("cargo lambda watch exited ({status}); see {}", log_path.display());
        }
        if std::time::Instant::now() > deadline {
            bail!("the emulated Function URL {url} never answered the echo call; see {}", log_path.display());
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    if !mcp_bench.exists() {
        bail!(
            "{} is not built: the emulated Function URL answered one checked call, no load figures",
            mcp_bench.display()
        );
    }
    let mut load = Command::new(mcp_bench);
    load.args(["--scenario", "call", "-c", "4", "-n", "200", "--json", &url]).stderr(Stdio::inherit());
    println!("==> lambda watch: {}", crate::run::describe(&load));
    let out = load.output().with_context(|| format!("starting {}", mcp_bench.display()))?;
    drop(watch);
    if !out.status.success() {
        bail!("mcp-bench through cargo lambda watch failed ({})", out.status);
    }
    let run: Value = serde_json::from_slice(&out.stdout).context("mcp-bench's JSON")?;
    println!("==> lambda watch: {} ok, {} req/s, p50 {} µs", run["ok"], run["rps"], run["latency_us"]["p50"]);
    Ok(Some(run))
}

/// One 2025-shape `tools/call` of `echo` through the emulated Function URL,
/// answered 200 with the echoed text.
fn echo_call(port: u16, path: &str) -> bool {
    let authority = format!("127.0.0.1:{port}");
    let Ok(addr) = authority.parse() else { return false };
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello from mcp-bench"}}}"#;
    let headers = "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-06-18\r\n";
    let req = crate::run::post_request(&authority, path, headers, body);
    crate::run::exchange(addr, &req, Duration::from_secs(30))
        .is_some_and(|(status, text)| status == 200 && text.contains(r#""text":"hello from mcp-bench""#))
}

/// `cargo lambda watch` and the function it started, stopped together.
struct Watch(Child);

impl Drop for Watch {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        std::thread::sleep(Duration::from_millis(300));
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.0.wait();
    }
}
