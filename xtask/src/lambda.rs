//! The Lambda side of the test command: the conformance suites against
//! `everything` under `cargo lambda watch` (the local Lambda runtime
//! emulator, with an emulated Function URL) in streaming and buffered
//! mode, and the arm64 deployment zip of `demo`.

use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::conformance::suite;
use crate::moto::Moto;
use crate::tools::{CONFORMANCE_ALPHA_VERSION, CONFORMANCE_VERSION, Node};

fn cargo_lambda_path() -> PathBuf {
    crate::root().join(".tools/py/bin")
}

/// `PATH` with the venv's bin first (cargo-lambda, zig).
pub(crate) fn path_env() -> std::ffi::OsString {
    let mut paths = vec![cargo_lambda_path()];
    paths.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(paths).unwrap_or_default()
}

/// `cargo lambda watch` serving `everything` on a loopback port.
struct Emulator {
    child: Child,
    url: String,
    log: std::path::PathBuf,
}

impl Emulator {
    fn start(mode: &str) -> anyhow::Result<Self> {
        Self::start_with(mode, mode, "everything", &[])
    }

    /// `bin` under the emulator in response `mode`, with extra function
    /// environment; its log goes to `target/lambda-emulator-<label>.log`.
    ///
    /// The function is built first, so it answers within seconds. An
    /// emulator that does not is stopped, its log's end printed, and started
    /// once more: the stand-alone watcher has been seen to hang on CI
    /// without a word; a second failure fails the run.
    fn start_with(mode: &str, label: &str, bin: &str, env: &[(&str, String)]) -> anyhow::Result<Self> {
        build(bin)?;
        match Self::launch(mode, label, bin, env, Duration::from_secs(120)) {
            Ok(emulator) => Ok(emulator),
            Err(e) => {
                println!("==> lambda emulator ({label}) failed: {e:#}\n==> starting it once more");
                Self::launch(mode, label, bin, env, Duration::from_secs(300))
            }
        }
    }

    fn launch(mode: &str, label: &str, bin: &str, env: &[(&str, String)], wait: Duration) -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log_path = crate::target_dir().join(format!("lambda-emulator-{label}.log"));
        let log = std::fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
        println!("==> emulator log: {}", log_path.display());
        let mut cmd = Command::new(crate::run::cargo_bin());
        crate::run::without_xtask_env(&mut cmd);
        cmd.current_dir(crate::root())
            .env("PATH", path_env())
            .args(["lambda", "watch", "-A", "127.0.0.1", "-P", &port.to_string()])
            .args(["-p", "mcp-handler-examples", "--bin", bin, "--ignore-changes"])
            .args(["--env-var", &format!("MCP_LAMBDA_RESPONSE_MODE={mode}")])
            // One key for every emulated sandbox, as a deployment would set.
            .args(["--env-var", "MCP_REQUEST_STATE_KEY=bWNwLWhhbmRsZXItZW11bGF0b3Itc3RhdGUta2V5LTMyYnl0ZXMh"])
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .args(env.iter().flat_map(|(k, v)| ["--env-var".to_owned(), format!("{k}={v}")]))
            // Its own process group, so that stopping it stops the function too.
            .process_group(0);
        let child = cmd.spawn().context("starting cargo lambda watch")?;
        let url = format!("http://127.0.0.1:{port}/lambda-url/{bin}/mcp");
        let mut emulator = Self { child, url, log: log_path.clone() };
        let deadline = Instant::now() + wait;
        let mut server_errors = 0;
        while Instant::now() < deadline {
            match ping(&emulator.url, "") {
                Some(200) => return Ok(emulator),
                Some(401) if !env.is_empty() => return Ok(emulator),
                // A function whose init fails answers 5xx on every try;
                // do not wait out the build deadline for it.
                Some(s) if s >= 500 => server_errors += 1,
                _ => server_errors = 0,
            }
            // Dropping the emulator stops it.
            if server_errors >= 5 {
                bail!("the function keeps failing (HTTP 5xx){}", log_tail(&log_path));
            }
            if let Some(status) = emulator.child.try_wait()? {
                bail!("cargo lambda watch exited ({status}){}", log_tail(&log_path));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        bail!("the emulated Function URL {} never answered in {wait:?}{}", emulator.url, log_tail(&log_path))
    }

    fn stop(&mut self) {
        let pgid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", "--", &format!("-{pgid}")]).stderr(Stdio::null()).status();
        std::thread::sleep(Duration::from_millis(300));
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{pgid}")]).stderr(Stdio::null()).status();
        let _ = self.child.wait();
    }
}

/// Builds `bin` as `cargo lambda watch` will (`cargo run -p
/// mcp-handler-examples --bin BIN`: the package's own features, not the
/// workspace's), so that the watcher's build finds it done. Otherwise the
/// first invocation waits out that build (a minute and more on 2 cores),
/// its client gives up, and the function's answer meets a closed stream.
fn build(bin: &str) -> anyhow::Result<()> {
    let mut cmd = Command::new(crate::run::cargo_bin());
    crate::run::without_xtask_env(&mut cmd).current_dir(crate::root()).env("PATH", path_env());
    cmd.args(["build", "-p", "mcp-handler-examples", "--bin", bin]);
    crate::run::step(&format!("build {bin} for the emulator"), cmd)
}

/// The end of the emulator's log, for a failure's message: CI keeps only
/// what the test command printed.
fn log_tail(path: &std::path::Path) -> String {
    match crate::run::last_lines(path, 40) {
        Some(tail) => format!("; the last lines of {}:\n{tail}", path.display()),
        None => format!("; {} is empty", path.display()),
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A `ping` through the emulated Function URL, with extra header lines;
/// the answer's status.
fn ping(url: &str, headers: &str) -> Option<u16> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let addr = authority.parse().ok()?;
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    let headers = format!("Content-Type: application/json\r\nAccept: application/json\r\n{headers}");
    let req = crate::run::post_request(authority, &format!("/{path}"), &headers, body);
    // The first invocation includes the function's start (`cargo run`).
    crate::run::status_of(addr, &req, Duration::from_secs(30))
}

/// `demo` under the emulator with its endpoint guarded by a token from
/// Secrets Manager (moto), loaded during init: no token is refused with
/// 401, the token is served, and health needs none.
pub(crate) fn guarded() -> anyhow::Result<()> {
    println!("\n==> lambda emulator (guarded demo): token from Secrets Manager (moto) loaded at init");
    let moto = Moto::start("guarded")?;
    let token = "emulator-token-0123456789";
    let secret = format!(r#"{{"Name":"prod/mcp","SecretString":"{{\"token\":\"{token}\"}}"}}"#);
    if moto.call("CreateSecret", &secret) != Some(200) {
        bail!("moto refused CreateSecret");
    }
    let env = [
        ("MCP_SECRET_AUTH_TOKEN", "aws-sm:prod/mcp#token".to_owned()),
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER", format!("http://{}", moto.addr)),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
    ];
    let emulator = Emulator::start_with("buffered", "guarded", "demo", &env)?;
    let without = ping(&emulator.url, "");
    let wrong = ping(&emulator.url, "Authorization: Bearer not-the-token\r\n");
    let with = ping(&emulator.url, &format!("Authorization: Bearer {token}\r\n"));
    let api_key = ping(&emulator.url, &format!("X-Api-Key: {token}\r\n"));
    println!("==> guarded demo: no token {without:?}, wrong token {wrong:?}, bearer {with:?}, x-api-key {api_key:?}");
    if (without, wrong, with, api_key) != (Some(401), Some(401), Some(200), Some(200)) {
        bail!(
            "the guarded Lambda function answered {without:?}/{wrong:?}/{with:?}/{api_key:?}, expected 401/401/200/200"
        );
    }
    let log = emulator.log.clone();
    drop(emulator);
    telemetry(&log)
}

/// The function's own telemetry in the emulator's log: one CloudWatch
/// EMF line per invocation (the first one cold) and one access line with
/// the invocation's request id.
fn telemetry(log: &std::path::Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(log).with_context(|| format!("reading {}", log.display()))?;
    let json: Vec<serde_json::Value> =
        text.lines().filter_map(|l| l.find('{').and_then(|at| serde_json::from_str(&l[at..]).ok())).collect();
    // EMF: dimension sets are arrays of names of string members.
    let well_formed = |v: &serde_json::Value| {
        let spec = &v["_aws"]["CloudWatchMetrics"][0];
        spec["Dimensions"].as_array().is_some_and(|sets| {
            sets.iter().all(|set| {
                set.as_array().is_some_and(|s| s.iter().all(|k| k.as_str().is_some_and(|k| v[k].is_string())))
            })
        }) && spec["Metrics"]
            .as_array()
            .is_some_and(|m| m.iter().all(|m| m["Name"].as_str().is_some_and(|n| v[n].is_number())))
    };
    let emf: Vec<_> = json.iter().filter(|v| v["_aws"]["CloudWatchMetrics"].is_array()).collect();
    if let Some(bad) = emf.iter().find(|v| !well_formed(v)) {
        bail!("an EMF line CloudWatch would not read: {bad}");
    }
    let cold: Vec<_> = emf.iter().map(|v| v["ColdStart"].as_u64()).collect();
    let refused = emf.iter().filter(|v| v["Outcome"] == "refused").count();
    println!("==> guarded demo telemetry: {} EMF lines (cold: {cold:?}), {refused} refused", emf.len());
    if emf.len() < 4 || cold.first() != Some(&Some(1)) || cold[1..].iter().any(|c| *c != Some(0)) || refused < 2 {
        bail!("expected an EMF line per invocation, the first cold and two refusals; see {}", log.display());
    }
    let access = text.lines().filter(|l| l.contains("lambda_request_id")).count();
    if access < 4 {
        bail!("expected an access line with lambda_request_id per invocation, found {access}; see {}", log.display());
    }
    Ok(())
}

/// Both suites against the emulator, in streaming then buffered mode.
pub(crate) fn conformance(node: &Node) -> anyhow::Result<()> {
    let expected = expected_failures(&crate::root().join("tests/lambda-expected-failures.yml"))?;
    for mode in ["streaming", "buffered"] {
        println!("\n==> lambda emulator ({mode}): cargo lambda watch");
        let emulator = Emulator::start(mode)?;
        let what = format!("Lambda {mode}, active suite, exactly the back-channel scenarios failing");
        suite(&node.node, &node.conformance, &emulator.url, CONFORMANCE_VERSION, &what, &[], Some(&expected))?;
        let what = format!("Lambda {mode}, --requirements 2026-07-28");
        suite(
            &node.node,
            &node.conformance_alpha,
            &emulator.url,
            CONFORMANCE_ALPHA_VERSION,
            &what,
            &["--requirements", "2026-07-28"],
            None,
        )?;
        drop(emulator);
    }
    Ok(())
}

/// The `server:` list of an expected-failures file (the suite's format).
fn expected_failures(path: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let names: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- "))
        .map(|l| l.split('#').next().unwrap_or_default().trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        bail!("{} lists no scenarios", path.display());
    }
    Ok(names)
}

/// Builds the arm64 deployment zip of `demo` and prints its size.
pub(crate) fn artifact() -> anyhow::Result<()> {
    let build = artifact_command()?;
    crate::run::step(ARTIFACT, build)?;
    check_artifact()
}

/// [`artifact`], its build started in the background ([`finish_artifact`]).
pub(crate) fn start_artifact() -> anyhow::Result<crate::run::Background> {
    let build = artifact_command()?;
    crate::run::Background::start(ARTIFACT, build, &crate::target_dir().join("lambda-artifact.log"))
}

/// Waits for the build [`start_artifact`] started, then checks its zip.
pub(crate) fn finish_artifact(build: crate::run::Background) -> anyhow::Result<()> {
    build.finish(false)?;
    check_artifact()
}

const ARTIFACT: &str = "cargo lambda build (arm64 zip of demo, profile lambda)";

/// The rustup target added, and the build command.
fn artifact_command() -> anyhow::Result<Command> {
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add", "aarch64-unknown-linux-gnu"]);
    crate::run::step("rustup target aarch64", rustup)?;
    let mut build = Command::new(crate::run::cargo_bin());
    crate::run::without_xtask_env(&mut build)
        .current_dir(crate::root())
        .env("PATH", path_env())
        .args(["lambda", "build", "--profile", "lambda", "--arm64", "--output-format", "zip"])
        .args(["-p", "mcp-handler-examples", "--bin", "demo"]);
    Ok(build)
}

/// The zip exists; its size printed against the target.
fn check_artifact() -> anyhow::Result<()> {
    let zip = crate::target_dir().join("lambda/demo/bootstrap.zip");
    let size = std::fs::metadata(&zip).with_context(|| format!("{} was not built", zip.display()))?.len();
    let mib = size as f64 / (1024.0 * 1024.0);
    // demo carries the AWS SDK (`aws-sm:` secrets), about 1.6 MiB of it;
    // without it (`--no-default-features`) about 1.6 MiB.
    println!(
        "==> demo arm64 bootstrap.zip: {size} bytes ({mib:.2} MiB; target < 4 MiB with the AWS SDK) at {}",
        zip.display()
    );
    if size > 4 * 1024 * 1024 {
        println!("==> warning: the zip is over the 4 MiB target");
    }
    Ok(())
}
