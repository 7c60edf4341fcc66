//! Routes one HTTP request: health endpoints, the MCP endpoint, or 404.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::FutureExt as _;
use futures_util::future::Either;

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
    /// Routes `req`. The MCP endpoint's future is returned as it is (no
    /// wrapper future, no clone of the router per request): it is the hot
    /// path, and a larger future is a larger copy at every move. The health
    /// endpoints are cold and boxed.
    pub(crate) fn call<B>(&self, req: Request<B>) -> Routed<impl Future<Output = Response<McpBody>> + Send + use<B>>
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        // Health endpoints skip Host/Origin/auth checks: probes come from
        // the platform with whatever Host it likes.
        match req.uri().path() {
            p if p == &*self.path => Either::Left(self.mcp.handle(req).map(Ok)),
            "/healthz" => Either::Right(Box::pin(std::future::ready(Ok(plain(StatusCode::OK, "ok\n"))))),
            "/readyz" => {
                let readiness = self.readiness.clone();
                Either::Right(Box::pin(async move {
                    Ok(match readiness.check().await {
                        Ok(()) => plain(StatusCode::OK, "ready\n"),
                        Err(why) => {
                            tracing::debug!(reason = %why, "not ready");
                            plain(StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
                        }
                    })
                }))
            }
            _ => Either::Right(Box::pin(std::future::ready(Ok(plain(StatusCode::NOT_FOUND, "not found\n"))))),
        }
    }
}

/// The future of one routed request: the MCP endpoint's, or a boxed cold one.
pub(crate) type Routed<F> = Either<
    futures_util::future::Map<F, fn(Response<McpBody>) -> Result<Response<McpBody>, Infallible>>,
    Pin<Box<dyn Future<Output = Result<Response<McpBody>, Infallible>> + Send>>,
>;
