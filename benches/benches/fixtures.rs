//! What both micro-benchmark targets and `examples/contention.rs` serve and
//! send: routers built once, the exact requests of both protocol
//! generations, and the checks that an answer is right (a benchmark of a
//! wrong answer is worthless).

use std::future::Future;
use std::task::{Context, Poll, Waker};

use anyhow::{Context as _, bail, ensure};
use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HOST};
use http::{HeaderValue, Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt as _, Full};
use mcp_handler_benches::payload;
use mcp_handler_core::{McpBody, McpService, ProtocolVersion, RequestContext, Router, Tool};
use serde::Deserialize;
use serde_json::{Value, json};
use tower_service::Service;

/// The id every benchmarked request carries, checked in every answer.
pub(crate) const ID: i64 = 7;

/// The `echo` tool's arguments: the same tool, schema and answer as
/// `bench-server` (`src/bin/bench-server.rs`) and every peer.
#[derive(Deserialize, schemars::JsonSchema)]
struct EchoArgs {
    /// The text to send back.
    text: String,
}

/// Arguments of the filler tools that make up a long `tools/list`: a schema
/// of the size real tools have (a string, an optional number, a flag).
#[derive(Deserialize, schemars::JsonSchema)]
struct SearchArgs {
    /// What to look for.
    query: String,
    /// At most this many hits.
    limit: Option<u32>,
    /// Match the whole query only.
    #[serde(default)]
    exact: bool,
}

/// A router with `tools` tools: `echo` first, then `search_NNN` fillers.
/// With one tool it is exactly what `bench-server` serves.
pub(crate) fn router(tools: usize) -> anyhow::Result<Router> {
    let mut builder = Router::builder("mcp-handler-bench", env!("CARGO_PKG_VERSION")).tool(
        Tool::builder(payload::TOOL)
            .description("Returns its text argument unchanged")
            .handler(|_ctx: RequestContext, a: EchoArgs| async move { a.text }),
    );
    for i in 1..tools {
        builder = builder.tool(
            Tool::builder(format!("search_{i:03}")).description("Searches the index and returns the best hit").handler(
                |_ctx: RequestContext, a: SearchArgs| async move {
                    format!("{} (limit {}, exact {})", a.query, a.limit.unwrap_or(10), a.exact)
                },
            ),
        );
    }
    builder.build().context("building the benchmark router")
}

/// A protocol generation, as the load tool sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// 2025-06-18: plain params, the version in a header.
    V2025,
    /// 2026-07-28: `_meta` in every request, routing headers.
    V2026,
}

impl Shape {
    pub(crate) const BOTH: [Self; 2] = [Self::V2025, Self::V2026];

    /// The revision (its `as_str()` is the `MCP-Protocol-Version` value:
    /// `payload::VERSION_2025` or `payload::VERSION_2026`).
    pub(crate) fn protocol(self) -> ProtocolVersion {
        match self {
            Self::V2025 => ProtocolVersion::V2025_06_18,
            Self::V2026 => ProtocolVersion::V2026_07_28,
        }
    }

    /// The last part of a benchmark's name.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::V2025 => "2025",
            Self::V2026 => "2026",
        }
    }
}

/// The per-request `_meta` of a 2026 client.
fn meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": payload::VERSION_2026,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": { "name": "mcp-bench", "version": env!("CARGO_PKG_VERSION") },
    })
}

/// One request body; `params` gets the 2026 `_meta` when `shape` says so.
fn request(shape: Shape, method: &str, mut params: Value) -> Vec<u8> {
    if shape == Shape::V2026
        && let Some(p) = params.as_object_mut()
    {
        p.insert("_meta".into(), meta());
    }
    let mut msg = json!({ "jsonrpc": "2.0", "id": ID, "method": method });
    if params.as_object().is_some_and(|p| !p.is_empty()) {
        msg["params"] = params;
    }
    msg.to_string().into_bytes()
}

/// `server/discover` (2026 only).
pub(crate) fn discover() -> Vec<u8> {
    request(Shape::V2026, "server/discover", json!({}))
}

/// `initialize` (2025 only).
pub(crate) fn initialize() -> Vec<u8> {
    let params = json!({
        "protocolVersion": payload::VERSION_2025,
        "capabilities": {},
        "clientInfo": { "name": "mcp-bench", "version": env!("CARGO_PKG_VERSION") },
    });
    request(Shape::V2025, "initialize", params)
}

/// `tools/list`, first page.
pub(crate) fn tools_list(shape: Shape) -> Vec<u8> {
    request(shape, "tools/list", json!({}))
}

/// `tools/call` of `echo` with `text`.
pub(crate) fn tools_call(shape: Shape, text: &str) -> Vec<u8> {
    request(shape, "tools/call", json!({ "name": payload::TOOL, "arguments": { "text": text } }))
}

/// The `result` of a successful answer to request [`ID`].
fn result(answer: &[u8]) -> anyhow::Result<Value> {
    let mut msg: Value = serde_json::from_slice(answer).context("the answer is not JSON")?;
    ensure!(msg["jsonrpc"] == "2.0", "not a JSON-RPC 2.0 answer");
    ensure!(msg["id"] == ID, "answered id {} instead of {ID}", msg["id"]);
    if let Some(e) = msg.get("error") {
        bail!("answered with an error: {e}");
    }
    match msg.get_mut("result").map(Value::take) {
        Some(r @ Value::Object(_)) => Ok(r),
        _ => bail!("no result object"),
    }
}

/// A 2026 result says it is complete; a 2025 one has no `resultType`.
fn check_result_type(shape: Shape, r: &Value) -> anyhow::Result<()> {
    match shape {
        Shape::V2026 => ensure!(r["resultType"] == "complete", "2026 result without resultType complete"),
        Shape::V2025 => ensure!(r.get("resultType").is_none(), "2025 result with a resultType"),
    }
    Ok(())
}

/// The answer to [`tools_call`] echoes `text` as its one content block.
pub(crate) fn expect_echo(shape: Shape, answer: &[u8], text: &str) -> anyhow::Result<()> {
    let r = result(answer)?;
    check_result_type(shape, &r)?;
    let content = r["content"].as_array().context("no content array")?;
    ensure!(content.len() == 1, "{} content blocks instead of 1", content.len());
    ensure!(content[0]["type"] == "text", "content is not text");
    ensure!(content[0]["text"] == text, "echoed text differs from the argument");
    Ok(())
}

/// The answer to [`tools_list`] lists `n` tools with object schemas, `echo` first.
pub(crate) fn expect_tools(shape: Shape, answer: &[u8], n: usize) -> anyhow::Result<()> {
    let r = result(answer)?;
    check_result_type(shape, &r)?;
    let tools = r["tools"].as_array().context("no tools array")?;
    ensure!(tools.len() == n, "{} tools listed instead of {n}", tools.len());
    ensure!(tools[0]["name"] == payload::TOOL, "echo is not listed first");
    ensure!(tools.iter().all(|t| t["inputSchema"]["type"] == "object"), "a tool lacks an object inputSchema");
    ensure!(r.get("nextCursor").is_none(), "the list was cut into pages");
    Ok(())
}

/// The answer to [`discover`] offers 2026-07-28 and tools.
pub(crate) fn expect_discover(answer: &[u8]) -> anyhow::Result<()> {
    let r = result(answer)?;
    check_result_type(Shape::V2026, &r)?;
    let versions = r["supportedVersions"].as_array().context("no supportedVersions")?;
    ensure!(versions.iter().any(|v| v == payload::VERSION_2026), "2026-07-28 not offered");
    ensure!(r["capabilities"]["tools"].is_object(), "tools capability missing");
    Ok(())
}

/// The answer to [`initialize`] agrees on 2025-06-18.
pub(crate) fn expect_initialize(answer: &[u8]) -> anyhow::Result<()> {
    let r = result(answer)?;
    ensure!(r["protocolVersion"] == payload::VERSION_2025, "negotiated {} instead", r["protocolVersion"]);
    ensure!(r["serverInfo"]["name"] == "mcp-handler-bench", "wrong serverInfo");
    ensure!(r["capabilities"]["tools"].is_object(), "tools capability missing");
    Ok(())
}

/// The runtime the async benchmarks run on. Current-thread, like one
/// request's path through a server worker: no cross-thread wake-ups to time.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().build().context("building the tokio runtime")
}

/// The start of an answer, for an error message.
pub(crate) fn excerpt(answer: &[u8]) -> String {
    const MAX: usize = 400;
    let text = String::from_utf8_lossy(&answer[..answer.len().min(MAX)]).into_owned();
    if answer.len() > MAX { format!("{text}... ({} bytes)", answer.len()) } else { text }
}

/// The request a client of `shape` sends to a loopback server's `/mcp`.
#[allow(dead_code, reason = "core.rs calls the router, not the service")]
pub(crate) fn http_request(shape: Shape, body: &Bytes) -> Request<Full<Bytes>> {
    let mut req = Request::new(Full::new(body.clone()));
    *req.method_mut() = Method::POST;
    *req.uri_mut() = Uri::from_static("/mcp");
    let h = req.headers_mut();
    h.insert(HOST, HeaderValue::from_static("127.0.0.1:8080"));
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(ACCEPT, HeaderValue::from_static("application/json, text/event-stream"));
    h.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    h.insert("mcp-protocol-version", HeaderValue::from_static(shape.protocol().as_str()));
    if shape == Shape::V2026 {
        // The routing headers a 2026 `tools/call` must carry.
        h.insert("mcp-method", HeaderValue::from_static("tools/call"));
        h.insert("mcp-name", HeaderValue::from_static(payload::TOOL));
    }
    req
}

/// Polls readiness, then calls. `McpService` is always ready (it has no
/// back-pressure of its own), so the poll never has to wait.
#[allow(dead_code, reason = "core.rs calls the router, not the service")]
pub(crate) fn call(
    service: &mut McpService,
    req: Request<Full<Bytes>>,
) -> (bool, impl Future<Output = Response<McpBody>> + use<>) {
    let mut cx = Context::from_waker(Waker::noop());
    let ready = matches!(Service::<Request<Full<Bytes>>>::poll_ready(service, &mut cx), Poll::Ready(Ok(())));
    let fut = service.call(req);
    (ready, async move {
        match fut.await {
            Ok(resp) => resp,
            Err(never) => match never {},
        }
    })
}

/// The response's status, `Content-Type` and whole body.
#[allow(dead_code, reason = "core.rs calls the router, not the service")]
pub(crate) async fn collect(resp: Response<McpBody>) -> (StatusCode, Option<HeaderValue>, Bytes) {
    let (parts, body) = resp.into_parts();
    let bytes = match body.collect().await {
        Ok(c) => c.to_bytes(),
        Err(never) => match never {},
    };
    (parts.status, parts.headers.get(CONTENT_TYPE).cloned(), bytes)
}
