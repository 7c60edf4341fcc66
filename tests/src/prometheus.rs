//! The real Prometheus (Debian's `prometheus` package, 2.42): a server on
//! loopback scraping given targets every second into a temporary TSDB, its
//! HTTP query API, and `promtool check metrics`. `cargo xtask tools` (and
//! `cargo xtask test`) installs the package; without it these helpers fail
//! saying so, never skip.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::{TempDir, free_port, http};

/// `bin` on `PATH`, or a failure that says how to install it.
pub fn require(bin: &str) -> PathBuf {
    let found =
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).map(|d| d.join(bin)).find(|p| p.is_file());
    found.unwrap_or_else(|| {
        panic!(
            "`{bin}` is not on PATH: the metrics tests run the real Prometheus. `cargo xtask tools` installs \
             Debian's `prometheus` package (prometheus and promtool); `cargo xtask test` does it first"
        )
    })
}

/// `promtool check metrics` on `text`: its exit status and what it said.
pub fn promtool_check(text: &str) -> (bool, String) {
    let mut child = Command::new(require("promtool"))
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool starts");
    child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("promtool reads its input");
    let out = child.wait_with_output().expect("promtool ends");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), said)
}

/// A Prometheus server, killed when dropped.
pub struct Prometheus {
    child: Child,
    /// Where its HTTP API listens.
    pub addr: SocketAddr,
    log: PathBuf,
}

impl Prometheus {
    /// Starts Prometheus scraping `targets` (`/metrics`) every second, with
    /// its configuration, data and log in `dir`, and waits (at most 30 s)
    /// until it is ready.
    pub async fn start(targets: &[SocketAddr], dir: &TempDir) -> Self {
        let list: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: mcp\n    static_configs:\n      - targets: [{}]\n",
            list.join(", ")
        );
        let config_file = dir.join("prometheus.yml");
        std::fs::write(&config_file, config).expect("write the Prometheus configuration");
        let addr: SocketAddr = ([127, 0, 0, 1], free_port()).into();
        let log = dir.join("prometheus.log");
        let child = Command::new(require("prometheus"))
            .arg(format!("--config.file={}", config_file.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("tsdb").display()))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("prometheus starts");
        let prom = Self { child, addr, log };
        for _ in 0..300 {
            if http(addr, "GET", "/-/ready", &[], "").await.is_ok_and(|r| r.status == 200) {
                return prom;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("Prometheus was not ready on {addr} within 30 s:\n{}", prom.log_text());
    }

    /// The result of an instant query (`data.result`), or `None` while the
    /// API answers an error.
    pub async fn query(&self, promql: &str) -> Option<Vec<Value>> {
        let path = format!("/api/v1/query?query={}", percent_encode(promql));
        let r = http(self.addr, "GET", &path, &[], "").await.ok()?;
        let v = serde_json::from_slice::<Value>(&r.body).ok()?;
        (v["status"] == "success").then(|| v["data"]["result"].as_array().cloned().unwrap_or_default())
    }

    /// Polls `promql` every 200 ms, for at most 30 s, until `done` accepts
    /// its result; fails with the last result and Prometheus's log.
    pub async fn until(&self, promql: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let mut last = None;
        for _ in 0..150 {
            if let Some(result) = self.query(promql).await {
                if done(&result) {
                    return result;
                }
                last = Some(result);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let targets = http(self.addr, "GET", "/api/v1/targets", &[], "").await.map(|r| r.text()).unwrap_or_default();
        panic!(
            "`{promql}` did not reach the expected result within 30 s; last: {last:#?}\ntargets: {targets}\nlog:\n{}",
            self.log_text()
        );
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A query-string value, percent-encoded (RFC 3986 unreserved kept).
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The labels of a query result's series, as `(name, value)` pairs.
pub fn labels(series: &Value) -> Vec<(String, String)> {
    let metric = series["metric"].as_object().cloned().unwrap_or_default();
    metric.into_iter().map(|(k, v)| (k, v.as_str().unwrap_or_default().to_owned())).collect()
}

/// A query result's sample value.
pub fn value(series: &Value) -> f64 {
    series["value"][1].as_str().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
}
