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
use http::{Method, Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::body::{EventIds, GetStream, McpBody, PostStream, priming_event, sse_complete};
use super::config::{EndpointConfig, ResponseMode, SseMode};
use super::guard::{self, Accepts};
use crate::context::{ClientCaps, LogPolicy};
use crate::dispatch::{self, CallEnv, Dispatched, HandlerCall, Output};
use crate::error::McpError;
use crate::hub::{Hub, Notifier, STREAM_QUEUE};
use crate::jsonrpc::{self, Incoming, RequestId};
use crate::model::LogLevel;
use crate::outbox::{Outbox, PendingRequests, lock};
use crate::router::Router;
use crate::session::SessionData;
use crate::stateless::RequestStateKey;
use crate::util::random_token;
use crate::version::ProtocolVersion;

// Names parsed once: a lookup by `&str` parses the name on every request.
const SESSION_HEADER: header::HeaderName = header::HeaderName::from_static("mcp-session-id");
pub(super) const VERSION_HEADER: header::HeaderName = header::HeaderName::from_static("mcp-protocol-version");
const LAST_EVENT_ID: header::HeaderName = header::HeaderName::from_static("last-event-id");

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The MCP endpoint. Clone it freely: clones share one router and state.
#[derive(Clone)]
pub struct McpService {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for McpService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpService").field("router", &self.shared.router).field("config", &self.shared.config).finish()
    }
}

pub(super) struct Shared {
    pub(super) router: Router,
    pub(super) config: EndpointConfig,
    pending: Arc<PendingRequests>,
    /// In-flight requests of sessions, for `notifications/cancelled`.
    inflight: Mutex<HashMap<(Arc<str>, RequestId), CancellationToken>>,
    /// Listening clients of both generations.
    pub(super) hub: Arc<Hub>,
    /// Seals 2026 request state (configured, or generated at start).
    pub(super) state_key: RequestStateKey,
    pub(super) shutdown: CancellationToken,
}

impl McpService {
    /// Serves `router` with `config`.
    pub fn new(router: Router, config: EndpointConfig) -> Self {
        let state_key = config.request_state_key.clone().unwrap_or_else(RequestStateKey::generate);
        Self {
            shared: Arc::new(Shared {
                router,
                hub: Arc::new(Hub::new(config.sessions.clone())),
                config,
                pending: Arc::new(PendingRequests::new()),
                inflight: Mutex::new(HashMap::new()),
                state_key,
                shutdown: CancellationToken::new(),
            }),
        }
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
        self.shared.clone().handle(req)
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
        Box::pin(async move { Ok(shared.handle(req).await) })
    }
}

/// A transport-level refusal: status plus a JSON-RPC error body.
pub(super) fn refuse(status: StatusCode, id: Option<&RequestId>, error: &McpError) -> Response<McpBody> {
    let mut resp = Response::new(McpBody::full(jsonrpc::error_bytes(id, error)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

fn bad_request(msg: &'static str) -> Response<McpBody> {
    refuse(StatusCode::BAD_REQUEST, None, &McpError::invalid_request(msg))
}

pub(super) fn json_response(bytes: Bytes) -> Response<McpBody> {
    let mut resp = Response::new(McpBody::full(bytes));
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// A finished answer in the form the client accepts: JSON, or a one-event
/// SSE body for a client that only takes `text/event-stream`.
pub(super) fn answer(bytes: Bytes, accepts: Accepts) -> Response<McpBody> {
    if accepts.json {
        return json_response(bytes);
    }
    let mut ids = EventIds::new(random_token(6).into());
    sse_response(McpBody::full(sse_complete(&mut ids, None, &Outbox::new(false), &bytes)))
}

/// [`answer`] with the handler's status (400 for a missing client
/// capability in the 2026 generation, 200 otherwise).
fn answer_output(out: Output, accepts: Accepts) -> Response<McpBody> {
    let mut resp = answer(out.body, accepts);
    *resp.status_mut() = out.status;
    resp
}

pub(super) fn accepted() -> Response<McpBody> {
    let mut resp = Response::new(McpBody::empty());
    *resp.status_mut() = StatusCode::ACCEPTED;
    resp
}

pub(super) fn sse_response(body: McpBody) -> Response<McpBody> {
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    resp
}

/// What the endpoint knows about the caller once headers and session are
/// checked.
pub(super) struct Caller {
    pub(super) version: ProtocolVersion,
    pub(super) session: Option<(Arc<str>, SessionData)>,
    pub(super) accepts: Accepts,
}

/// The generation of a request, decided once from the version header (and,
/// without one, from the body's `_meta`).
enum Generation {
    /// `initialize` generation; `None` when no header was sent.
    Legacy(Option<ProtocolVersion>),
    /// 2026-07-28.
    Stateless,
}

impl Shared {
    async fn handle<B>(self: Arc<Self>, req: Request<B>) -> Response<McpBody>
    where
        B: http_body::Body + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let (parts, body) = req.into_parts();
        if let Err(why) = guard::check_host_and_origin(&parts, &self.config) {
            return refuse(StatusCode::FORBIDDEN, None, &McpError::invalid_request(why));
        }
        // After the Host/Origin check (a rebound page is refused whatever it
        // presents), before anything reads the body or touches a session.
        if let Some(auth) = &self.config.auth
            && let Some(resp) = auth.check(&parts.headers)
        {
            return resp;
        }
        match parts.method {
            Method::POST => self.post(parts, body).await,
            Method::GET => self.get(parts).await,
            Method::DELETE => self.delete(parts).await,
            _ => self.method_not_allowed(),
        }
    }

    /// Whether responses can stay open (false when buffered), which change
    /// notifications need.
    pub(super) fn streams(&self) -> bool {
        self.config.response_mode == ResponseMode::Streaming
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

    /// The version header: `Ok(None)` when absent, `Err(text)` when it names
    /// a revision this server does not serve.
    fn header_version(parts: &http::request::Parts) -> Result<Option<ProtocolVersion>, String> {
        let Some(v) = parts.headers.get(VERSION_HEADER) else { return Ok(None) };
        let text = v.to_str().unwrap_or("<non-ASCII>").trim();
        ProtocolVersion::parse(text).map(Some).ok_or_else(|| text.to_owned())
    }

    /// `-32022` (400) for a version header this server does not serve.
    fn unsupported(id: Option<&RequestId>, requested: &str) -> Response<McpBody> {
        refuse(StatusCode::BAD_REQUEST, id, &McpError::unsupported_protocol_version(requested))
    }

    /// GET and DELETE are 405 for 2026 clients (no streams, no sessions).
    fn is_stateless_header(parts: &http::request::Parts) -> bool {
        parts
            .headers
            .get(VERSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| ProtocolVersion::parse(v.trim()))
            .is_some_and(ProtocolVersion::is_stateless)
    }

    /// Decides the generation of a POSTed message, once, before anything
    /// else looks at it.
    fn generation(header: Option<ProtocolVersion>, msg: &Incoming<'_>) -> Result<Generation, Response<McpBody>> {
        match header {
            Some(v) if v.is_stateless() => Ok(Generation::Stateless),
            Some(v) => Ok(Generation::Legacy(Some(v))),
            None => {
                // A 2026 client must send the header; tell it so rather than
                // treating it as a 2025-03-26 client.
                let params = match msg {
                    Incoming::Request { params, .. } | Incoming::Notification { params, .. } => *params,
                    Incoming::Response { .. } => None,
                };
                if crate::stateless::meta::protocol_version(params).is_some() {
                    let id = match msg {
                        Incoming::Request { id, .. } => Some(id),
                        _ => None,
                    };
                    let err = McpError::header_mismatch("Header mismatch: the MCP-Protocol-Version header is required");
                    return Err(refuse(StatusCode::BAD_REQUEST, id, &err));
                }
                Ok(Generation::Legacy(None))
            }
        }
    }

    /// Resolves the session of a non-initialize message (400 without the
    /// header, 404 when unknown, 503 when the store fails).
    async fn session(
        &self,
        parts: &http::request::Parts,
        id: Option<&RequestId>,
    ) -> Result<Option<(Arc<str>, SessionData)>, Response<McpBody>> {
        let Some(store) = &self.config.sessions else { return Ok(None) };
        let Some(sid) = parts.headers.get(SESSION_HEADER).and_then(|v| v.to_str().ok()) else {
            let err = McpError::invalid_request("Bad Request: Mcp-Session-Id header is required");
            return Err(refuse(StatusCode::BAD_REQUEST, id, &err));
        };
        match store.get(sid).await {
            Ok(Some(data)) => Ok(Some((sid.into(), data))),
            Ok(None) => Err(refuse(StatusCode::NOT_FOUND, id, &McpError::invalid_request("Session not found"))),
            Err(e) => {
                tracing::error!(error = %e, "session store failed");
                Err(refuse(StatusCode::SERVICE_UNAVAILABLE, id, &McpError::internal("Session store unavailable")))
            }
        }
    }

    async fn post<B>(self: Arc<Self>, parts: http::request::Parts, body: B) -> Response<McpBody>
    where
        B: http_body::Body + Send + 'static,
        B::Error: Into<BoxError>,
    {
        if !guard::is_json_content(&parts) {
            let err = McpError::invalid_request("Unsupported Media Type: Content-Type must be application/json");
            return refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, None, &err);
        }
        let accepts = guard::accepts(&parts);
        if !accepts.json && !accepts.sse {
            let err =
                McpError::invalid_request("Not Acceptable: Accept must allow application/json or text/event-stream");
            return refuse(StatusCode::NOT_ACCEPTABLE, None, &err);
        }
        // An unsupported version is refused once the body is parsed, so the
        // error can carry the request id.
        let header_version = Self::header_version(&parts);
        let limit = self.config.max_body_bytes;
        let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return too_large(limit);
        }
        let bytes = match super::read::read_body(body, limit).await {
            Ok(b) => b,
            Err(super::read::ReadError::TooLarge) => return too_large(limit),
            Err(super::read::ReadError::Failed(e)) => {
                tracing::debug!(error = %e, "request body could not be read");
                return bad_request("Bad Request: the request body could not be read");
            }
        };
        match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'[') if header_version.as_ref().is_ok_and(|v| v.is_some_and(ProtocolVersion::is_stateless)) => {
                let err = McpError::invalid_request(
                    "Invalid Request: JSON-RPC batches are not supported in protocol version 2026-07-28",
                );
                refuse(StatusCode::BAD_REQUEST, None, &err)
            }
            Some(b'[') => match header_version {
                Ok(v) => self.batch(parts, &bytes, v, accepts).await,
                Err(text) => Self::unsupported(None, &text),
            },
            Some(b'{') => self.single(parts, &bytes, header_version, accepts).await,
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
    ) -> Response<McpBody> {
        let msg = match Incoming::parse(bytes) {
            Ok(m) => m,
            Err(bad) => return refuse(StatusCode::BAD_REQUEST, bad.id.as_ref(), &bad.error),
        };
        let header_version = match header_version {
            Ok(v) => v,
            Err(text) => {
                let id = match &msg {
                    Incoming::Request { id, .. } => Some(id),
                    _ => None,
                };
                return Self::unsupported(id, &text);
            }
        };
        let header_version = match Self::generation(header_version, &msg) {
            Ok(Generation::Stateless) => return self.stateless(parts, msg, accepts).await,
            Ok(Generation::Legacy(v)) => v,
            Err(resp) => return resp,
        };
        if let Incoming::Request { id, method, params } = &msg
            && method == "initialize"
        {
            return self.initialize(id, *params).await;
        }
        let request_id = match &msg {
            Incoming::Request { id, .. } => Some(id.clone()),
            _ => None,
        };
        let session = match self.session(&parts, request_id.as_ref()).await {
            Ok(s) => s,
            Err(resp) => return resp,
        };
        let version = session
            .as_ref()
            .map(|(_, d)| d.protocol_version)
            .or(header_version)
            .unwrap_or(ProtocolVersion::HTTP_DEFAULT);
        let caller = Caller { version, session, accepts };
        match msg {
            Incoming::Notification { method, params } => {
                self.notification(&method, params, &caller);
                accepted()
            }
            Incoming::Response { id, outcome } => {
                self.client_response(&id, outcome, &caller);
                accepted()
            }
            Incoming::Request { id, method, params } => {
                match self.request(&id, &method, params, &caller, Some(parts)).await {
                    Dispatched::Done(bytes) => answer(bytes, caller.accepts),
                    Dispatched::Call(call) => self.respond(call, &caller, &id).await,
                }
            }
        }
    }

    async fn initialize(&self, id: &RequestId, params: Option<&RawValue>) -> Response<McpBody> {
        // Subscriptions are acknowledged with or without sessions; updates
        // reach a 2025 client on its session's GET stream.
        let (version, result, caps, client_info) = match dispatch::initialize(&self.router, params, self.streams()) {
            Ok(v) => v,
            Err(e) => return json_response(jsonrpc::error_bytes(Some(id), &e)),
        };
        let mut resp = json_response(jsonrpc::result_bytes(id, &result));
        if let Some(store) = &self.config.sessions {
            let sid = random_token(16);
            if let Err(e) = store.insert(&sid, SessionData::new(version, caps, client_info)).await {
                tracing::error!(error = %e, "session store failed");
                return refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    Some(id),
                    &McpError::internal("Session store unavailable"),
                );
            }
            if let Ok(v) = HeaderValue::from_str(&sid) {
                resp.headers_mut().insert(SESSION_HEADER, v);
            }
        }
        resp
    }

    /// Requests other than `initialize`; session-touching methods here, the
    /// rest in `dispatch`.
    async fn request(
        &self,
        id: &RequestId,
        method: &str,
        params: Option<&RawValue>,
        caller: &Caller,
        http: Option<http::request::Parts>,
    ) -> Dispatched {
        let done = |r: Result<(), McpError>| {
            Dispatched::Done(match r {
                Ok(()) => jsonrpc::raw_result_bytes(id, b"{}"),
                Err(e) => jsonrpc::error_bytes(Some(id), &e),
            })
        };
        match method {
            "logging/setLevel" => {
                #[derive(Deserialize)]
                struct P {
                    level: LogLevel,
                }
                let r = match dispatch::session_params::<P>(params) {
                    Ok(p) => self.update_session(caller, |d| d.log_level = Some(p.level)).await,
                    Err(e) => Err(e),
                };
                done(r)
            }
            "resources/subscribe" | "resources/unsubscribe" => {
                #[derive(Deserialize)]
                struct P {
                    uri: String,
                }
                let p = match dispatch::session_params::<P>(params) {
                    Ok(p) => p,
                    Err(e) => return done(Err(e)),
                };
                if method == "resources/subscribe" && !self.router.knows_resource(&p.uri) {
                    return done(Err(McpError::resource_not_found(&p.uri)));
                }
                let subscribe = method == "resources/subscribe";
                done(
                    self.update_session(caller, |d| {
                        if subscribe {
                            d.subscriptions.insert(p.uri.clone());
                        } else {
                            d.subscriptions.remove(&p.uri);
                        }
                    })
                    .await,
                )
            }
            _ => {
                let can_stream = self.config.response_mode == ResponseMode::Streaming
                    && caller.accepts.sse
                    && self.config.back_channel;
                let log = match caller.session.as_ref().and_then(|(_, d)| d.log_level) {
                    Some(level) => LogPolicy::AtLeast(level),
                    None => LogPolicy::All,
                };
                let env = CallEnv {
                    protocol_version: caller.version,
                    session_id: caller.session.as_ref().map(|(s, _)| s.clone()),
                    log,
                    client_capabilities: caller
                        .session
                        .as_ref()
                        .map_or(ClientCaps::Unknown, |(_, d)| ClientCaps::Session(d.client_capabilities.clone())),
                    http,
                    outbox: caller.accepts.sse.then(|| Outbox::new(can_stream)),
                    pending: Some(self.pending.clone()),
                    client_request_timeout: self.config.client_request_timeout,
                    notifier: Some(Notifier(self.hub.clone())),
                    stateless: None,
                    meta: None,
                    state: self.router.inner.state.clone(),
                };
                dispatch::dispatch(&self.router, id.clone(), method, params, None, env)
            }
        }
    }

    async fn update_session(&self, caller: &Caller, f: impl FnOnce(&mut SessionData)) -> Result<(), McpError> {
        let (Some(store), Some((sid, data))) = (&self.config.sessions, &caller.session) else {
            // Stateless: nothing to remember; the request still succeeds.
            return Ok(());
        };
        let mut data = data.clone();
        f(&mut data);
        match store.update(sid, data).await {
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::error!(error = %e, "session store failed");
                Err(McpError::internal("Session store unavailable"))
            }
        }
    }

    fn notification(&self, method: &str, params: Option<&RawValue>, caller: &Caller) {
        match method {
            "notifications/cancelled" => {
                #[derive(Deserialize)]
                #[serde(rename_all = "camelCase")]
                struct P {
                    request_id: RequestId,
                }
                let Ok(p) = dispatch::session_params::<P>(params) else { return };
                // Without a session, ids of different clients collide, so a
                // cancellation could hit a stranger's request: only sessions
                // cancel by id (stateless clients cancel by disconnecting).
                if let Some((sid, _)) = &caller.session
                    && let Some(token) = lock(&self.inflight).get(&(sid.clone(), p.request_id))
                {
                    token.cancel();
                }
            }
            "notifications/initialized" | "notifications/roots/list_changed" => {}
            other => tracing::debug!(method = other, "notification ignored"),
        }
    }

    fn client_response(&self, id: &RequestId, outcome: Result<&RawValue, &RawValue>, caller: &Caller) {
        let answer = match outcome {
            Ok(r) => serde_json::from_str::<Value>(r.get()).map_err(|e| McpError::internal(e.to_string())),
            Err(e) => Err(serde_json::from_str::<McpError>(e.get())
                .unwrap_or_else(|_| McpError::internal("client sent a malformed error object"))),
        };
        let session = caller.session.as_ref().map(|(s, _)| &**s);
        if !self.pending.resolve(id, session, answer) {
            tracing::debug!(%id, "response to an unknown or finished server request ignored");
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
        let guard = self.track_inflight(caller, id, &ctx);
        let Some(outbox) = ctx.outbox() else {
            return answer_output(fut.await, caller.accepts);
        };
        // Event ids and the priming event are built only once the answer
        // is known to be SSE: the JSON path draws no random bytes. The
        // 2026 generation has no event ids at all.
        let sse_start = || {
            if caller.version.is_stateless() {
                return (EventIds::none(), None);
            }
            let mut ids = EventIds::new(random_token(6).into());
            let priming = (caller.version.sends_priming_event() && self.config.sse_retry.is_some())
                .then(|| priming_event(&mut ids, self.config.sse_retry));
            (ids, priming)
        };
        if self.config.response_mode == ResponseMode::Buffered {
            // Run to completion, then one body.
            let out = fut.await;
            drop(guard);
            if outbox.is_empty() {
                return answer_output(out, caller.accepts);
            }
            let (mut ids, priming) = sse_start();
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
                    return answer_output(out, caller.accepts);
                }
                let (mut ids, priming) = sse_start();
                return sse_response(McpBody::full(sse_complete(&mut ids, priming, outbox, &out.body)));
            }
        }
        let (ids, priming) = sse_start();
        sse_response(McpBody::post_stream(PostStream {
            fut: Some(fut),
            ctx,
            priming,
            response: None,
            ids,
            guard: guard.map(|g| Box::new(g) as Box<dyn Send + Sync>),
        }))
    }

    fn track_inflight(
        self: &Arc<Self>,
        caller: &Caller,
        id: &RequestId,
        ctx: &crate::RequestContext,
    ) -> Option<InflightGuard> {
        let (sid, _) = caller.session.as_ref()?;
        let key = (sid.clone(), id.clone());
        lock(&self.inflight).insert(key.clone(), ctx.cancel_token().clone());
        Some(InflightGuard { shared: self.clone(), key })
    }

    async fn batch(
        self: Arc<Self>,
        parts: http::request::Parts,
        bytes: &Bytes,
        header_version: Option<ProtocolVersion>,
        accepts: Accepts,
    ) -> Response<McpBody> {
        let items: Vec<&RawValue> = match serde_json::from_slice(bytes) {
            Ok(v) => v,
            Err(e) => return refuse(StatusCode::BAD_REQUEST, None, &jsonrpc::classify_json_error(&e)),
        };
        let session = match self.session(&parts, None).await {
            Ok(s) => s,
            Err(resp) => return resp,
        };
        let version = session
            .as_ref()
            .map(|(_, d)| d.protocol_version)
            .or(header_version)
            .unwrap_or(ProtocolVersion::HTTP_DEFAULT);
        if !version.allows_batches() {
            let err = McpError::invalid_request(format!(
                "Invalid Request: JSON-RPC batches are not supported in protocol version {version}"
            ));
            return refuse(StatusCode::BAD_REQUEST, None, &err);
        }
        if items.is_empty() {
            return bad_request("Invalid Request: empty batch");
        }
        // Batch members are answered together in one JSON array, so none of
        // them can stream: notifications they emit are dropped.
        let caller = Caller { version, session, accepts: Accepts { json: accepts.json, sse: false } };
        let mut out: Vec<Bytes> = Vec::new();
        for raw in items {
            match Incoming::parse(raw.get().as_bytes()) {
                Err(bad) => out.push(jsonrpc::error_bytes(bad.id.as_ref(), &bad.error)),
                Ok(Incoming::Notification { method, params }) => self.notification(&method, params, &caller),
                Ok(Incoming::Response { id, outcome }) => self.client_response(&id, outcome, &caller),
                Ok(Incoming::Request { id, method, .. }) if method == "initialize" => {
                    let err = McpError::invalid_request("Invalid Request: initialize must not be part of a batch");
                    out.push(jsonrpc::error_bytes(Some(&id), &err));
                }
                Ok(Incoming::Request { id, method, params }) => {
                    match self.request(&id, &method, params, &caller, None).await {
                        Dispatched::Done(b) => out.push(b),
                        Dispatched::Call(call) => {
                            let _guard = self.track_inflight(&caller, &id, &call.ctx);
                            out.push(call.fut.await.body);
                        }
                    }
                }
            }
        }
        if out.is_empty() {
            return accepted();
        }
        let mut body = Vec::with_capacity(out.iter().map(Bytes::len).sum::<usize>() + out.len() + 2);
        body.push(b'[');
        for (i, b) in out.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(b);
        }
        body.push(b']');
        json_response(Bytes::from(body))
    }

    async fn get(self: &Arc<Self>, parts: http::request::Parts) -> Response<McpBody> {
        if self.config.sessions.is_none() || Self::is_stateless_header(&parts) {
            return self.method_not_allowed();
        }
        if !guard::accepts(&parts).sse {
            let err = McpError::invalid_request("Not Acceptable: Accept must allow text/event-stream");
            return refuse(StatusCode::NOT_ACCEPTABLE, None, &err);
        }
        if let Err(text) = Self::header_version(&parts) {
            return Self::unsupported(None, &text);
        }
        let (sid, data) = match self.session(&parts, None).await {
            Ok(Some(s)) => s,
            Ok(None) => return self.method_not_allowed(),
            Err(resp) => return resp,
        };
        if self.shutdown.is_cancelled() {
            let err = McpError::invalid_request("Service Unavailable: the server is shutting down");
            return refuse(StatusCode::SERVICE_UNAVAILABLE, None, &err);
        }
        if parts.headers.contains_key(LAST_EVENT_ID) {
            // Events are not stored, so there is nothing to replay; the
            // client gets a fresh stream rather than an error.
            tracing::debug!(session = %sid, "Last-Event-ID given; no event store, opening a fresh stream");
        }
        let (tx, rx) = mpsc::channel(STREAM_QUEUE);
        {
            let mut streams = lock(&self.hub.session_streams);
            if streams.get(&sid).is_some_and(|s| !s.is_closed()) {
                let err = McpError::invalid_request("Conflict: this session already has an open GET stream");
                return refuse(StatusCode::CONFLICT, None, &err);
            }
            streams.insert(sid.clone(), tx);
        }
        let mut ids = EventIds::new(random_token(6).into());
        let priming = (data.protocol_version.sends_priming_event() && self.config.sse_retry.is_some())
            .then(|| priming_event(&mut ids, self.config.sse_retry));
        let keep_alive = self.config.keep_alive.map(|d| (d, Box::pin(tokio::time::sleep(d))));
        sse_response(McpBody::get_stream(GetStream {
            rx,
            first: priming,
            closing: None,
            keep_alive,
            shutdown: Box::pin(self.shutdown.clone().cancelled_owned()),
            ids,
            _guard: Box::new(StreamGuard { shared: self.clone(), sid }),
        }))
    }

    async fn delete(&self, parts: http::request::Parts) -> Response<McpBody> {
        let Some(store) = &self.config.sessions else { return self.method_not_allowed() };
        if Self::is_stateless_header(&parts) {
            return self.method_not_allowed();
        }
        let (sid, _) = match self.session(&parts, None).await {
            Ok(Some(s)) => s,
            Ok(None) => return self.method_not_allowed(),
            Err(resp) => return resp,
        };
        if let Err(e) = store.remove(&sid).await {
            tracing::error!(error = %e, "session store failed");
            return refuse(StatusCode::SERVICE_UNAVAILABLE, None, &McpError::internal("Session store unavailable"));
        }
        lock(&self.hub.session_streams).remove(&sid);
        for ((s, _), token) in lock(&self.inflight).iter() {
            if *s == sid {
                token.cancel();
            }
        }
        Response::new(McpBody::empty())
    }
}

fn too_large(limit: usize) -> Response<McpBody> {
    let err = McpError::invalid_request(format!("Payload Too Large: the body exceeds {limit} bytes"));
    refuse(StatusCode::PAYLOAD_TOO_LARGE, None, &err)
}

/// Removes an in-flight entry when its request ends.
struct InflightGuard {
    shared: Arc<Shared>,
    key: (Arc<str>, RequestId),
}

impl Drop for InflightGuard {
    fn drop(&mut self) {
        lock(&self.shared.inflight).remove(&self.key);
    }
}

/// Forgets a session's GET stream once its body is gone.
struct StreamGuard {
    shared: Arc<Shared>,
    sid: Arc<str>,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let mut streams = lock(&self.shared.hub.session_streams);
        if streams.get(&self.sid).is_some_and(mpsc::Sender::is_closed) {
            streams.remove(&self.sid);
        }
    }
}
