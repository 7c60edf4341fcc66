//! What one accepted connection may cost the server: how many headers it
//! may send, how large its head may be, and how many connections may be
//! open at once (how long a head may take: `watch`). A client controls
//! all of them, so each is bounded.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::ServerConfig;

/// Request headers a client may send (hyper's own default, made explicit):
/// beyond it the connection gets `431`.
pub(crate) const MAX_HEADERS: usize = 100;

/// Bytes a request head (line and headers) may take, and the read buffer
/// of an HTTP/1 connection: beyond it `431`.
pub(crate) const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Connections answered `503` at once while the server is full: refusing
/// costs a task and a socket too, so refusals are bounded as well; beyond
/// them a connection is closed unanswered.
const MAX_REFUSING: usize = 256;

/// How long a refused connection may take to send its request head.
const REFUSAL_HEAD_TIMEOUT: Duration = Duration::from_secs(2);

/// The connection builder every accepted connection is served with.
pub(crate) fn builder() -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // No timer on the HTTP/1 side (hyper's would be re-armed for every
    // request): a slow head and an idle keep-alive are bounded by the
    // server's connection watch (`watch`).
    builder.http1().header_read_timeout(None).max_headers(MAX_HEADERS).max_buf_size(MAX_HEAD_BYTES);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(MAX_HEAD_BYTES).unwrap_or(u32::MAX))
        // An h2c client that stops answering pings is gone.
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .keep_alive_timeout(Duration::from_secs(10));
    builder
}

/// The HTTP/1-only builder of the metrics listener: Prometheus and every
/// other scraper speak HTTP/1.1 to a plain-HTTP target, and leaving h2c
/// out there keeps a second copy of hyper's HTTP/2 server out of the
/// binary. Bounded as [`builder`]'s HTTP/1 side is.
pub(crate) fn http1_builder(config: &ServerConfig) -> hyper::server::conn::http1::Builder {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .max_headers(MAX_HEADERS)
        .max_buf_size(MAX_HEAD_BYTES);
    builder
}

/// Open connections: a permit per connection served, `max_connections` in
/// all, and a smaller pool for connections refused while full.
#[derive(Clone, Debug)]
pub(crate) struct ConnectionLimit {
    open: Arc<Semaphore>,
    refusing: Arc<Semaphore>,
}

/// What to do with a connection just accepted.
pub(crate) enum Admission {
    /// Serve it; the permit is released when the connection ends.
    Serve(OwnedSemaphorePermit),
    /// Full: answer its first request `503` and close.
    Refuse(OwnedSemaphorePermit),
    /// Full, and refusing as many as it should: close it unanswered.
    Drop,
}

impl ConnectionLimit {
    pub(crate) fn new(max_connections: usize) -> Self {
        Self { open: Arc::new(Semaphore::new(max_connections)), refusing: Arc::new(Semaphore::new(MAX_REFUSING)) }
    }

    pub(crate) fn admit(&self) -> Admission {
        if let Ok(permit) = self.open.clone().try_acquire_owned() {
            return Admission::Serve(permit);
        }
        match self.refusing.clone().try_acquire_owned() {
            Ok(permit) => Admission::Refuse(permit),
            Err(_) => Admission::Drop,
        }
    }
}

/// Answers the first request of `stream` with `503`, `Retry-After` and a
/// JSON-RPC error body, then closes: the client learns the server is full
/// instead of waiting in a queue nobody bounds.
pub(crate) async fn refuse(stream: TcpStream, permit: OwnedSemaphorePermit) {
    let svc = service_fn(|_req: http::Request<hyper::body::Incoming>| async {
        let mut resp = mcp_handler_core::shell::unavailable("too many open connections; retry shortly");
        resp.headers_mut().insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
        Ok::<_, Infallible>(resp)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(REFUSAL_HEAD_TIMEOUT).keep_alive(false);
    let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
    drop(permit);
}
