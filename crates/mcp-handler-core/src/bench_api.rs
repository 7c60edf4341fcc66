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

use bytes::Bytes;

use crate::context::LogPolicy;
use crate::dispatch::{self, CallEnv, Dispatched, StatelessEnv};
use crate::error::McpError;
use crate::http::{EndpointConfig, ResponseMode};
use crate::jsonrpc::{self, Incoming};
use crate::router::Router;
use crate::stateless::RequestStateKey;
use crate::stateless::meta::RequestMeta;
use crate::version::ProtocolVersion;

/// A router and endpoint settings, ready to answer one message at a time.
#[derive(Debug)]
pub struct Dispatcher {
    router: Router,
    config: EndpointConfig,
    key: RequestStateKey,
}

impl Dispatcher {
    /// Serves `router` with the parts of `config` that dispatch reads.
    pub fn new(router: Router, config: EndpointConfig) -> Self {
        let key = config.request_state_key.clone().unwrap_or_else(RequestStateKey::generate);
        Self { router, config, key }
    }

    /// Answers one JSON-RPC request (`message`, a whole body) as a client of
    /// `version` would be answered with `Accept: application/json`: the
    /// response message's bytes. `version` stands for the
    /// `MCP-Protocol-Version` header, which is not checked against `_meta`.
    pub async fn handle(&self, version: ProtocolVersion, message: &[u8]) -> Bytes {
        let (id, method, params) = match Incoming::parse(message) {
            Ok(Incoming::Request { id, method, params }) => (id, method, params),
            Ok(_) => return jsonrpc::error_bytes(None, &McpError::invalid_request("bench_api answers requests only")),
            Err(bad) => return jsonrpc::error_bytes(bad.id.as_ref(), &bad.error),
        };
        let streams = self.config.response_mode == ResponseMode::Streaming;
        let (env, named) = if version.is_stateless() {
            let meta = match RequestMeta::parse(params) {
                Ok(m) => m,
                Err(e) => return jsonrpc::error_bytes(Some(&id), &e),
            };
            if method == "server/discover" {
                return jsonrpc::raw_result_bytes(&id, self.router.discover_bytes(streams));
            }
            let log = meta.log_level.map_or(LogPolicy::Off, LogPolicy::AtLeast);
            let env = CallEnv {
                protocol_version: version,
                session_id: None,
                log,
                client_capabilities: crate::context::ClientCaps::InMeta,
                http: None,
                outbox: None,
                pending: None,
                client_request_timeout: self.config.client_request_timeout,
                notifier: None,
                stateless: Some(StatelessEnv { key: self.key.clone(), ttl: self.config.request_state_ttl }),
                meta: Some(meta.raw.to_owned()),
                state: self.router.inner.state.clone(),
            };
            (env, Some(meta.named))
        } else {
            if method == "initialize" {
                return match dispatch::initialize(&self.router, params, streams) {
                    Ok((_, result, _, _)) => jsonrpc::result_bytes(&id, &result),
                    Err(e) => jsonrpc::error_bytes(Some(&id), &e),
                };
            }
            let env = CallEnv {
                protocol_version: version,
                session_id: None,
                log: LogPolicy::All,
                client_capabilities: crate::context::ClientCaps::Unknown,
                http: None,
                outbox: None,
                pending: None,
                client_request_timeout: self.config.client_request_timeout,
                notifier: None,
                stateless: None,
                meta: None,
                state: self.router.inner.state.clone(),
            };
            (env, None)
        };
        match dispatch::dispatch(&self.router, id, &method, params, named, env) {
            Dispatched::Done(bytes) => bytes,
            Dispatched::Call(call) => call.fut.await.body,
        }
    }
}
