//! Routes one HTTP request: the MCP endpoint, the health probes (answered
//! by the core's `shell` module, as on Lambda), or 404.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::FutureExt as _;
use futures_util::future::Either;

use http::{Request, Response, StatusCode};
use mcp_handler_core::access;
use mcp_handler_core::shell::{self, Probe};
use mcp_handler_core::{McpBody, McpService};

use crate::readiness::Readiness;

/// The per-server request router (cheap to clone per connection).
#[derive(Clone, Debug)]
pub(crate) struct App {
    pub(crate) mcp: McpService,
    pub(crate) path: Arc<str>,
    pub(crate) readiness: Readiness,
    /// Access-log lines (`MCP_ACCESS_LOG`).
    pub(crate) access_log: bool,
    /// A SERVER span per request (feature `otel`, an OTLP endpoint set).
    pub(crate) traced: bool,
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
        // Probes skip Host/Origin/auth checks: they come from the platform
        // with whatever Host it likes. They are matched after the MCP path,
        // so the hot path costs one comparison.
        let path = req.uri().path();
        if path == &*self.path {
            return Either::Left(self.mcp.handle(req).map(Ok));
        }
        Either::Right(match Probe::of(req.method(), path) {
            Some(Probe::Live) => Box::pin(std::future::ready(Ok(shell::live()))),
            Some(Probe::Ready) => {
                let readiness = self.readiness.clone();
                Box::pin(async move { Ok(shell::ready(readiness.check().await)) })
            }
            _ => Box::pin(std::future::ready(Ok(shell::plain_text(StatusCode::NOT_FOUND, "not found\n")))),
        })
    }
}

impl App {
    /// [`call`](Self::call), then one access-log line and/or, with
    /// traces on, inside the request's SERVER span (boxed: either costs far
    /// more than the box). Health probes are neither logged nor traced.
    pub(crate) fn call_logged<B>(
        &self,
        req: Request<B>,
        client: std::net::IpAddr,
    ) -> Pin<Box<dyn Future<Output = Result<Response<McpBody>, Infallible>> + Send>>
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let path = req.uri().path();
        if path != &*self.path && Probe::of(req.method(), path).is_some() {
            return Box::pin(self.call(req));
        }
        let (method, path) = (req.method().clone(), path.to_owned());
        let client = self.mcp.client_address(req.headers(), Some(client));
        let started = std::time::Instant::now();
        #[cfg(feature = "otel")]
        let span = self.traced.then(|| {
            let span = mcp_handler_otel::request_span(req.method(), Some("tcp"));
            mcp_handler_otel::set_parent(&span, req.headers(), None);
            span
        });
        let access_log = self.access_log;
        let fut = self.call(req);
        Box::pin(async move {
            #[cfg(feature = "otel")]
            let resp = match span {
                None => fut.await,
                Some(span) => {
                    let resp = tracing::Instrument::instrument(fut, span.clone()).await;
                    if let Ok(r) = &resp {
                        mcp_handler_otel::finish(&span, r);
                    }
                    resp
                }
            };
            #[cfg(not(feature = "otel"))]
            let resp = fut.await;
            if access_log && let Ok(r) = &resp {
                let seen = access::Seen {
                    method: &method,
                    path: &path,
                    elapsed: started.elapsed(),
                    client,
                    lambda_request_id: None,
                };
                access::log(seen, r);
            }
            resp
        })
    }
}

/// The future of one routed request: the MCP endpoint's, or a boxed cold one.
pub(crate) type Routed<F> = Either<
    futures_util::future::Map<F, fn(Response<McpBody>) -> Result<Response<McpBody>, Infallible>>,
    Pin<Box<dyn Future<Output = Result<Response<McpBody>, Infallible>> + Send>>,
>;
