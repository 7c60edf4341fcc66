//! `cargo xtask <command>`: the project's one orchestration command.
//!
//! - `test`: installs what the tests need into `.tools/` (idempotent), then
//!   runs format and lint checks, every Rust test, the doctests and the
//!   official MCP conformance suite against the `everything` server.
//! - `conformance`: only the conformance suites (container server).
//! - `lambda`: the suites on the Lambda emulator, and the arm64 zip.
//! - `tools`: only the installation.

mod conformance;
mod lambda;
mod run;
mod tools;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("conformance") => tools::ensure_node().and_then(|node| conformance::run_all(&node)),
        // `cargo xtask lambda guarded`: only the guarded-function check.
        Some("lambda") if args.get(1).is_some_and(|a| a == "guarded") => {
            tools::ensure_node().and_then(|_| lambda::guarded())
        }
        Some("lambda") => tools::ensure_node()
            .and_then(|node| lambda::conformance(&node))
            .and_then(|()| lambda::guarded())
            .and_then(|()| lambda::artifact()),
        Some("tools") => tools::ensure_node().map(|_| ()),
        _ => {
            eprintln!("usage: cargo xtask <test|conformance|lambda [guarded]|tools>");
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

fn test() -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let node = tools::ensure_node()?;
    run::step("format check", run::cargo(&["fmt", "--all", "--check"]))?;
    run::step("clippy", run::cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    run::step("release build", run::cargo(&["build", "--release", "-p", "mcp-handler-examples", "--bins"]))?;
    if run::has_nextest() {
        run::step("tests (nextest)", run::cargo(&["nextest", "run", "--workspace", "--no-fail-fast"]))?;
    } else {
        println!("cargo-nextest is not installed; running the same tests with cargo test");
        run::step("tests", run::cargo(&["test", "--workspace", "--no-fail-fast"]))?;
    }
    run::step("doctests", run::cargo(&["test", "--workspace", "--doc"]))?;
    conformance::run_all(&node)?;
    lambda::conformance(&node)?;
    lambda::guarded()?;
    lambda::artifact()?;
    println!("\nxtask: all checks passed in {:.0?}", started.elapsed());
    Ok(())
}
