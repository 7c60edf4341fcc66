//! The benchmark's systems under load: the peers in `benches/peers/` and
//! this library's `bench-server`, each serving the same `echo` tool on
//! `127.0.0.1:PORT/mcp`. [`prepare`] builds or installs them (idempotently,
//! from the lock files and pins committed there) and says what each serves;
//! [`Peer::command`] starts one; [`check`] holds the readiness probe and the
//! smoke check that every answer is right before anything is timed.
//!
//! | system | what | request shapes |
//! | --- | --- | --- |
//! | `floor` | hyper answering fixed bytes after reading the body | any (fixed 2025 answers, `"id":1`) |
//! | `axum` | hand-written axum + serde JSON-RPC handler (the ceiling) | 2025, 2026 (answered as 2025) |
//! | `mcp-handler` | this library's server shell (`bench-server`) | 2025, 2026 |
//! | `mcp-handler-logged` | the same with its access log on, as shipped | `call` |
//! | `mcp-handler-sessions` | the same with `BENCH_SESSIONS=1` | the `session` scenario, 2026 |
//! | `mcp-handler-static` | `bench-server` built as the container image is: static musl, mimalloc | 2025, 2026 |
//! | `rmcp` | official Rust SDK, stateless, JSON responses, one shared tool router | 2025, 2026 |
//! | `rmcp-example` | the same, building the tool router per request as rmcp's examples do | 2025, 2026 |
//! | `fastmcp` | FastMCP 2.x, `stateless_http`, uvicorn | 2025 |
//! | `typescript-sdk` | official TypeScript SDK, stateless, Node 22 | 2025 |

mod check;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

pub(crate) use check::{smoke, wait_ready};

use crate::{pytools, run, tools};

/// One system of the benchmark, ready to start.
pub(crate) struct Peer {
    /// Its name in the results (`system`).
    pub(crate) name: &'static str,
    /// What it is built from, e.g. `rmcp 3.11.0`.
    pub(crate) version: String,
    /// Serves the 2026-07-28 shape (`_meta` and routing headers) with a result.
    pub(crate) serves_2026: bool,
    /// Serves the `session` scenario (initialize → calls → DELETE); such a
    /// server refuses session-less 2025 calls.
    pub(crate) sessions: bool,
    /// Answers every request with `"id":1`: load it with `mcp-bench --fixed-id`.
    pub(crate) fixed_id: bool,
    program: PathBuf,
    args: Vec<OsString>,
    env: Vec<(&'static str, &'static str)>,
    /// `bench-server` reads `MCP_BIND=127.0.0.1:PORT`; every peer reads `PORT`.
    bind_env: bool,
}

impl Peer {
    /// A peer to plan runs for in tests: `name`, nothing to start.
    #[cfg(test)]
    pub(crate) fn named(name: &'static str, serves_2026: bool) -> Self {
        Self {
            name,
            version: String::new(),
            serves_2026,
            sessions: false,
            fixed_id: false,
            program: PathBuf::new(),
            args: Vec::new(),
            env: Vec::new(),
            bind_env: false,
        }
    }

    /// The server listening on `127.0.0.1:port` (stdio inherited; the caller
    /// redirects it as it likes).
    pub(crate) fn command(&self, port: u16) -> Command {
        let mut c = Command::new(&self.program);
        c.args(&self.args);
        self.set_env(&mut c, port);
        c
    }

    /// The same command pinned to `cpus` (a `taskset -c` list such as `0` or `0-1`).
    pub(crate) fn pinned(&self, port: u16, cpus: &str) -> Command {
        self.under(port, "taskset", ["-c", cpus])
    }

    /// The same command run by `wrapper` and its arguments (`taskset -c 0`,
    /// `valgrind --tool=callgrind`), which then runs the server as its own.
    pub(crate) fn under<S: AsRef<OsStr>>(
        &self,
        port: u16,
        wrapper: &str,
        wrapper_args: impl IntoIterator<Item = S>,
    ) -> Command {
        let mut c = Command::new(wrapper);
        c.args(wrapper_args).arg(&self.program).args(&self.args);
        self.set_env(&mut c, port);
        c
    }

    fn set_env(&self, c: &mut Command, port: u16) {
        run::without_xtask_env(c);
        if self.bind_env {
            c.env("MCP_BIND", format!("127.0.0.1:{port}"));
        } else {
            c.env("PORT", port.to_string());
        }
        c.envs(self.env.iter().copied());
    }
}

/// Builds and installs every system (each step only when needed) and
/// describes them, `floor` first. Fails on the first step that fails.
pub(crate) fn prepare(node: &tools::Node) -> anyhow::Result<Vec<Peer>> {
    let root = crate::root();
    let peers_dir = root.join("benches").join("peers");
    let mut out = rust_peers(&root, &peers_dir)?;
    out.extend(mcp_handler(&root)?);
    out.push(fastmcp(&peers_dir)?);
    out.push(typescript(node, &peers_dir)?);
    Ok(out)
}

/// The Rust peers: their own workspace, its own lock file, `target/peers`.
fn rust_peers(root: &Path, peers_dir: &Path) -> anyhow::Result<Vec<Peer>> {
    let manifest = peers_dir.join("rust").join("Cargo.toml");
    let target = root.join("target").join("peers");
    let mut build = run::cargo(&["build", "--release", "--locked", "--manifest-path"]);
    build.arg(&manifest).arg("--target-dir").arg(&target);
    run::step("build the Rust peers (floor, axum, rmcp)", build)?;
    let lock = std::fs::read_to_string(peers_dir.join("rust").join("Cargo.lock"))
        .context("reading benches/peers/rust/Cargo.lock")?;
    let bin = |name: &str| target.join("release").join(name);
    let rust = |name, krate, program: &str, serves_2026, fixed_id| -> anyhow::Result<Peer> {
        Ok(Peer {
            name,
            version: format!("{krate} {}", locked_version(&lock, krate)?),
            serves_2026,
            sessions: false,
            fixed_id,
            program: bin(program),
            args: Vec::new(),
            env: Vec::new(),
            bind_env: false,
        })
    };
    Ok(vec![
        rust("floor", "hyper", "peer-floor", true, true)?,
        rust("axum", "axum", "peer-axum", true, false)?,
        rust("rmcp", "rmcp", "peer-rmcp", true, false)?,
        Peer {
            name: "rmcp-example",
            env: vec![("RMCP_ROUTER_PER_REQUEST", "1")],
            ..rust("rmcp-example", "rmcp", "peer-rmcp", true, false)?
        },
    ])
}

/// This library's server shell: stateless, logged, with sessions (the glibc
/// release build), and stateless as the container image builds it.
fn mcp_handler(root: &Path) -> anyhow::Result<Vec<Peer>> {
    run::bench_release()?;
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut version = format!("mcp-handler {}", locked_version(&lock, "mcp-handler")?);
    if let Some(rev) = git_rev(root) {
        version.push_str(&format!(" (git {rev})"));
    }
    let peer = |name, sessions, env| Peer {
        name,
        version: version.clone(),
        serves_2026: true,
        sessions,
        fixed_id: false,
        program: crate::target_dir().join("release").join("bench-server"),
        args: Vec::new(),
        env,
        bind_env: true,
    };
    // No peer writes a line per request, so the comparison runs with the
    // access log off; `mcp-handler-logged` (call only) is the server as
    // shipped, and the report says what the log costs.
    let quiet = ("MCP_ACCESS_LOG", "off");
    Ok(vec![
        peer("mcp-handler", false, vec![quiet]),
        peer("mcp-handler-logged", false, vec![("MCP_ACCESS_LOG", "on")]),
        peer("mcp-handler-sessions", true, vec![quiet, ("BENCH_SESSIONS", "1")]),
        Peer {
            version: format!("{version}, static musl + mimalloc"),
            program: crate::static_build::bench_server()?,
            ..peer("mcp-handler-static", false, vec![quiet])
        },
    ])
}

/// FastMCP in its own venv, pinned by `benches/peers/fastmcp/requirements.txt`.
fn fastmcp(peers_dir: &Path) -> anyhow::Result<Peer> {
    let dir = peers_dir.join("fastmcp");
    let reqs = std::fs::read_to_string(dir.join("requirements.txt")).context("reading fastmcp/requirements.txt")?;
    let pins: Vec<&str> = reqs.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    if pins.iter().any(|p| !p.contains("==")) {
        bail!("benches/peers/fastmcp/requirements.txt: every line must pin `name==version`");
    }
    let venv = pytools::ensure("peer-fastmcp", &pins, &["python"])?;
    let out = venv
        .command("pip")
        .args(["show", "--disable-pip-version-check", "fastmcp", "mcp", "uvicorn"])
        .output()
        .context("pip show fastmcp")?;
    if !out.status.success() {
        bail!("pip show fastmcp mcp uvicorn failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let shown = pip_versions(&String::from_utf8_lossy(&out.stdout));
    let get = |name: &str| shown.iter().find(|(n, _)| n == name).map_or("?", |(_, v)| v.as_str()).to_owned();
    Ok(Peer {
        name: "fastmcp",
        version: format!("fastmcp {} (mcp {}, uvicorn {})", get("fastmcp"), get("mcp"), get("uvicorn")),
        serves_2026: false,
        sessions: false,
        fixed_id: false,
        program: venv.bin.join("python"),
        args: vec![dir.join("server.py").into()],
        env: Vec::new(),
        bind_env: false,
    })
}

/// The TypeScript SDK: `npm ci` from the committed lock file whenever
/// `node_modules` is missing or was installed from another lock file.
fn typescript(node: &tools::Node, peers_dir: &Path) -> anyhow::Result<Peer> {
    let dir = peers_dir.join("typescript");
    let lock =
        std::fs::read_to_string(dir.join("package-lock.json")).context("reading typescript/package-lock.json")?;
    let stamp = dir.join("node_modules").join(".installed-from-lock");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == lock) {
        println!("==> peers: the TypeScript peer's node_modules matches its package-lock.json");
    } else {
        let mut npm = Command::new("npm");
        npm.args(["ci", "--no-audit", "--no-fund", "--loglevel=error", "--cache"])
            .arg(crate::root().join(".cache").join("npm"))
            .current_dir(&dir)
            // npm runs under the Node 22 it installs for (engines: node >= 22).
            .env("PATH", node_first_path(node));
        run::step("npm ci (TypeScript peer)", npm).context("npm (from the machine's Node.js) is required")?;
        std::fs::write(&stamp, &lock).context("writing the npm ci stamp")?;
    }
    let parsed: serde_json::Value = serde_json::from_str(&lock).context("parsing typescript/package-lock.json")?;
    let sdk = parsed["packages"]["node_modules/@modelcontextprotocol/sdk"]["version"]
        .as_str()
        .context("package-lock.json has no @modelcontextprotocol/sdk")?;
    let out = Command::new(&node.node).arg("--version").output().context("node --version")?;
    let node_version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    Ok(Peer {
        name: "typescript-sdk",
        version: format!("@modelcontextprotocol/sdk {sdk} (node {node_version})"),
        serves_2026: false,
        sessions: false,
        fixed_id: false,
        program: node.node.clone(),
        args: vec![dir.join("server.mjs").into()],
        env: Vec::new(),
        bind_env: false,
    })
}

fn node_first_path(node: &tools::Node) -> OsString {
    let mut paths: Vec<PathBuf> = node.node.parent().map(Path::to_path_buf).into_iter().collect();
    paths.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(paths).unwrap_or_default()
}

/// The version of `krate` in a `Cargo.lock` (the only one, or the highest
/// where several are locked).
fn locked_version(lock: &str, krate: &str) -> anyhow::Result<String> {
    let wanted = format!("name = \"{krate}\"");
    let mut lines = lock.lines();
    let mut found: Vec<String> = Vec::new();
    while let Some(line) = lines.next() {
        if line.trim() == wanted
            && let Some(v) = lines.next().and_then(|l| l.trim().strip_prefix("version = \""))
        {
            found.push(v.trim_end_matches('"').to_owned());
        }
    }
    found.sort_by_key(|v| v.split('.').map(|p| p.parse::<u64>().unwrap_or(0)).collect::<Vec<_>>());
    found.pop().with_context(|| format!("{krate} is not in the lock file"))
}

/// `(name, version)` pairs of `pip show` output.
fn pip_versions(shown: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut name = None;
    for line in shown.lines() {
        if let Some(n) = line.strip_prefix("Name: ") {
            name = Some(n.trim().to_ascii_lowercase());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("Version: "), name.take()) {
            out.push((n, v.trim().to_owned()));
        }
    }
    out
}

fn git_rev(root: &Path) -> Option<String> {
    let out = Command::new("git").args(["rev-parse", "--short", "HEAD"]).current_dir(root).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_locked_version_of_a_crate_is_read() {
        let lock = "[[package]]\nname = \"hyper\"\nversion = \"0.14.32\"\n\n[[package]]\nname = \"hyper\"\nversion = \"1.12.0\"\n\n[[package]]\nname = \"hyper-util\"\nversion = \"0.1.19\"\n";
        assert_eq!(locked_version(lock, "hyper").ok().as_deref(), Some("1.12.0"));
        assert_eq!(locked_version(lock, "hyper-util").ok().as_deref(), Some("0.1.19"));
        assert!(locked_version(lock, "axum").is_err());
    }

    #[test]
    fn pip_show_output_gives_name_version_pairs() {
        let shown = "Name: fastmcp\nVersion: 2.14.7\nSummary: x\n---\nName: MCP\nVersion: 1.30.0\n";
        assert_eq!(
            pip_versions(shown),
            [("fastmcp".to_owned(), "2.14.7".to_owned()), ("mcp".to_owned(), "1.30.0".to_owned())]
        );
    }
}
