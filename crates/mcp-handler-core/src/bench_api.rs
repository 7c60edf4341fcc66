//! **Unstable, for `mcp-handler-benches` only** (feature `bench-internals`):
//! one JSON-RPC request through this crate's own parse → dispatch →
//! serialize, without HTTP, so the micro-benchmarks can time that step apart
//! from the endpoint around it. Not part of the API: it may change or vanish
//! in any release, and no semver promise covers it.
//!
//! It calls the same crate-private functions the endpoint calls, in the same
//! order; what it leaves out is HTTP's share: Host/Origin and auth checks,
//! the version and 2026 routing headers, sessions, SSE and the back channel.
//! [`crate::McpService`] runs all of that, and the benchmarks time it too.

use std::sync::Arc;

use bytes::Bytes;

use crate::dispatch::{self, CallEnv, Dispatched, V2026Env};
use crate::env::{ClientCaps, LogPolicy, RequestEnv, Served};
use crate::error::McpError;
use crate::http::{EndpointConfig, ResponseMode};
use crate::jsonrpc::params::Slot;
use crate::jsonrpc::{self, Incoming};
use crate::method::Method;
use crate::router::{Push, Router};
use crate::util::RandomUnavailable;
use crate::v2026::RequestStateKey;
use crate::v2026::meta::RequestMeta;
use crate::version::ProtocolVersion;

/// A router and endpoint settings, ready to answer one message at a time.
#[derive(Debug)]
pub struct Dispatcher {
    router: Router,
    config: EndpointConfig,
    key: RequestStateKey,
    served: Arc<Served>,
}

impl Dispatcher {
    /// Serves `router` with the parts of `config` that dispatch reads; fails
    /// as [`McpService::try_new`](crate::McpService::try_new) does.
    pub fn new(router: Router, config: EndpointConfig) -> Result<Self, RandomUnavailable> {
        let key = match config.request_state_key.clone() {
            Some(k) => k,
            None => RequestStateKey::generate()?,
        };
        let served = Arc::new(Served::new(Some(router.clone()), config.client_request_timeout));
        Ok(Self { router, config, key, served })
    }

    /// Answers one JSON-RPC request (`message`, a whole body) as a client of
    /// `version` would be answered with `Accept: application/json`: the
    /// response message's bytes. `version` stands for the
    /// `MCP-Protocol-Version` header, which is not checked against `_meta`.
    pub async fn handle(&self, version: ProtocolVersion, message: &[u8]) -> Bytes {
        let mut slot = Slot::default();
        let (id, method, params) = match Incoming::parse(message, &mut slot) {
            Ok(Incoming::Request { id, method, params }) => (id, method, params),
            Ok(_) => return jsonrpc::error_bytes(None, &McpError::invalid_request("bench_api answers requests only")),
            Err(bad) => return jsonrpc::error_bytes(bad.id.as_ref(), &bad.error),
        };
        let streams = self.config.response_mode == ResponseMode::Streaming;
        let push = |sessions: bool| if streams && sessions { Push::Available } else { Push::Unavailable };
        let Some(m) = Method::parse(&method).filter(|m| m.in_generation(version.generation())) else {
            return jsonrpc::error_bytes(Some(&id), &McpError::method_not_found(&method));
        };
        let mut env = RequestEnv::new(version, self.served.clone());
        let params = params.as_ref();
        let env = if version.is_2026() {
            let meta = match RequestMeta::parse(params) {
                Ok(m) => m,
                Err(e) => return jsonrpc::error_bytes(Some(&id), &e),
            };
            if m == Method::ServerDiscover {
                return jsonrpc::raw_result_bytes(&id, self.router.discover_bytes(push(true)));
            }
            env.log = meta.log_level.map_or(LogPolicy::Off, LogPolicy::AtLeast);
            env.client_capabilities = ClientCaps::InMeta;
            // No shared body here: params and the arguments are copied.
            let v2026 = V2026Env::new(&Bytes::new(), meta.params, self.key.clone(), self.config.request_state_ttl);
            CallEnv::v2026(env, v2026)
        } else {
            if m == Method::Initialize {
                return match dispatch::initialize(&self.router, params, push(self.config.sessions.is_some())) {
                    Ok((_, result, _, _)) => jsonrpc::result_bytes(&id, &result),
                    Err(e) => jsonrpc::error_bytes(Some(&id), &e),
                };
            }
            CallEnv::v2025(env)
        };
        match dispatch::dispatch(&self.router, id, m, params, env) {
            Dispatched::Done(bytes) => bytes,
            Dispatched::Call(call) => call.fut.await.body,
        }
    }
}
