//! buildah and podman as this project runs them: Debian's packages,
//! installed with apt when missing; image storage (overlay, else vfs) and
//! the build cache mounts under `.cache/containers/` (ignored by git); runc
//! with cgroupfs and
//! explicit rlimits, the configuration that works without systemd or a
//! Docker engine (see `shared/PROTOCOL.md`).

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use anyhow::{Context as _, bail};

/// The Debian packages the container steps need, with a binary of each.
const PACKAGES: [(&str, &str); 7] = [
    ("buildah", "buildah"),
    ("podman", "podman"),
    ("runc", "runc"),
    ("slirp4netns", "slirp4netns"),
    ("qemu-user-static", "qemu-aarch64-static"),
    ("mmdebstrap", "mmdebstrap"),
    ("uidmap", "newuidmap"),
];

/// Where image storage, configuration and the build caches live.
pub(crate) fn dir() -> PathBuf {
    crate::root().join(".cache").join("containers")
}

/// Installs the missing Debian packages (as root, or through `sudo -n`),
/// then writes the storage and engine configuration.
pub(crate) fn ensure() -> anyhow::Result<()> {
    // With recommends: podman's network stack (netavark, aardvark-dns),
    // catatonit and fuse-overlayfs come that way, as on the machines
    // this was proved on.
    let what = "buildah, podman, runc, slirp4netns, qemu-user-static, mmdebstrap";
    crate::apt::ensure(what, &PACKAGES, crate::apt::Recommends::Install)?;
    let d = dir();
    std::fs::create_dir_all(d.join("tmp")).context("creating .cache/containers")?;
    // runc: crun fails on this kind of host (hybrid cgroups); without
    // explicit rlimits runc cannot set them (and zig, linking in the
    // build, needs thousands of open files); no systemd for cgroups or
    // events.
    let engine = "[containers]\ndefault_ulimits = [\"nofile=16384:16384\", \"nproc=4096:4096\"]\n\
                  [engine]\nruntime = \"runc\"\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n";
    std::fs::write(d.join("containers.conf"), engine)?;
    // overlay shares unchanged layers; vfs copies the whole root filesystem
    // at every build step (minutes for a Rust toolchain image). vfs where
    // the kernel refuses overlay mounts.
    let driver = if storage_works("overlay") { "overlay" } else { "vfs" };
    write_storage_conf(driver)?;
    forget_other_store(driver)?;
    println!("==> containers: {driver} storage in {}", graph_root(driver).display());
    Ok(())
}

/// This checkout's image store for `driver`.
fn graph_root(driver: &str) -> PathBuf {
    dir().join(format!("storage-{driver}"))
}

/// The store's run-time state (mount counts, locks): under `/run`, so a
/// reboot clears it, and one per store, so two checkouts on one machine
/// never count each other's mounts.
fn run_root(driver: &str) -> String {
    // FNV-1a: stable across builds and toolchains, unlike `DefaultHasher`.
    let hash = graph_root(driver)
        .to_string_lossy()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("/run/mcp-handler-containers-{driver}-{:08x}", hash >> 32)
}

fn write_storage_conf(driver: &str) -> anyhow::Result<()> {
    let storage = format!(
        "[storage]\ndriver = \"{driver}\"\ngraphroot = \"{}\"\nrunroot = \"{}\"\n",
        graph_root(driver).display(),
        run_root(driver)
    );
    std::fs::write(dir().join("storage.conf"), storage).context("writing .cache/containers/storage.conf")
}

/// podman records the store's paths in its state database (`libpod/`) and
/// prefers them to `storage.conf`: a `.cache/containers` restored into
/// another checkout would make podman read the old checkout's store, and
/// miss every image buildah builds here ("image not known"). The database
/// holds only podman's containers and pods, which are stale by then; the
/// images are in the store and are kept.
fn forget_other_store(driver: &str) -> anyhow::Result<()> {
    let want = format!("{} {}", graph_root(driver).display(), run_root(driver));
    let store = || output(podman(&["info", "--format", "{{.Store.GraphRoot}} {{.Store.RunRoot}}"]));
    let have = store()?;
    if have == want {
        return Ok(());
    }
    println!("==> containers: podman's state names another store ({have}); starting it afresh");
    let db = graph_root(driver).join("libpod");
    match std::fs::remove_dir_all(&db) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("removing {}", db.display()));
        }
        _ => {}
    }
    let have = store()?;
    anyhow::ensure!(have == want, "podman still reads another store: {have}, not {want}");
    Ok(())
}

/// Whether `driver` can mount a container's root filesystem here.
fn storage_works(driver: &str) -> bool {
    if write_storage_conf(driver).is_err() {
        return false;
    }
    let Ok(ctr) = output(buildah(&["from", "scratch"])) else { return false };
    let mounted = output(buildah(&["mount", &ctr])).is_ok();
    let _ = output(buildah(&["umount", &ctr]));
    let _ = output(buildah(&["rm", &ctr]));
    mounted
}

/// Sets the environment every buildah/podman/podman-compose call needs.
pub(crate) fn configure(cmd: &mut Command) -> &mut Command {
    let d = dir();
    cmd.env("CONTAINERS_CONF", d.join("containers.conf"))
        .env("CONTAINERS_STORAGE_CONF", d.join("storage.conf"))
        // buildah keeps `RUN --mount=type=cache` directories under TMPDIR:
        // here they survive between runs, in an ignored folder.
        .env("TMPDIR", d.join("tmp"))
        .current_dir(crate::root())
}

/// `buildah <args>`, configured.
pub(crate) fn buildah(args: &[&str]) -> Command {
    let mut c = Command::new("buildah");
    configure(&mut c).args(args);
    c
}

/// `podman <args>`, configured.
pub(crate) fn podman(args: &[&str]) -> Command {
    let mut c = Command::new("podman");
    configure(&mut c).args(args);
    c
}

/// Runs `cmd` quietly and returns its trimmed stdout; fails with its stderr.
pub(crate) fn output(mut cmd: impl std::borrow::BorrowMut<Command>) -> anyhow::Result<String> {
    let cmd = cmd.borrow_mut();
    let what = crate::run::describe(cmd);
    let out: Output = cmd.stdin(Stdio::null()).output().with_context(|| format!("cannot start {what}"))?;
    if !out.status.success() {
        bail!("{what} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The image's configuration (`podman image inspect`), as JSON.
pub(crate) fn inspect_image(name: &str) -> anyhow::Result<serde_json::Value> {
    let text = output(podman(&["image", "inspect", name]))?;
    let v: serde_json::Value = serde_json::from_str(&text).context("podman image inspect printed no JSON")?;
    v.get(0).cloned().context("podman image inspect printed no image")
}

/// A container started by a test: removed (forcibly) on drop.
pub(crate) struct Container {
    pub(crate) name: String,
}

impl Container {
    /// `podman run -d --name <name> <args>`.
    pub(crate) fn run(name: &str, args: &[String]) -> anyhow::Result<Self> {
        let _ = podman(&["rm", "-f", "-i", name]).stdout(Stdio::null()).stderr(Stdio::null()).status();
        let mut cmd = podman(&["run", "-d", "--name", name]);
        cmd.args(args);
        println!("==> {}", crate::run::describe(&cmd));
        output(cmd)?;
        Ok(Self { name: name.to_owned() })
    }

    /// `podman healthcheck run`: the image's (or the run's) health command.
    pub(crate) fn healthcheck(&self) -> anyhow::Result<String> {
        output(podman(&["healthcheck", "run", &self.name]))
    }

    /// A field of `podman inspect` (a Go template such as `{{.State.ExitCode}}`).
    pub(crate) fn inspect(&self, format: &str) -> anyhow::Result<String> {
        output(podman(&["inspect", "--format", format, &self.name]))
    }

    /// The container's log (stdout and stderr).
    pub(crate) fn logs(&self) -> String {
        let mut c = podman(&["logs", &self.name]);
        c.stdin(Stdio::null());
        c.output()
            .map(|o| format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
            .unwrap_or_default()
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = podman(&["rm", "-f", "-t", "0", &self.name]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    }
}
