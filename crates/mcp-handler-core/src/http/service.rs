//! Request handling of the endpoint: HTTP rules first, then JSON-RPC.
//!
//! Flow of a POST: header checks (Host/Origin, content type, Accept,
//! protocol version, size) → body read once into `Bytes` → one message
//! parsed without copying its params → session resolved (if sessions are
//! on) → dispatch → JSON, or an SSE stream if the handler emits first.

// Refusals travel as `Err(Response)`: the cold path, so its size does not
// matter, and boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::FutureExt as _;
use futures_util::future::Either;
use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode};
use tokio_util::sync::CancellationToken;

use super::admission::InFlight;
use super::body::McpBody;
use super::config::{EndpointConfig, ResponseMode};
use super::exchange::{self, Exchange};
use super::guard::{self, Accepts};
use super::handle::Endpoint;
pub(super) use super::handle::Shared;
use super::negotiate::{self, Negotiated};
use super::rate::Limiter;
use super::responses::{bad_request, body_timed_out, refuse, too_large};
use super::state_key::StateKeySlot;
use crate::env::Served;
use crate::error::McpError;
use crate::hub::{Hub, Notifier};
use crate::jsonrpc::params::Slot;
use crate::jsonrpc::{self, Incoming};
use crate::method::Method;
use crate::outbox::PendingRequests;
use crate::router::{Push, Router};
use crate::session::SessionData;
use crate::util::RandomUnavailable;
use crate::version::ProtocolVersion;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The MCP endpoint. Clone it freely: clones share one router and state,
/// and one handle on them (a shell serving many connections on many cores
/// takes a [`connection_handle`](Self::connection_handle) for each).
#[derive(Clone)]
pub struct McpService {
    pub(super) shared: Arc<Shared>,
}

impl std::fmt::Debug for McpService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpService").field("router", &self.shared.router).field("config", &self.shared.config).finish()
    }
}

impl McpService {
    /// Serves `router` with `config`, or fails when the OS random source
    /// cannot give the secrets made at start-up (the request-state key,
    /// unless `config` has one, and the prefix of server-to-client request
    /// ids). Shells call this and stop with the error: nothing is derived
    /// from weaker entropy instead.
    pub fn try_new(router: Router, config: EndpointConfig) -> Result<Self, RandomUnavailable> {
        let state_key = StateKeySlot::new(config.request_state_key.clone())?;
        let admission = Arc::new(InFlight::new(config.max_in_flight, config.max_in_flight_per_client));
        let hub = Arc::new(Hub::new(config.sessions.clone()));
        let pending = Arc::new(PendingRequests::new()?);
        let mut served = Served::new(Some(router.clone()), config.client_request_timeout);
        served.notifier = Some(Notifier(hub.clone()));
        served.pending = Some(pending.clone());
        Ok(Self {
            shared: Shared::new(Endpoint {
                router,
                hub,
                config,
                pending,
                inflight: Mutex::new(HashMap::new()),
                state_key,
                shutdown: CancellationToken::new(),
                admission,
                limiter: Limiter::default(),
                served,
            }),
        })
    }

    /// [`try_new`](Self::try_new) for callers with nothing better to do
    /// than stop when the OS random source fails at start-up (tests,
    /// examples).
    ///
    /// # Panics
    ///
    /// When the OS random source fails, only here, at construction: no
    /// request ever panics for it. A shell that can report a start-up
    /// error calls `try_new` instead.
    pub fn new(router: Router, config: EndpointConfig) -> Self {
        match Self::try_new(router, config) {
            Ok(s) => s,
            Err(e) => panic!("cannot start the MCP endpoint: {e}"),
        }
    }

    /// The same endpoint (router, sessions, limits, everything), through
    /// a handle of its own: requests served through it, and its clones,
    /// keep their references to it, not to `self`'s handle.
    ///
    /// Each request takes and drops a reference to the handle it came
    /// through; if every core's requests did so on one handle, the cores
    /// would pass that count's cache line between them on every request.
    /// A shell that serves many connections on many cores takes one
    /// handle per connection (the server shell does), so that a request
    /// writes a count only its own connection's requests share. Use it
    /// where a clone per connection would be made anyway.
    #[must_use]
    pub fn connection_handle(&self) -> Self {
        Self { shared: self.shared.another() }
    }

    /// Whether shells should add the client's address
    /// ([`ClientAddress`](crate::ClientAddress)) to each request: a rate
    /// limit, the endpoint's or a tool's, counts per address when a request
    /// names no session or principal; the tool-call audit names the caller
    /// by it (read once logging is installed).
    pub fn wants_client_address(&self) -> bool {
        self.shared.config.rate_limited()
            || self.shared.router.inner.tool_rate_limits
            || tracing::enabled!(target: crate::audit::TARGET, tracing::Level::INFO)
    }

    /// The client of a request from `peer`: the trusted proxy's word for it
    /// when `MCP_TRUSTED_PROXY_HEADER` names a header it set, else the peer
    /// (for access logs; rate limits read the same).
    pub fn client_address(
        &self,
        headers: &http::HeaderMap,
        peer: Option<std::net::IpAddr>,
    ) -> Option<std::net::IpAddr> {
        let name = self.shared.config.trusted_proxy_header.as_ref();
        name.and_then(|name| super::rate::forwarded(headers, name)).or(peer)
    }

    /// The router served.
    pub fn router(&self) -> &Router {
        &self.shared.router
    }

    /// The configuration.
    pub fn config(&self) -> &EndpointConfig {
        &self.shared.config
    }

    /// Ends every open GET stream cleanly and refuses new ones; requests in
    /// flight finish normally. Call it when draining before exit.
    pub fn begin_shutdown(&self) {
        self.shared.shutdown.cancel();
    }

    /// Publishes list changes and resource updates to every listening
    /// client (2026 `subscriptions/listen` streams, 2025 session GET streams).
    pub fn notifier(&self) -> Notifier {
        Notifier(self.shared.hub.clone())
    }

    /// Serves one request: what [`Service::call`](tower_service::Service::call)
    /// does, without boxing the future, for a shell that can hold it by type
    /// (the server shell does; a box per request is measurable).
    pub fn handle<B>(&self, req: Request<B>) -> impl Future<Output = Response<McpBody>> + Send + use<B>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        self.shared.clone().handle(req, exchange::attach)
    }
}

impl<B> tower_service::Service<Request<B>> for McpService
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<McpBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<McpBody>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let shared = self.shared.clone();
        Box::pin(async move { Ok(shared.handle(req, exchange::attach).await) })
    }
}

/// What an operator can change about a refusal, for the access log.
const AUTH_HINT: &str = "send Authorization: Bearer <token> or X-API-Key; MCP_SECRET_AUTH_TOKEN names the token";
const TOO_LARGE_HINT: &str =
    "the body is over the endpoint's limit (EndpointConfig::with_max_body_bytes, 4 MiB by default)";
const BODY_TIMEOUT_HINT: &str = "the body arrived too slowly: MCP_BODY_TIMEOUT_SECS";

/// An answer, and the request's record when the shell asked for one (what
/// the message said about itself; the rest is read from the answer).
type Answered = (Response<McpBody>, Option<Exchange>);

/// What a POST's headers say, read in the one pass over them that the
/// Host and Origin check makes.
struct Posted {
    /// `Content-Type` is JSON.
    json: bool,
    accepts: Accepts,
    /// The version header; an unsupported one is refused once the body is
    /// parsed, so the error can carry the request id.
    header_version: Result<Option<ProtocolVersion>, String>,
    /// `Content-Length`, when a number.
    declared: Option<u64>,
}

impl Posted {
    fn of(head: &guard::Head<'_>) -> Self {
        Self {
            json: guard::is_json_content(head),
            accepts: guard::accepts(head),
            header_version: head.version(),
            declared: head.declared_length(),
        }
    }
}

/// What the endpoint knows about the caller once headers and session are
/// checked.
pub(super) struct Caller {
    pub(super) version: ProtocolVersion,
    pub(super) session: Option<(Arc<str>, SessionData)>,
    pub(super) accepts: Accepts,
}

impl Shared {
    /// Serves one request. Neither this nor [`serve`](Self::serve) is an
    /// async fn: each level of `async` keeps its arguments in its future
    /// after passing them on, and the request's future, moved whole at
    /// every level and into the connection, grows by them at each.
    ///
    /// `then` gets the answer and, when the shell asks for them, the
    /// request's record, inside this one future: the record travels out
    /// with the answer, filled on the way, and is moved nowhere else.
    pub(super) fn handle<B, F>(
        self: Arc<Self>,
        req: Request<B>,
        then: F,
    ) -> impl Future<Output = Response<McpBody>> + Send + use<B, F>
    where
        B: http_body::Body + Send + 'static,
        B::Error: Into<BoxError>,
        F: FnOnce(&mut Response<McpBody>, &mut Option<Exchange>) + Send + 'static,
    {
        let detail = self.config.recording();
        self.serve(req).map(move |(mut resp, mut record)| {
            if let Some(detail) = detail {
                exchange::finish(&mut resp, &mut record, detail);
            }
            then(&mut resp, &mut record);
            resp
        })
    }

    /// `resp`, marked as a refusal when the shell records exchanges.
    pub(super) fn refusal(
        &self,
        mut resp: Response<McpBody>,
        reason: &'static str,
        hint: Option<&'static str>,
    ) -> Response<McpBody> {
        if self.config.recording().is_some() {
            exchange::refused(&mut resp, reason, hint);
        }
        resp
    }

    /// The checks every method shares, then the method's future: POST's
    /// inline, the rest (cold: refusals, GET streams, DELETE) ready or boxed.
    /// The answer comes with the request's record when one was made.
    fn serve<B>(self: Arc<Self>, req: Request<B>) -> impl Future<Output = Answered> + Send + use<B>
    where
        B: http_body::Body + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let done = |resp| Either::Left(Either::Left(std::future::ready((resp, None))));
        let (parts, body) = req.into_parts();
        let head = guard::Head::scan(&parts.headers);
        if let Err(why) = guard::check_host_and_origin(&head, &parts.uri, &self.config) {
            let resp = refuse(StatusCode::FORBIDDEN, None, &McpError::invalid_request(why));
            return done(if why == guard::HOST_REFUSED {
                self.refusal(resp, "host", Some("the Host is not allowed: MCP_ALLOWED_HOSTS widens the list"))
            } else {
                self.refusal(resp, "origin", Some("the Origin is not allowed: MCP_ALLOWED_ORIGINS widens the list"))
            });
        }
        // After the Host/Origin check (a rebound page is refused whatever it
        // presents), before anything reads the body or touches a session.
        if let Some(auth) = &self.config.auth
            && let Some(resp) = auth.check(&parts.headers)
        {
            return done(self.refusal(resp, "auth", Some(AUTH_HINT)));
        }
        let cold = |fut: Pin<Box<dyn Future<Output = Answered> + Send>>| Either::Left(Either::Right(fut));
        match parts.method {
            http::Method::POST => {
                let posted = Posted::of(&head);
                Either::Right(self.post(parts, body, posted))
            }
            http::Method::GET => cold(Box::pin(async move { (self.get(parts).await, None) })),
            http::Method::DELETE => cold(Box::pin(async move { (self.delete(parts).await, None) })),
            _ => done(self.method_not_allowed()),
        }
    }

    /// Whether responses can stay open (false when buffered), which change
    /// notifications need.
    pub(super) fn streams(&self) -> bool {
        self.config.response_mode == ResponseMode::Streaming
    }

    /// What a 2025 client can be sent unasked: only a session has a GET
    /// stream, and only a streaming endpoint can keep it open.
    pub(super) fn push_2025(&self) -> Push {
        if self.streams() && self.config.sessions.is_some() { Push::Available } else { Push::Unavailable }
    }

    /// What a 2026 client can be sent unasked: `subscriptions/listen`
    /// exists when responses can stay open.
    pub(super) fn push_2026(&self) -> Push {
        if self.streams() { Push::Available } else { Push::Unavailable }
    }

    pub(super) fn method_not_allowed(&self) -> Response<McpBody> {
        let mut resp = refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            None,
            &McpError::invalid_request("Method Not Allowed: this endpoint takes POST (and GET/DELETE with sessions)"),
        );
        let allow = if self.config.sessions.is_some() { "GET, POST, DELETE" } else { "POST" };
        resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
        resp
    }

    #[expect(clippy::manual_async_fn, reason = "an async block keeps its arguments once, an async fn twice")]
    fn post<B>(
        self: Arc<Self>,
        mut parts: http::request::Parts,
        body: B,
        posted: Posted,
    ) -> impl Future<Output = Answered> + Send
    where
        B: http_body::Body + Send + 'static,
        B::Error: Into<BoxError>,
    {
        async move {
            let Posted { json, accepts, header_version, declared } = posted;
            if !json {
                let err = McpError::invalid_request("Unsupported Media Type: Content-Type must be application/json");
                let resp = refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, None, &err);
                return (self.refusal(resp, "content_type", Some("POST needs Content-Type: application/json")), None);
            }
            if !accepts.json && !accepts.sse {
                let err = McpError::invalid_request(
                    "Not Acceptable: Accept must allow application/json or text/event-stream",
                );
                let resp = refuse(StatusCode::NOT_ACCEPTABLE, None, &err);
                return (
                    self.refusal(resp, "accept", Some("Accept must list application/json or text/event-stream")),
                    None,
                );
            }
            let limit = self.config.max_body_bytes;
            // Declared too large: refused, after reading and dropping the body
            // (up to a bound) so that a client writing it all before reading
            // still gets the 413 rather than a reset connection.
            if let Some(n) = declared
                && n > limit as u64
            {
                if n <= super::read::DISCARD_LIMIT {
                    super::read::discard(body, self.config.body_timeout).await;
                }
                return (self.refusal(too_large(limit), "too_large", Some(TOO_LARGE_HINT)), None);
            }
            let bytes = match super::read::read_body(body, limit, self.config.body_timeout).await {
                Ok(b) => b,
                Err(super::read::ReadError::TooLarge) => {
                    return (self.refusal(too_large(limit), "too_large", Some(TOO_LARGE_HINT)), None);
                }
                Err(super::read::ReadError::TimedOut) => {
                    return (
                        self.refusal(body_timed_out(self.config.body_timeout), "body_timeout", Some(BODY_TIMEOUT_HINT)),
                        None,
                    );
                }
                Err(super::read::ReadError::Failed(e)) => {
                    tracing::debug!(error = %e, "request body could not be read");
                    return (bad_request("Bad Request: the request body could not be read"), None);
                }
            };
            let resp = match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'[') if header_version.as_ref().is_ok_and(|v| v.is_some_and(ProtocolVersion::is_2026)) => {
                    let err = McpError::invalid_request(
                        "Invalid Request: JSON-RPC batches are not supported in protocol version 2026-07-28",
                    );
                    refuse(StatusCode::BAD_REQUEST, None, &err)
                }
                Some(b'[') => match header_version {
                    // Boxed: a batch's future is the largest, and the
                    // single message's future would otherwise be as large.
                    Ok(v) => Box::pin(self.batch(parts, &bytes, v, accepts)).await,
                    Err(text) => negotiate::unsupported(None, &text),
                },
                // One message: the only answer that carries a record.
                Some(b'{') => return self.single(&mut parts, &bytes, header_version, accepts).await,
                _ => {
                    let error = match serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
                        Err(e) => jsonrpc::classify_json_error(&e),
                        Ok(_) => McpError::invalid_request("Invalid Request: a JSON-RPC message must be an object"),
                    };
                    refuse(StatusCode::BAD_REQUEST, None, &error)
                }
            };
            (resp, None)
        }
    }

    #[expect(clippy::manual_async_fn, reason = "an async block keeps its arguments once, an async fn twice")]
    fn single(
        self: Arc<Self>,
        parts: &mut http::request::Parts,
        bytes: &Bytes,
        header_version: Result<Option<ProtocolVersion>, String>,
        accepts: Accepts,
    ) -> impl Future<Output = Answered> + Send {
        async move {
            let mut slot = Slot::default();
            let msg = match Incoming::parse(bytes, &mut slot) {
                Ok(m) => m,
                Err(bad) => return (refuse(StatusCode::BAD_REQUEST, bad.id.as_ref(), &bad.error), None),
            };
            let header_version = match header_version {
                Ok(v) => v,
                Err(text) => return (negotiate::unsupported(msg.id(), &text), None),
            };
            // What the message says about itself, kept beside the one await
            // below rather than in a wrapper future: a wrapper holding the
            // served future as an argument and again as its awaitee doubled
            // this future's size, and every request moves it several times.
            // The generation decided before any await: the refusal is returned
            // here, so no 152-byte `Result` stays alive in the future.
            let version_2025 = match negotiate::generation(header_version, &msg) {
                Ok(Negotiated::V2026) => None,
                Ok(Negotiated::V2025(version)) => Some(version),
                Err(resp) => return (resp, None),
            };
            let method = Method::of_request(&msg);
            let record = self.config.recording().map(|detail| {
                let version = version_2025.unwrap_or(Some(ProtocolVersion::V2026_07_28));
                exchange::of_message(&msg, method, version, parts, &self.router, detail)
            });
            let resp = match version_2025 {
                None => self.post_2026(parts, bytes, msg, accepts).await,
                Some(version) => self.single_2025(parts, msg, method, version, accepts).await,
            };
            (resp, record)
        }
    }
}

/// The request's head, moved out of the endpoint's future to the handler's
/// environment, which owns it from there; an empty head is left behind,
/// which nothing reads. The endpoint's future owns the head once, and the
/// steps below it borrow it: a head passed down by value would stay in
/// every level's future (224 bytes each), moved whole with the request.
pub(super) fn take(parts: &mut http::request::Parts) -> http::request::Parts {
    std::mem::replace(parts, Request::new(()).into_parts().0)
}
