//! The `healthcheck` subcommand, for images without a shell or curl:
//! `healthcheck` GETs `/healthz` (liveness: the process answers HTTP);
//! `healthcheck --deep` sends a real MCP request through the endpoint
//! clients use (serving: Host allowed, credential accepted, dispatch works).

use std::net::{Ipv6Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request, header};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::rt::TokioIo;

/// What `<binary> healthcheck` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Probe {
    /// `GET /healthz` answers 200: cheap, for liveness probes.
    Liveness,
    /// A `server/discover` round trip through the MCP endpoint, with the
    /// configured credential: for health checks that gate traffic.
    Deep,
}

/// Where and how the deep probe asks.
#[derive(Debug, Clone)]
pub struct DeepProbe {
    /// The server's listen address (an unspecified one is probed on loopback).
    pub addr: SocketAddr,
    /// The endpoint path.
    pub path: String,
    /// The `Host` header to send (one the endpoint allows).
    pub host: String,
    /// An `Authorization` value, when the endpoint requires one (sent marked
    /// sensitive and never printed).
    pub authorization: Option<HeaderValue>,
}

/// The largest answer the probe reads.
const MAX_ANSWER: usize = 1 << 20;

/// The JSON-RPC id the deep probe sends and expects back.
const PROBE_ID: &str = "mcp-handler-healthcheck";

/// A server bound to `0.0.0.0`/`::` is probed on loopback.
fn target(addr: SocketAddr) -> SocketAddr {
    if !addr.ip().is_unspecified() {
        return addr;
    }
    let ip = if addr.is_ipv4() { [127, 0, 0, 1].into() } else { Ipv6Addr::LOCALHOST.into() };
    SocketAddr::new(ip, addr.port())
}

/// `host:port` of the loopback address a server bound to `bind` is probed on.
pub(crate) fn loopback_authority(bind: SocketAddr) -> String {
    target(bind).to_string()
}

/// GETs `/healthz` on `addr`; `Ok` on a 200 within `timeout`.
pub async fn probe(addr: SocketAddr, timeout: Duration) -> Result<(), String> {
    let target = target(addr);
    let req = Request::get("/healthz")
        .header(header::HOST, target.to_string())
        .body(Full::new(Bytes::new()))
        .map_err(|e| e.to_string())?;
    let work = async {
        let (status, _) = send(target, req).await?;
        if status == 200 { Ok(()) } else { Err(format!("/healthz answered HTTP {status}")) }
    };
    tokio::time::timeout(timeout, work).await.map_err(|_| format!("no answer from {target} within {timeout:?}"))?
}

/// Sends `server/discover` (2026-07-28 shape: stateless, so it works with
/// or without sessions) and expects HTTP 200 with a JSON-RPC result for
/// its id; anything else is an error with a one-line reason.
pub async fn deep_probe(p: &DeepProbe, timeout: Duration) -> Result<(), String> {
    let target = target(p.addr);
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": PROBE_ID,
        "method": "server/discover",
        "params": { "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": { "name": "mcp-handler-healthcheck", "version": env!("CARGO_PKG_VERSION") },
        }},
    });
    let mut req = Request::post(p.path.as_str())
        .header(header::HOST, p.host.as_str())
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "server/discover")
        .body(Full::new(Bytes::from(body.to_string())))
        .map_err(|e| format!("cannot build the probe request: {e}"))?;
    if let Some(auth) = &p.authorization {
        let mut auth = auth.clone();
        auth.set_sensitive(true);
        req.headers_mut().insert(header::AUTHORIZATION, auth);
    }
    let work = async {
        let (status, answer) = send(target, req).await?;
        judge(status, &answer)
    };
    tokio::time::timeout(timeout, work).await.map_err(|_| format!("no MCP answer from {target} within {timeout:?}"))?
}

/// The verdict on an answer: 200 with `result` for our id, as JSON or as
/// the last `data:` line of an SSE body.
fn judge(status: u16, answer: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(answer);
    let json =
        text.lines().filter_map(|l| l.strip_prefix("data:")).next_back().map_or(text.trim(), str::trim).to_owned();
    let msg: Option<serde_json::Value> = serde_json::from_str(&json).ok();
    let error = msg.as_ref().and_then(|m| m.get("error"));
    if status != 200 {
        let why = error.and_then(|e| e.get("message")).and_then(|m| m.as_str()).unwrap_or("no JSON-RPC error");
        return Err(format!("the MCP endpoint answered HTTP {status}: {}", one_line(why)));
    }
    let Some(msg) = &msg else { return Err("the MCP endpoint answered 200 without a JSON-RPC message".into()) };
    if msg.get("id").and_then(|i| i.as_str()) != Some(PROBE_ID) {
        return Err("the MCP endpoint answered another request's id".into());
    }
    if let Some(e) = error {
        let why = e.get("message").and_then(|m| m.as_str()).unwrap_or("?");
        return Err(format!("the MCP endpoint answered a JSON-RPC error: {}", one_line(why)));
    }
    if msg.get("result").is_some_and(serde_json::Value::is_object) {
        Ok(())
    } else {
        Err("the MCP endpoint answered without a result".into())
    }
}

fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).take(200).collect()
}

/// One HTTP/1.1 exchange on a fresh connection: the status and at most
/// [`MAX_ANSWER`] bytes of body.
async fn send(target: SocketAddr, req: Request<Full<Bytes>>) -> Result<(u16, Bytes), String> {
    let stream = tokio::net::TcpStream::connect(target).await.map_err(|e| format!("connect {target}: {e}"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake with {target}: {e}"))?;
    let conn = tokio::spawn(conn);
    let res = sender.send_request(req).await.map_err(|e| format!("request to {target}: {e}"))?;
    let status = res.status().as_u16();
    let body = Limited::new(res.into_body(), MAX_ANSWER)
        .collect()
        .await
        .map_err(|e| format!("reading the answer from {target}: {e}"))?
        .to_bytes();
    conn.abort();
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judges_answers() {
        let ok = format!(r#"{{"jsonrpc":"2.0","id":"{PROBE_ID}","result":{{"serverInfo":{{}}}}}}"#);
        assert_eq!(judge(200, ok.as_bytes()), Ok(()));
        assert_eq!(judge(200, format!("event: message\ndata: {ok}\n\n").as_bytes()), Ok(()));
        let denied = br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Unauthorized:\nno token"}}"#;
        assert_eq!(judge(401, denied), Err("the MCP endpoint answered HTTP 401: Unauthorized: no token".into()));
        assert!(judge(200, b"").is_err());
        assert!(judge(200, br#"{"jsonrpc":"2.0","id":7,"result":{}}"#).is_err());
        let err = format!(r#"{{"jsonrpc":"2.0","id":"{PROBE_ID}","error":{{"code":-32603,"message":"boom"}}}}"#);
        assert!(judge(200, err.as_bytes()).unwrap_err().contains("boom"));
    }

    #[test]
    fn unspecified_addresses_are_probed_on_loopback() {
        assert_eq!(target("0.0.0.0:8080".parse().unwrap()), "127.0.0.1:8080".parse().unwrap());
        assert_eq!(target("[::]:1".parse().unwrap()), "[::1]:1".parse().unwrap());
        assert_eq!(target("10.0.0.1:2".parse().unwrap()), "10.0.0.1:2".parse().unwrap());
    }
}
