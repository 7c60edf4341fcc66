//! The 2025 generation's session side of the endpoint: resolving the
//! session of a message, `initialize`, session updates (`logging/setLevel`,
//! subscriptions), client notifications and responses, in-flight tracking
//! for cancellation, and the session's GET stream and DELETE.

use std::sync::Arc;

use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use tokio::sync::mpsc;

use super::body::{EventIds, GetStream, McpBody, priming_event};
use super::guard::{self, Accepts};
use crate::dispatch::{self};
use crate::error::McpError;
use crate::hub::STREAM_QUEUE;
use crate::jsonrpc::Params;
use crate::jsonrpc::{self, RequestId};
use crate::outbox::lock;
use crate::session::SessionData;
use crate::util::random_token;
use crate::version::ProtocolVersion;

use super::negotiate;
use super::responses::{json_response, random_unavailable, refuse, sse_response, store_error, store_unavailable};
use super::service::{Caller, Shared};

// Names parsed once: a lookup by `&str` parses the name on every request.
const SESSION_HEADER: header::HeaderName = header::HeaderName::from_static("mcp-session-id");
const LAST_EVENT_ID: header::HeaderName = header::HeaderName::from_static("last-event-id");

impl Shared {
    /// Resolves the session of a non-initialize message (400 without the
    /// header, 404 when unknown, 503 when the store fails).
    pub(super) async fn session(
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
            Err(e) => Err(store_unavailable(id, &e)),
        }
    }

    /// Who sends a 2025 message: its session (see [`Self::session`]) and
    /// the revision it speaks, the session's if it has one, else the
    /// header's, else the HTTP default.
    pub(super) async fn caller(
        &self,
        parts: &http::request::Parts,
        id: Option<&RequestId>,
        header_version: Option<ProtocolVersion>,
        accepts: Accepts,
    ) -> Result<Caller, Response<McpBody>> {
        let session = self.session(parts, id).await?;
        let version = session
            .as_ref()
            .map(|(_, d)| d.protocol_version)
            .or(header_version)
            .unwrap_or(ProtocolVersion::HTTP_DEFAULT);
        Ok(Caller { version, session, accepts })
    }

    pub(super) async fn initialize(&self, id: &RequestId, params: Option<&Params<'_>>) -> Response<McpBody> {
        // Updates reach a 2025 client only on its session's GET stream:
        // `push_2025` decides what the capabilities promise.
        let (version, result, caps, client_info) = match dispatch::initialize(&self.router, params, self.push_2025()) {
            Ok(v) => v,
            Err(e) => return json_response(jsonrpc::error_bytes(Some(id), &e)),
        };
        let mut resp = json_response(jsonrpc::result_bytes(id, &result));
        if let Some(store) = &self.config.sessions {
            let Ok(sid) = random_token(16) else { return random_unavailable(Some(id)) };
            if let Err(e) = store.insert(&sid, SessionData::new(version, caps, client_info)).await {
                return store_unavailable(Some(id), &e);
            }
            if let Ok(v) = HeaderValue::from_str(&sid) {
                resp.headers_mut().insert(SESSION_HEADER, v);
            }
        }
        resp
    }

    pub(super) async fn update_session(
        &self,
        caller: &Caller,
        f: impl FnOnce(&mut SessionData),
    ) -> Result<(), McpError> {
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
                Err(store_error())
            }
        }
    }

    pub(super) fn notification(&self, method: &str, params: Option<&Params<'_>>, caller: &Caller) {
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
                // cancel by id (2026 clients cancel by disconnecting).
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

    pub(super) fn client_response(&self, id: &RequestId, outcome: Result<&RawValue, &RawValue>, caller: &Caller) {
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

    pub(super) fn track_inflight(
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

    pub(super) async fn get(self: &Arc<Self>, parts: http::request::Parts) -> Response<McpBody> {
        let head = guard::Head::scan(&parts.headers);
        let version = head.version();
        if self.config.sessions.is_none() || negotiate::names_2026(&version) {
            return self.method_not_allowed();
        }
        if !guard::accepts(&head).sse {
            let err = McpError::invalid_request("Not Acceptable: Accept must allow text/event-stream");
            return refuse(StatusCode::NOT_ACCEPTABLE, None, &err);
        }
        if let Err(text) = version {
            return negotiate::unsupported(None, &text);
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
        let Ok(prefix) = random_token(6) else { return random_unavailable(None) };
        let (tx, rx) = mpsc::channel(STREAM_QUEUE);
        {
            let mut streams = lock(&self.hub.session_streams);
            if streams.get(&sid).is_some_and(|s| !s.is_closed()) {
                let err = McpError::invalid_request("Conflict: this session already has an open GET stream");
                return refuse(StatusCode::CONFLICT, None, &err);
            }
            streams.insert(sid.clone(), tx);
        }
        let mut ids = EventIds::new(prefix.into());
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

    pub(super) async fn delete(&self, parts: http::request::Parts) -> Response<McpBody> {
        let Some(store) = &self.config.sessions else { return self.method_not_allowed() };
        if negotiate::is_2026_header(&parts) {
            return self.method_not_allowed();
        }
        let (sid, _) = match self.session(&parts, None).await {
            Ok(Some(s)) => s,
            Ok(None) => return self.method_not_allowed(),
            Err(resp) => return resp,
        };
        if let Err(e) = store.remove(&sid).await {
            return store_unavailable(None, &e);
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

/// Removes an in-flight entry when its request ends.
pub(super) struct InflightGuard {
    shared: Arc<Shared>,
    key: (Arc<str>, RequestId),
}

impl Drop for InflightGuard {
    fn drop(&mut self) {
        lock(&self.shared.inflight).remove(&self.key);
    }
}

/// Forgets a session's GET stream once its body is gone.
pub(super) struct StreamGuard {
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
