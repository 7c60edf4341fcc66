//! `cargo xtask infra sam`: the Lambda deployment template
//! (`infra/lambda/template.yaml`) must pass `sam validate --lint` (cfn-lint
//! with the SAM transform, offline), and `sam build` must turn it into an
//! arm64 `bootstrap`, built here as a deployment would build it.
//!
//! SAM's `rust-cargolambda` builder runs, in the template's `CodeUri` (the
//! repository root), `cargo lambda build --release --arm64 --bin demo`
//! (`--release` unless `SAM_BUILD_MODE=debug`) with `CARGO_TARGET_DIR` left
//! as it is or else set to the workspace's `target/`, and copies
//! `target/lambda/demo/bootstrap` into its build directory. We drop
//! `--release` (`SAM_BUILD_MODE=debug`) and hand cargo-lambda
//! `infra/lambda/CargoLambda.toml` (`--profile lambda -p
//! mcp-handler-examples`), so the build is the very one `cargo xtask lambda`
//! makes for the zip: whichever runs second finds it fresh in `target/`.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, ensure};

use crate::pytools::Venv;

/// SAM CLI. `sam build` finds `cargo-lambda` on `PATH`: the very install
/// `lambda.rs` builds the zip with (`.tools/py`), because another install
/// of it (another zig path for ring's C compiler) would make cargo rebuild
/// every crate that depends on ring instead of finding the zip's build.
const PACKAGES: &[&str] = &["aws-sam-cli==1.170.0"];

/// The function's logical id in the template (SAM's artifact folder).
const FUNCTION: &str = "McpFunction";

/// The SAM CLI's venv, installed when missing.
pub(crate) fn venv() -> anyhow::Result<crate::pytools::Venv> {
    crate::pytools::ensure("sam", PACKAGES, &["sam"])
}

pub(crate) fn check() -> anyhow::Result<()> {
    crate::tools::ensure_python()?;
    let venv = venv()?;
    let dir = crate::root().join("infra").join("lambda");
    let template = dir.join("template.yaml");

    let mut validate = sam(&venv, &dir);
    validate.args(["validate", "--lint", "--template-file"]).arg(&template);
    crate::run::step("sam validate --lint (infra/lambda/template.yaml)", validate)?;

    build(&venv, &dir, &template)
}

/// `.tools/py` first, exactly as `lambda.rs` runs cargo-lambda (which finds
/// zig through that venv's `python3 -m ziglang`), then the SAM venv (whose
/// `sam` is started by its full path anyway), then the system.
fn path_env(venv: &Venv) -> std::ffi::OsString {
    let mut paths: Vec<_> = std::env::split_paths(&crate::lambda::path_env()).collect();
    paths.insert(1, venv.bin.clone());
    std::env::join_paths(paths).unwrap_or_default()
}

/// `sam` of the venv, run in `dir`, offline and without telemetry.
fn sam(venv: &Venv, dir: &Path) -> Command {
    let mut cmd = venv.command("sam");
    crate::run::without_xtask_env(&mut cmd)
        .current_dir(dir)
        .env("PATH", path_env(venv))
        .env("SAM_CLI_TELEMETRY", "0")
        // The SAM transform needs a Region to resolve `AWS::Region`; no call is made.
        .env("AWS_DEFAULT_REGION", "us-east-1");
    cmd
}

/// `sam build` into `target/sam/build`, then checks the artifact: an
/// AArch64 ELF, byte for byte cargo's `lambda` profile build of `demo`.
fn build(venv: &Venv, dir: &Path, template: &Path) -> anyhow::Result<()> {
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add", "aarch64-unknown-linux-gnu"]);
    crate::run::step("rustup target aarch64", rustup)?;

    let target = crate::target_dir();
    let build_dir = target.join("sam").join("build");
    let mut cmd = sam(venv, dir);
    cmd.args(["build", "--template-file"])
        .arg(template)
        .arg("--build-dir")
        .arg(&build_dir)
        // What the Rust builder does anyway; saying so silences its notice.
        .arg("--build-in-source")
        // Drops SAM's `--release`, which cargo refuses next to `--profile lambda`.
        .env("SAM_BUILD_MODE", "debug")
        .env("CARGO_LAMBDA_GLOBAL", dir.join("CargoLambda.toml"));
    let started = Instant::now();
    crate::run::step("sam build (cargo lambda build --profile lambda --arm64 --bin demo)", cmd)?;
    let took = started.elapsed();

    let artifact = build_dir.join(FUNCTION).join("bootstrap");
    let bytes = std::fs::read(&artifact).with_context(|| format!("sam build made no {}", artifact.display()))?;
    let machine = crate::elf::machine(&bytes).with_context(|| artifact.display().to_string())?;
    ensure!(
        machine == crate::elf::AARCH64,
        "{} is an ELF for machine {machine}, not AArch64 ({})",
        artifact.display(),
        crate::elf::AARCH64
    );
    // cargo-lambda moves cargo's uplifted binary away, so compare with the
    // copies cargo keeps in the profile's `deps/` (named `demo-<hash>`).
    let deps = target.join("aarch64-unknown-linux-gnu").join("lambda").join("deps");
    ensure!(
        built_by_cargo(&deps, "demo", &bytes),
        "{} is none of the `lambda` profile's demo binaries in {} (was CargoLambda.toml applied?)",
        artifact.display(),
        deps.display()
    );
    let size = bytes.len();
    println!(
        "==> sam build: aarch64 bootstrap, {size} bytes ({:.2} MiB), profile lambda, in {:.1?}, at {}",
        size as f64 / (1024.0 * 1024.0),
        took,
        artifact.display()
    );
    Ok(())
}

/// Whether one of cargo's `<bin>-<hash>` outputs in `deps` is `bytes`.
fn built_by_cargo(deps: &Path, bin: &str, bytes: &[u8]) -> bool {
    let prefix = format!("{bin}-");
    let Ok(entries) = std::fs::read_dir(deps) else { return false };
    entries.filter_map(Result::ok).any(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        name.strip_prefix(&prefix).is_some_and(|hash| !hash.contains('.'))
            && e.metadata().is_ok_and(|m| m.len() == bytes.len() as u64)
            && std::fs::read(e.path()).is_ok_and(|b| b == bytes)
    })
}
