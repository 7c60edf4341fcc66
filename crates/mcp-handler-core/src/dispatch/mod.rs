//! Method dispatch: one JSON-RPC request in, either a finished response or
//! a handler future that produces it. Transport-neutral: the HTTP endpoint
//! decides how the result and any notifications travel.
//!
//! One module per method (or family of methods): each reads its params,
//! finds what the router registered, builds the handler's context with
//! [`context`] and starts the handler with `run`. Both generations share
//! this code; they differ only in how results are written (`Writer`),
//! which error code an unknown resource gets, and, for 2026 requests, the
//! input-required suspension of handlers (`Mrtr`).

use bytes::Bytes;
use serde_json::Value;

use crate::context::{MetaCell, RequestContext};
use crate::error::McpError;
use crate::jsonrpc::Params;
use crate::jsonrpc::{self, RequestId};
use crate::method::Method;
use crate::router::Router;
use crate::v2026::mrtr::{Mrtr, Seal, principal};

mod completion_complete;
mod env;
mod initialize;
mod lists;
mod params;
mod prompts_get;
mod resources_read;
mod run;
mod time_limit;
mod tools_call;
mod writer;

pub(crate) use env::{CallEnv, Dispatched, HandlerCall, Output, V2026Env};
pub(crate) use initialize::initialize;

use params::{Present, Retry, parse_params};
use writer::Writer;

/// Dispatches `method`: every method but those the endpoint answers
/// itself (`initialize`, session state, `server/discover`, listen streams).
pub(crate) fn dispatch(
    router: &Router,
    id: RequestId,
    method: Method,
    params: Option<&Params<'_>>,
    env: CallEnv,
) -> Dispatched {
    // Methods that read no params (`ping`) are refused alike.
    if let Err(e) = jsonrpc::object_params(params) {
        return Dispatched::Done(jsonrpc::error_bytes(Some(&id), &e));
    }
    let writer = match env.v2026 {
        Some(_) => Writer::V2026 { identity: router.identity(), cache: None },
        None => Writer::V2025,
    };
    let req = Req { router, id: &id, params, env, writer };
    let r = match method {
        Method::Ping => Ok(Dispatched::Done(jsonrpc::raw_result_bytes(&id, b"{}"))),
        Method::ToolsList | Method::ResourcesList | Method::ResourcesTemplatesList | Method::PromptsList => {
            lists::answer(req, method)
        }
        Method::ToolsCall => tools_call::dispatch(req),
        Method::ResourcesRead => resources_read::dispatch(req),
        Method::PromptsGet => prompts_get::dispatch(req),
        Method::CompletionComplete => completion_complete::dispatch(req),
        // Answered by the endpoint; reaching here means a generation that
        // does not have the method.
        Method::Initialize
        | Method::ServerDiscover
        | Method::SubscriptionsListen
        | Method::LoggingSetLevel
        | Method::ResourcesSubscribe
        | Method::ResourcesUnsubscribe => Err(McpError::method_not_found(method.as_str())),
    };
    match r {
        Ok(d) => d,
        Err(e) => Dispatched::Done(jsonrpc::error_bytes(Some(&id), &e)),
    }
}

/// One request as a method's module receives it.
struct Req<'a> {
    router: &'a Router,
    id: &'a RequestId,
    params: Option<&'a Params<'a>>,
    env: CallEnv,
    writer: Writer,
}

impl Req<'_> {
    fn is_2026(&self) -> bool {
        self.env.v2026.is_some()
    }
}

/// The handler's context: the environment, the request's `_meta` (what
/// the 2026 endpoint already read, or the 2025 params member checked
/// here; `null` counts as absent), and for a 2026 request of a method that
/// may ask for input (`target` given) its input side: empty on a first
/// round, the opened state and answers on a retry.
fn context(
    id: &RequestId,
    env: CallEnv,
    params_meta: Option<&str>,
    target: Option<Method>,
    retry: Retry,
) -> Result<RequestContext, McpError> {
    let CallEnv { env, v2026 } = env;
    let Some(v2026) = v2026 else {
        let meta = match params_meta {
            None => MetaCell::none(),
            Some("null") => MetaCell::none(),
            Some(raw) if raw.starts_with('{') => MetaCell::object(Bytes::copy_from_slice(raw.as_bytes())),
            Some(_) => return Err(McpError::invalid_params("Invalid params: _meta must be an object")),
        };
        return Ok(RequestContext::new(id.clone(), env, meta, None));
    };
    let Some(method) = target else {
        return Ok(RequestContext::new(id.clone(), env, MetaCell::in_params(v2026.params), None));
    };
    let input_responses = match retry.input_responses {
        Present::Absent => None,
        Present::Value(Value::Object(map)) => Some(map),
        Present::Null | Present::Value(_) => {
            return Err(McpError::invalid_params("Invalid params: inputResponses must be an object"));
        }
    };
    let request_state = match retry.request_state {
        Present::Absent => None,
        Present::Value(Value::String(s)) => Some(s),
        Present::Null | Present::Value(_) => {
            return Err(McpError::invalid_params("Invalid params: requestState must be a string"));
        }
    };
    let seal = Seal { key: v2026.key, ttl: v2026.ttl, method };
    let mrtr = if input_responses.is_none() && request_state.is_none() {
        Mrtr::first(seal)
    } else {
        let binding = |seal: &Seal| seal.binding(&v2026.params, principal(&env));
        Mrtr::retry(seal, binding, request_state.as_deref(), input_responses.unwrap_or_default())?
    };
    Ok(RequestContext::new(id.clone(), env, MetaCell::in_params(v2026.params), Some(mrtr)))
}

/// Parses params of the methods the endpoint handles itself (session
/// state, `subscriptions/listen`).
pub(crate) fn session_params<T: serde::de::DeserializeOwned>(params: Option<&Params<'_>>) -> Result<T, McpError> {
    parse_params(params)
}
