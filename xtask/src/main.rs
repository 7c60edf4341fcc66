//! `cargo xtask <command>`: the project's one orchestration command.
//!
//! - `test`: installs what the tests need into `.tools/` and, from Debian,
//!   the real Prometheus the metrics tests scrape with (idempotent), then
//!   runs format and lint checks, the library docs (`-D warnings`), the
//!   deployment files' linters, every Rust test, the doctests, each fuzz
//!   target for 15 s, `cargo package`, the
//!   official MCP conformance suite against the `everything` server and the
//!   Lambda emulator, the SAM build, and the container image built and run
//!   (with the ECS and Compose files).
//! - `conformance`: only the conformance suites (container server).
//! - `lambda`: the suites on the Lambda emulator, and the arm64 zip.
//! - `infra`: lint and validate the Dockerfile, the SAM, ECS and Kubernetes
//!   templates and the GitHub workflows (`infra k8s|ecs|sam|workflows`).
//! - `image`: build the container image for amd64 and arm64 with buildah and
//!   run it with podman, as production would (see `image.rs`).
//! - `bench`: the benchmark suite into `target/bench-report/` (see `bench.rs`;
//!   `--quick` for a smoke run, `--cores 1,2,4,8` for scaling).
//! - `fuzz`: coverage-guided fuzzing of the parsers (`--seconds N` per
//!   target, default 60; one `TARGET` or all; see `fuzz.rs`).
//! - `package`: `cargo package` of the library crates.
//! - `tools`: only the installation (`.tools/` and Debian's `prometheus`).

mod apt;
mod bench;
mod bench_lambda;
mod bench_load;
mod bench_micro;
mod bench_profile;
mod compose;
mod conformance;
mod containers;
mod ecs;
mod ecs_run;
mod elf;
mod fuzz;
mod image;
mod k8s;
mod k8s_metrics;
mod lambda;
mod moto;
mod peers;
mod pytools;
mod run;
mod sam;
mod soak;
mod standin;
mod static_build;
mod tools;
mod workflows;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("conformance") => tools::ensure_node().and_then(|node| conformance::run_all(&node, run::Build::Release)),
        // `cargo xtask lambda guarded`: only the guarded-function check.
        Some("lambda") if args.get(1).is_some_and(|a| a == "guarded") => {
            tools::ensure_node().and_then(|_| lambda::guarded())
        }
        Some("lambda") => tools::ensure_node()
            .and_then(|node| lambda::conformance(&node))
            .and_then(|()| lambda::guarded())
            .and_then(|()| lambda::artifact()),
        Some("infra") => infra(args.get(1).map(String::as_str)),
        Some("image") => tools::ensure_node().and_then(|node| image(&node)),
        Some("bench") => bench::bench(&args[1..]),
        Some("fuzz") => fuzz::cli(&args[1..]),
        Some("soak") => soak::soak(&args[1..]),
        Some("package") => package(),
        Some("tools") => tools::ensure_node().and_then(|_| apt::ensure_prometheus()),
        _ => {
            eprintln!(
                "usage: cargo xtask <test|bench [--quick] [--cores 1,2,4]|conformance|lambda [guarded]|infra [k8s|ecs|sam|workflows]|image|fuzz [--seconds N] [TARGET]|package|tools>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: FAILED: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (xtask lives one level below it).
pub(crate) fn root() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    dir.canonicalize().unwrap_or(dir)
}

/// Cargo's target directory (honours `CARGO_TARGET_DIR`).
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

/// The deployment files' linters and validators, or one group of them.
fn infra(which: Option<&str>) -> anyhow::Result<()> {
    match which {
        Some("k8s") => k8s::check(),
        Some("ecs") => ecs::check(),
        Some("sam") => sam::check(),
        Some("workflows") => workflows::check(),
        Some(other) => anyhow::bail!("unknown infra group {other:?}: k8s, ecs, sam or workflows"),
        None => k8s::check().and_then(|()| ecs::check()).and_then(|()| sam::check()).and_then(|()| workflows::check()),
    }
}

/// The crates published to crates.io, in dependency order.
const LIBRARY_CRATES: [&str; 7] = [
    "mcp-handler-core",
    "mcp-handler-secrets",
    "mcp-handler-otel",
    "mcp-handler-server",
    "mcp-handler-lambda",
    "mcp-handler-stdio",
    "mcp-handler",
];

/// The library crates as `cargo package` makes them for crates.io: the
/// metadata a registry needs, and a package that builds on its own.
fn package() -> anyhow::Result<()> {
    const CRATES: [&str; 7] = LIBRARY_CRATES;
    forget_packaged_sources(&CRATES)?;
    // Verified in a target folder of its own: the registry copies of our
    // crates compile there under the same package ids on every run (0.1.0
    // is 0.1.0), and cargo never rebuilds a registry crate it has built, so
    // their artifacts are removed first; the dependencies' stay cached.
    let verify = target_dir().join("package-verify");
    for dir in ["deps", ".fingerprint", "build"] {
        let Ok(entries) = std::fs::read_dir(verify.join("debug").join(dir)) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let name = name.strip_prefix("lib").unwrap_or(&name);
            if name.starts_with("mcp_handler") || name.starts_with("mcp-handler") {
                let path = entry.path();
                let _ = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
            }
        }
    }
    let mut args = vec!["package", "--allow-dirty"];
    for c in CRATES {
        args.extend(["-p", c]);
    }
    let mut cmd = run::cargo(&args);
    cmd.env("CARGO_TARGET_DIR", &verify);
    run::step("cargo package (library crates)", cmd)
}

/// `cargo package` verifies each crate against its siblings through a
/// temporary local registry, and cargo unpacks registry crates once per
/// name and version into `$CARGO_HOME/registry/src/-<hash>/`, never again:
/// a second run on the same checkout would verify against the first run's
/// sources (0.1.0 is 0.1.0) and fail on any changed API. Those unpacked
/// copies of our own crates (local registries only) are removed first.
fn forget_packaged_sources(crates: &[&str]) -> anyhow::Result<()> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let Some(src) = home.map(|h| h.join("registry").join("src")) else { return Ok(()) };
    let Ok(registries) = std::fs::read_dir(&src) else { return Ok(()) };
    for registry in registries.flatten() {
        // Local (path) registries are named `-<hash>`; crates.io's is not.
        if !registry.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        for entry in std::fs::read_dir(registry.path())?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = crates.iter().any(|c| {
                name.strip_prefix(c)
                    .and_then(|v| v.strip_prefix('-'))
                    .is_some_and(|v| v.starts_with(|ch: char| ch.is_ascii_digit()))
            });
            if ours {
                std::fs::remove_dir_all(entry.path())?;
            }
        }
    }
    Ok(())
}

/// The container image built and run, then the ECS task's container and
/// the Compose service run from it.
fn image(node: &tools::Node) -> anyhow::Result<()> {
    image::run_all(node)?;
    containers_run()
}

/// The ECS task's container and the Compose service, from the amd64 image.
fn containers_run() -> anyhow::Result<()> {
    ecs_run::check()?;
    compose::check()
}

/// What the run left on disk (CI's disk is finite: a fresh clone's run once
/// filled it), printed so a growing footprint is seen before it fails.
fn disk_report() {
    let out = std::process::Command::new("du").args(["-sh", "target", ".cache", ".tools", "fuzz/target"]).output();
    if let Ok(out) = out {
        println!("\n==> disk used by this run:\n{}", String::from_utf8_lossy(&out.stdout).trim_end());
    }
}

/// Every tool the test command installs, in the order its stages need
/// them, run in a thread beside the first stages (clippy, docs, the tests'
/// build): installs mostly wait on the network, ~3 minutes on a fresh
/// clone. A stage needing a tool waits for its install (`install_lock`).
/// A failure here is only reported: the stage that needs the tool installs
/// it again, and stops the run if it still cannot. Node and the Python
/// tools (what the tests run with) are sent on `node` as soon as they are
/// in; SAM and podman-compose install after.
fn install_tools(node: std::sync::mpsc::Sender<anyhow::Result<tools::Node>>) {
    let report = |what: &str, r: anyhow::Result<()>| {
        if let Err(e) = r {
            println!("==> tools (background): {what} failed, retried where it is needed: {e:#}");
        }
    };
    report("hadolint", image::hadolint_venv().map(drop));
    report("kubernetes-validate, checkov", k8s::venvs().map(drop));
    report("cfn-lint", ecs::cfn_lint_venv().map(drop));
    report("actionlint, zizmor", workflows::venv().map(drop));
    let installed = tools::ensure_node();
    report("Node 22 and the Python tools", installed.as_ref().map(drop).map_err(|e| anyhow::anyhow!("{e:#}")));
    report("prometheus", apt::ensure_prometheus());
    let _ = node.send(installed);
    report("aws-sam-cli", sam::venv().map(drop));
    report("podman-compose", compose::venv().map(drop));
}

fn test() -> anyhow::Result<()> {
    let mut stages = run::Stages::new();
    let (installed, node) = std::sync::mpsc::channel();
    std::thread::spawn(move || install_tools(installed));
    stages.run("format, clippy, docs", || {
        run::step("format check", run::cargo(&["fmt", "--all", "--check"]))?;
        run::step("clippy", run::cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
        // The library crates' docs as docs.rs builds them: a broken or
        // ambiguous link fails here, not on a reader.
        let mut doc = run::cargo(&["doc", "--no-deps", "--all-features"]);
        for krate in LIBRARY_CRATES {
            doc.args(["-p", krate]);
        }
        doc.env("RUSTDOCFLAGS", "-D warnings");
        run::step("docs (library crates, -D warnings)", doc)
    })?;
    // The deployment files' linters first: cheap, and they fail fast.
    stages.run("infra linters", || {
        image::hadolint()?;
        k8s::check()?;
        ecs::check()?;
        workflows::check()
    })?;
    // The tests compile while the tools they run with may still install.
    let runner: &[&str] = if run::has_nextest() {
        &["nextest", "run", "--workspace"]
    } else {
        println!("cargo-nextest is not installed; running the same tests with cargo test");
        &["test", "--workspace"]
    };
    stages.run("tests: build", || run::step("tests: build", run::cargo(&[runner, &["--no-run"]].concat())))?;
    let node = stages.run("tools (waiting for their install)", || match node.recv() {
        Ok(Ok(node)) => Ok(node),
        // Reported by the thread; once more here, where a failure stops the run.
        _ => tools::ensure_node(),
    })?;
    apt::ensure_prometheus()?;
    stages.run("tests", || run::step("tests", run::cargo(&[runner, &["--no-fail-fast"]].concat())))?;
    stages.run("soak", soak::short)?;
    stages.run("doctests", || run::step("doctests", run::cargo(&["test", "--workspace", "--doc"])))?;
    // Bounded: a crash found here fails the run; the corpus it grows is kept
    // for the next run (fuzz/corpus, ignored).
    stages.run("fuzz", || fuzz::run(fuzz::TEST_SECONDS, None))?;
    stages.run("cargo package", package)?;
    stages.run("benchmark smoke", bench::smoke)?;
    stages.run("conformance (server)", || conformance::run_all(&node, run::Build::Test))?;
    stages.run("conformance (Lambda emulator)", || lambda::conformance(&node))?;
    stages.run("guarded Lambda demo", lambda::guarded)?;
    // The Lambda artifact (an arm64 cross build) compiles beside the image
    // builds: each of those ends in a long single-threaded link (fat LTO),
    // when one core would otherwise idle. It is done before anything runs
    // in a container, so that nothing timed there competes with a compiler.
    let artifact = lambda::start_artifact()?;
    stages.run("image builds (and the Lambda artifact's)", image::build_all)?;
    stages.run("Lambda artifact", || lambda::finish_artifact(artifact))?;
    stages.run("SAM", sam::check)?;
    stages.run("images run, ECS, Compose", || {
        image::check_all(&node)?;
        containers_run()
    })?;
    disk_report();
    stages.print("stage times");
    println!("\nxtask: all checks passed in {:.0?}", stages.elapsed());
    Ok(())
}
