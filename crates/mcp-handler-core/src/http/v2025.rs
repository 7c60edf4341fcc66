//! One 2025-generation request other than `initialize`: the methods that
//! touch session state answered here, the rest handed to dispatch with the
//! request's environment. (`initialize`, sessions and streams are in
//! `sessions.rs`; the 2026 generation in `v2026.rs`.)

use serde::Deserialize;
use serde_json::value::RawValue;

use super::config::ResponseMode;
use super::service::{Caller, Shared};
use crate::dispatch::{self, CallEnv, Dispatched};
use crate::env::{ClientCaps, LogPolicy, RequestEnv};
use crate::error::{ErrorCode, McpError};
use crate::hub::Notifier;
use crate::jsonrpc::{self, RequestId};
use crate::method::Method;
use crate::model::LogLevel;
use crate::outbox::Outbox;
use crate::router::Push;
use crate::version::{Generation, ProtocolVersion};

impl Shared {
    /// The environment of a request of `version` served by this endpoint,
    /// before the generation adds what it knows.
    pub(super) fn request_env(&self, version: ProtocolVersion) -> RequestEnv {
        let mut env = RequestEnv::new(version, self.router.inner.state.clone(), self.config.client_request_timeout);
        env.notifier = Some(Notifier(self.hub.clone()));
        env
    }

    /// 2025-generation requests other than `initialize`: the
    /// session-touching methods here, the rest in `dispatch`. `method` is
    /// `name` as the caller parsed it (`None`: a method this server does
    /// not know).
    pub(super) async fn request(
        &self,
        id: &RequestId,
        name: &str,
        method: Option<Method>,
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
        let Some(method) = method.filter(|m| m.in_generation(Generation::V2025)) else {
            return done(Err(McpError::method_not_found(name)));
        };
        match method {
            Method::LoggingSetLevel => {
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
            Method::ResourcesSubscribe | Method::ResourcesUnsubscribe => {
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
                let subscribe = method == Method::ResourcesSubscribe;
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
            _ => {
                let can_stream = self.config.response_mode == ResponseMode::Streaming
                    && caller.accepts.sse
                    && self.config.back_channel;
                let mut env = self.request_env(caller.version);
                if let Some((session_id, data)) = &caller.session {
                    env.session_id = Some(session_id.clone());
                    env.log = data.log_level.map_or(LogPolicy::All, LogPolicy::AtLeast);
                    env.client_capabilities = ClientCaps::Session(data.client_capabilities.clone());
                }
                env.http = http;
                env.outbox = caller.accepts.sse.then(|| Outbox::new(can_stream));
                env.pending = Some(self.pending.clone());
                dispatch::dispatch(&self.router, id.clone(), method, params, None, CallEnv::v2025(env))
            }
        }
    }
}
