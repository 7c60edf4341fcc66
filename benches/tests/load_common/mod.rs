//! Servers the `mcp-bench` tests load: the real `bench-server` binary, and
//! a small in-test HTTP server whose answers each test chooses (wrong echo,
//! wrong id, errors, SSE, slow, closing).

#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener as StdListener, TcpStream as StdStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use mcp_handler_benches::load::{self, Config, Outcome};

/// `bench-server` (this library's server with the echo tool) on a free
/// loopback port, killed on drop.
pub struct BenchServer {
    child: Child,
    pub addr: SocketAddr,
}

impl BenchServer {
    pub fn start(sessions: bool) -> anyhow::Result<Self> {
        // Ask the kernel for a free port, then hand it over (the race with
        // another process taking it in between is harmless in a test).
        let addr = StdListener::bind("127.0.0.1:0")?.local_addr()?;
        let child = Command::new(env!("CARGO_BIN_EXE_bench-server"))
            .env("MCP_BIND", addr.to_string())
            .env("BENCH_SESSIONS", if sessions { "1" } else { "0" })
            .env_remove("AWS_LAMBDA_RUNTIME_API")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let server = Self { child, addr };
        let deadline = Instant::now() + Duration::from_secs(20);
        while StdStream::connect(addr).is_err() {
            anyhow::ensure!(Instant::now() < deadline, "bench-server did not listen on {addr}");
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }

    pub fn url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }
}

impl Drop for BenchServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A request as the fake server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The JSON-RPC id of the request (0 when it has none).
    pub fn id(&self) -> u64 {
        serde_json::from_slice::<serde_json::Value>(&self.body).ok().and_then(|v| v["id"].as_u64()).unwrap_or(0)
    }
}

/// What the fake server answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    pub close: bool,
    pub delay: Option<Duration>,
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub fn json(body: String) -> Self {
        Self { status: 200, content_type: "application/json", body, close: false, delay: None, headers: Vec::new() }
    }

    /// A correct 2025-shape echo answer to `seen`.
    pub fn echo(seen: &Seen, text: &str) -> Self {
        Self::json(echo_body(seen.id(), text))
    }
}

pub fn echo_body(id: u64, text: &str) -> String {
    serde_json::json!({"jsonrpc": "2.0", "id": id, "result": {"content": [{"type": "text", "text": text}]}}).to_string()
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

/// An HTTP/1.1 server on a free loopback port answering with `handler`,
/// stopped on drop; it keeps every request it saw.
pub struct FakeServer {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeServer {
    pub fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> anyhow::Result<Self> {
        let listener = StdListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handler: Arc<Handler> = Arc::new(handler);
        let kept = seen.clone();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
                tokio::select! {
                    _ = stopped => {}
                    _ = accept_loop(listener, handler, kept) => {}
                }
            });
        });
        Ok(Self { addr, seen, stop: Some(stop), thread: Some(thread) })
    }

    pub fn url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_loop(listener: tokio::net::TcpListener, handler: Arc<Handler>, seen: Arc<Mutex<Vec<Seen>>>) {
    while let Ok((stream, _)) = listener.accept().await {
        let handler = handler.clone();
        let seen = seen.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                let handler = handler.clone();
                let seen = seen.clone();
                async move {
                    let (parts, body) = req.into_parts();
                    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                    let s = Seen {
                        method: parts.method.to_string(),
                        headers: parts
                            .headers
                            .iter()
                            .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                            .collect(),
                        body,
                    };
                    let reply = handler(&s);
                    seen.lock().unwrap_or_else(PoisonError::into_inner).push(s);
                    if let Some(d) = reply.delay {
                        tokio::time::sleep(d).await;
                    }
                    let mut resp = Response::new(Full::new(Bytes::from(reply.body)));
                    *resp.status_mut() = http::StatusCode::from_u16(reply.status).unwrap_or_default();
                    resp.headers_mut().insert("content-type", http::HeaderValue::from_static(reply.content_type));
                    for (name, value) in reply.headers {
                        if let Ok(v) = http::HeaderValue::from_str(&value) {
                            resp.headers_mut().append(name, v);
                        }
                    }
                    if reply.close {
                        resp.headers_mut().insert("connection", http::HeaderValue::from_static("close"));
                    }
                    Ok::<_, Infallible>(resp)
                }
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// Runs `config` and prints the text report (shown when a test fails).
pub fn run(config: &Config) -> anyhow::Result<Outcome> {
    let outcome = load::run(config)?;
    eprintln!("{outcome}");
    Ok(outcome)
}

/// A short, bounded run against `url`: `n` requests, 2 connections, one
/// thread, no warm-up.
pub fn quick(url: &str, n: u64) -> anyhow::Result<Config> {
    Config::new(url)?
        .with_connections(2)?
        .with_threads(1)?
        .with_warmup(Duration::ZERO)
        .with_stop(load::Stop::Requests(n))
}
