//! Helpers for the end-to-end tests: an in-process client that calls the
//! endpoint service with `oneshot`, a small HTTP/1.1 client for loopback
//! servers, and a launcher for the real `everything` binary.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use mcp_handler::McpService;
use serde_json::Value;
use tower::ServiceExt as _;

mod bins;
pub mod faulty;
pub mod otlp;
pub mod prometheus;

pub use bins::{demo_bin, everything_bin, target_dir};

/// A response, fully read.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Bytes,
}

impl Reply {
    /// The body as JSON (panics with the body when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    /// The JSON-RPC error code of the body.
    pub fn error_code(&self) -> i64 {
        self.json()["error"]["code"].as_i64().unwrap_or_else(|| panic!("no error code in {}", self.text()))
    }
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// A header value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// The `data:` payloads of an SSE body, parsed as JSON (priming events,
    /// whose data is empty, are skipped).
    pub fn sse_messages(&self) -> Vec<Value> {
        sse_messages(&self.text())
    }
}

/// The JSON `data:` payloads of SSE text.
pub fn sse_messages(text: &str) -> Vec<Value> {
    text.split("\n\n")
        .filter_map(|event| {
            let data: Vec<&str> = event.lines().filter_map(|l| l.strip_prefix("data:")).map(str::trim_start).collect();
            let data = data.join("\n");
            (!data.trim().is_empty()).then(|| serde_json::from_str(&data).expect("SSE data is JSON"))
        })
        .collect()
}

/// A request builder with the headers a well-behaved client sends.
pub fn post() -> http::request::Builder {
    Request::post("/mcp")
        .header("host", "127.0.0.1:8080")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
}

/// Calls the service in-process and reads the whole body.
pub async fn call(svc: &McpService, req: Request<Full<Bytes>>) -> Reply {
    let resp = svc.clone().oneshot(req).await.expect("infallible");
    let (parts, body) = resp.into_parts();
    let body = tokio::time::timeout(Duration::from_secs(10), body.collect())
        .await
        .expect("the response body completes")
        .expect("infallible")
        .to_bytes();
    Reply { status: parts.status, headers: parts.headers, body }
}

/// POSTs `body` with the standard headers, `extra` replacing or adding.
pub async fn post_json(svc: &McpService, body: &str, extra: &[(&str, &str)]) -> Reply {
    let mut req = post().body(Full::new(Bytes::copy_from_slice(body.as_bytes()))).expect("request");
    for (k, v) in extra {
        let name = http::HeaderName::from_bytes(k.as_bytes()).expect("header name");
        req.headers_mut().insert(name, http::HeaderValue::from_str(v).expect("header value"));
    }
    call(svc, req).await
}

/// An `initialize` request body.
pub fn initialize_body(version: &str) -> String {
    serde_json::json!({
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": { "elicitation": {}, "sampling": {} },
            "clientInfo": { "name": "tests", "version": "1.0.0" }
        }
    })
    .to_string()
}

/// Initializes a session and returns its id.
pub async fn open_session(svc: &McpService, version: &str) -> String {
    let r = post_json(svc, &initialize_body(version), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.header("mcp-session-id").expect("session id issued").to_owned()
}

/// Polls `f` until it returns `Some`, for at most 10 s: a liveness bound
/// for what happens in the background (a rotation picked up, a bound
/// passed), not a speed assertion.
pub async fn eventually<T>(mut f: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..200 {
        if let Some(v) = f().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("condition not reached within 10 s");
}

/// A directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A fresh directory under the system's temp dir.
    pub fn new(label: &str) -> Self {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("mcp-handler-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }

    /// A path inside.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes `content` to `path` by renaming a sibling over it, the way
/// Kubernetes and careful scripts rotate secrets (readers never see half).
pub fn replace_file(path: &std::path::Path, content: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, content).expect("write");
    std::fs::rename(&tmp, path).expect("rename");
}

/// A `moto_server` on a loopback port: the local Secrets Manager endpoint.
/// Installed by `cargo xtask tools` (and `cargo xtask test`) into
/// `.tools/py`; `MCP_TEST_MOTO_SERVER` names another binary.
pub struct Moto {
    child: Option<std::process::Child>,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
}

impl Moto {
    /// Starts moto and waits until it answers HTTP.
    pub async fn start() -> Self {
        let bin = std::env::var_os("MCP_TEST_MOTO_SERVER").map(PathBuf::from).unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(".tools")
                .join("py")
                .join("bin")
                .join("moto_server")
        });
        assert!(
            bin.exists(),
            "moto_server not found at {}: run `cargo xtask tools` (cargo xtask test installs it)",
            bin.display()
        );
        let port = free_port();
        let child = std::process::Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let moto = Self { child: Some(child), url: format!("http://{addr}") };
        for _ in 0..600 {
            if http(addr, "GET", "/moto-api/", &[], "").await.is_ok() {
                return moto;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("moto_server did not answer on {addr} within 30 s");
    }

    /// Stops moto (the endpoint goes away mid-run).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Environment for a process that should use this endpoint with dummy
    /// credentials and no metadata probing.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER", self.url.clone()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    /// Where moto listens.
    pub fn addr(&self) -> SocketAddr {
        self.url.trim_start_matches("http://").parse().expect("moto's URL is http://ip:port")
    }

    /// An SDK client for this endpoint, built explicitly (tests do not
    /// touch their own process environment).
    pub fn client(&self) -> mcp_handler::secrets::aws_sdk_secretsmanager::Client {
        self.client_at(&self.url)
    }

    /// As [`client`](Self::client), through another endpoint (a proxy in
    /// front of this one).
    pub fn client_at(&self, url: &str) -> mcp_handler::secrets::aws_sdk_secretsmanager::Client {
        use mcp_handler::secrets::aws_sdk_secretsmanager::{Client, Config, config};
        let conf = Config::builder()
            .behavior_version(config::BehaviorVersion::latest())
            .region(config::Region::new("us-east-1"))
            .endpoint_url(url)
            .credentials_provider(config::Credentials::new("testing", "testing", None, None, "test"))
            .http_client(mcp_handler::secrets::https_client())
            .build();
        Client::from_conf(conf)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// A running `everything` process on loopback.
pub struct Running {
    /// The child process.
    pub child: tokio::process::Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Running {
    /// Starts `everything` with `args` and waits until `/healthz` answers.
    pub async fn start(args: &[&str]) -> Self {
        Self::start_with(everything_bin(), args, &[]).await
    }

    /// Starts `bin` with `args` and extra environment, and waits until
    /// `/healthz` answers.
    pub async fn start_with(bin: PathBuf, args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::spawn(bin, args, env, Stdio::inherit()).await
    }

    /// As [`start_with`](Self::start_with), with stderr (the logs) written
    /// to `log`.
    pub async fn start_logged(bin: PathBuf, args: &[&str], env: &[(&str, &str)], log: &std::path::Path) -> Self {
        let file = std::fs::File::create(log).expect("log file");
        Self::spawn(bin, args, env, Stdio::from(file)).await
    }

    async fn spawn(bin: PathBuf, args: &[&str], env: &[(&str, &str)], stderr: Stdio) -> Self {
        let port = free_port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let child = tokio::process::Command::new(bin)
            .arg("--bind")
            .arg(addr.to_string())
            .args(args)
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .expect("the server starts");
        for _ in 0..200 {
            if let Ok(r) = http(addr, "GET", "/healthz", &[], "").await
                && r.status == StatusCode::OK
            {
                return Self { child, addr };
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("everything did not become healthy on {addr}");
    }

    /// Sends SIGTERM.
    pub fn sigterm(&self) {
        let pid = self.child.id().expect("running").to_string();
        let ok = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs").success();
        assert!(ok, "kill -TERM {pid} failed");
    }

    /// Stops the server (SIGTERM, then waits for its exit) and returns the
    /// log it wrote to `log` ([`start_logged`](Self::start_logged)).
    pub async fn stop_and_read_log(self, log: &std::path::Path) -> String {
        self.sigterm();
        let mut child = self.child;
        child.wait().await.expect("the server exits");
        std::fs::read_to_string(log).expect("the log file")
    }
}

/// The JSON log lines of `target` in `text` (`MCP_LOG_FORMAT=json`).
pub fn json_lines_of(text: &str, target: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["target"] == target)
        .collect()
}

/// One HTTP/1.1 request over a fresh loopback connection.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<Reply, String> {
    let resp = http_start(addr, method, path, headers, body).await?;
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok(Reply { status: parts.status, headers: parts.headers, body })
}

/// Sends a request and returns as soon as the response head arrives; the
/// body streams.
pub async fn http_start(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<http::Response<hyper::body::Incoming>, String> {
    let stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let mut req = Request::builder().method(method).uri(path);
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req = req.header("host", addr.to_string());
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Full::new(Bytes::copy_from_slice(body.as_bytes()))).map_err(|e| e.to_string())?;
    sender.send_request(req).await.map_err(|e| e.to_string())
}

/// Standard MCP POST headers for loopback requests.
pub const MCP_HEADERS: [(&str, &str); 2] =
    [("content-type", "application/json"), ("accept", "application/json, text/event-stream")];

/// A STAND-IN for the AWS Parameters and Secrets Lambda Extension (the
/// real one runs only inside Lambda): its `GET /secretsmanager/get` API on
/// loopback, checking the session-token header like the real one.
pub struct ExtensionStandIn {
    /// Its loopback port (`PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`).
    pub port: u16,
    /// Secret id to `SecretString`.
    pub values: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>,
    /// The query string of every request it got.
    pub hits: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl ExtensionStandIn {
    /// Starts it; requests must carry `token`.
    pub async fn start(token: &'static str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let port = listener.local_addr().expect("bound").port();
        let values: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, String>>> = Default::default();
        let hits: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
        let (v, h) = (values.clone(), hits.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (v, h) = (v.clone(), h.clone());
                let svc = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let (v, h) = (v.clone(), h.clone());
                    async move {
                        let query = req.uri().query().unwrap_or("").to_owned();
                        h.lock().expect("lock").push(query.clone());
                        let reply = |status: http::StatusCode, body: String| {
                            let mut r = http::Response::new(http_body_util::Full::new(Bytes::from(body)));
                            *r.status_mut() = status;
                            Ok::<_, std::convert::Infallible>(r)
                        };
                        if req.headers().get("x-aws-parameters-secrets-token").and_then(|t| t.to_str().ok())
                            != Some(token)
                        {
                            return reply(http::StatusCode::UNAUTHORIZED, "missing or wrong token".into());
                        }
                        let id = query
                            .split('&')
                            .find_map(|p| p.strip_prefix("secretId="))
                            .map(|s| s.replace("%2F", "/").replace("%3A", ":"))
                            .unwrap_or_default();
                        match v.lock().expect("lock").get(&id) {
                            Some(value) => reply(
                                http::StatusCode::OK,
                                serde_json::json!({"ARN": format!("arn:aws:secretsmanager:us-east-1:1:secret:{id}"),
                                    "Name": id, "SecretString": value, "VersionId": "v1",
                                    "VersionStages": ["AWSCURRENT"]})
                                .to_string(),
                            ),
                            None => reply(
                                http::StatusCode::BAD_REQUEST,
                                "ResourceNotFoundException: Secrets Manager can't find the specified secret.".into(),
                            ),
                        }
                    }
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), svc),
                );
            }
        });
        Self { port, values, hits }
    }
}
