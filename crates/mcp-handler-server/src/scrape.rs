//! The metrics listener of `MCP_METRICS_BIND`: `GET /metrics` over HTTP/1.1 and nothing
//! else, on a port of its own (one a network policy can open to the
//! monitoring system only). It serves through the drain, so the last
//! scrapes of a stopping server still see its final counts.

use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use mcp_handler_core::shell::{self, Probe};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::config::ServerConfig;
use crate::conn;
use crate::metrics::Metrics;

/// Scrapers connected at once; beyond it a connection is closed at once.
const MAX_CONNECTIONS: usize = 64;

/// Serves `metrics` on `listener` until the task is aborted.
pub(crate) fn spawn(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    config: &ServerConfig,
) -> tokio::task::JoinHandle<()> {
    let builder = Arc::new(conn::http1_builder(config));
    let open = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::spawn(async move {
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics listener: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Ok(permit) = open.clone().try_acquire_owned() else {
                tracing::warn!(%peer, "metrics listener: too many connections; closing");
                continue;
            };
            let metrics = metrics.clone();
            let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                let resp = match Probe::of(req.method(), req.uri().path()) {
                    Some(Probe::Metrics) => metrics.scrape(req.headers().get(http::header::ACCEPT)),
                    _ => shell::plain_text(http::StatusCode::NOT_FOUND, "not found\n"),
                };
                std::future::ready(Ok::<_, std::convert::Infallible>(resp))
            });
            let conn = builder.serve_connection(TokioIo::new(stream), svc);
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(%peer, error = %e, "metrics connection ended with an error");
                }
                drop(permit);
            });
        }
    })
}
