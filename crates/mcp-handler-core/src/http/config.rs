//! Endpoint configuration: `Default` + `with_*`.

use std::sync::Arc;
use std::time::Duration;

use super::auth::EndpointAuth;
use super::rate::RateLimit;
use crate::session::SessionStore;
use crate::v2026::{RequestStateKey, RequestStateKeyError};

/// A deployment setting that cannot be used. The message names the
/// variable, never a secret value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvConfigError {
    /// `MCP_REQUEST_STATE_KEY` is not a usable key.
    #[error("MCP_REQUEST_STATE_KEY: {0}")]
    RequestStateKey(RequestStateKeyError),
    /// A variable whose value did not parse.
    #[error("{name}: {value:?} is not {expected}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// What was given.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
}

/// Which `Host` headers the endpoint serves (DNS-rebinding defence).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HostPolicy {
    /// `localhost`, `127.0.0.1` and `[::1]`, any port: right for a server
    /// bound to loopback, which a browser page could otherwise reach
    /// through a rebound DNS name.
    Localhost,
    /// These host names (compared without port, case-insensitively).
    List(Vec<String>),
    /// Any host: for servers behind a load balancer, API Gateway or a
    /// Lambda Function URL, where the platform fixes the host.
    Any,
}

/// Which `Origin` headers the endpoint serves. Requests without `Origin`
/// (non-browser clients) always pass.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OriginPolicy {
    /// Localhost origins, and origins whose host equals the request's
    /// `Host` (same-origin browser pages).
    SameHostOrLocalhost,
    /// Exactly these origins (e.g. `https://app.example.com`).
    List(Vec<String>),
    /// Any origin.
    Any,
}

/// How responses that carry notifications are delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseMode {
    /// Stream SSE events as the handler emits them; server-to-client
    /// requests work. For servers and Lambda response streaming.
    Streaming,
    /// Run the handler to completion, then answer JSON, or one complete SSE
    /// body when it emitted notifications. No server-to-client requests.
    /// For Lambda buffered integrations (API Gateway, ALB).
    Buffered,
}

/// When a request is answered with `text/event-stream`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SseMode {
    /// JSON unless the handler emits a notification or request first: the
    /// plain path stays a single JSON body.
    OnDemand,
    /// Every handler call (tools, resources, prompts, completion) streams,
    /// when the client accepts it.
    Always,
}

/// Configuration of the streamable-HTTP endpoint.
#[derive(Clone)]
#[non_exhaustive]
pub struct EndpointConfig {
    pub(crate) max_body_bytes: usize,
    pub(crate) hosts: HostPolicy,
    pub(crate) origins: OriginPolicy,
    pub(crate) sessions: Option<Arc<dyn SessionStore>>,
    pub(crate) response_mode: ResponseMode,
    pub(crate) sse_mode: SseMode,
    pub(crate) sse_retry: Option<Duration>,
    pub(crate) keep_alive: Option<Duration>,
    pub(crate) body_timeout: Duration,
    pub(crate) max_in_flight: usize,
    pub(crate) max_in_flight_per_client: usize,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) trusted_proxy_header: Option<http::HeaderName>,
    pub(crate) client_request_timeout: Duration,
    pub(crate) request_state_key: Option<RequestStateKey>,
    pub(crate) request_state_ttl: Duration,
    pub(crate) back_channel: bool,
    pub(crate) auth: Option<EndpointAuth>,
    pub(crate) records: bool,
    pub(crate) trace_context: Option<crate::trace::TraceContextHook>,
    pub(crate) counts: bool,
}

impl std::fmt::Debug for EndpointConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointConfig")
            .field("max_body_bytes", &self.max_body_bytes)
            .field("hosts", &self.hosts)
            .field("origins", &self.origins)
            .field("sessions", &self.sessions.is_some())
            .field("response_mode", &self.response_mode)
            .field("sse_mode", &self.sse_mode)
            .field("sse_retry", &self.sse_retry)
            .field("keep_alive", &self.keep_alive)
            .field("body_timeout", &self.body_timeout)
            .field("max_in_flight", &self.max_in_flight)
            .field("max_in_flight_per_client", &self.max_in_flight_per_client)
            .field("rate_limit", &self.rate_limit)
            .field("trusted_proxy_header", &self.trusted_proxy_header)
            .field("client_request_timeout", &self.client_request_timeout)
            .field("request_state_key", &self.request_state_key.as_ref().map(|_| "<configured>"))
            .field("request_state_ttl", &self.request_state_ttl)
            .field("back_channel", &self.back_channel)
            .field("records", &self.records)
            .field("trace_context", &self.trace_context.is_some())
            .field("counts", &self.counts)
            .field("auth", &self.auth)
            .finish()
    }
}

impl Default for EndpointConfig {
    /// Stateless, localhost-only, 4 MiB bodies, streaming responses.
    fn default() -> Self {
        Self {
            max_body_bytes: 4 * 1024 * 1024,
            hosts: HostPolicy::Localhost,
            origins: OriginPolicy::SameHostOrLocalhost,
            sessions: None,
            response_mode: ResponseMode::Streaming,
            sse_mode: SseMode::OnDemand,
            sse_retry: Some(Duration::from_secs(1)),
            keep_alive: Some(Duration::from_secs(15)),
            body_timeout: Duration::from_secs(30),
            max_in_flight: 1024,
            max_in_flight_per_client: 64,
            rate_limit: None,
            trusted_proxy_header: None,
            client_request_timeout: Duration::from_secs(60),
            request_state_key: None,
            request_state_ttl: Duration::from_secs(15 * 60),
            back_channel: true,
            auth: None,
            records: false,
            trace_context: None,
            counts: false,
        }
    }
}

impl EndpointConfig {
    /// Largest accepted request body (413 above it).
    #[must_use]
    pub fn with_max_body_bytes(mut self, n: usize) -> Self {
        self.max_body_bytes = n;
        self
    }
    /// Which `Host` headers are served (403 otherwise).
    #[must_use]
    pub fn with_host_policy(mut self, p: HostPolicy) -> Self {
        self.hosts = p;
        self
    }
    /// Which `Origin` headers are served (403 otherwise).
    #[must_use]
    pub fn with_origin_policy(mut self, p: OriginPolicy) -> Self {
        self.origins = p;
        self
    }
    /// Turns sessions on, kept in `store`.
    #[must_use]
    pub fn with_session_store(mut self, store: Arc<dyn SessionStore>) -> Self {
        self.sessions = Some(store);
        self
    }
    /// Streaming or buffered responses.
    #[must_use]
    pub fn with_response_mode(mut self, m: ResponseMode) -> Self {
        self.response_mode = m;
        self
    }
    /// When to answer with SSE.
    #[must_use]
    pub fn with_sse_mode(mut self, m: SseMode) -> Self {
        self.sse_mode = m;
        self
    }
    /// The `retry:` advice in SSE priming events (`None`: no priming event).
    #[must_use]
    pub fn with_sse_retry(mut self, d: Option<Duration>) -> Self {
        self.sse_retry = d;
        self
    }
    /// How long a request body may take to arrive once it stalls (default
    /// 30 s; `MCP_BODY_TIMEOUT_SECS`): a body that trickles in is answered
    /// `408` and its connection closed, so slow clients cannot hold the
    /// server's memory and tasks.
    #[must_use]
    pub fn with_body_timeout(mut self, d: Duration) -> Self {
        self.body_timeout = d;
        self
    }
    /// How many handler calls may run at once: `total` in all (default
    /// 1024; `MCP_MAX_IN_FLIGHT`) and `per_client` for one session or
    /// principal (default 64; `MCP_MAX_IN_FLIGHT_PER_CLIENT`). A call beyond
    /// either is refused at once with `503` and `Retry-After`, never queued.
    #[must_use]
    pub fn with_max_in_flight(mut self, total: usize, per_client: usize) -> Self {
        self.max_in_flight = total.max(1);
        self.max_in_flight_per_client = per_client.max(1);
        self
    }
    /// Limits every client to `limit` JSON-RPC requests (a batch counts
    /// each member), in a token bucket per session, else per principal,
    /// else per address (`MCP_RATE_LIMIT`, e.g. `100/s` or `600/m:50`; off
    /// by default). Beyond it: `429` with `Retry-After` and `RateLimit`
    /// headers. The buckets live in this process's memory.
    #[must_use]
    pub fn with_rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }
    /// The header a trusted proxy in front of the server appends the
    /// client's address to (`MCP_TRUSTED_PROXY_HEADER`, e.g.
    /// `X-Forwarded-For`): its last entry is the client the rate limit
    /// counts. Set it only behind such a proxy: a client can write the
    /// header itself.
    #[must_use]
    pub fn with_trusted_proxy_header(mut self, name: http::HeaderName) -> Self {
        self.trusted_proxy_header = Some(name);
        self
    }
    /// Whether a rate limit is configured (shells then add the client's
    /// address to each request).
    pub fn rate_limited(&self) -> bool {
        self.rate_limit.is_some()
    }
    /// Comment lines on idle GET streams so proxies keep them open.
    #[must_use]
    pub fn with_keep_alive(mut self, d: Option<Duration>) -> Self {
        self.keep_alive = d;
        self
    }
    /// How long `ctx.elicit(..)` and friends wait for the client.
    #[must_use]
    pub fn with_client_request_timeout(mut self, d: Duration) -> Self {
        self.client_request_timeout = d;
        self
    }
    /// The key that seals 2026 `requestState` between rounds of an
    /// input-required request. Without one, a random key is generated when
    /// the service is built: fine for a single process, but a fleet (several
    /// containers, Lambda sandboxes) must share one key or a retry landing
    /// on another instance is refused.
    #[must_use]
    pub fn with_request_state_key(mut self, key: RequestStateKey) -> Self {
        self.request_state_key = Some(key);
        self
    }
    /// How long a `requestState` stays valid (default 15 minutes: long
    /// enough for a person to answer an elicitation).
    #[must_use]
    pub fn with_request_state_ttl(mut self, ttl: Duration) -> Self {
        self.request_state_ttl = ttl;
        self
    }
    /// No server-to-client requests for 2025 clients (`ctx.elicit(..)` and
    /// friends answer `NoBackChannel`): right where the client's answer, a
    /// separate POST, may reach another instance, as on Lambda. 2026
    /// input-required results are unaffected: they need no memory.
    #[must_use]
    pub fn without_back_channel(mut self) -> Self {
        self.back_channel = false;
        self
    }
    /// Attaches an [`Exchange`](super::Exchange) to every response: the MCP
    /// method, the tool/prompt/resource named, the JSON-RPC id and outcome,
    /// the protocol version, the session and any refusal's reason. For a
    /// shell's access log, metrics and traces; off by default, and free
    /// when off.
    #[must_use]
    pub fn with_exchange_records(mut self, on: bool) -> Self {
        self.records = on;
        self
    }

    /// Hands the W3C trace context of `_meta` (2026 requests without a
    /// `traceparent` header) to `hook`, for a trace exporter; off by
    /// default, and then `_meta` is not read for it.
    #[must_use]
    pub fn with_trace_context_hook(mut self, hook: crate::trace::TraceContextHook) -> Self {
        self.trace_context = Some(hook);
        self
    }
    /// Records only what counting requests needs: the method, the
    /// registered tool or prompt ([`Exchange::registered`](super::Exchange::registered)),
    /// the outcome and any refusal; no text is copied and nothing is
    /// allocated for it. For a shell's metrics when its access log is off;
    /// [`with_exchange_records`](Self::with_exchange_records) records all of it.
    #[must_use]
    pub fn with_exchange_counts(mut self, on: bool) -> Self {
        self.counts = on;
        self
    }
    /// Whether requests are recorded at all, and whether in full.
    pub(crate) fn recording(&self) -> Option<super::exchange::Detail> {
        use super::exchange::Detail;
        if self.records {
            Some(Detail::Full)
        } else if self.counts {
            Some(Detail::Counts)
        } else {
            None
        }
    }
    /// Applies deployment settings read through `env` (injected, so tests
    /// need not touch the process environment):
    ///
    /// | variable | effect |
    /// |---|---|
    /// | `MCP_ALLOWED_HOSTS` | comma-separated `Host` allow-list, or `*` |
    /// | `MCP_ALLOWED_ORIGINS` | comma-separated `Origin` allow-list, or `*` |
    /// | `MCP_REQUEST_STATE_KEY` | base64 key (>= 32 bytes) sealing 2026 request state |
    pub fn with_env(mut self, env: impl Fn(&str) -> Option<String>) -> Result<Self, EnvConfigError> {
        let list = |v: String| -> Vec<String> {
            v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
        };
        match env("MCP_ALLOWED_HOSTS") {
            Some(v) if v.trim() == "*" => self.hosts = HostPolicy::Any,
            Some(v) => self.hosts = HostPolicy::List(list(v)),
            None => {}
        }
        match env("MCP_ALLOWED_ORIGINS") {
            Some(v) if v.trim() == "*" => self.origins = OriginPolicy::Any,
            Some(v) => self.origins = OriginPolicy::List(list(v)),
            None => {}
        }
        if let Some(v) = env("MCP_REQUEST_STATE_KEY") {
            self.request_state_key = Some(RequestStateKey::from_base64(&v).map_err(EnvConfigError::RequestStateKey)?);
        }
        let count = |name: &'static str, v: String| match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(EnvConfigError::Invalid { name, value: v, expected: "a whole number, at least 1" }),
        };
        if let Some(v) = env("MCP_MAX_IN_FLIGHT") {
            self.max_in_flight = count("MCP_MAX_IN_FLIGHT", v)?;
        }
        if let Some(v) = env("MCP_MAX_IN_FLIGHT_PER_CLIENT") {
            self.max_in_flight_per_client = count("MCP_MAX_IN_FLIGHT_PER_CLIENT", v)?;
        }
        if let Some(v) = env("MCP_RATE_LIMIT") {
            let expected = "a rate such as 100/s or 600/m, optionally :BURST";
            let limit = RateLimit::parse(&v);
            self.rate_limit =
                Some(limit.ok_or(EnvConfigError::Invalid { name: "MCP_RATE_LIMIT", value: v, expected })?);
        }
        if let Some(v) = env("MCP_TRUSTED_PROXY_HEADER") {
            let name = http::HeaderName::from_bytes(v.trim().as_bytes());
            let expected = "a header name such as X-Forwarded-For";
            let name =
                name.map_err(|_| EnvConfigError::Invalid { name: "MCP_TRUSTED_PROXY_HEADER", value: v, expected })?;
            self.trusted_proxy_header = Some(name);
        }
        if let Some(v) = env("MCP_BODY_TIMEOUT_SECS") {
            self.body_timeout = match v.trim().parse::<u64>() {
                Ok(n) if n > 0 => Duration::from_secs(n),
                _ => {
                    let expected = "a whole number of seconds, at least 1";
                    return Err(EnvConfigError::Invalid { name: "MCP_BODY_TIMEOUT_SECS", value: v, expected });
                }
            };
        }
        Ok(self)
    }
    /// Whether a request-state key was configured (rather than generated).
    pub fn has_request_state_key(&self) -> bool {
        self.request_state_key.is_some()
    }
    /// Requires a credential on every endpoint request (401 without one).
    /// Health endpoints stay open: the shells answer them first.
    #[must_use]
    pub fn with_auth(mut self, auth: EndpointAuth) -> Self {
        self.auth = Some(auth);
        self
    }
    /// The largest accepted request body: a shell that frames messages
    /// itself (stdio) bounds its buffer by it.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }
    /// Which `Host` headers the endpoint serves.
    pub fn host_policy(&self) -> &HostPolicy {
        &self.hosts
    }
    /// Whether the endpoint requires a credential.
    pub fn auth_enabled(&self) -> bool {
        self.auth.is_some()
    }
    /// Turns sessions off (the default).
    #[must_use]
    pub fn without_sessions(mut self) -> Self {
        self.sessions = None;
        self
    }
    /// Whether sessions are on.
    pub fn sessions_enabled(&self) -> bool {
        self.sessions.is_some()
    }
}
