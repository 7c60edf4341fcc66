//! Running commands loudly.

use std::process::Command;

use anyhow::{Context as _, bail};

/// The cargo running us (or `cargo` from `PATH`).
pub(crate) fn cargo_bin() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// `cargo` with `args`, in the workspace root.
pub(crate) fn cargo(args: &[&str]) -> Command {
    let mut c = Command::new(cargo_bin());
    c.args(args).current_dir(crate::root());
    without_xtask_env(&mut c);
    c
}

/// Removes what `cargo run` set for the xtask itself (`CARGO_PKG_*`,
/// `CARGO_MANIFEST_DIR`, ...) from a child's environment: build scripts that
/// read such variables (ring's) would otherwise see the xtask's values and
/// be rebuilt, with all that depends on them, between a build made here and
/// the same build made by hand.
pub(crate) fn without_xtask_env(c: &mut Command) -> &mut Command {
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if k.starts_with("CARGO_PKG_")
            || k.starts_with("CARGO_MANIFEST_")
            || matches!(
                &*k,
                "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE" | "CARGO_RUSTC_CURRENT_DIR"
            )
        {
            c.env_remove(&*k);
        }
    }
    c
}

/// Runs a step, echoing its name and failing with it.
pub(crate) fn step(name: &str, mut cmd: Command) -> anyhow::Result<()> {
    println!("\n==> {name}: {}", describe(&cmd));
    let t = std::time::Instant::now();
    let status = cmd.status().with_context(|| format!("{name}: cannot start {}", describe(&cmd)))?;
    if !status.success() {
        bail!("{name} failed ({status})");
    }
    println!("==> {name}: ok in {:.1?}", t.elapsed());
    Ok(())
}

/// A long command's stages and how long each took, printed at its end and
/// when a stage fails: the log of any run (CI's included) shows where its
/// time went.
pub(crate) struct Stages {
    started: std::time::Instant,
    done: Vec<(&'static str, std::time::Duration)>,
}

impl Stages {
    pub(crate) fn new() -> Self {
        Self { started: std::time::Instant::now(), done: Vec::new() }
    }

    /// Runs one stage, timed.
    pub(crate) fn run<T>(&mut self, name: &'static str, f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
        let t = std::time::Instant::now();
        let result = f();
        self.done.push((name, t.elapsed()));
        if result.is_err() {
            self.print(&format!("stage times (\"{name}\" failed)"));
        }
        result
    }

    /// Each finished stage and how long it took, in order.
    pub(crate) fn times(&self) -> &[(&'static str, std::time::Duration)] {
        &self.done
    }

    pub(crate) fn elapsed(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    /// The table: each stage, its time and its share of the whole.
    pub(crate) fn print(&self, title: &str) {
        let total = self.started.elapsed();
        println!("\n==> {title}, {:.0?} in all:", total);
        let width = self.done.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
        for (name, took) in &self.done {
            let share = 100.0 * took.as_secs_f64() / total.as_secs_f64().max(1e-9);
            println!("    {name:<width$} {:>7.1}s {share:>5.1}%", took.as_secs_f64());
        }
    }
}

/// A long command (a build) running beside the rest, its output in a log
/// file whose end is printed if it fails. It runs in its own process group;
/// dropped unfinished (the run failed elsewhere), the group is stopped.
pub(crate) struct Background {
    name: String,
    log: std::path::PathBuf,
    child: Option<std::process::Child>,
    started: std::time::Instant,
}

impl Background {
    pub(crate) fn start(name: &str, mut cmd: Command, log: &std::path::Path) -> anyhow::Result<Self> {
        use std::os::unix::process::CommandExt as _;
        let file = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        cmd.stdout(file.try_clone()?).stderr(file).stdin(std::process::Stdio::null()).process_group(0);
        println!("\n==> {name}, in the background (log: {}): {}", log.display(), describe(&cmd));
        let child = cmd.spawn().with_context(|| format!("{name}: cannot start {}", describe(&cmd)))?;
        Ok(Self { name: name.to_owned(), log: log.to_owned(), child: Some(child), started: std::time::Instant::now() })
    }

    /// Waits for the command; stops it first when `abandon` (another part
    /// of the run failed and this one's result no longer matters).
    pub(crate) fn finish(mut self, abandon: bool) -> anyhow::Result<()> {
        let mut child = self.child.take().context("finished twice")?;
        if abandon {
            stop_group(&mut child);
            bail!("{}: stopped, as another step failed", self.name);
        }
        let waited = std::time::Instant::now();
        let status = child.wait().with_context(|| format!("waiting for {}", self.name))?;
        if !status.success() {
            if let Some(tail) = last_lines(&self.log, 80) {
                println!("{tail}");
            }
            bail!("{} failed ({status}); its whole log: {}", self.name, self.log.display());
        }
        println!(
            "==> {}: ok (in the background, started {:.0?} ago; waited {:.1?} for it here)",
            self.name,
            self.started.elapsed(),
            waited.elapsed()
        );
        Ok(())
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop_group(&mut child);
        }
    }
}

/// The last `n` lines of a log file, each indented by four spaces; `None`
/// when it is empty or unreadable.
pub(crate) fn last_lines(path: &std::path::Path, n: usize) -> Option<String> {
    let text = std::fs::read_to_string(path).ok().filter(|t| !t.trim().is_empty())?;
    let lines: Vec<&str> = text.lines().collect();
    Some(lines[lines.len().saturating_sub(n)..].iter().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n"))
}

/// SIGTERM to the child's process group (buildah then removes its working
/// containers; cargo stops its compilers), and the wait.
fn stop_group(child: &mut std::process::Child) {
    let _ = Command::new("kill").args(["-TERM", "--", &format!("-{}", child.id())]).status();
    let _ = child.wait();
}

/// Which build of the example servers and the benchmark tools a command
/// runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Build {
    /// Release, as shipped and as benchmarked.
    Release,
    /// The test command's: the debug build its tests ran, with the same
    /// selection and features as `cargo test --workspace`, so only the
    /// binaries' own crates compile; debug assertions on. It proves
    /// behaviour (conformance, no error or leak under load, a drained
    /// exit), not speed; the images and the Lambda artifact build the
    /// release profiles. Five fat-LTO links cost a fresh clone ~8 minutes.
    Test,
}

/// The benchmark's binaries, built by [`bench_release`].
pub(crate) const BENCH_BINS: &[&str] = &["mcp-bench", "bench-server", "bench-report", "bench-lambda"];

/// Builds `bins` of the example servers and the benchmark tools as `build`
/// says and returns their folder.
pub(crate) fn binaries(build: Build, bins: &[&str]) -> anyhow::Result<std::path::PathBuf> {
    if build == Build::Release {
        return release(bins);
    }
    let mut cmd = cargo(&["build", "--workspace", "--tests"]);
    for bin in bins {
        cmd.args(["--bin", bin]);
    }
    step(&format!("test build ({})", bins.join(", ")), cmd)?;
    Ok(crate::target_dir().join("debug"))
}

/// [`binaries`] in release. These builds (conformance, soak) select both
/// packages, so cargo resolves one set of features: built apart, the two
/// resolved different features for ~110 shared dependencies and compiled
/// them twice. The selection decides the features, not the binaries named.
pub(crate) fn release(bins: &[&str]) -> anyhow::Result<std::path::PathBuf> {
    let mut build = cargo(&["build", "--release", "-p", "mcp-handler-examples", "-p", "mcp-handler-benches"]);
    for bin in bins {
        build.args(["--bin", bin]);
    }
    step(&format!("release build ({})", bins.join(", ")), build)?;
    Ok(crate::target_dir().join("release"))
}

/// [`BENCH_BINS`] in release, from `mcp-handler-benches` alone: its
/// features only, so `bench-server` is the library as a user's server
/// builds it (server, Lambda and secrets shells). Selected with the example
/// servers it would also carry their AWS SDK and OpenTelemetry (2.3× the
/// code, ~1.9 MiB more idle RSS, none of it run): what the benchmark
/// measures would then be the features `demo` ships, not the server's.
pub(crate) fn bench_release() -> anyhow::Result<std::path::PathBuf> {
    let mut build = cargo(&["build", "--release", "-p", "mcp-handler-benches"]);
    for bin in BENCH_BINS {
        build.args(["--bin", bin]);
    }
    step(&format!("release build of the benchmark ({})", BENCH_BINS.join(", ")), build)?;
    Ok(crate::target_dir().join("release"))
}

pub(crate) fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

pub(crate) fn has_nextest() -> bool {
    cargo(&["nextest", "--version"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Sends one raw HTTP/1.1 request to `addr` and reports whether the answer
/// is `200` (enough to wait for a server without an HTTP client crate).
pub(crate) fn answers_200(addr: std::net::SocketAddr, request: &str, read_timeout: std::time::Duration) -> bool {
    status_of(addr, request, read_timeout) == Some(200)
}

/// Sends one raw HTTP/1.1 request to `addr` and returns the status code
/// of the answer, if one came.
pub(crate) fn status_of(addr: std::net::SocketAddr, request: &str, read_timeout: std::time::Duration) -> Option<u16> {
    exchange(addr, request, read_timeout).map(|(status, _)| status)
}

/// A raw HTTP/1.1 POST of `body` with extra header lines (each ending in
/// `\r\n`).
pub(crate) fn post_request(authority: &str, path: &str, headers: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Sends one raw HTTP/1.1 request (with `Connection: close`) and returns
/// the status and the whole answer (head and body) as text.
pub(crate) fn exchange(
    addr: std::net::SocketAddr,
    request: &str,
    read_timeout: std::time::Duration,
) -> Option<(u16, String)> {
    use std::io::{Read as _, Write as _};
    let mut s = std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(500)).ok()?;
    let _ = s.set_read_timeout(Some(read_timeout));
    s.write_all(request.as_bytes()).ok()?;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    Some((status, text))
}

/// A `tools/call` of the demo's `base64` tool (2025 shape), encoding
/// `input`, with extra header lines; what a client would send.
pub(crate) fn demo_call(authority: &str, path: &str, headers: &str, input: &str) -> String {
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{{"name":"base64","arguments":{{"direction":"encode","input":"{input}"}}}}}}"#
    );
    let headers = format!("Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n{headers}");
    post_request(authority, path, &headers, &body)
}

/// A free loopback port (bound and released).
pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Polls `f` every 250 ms until it returns `Some`, or fails after `limit`
/// naming `what`.
pub(crate) fn wait_for<T>(
    what: &str,
    limit: std::time::Duration,
    mut f: impl FnMut() -> Option<T>,
) -> anyhow::Result<T> {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Ok(v);
        }
        if std::time::Instant::now() > deadline {
            anyhow::bail!("{what}: not within {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}
