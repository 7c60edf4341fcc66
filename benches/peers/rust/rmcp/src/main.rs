//! `peer-rmcp`: the official Rust MCP SDK serving the benchmark's `echo`
//! tool through its `StreamableHttpService`, stateless (no legacy sessions)
//! with JSON responses, mounted in axum as the SDK's own examples do. It
//! serves both request shapes: 2025 (`tools/call` without `initialize`) and
//! 2026-07-28 (per-request `_meta` and routing headers).
//!
//! Listens on `127.0.0.1:$PORT`, endpoint `/mcp`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::ListenerExt as _;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ServerHandler, tool, tool_handler, tool_router};

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct EchoArgs {
    /// The text to send back.
    text: String,
}

/// The server: the tool router is built once and shared, since the
/// stateless service makes a server value for every request.
#[derive(Clone)]
struct Echo {
    tools: Arc<ToolRouter<Self>>,
}

#[tool_router]
impl Echo {
    #[tool(description = "Returns its text argument unchanged")]
    fn echo(&self, Parameters(EchoArgs { text }): Parameters<EchoArgs>) -> String {
        text
    }
}

#[tool_handler(router = self.tools, name = "peer-rmcp")]
impl ServerHandler for Echo {}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let port: u16 = std::env::var("PORT")
        .map_err(|_| anyhow::anyhow!("PORT is not set"))?
        .parse()
        .map_err(|e| anyhow::anyhow!("PORT: {e}"))?;
    let config = StreamableHttpServerConfig::default().with_legacy_session_mode(false).with_json_response(true);
    // The stateless service asks the factory for a server on every request.
    // rmcp's own examples build the tool router there (`Self::tool_router()`
    // in `new()`); `RMCP_ROUTER_PER_REQUEST=1` runs it that way, the default
    // shares one router (the fastest way we know to run rmcp).
    let service: StreamableHttpService<Echo, LocalSessionManager> =
        if std::env::var_os("RMCP_ROUTER_PER_REQUEST").is_some_and(|v| v == "1") {
            StreamableHttpService::new(|| Ok(Echo { tools: Arc::new(Echo::tool_router()) }), Default::default(), config)
        } else {
            let server = Echo { tools: Arc::new(Echo::tool_router()) };
            StreamableHttpService::new(move || Ok(server.clone()), Default::default(), config)
        };
    let app = axum::Router::new().nest_service("/mcp", service);
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    // As the library's server shell does: small answers leave at once.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await?;
    Ok(())
}
