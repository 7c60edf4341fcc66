//! The accept loop and graceful drain.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt as _;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::app::App;
use crate::config::ServerConfig;
use crate::conn::{self, Admission, ConnectionLimit};
use crate::watch::{Tracked, Watch};

/// How a drain ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrainOutcome {
    /// Every in-flight request finished.
    Complete,
    /// The deadline passed with requests still running; they were dropped.
    DeadlineExceeded,
}

/// Serves `app` on `listener` (and its metrics on `scrape`, when given)
/// until `shutdown` completes, then stops accepting, marks the server
/// unready, closes GET streams and lets in-flight requests finish within the
/// drain timeout.
pub(crate) async fn serve(
    listener: TcpListener,
    scrape: Option<TcpListener>,
    app: App,
    shutdown: impl Future<Output = ()>,
    config: &ServerConfig,
) -> DrainOutcome {
    let scraping = match (scrape, &app.metrics) {
        (Some(l), Some(m)) => Some(crate::scrape::spawn(l, m.clone(), config)),
        _ => None,
    };
    let outcome = accept_and_drain(listener, app, shutdown, config).await;
    if let Some(task) = scraping {
        task.abort();
    }
    outcome
}

async fn accept_and_drain(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()>,
    config: &ServerConfig,
) -> DrainOutcome {
    let drain_timeout = config.drain_timeout;
    let builder = Arc::new(conn::builder());
    let limit = ConnectionLimit::new(config.max_connections);
    let (watch, sweeper) = Watch::start(config.header_timeout);
    // Only a rate limit reads the peer's address; inserting it costs an
    // allocation per request, so it is added only then.
    let wants_addr = app.mcp.wants_client_address();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let permit = match limit.admit() {
                    Admission::Serve(permit) => permit,
                    Admission::Refuse(permit) => {
                        tracing::warn!(%peer, "connection limit reached; answering 503");
                        if let Some(m) = &app.metrics {
                            m.refused_connection();
                        }
                        tokio::spawn(conn::refuse(stream, permit));
                        continue;
                    }
                    Admission::Drop => {
                        tracing::warn!(%peer, "connection limit reached; closing");
                        if let Some(m) = &app.metrics {
                            m.refused_connection();
                        }
                        continue;
                    }
                };
                // A handle per connection: its requests count their
                // references to the endpoint on it, not on one count that
                // every core's requests would write (`McpService::connection_handle`).
                let app = app.for_connection();
                let addr = wants_addr.then(|| mcp_handler_core::ClientAddress(peer.ip()));
                let ip = peer.ip();
                // A request stays in flight until its response is written:
                // only a connection with none is idle (`watch`).
                let (requests, registration) = watch.open();
                let svc = service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
                    if let Some(addr) = addr {
                        req.extensions_mut().insert(addr);
                    }
                    let busy = requests.begin();
                    app.call(req, ip).map(move |r| r.map(|resp| resp.map(|body| Tracked::new(body, busy))))
                });
                let conn = builder.serve_connection(TokioIo::new(stream), svc).into_owned();
                let conn = registration.watch(conn, |c| c.graceful_shutdown());
                // A combinator, not an `async move` block: the block would
                // keep the connection's future twice (as its capture and as
                // the awaited value), ~1.8 KB more per connection.
                tokio::spawn(conn.map(move |ended| {
                    if let Some(Err(e)) = ended {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                    drop(permit);
                }));
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    app.readiness.set_shutting_down();
    app.mcp.begin_shutdown();
    tracing::info!(timeout = ?drain_timeout, "draining in-flight requests");
    watch.drain();
    let outcome = tokio::select! {
        () = watch.drained() => {
            tracing::info!("drained");
            DrainOutcome::Complete
        }
        () = tokio::time::sleep(drain_timeout) => {
            tracing::warn!("drain deadline passed; dropping remaining requests");
            DrainOutcome::DeadlineExceeded
        }
    };
    sweeper.abort();
    outcome
}

/// Completes on SIGTERM or SIGINT.
pub(crate) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                    _ = int.recv() => tracing::info!("SIGINT received"),
                }
            }
            _ => {
                tracing::warn!("could not install signal handlers; falling back to Ctrl-C");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
