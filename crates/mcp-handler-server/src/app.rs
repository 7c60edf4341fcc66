//! Routes one HTTP request: the MCP endpoint, the health probes (answered
//! by the core's `shell` module, as on Lambda), `/metrics`, or 404.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use futures_util::FutureExt as _;
use futures_util::future::Either;

use http::{Request, Response, StatusCode};
use mcp_handler_core::access;
use mcp_handler_core::shell::{self, Probe};
use mcp_handler_core::{Exchange, McpBody, McpService};

use crate::metrics::Metrics;
use crate::readiness::Readiness;

/// The per-server request router (cheap to clone per connection).
#[derive(Clone, Debug)]
pub(crate) struct App {
    pub(crate) mcp: McpService,
    pub(crate) path: Arc<str>,
    pub(crate) readiness: Readiness,
    /// One access-log line per request (`MCP_ACCESS_LOG`).
    pub(crate) access_log: bool,
    /// A SERVER span per request (feature `otel`, an OTLP endpoint set).
    pub(crate) traced: bool,
    /// Counted requests, when metrics are on.
    pub(crate) metrics: Option<Arc<Metrics>>,
    /// Whether this listener answers `/metrics` (not when `MCP_METRICS_BIND`
    /// gives the scrape a listener of its own).
    pub(crate) scrape_here: bool,
}

impl App {
    /// This app for one connection: the endpoint through a handle of its
    /// own ([`McpService::connection_handle`]), the rest shared.
    pub(crate) fn for_connection(&self) -> Self {
        Self {
            mcp: self.mcp.connection_handle(),
            path: self.path.clone(),
            readiness: self.readiness.clone(),
            access_log: self.access_log,
            traced: self.traced,
            metrics: self.metrics.clone(),
            scrape_here: self.scrape_here,
        }
    }

    /// Routes `req` from `client`: the MCP endpoint's future as it is (no
    /// wrapper future, no clone of the router per request: it is the hot
    /// path, and a larger future is a larger copy at every move; one type
    /// whatever is observed, so no `Either` of two copies of it), the
    /// health endpoints and `/metrics` boxed. It also observes each answer:
    /// one access-log line, for the MCP endpoint its count and duration,
    /// and with traces on its SERVER span. All read the endpoint's one
    /// `Exchange` record, in one closure the endpoint runs inside its own
    /// future when the answer's head is ready (`handle_then`): no wrapper
    /// future, no box, no second copy of the endpoint's future (a traced
    /// request is boxed, in its span). Health probes and scrapes are
    /// neither logged nor counted; other paths (404s) are logged.
    pub(crate) fn call<B>(
        &self,
        req: Request<B>,
        client: std::net::IpAddr,
    ) -> Routed<impl Future<Output = Response<McpBody>> + Send + use<B>>
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let path = req.uri().path();
        let at_endpoint = path == &*self.path;
        if !at_endpoint && Probe::of(req.method(), path).is_some() {
            return Either::Right(self.cold(req));
        }
        // The method and path are copied only for the log line; the client
        // is the trusted proxy's word for it when one is configured; the
        // clock is read only when something observes.
        let log = self.access_log.then(|| (req.method().clone(), path.to_owned()));
        let client = if self.access_log { self.mcp.client_address(req.headers(), Some(client)) } else { None };
        let started = self.observes().then(Instant::now);
        #[cfg(feature = "otel")]
        let span = self.traced.then(|| {
            let span = mcp_handler_otel::request_span(req.method(), Some("tcp"));
            mcp_handler_otel::set_parent(&span, req.headers(), None);
            span
        });
        #[cfg(feature = "otel")]
        let traced = span.clone();
        let observe = move |resp: &Response<McpBody>, record: Option<&Exchange>, metrics: Option<&Metrics>| {
            let Some(started) = started else { return };
            let elapsed = started.elapsed();
            #[cfg(feature = "otel")]
            if let Some(span) = &traced {
                mcp_handler_otel::finish_with(span, resp, record);
            }
            if let Some((method, path)) = &log {
                let seen = access::Seen { method, path, elapsed, client, lambda_request_id: None };
                access::log_exchange(seen, resp, record);
            }
            if let Some(m) = metrics {
                m.observe(resp, record, elapsed);
            }
        };
        if at_endpoint {
            let metrics = self.metrics.clone();
            let then = move |resp: &Response<McpBody>, record: Option<&Exchange>| {
                observe(resp, record, metrics.as_deref());
            };
            let fut = self.mcp.handle_then(req, then);
            #[cfg(feature = "otel")]
            if let Some(span) = span {
                return Either::Right(Box::pin(tracing::Instrument::instrument(fut.map(Ok), span)));
            }
            return Either::Left(fut.map(Ok));
        }
        let routed = self.cold(req);
        Either::Right(Box::pin(async move {
            let resp = routed.await;
            if let Ok(r) = &resp {
                observe(r, None, None);
            }
            resp
        }))
    }

    /// Whether [`call`](Self::call) has anything to observe.
    pub(crate) fn observes(&self) -> bool {
        self.access_log || self.metrics.is_some() || self.traced
    }

    /// Everything but the MCP endpoint: the probes, `/metrics`, or 404.
    fn cold<B>(&self, req: Request<B>) -> Cold {
        match Probe::of(req.method(), req.uri().path()) {
            Some(Probe::Live) => Box::pin(std::future::ready(Ok(shell::live()))),
            Some(Probe::Ready) => {
                let readiness = self.readiness.clone();
                Box::pin(async move { Ok(shell::ready(readiness.check().await)) })
            }
            Some(Probe::Metrics) if self.scrape_here => {
                let accept = req.headers().get(http::header::ACCEPT);
                let scraped = self.metrics.as_ref().map_or_else(not_found, |m| m.scrape(accept));
                Box::pin(std::future::ready(Ok(scraped)))
            }
            _ => Box::pin(std::future::ready(Ok(not_found()))),
        }
    }
}

fn not_found() -> Response<McpBody> {
    shell::plain_text(StatusCode::NOT_FOUND, "not found\n")
}

/// A cold route's boxed future.
type Cold = Pin<Box<dyn Future<Output = Result<Response<McpBody>, Infallible>> + Send>>;

/// The future of one routed request: the MCP endpoint's, or a boxed cold one.
pub(crate) type Routed<F> =
    Either<futures_util::future::Map<F, fn(Response<McpBody>) -> Result<Response<McpBody>, Infallible>>, Cold>;
