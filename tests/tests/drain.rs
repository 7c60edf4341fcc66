//! SIGTERM under load, against the real `everything` binary: what a rolling
//! deploy does to a busy task. A hundred slow calls are in flight and a
//! `subscriptions/listen` stream is open when the signal comes, and new
//! requests keep arriving. Every accepted call must get its whole answer,
//! every new request a clean refusal (never a hang, never a wrong answer),
//! `/readyz` must fail at once, the stream must get its closing event, and
//! the process must exit 0 soon after it logs "drained".

// Helpers outside #[test] fns are test code too.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use http::StatusCode;
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use mcp_handler_tests::{MCP_HEADERS, Running, everything_bin, http, http_start, sse_messages};
use serde_json::{Value, json};

/// Calls in flight when the signal comes.
const CALLS: u64 = 100;
/// How long each takes (the `slow` tool's `ms`).
const CALL_MS: u64 = 2_000;
/// `--drain-timeout`: the calls fit well inside it.
const DRAIN_SECS: u64 = 10;
/// The listen request's id.
const LISTEN_ID: u64 = 1_000_000;

/// A 2026-generation request (no session needed): the `_meta` and routing
/// headers that generation requires, and a `progressToken` when given.
fn request_2026(
    id: u64,
    method: &str,
    name: Option<&str>,
    mut params: Value,
    progress: Option<u64>,
) -> (Vec<(String, String)>, String) {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": { "name": "drain-test", "version": "1" },
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    if let Some(token) = progress {
        params["_meta"]["progressToken"] = json!(token);
    }
    let mut headers: Vec<(String, String)> = MCP_HEADERS.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
    headers.push(("mcp-protocol-version".into(), "2026-07-28".into()));
    headers.push(("mcp-method".into(), method.into()));
    if let Some(n) = name {
        headers.push(("mcp-name".into(), n.into()));
    }
    let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }).to_string();
    (headers, body)
}

async fn send_2026(
    addr: SocketAddr,
    id: u64,
    method: &str,
    name: Option<&str>,
    params: Value,
    progress: Option<u64>,
) -> Result<http::Response<Incoming>, String> {
    let (headers, body) = request_2026(id, method, name, params, progress);
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    http_start(addr, "POST", "/mcp", &headers, &body).await
}

/// A response stream read up to its first JSON-RPC message (the rest is
/// read later, after the signal).
struct Started {
    id: u64,
    first: Value,
    text: String,
    body: Incoming,
}

/// Sends a request that answers with SSE (asking for progress, with the id
/// as token) and reads until its first message.
async fn start_stream(addr: SocketAddr, id: u64, method: &str, name: Option<&str>, params: Value) -> Started {
    let resp = send_2026(addr, id, method, name, params, Some(id)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "request {id} accepted");
    assert_eq!(resp.headers()["content-type"], "text/event-stream", "request {id} streams");
    let mut body = resp.into_body();
    let mut text = String::new();
    loop {
        if let Some(first) = sse_messages(&text).into_iter().next() {
            return Started { id, first, text, body };
        }
        let frame = body.frame().await.expect("the stream stays open until its first event").unwrap();
        if let Some(data) = frame.data_ref() {
            text.push_str(&String::from_utf8_lossy(data));
        }
    }
}

/// Reads the rest of a started stream; `None` when it was cut or stalled.
async fn finish_stream(mut s: Started) -> Option<(u64, Vec<Value>)> {
    let rest = tokio::time::timeout(Duration::from_secs(DRAIN_SECS + 2), s.body.collect()).await.ok()?.ok()?;
    s.text.push_str(&String::from_utf8_lossy(&rest.to_bytes()));
    Some((s.id, sse_messages(&s.text)))
}

/// What a request sent after the signal got.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// Connection refused, reset or closed unanswered: the listener is gone.
    Refused,
    /// `503`: the server said it is going away.
    Unavailable,
    /// A complete, correct answer (only legal before the first refusal).
    Served,
    /// No answer within 2 s.
    Hang,
    /// Anything else.
    Wrong(String),
}

/// One new `tools/call` on a fresh connection, classified.
async fn probe_call(addr: SocketAddr, id: u64) -> Outcome {
    let params = json!({ "name": "test_simple_text", "arguments": {} });
    let sent = async {
        let resp = send_2026(addr, id, "tools/call", Some("test_simple_text"), params, None).await?;
        let status = resp.status();
        let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok::<_, String>((status, body))
    };
    match tokio::time::timeout(Duration::from_secs(2), sent).await {
        Err(_) => Outcome::Hang,
        Ok(Err(_)) => Outcome::Refused,
        Ok(Ok((StatusCode::SERVICE_UNAVAILABLE, _))) => Outcome::Unavailable,
        Ok(Ok((StatusCode::OK, body))) => {
            let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let text = &v["result"]["content"][0]["text"];
            if v["id"] == id && text == "This is a simple text response for testing." {
                Outcome::Served
            } else {
                Outcome::Wrong(String::from_utf8_lossy(&body).into_owned())
            }
        }
        Ok(Ok((status, body))) => Outcome::Wrong(format!("{status}: {}", String::from_utf8_lossy(&body))),
    }
}

/// `GET /readyz`: `true` only for a 200.
async fn ready(addr: SocketAddr) -> bool {
    let r = tokio::time::timeout(Duration::from_secs(1), http(addr, "GET", "/readyz", &[], "")).await;
    matches!(r, Ok(Ok(reply)) if reply.status == StatusCode::OK)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_answers_every_accepted_call_and_refuses_the_rest() {
    let log = std::env::temp_dir().join(format!("mcp-handler-drain-{}.log", std::process::id()));
    let args = ["--drain-timeout", &DRAIN_SECS.to_string()].map(str::to_owned);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server =
        Running::start_logged(everything_bin(), &args, &[("RUST_LOG", "info,mcp_handler::access=off")], &log).await;
    let addr = server.addr;
    assert!(ready(addr).await, "ready before the signal");

    // The open stream, acknowledged.
    let listen_params = json!({ "notifications": { "toolsListChanged": true } });
    let listen = start_stream(addr, LISTEN_ID, "subscriptions/listen", None, listen_params).await;
    assert_eq!(listen.first["method"], "notifications/subscriptions/acknowledged");

    // A hundred calls, each in flight: its first progress event arrived.
    let mut starting = Vec::new();
    for id in 0..CALLS {
        let params = json!({ "name": "slow", "arguments": { "ms": CALL_MS } });
        starting.push(tokio::spawn(async move { start_stream(addr, id, "tools/call", Some("slow"), params).await }));
    }
    let first_started = Instant::now();
    let mut calls = Vec::new();
    for task in starting {
        let started = tokio::time::timeout(Duration::from_secs(10), task).await.expect("every call starts").unwrap();
        assert_eq!(started.first["method"], "notifications/progress", "call {} started", started.id);
        assert_eq!(started.first["params"]["progressToken"], started.id);
        calls.push(started);
    }

    let Running { mut child, addr } = server;
    let signal_at = Instant::now();
    assert!(
        signal_at < first_started + Duration::from_millis(CALL_MS),
        "the calls took too long to start ({:?}): some may have finished before the signal",
        signal_at - first_started
    );
    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());

    // The exit, waited on (a zombie is not a running process), and the
    // moment "drained" shows in the log.
    let exit = tokio::spawn(async move {
        let status = tokio::time::timeout(Duration::from_secs(DRAIN_SECS + 5), child.wait()).await;
        (status, Instant::now())
    });
    let log_path = log.clone();
    let drained = tokio::spawn(async move {
        let deadline = Instant::now() + Duration::from_secs(DRAIN_SECS + 5);
        while Instant::now() < deadline {
            if std::fs::read_to_string(&log_path).is_ok_and(|l| l.contains("drained")) {
                return Some(Instant::now());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        None
    });

    // Readiness fails at once and stays failed.
    let readyz = tokio::spawn(async move {
        let mut first_unready = None;
        let mut ready_again = false;
        let until = Instant::now() + Duration::from_millis(500);
        while Instant::now() < until {
            let ok = ready(addr).await;
            match (ok, first_unready) {
                (false, None) => first_unready = Some(Instant::now()),
                (true, Some(_)) => ready_again = true,
                _ => {}
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        (first_unready, ready_again)
    });

    // New requests keep coming until the process is gone.
    let stop = Arc::new(AtomicBool::new(false));
    let prober = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut id = 2_000_000;
            while !stop.load(Ordering::SeqCst) {
                let sent_at = Instant::now();
                let outcome = probe_call(addr, id).await;
                seen.push((sent_at, Instant::now(), outcome));
                id += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            seen
        })
    };

    // Every accepted call gets its whole answer.
    let finishing: Vec<_> = calls.into_iter().map(|c| tokio::spawn(finish_stream(c))).collect();
    let mut answered = 0;
    for task in finishing {
        let (id, msgs) = task.await.unwrap().expect("an accepted call is answered, not cut");
        let last = msgs.last().unwrap();
        assert_eq!(last["id"], id, "call {id} got its own response: {msgs:?}");
        assert_eq!(last["result"]["content"][0]["text"], format!("slept {CALL_MS} ms"), "call {id}: {last}");
        assert_eq!(last["result"]["resultType"], "complete");
        assert_eq!(msgs.len(), 3, "call {id}: progress 0, progress 1, result: {msgs:?}");
        answered += 1;
    }
    assert_eq!(answered, CALLS);

    // The listen stream got its closing event, then ended.
    let (_, msgs) = finish_stream(listen).await.expect("the listen stream is closed, not cut or left open");
    let last = msgs.last().unwrap();
    assert_eq!(last["id"], LISTEN_ID, "a graceful close answers the listen request: {msgs:?}");
    assert_eq!(last["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"], LISTEN_ID);

    let (status, exited_at) = exit.await.unwrap();
    stop.store(true, Ordering::SeqCst);
    let status = status.expect("the process exits").unwrap();
    let logs = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(status.code(), Some(0), "exit 0 after a drain; logs:\n{logs}");
    let to_exit = exited_at - signal_at;
    assert!(to_exit < Duration::from_secs(DRAIN_SECS), "exited within the drain deadline ({to_exit:?})");
    // The watcher reads the file on its own schedule: it is removed only
    // once the watcher is done, or a loaded machine loses the race.
    let drained_at = drained.await.unwrap().unwrap_or_else(|| panic!("\"drained\" never logged:\n{logs}"));
    let _ = std::fs::remove_file(&log);
    let linger = exited_at.saturating_duration_since(drained_at);
    assert!(linger < Duration::from_millis(500), "exited {linger:?} after \"drained\"");

    let (first_unready, ready_again) = readyz.await.unwrap();
    let unready_after = first_unready.expect("/readyz failed after the signal") - signal_at;
    assert!(unready_after < Duration::from_millis(100), "/readyz failed only {unready_after:?} after the signal");
    assert!(!ready_again, "/readyz never recovers during a drain");

    let seen = prober.await.unwrap();
    assert!(seen.len() >= 10, "the prober kept sending ({} requests)", seen.len());
    for (_, _, outcome) in &seen {
        assert!(
            matches!(outcome, Outcome::Refused | Outcome::Unavailable | Outcome::Served),
            "a new request during the drain got {outcome:?}"
        );
    }
    // The few sent while the signal was still on its way may be served;
    // once one was refused, every later one is.
    let first_refusal = seen.iter().find(|(_, _, o)| *o != Outcome::Served).map(|(_, done, _)| *done).unwrap();
    let served_late = seen.iter().filter(|(sent, _, o)| *sent > first_refusal && *o == Outcome::Served).count();
    assert_eq!(served_late, 0, "requests after the first refusal were served");
    eprintln!(
        "drain: {answered} calls answered, exit {to_exit:?} after SIGTERM ({linger:?} after \"drained\"), \
         /readyz unready after {unready_after:?}, {} new requests refused",
        seen.iter().filter(|(_, _, o)| *o != Outcome::Served).count()
    );
}
