//! Routes one HTTP request: health endpoints, the MCP endpoint, or 404.

use std::convert::Infallible;
use std::sync::Arc;

use http::{Request, Response, StatusCode, header};
use mcp_handler_core::{McpBody, McpService};

use crate::readiness::Readiness;

/// The per-server request router (cheap to clone per connection).
#[derive(Clone, Debug)]
pub(crate) struct App {
    pub(crate) mcp: McpService,
    pub(crate) path: Arc<str>,
    pub(crate) readiness: Readiness,
}

fn plain(status: StatusCode, text: &'static str) -> Response<McpBody> {
    let mut r = Response::new(McpBody::full(text));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

impl App {
    pub(crate) async fn call<B>(self, req: Request<B>) -> Result<Response<McpBody>, Infallible>
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        // Health endpoints skip Host/Origin/auth checks: probes come from
        // the platform with whatever Host it likes.
        match req.uri().path() {
            p if p == &*self.path => Ok(self.mcp.handle(req).await),
            "/healthz" => Ok(plain(StatusCode::OK, "ok\n")),
            "/readyz" => Ok(match self.readiness.check().await {
                Ok(()) => plain(StatusCode::OK, "ready\n"),
                Err(why) => {
                    tracing::debug!(reason = %why, "not ready");
                    plain(StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
                }
            }),
            _ => Ok(plain(StatusCode::NOT_FOUND, "not found\n")),
        }
    }
}
