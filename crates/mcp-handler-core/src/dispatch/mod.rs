//! Method dispatch: one JSON-RPC request in, either a finished response or
//! a handler future that produces it. Transport-neutral: the HTTP endpoint
//! decides how the result and any notifications travel.
//!
//! Both generations share this code; they differ only in how results are
//! written (`Writer`), which error code an unknown resource gets, and, for
//! 2026 requests, the input-required suspension of handlers (`Mrtr`).

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::FutureExt as _;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::context::{ContextInner, RequestContext};
use crate::error::{ErrorCode, McpError};
use crate::jsonrpc::{self, RequestId};
use crate::model::{CompleteRequest, CompletionReference};
use crate::router::{ResourceRequest, Router, RouterInner};
use crate::stateless::Principal;
use crate::stateless::meta::Named;
use crate::stateless::mrtr::{Mrtr, Sealer};
use crate::version::ProtocolVersion;

mod env;
mod params;
mod run;
mod writer;

pub(crate) use env::{CallEnv, Dispatched, HandlerCall, Output, StatelessEnv};

use params::{
    CallToolParams, CompleteParams, CursorParams, GetPromptParams, Present, ReadParams, Retry, parse_params,
    request_meta,
};
use run::{Label, guard_sync, run};
use writer::{Complete, Read, Writer};

/// Dispatches every method that does not touch session state.
pub(crate) fn dispatch(
    router: &Router,
    id: RequestId,
    method: &str,
    params: Option<&RawValue>,
    named: Option<Named<'_>>,
    env: CallEnv,
) -> Dispatched {
    let writer = match env.stateless {
        Some(_) => Writer::Modern { router: router.clone(), cache: None },
        None => Writer::Legacy,
    };
    match dispatch_inner(router, &id, method, params, named, env, writer) {
        Ok(d) => d,
        Err(e) => Dispatched::Done(jsonrpc::error_bytes(Some(&id), &e)),
    }
}

fn dispatch_inner(
    router: &Router,
    id: &RequestId,
    method: &str,
    params: Option<&RawValue>,
    named: Option<Named<'_>>,
    env: CallEnv,
    writer: Writer,
) -> Result<Dispatched, McpError> {
    let r = &*router.inner;
    let modern = env.stateless.is_some();
    let list = |legacy: &[Bytes], current: &[Bytes], key: &str| -> Result<Dispatched, McpError> {
        let p: CursorParams<'_> = parse_params(params)?;
        let pages = if modern { current } else { legacy };
        let page = RouterInner::page(pages, key, p.cursor.as_deref())?;
        Ok(Dispatched::Done(jsonrpc::raw_result_bytes(id, page)))
    };
    match method {
        "ping" => Ok(Dispatched::Done(jsonrpc::raw_result_bytes(id, b"{}"))),
        "tools/list" => list(&r.pages.tools, &r.pages.tools_modern, "tools"),
        "resources/list" => list(&r.pages.resources, &r.pages.resources_modern, "resources"),
        "resources/templates/list" => list(&r.pages.templates, &r.pages.templates_modern, "resourceTemplates"),
        "prompts/list" => list(&r.pages.prompts, &r.pages.prompts_modern, "prompts"),
        "tools/call" => {
            let p: CallToolParams<'_> = match named {
                Some(n) => CallToolParams::from_named(n)?,
                None => parse_params(params)?,
            };
            if p.arguments.is_some_and(|a| !matches!(a.get().as_bytes().first(), Some(b'{' | b'n'))) {
                return Err(McpError::invalid_params("Invalid params: arguments must be an object"));
            }
            let tool = r
                .tool_index
                .get(p.name.as_ref())
                .map(|&i| &r.tools[i])
                .ok_or_else(|| McpError::invalid_params(format!("Unknown tool: {}", p.name)))?;
            // Only a 2026 request can be suspended for input, and only then are
            // the arguments sealed into the request state.
            let args = if modern { p.arguments.map(|a| a.get().to_owned()) } else { None };
            let meta = request_meta(&env, p.meta)?;
            let retry = Retry { input_responses: p.input_responses, request_state: p.request_state };
            let ctx = context(id, meta, env, "tools/call", &p.name, args, retry)?;
            let label = Label::Shared(tool.label.clone());
            let fut = guard_sync(&label, || (tool.call)(&ctx, p.arguments))?;
            Ok(Dispatched::Call(run(id.clone(), ctx, label, writer, fut.map(Ok::<_, McpError>))))
        }
        "resources/read" => {
            let p: ReadParams<'_> = parse_params(params)?;
            let found = if let Some(&i) = r.resource_index.get(&p.uri) {
                Some((r.resources[i].read.clone(), HashMap::new(), r.resources[i].cache))
            } else {
                r.templates
                    .iter()
                    .find_map(|t| t.matcher.matches(&p.uri).map(|vars| (t.def.read.clone(), vars, t.def.cache)))
            };
            let Some((read, vars, cache)) = found else {
                // 2026-07-28 moved "not found" to -32602 (SEP-2164).
                let e = McpError::resource_not_found(&p.uri);
                return Err(if modern { McpError { code: ErrorCode::INVALID_PARAMS, ..e } } else { e });
            };
            let meta = request_meta(&env, p.meta)?;
            let ctx = context(
                id,
                meta,
                env,
                "resources/read",
                &p.uri,
                None,
                Retry { input_responses: p.input_responses, request_state: p.request_state },
            )?;
            let label = Label::Owned(format!("resource {}", p.uri));
            let req = ResourceRequest { uri: p.uri, params: vars };
            let fut = guard_sync(&label, || read(&ctx, req))?;
            let writer = match writer {
                Writer::Modern { router, .. } => Writer::Modern { router, cache: Some(cache) },
                w => w,
            };
            Ok(Dispatched::Call(run(id.clone(), ctx, label, writer, fut.map(|r| r.map(|contents| Read { contents })))))
        }
        "prompts/get" => {
            let p: GetPromptParams<'_> = parse_params(params)?;
            let prompt = r
                .prompt_index
                .get(&p.name)
                .map(|&i| &r.prompts[i])
                .ok_or_else(|| McpError::invalid_params(format!("Unknown prompt: {}", p.name)))?;
            let args = p.arguments.unwrap_or_default();
            if let Some(missing) = prompt.info.arguments.iter().find(|a| a.required && !args.contains_key(&a.name)) {
                return Err(McpError::invalid_params(format!("Missing required argument: {}", missing.name)));
            }
            let raw_args = if modern { serde_json::to_string(&args).ok() } else { None };
            let meta = request_meta(&env, p.meta)?;
            let ctx = context(
                id,
                meta,
                env,
                "prompts/get",
                &p.name,
                raw_args,
                Retry { input_responses: p.input_responses, request_state: p.request_state },
            )?;
            let label = Label::Owned(format!("prompt {}", p.name));
            let fut = guard_sync(&label, || (prompt.get)(&ctx, args))?;
            Ok(Dispatched::Call(run(id.clone(), ctx, label, writer, fut)))
        }
        "completion/complete" => {
            let p: CompleteParams<'_> = parse_params(params)?;
            let completer = match &p.reference {
                CompletionReference::Prompt { name } => {
                    let prompt = r
                        .prompt_index
                        .get(name)
                        .map(|&i| &r.prompts[i])
                        .ok_or_else(|| McpError::invalid_params(format!("Unknown prompt: {name}")))?;
                    prompt.completers.get(&p.argument.name).cloned()
                }
                CompletionReference::Resource { uri } => {
                    let template = r
                        .templates
                        .iter()
                        .find(|t| &t.def.info.uri_template == uri)
                        .ok_or_else(|| McpError::invalid_params(format!("Unknown resource template: {uri}")))?;
                    template.def.completers.get(&p.argument.name).cloned()
                }
            };
            let Some(completer) = completer else {
                // Nothing to suggest is an answer, not an error.
                let empty = Complete { completion: serde_json::json!({ "values": [] }) };
                return Ok(Dispatched::Done(writer.write(id, empty)));
            };
            // Completion is not one of the methods that may ask for input.
            let meta = request_meta(&env, p.meta)?;
            let ctx = context(
                id,
                meta,
                CallEnv { stateless: None, ..env },
                "completion/complete",
                "",
                None,
                Retry::default(),
            )?;
            let req = CompleteRequest {
                reference: p.reference,
                argument: p.argument.name,
                value: p.argument.value,
                context: p.context.and_then(|c| c.arguments).unwrap_or_default(),
            };
            let label = Label::Owned("completion".into());
            let fut = guard_sync(&label, || completer(ctx.clone(), req))?;
            Ok(Dispatched::Call(run(
                id.clone(),
                ctx,
                label,
                writer,
                fut.map(|r| r.map(|completion| Complete { completion })),
            )))
        }
        _ => Err(McpError::method_not_found(method)),
    }
}

fn context(
    id: &RequestId,
    meta: Option<Box<RawValue>>,
    env: CallEnv,
    method: &'static str,
    name: &str,
    arguments: Option<String>,
    retry: Retry,
) -> Result<RequestContext, McpError> {
    let mrtr = match env.stateless {
        None => None,
        Some(s) => {
            let input_responses = match retry.input_responses {
                Present::Absent => Map::new(),
                Present::Value(Value::Object(map)) => map,
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
            let principal = env.http.as_ref().and_then(|p| p.extensions.get::<Principal>()).map(|p| p.0.clone());
            let sealer = Sealer { key: s.key, ttl: s.ttl, method, name: name.to_owned(), arguments, principal };
            Some(Arc::new(Mrtr::new(sealer, request_state.as_deref(), input_responses)?))
        }
    };
    Ok(RequestContext::new(ContextInner {
        id: id.clone(),
        meta: crate::context::MetaCell::new(env.meta.or(meta)),
        protocol_version: env.protocol_version,
        log: env.log,
        session_id: env.session_id,
        client_capabilities: env.client_capabilities,
        http: env.http,
        outbox: env.outbox,
        pending: env.pending,
        cancel: std::sync::OnceLock::new(),
        client_request_timeout: env.client_request_timeout,
        mrtr,
        notifier: env.notifier,
        state: env.state,
    }))
}

/// `initialize`: negotiates the revision and describes the server.
pub(crate) fn initialize(
    router: &Router,
    params: Option<&RawValue>,
    notifications: bool,
) -> Result<(ProtocolVersion, Value, Value, Value), McpError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct InitParams {
        protocol_version: String,
        #[serde(default)]
        capabilities: Value,
        #[serde(default)]
        client_info: Value,
    }
    let p: InitParams = parse_params(params)?;
    if !p.capabilities.is_object() && !p.capabilities.is_null() {
        return Err(McpError::invalid_params("Invalid params: capabilities must be an object"));
    }
    let version = ProtocolVersion::parse(&p.protocol_version)
        .filter(|v| !v.is_stateless())
        .unwrap_or(ProtocolVersion::LATEST_INITIALIZE);
    let r = &*router.inner;
    let mut result = serde_json::Map::new();
    result.insert("protocolVersion".into(), Value::String(version.as_str().into()));
    result.insert("capabilities".into(), router.capabilities(notifications));
    result.insert("serverInfo".into(), serde_json::to_value(&r.info)?);
    if let Some(text) = &r.instructions {
        result.insert("instructions".into(), Value::String(text.clone()));
    }
    let caps = if p.capabilities.is_null() { Value::Object(Default::default()) } else { p.capabilities };
    Ok((version, Value::Object(result), caps, p.client_info))
}

/// Parses params of the session-touching methods the endpoint handles.
pub(crate) fn session_params<T: DeserializeOwned>(params: Option<&RawValue>) -> Result<T, McpError> {
    parse_params(params)
}
