//! One stdio connection as HTTP requests to the core's `McpService`.
//!
//! The endpoint already does everything the 2025 generation needs with
//! sessions on: `initialize` opens a session, every later message is a POST
//! carrying its id, a handler that elicits answers with an SSE stream whose
//! events are the server's requests and finally the response, and the
//! client's answer is a separate POST routed to the waiting handler. So a
//! line becomes a POST, each JSON body or SSE event becomes a line, and no
//! protocol logic is written twice.

use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, HOST};
use http::{HeaderValue, Method, Request, Response};
use http_body_util::{BodyExt as _, Full};
use mcp_handler_core::{McpBody, McpService};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::sse::Events;

const SESSION_HEADER: &str = "mcp-session-id";

/// What a line is, as far as the shell must know: where its answer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `initialize`: opens the session; handled before the next line is read.
    Initialize,
    /// A request: runs concurrently, its messages written as they come.
    Request,
    /// A notification: nothing is written back, whatever happens.
    Notification,
    /// The client's answer to a server request: nothing is written back.
    Response,
    /// Anything else (bad JSON, not an object, a batch): the endpoint's
    /// refusal is the answer.
    Other,
}

/// A member that was present, whatever its value (`"id": null` included).
#[derive(Default)]
struct Present(bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| Present(true))
    }
}

/// The raw `id` member when present, `null` included (an `Option` would
/// read `null` as absent and take a request for a notification).
#[derive(Default)]
struct Id<'a>(Option<&'a RawValue>);

impl<'de: 'a, 'a> Deserialize<'de> for Id<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'a RawValue>::deserialize(d).map(|raw| Id(Some(raw)))
    }
}

#[derive(Deserialize)]
struct Shape<'a> {
    #[serde(default, borrow)]
    id: Id<'a>,
    #[serde(default, borrow)]
    method: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    result: Present,
    #[serde(default)]
    error: Present,
}

/// Classifies a line without building its values; the endpoint parses it
/// properly (and refuses it) afterwards.
pub(crate) fn classify(line: &[u8]) -> Kind {
    let Ok(shape) = serde_json::from_slice::<Shape<'_>>(line) else { return Kind::Other };
    match (shape.method.as_deref(), shape.id.0.is_some()) {
        (Some("initialize"), true) => Kind::Initialize,
        (Some(_), true) => Kind::Request,
        (Some(_), false) => Kind::Notification,
        (None, true) if shape.result.0 || shape.error.0 => Kind::Response,
        _ => Kind::Other,
    }
}

/// The connection's state: the endpoint, where lines go, the session.
pub(crate) struct Bridge {
    service: McpService,
    out: mpsc::Sender<Bytes>,
    session: Mutex<Session>,
}

#[derive(Default)]
struct Session {
    id: Option<HeaderValue>,
    /// The session's GET stream (list changes, resource updates).
    stream: Option<JoinHandle<()>>,
}

impl Bridge {
    pub(crate) fn new(service: McpService, out: mpsc::Sender<Bytes>) -> Self {
        Self { service, out, session: Mutex::new(Session::default()) }
    }

    fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends one line to the endpoint and writes what comes back.
    pub(crate) async fn handle(self: &Arc<Self>, line: Bytes, kind: Kind) {
        let session = if kind == Kind::Initialize { None } else { self.session().id.clone() };
        if session.is_none() && kind == Kind::Request {
            // The endpoint would ask for an `Mcp-Session-Id` header (or, for
            // a 2026 probe, a version header): words that mean nothing on a
            // pipe. Here the session is the connection, opened by
            // `initialize`.
            self.send(before_initialize(&line)).await;
            return;
        }
        let resp = self.service.handle(self.request(Method::POST, session, line)).await;
        if kind == Kind::Initialize
            && resp.status().is_success()
            && let Some(id) = resp.headers().get(SESSION_HEADER)
        {
            // Before the response is written, so the client's next line
            // already finds the session.
            self.open_session(id.clone());
        }
        let write = matches!(kind, Kind::Initialize | Kind::Request | Kind::Other);
        self.forward(resp, write).await;
    }

    /// Makes `id` the session of later lines, ending an earlier one (a
    /// client may initialize again), and listens on its GET stream.
    fn open_session(self: &Arc<Self>, id: HeaderValue) {
        let this = self.clone();
        let listen = id.clone();
        let stream = tokio::spawn(async move {
            let resp = this.service.handle(this.request(Method::GET, Some(listen), Bytes::new())).await;
            if resp.status().is_success() {
                this.forward(resp, true).await;
            } else {
                tracing::debug!(status = %resp.status(), "no GET stream for the session");
            }
        });
        let old = {
            let mut s = self.session();
            if let Some(task) = s.stream.replace(stream) {
                task.abort();
            }
            s.id.replace(id)
        };
        if let Some(old) = old {
            let this = self.clone();
            tokio::spawn(async move {
                drop(this.service.handle(this.request(Method::DELETE, Some(old), Bytes::new())).await);
            });
        }
    }

    /// Stops listening on the session's GET stream (at end of input).
    pub(crate) fn close(&self) {
        if let Some(task) = self.session().stream.take() {
            task.abort();
        }
    }

    fn request(&self, method: Method, session: Option<HeaderValue>, body: Bytes) -> Request<Full<Bytes>> {
        let mut req = Request::new(Full::new(body));
        *req.method_mut() = method;
        *req.uri_mut() = http::Uri::from_static("/mcp");
        let h = req.headers_mut();
        // The pipe is the trust boundary: no DNS rebinding reaches it, so
        // the shell names a host the default policy accepts.
        h.insert(HOST, HeaderValue::from_static("localhost"));
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        h.insert(ACCEPT, HeaderValue::from_static("application/json, text/event-stream"));
        if let Some(id) = session {
            h.insert(SESSION_HEADER, id);
        }
        req
    }

    /// Writes a response's messages: the JSON body, or each SSE event as
    /// it arrives (polling the body is what drives a streaming handler).
    async fn forward(&self, resp: Response<McpBody>, write: bool) {
        let status = resp.status();
        let sse = resp.headers().get(CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        let mut body = resp.into_body();
        if sse {
            let mut events = Events::default();
            while let Some(frame) = body.frame().await {
                let Ok(frame) = frame;
                if let Some(data) = frame.data_ref() {
                    for message in events.push(data) {
                        self.send(message).await;
                    }
                }
            }
            return;
        }
        let Ok(collected) = body.collect().await;
        let bytes = collected.to_bytes();
        if bytes.is_empty() {
            return;
        }
        if write {
            self.send(bytes).await;
        } else {
            // JSON-RPC answers no notification or response, even a refused one.
            tracing::warn!(%status, body = %String::from_utf8_lossy(&bytes), "a client notification or response was refused");
        }
    }

    /// Queues one message as one line.
    pub(crate) async fn send(&self, message: Bytes) {
        let message = one_line(message);
        if self.out.send(message).await.is_err() {
            tracing::debug!("stdout is closed; message dropped");
        }
    }
}

/// -32600 for a request before `initialize`, with the request's id.
fn before_initialize(line: &[u8]) -> Bytes {
    let id = serde_json::from_slice::<Shape<'_>>(line).ok().and_then(|s| s.id.0).map_or("null", RawValue::get);
    Bytes::from(format!(
        r#"{{"jsonrpc":"2.0","id":{id},"error":{{"code":-32600,"message":"Invalid Request: send initialize first; over stdio this server speaks the 2025 generation (2024-11-05 to 2025-11-25)"}}}}"#
    ))
}

/// The endpoint writes compact JSON, but a message must never span lines:
/// raw line breaks can only be whitespace between tokens in valid JSON
/// (inside strings they are escaped), so they become spaces.
fn one_line(message: Bytes) -> Bytes {
    if !message.iter().any(|&b| b == b'\n' || b == b'\r') {
        return message;
    }
    Bytes::from(message.iter().map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b }).collect::<Vec<u8>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_classified_by_shape() {
        let k = |s: &str| classify(s.as_bytes());
        assert_eq!(k(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#), Kind::Initialize);
        assert_eq!(k(r#"{"jsonrpc":"2.0","id":"a","method":"tools/list"}"#), Kind::Request);
        assert_eq!(k(r#"{"jsonrpc":"2.0","id":null,"method":"tools/list"}"#), Kind::Request);
        assert_eq!(k(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#), Kind::Notification);
        assert_eq!(k(r#"{"jsonrpc":"2.0","id":7,"result":{}}"#), Kind::Response);
        assert_eq!(k(r#"{"jsonrpc":"2.0","id":7,"error":{"code":1,"message":"x"}}"#), Kind::Response);
        assert_eq!(k("{not json"), Kind::Other);
        assert_eq!(k("[1,2]"), Kind::Other);
        assert_eq!(k("42"), Kind::Other);
    }

    #[test]
    fn messages_never_span_lines() {
        assert_eq!(one_line(Bytes::from_static(b"{\"a\":\n1}\r")), Bytes::from_static(b"{\"a\": 1} "));
        assert_eq!(one_line(Bytes::from_static(b"{\"a\":\"x\\ny\"}")), Bytes::from_static(b"{\"a\":\"x\\ny\"}"));
    }
}
