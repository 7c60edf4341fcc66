//! Debian packages the checks need, installed with apt-get when their
//! binaries are missing: as root, or through password-less `sudo -n`.
//! Idempotent: nothing runs when every binary is already there.

use std::path::PathBuf;
use std::process::Command;

use anyhow::Context as _;

/// Whether `bin` is an executable on `PATH` (or in `/usr/sbin`, which a
/// non-root `PATH` may leave out).
pub(crate) fn on_path(bin: &str) -> bool {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).any(|d| d.join(bin).is_file())
        || PathBuf::from("/usr/sbin").join(bin).is_file()
}

/// Whether apt-get also installs the packages' recommendations.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recommends {
    Install,
    Skip,
}

/// Installs the packages of `wanted` (`(package, one of its binaries)`)
/// whose binary is missing; `what` names them in the progress lines.
pub(crate) fn ensure(what: &str, wanted: &[(&str, &str)], recommends: Recommends) -> anyhow::Result<()> {
    let mut missing: Vec<&str> = wanted.iter().filter(|(_, bin)| !on_path(bin)).map(|(p, _)| *p).collect();
    missing.dedup();
    if missing.is_empty() {
        println!("==> tools: {what} already installed");
        return Ok(());
    }
    println!("==> tools: installing {} from Debian", missing.join(", "));
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let apt = |args: &[&str]| {
        let mut c = if root { Command::new("apt-get") } else { Command::new("sudo") };
        if !root {
            c.args(["-n", "apt-get"]);
        }
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    crate::run::step("apt-get update", apt(&["update", "-q"]))
        .context("installing Debian packages needs root or password-less sudo")?;
    let mut install = apt(&["install", "-y", "-q"]);
    if recommends == Recommends::Skip {
        install.arg("--no-install-recommends");
    }
    install.args(&missing);
    crate::run::step("apt-get install", install)?;
    let still: Vec<&str> = wanted.iter().filter(|(_, bin)| !on_path(bin)).map(|(_, b)| *b).collect();
    anyhow::ensure!(still.is_empty(), "installed {} but {} is still not on PATH", missing.join(", "), still.join(", "));
    Ok(())
}

/// The real Prometheus (server and promtool) the metrics tests run against:
/// Debian's `prometheus` package (2.42 on bookworm). Without its
/// recommendation, the node exporter: nothing here reads host metrics, and
/// on a machine with systemd it would start a service.
pub(crate) fn ensure_prometheus() -> anyhow::Result<()> {
    let wanted = [("prometheus", "prometheus"), ("prometheus", "promtool")];
    ensure("prometheus, promtool (Debian's prometheus)", &wanted, Recommends::Skip)
        .context("the metrics tests (tests/tests/metrics.rs) need Debian's prometheus package")
}
