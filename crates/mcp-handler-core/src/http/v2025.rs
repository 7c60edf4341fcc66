//! One 2025-generation message (`single_2025`), and its requests other
//! than `initialize`: the methods that touch session state answered here,
//! the rest handed to dispatch with the request's environment.
//! (`initialize`, sessions and streams are in `sessions.rs`; the 2026
//! generation in `v2026.rs`.)

use std::sync::Arc;

use http::Response;
use serde::Deserialize;

use super::body::McpBody;
use super::config::ResponseMode;
use super::guard::Accepts;
use super::responses::{accepted, answer};
use super::service::{Caller, Shared, take};
use crate::dispatch::{self, CallEnv, Dispatched};
use crate::env::{ClientCaps, LogPolicy, RequestEnv};
use crate::error::{ErrorCode, McpError};
use crate::jsonrpc::Params;
use crate::jsonrpc::{self, Incoming, RequestId};
use crate::method::Method;
use crate::model::LogLevel;
use crate::outbox::Outbox;
use crate::router::Push;
use crate::version::{Generation, ProtocolVersion};

impl Shared {
    /// The environment of a request of `version` served by this endpoint,
    /// before the generation adds what it knows.
    pub(super) fn request_env(self: &Arc<Self>, version: ProtocolVersion) -> RequestEnv {
        RequestEnv::new(version, self.clone())
    }

    #[expect(clippy::manual_async_fn, reason = "an async block keeps its arguments once, an async fn twice")]
    pub(super) fn single_2025(
        self: Arc<Self>,
        parts: &mut http::request::Parts,
        msg: Incoming<'_>,
        method: Option<Method>,
        header_version: Option<ProtocolVersion>,
        accepts: Accepts,
    ) -> impl Future<Output = Response<McpBody>> + Send {
        async move {
            if let Incoming::Request { id, params, .. } = &msg
                && method == Some(Method::Initialize)
            {
                return self.initialize(id, params.as_ref()).await;
            }
            let request_id = msg.id().cloned();
            let caller = match self.caller(parts, request_id.as_ref(), header_version, accepts).await {
                Ok(c) => c,
                Err(resp) => return resp,
            };
            match msg {
                Incoming::Notification { method, params } => {
                    self.notification(&method, params.as_ref(), &caller);
                    accepted()
                }
                Incoming::Response { id, outcome } => {
                    self.client_response(&id, outcome, &caller);
                    accepted()
                }
                Incoming::Request { id, method: name, params } => {
                    let session = caller.session.as_ref().map(|(s, _)| &**s);
                    if let Some(resp) = self.throttle(parts, session, &id, method, params.as_ref()) {
                        return resp;
                    }
                    let dispatched = match self.request(&id, &name, method, params.as_ref(), &caller, Some(take(parts)))
                    {
                        Routed2025::Now(d) => d,
                        Routed2025::SessionState(m) => {
                            self.session_request(&id, &name, m, params.as_ref(), &caller).await
                        }
                    };
                    match dispatched {
                        Dispatched::Done(bytes) => answer(bytes, caller.accepts, &id),
                        Dispatched::Call(call) => self.respond(call, &caller, &id).await,
                    }
                }
            }
        }
    }

    /// 2025-generation requests other than `initialize`, without waiting:
    /// an unknown method's error, or the request handed to `dispatch` with
    /// its environment. The methods that change the session's own state
    /// come back as [`Routed2025::SessionState`], for
    /// [`session_request`](Self::session_request). `method` is `name` as the
    /// caller parsed it (`None`: a method this server does not know).
    ///
    /// Not async: the request's future holds only the answer's, not this
    /// environment (and the session methods' futures) beside it.
    pub(super) fn request(
        self: &Arc<Self>,
        id: &RequestId,
        name: &str,
        method: Option<Method>,
        params: Option<&Params<'_>>,
        caller: &Caller,
        http: Option<http::request::Parts>,
    ) -> Routed2025 {
        let Some(method) = method.filter(|m| m.in_generation(Generation::V2025)) else {
            return Routed2025::Now(Dispatched::Done(jsonrpc::error_bytes(
                Some(id),
                &McpError::method_not_found(name),
            )));
        };
        let session_method = match method {
            Method::LoggingSetLevel => Some(SessionMethod::SetLevel),
            Method::ResourcesSubscribe => Some(SessionMethod::Subscribe),
            Method::ResourcesUnsubscribe => Some(SessionMethod::Unsubscribe),
            _ => None,
        };
        if let Some(m) = session_method {
            return Routed2025::SessionState(m);
        }
        let can_stream =
            self.config.response_mode == ResponseMode::Streaming && caller.accepts.sse && self.config.back_channel;
        let mut env = self.request_env(caller.version);
        if let Some((session_id, data)) = &caller.session {
            env.session_id = Some(session_id.clone());
            env.log = data.log_level.map_or(LogPolicy::All, LogPolicy::AtLeast);
            env.client_capabilities = ClientCaps::Session(data.client_capabilities.clone());
        }
        env.http = http;
        env.outbox = caller.accepts.sse.then(|| Outbox::new(can_stream));
        Routed2025::Now(dispatch::dispatch(&self.router, id.clone(), method, params, CallEnv::v2025(env)))
    }

    /// The methods that change the session's own state (`logging/setLevel`,
    /// `resources/subscribe` and `unsubscribe`): [`request`](Self::request)
    /// routed them here.
    pub(super) async fn session_request(
        &self,
        id: &RequestId,
        name: &str,
        method: SessionMethod,
        params: Option<&Params<'_>>,
        caller: &Caller,
    ) -> Dispatched {
        let done = |r: Result<(), McpError>| {
            Dispatched::Done(match r {
                Ok(()) => jsonrpc::raw_result_bytes(id, b"{}"),
                Err(e) => jsonrpc::error_bytes(Some(id), &e),
            })
        };
        match method {
            SessionMethod::SetLevel => {
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
            SessionMethod::Subscribe | SessionMethod::Unsubscribe => {
                if self.push_2025() == Push::Unavailable {
                    // Not advertised in `initialize`: refused as MCP refuses
                    // any method of a capability the server lacks, rather
                    // than acknowledged and never honoured.
                    return done(Err(McpError::new(
                        ErrorCode::METHOD_NOT_FOUND,
                        format!(
                            "Method not found: {name}: this endpoint cannot deliver resource updates \
                             (it needs sessions and streamed responses), so it does not offer resources.subscribe"
                        ),
                    )));
                }
                #[derive(Deserialize)]
                struct P {
                    uri: String,
                }
                let p = match dispatch::session_params::<P>(params) {
                    Ok(p) => p,
                    Err(e) => return done(Err(e)),
                };
                let subscribe = method == SessionMethod::Subscribe;
                if subscribe && !self.router.knows_resource(&p.uri) {
                    return done(Err(McpError::resource_not_found(&p.uri)));
                }
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
        }
    }
}

/// Where [`Shared::request`] sent a 2025 request.
pub(super) enum Routed2025 {
    /// Dispatched: the answer, or the handler's call to run.
    Now(Dispatched),
    /// A method that changes the session's own state: for
    /// [`Shared::session_request`].
    SessionState(SessionMethod),
}

/// The 2025 methods that change the session's own state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SessionMethod {
    /// `logging/setLevel`.
    SetLevel,
    /// `resources/subscribe`.
    Subscribe,
    /// `resources/unsubscribe`.
    Unsubscribe,
}
