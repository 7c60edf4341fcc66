//! One 2026-generation request: routing headers, `_meta`, method, then
//! the shared dispatch. Reached only when the endpoint decided the request
//! is of the 2026 generation (`negotiate::generation`).

use std::ops::ControlFlow;
use std::sync::Arc;

use bytes::Bytes;
use http::request::Parts;
use http::{Response, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::body::{EventIds, GetStream, McpBody, sse_event};
use super::guard::Accepts;
use super::responses::{accepted, answer, refuse, sse_response};
use super::service::{Caller, Shared, take};
use crate::dispatch::{self, CallEnv, Dispatched, V2026Env};
use crate::env::{ClientCaps, LogPolicy};
use crate::error::McpError;
use crate::hub::Filter;
use crate::jsonrpc::Params;
use crate::jsonrpc::params::Members;
use crate::jsonrpc::{self, Incoming, RequestId};
use crate::method::Method;
use crate::outbox::Outbox;
use crate::v2026::headers;
use crate::v2026::meta::{RequestMeta, SUBSCRIPTION_ID};
use crate::version::{Generation, ProtocolVersion};

impl Shared {
    /// One 2026 message: the request routed and checked without waiting
    /// ([`route_2026`](Self::route_2026)), then its answer awaited. Only
    /// the answer's future and what it needs are held across the await:
    /// the routing checks and the dispatch environment are not.
    #[expect(clippy::manual_async_fn, reason = "an async block keeps its arguments once, an async fn twice")]
    pub(super) fn post_2026<'a>(
        self: Arc<Self>,
        parts: &'a mut Parts,
        body: &'a Bytes,
        msg: Incoming<'a>,
        accepts: Accepts,
    ) -> impl Future<Output = Response<McpBody>> + Send + 'a {
        async move {
            let (id, routed) = match msg {
                // No client notification is defined over HTTP in this revision
                // (closing a stream cancels); accepting them is harmless.
                Incoming::Notification { .. } => return accepted(),
                Incoming::Response { id, .. } => {
                    return refuse(
                        StatusCode::BAD_REQUEST,
                        Some(&id),
                        &McpError::invalid_request(
                            "Invalid Request: clients do not send responses in protocol version 2026-07-28",
                        ),
                    );
                }
                Incoming::Request { id, method, params } => {
                    let routed = self.route_2026(parts, body, &id, &method, params.as_ref(), accepts);
                    (id, routed)
                }
            };
            match routed {
                ControlFlow::Break(resp) => resp,
                ControlFlow::Continue(Dispatched::Done(bytes)) => answer(bytes, accepts, &id),
                ControlFlow::Continue(Dispatched::Call(call)) => {
                    let caller = Caller { version: ProtocolVersion::V2026_07_28, session: None, accepts };
                    self.respond(call, &caller, &id).await
                }
            }
        }
    }

    /// A 2026 request up to its dispatch: routing headers, `_meta`, method,
    /// throttle. `Break` is the answer already (a refusal, `server/discover`,
    /// the `subscriptions/listen` stream); `Continue` is the dispatch.
    fn route_2026(
        self: &Arc<Self>,
        parts: &mut Parts,
        body: &Bytes,
        id: &RequestId,
        name: &str,
        params: Option<&Params<'_>>,
        accepts: Accepts,
    ) -> ControlFlow<Response<McpBody>, Dispatched> {
        let bad = |status: StatusCode, e: McpError| ControlFlow::Break(refuse(status, Some(id), &e));
        let routing = headers::Routing::scan(&parts.headers);
        if let Err(e) = headers::check_method(&routing, name) {
            return bad(StatusCode::BAD_REQUEST, e);
        }
        let meta = match RequestMeta::parse(params) {
            Ok(m) => m,
            Err(e) => return bad(StatusCode::BAD_REQUEST, e),
        };
        // A trace exporter parents the request's span on `_meta`'s
        // context, before any handler span exists; the header wins.
        if let Some(hook) = &self.config.trace_context
            && !parts.headers.contains_key("traceparent")
        {
            crate::trace::from_carrier(hook, meta.trace.0, meta.trace.1);
        }
        let version = &*meta.version;
        if version != ProtocolVersion::V2026_07_28.as_str() {
            let e = McpError::header_mismatch(format!(
                "Header mismatch: MCP-Protocol-Version header value '2026-07-28' does not match _meta protocolVersion '{}'",
                crate::error::clip(version)
            ));
            return bad(StatusCode::BAD_REQUEST, e);
        }
        let offered = |m: &Method| {
            m.in_generation(Generation::V2026)
                && self.router.offers(*m)
                && (*m != Method::SubscriptionsListen || self.streams())
        };
        let Some(method) = Method::parse(name).filter(offered) else {
            return bad(StatusCode::NOT_FOUND, crate::v2026::method_not_found(name));
        };
        let members = params.map_or(Members::NONE, |p| p.members);
        if let Err(e) = self.check_routing_headers(parts, &routing, method, members) {
            return bad(StatusCode::BAD_REQUEST, e);
        }
        if let Some(resp) = self.throttle(parts, None, id, Some(method), params) {
            return ControlFlow::Break(resp);
        }
        match method {
            Method::SubscriptionsListen => {
                return ControlFlow::Break(
                    self.listen(id, params, accepts).unwrap_or_else(|e| refuse(StatusCode::OK, Some(id), &e)),
                );
            }
            Method::ServerDiscover => {
                let result = self.router.discover_bytes(self.push_2026());
                return ControlFlow::Break(answer(jsonrpc::raw_result_bytes(id, result), accepts, id));
            }
            _ => {}
        }
        let mut env = self.request_env(ProtocolVersion::V2026_07_28);
        env.log = meta.log_level.map_or(LogPolicy::Off, LogPolicy::AtLeast);
        env.client_capabilities = ClientCaps::InMeta;
        env.http = Some(take(parts));
        // Streams carry progress and logs only; never client requests.
        env.outbox = accepts.sse.then(|| Outbox::new(false));
        let v2026 = V2026Env::new(body, meta.params, self.state_key.get(), self.config.request_state_ttl);
        let env = CallEnv::v2026(env, v2026);
        ControlFlow::Continue(dispatch::dispatch(&self.router, id.clone(), method, params, env))
    }

    /// `Mcp-Name` for the named methods, `Mcp-Param-*` for tools.
    fn check_routing_headers(
        &self,
        parts: &Parts,
        routing: &headers::Routing<'_>,
        method: Method,
        named: &Members<'_>,
    ) -> Result<(), McpError> {
        let (field, raw) = match method.named_by() {
            Some(field @ "uri") => (field, named.uri),
            Some(field) => (field, named.name),
            None => return Ok(()),
        };
        let Some(raw) = raw else {
            return Err(McpError::invalid_params(format!("Invalid params: missing {field}")));
        };
        let Some(expected) = jsonrpc::raw_str(raw) else {
            return Err(McpError::invalid_params(format!("Invalid params: {field} must be a string")));
        };
        let expected = &*expected;
        headers::check_name(routing, expected)?;
        if method == Method::ToolsCall
            && let Some(tool) = self.router.inner.tools.get(expected)
            && !tool.header_params.is_empty()
        {
            let args: Option<Value> = named.arguments.and_then(|a| serde_json::from_str(a.get()).ok());
            headers::check_params(parts, &tool.header_params, args.as_ref())?;
        }
        Ok(())
    }

    /// `subscriptions/listen`: acknowledge, then stream the notifications
    /// the client asked for, until it disconnects or the server drains.
    fn listen(
        self: &Arc<Self>,
        id: &RequestId,
        params: Option<&Params<'_>>,
        accepts: Accepts,
    ) -> Result<Response<McpBody>, McpError> {
        #[derive(Deserialize)]
        struct P {
            #[serde(default)]
            notifications: Filter,
        }
        if !accepts.sse {
            return Err(McpError::invalid_request(
                "subscriptions/listen answers with text/event-stream, which the Accept header refuses",
            ));
        }
        let p: P = dispatch::session_params(params)?;
        // Acknowledge only what this server can deliver.
        let r = &*self.router.inner;
        let has_resources = !r.resources.is_empty() || !r.templates.is_empty();
        let honored = Filter {
            tools_list_changed: p.notifications.tools_list_changed && !r.tools.is_empty(),
            prompts_list_changed: p.notifications.prompts_list_changed && !r.prompts.is_empty(),
            resources_list_changed: p.notifications.resources_list_changed && has_resources,
            resource_subscriptions: p
                .notifications
                .resource_subscriptions
                .into_iter()
                .filter(|uri| self.router.knows_resource(uri))
                .collect(),
        };
        if self.shutdown.is_cancelled() {
            return Err(McpError::internal("The server is shutting down"));
        }
        let meta = serde_json::json!({ SUBSCRIPTION_ID: id });
        let ack = jsonrpc::notification_bytes(
            "notifications/subscriptions/acknowledged",
            &serde_json::json!({ "_meta": meta, "notifications": honored }),
        );
        let closing = jsonrpc::result_bytes(id, &serde_json::json!({ "resultType": "complete", "_meta": meta }));
        let (guard, rx) = self.hub.listen(honored, id.clone());
        let mut ids = EventIds::none();
        let first = sse_event(&mut ids, &ack);
        let keep_alive = self.config.keep_alive.map(|d| (d, Box::pin(tokio::time::sleep(d))));
        Ok(sse_response(McpBody::get_stream(GetStream {
            rx,
            first: Some(first),
            closing: Some(closing),
            keep_alive,
            shutdown: Box::pin(CancellationToken::clone(&self.shutdown).cancelled_owned()),
            ids,
            _guard: Box::new(guard),
        })))
    }
}
