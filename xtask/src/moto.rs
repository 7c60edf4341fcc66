//! `moto_server` (from `.tools/py`, installed by `tools.rs`): a local AWS
//! Secrets Manager endpoint for the tests of `aws-sm:` references.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// `moto_server` (from `.tools/py`) on a loopback port: the Secrets
/// Manager endpoint of the guarded-function check. Killed on drop.
pub(crate) struct Moto {
    child: Child,
    pub(crate) addr: std::net::SocketAddr,
}

impl Moto {
    pub(crate) fn start(label: &str) -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log_path = crate::target_dir().join(format!("moto-{label}.log"));
        let log = std::fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
        let child = Command::new(crate::root().join(".tools/py/bin/moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()
            .context("starting moto_server (cargo xtask tools installs it)")?;
        let moto = Self { child, addr: ([127, 0, 0, 1], port).into() };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if moto.call("ListSecrets", "{}") == Some(200) {
                return Ok(moto);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("moto_server did not answer on {}", moto.addr)
    }

    /// One Secrets Manager API call (JSON protocol); the answer's status.
    pub(crate) fn call(&self, action: &str, body: &str) -> Option<u16> {
        self.call_body(action, body).map(|(s, _)| s)
    }

    /// One Secrets Manager API call; the status and the answer's JSON body.
    pub(crate) fn call_body(&self, action: &str, body: &str) -> Option<(u16, String)> {
        // moto does not check signatures but routes by the credential scope
        // of `Authorization` (service, region); without one it answers as S3.
        let headers = format!(
            "Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: secretsmanager.{action}\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/secretsmanager/aws4_request, \
             SignedHeaders=host, Signature=0\r\n"
        );
        let req = crate::run::post_request(&self.addr.to_string(), "/", &headers, body);
        let (status, text) = crate::run::exchange(self.addr, &req, Duration::from_secs(5))?;
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        Some((status, body))
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
