//! The function under test: one process started as a Lambda sandbox starts
//! its runtime (the Lambda environment, `AWS_LAMBDA_RUNTIME_API` pointing at
//! the stand-in), its peak memory read from `/proc`, and stopped at the end
//! — SIGTERM, then SIGKILL after a bound — with everything it started.
//!
//! Its stdout and stderr are pipes, drained as they fill, as Lambda's own
//! log pipeline drains a sandbox's: only the last [`LOG_KEPT`] bytes are
//! kept, and written to the log file once the function has stopped. A file
//! written while it runs would leave megabytes of dirty pages (a line per
//! invocation, thousands of invocations) for the kernel to write back
//! while the next function starts, and slow that start for what the one
//! before logged.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use tokio::io::{AsyncRead, AsyncReadExt as _};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// How long a function may take to exit after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// How much of the function's output (the end of it) is kept for its log.
pub const LOG_KEPT: usize = 256 * 1024;

/// How long the output pipes may stay open once the function has exited
/// (something it started may hold them).
const DRAIN_GRACE: Duration = Duration::from_secs(1);

/// What to start and how.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The executable.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Extra environment (`--env`), applied last.
    pub env: Vec<(String, String)>,
    /// `buffered` or `streaming`, given as `MCP_LAMBDA_RESPONSE_MODE`.
    pub mode: String,
    /// Where the function's stdout and stderr go.
    pub log: PathBuf,
}

/// A started function; dropping it kills its process group.
#[derive(Debug)]
pub struct Function {
    child: Child,
    pid: u32,
    stopped: bool,
    /// The end of its output, both streams in the order they were read.
    output: Arc<Mutex<VecDeque<u8>>>,
    readers: Vec<JoinHandle<()>>,
    log: PathBuf,
}

impl Function {
    /// Starts `launch` against the Runtime API at `api`, in its own process
    /// group (so that stopping it stops whatever it started).
    pub fn spawn(launch: &Launch, api: SocketAddr) -> anyhow::Result<Self> {
        let task_root = std::env::current_dir().context("the current directory")?;
        let handler = launch.program.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut cmd = Command::new(&launch.program);
        cmd.args(&launch.args)
            // A sandbox's environment is Lambda's, not the caller's: only
            // PATH (to find an interpreter) is kept.
            .env_clear()
            .envs(std::env::var_os("PATH").map(|p| (OsString::from("PATH"), p)))
            .envs(lambda_env(api, &launch.mode, &handler, &task_root))
            .envs(launch.env.iter().map(|(k, v)| (OsString::from(k), OsString::from(v))))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = cmd.spawn().with_context(|| format!("starting {}", launch.program.display()))?;
        let pid = child.id().context("the function exited at once")?;
        let output = Arc::new(Mutex::new(VecDeque::new()));
        let mut readers = Vec::new();
        if let Some(out) = child.stdout.take() {
            readers.push(tokio::spawn(drain(out, Arc::clone(&output))));
        }
        if let Some(err) = child.stderr.take() {
            readers.push(tokio::spawn(drain(err, Arc::clone(&output))));
        }
        Ok(Self { child, pid, stopped: false, output, readers, log: launch.log.clone() })
    }

    /// Waits for the process to exit (cancel-safe, for `select!`).
    pub async fn exited(&mut self) -> std::io::Result<ExitStatus> {
        self.child.wait().await
    }

    /// The process's peak resident set (`VmHWM`), KiB.
    pub fn rss_hwm_kb(&self) -> Option<u64> {
        vm_hwm_kb(&std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?)
    }

    /// SIGTERM to the process group, then SIGKILL if it has not exited
    /// within [`STOP_GRACE`].
    pub async fn stop(mut self) {
        self.signal_group("TERM");
        if tokio::time::timeout(STOP_GRACE, self.child.wait()).await.is_err() {
            self.signal_group("KILL");
            let _ = self.child.wait().await;
        }
        // Whatever else the group started goes too.
        self.signal_group("KILL");
        self.stopped = true;
        for reader in std::mem::take(&mut self.readers) {
            let _ = tokio::time::timeout(DRAIN_GRACE, reader).await;
        }
        let kept =
            Vec::from(std::mem::take(&mut *self.output.lock().unwrap_or_else(std::sync::PoisonError::into_inner)));
        if let Err(e) = std::fs::write(&self.log, kept) {
            eprintln!("bench-lambda: cannot write the function log {}: {e}", self.log.display());
        }
    }

    fn signal_group(&self, signal: &str) {
        // `kill(1)` instead of the libc call: the workspace forbids unsafe.
        let _ = std::process::Command::new("kill")
            .args([format!("-{signal}"), "--".into(), format!("-{}", self.pid)])
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        if !self.stopped {
            self.signal_group("KILL");
        }
    }
}

/// Reads `stream` to its end into `kept`, keeping its last [`LOG_KEPT`] bytes.
async fn drain(mut stream: impl AsyncRead + Unpin, kept: Arc<Mutex<VecDeque<u8>>>) {
    let mut buf = vec![0; 16 * 1024];
    while let Ok(n) = stream.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let mut kept = kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        keep_tail(&mut kept, &buf[..n], LOG_KEPT);
    }
}

/// Appends `chunk` to `kept`, then drops the oldest bytes beyond `limit`
/// (a ring: dropping them moves nothing, while the function writes a line
/// per invocation and `bench-lambda` times it on the same machine).
fn keep_tail(kept: &mut VecDeque<u8>, chunk: &[u8], limit: usize) {
    kept.extend(chunk);
    if kept.len() > limit {
        let excess = kept.len() - limit;
        kept.drain(..excess);
    }
}

/// The variables a Lambda sandbox gives its runtime (those the Rust runtime
/// requires and those `awslambdaric` reads), with dummy credentials as the
/// execution role would provide.
fn lambda_env(api: SocketAddr, mode: &str, handler: &str, task_root: &Path) -> Vec<(OsString, OsString)> {
    let pairs: [(&str, String); 20] = [
        ("AWS_LAMBDA_RUNTIME_API", api.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", "bench".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench".into()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "2026/01/01/[$LATEST]0123456789abcdef".into()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_DEFAULT_REGION", "us-east-1".into()),
        ("AWS_EXECUTION_ENV", "AWS_Lambda_bench".into()),
        ("AWS_ACCESS_KEY_ID", "AKIDBENCHLAMBDASTANDIN".into()),
        ("AWS_SECRET_ACCESS_KEY", "bench-lambda-stand-in-secret".into()),
        ("AWS_SESSION_TOKEN", "bench-lambda-stand-in-token".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("_HANDLER", handler.into()),
        ("LAMBDA_TASK_ROOT", task_root.to_string_lossy().into_owned()),
        ("LAMBDA_RUNTIME_DIR", task_root.to_string_lossy().into_owned()),
        ("LANG", "C.UTF-8".into()),
        ("TZ", ":UTC".into()),
        ("MCP_LAMBDA_RESPONSE_MODE", mode.into()),
    ];
    pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect()
}

/// `VmHWM` of a `/proc/<pid>/status` text, KiB.
fn vm_hwm_kb(status: &str) -> Option<u64> {
    status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_hwm_is_read_in_kib() {
        assert_eq!(vm_hwm_kb("Name:\tx\nVmPeak:\t  9999 kB\nVmHWM:\t    4321 kB\nVmRSS:\t 100 kB\n"), Some(4321));
        assert_eq!(vm_hwm_kb("Name:\tx\n"), None);
    }

    #[test]
    fn the_sandbox_environment_names_the_stand_in_and_the_mode() {
        let api: SocketAddr = "127.0.0.1:9001".parse().unwrap();
        let env = lambda_env(api, "streaming", "bootstrap", Path::new("/var/task"));
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.to_string_lossy().into_owned());
        assert_eq!(get("AWS_LAMBDA_RUNTIME_API").as_deref(), Some("127.0.0.1:9001"));
        assert_eq!(get("MCP_LAMBDA_RESPONSE_MODE").as_deref(), Some("streaming"));
        assert_eq!(get("LAMBDA_TASK_ROOT").as_deref(), Some("/var/task"));
    }

    #[test]
    fn the_log_keeps_the_end_of_the_output() {
        let mut kept = VecDeque::new();
        keep_tail(&mut kept, b"abcdef", 4);
        assert_eq!(kept, b"cdef");
        keep_tail(&mut kept, b"gh", 4);
        assert_eq!(kept, b"efgh");
        keep_tail(&mut kept, b"i", 8);
        assert_eq!(kept, b"efghi");
    }
}
