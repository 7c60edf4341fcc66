//! `compose.yaml` brought up with podman-compose (PyPI), as a developer
//! would: the service (the amd64 `demo` image this run built from the
//! Dockerfile, tagged with the file's image name) becomes healthy through
//! its deep health check, answers an authorized `tools/call`, refuses an
//! unauthorized one, and `down` drains it (SIGTERM, exit 0).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};

use crate::containers::{self, Container, output, podman};

const PODMAN_COMPOSE: &str = "podman-compose==1.6.0";
const PROJECT: &str = "mcp-handler-xtask";
const IMAGE: &str = "localhost/mcp-handler:compose-test";

/// podman-compose's venv, installed when missing.
pub(crate) fn venv() -> anyhow::Result<crate::pytools::Venv> {
    crate::pytools::ensure("compose", &[PODMAN_COMPOSE], &["podman-compose"])
}

/// Runs the check; the amd64 demo image must have been built.
pub(crate) fn check() -> anyhow::Result<()> {
    let venv = venv()?;
    output(podman(&["tag", &crate::image::tag("demo", "amd64"), IMAGE]))?;
    let dir = crate::target_dir().join("compose");
    std::fs::create_dir_all(&dir)?;
    let token = format!("compose-token-{}", std::process::id());
    let token_file = dir.join("auth_token");
    std::fs::write(&token_file, format!("{token}\n"))?;
    // Compose bind-mounts the file itself: the container's user must read it.
    std::fs::set_permissions(&token_file, std::os::unix::fs::PermissionsExt::from_mode(0o644))?;
    let port = crate::run::free_port()?;
    let compose = |args: &[&str]| {
        let mut c = venv.command("podman-compose");
        containers::configure(&mut c)
            .env("PATH", venv.path_env())
            .env("MCP_IMAGE", IMAGE)
            .env("MCP_PORT", port.to_string())
            .env("MCP_AUTH_TOKEN_FILE", &token_file)
            .args(["-p", PROJECT, "-f", "compose.yaml"])
            .args(args);
        c
    };
    let _ = compose(&["down", "-t", "0"]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    crate::run::step("podman-compose up -d --no-build", compose(&["up", "-d", "--no-build"]))?;
    let name = output(
        podman(&["ps", "-a", "--filter", &format!("label=io.podman.compose.project={PROJECT}")])
            .args(["--format", "{{.Names}}"]),
    )?;
    let name = name.lines().next().context("podman-compose started no container")?.to_owned();
    // Removed on drop, whatever happens below.
    let c = Container { name };
    let result = exercise(&c, port, &token, &compose);
    if result.is_err() {
        let _ = compose(&["down", "-t", "0"]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    }
    result
}

fn exercise(c: &Container, port: u16, token: &str, compose: &dyn Fn(&[&str]) -> Command) -> anyhow::Result<()> {
    for (what, want) in [
        ("{{.Config.User}}", "65532:65532"),
        ("{{.HostConfig.ReadonlyRootfs}}", "true"),
        ("{{.Config.StopSignal}}", "15"),
        // deploy.resources.limits: 256M, 1 CPU.
        ("{{.HostConfig.Memory}}", "268435456"),
        ("{{.HostConfig.NanoCpus}}", "1000000000"),
    ] {
        let got = c.inspect(what)?;
        ensure!(
            got == want || (what.contains("Stop") && got == "SIGTERM"),
            "{}: {what} is {got}, expected {want}",
            c.name
        );
    }
    let caps = c.inspect("{{.EffectiveCaps}}")?;
    ensure!(caps == "[]", "{}: effective capabilities {caps}, expected none", c.name);
    crate::image::wait_healthy(c, Duration::from_secs(30))?;
    let addr = ([127, 0, 0, 1], port).into();
    let authorized = crate::image::call_demo(addr, &format!("Authorization: Bearer {token}\r\n"))?;
    let anonymous = crate::image::call_demo(addr, "")?;
    let wrong = crate::image::call_demo(addr, "Authorization: Bearer not-the-token\r\n")?;
    println!(
        "==> compose: healthy (deep), tools/call with token {authorized}, without {anonymous}, wrong token {wrong}"
    );
    ensure!(
        (authorized, anonymous, wrong) == (200, 401, 401),
        "compose service answered {authorized}/{anonymous}/{wrong}, expected 200/401/401\n{}",
        c.logs()
    );
    // `down` removes the container: watch its exit code and log meanwhile.
    let mut wait = podman(&["wait", &c.name]);
    let waiter = std::thread::spawn(move || wait.stderr(Stdio::null()).output());
    let mut follow = podman(&["logs", "-f", &c.name]);
    let logs = std::thread::spawn(move || follow.stdin(Stdio::null()).output());
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    crate::run::step("podman-compose down", compose(&["down"]))?;
    let took = t.elapsed();
    let code = waiter.join().map_err(|_| anyhow::anyhow!("podman wait panicked"))??;
    let code = String::from_utf8_lossy(&code.stdout).trim().to_owned();
    let log = logs.join().map_err(|_| anyhow::anyhow!("podman logs panicked"))??;
    let log = format!("{}{}", String::from_utf8_lossy(&log.stdout), String::from_utf8_lossy(&log.stderr));
    ensure!(code == "0", "the compose service exited {code:?} on down\n{log}");
    ensure!(log.contains("SIGTERM received") && log.contains("drained"), "no drain in the log:\n{log}");
    ensure!(took < Duration::from_secs(35), "down took {took:?}: the drain hit stop_grace_period");
    ensure!(!log.contains(token), "the token appeared in the container's log");
    println!("==> compose down: SIGTERM -> drained -> exit 0 in {took:.1?}");
    Ok(())
}
