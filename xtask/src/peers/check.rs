//! Every system answers right before anything is timed: the readiness
//! probe the suite waits on, and [`smoke`], which starts each system once
//! and checks each request shape with exact text comparison. Raw HTTP/1.1
//! over `run::exchange`, so the check shares no code with the systems.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use serde_json::{Value, json};

use super::Peer;
use crate::{run, tools};

/// The texts and versions the load sends, compiled from the benches crate's
/// own file: the floor's copy of the texts is checked against these (its
/// answers must equal bench-server's), so the copies cannot drift apart
/// unnoticed, and xtask does not depend on the library to get them.
#[path = "../../../benches/src/payload.rs"]
#[allow(dead_code, unreachable_pub)]
mod payload;

const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Waits until `127.0.0.1:port` answers, then checks that it answers a 2025
/// `tools/call` of `echo` correctly (a server with sessions, which refuses
/// a session-less call, must instead complete initialize → list → call →
/// DELETE).
pub(crate) fn wait_ready(port: u16, timeout: Duration) -> anyhow::Result<()> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let first = run::wait_for(&format!("an answer on {addr}"), timeout, || {
        call(addr, 1, payload::SMALL_TEXT, Shape::V2025).ok()
    })?;
    if first.status == 400 {
        return session_round(addr)
            .with_context(|| format!("a session-less call was refused ({}), and so", first.summary()));
    }
    expect_echo(&first, 1, payload::SMALL_TEXT)
}

/// Prepares every system, starts each on a free port, checks a 2025 call,
/// `tools/list`, the 10 KiB echo and the 2026 call (its refusal is shown
/// where a system does not serve it), and stops it; then checks that the
/// floor's fixed answers are byte for byte bench-server's. Returns the
/// checked systems.
pub(crate) fn smoke(node: &tools::Node) -> anyhow::Result<Vec<Peer>> {
    let peers = super::prepare(node)?;
    let logs = crate::root().join("target").join("peers").join("logs");
    std::fs::create_dir_all(&logs).context("creating target/peers/logs")?;
    let mut floor = None;
    let mut ours = None;
    for peer in &peers {
        let answers = smoke_one(peer, &logs).with_context(|| format!("peer {} ({})", peer.name, peer.version))?;
        match peer.name {
            "floor" => floor = answers,
            "mcp-handler" => ours = answers,
            _ => {}
        }
    }
    let (Some(floor), Some(ours)) = (floor, ours) else { bail!("the floor or mcp-handler is missing from the peers") };
    for ((what, f), o) in ["small echo", "10 KiB echo", "tools/list"].iter().zip(&floor).zip(&ours) {
        ensure!(
            f == o,
            "the floor's {what} answer differs from bench-server's:\n  floor:       {f:.300}\n  bench-server: {o:.300}"
        );
    }
    println!("==> peers: the floor answers bench-server's exact bytes (small echo, 10 KiB echo, tools/list)");
    Ok(peers)
}

/// One system started, checked and stopped; for `floor` and `mcp-handler`,
/// their bodies for the same three `"id":1` requests.
fn smoke_one(peer: &Peer, logs: &Path) -> anyhow::Result<Option<[String; 3]>> {
    let port = run::free_port()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let log_path = logs.join(format!("{}.log", peer.name));
    let log = std::fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    let mut cmd = peer.command(port);
    cmd.stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log);
    let _server = Running(cmd.spawn().with_context(|| format!("starting {}", run::describe(&cmd)))?);
    let in_log = || format!("its output is in {}", log_path.display());
    wait_ready(port, Duration::from_secs(60)).with_context(in_log)?;
    let id = if peer.fixed_id { 1 } else { 7 };
    let mut done = Vec::new();
    if peer.sessions {
        session_round(addr).with_context(in_log)?;
        done.push("session round");
    } else {
        done.push("2025 call");
        expect_list(&list(addr, id)?, id).context("tools/list")?;
        expect_echo(&call(addr, id, &payload::big_text(), Shape::V2025)?, id, &payload::big_text())
            .context("the 10 KiB echo")?;
        done.extend(["tools/list", "10 KiB echo"]);
    }
    let r = call(addr, id, payload::SMALL_TEXT, Shape::V2026)?;
    let v2026 = match (peer.serves_2026, expect_echo(&r, id, payload::SMALL_TEXT)) {
        (true, Ok(())) => "2026-07-28 call ok".to_owned(),
        (true, Err(e)) => return Err(e).context("the 2026-07-28 call"),
        (false, Ok(())) => bail!("it now serves the 2026-07-28 shape: set `serves_2026: true` for it in peers.rs"),
        (false, Err(_)) => format!("2026-07-28 refused: {}", r.summary()),
    };
    println!("==> peers: {} ({}): {} ok; {v2026}", peer.name, peer.version, done.join(", "));
    if !matches!(peer.name, "floor" | "mcp-handler") {
        return Ok(None);
    }
    let small = call(addr, 1, payload::SMALL_TEXT, Shape::V2025)?;
    let big = call(addr, 1, &payload::big_text(), Shape::V2025)?;
    Ok(Some([small.body, big.body, list(addr, 1)?.body]))
}

/// A started server, killed when dropped (also on the error paths).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[derive(Clone, Copy)]
enum Shape {
    /// `MCP-Protocol-Version: 2025-06-18`, no `initialize` before.
    V2025,
    /// 2026-07-28: `_meta` in params and the routing headers.
    V2026,
}

/// A `tools/call` of `echo` with `text`.
fn call(addr: SocketAddr, id: u32, text: &str, shape: Shape) -> anyhow::Result<Reply> {
    let mut params = json!({ "name": payload::TOOL, "arguments": { "text": text } });
    let version = match shape {
        Shape::V2025 => payload::VERSION_2025,
        Shape::V2026 => {
            params["_meta"] = json!({
                "io.modelcontextprotocol/protocolVersion": payload::VERSION_2026,
                "io.modelcontextprotocol/clientCapabilities": {},
                "io.modelcontextprotocol/clientInfo": { "name": "xtask-peers", "version": "1" },
            });
            payload::VERSION_2026
        }
    };
    let body = json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params }).to_string();
    let mut headers = vec![("MCP-Protocol-Version", version)];
    if matches!(shape, Shape::V2026) {
        headers.extend([("Mcp-Method", "tools/call"), ("Mcp-Name", payload::TOOL)]);
    }
    send(addr, "POST", &headers, &body)
}

fn list(addr: SocketAddr, id: u32) -> anyhow::Result<Reply> {
    let body = json!({ "jsonrpc": "2.0", "id": id, "method": "tools/list" }).to_string();
    send(addr, "POST", &[("MCP-Protocol-Version", payload::VERSION_2025)], &body)
}

/// The `session` scenario once: initialize → initialized → tools/list →
/// tools/call → DELETE.
fn session_round(addr: SocketAddr) -> anyhow::Result<()> {
    let init = json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": payload::VERSION_2025, "capabilities": {},
        "clientInfo": { "name": "xtask-peers", "version": "1" } } });
    let r = send(addr, "POST", &[], &init.to_string())?;
    let v = expect_result(&r, 1).context("initialize")?;
    ensure!(v["protocolVersion"] == payload::VERSION_2025, "initialize negotiated {}", v["protocolVersion"]);
    let session = r.header("mcp-session-id").context("initialize answered without Mcp-Session-Id")?.to_owned();
    let headers = [("Mcp-Session-Id", session.as_str()), ("MCP-Protocol-Version", payload::VERSION_2025)];
    let note = json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }).to_string();
    let r = send(addr, "POST", &headers, &note)?;
    ensure!(r.status == 202, "notifications/initialized: expected 202, got {}", r.summary());
    let body = json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list" }).to_string();
    expect_list(&send(addr, "POST", &headers, &body)?, 2).context("tools/list in the session")?;
    let body = json!({ "jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": { "name": payload::TOOL, "arguments": { "text": payload::SMALL_TEXT } } });
    expect_echo(&send(addr, "POST", &headers, &body.to_string())?, 3, payload::SMALL_TEXT)
        .context("tools/call in the session")?;
    let r = send(addr, "DELETE", &headers, "")?;
    ensure!((200..300).contains(&r.status), "DELETE of the session: {}", r.summary());
    Ok(())
}

fn expect_echo(r: &Reply, id: u32, text: &str) -> anyhow::Result<()> {
    let result = expect_result(r, id)?;
    let block = &result["content"][0];
    ensure!(block["type"] == "text", "the first content block is not text: {:.300}", r.body);
    let got = block["text"].as_str().unwrap_or_default();
    ensure!(got == text, "echoed {} bytes that differ from the {} sent: {:.200}", got.len(), text.len(), got);
    ensure!(result["content"].as_array().map(Vec::len) == Some(1), "more than one content block: {:.300}", r.body);
    Ok(())
}

fn expect_list(r: &Reply, id: u32) -> anyhow::Result<()> {
    let result = expect_result(r, id)?;
    let tools = result["tools"].as_array().context("no tools array")?;
    ensure!(tools.len() == 1 && tools[0]["name"] == payload::TOOL, "expected only `echo`: {:.400}", r.body);
    let schema = &tools[0]["inputSchema"];
    ensure!(
        schema["type"] == "object"
            && schema["properties"]["text"]["type"] == "string"
            && schema["required"] == json!(["text"]),
        "echo's input schema is not {{text: string}}: {schema}"
    );
    Ok(())
}

/// The `result` of a `200 application/json` JSON-RPC answer with `id`.
fn expect_result(r: &Reply, id: u32) -> anyhow::Result<Value> {
    ensure!(r.status == 200, "expected 200, got {}", r.summary());
    let ct = r.header("content-type").unwrap_or_default();
    ensure!(ct.starts_with("application/json"), "expected a JSON answer, got content-type {ct:?}");
    let mut v: Value = serde_json::from_str(&r.body).with_context(|| format!("not JSON: {:.300}", r.body))?;
    ensure!(v["jsonrpc"] == "2.0" && v["id"] == id, "wrong jsonrpc or id (sent {id}): {:.300}", r.body);
    ensure!(v.get("error").is_none(), "a JSON-RPC error: {}", v["error"]);
    let result = v.get_mut("result").map(Value::take);
    result.filter(Value::is_object).with_context(|| format!("no result object: {:.300}", r.body))
}

/// One HTTP answer.
struct Reply {
    status: u16,
    head: String,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// Status and the start of the body, for messages.
    fn summary(&self) -> String {
        format!("{} {:.300}", self.status, self.body)
    }
}

/// One request with the headers every MCP client sends, plus `extra`.
fn send(addr: SocketAddr, method: &str, extra: &[(&str, &str)], body: &str) -> anyhow::Result<Reply> {
    let mut req = format!(
        "{method} /mcp HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    let (status, text) =
        run::exchange(addr, &req, READ_TIMEOUT).with_context(|| format!("no HTTP answer from {addr}"))?;
    let (head, raw) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut reply = Reply { status, head: head.to_owned(), body: raw.to_owned() };
    if reply.header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        reply.body = dechunk(raw).with_context(|| format!("a malformed chunked body from {addr}"))?;
    }
    Ok(reply)
}

fn dechunk(mut raw: &str) -> Option<String> {
    let mut out = String::new();
    loop {
        let (size, rest) = raw.split_once("\r\n")?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        out.push_str(rest.get(..size)?);
        raw = rest.get(size..)?.strip_prefix("\r\n")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_are_joined_and_malformed_ones_refused() {
        assert_eq!(dechunk("4\r\n{\"a\"\r\n3;x=1\r\n:1}\r\n0\r\n\r\n").as_deref(), Some("{\"a\":1}"));
        assert_eq!(dechunk("9\r\nshort\r\n0\r\n\r\n"), None);
    }

    #[test]
    fn an_echo_is_right_only_with_the_id_and_the_exact_text() {
        let reply = |body: &str| Reply {
            status: 200,
            head: "HTTP/1.1 200 OK\r\nContent-Type: application/json".into(),
            body: body.into(),
        };
        let good = r#"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"hi"}]}}"#;
        assert!(expect_echo(&reply(good), 7, "hi").is_ok());
        assert!(expect_echo(&reply(good), 1, "hi").is_err());
        assert!(expect_echo(&reply(good), 7, "hi!").is_err());
        let error = r#"{"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"nope"}}"#;
        assert!(expect_echo(&reply(error), 7, "hi").is_err());
    }
}
