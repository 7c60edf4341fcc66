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
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode};
use tokio_util::sync::CancellationToken;

use super::admission::{self, ClientKey, InFlight};
use super::body::{EventIds, McpBody, PostStream, priming_event, sse_complete};
use super::config::{EndpointConfig, ResponseMode, SseMode};
use super::exchange::{self, Exchange};
use super::guard::{self, Accepts};
use super::negotiate::{self, Negotiated};
use super::rate::Limiter;
use super::responses::{
    accepted, answer, answer_output, bad_request, body_timed_out, random_unavailable, refuse, sse_response, too_large,
};
use crate::dispatch::{Dispatched, HandlerCall};
use crate::error::McpError;
use crate::hub::{Hub, Notifier};
use crate::jsonrpc::{self, Incoming, RequestId};
use crate::method::Method;
use crate::outbox::PendingRequests;
use crate::router::{Push, Router};
use crate::session::SessionData;
use crate::util::{RandomUnavailable, random_token};
use crate::v2026::RequestStateKey;
use crate::version::ProtocolVersion;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The MCP endpoint. Clone it freely: clones share one router and state.
#[derive(Clone)]
pub struct McpService {
    pub(super) shared: Arc<Shared>,
}

impl std::fmt::Debug for McpService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpService").field("router", &self.shared.router).field("config", &self.shared.config).finish()
    }
}

pub(super) struct Shared {
    pub(super) router: Router,
    pub(super) config: EndpointConfig,
    pub(super) pending: Arc<PendingRequests>,
    /// In-flight requests of sessions, for `notifications/cancelled`.
    pub(super) inflight: Mutex<HashMap<(Arc<str>, RequestId), CancellationToken>>,
    /// Listening clients of both generations.
    pub(super) hub: Arc<Hub>,
    /// Seals 2026 request state (configured, or generated at start).
    pub(super) state_key: RequestStateKey,
    pub(super) shutdown: CancellationToken,
    /// Places for handler calls, in all and per client (`inflight` above
    /// is the cancellation map of session requests).
    pub(super) admission: Arc<InFlight>,
    /// Rate-limit buckets (empty unless a limit is configured).
    pub(super) limiter: Limiter,
}

impl McpService {
    /// Serves `router` with `config`, or fails when the OS random source
    /// cannot give the secrets made at start-up (the request-state key,
    /// unless `config` has one, and the prefix of server-to-client request
    /// ids). Shells call this and stop with the error: nothing is derived
    /// from weaker entropy instead.
    pub fn try_new(router: Router, config: EndpointConfig) -> Result<Self, RandomUnavailable> {
        let state_key = match config.request_state_key.clone() {
            Some(k) => k,
            None => RequestStateKey::generate()?,
        };
        let admission = Arc::new(InFlight::new(config.max_in_flight, config.max_in_flight_per_client));
        Ok(Self {
            shared: Arc::new(Shared {
                router,
                hub: Arc::new(Hub::new(config.sessions.clone())),
                config,
                pending: Arc::new(PendingRequests::new()?),
                inflight: Mutex::new(HashMap::new()),
                state_key,
                shutdown: CancellationToken::new(),
                admission,
                limiter: Limiter::default(),
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

    /// Whether shells should add the client's address
    /// ([`ClientAddress`](crate::ClientAddress)) to each request: a rate
    /// limit, the endpoint's or a tool's, counts per address when a request
    /// names no session or principal.
    pub fn wants_client_address(&self) -> bool {
        self.shared.config.rate_limited() || self.shared.router.inner.tool_rate_limits
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

/// What the endpoint knows about the caller once headers and session are
/// checked.
pub(super) struct Caller {
    pub(super) version: ProtocolVersion,
    pub(super) session: Option<(Arc<str>, SessionData)>,
    pub(super) accepts: Accepts,
}

impl Shared {
    /// Serves `req`, then hands the answer and (when the shell asks for
    /// them) the request's record to `then`, inside this one future.
    pub(super) async fn handle<B, F>(self: Arc<Self>, req: Request<B>, then: F) -> Response<McpBody>
    where
        B: http_body::Body + Send + 'static,
        B::Error: Into<BoxError>,
        F: FnOnce(&mut Response<McpBody>, &mut Option<Exchange>),
    {
        let detail = self.config.recording();
        // Filled in place (the record is moved nowhere on the way).
        let mut record = None;
        let mut resp = self.serve(req, &mut record).await;
        if let Some(detail) = detail {
            exchange::finish(&mut resp, &mut record, detail);
        }
        then(&mut resp, &mut record);
        resp
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

    async fn serve<B>(self: Arc<Self>, req: Request<B>, record: &mut Option<Exchange>) -> Response<McpBody>
    where
        B: http_body::Body + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let (parts, body) = req.into_parts();
        if let Err(why) = guard::check_host_and_origin(&parts, &self.config) {
            let resp = refuse(StatusCode::FORBIDDEN, None, &McpError::invalid_request(why));
            return if why == guard::HOST_REFUSED {
                self.refusal(resp, "host", Some("the Host is not allowed: MCP_ALLOWED_HOSTS widens the list"))
            } else {
                self.refusal(resp, "origin", Some("the Origin is not allowed: MCP_ALLOWED_ORIGINS widens the list"))
            };
        }
        // After the Host/Origin check (a rebound page is refused whatever it
        // presents), before anything reads the body or touches a session.
        if let Some(auth) = &self.config.auth
            && let Some(resp) = auth.check(&parts.headers)
        {
            return self.refusal(resp, "auth", None);
        }
        match parts.method {
            http::Method::POST => self.post(parts, body, record).await,
            http::Method::GET => self.get(parts).await,
            http::Method::DELETE => self.delete(parts).await,
            _ => self.method_not_allowed(),
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

    async fn post<B>(
        self: Arc<Self>,
        parts: http::request::Parts,
        body: B,
        record: &mut Option<Exchange>,
    ) -> Response<McpBody>
    where
        B: http_body::Body + Send + 'static,
        B::Error: Into<BoxError>,
    {
        if !guard::is_json_content(&parts) {
            let err = McpError::invalid_request("Unsupported Media Type: Content-Type must be application/json");
            let resp = refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, None, &err);
            return self.refusal(resp, "content_type", Some("POST needs Content-Type: application/json"));
        }
        let accepts = guard::accepts(&parts);
        if !accepts.json && !accepts.sse {
            let err =
                McpError::invalid_request("Not Acceptable: Accept must allow application/json or text/event-stream");
            let resp = refuse(StatusCode::NOT_ACCEPTABLE, None, &err);
            return self.refusal(resp, "accept", Some("Accept must list application/json or text/event-stream"));
        }
        // An unsupported version is refused once the body is parsed, so the
        // error can carry the request id.
        let header_version = negotiate::header_version(&parts);
        let limit = self.config.max_body_bytes;
        let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        // Declared too large: refused, after reading and dropping the body
        // (up to a bound) so that a client writing it all before reading
        // still gets the 413 rather than a reset connection.
        if let Some(n) = declared
            && n > limit as u64
        {
            if n <= super::read::DISCARD_LIMIT {
                super::read::discard(body, self.config.body_timeout).await;
            }
            return self.refusal(too_large(limit), "too_large", None);
        }
        let bytes = match super::read::read_body(body, limit, self.config.body_timeout).await {
            Ok(b) => b,
            Err(super::read::ReadError::TooLarge) => return self.refusal(too_large(limit), "too_large", None),
            Err(super::read::ReadError::TimedOut) => {
                return self.refusal(body_timed_out(self.config.body_timeout), "body_timeout", None);
            }
            Err(super::read::ReadError::Failed(e)) => {
                tracing::debug!(error = %e, "request body could not be read");
                return bad_request("Bad Request: the request body could not be read");
            }
        };
        match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'[') if header_version.as_ref().is_ok_and(|v| v.is_some_and(ProtocolVersion::is_2026)) => {
                let err = McpError::invalid_request(
                    "Invalid Request: JSON-RPC batches are not supported in protocol version 2026-07-28",
                );
                refuse(StatusCode::BAD_REQUEST, None, &err)
            }
            Some(b'[') => match header_version {
                Ok(v) => self.batch(parts, &bytes, v, accepts).await,
                Err(text) => negotiate::unsupported(None, &text),
            },
            Some(b'{') => self.single(parts, &bytes, header_version, accepts, record).await,
            _ => {
                let error = match serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
                    Err(e) => jsonrpc::classify_json_error(&e),
                    Ok(_) => McpError::invalid_request("Invalid Request: a JSON-RPC message must be an object"),
                };
                refuse(StatusCode::BAD_REQUEST, None, &error)
            }
        }
    }

    async fn single(
        self: Arc<Self>,
        parts: http::request::Parts,
        bytes: &Bytes,
        header_version: Result<Option<ProtocolVersion>, String>,
        accepts: Accepts,
        record: &mut Option<Exchange>,
    ) -> Response<McpBody> {
        let msg = match Incoming::parse(bytes) {
            Ok(m) => m,
            Err(bad) => return refuse(StatusCode::BAD_REQUEST, bad.id.as_ref(), &bad.error),
        };
        let header_version = match header_version {
            Ok(v) => v,
            Err(text) => return negotiate::unsupported(msg.id(), &text),
        };
        let header_version = match negotiate::generation(header_version, &msg) {
            Ok(Negotiated::V2026) => {
                if let Some(detail) = self.config.recording() {
                    let (method, version) = (Method::of_request(&msg), Some(ProtocolVersion::V2026_07_28));
                    *record = Some(exchange::of_message(&msg, method, version, &parts.headers, &self.router, detail));
                }
                return self.post_2026(parts, msg, accepts).await;
            }
            Ok(Negotiated::V2025(v)) => v,
            Err(resp) => return resp,
        };
        // The method, parsed once for the whole of the request's way.
        let method = Method::of_request(&msg);
        if let Some(detail) = self.config.recording() {
            *record = Some(exchange::of_message(&msg, method, header_version, &parts.headers, &self.router, detail));
        }
        self.single_2025(parts, msg, method, header_version, accepts).await
    }

    async fn single_2025(
        self: Arc<Self>,
        parts: http::request::Parts,
        msg: Incoming<'_>,
        method: Option<Method>,
        header_version: Option<ProtocolVersion>,
        accepts: Accepts,
    ) -> Response<McpBody> {
        if let Incoming::Request { id, params, .. } = &msg
            && method == Some(Method::Initialize)
        {
            return self.initialize(id, *params).await;
        }
        let request_id = msg.id().cloned();
        let caller = match self.caller(&parts, request_id.as_ref(), header_version, accepts).await {
            Ok(c) => c,
            Err(resp) => return resp,
        };
        match msg {
            Incoming::Notification { method, params } => {
                self.notification(&method, params, &caller);
                accepted()
            }
            Incoming::Response { id, outcome } => {
                self.client_response(&id, outcome, &caller);
                accepted()
            }
            Incoming::Request { id, method: name, params } => {
                let session = caller.session.as_ref().map(|(s, _)| &**s);
                if let Some(resp) = self.throttle(&parts, session, &id, method, params, None) {
                    return resp;
                }
                match self.request(&id, &name, method, params, &caller, Some(parts)).await {
                    Dispatched::Done(bytes) => answer(bytes, caller.accepts, &id),
                    Dispatched::Call(call) => self.respond(call, &caller, &id).await,
                }
            }
        }
    }

    /// Answers a running handler: JSON when it finishes without emitting,
    /// otherwise SSE (streamed, or complete when buffered).
    pub(super) async fn respond(
        self: &Arc<Self>,
        call: HandlerCall,
        caller: &Caller,
        id: &RequestId,
    ) -> Response<McpBody> {
        let HandlerCall { mut fut, ctx } = call;
        let permit = match self.admission.admit(ClientKey::of(ctx.session_id(), ctx.extensions())) {
            Ok(p) => p,
            Err(full) => return self.refusal(admission::refusal(full, Some(id)), "busy", Some("MCP_MAX_IN_FLIGHT")),
        };
        let guard = self.track_inflight(caller, id, &ctx);
        let Some(outbox) = ctx.outbox() else {
            return answer_output(fut.await, caller.accepts, id);
        };
        // Event ids and the priming event are built only once the answer
        // is known to be SSE: the JSON path draws no random bytes. The
        // 2026 generation has no event ids at all.
        let sse_start = || {
            if caller.version.is_2026() {
                return Ok((EventIds::none(), None));
            }
            let mut ids = EventIds::new(random_token(6)?.into());
            let priming = (caller.version.sends_priming_event() && self.config.sse_retry.is_some())
                .then(|| priming_event(&mut ids, self.config.sse_retry));
            Ok::<_, RandomUnavailable>((ids, priming))
        };
        if self.config.response_mode == ResponseMode::Buffered {
            // Run to completion, then one body.
            let out = fut.await;
            drop(guard);
            if outbox.is_empty() {
                return answer_output(out, caller.accepts, id);
            }
            let Ok((mut ids, priming)) = sse_start() else { return random_unavailable(Some(id)) };
            return sse_response(McpBody::full(sse_complete(&mut ids, priming, outbox, &out.body)));
        }
        if self.config.sse_mode == SseMode::OnDemand {
            let first = poll_fn(|cx| {
                outbox.register(cx.waker());
                match fut.as_mut().poll(cx) {
                    Poll::Ready(b) => Poll::Ready(Some(b)),
                    Poll::Pending if !outbox.is_empty() => Poll::Ready(None),
                    Poll::Pending => Poll::Pending,
                }
            })
            .await;
            if let Some(out) = first {
                drop(guard);
                if outbox.is_empty() {
                    return answer_output(out, caller.accepts, id);
                }
                let Ok((mut ids, priming)) = sse_start() else { return random_unavailable(Some(id)) };
                return sse_response(McpBody::full(sse_complete(&mut ids, priming, outbox, &out.body)));
            }
        }
        let Ok((ids, priming)) = sse_start() else { return random_unavailable(Some(id)) };
        sse_response(McpBody::post_stream(PostStream {
            fut: Some(fut),
            ctx,
            priming,
            response: None,
            ids,
            guard: Some(Box::new((permit.streaming(), guard))),
            keep_alive: self.config.keep_alive.map(|d| (d, None)),
        }))
    }
}
