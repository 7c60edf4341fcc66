//! LOCAL STAND-INS for the Dockerfile's two base images, which cannot be
//! pulled on machines without registry access (like this project's test
//! machines). They are assembled from parts that can be had here and tagged
//! with the very names the Dockerfile's `ARG RUST_IMAGE`/`ARG PYTHON_IMAGE`
//! defaults use, so the real Dockerfile builds unchanged with `--pull=never`:
//!
//! - `python:*-slim-bookworm` stand-in: a Debian bookworm root filesystem
//!   (mmdebstrap, from Debian's mirror) with `python3-pip` — Debian's Python
//!   3.11 instead of the official image's, enough for `pip install --target`.
//! - `rust:*-slim-bookworm` stand-in: the same root filesystem plus this
//!   machine's Rust toolchain (without its HTML docs) laid out as the
//!   official image lays it out (`/usr/local/rustup`, `/usr/local/cargo`,
//!   rustup as the proxy), so `rustup target add` in the Dockerfile works.
//!
//! Both carry this machine's extra CA certificates (from
//! `/usr/local/share/ca-certificates`; here, those of a TLS-intercepting
//! egress proxy), without which pip, rustup and cargo cannot reach their
//! registries from inside the build. The images built on top inherit that
//! bundle; a build from the real base images has Debian's bundle only.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::containers::{buildah, output};

/// Bump to rebuild the stand-ins on every machine.
const STANDIN_VERSION: &str = "1";
const LABEL: &str = "io.mcp-handler.stand-in";

/// The base image names the Dockerfile uses (from its `ARG` defaults).
fn dockerfile_arg(name: &str) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(crate::root().join("Dockerfile")).context("reading the Dockerfile")?;
    let prefix = format!("ARG {name}=");
    text.lines()
        .find_map(|l| l.trim().strip_prefix(&prefix).map(str::to_owned))
        .with_context(|| format!("the Dockerfile declares no `ARG {name}=<default>`"))
}

fn current(image: &str) -> bool {
    let Ok(v) = crate::containers::inspect_image(image) else { return false };
    v.pointer(&format!("/Labels/{LABEL}")).and_then(|l| l.as_str()) == Some(STANDIN_VERSION)
}

/// Builds the stand-ins unless current ones exist; returns their names.
pub(crate) fn ensure() -> anyhow::Result<(String, String)> {
    let rust = dockerfile_arg("RUST_IMAGE")?;
    let python = dockerfile_arg("PYTHON_IMAGE")?;
    if current(&rust) && current(&python) {
        println!("==> stand-in base images {rust} and {python} already built");
        return Ok((rust, python));
    }
    println!("==> building LOCAL STAND-INS for {rust} and {python} (registry images cannot be pulled here)");
    let work = crate::containers::dir().join("standin");
    std::fs::create_dir_all(&work)?;
    let rootfs = work.join("rootfs.tar");
    let mut mm = Command::new("mmdebstrap");
    mm.args(["--variant=minbase", "--include=ca-certificates,gcc,libc6-dev,python3-pip"])
        // The official python image's pip may install anywhere; Debian's
        // refuses outside a venv unless this marker is gone.
        .arg("--customize-hook=rm -f \"$1\"/usr/lib/python3*/EXTERNALLY-MANAGED")
        .arg(
            "--customize-hook=for f in /usr/local/share/ca-certificates/*.crt; do [ -e \"$f\" ] && \
             cp \"$f\" \"$1\"/usr/local/share/ca-certificates/; done; chroot \"$1\" update-ca-certificates",
        )
        .args(["bookworm"])
        .arg(&rootfs)
        .arg("http://deb.debian.org/debian");
    crate::run::step("mmdebstrap (Debian bookworm root filesystem)", mm)?;
    let (toolchain, release, host) = toolchain_tar(&work)?;
    let proxies = proxies(&work, &release, &host)?;
    let arch = host_arch()?;
    let ctr = output(buildah(&["from", "scratch"]))?;
    let result = (|| {
        let ctr = ctr.as_str();
        let label = format!("{LABEL}={STANDIN_VERSION}");
        output(buildah(&["add", ctr, &rootfs.to_string_lossy(), "/"]))?;
        let desc = format!("org.opencontainers.image.description=LOCAL STAND-IN for {python}, built by cargo xtask");
        let path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        output(
            buildah(&["config", "--arch", arch, "--os", "linux", "--env", path, "--cmd", "python3"])
                .args(["--label", &label, "--label", &desc, ctr]),
        )?;
        output(buildah(&["commit", "-q", "--format", "docker", ctr, &python]))?;
        let dest = format!("/usr/local/rustup/toolchains/{release}-{host}/");
        output(buildah(&["add", ctr, &toolchain.to_string_lossy(), &dest]))?;
        output(buildah(&["add", ctr, &format!("{}/", proxies.display()), "/"]))?;
        let desc = format!("org.opencontainers.image.description=LOCAL STAND-IN for {rust}, built by cargo xtask");
        let path = "PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        output(buildah(&["config", "--env", path, "--env", "RUSTUP_HOME=/usr/local/rustup"]).args([
            "--env",
            "CARGO_HOME=/usr/local/cargo",
            "--env",
            &format!("RUST_VERSION={release}"),
            "--cmd",
            "bash",
            "--label",
            &desc,
            ctr,
        ]))?;
        output(buildah(&["commit", "-q", "--format", "docker", ctr, &rust]))
    })();
    let _ = output(buildah(&["rm", &ctr]));
    result?;
    let _ = std::fs::remove_file(&rootfs);
    let _ = std::fs::remove_file(&toolchain);
    println!("==> stand-ins built: {rust}, {python}");
    Ok((rust, python))
}

/// This machine's architecture as OCI names it.
pub(crate) fn host_arch() -> anyhow::Result<&'static str> {
    Ok(match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => bail!("no stand-in for a {other} build machine"),
    })
}

/// This machine's Rust toolchain as a tar (docs left out: 800 MB the build
/// never reads); returns the tar, the release (e.g. `1.95.0`) and host triple.
fn toolchain_tar(work: &Path) -> anyhow::Result<(PathBuf, String, String)> {
    let sysroot = output({
        let mut c = Command::new("rustc");
        c.args(["--print", "sysroot"]).current_dir(crate::root());
        c
    })?;
    let vv = output({
        let mut c = Command::new("rustc");
        c.arg("-vV").current_dir(crate::root());
        c
    })?;
    let field = |k: &str| vv.lines().find_map(|l| l.strip_prefix(k)).map(|v| v.trim().to_owned());
    let release = field("release:").context("rustc -vV printed no release")?;
    let host = field("host:").context("rustc -vV printed no host")?;
    let tar = work.join("toolchain.tar");
    let mut c = Command::new("tar");
    c.arg("-C").arg(&sysroot).args(["--exclude=./share/doc", "-cf"]).arg(&tar).arg(".");
    crate::run::step("tar the Rust toolchain for the stand-in", c)?;
    Ok((tar, release, host))
}

/// `/usr/local/cargo/bin` with rustup and its proxies, and rustup's
/// settings naming the copied toolchain as the default.
fn proxies(work: &Path, release: &str, host: &str) -> anyhow::Result<PathBuf> {
    let dir = work.join("proxies");
    let _ = std::fs::remove_dir_all(&dir);
    let bin = dir.join("usr/local/cargo/bin");
    std::fs::create_dir_all(&bin)?;
    std::fs::create_dir_all(dir.join("usr/local/rustup"))?;
    let rustup = output({
        let mut c = Command::new("sh");
        c.args(["-c", "command -v rustup"]);
        c
    })
    .context("rustup is required for the Rust stand-in image")?;
    std::fs::copy(&rustup, bin.join("rustup")).with_context(|| format!("copying {rustup}"))?;
    for p in ["cargo", "rustc", "rustdoc", "cargo-clippy", "clippy-driver", "rustfmt", "cargo-fmt"] {
        std::os::unix::fs::symlink("rustup", bin.join(p))?;
    }
    let settings = format!(
        "version = \"12\"\ndefault_toolchain = \"{release}-{host}\"\nprofile = \"minimal\"\nauto_self_update = \"disable\"\n"
    );
    std::fs::write(dir.join("usr/local/rustup/settings.toml"), settings)?;
    Ok(dir)
}
