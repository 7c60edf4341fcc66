//! Runs the official conformance suite against `everything` served by the
//! container shell, on a loopback port.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::tools::{CONFORMANCE_ALPHA_VERSION, CONFORMANCE_VERSION, Node};

/// Every conformance run the project requires, against `build`'s server.
pub(crate) fn run_all(node: &Node, build: crate::run::Build) -> anyhow::Result<()> {
    let bin = crate::run::binaries(build, &["everything"])?.join("everything");
    let server = Server::start(&bin)?;
    let url = format!("http://{}/mcp", server.addr);
    let result =
        suite(&node.node, &node.conformance, &url, CONFORMANCE_VERSION, "active suite", &[], None).and_then(|()| {
            suite(
                &node.node,
                &node.conformance_alpha,
                &url,
                CONFORMANCE_ALPHA_VERSION,
                "--requirements 2026-07-28",
                &["--requirements", "2026-07-28"],
                None,
            )
        });
    let stopped = server.stop();
    result?;
    stopped
}

/// Runs one suite. `expected` lists the scenarios that must fail (and only
/// they); `None` means every scored scenario must pass.
pub(crate) fn suite(
    node: &Path,
    entry: &Path,
    url: &str,
    version: &str,
    what: &str,
    extra: &[&str],
    expected: Option<&[String]>,
) -> anyhow::Result<()> {
    let label = format!("conformance {version} ({what})");
    let label = label.as_str();
    let slug: String = what.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let out_dir = crate::target_dir().join("conformance").join(version).join(slug.trim_matches('-'));
    std::fs::create_dir_all(&out_dir)?;
    println!("\n==> {label}: against {url}");
    let mut cmd = Command::new(node);
    cmd.arg(entry).args(["server", "--url", url, "-o"]).arg(&out_dir).args(extra);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().with_context(|| format!("starting {}", crate::run::describe(&cmd)))?;
    let mut stderr = child.stderr.take().context("stderr")?;
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let log_path = out_dir.join("run.log");
    let mut log = std::fs::File::create(&log_path)?;
    let mut in_summary = false;
    let mut in_unscored = false;
    let mut failing: Vec<String> = Vec::new();
    let mut unscored: Vec<String> = Vec::new();
    let stdout = child.stdout.take().context("stdout")?;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        writeln!(log, "{line}")?;
        if line.contains("=== SUMMARY ===") {
            in_summary = true;
        }
        if line.starts_with("Not scored for") {
            in_unscored = true;
        }
        // "✗ name: 1 passed, 2 failed" in the summary; "  ✗ name (why)" in
        // the list of scenarios that do not count for the revision.
        if in_summary && let Some(rest) = line.trim_start().strip_prefix("✗ ") {
            let name = rest.split([':', ' ']).next().unwrap_or_default().to_owned();
            if in_unscored { unscored.push(name) } else { failing.push(name) }
        }
        // The per-scenario detail goes to the log; failures and the
        // summary are printed.
        if in_summary || line.contains("FAILURE") || line.contains("Failed Checks") || line.contains("Error:") {
            println!("{line}");
        }
    }
    let status = child.wait()?;
    let stderr = err_thread.join().unwrap_or_default();
    writeln!(log, "{stderr}")?;
    if let Some(expected) = expected {
        // Judged by the suite's own pass/fail counts (warnings are not
        // failures); the failing set must be exactly the expected one.
        let mut got: Vec<&String> = failing.iter().collect();
        let mut want: Vec<&String> = expected.iter().collect();
        got.sort();
        want.sort();
        if got != want {
            bail!(
                "{label}: failing scenarios {got:?} differ from the expected {want:?}; full log in {}",
                log_path.display()
            );
        }
        println!(
            "==> {label}: only the expected scenarios failed: {} (log: {})",
            expected.join(", "),
            log_path.display()
        );
        return Ok(());
    }
    if !status.success() {
        let tail: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("npm warn")).take(40).collect();
        bail!(
            "{label}: the suite reported failures ({status}); full log in {}\n{}",
            log_path.display(),
            tail.join("\n")
        );
    }
    if !in_summary {
        bail!("{label}: no summary printed; full log in {}", log_path.display());
    }
    let scored: Vec<&String> = failing.iter().filter(|f| !unscored.contains(f)).collect();
    if !scored.is_empty() {
        bail!("{label}: scored scenarios failed: {scored:?}; full log in {}", log_path.display());
    }
    if unscored.is_empty() {
        println!("==> {label}: every scenario passed (log: {})", log_path.display());
    } else {
        println!(
            "==> {label}: every scored scenario passed; failing but not scored for this revision \
             (optional extension, not implemented): {} (log: {})",
            unscored.join(", "),
            log_path.display()
        );
    }
    Ok(())
}

/// `everything` on a free loopback port.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(bin: &Path) -> anyhow::Result<Self> {
        let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let child = Command::new(bin)
            .arg("--bind")
            .arg(addr.to_string())
            .env("RUST_LOG", "warn")
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut server = Self { child, addr };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if healthy(addr) {
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("everything exited at start ({status})");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = server.child.kill();
        bail!("everything did not become healthy on {addr}")
    }

    /// SIGTERM, then expects a clean exit 0.
    fn stop(mut self) -> anyhow::Result<()> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                if status.success() {
                    return Ok(());
                }
                bail!("everything exited with {status} after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        bail!("everything did not exit within 30 s of SIGTERM")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn healthy(addr: SocketAddr) -> bool {
    let req = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    crate::run::answers_200(addr, &req, Duration::from_secs(1))
}
