//! What a handler knows about the request it serves, and how it talks back.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::env::{ClientCaps, LogPolicy, RequestEnv, Served};
use crate::error::McpError;
use crate::hub::Notifier;
use crate::jsonrpc::{self, RequestId};
use crate::model::{
    CreateMessageRequest, CreateMessageResult, ElicitRequest, ElicitResult, ListRootsResult, LogLevel, Meta,
};
use crate::outbox::Outbox;
use crate::v2026::mrtr::{Mrtr, principal};
use crate::version::ProtocolVersion;

/// Why a server-to-client request did not produce an answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientRequestError {
    /// The transport cannot carry a request to the client here (a JSON-only
    /// response, a buffered Lambda response, or a client that does not
    /// accept `text/event-stream`).
    #[error("the client cannot be asked: this response has no back channel (it needs an SSE response stream)")]
    NoBackChannel,
    /// The client said in `initialize` that it lacks this capability.
    #[error("the client does not support {0}")]
    NotSupported(&'static str),
    /// No answer within the configured time.
    #[error("the client did not answer within {0:?}")]
    Timeout(Duration),
    /// The request being served was cancelled.
    #[error("the request was cancelled")]
    Cancelled,
    /// The client answered with an error.
    #[error("the client answered with an error: {0}")]
    Rejected(McpError),
    /// The client's answer did not have the expected shape.
    #[error("the client's answer was malformed: {0}")]
    InvalidResponse(String),
}

/// Sent with its text: every message is this crate's own, or the client's
/// (its error, or what was wrong with its answer), never server internals.
impl From<ClientRequestError> for McpError {
    fn from(err: ClientRequestError) -> Self {
        McpError::internal(err.to_string())
    }
}

/// A request's `_meta` (an object), kept as JSON text and parsed on first
/// use: building the map costs an allocation per member, and most handlers
/// never read it.
pub(crate) struct MetaCell {
    text: MetaText,
    parsed: std::sync::OnceLock<Option<Meta>>,
}

/// Where a request's `_meta` is, as JSON text.
enum MetaText {
    /// The request has none.
    None,
    /// `_meta` itself.
    Object(bytes::Bytes),
    /// The request's `params`, `_meta` one of its members (2026: the
    /// endpoint read `_meta` in its pass over `params`).
    InParams(bytes::Bytes),
}

impl MetaCell {
    fn with(text: MetaText) -> Self {
        Self { text, parsed: std::sync::OnceLock::new() }
    }

    /// `_meta` as its own JSON text.
    pub(crate) fn object(raw: bytes::Bytes) -> Self {
        Self::with(MetaText::Object(raw))
    }

    /// `_meta` inside the JSON text of `params`.
    pub(crate) fn in_params(params: bytes::Bytes) -> Self {
        Self::with(MetaText::InParams(params))
    }

    /// The JSON text of the request's `params` where `_meta` is read from
    /// them (2026), else nothing.
    pub(crate) fn params_text(&self) -> &[u8] {
        match &self.text {
            MetaText::InParams(raw) => raw,
            MetaText::None | MetaText::Object(_) => &[],
        }
    }

    /// A request without `_meta`.
    pub(crate) fn none() -> Self {
        Self::with(MetaText::None)
    }

    pub(crate) fn get(&self) -> Option<&Meta> {
        #[derive(serde::Deserialize)]
        struct Params {
            #[serde(rename = "_meta")]
            meta: Option<Meta>,
        }
        let parse = || match &self.text {
            MetaText::None => None,
            MetaText::Object(raw) => serde_json::from_slice(raw).ok(),
            MetaText::InParams(raw) => serde_json::from_slice::<Params>(raw).ok().and_then(|p| p.meta),
        };
        self.parsed.get_or_init(parse).as_ref()
    }
}

/// The per-request context handed to every handler. Cheap to clone. It
/// holds the endpoint that served the request: a clone kept past the
/// request (a spawned task, a cache) keeps the endpoint's router, state
/// and limits alive with it.
#[derive(Clone)]
pub struct RequestContext {
    inner: Arc<ContextInner>,
}

impl std::fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestContext")
            .field("request_id", &self.inner.id)
            .field("protocol_version", &self.inner.env.protocol_version)
            .finish_non_exhaustive()
    }
}

pub(crate) struct ContextInner {
    pub(crate) id: RequestId,
    pub(crate) meta: MetaCell,
    pub(crate) env: RequestEnv,
    /// Made when first needed (a session tracking the request, a handler
    /// waiting on it): only sessions cancel by id, so most requests never
    /// need one, and a token costs locks to make, clone, poll and drop.
    pub(crate) cancel: std::sync::OnceLock<CancellationToken>,
    /// Present for 2026 requests of the methods that may ask for input.
    pub(crate) mrtr: Option<Mrtr>,
}

impl RequestContext {
    pub(crate) fn new(id: RequestId, env: RequestEnv, meta: MetaCell, mrtr: Option<Mrtr>) -> Self {
        let cancel = std::sync::OnceLock::new();
        Self { inner: Arc::new(ContextInner { id, meta, env, cancel, mrtr }) }
    }

    /// A context for calling handlers outside any transport (unit tests of
    /// your tools): no back channel, notifications dropped.
    pub fn detached(id: RequestId) -> Self {
        let env = RequestEnv::new(ProtocolVersion::LATEST_2025, Served::detached());
        Self::new(id, env, MetaCell::none(), None)
    }

    /// The JSON-RPC id of the request.
    pub fn request_id(&self) -> &RequestId {
        &self.inner.id
    }

    /// The request's `params._meta`, passed through untouched.
    pub fn meta(&self) -> Option<&Meta> {
        self.inner.meta.get()
    }

    /// The client's progress token, if it asked for progress.
    pub fn progress_token(&self) -> Option<&Value> {
        self.inner.meta.get().and_then(|m| m.get("progressToken"))
    }

    /// The protocol revision of this request.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.inner.env.protocol_version
    }

    /// The session, when the endpoint runs with sessions.
    pub fn session_id(&self) -> Option<&str> {
        self.inner.env.session_id.as_deref()
    }

    /// The client's declared capabilities, when known: always for 2026
    /// requests (they carry them), for 2025 clients when sessions are on.
    pub fn client_capabilities(&self) -> Option<&Value> {
        match &self.inner.env.client_capabilities {
            ClientCaps::Unknown => None,
            ClientCaps::Session(caps) => Some(caps),
            ClientCaps::InMeta => self.inner.meta.get()?.get(crate::v2026::meta::CLIENT_CAPABILITIES),
        }
    }

    /// Whether the client declared capability `name` (`"elicitation"`,
    /// `"sampling"`, `"roots"`, ...). `true` when the capabilities are not
    /// known (a stateless 2025 client), so that asking is still attempted.
    pub fn client_supports(&self, name: &str) -> bool {
        self.client_capabilities().is_none_or(|caps| caps.get(name).is_some_and(|v| !v.is_null()))
    }

    /// What the hosting platform knows about this invocation (Lambda: the
    /// request id, the deadline, the authorizer context).
    pub fn invocation(&self) -> Option<&crate::Invocation> {
        self.extensions().and_then(|e| e.get::<crate::Invocation>())
    }

    /// When the platform will stop this invocation, if it has a deadline.
    pub fn deadline(&self) -> Option<std::time::SystemTime> {
        self.invocation().and_then(|i| i.deadline)
    }

    /// Time left before the deadline, if there is one.
    pub fn time_remaining(&self) -> Option<Duration> {
        self.invocation().and_then(crate::Invocation::time_remaining)
    }

    /// The value of type `T` the router shares with its handlers (see
    /// `RouterBuilder::state`): clients, pools, `Secrets`.
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.served().state::<T>()
    }

    /// Publishes list changes and resource updates to listening clients.
    pub fn notifier(&self) -> Option<&Notifier> {
        self.served().notifier.as_ref()
    }

    /// The HTTP request's headers (absent outside HTTP).
    pub fn headers(&self) -> Option<&http::HeaderMap> {
        self.inner.env.http.as_ref().map(|p| &p.headers)
    }

    /// The HTTP request's extensions: where shells put what they know
    /// (the Lambda context, an authenticated principal, ...).
    pub fn extensions(&self) -> Option<&http::Extensions> {
        self.inner.env.http.as_ref().map(|p| &p.extensions)
    }

    /// Whether the client cancelled this request (or went away).
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancel.get().is_some_and(CancellationToken::is_cancelled)
    }

    /// Completes when the request is cancelled; `select!` on it in long work.
    pub fn cancelled(&self) -> impl Future<Output = ()> + Send + 'static {
        self.cancel_token().clone().cancelled_owned()
    }

    /// Reports progress, if the client sent a progress token (otherwise a no-op).
    pub fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        let Some(token) = self.progress_token() else { return };
        #[derive(Serialize)]
        struct P<'a> {
            #[serde(rename = "progressToken")]
            token: &'a Value,
            progress: f64,
            #[serde(skip_serializing_if = "Option::is_none")]
            total: Option<f64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            message: Option<&'a str>,
        }
        self.notify("notifications/progress", &P { token, progress, total, message });
    }

    /// Sends a log message to the client if `level` passes the level the
    /// client set with `logging/setLevel` (everything passes when unset).
    pub fn log(&self, level: LogLevel, data: impl Serialize) {
        self.log_as(level, None, data);
    }

    /// Like [`log`](Self::log) with a logger name.
    pub fn log_as(&self, level: LogLevel, logger: Option<&str>, data: impl Serialize) {
        let pass = match self.inner.env.log {
            LogPolicy::All => true,
            LogPolicy::AtLeast(min) => level >= min,
            LogPolicy::Off => false,
        };
        if !pass {
            return;
        }
        #[derive(Serialize)]
        struct L<'a, D> {
            level: LogLevel,
            #[serde(skip_serializing_if = "Option::is_none")]
            logger: Option<&'a str>,
            data: D,
        }
        self.notify("notifications/message", &L { level, logger, data });
    }

    /// Sends any notification related to this request. Dropped (with a
    /// debug log) when the response cannot carry it.
    pub fn notify(&self, method: &str, params: &impl Serialize) {
        match &self.inner.env.outbox {
            Some(outbox) => outbox.push(jsonrpc::notification_bytes(method, params)),
            None => tracing::debug!(method, "notification dropped: this response cannot stream"),
        }
    }

    /// Asks the user for input (`elicitation/create`).
    ///
    /// Written once, this works for both generations: for a 2025 client it
    /// is a request over the response stream; for a 2026 client the request
    /// ends with an input-required result and this call returns the answer
    /// when the client retries (the handler runs again from the top, so
    /// gather input before doing side effects).
    pub async fn elicit(&self, request: ElicitRequest) -> Result<ElicitResult, ClientRequestError> {
        self.elicit_keyed(None, request).await
    }

    /// [`elicit`](Self::elicit) under a chosen input key (the key of the
    /// 2026 `inputRequests`/`inputResponses` maps; generated when `None`).
    pub async fn elicit_keyed(
        &self,
        key: Option<&str>,
        request: ElicitRequest,
    ) -> Result<ElicitResult, ClientRequestError> {
        self.ask("elicitation", key, "elicitation/create", &request).await
    }

    /// Asks the client's model to sample (`sampling/createMessage`).
    pub async fn sample(&self, request: CreateMessageRequest) -> Result<CreateMessageResult, ClientRequestError> {
        self.sample_keyed(None, request).await
    }

    /// [`sample`](Self::sample) under a chosen input key.
    pub async fn sample_keyed(
        &self,
        key: Option<&str>,
        request: CreateMessageRequest,
    ) -> Result<CreateMessageResult, ClientRequestError> {
        self.ask("sampling", key, "sampling/createMessage", &request).await
    }

    /// Asks the client for its roots (`roots/list`).
    pub async fn list_roots(&self) -> Result<ListRootsResult, ClientRequestError> {
        self.list_roots_keyed(None).await
    }

    /// [`list_roots`](Self::list_roots) under a chosen input key.
    pub async fn list_roots_keyed(&self, key: Option<&str>) -> Result<ListRootsResult, ClientRequestError> {
        self.ask("roots", key, "roots/list", &serde_json::json!({})).await
    }

    async fn ask<R: DeserializeOwned>(
        &self,
        capability: &'static str,
        key: Option<&str>,
        method: &str,
        params: &impl Serialize,
    ) -> Result<R, ClientRequestError> {
        let Some(mrtr) = &self.inner.mrtr else {
            if !self.client_supports(capability) {
                return Err(ClientRequestError::NotSupported(capability));
            }
            return self.client_request(method, params).await;
        };
        // 2026 generation: answer from the retry, or suspend this round.
        if !self.client_supports(capability) {
            mrtr.fail(http::StatusCode::BAD_REQUEST, McpError::missing_client_capability(capability));
            return std::future::pending().await;
        }
        let key = key.map_or_else(|| mrtr.next_key(capability), str::to_owned);
        match mrtr.answer(&key) {
            Some(answer) => match serde_json::from_value::<R>(answer) {
                Ok(r) => Ok(r),
                Err(e) => {
                    let msg = format!("Invalid params: inputResponses[{key:?}] is not a valid {method} result: {e}");
                    mrtr.fail(http::StatusCode::OK, McpError::invalid_params(msg));
                    std::future::pending().await
                }
            },
            None => {
                let params =
                    serde_json::to_value(params).map_err(|e| ClientRequestError::InvalidResponse(e.to_string()))?;
                mrtr.ask(key, method, params);
                std::future::pending().await
            }
        }
    }

    /// Sends any request to the client over the 2025 back channel and waits
    /// for its answer (2026 requests have no back channel: use the
    /// typed helpers above, which become input-required results).
    pub async fn client_request<R: DeserializeOwned>(
        &self,
        method: &str,
        params: &impl Serialize,
    ) -> Result<R, ClientRequestError> {
        let (Some(outbox), Some(pending)) = (&self.inner.env.outbox, &self.served().pending) else {
            return Err(ClientRequestError::NoBackChannel);
        };
        if !outbox.back_channel {
            return Err(ClientRequestError::NoBackChannel);
        }
        let (id, rx, _guard) = pending.register(self.inner.env.session_id.clone());
        outbox.push(jsonrpc::request_bytes(&id, method, params));
        let timeout = self.served().client_request_timeout;
        let answer = tokio::select! {
            r = tokio::time::timeout(timeout, rx) => match r {
                Err(_) => return Err(ClientRequestError::Timeout(timeout)),
                Ok(Err(_)) => return Err(ClientRequestError::NoBackChannel),
                Ok(Ok(answer)) => answer,
            },
            () = self.cancel_token().cancelled() => return Err(ClientRequestError::Cancelled),
        };
        let value = answer.map_err(ClientRequestError::Rejected)?;
        serde_json::from_value(value).map_err(|e| ClientRequestError::InvalidResponse(e.to_string()))
    }

    /// What the endpoint's requests share.
    pub(crate) fn served(&self) -> &Served {
        self.inner.env.served.served()
    }

    pub(crate) fn outbox(&self) -> Option<&Outbox> {
        self.inner.env.outbox.as_ref()
    }

    pub(crate) fn cancel_token(&self) -> &CancellationToken {
        self.inner.cancel.get_or_init(CancellationToken::new)
    }

    /// The token, if anything made one yet.
    pub(crate) fn cancel_token_if_made(&self) -> Option<&CancellationToken> {
        self.inner.cancel.get()
    }

    /// When a 2026 handler is suspended: what ends its round (see
    /// [`Mrtr::suspended`]), its state bound to this request's params and
    /// caller.
    pub(crate) fn suspended(&self) -> Option<Result<serde_json::Value, (http::StatusCode, McpError)>> {
        let inner = &*self.inner;
        let mrtr = inner.mrtr.as_ref()?;
        mrtr.suspended(|seal| seal.binding(inner.meta.params_text(), principal(&inner.env)))
    }
}
