//! `peer-axum`: the hand-written ceiling of the benchmark. One axum handler
//! parses the JSON-RPC body with serde and answers `tools/call` (the `echo`
//! tool), `tools/list` and `initialize`; notifications get `202`, anything
//! else `-32601`. No header validation, no sessions, no protocol
//! negotiation beyond echoing a known version: what a person would write by
//! hand for one tool, and so the speed an SDK's dispatch has to beat.
//!
//! Listens on `127.0.0.1:$PORT`, endpoint `POST /mcp`.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::serve::ListenerExt as _;

mod rpc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let port: u16 = std::env::var("PORT")
        .map_err(|_| anyhow::anyhow!("PORT is not set"))?
        .parse()
        .map_err(|e| anyhow::anyhow!("PORT: {e}"))?;
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    // As the library's server shell does: small answers leave at once.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let app = Router::new().route("/mcp", post(mcp));
    axum::serve(listener, app).await?;
    Ok(())
}

/// axum's `Bytes` extractor bounds the body (2 MiB by default).
async fn mcp(body: Bytes) -> Response {
    match rpc::answer(&body) {
        rpc::Answer::Json(status, bytes) => (status, [(CONTENT_TYPE, "application/json")], bytes).into_response(),
        rpc::Answer::Accepted => StatusCode::ACCEPTED.into_response(),
    }
}
