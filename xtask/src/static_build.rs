//! `bench-server` built the way the container image builds its binary: a
//! static musl executable for this machine's architecture, linked by zig
//! through cargo-zigbuild, allocating with mimalloc (see
//! `crates/mcp-handler-examples/src/lib.rs`). The benchmark's
//! `mcp-handler-static` system: what ECS, Kubernetes and Compose run,
//! against the glibc build every other row of the report measures.
//!
//! zig and cargo-zigbuild come from PyPI at the versions the `Dockerfile`
//! pins (read from its `ARG` lines, so the two cannot drift apart), into
//! `.tools/venv/zigbuild`; the musl target from rustup. The build keeps its
//! artifacts in a folder of its own, `target/static`.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::{pytools, run};

/// The musl target triple of this machine's architecture.
fn triple() -> anyhow::Result<&'static str> {
    match std::env::consts::ARCH {
        "x86_64" => Ok("x86_64-unknown-linux-musl"),
        "aarch64" => Ok("aarch64-unknown-linux-musl"),
        other => bail!("no static build for {other}: the container image is built for x86_64 and aarch64"),
    }
}

/// `name==version` of the Dockerfile's `ARG <arg>=<version>` line.
fn pinned(dockerfile: &str, arg: &str, package: &str) -> anyhow::Result<String> {
    let prefix = format!("ARG {arg}=");
    let version = dockerfile
        .lines()
        .find_map(|l| l.trim().strip_prefix(&prefix))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .with_context(|| format!("the Dockerfile has no `{prefix}<version>` line"))?;
    Ok(format!("{package}=={version}"))
}

/// Builds `bench-server` statically (only what changed) and returns it.
pub(crate) fn bench_server() -> anyhow::Result<PathBuf> {
    let (build, binary) = command()?;
    run::step(STEP, build)?;
    Ok(binary)
}

/// Starts the same build beside the rest of the benchmark's builds, its
/// output in `target/static/build.log`. Its fat-LTO link runs on one core
/// for about a minute after a change, as do the Lambda builds', so the two
/// overlap on a two-core machine instead of following each other;
/// [`bench_server`] afterwards finds it done.
pub(crate) fn start() -> anyhow::Result<run::Background> {
    let (build, _) = command()?;
    let dir = crate::target_dir().join("static");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    run::Background::start(STEP, build, &dir.join("build.log"))
}

const STEP: &str = "static build of bench-server (musl, as the container image)";

/// The build's command (zig, cargo-zigbuild and the target installed
/// first) and the binary it makes.
fn command() -> anyhow::Result<(Command, PathBuf)> {
    let triple = triple()?;
    let dockerfile = std::fs::read_to_string(crate::root().join("Dockerfile")).context("reading the Dockerfile")?;
    let pins = [
        pinned(&dockerfile, "ZIG_VERSION", "ziglang")?,
        pinned(&dockerfile, "CARGO_ZIGBUILD_VERSION", "cargo-zigbuild")?,
    ];
    let pins: Vec<&str> = pins.iter().map(String::as_str).collect();
    let venv = pytools::ensure("zigbuild", &pins, &["cargo-zigbuild"])?;
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add", triple]);
    run::step(&format!("rustup target {triple}"), rustup).context("rustup is required for the static build")?;
    let target_dir = crate::target_dir().join("static");
    let mut build = Command::new(venv.bin.join("cargo-zigbuild"));
    build
        .args(["zigbuild", "--release", "--locked", "--target", triple, "-p", "mcp-handler-benches"])
        .args(["--bin", "bench-server", "--target-dir"])
        .arg(&target_dir)
        .current_dir(crate::root())
        // cargo-zigbuild runs zig as `python3 -m ziglang`: this venv's python3.
        .env("PATH", venv.path_env());
    run::without_xtask_env(&mut build);
    Ok((build, target_dir.join(triple).join("release").join("bench-server")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dockerfile_pins_are_read_from_its_arg_lines() {
        let file = "FROM x AS zig\nARG ZIG_VERSION=0.14.1\nARG CARGO_ZIGBUILD_VERSION=0.24.0\nRUN pip install\n";
        assert_eq!(pinned(file, "ZIG_VERSION", "ziglang").ok().as_deref(), Some("ziglang==0.14.1"));
        assert_eq!(
            pinned(file, "CARGO_ZIGBUILD_VERSION", "cargo-zigbuild").ok().as_deref(),
            Some("cargo-zigbuild==0.24.0")
        );
        assert!(pinned("ARG ZIG_VERSION=\n", "ZIG_VERSION", "ziglang").is_err());
        assert!(pinned(file, "RUST_IMAGE", "rust").is_err());
    }

    #[test]
    fn the_repository_dockerfile_pins_both_tools() {
        let file = std::fs::read_to_string(crate::root().join("Dockerfile")).unwrap_or_default();
        assert!(pinned(&file, "ZIG_VERSION", "ziglang").is_ok());
        assert!(pinned(&file, "CARGO_ZIGBUILD_VERSION", "cargo-zigbuild").is_ok());
    }
}
