//! Method dispatch: one JSON-RPC request in, either a finished response or
//! a handler future that produces it. Transport-neutral: the HTTP endpoint
//! decides how the result and any notifications travel.

use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use tokio_util::sync::CancellationToken;

use crate::context::{ContextInner, RequestContext};
use crate::error::{ErrorCode, McpError};
use crate::jsonrpc::{self, RequestId};
use crate::model::{CompleteRequest, CompletionReference, LogLevel, Meta};
use crate::outbox::{Outbox, PendingRequests};
use crate::router::{ResourceRequest, Router, RouterInner};
use crate::version::ProtocolVersion;

/// What a handler may need from the transport and the session.
pub(crate) struct CallEnv {
    pub(crate) protocol_version: ProtocolVersion,
    pub(crate) session_id: Option<Arc<str>>,
    pub(crate) log_level: Option<LogLevel>,
    pub(crate) client_capabilities: Option<Arc<Value>>,
    pub(crate) http: Option<Arc<http::request::Parts>>,
    pub(crate) outbox: Option<Arc<Outbox>>,
    pub(crate) pending: Option<Arc<PendingRequests>>,
    pub(crate) client_request_timeout: Duration,
}

/// The outcome of dispatching one request.
pub(crate) enum Dispatched {
    /// The full response message.
    Done(Bytes),
    /// A handler is running; its future yields the response message.
    Call(HandlerCall),
}

pub(crate) struct HandlerCall {
    pub(crate) fut: BoxFuture<'static, Bytes>,
    pub(crate) ctx: RequestContext,
}

fn parse_params<'a, T: Deserialize<'a>>(params: Option<&'a RawValue>) -> Result<T, McpError> {
    let raw = params.map_or("{}", RawValue::get);
    serde_json::from_str(raw).map_err(|e| McpError::invalid_params(format!("Invalid params: {e}")))
}

#[derive(Deserialize)]
struct CursorParams<'a> {
    #[serde(borrow, default)]
    cursor: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct CallToolParams<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow, default)]
    arguments: Option<&'a RawValue>,
    #[serde(rename = "_meta", default)]
    meta: Option<Meta>,
}

#[derive(Deserialize)]
struct ReadParams {
    uri: String,
    #[serde(rename = "_meta", default)]
    meta: Option<Meta>,
}

#[derive(Deserialize)]
struct GetPromptParams {
    name: String,
    #[serde(default)]
    arguments: Option<HashMap<String, String>>,
    #[serde(rename = "_meta", default)]
    meta: Option<Meta>,
}

#[derive(Deserialize)]
struct CompleteParams {
    #[serde(rename = "ref")]
    reference: CompletionReference,
    argument: CompleteArgument,
    #[serde(default)]
    context: Option<CompleteContext>,
    #[serde(rename = "_meta", default)]
    meta: Option<Meta>,
}

#[derive(Deserialize)]
struct CompleteArgument {
    name: String,
    value: String,
}

#[derive(Deserialize)]
struct CompleteContext {
    #[serde(default)]
    arguments: Option<HashMap<String, String>>,
}

/// Dispatches every method that does not touch session state.
pub(crate) fn dispatch(
    router: &Router,
    id: RequestId,
    method: &str,
    params: Option<&RawValue>,
    env: CallEnv,
) -> Dispatched {
    match dispatch_inner(router, &id, method, params, env) {
        Ok(d) => d,
        Err(e) => Dispatched::Done(jsonrpc::error_bytes(Some(&id), &e)),
    }
}

fn dispatch_inner(
    router: &Router,
    id: &RequestId,
    method: &str,
    params: Option<&RawValue>,
    env: CallEnv,
) -> Result<Dispatched, McpError> {
    let r = &*router.inner;
    let list = |pages: &[Bytes], key: &str| -> Result<Dispatched, McpError> {
        let p: CursorParams<'_> = parse_params(params)?;
        let page = RouterInner::page(pages, key, p.cursor.as_deref())?;
        Ok(Dispatched::Done(jsonrpc::raw_result_bytes(id, page)))
    };
    match method {
        "ping" => Ok(Dispatched::Done(jsonrpc::raw_result_bytes(id, b"{}"))),
        "tools/list" => list(&r.pages.tools, "tools"),
        "resources/list" => list(&r.pages.resources, "resources"),
        "resources/templates/list" => list(&r.pages.templates, "resourceTemplates"),
        "prompts/list" => list(&r.pages.prompts, "prompts"),
        "tools/call" => {
            let p: CallToolParams<'_> = parse_params(params)?;
            if p.arguments.is_some_and(|a| !matches!(a.get().as_bytes().first(), Some(b'{' | b'n'))) {
                return Err(McpError::invalid_params("Invalid params: arguments must be an object"));
            }
            let tool = r
                .tool_index
                .get(p.name.as_ref())
                .map(|&i| &r.tools[i])
                .ok_or_else(|| McpError::invalid_params(format!("Unknown tool: {}", p.name)))?;
            let ctx = context(id, p.meta, env);
            let label = ToolLabel(tool.info.name.clone());
            let fut = guard_sync(&label, || (tool.call)(ctx.clone(), p.arguments))?;
            Ok(Dispatched::Call(run(id.clone(), ctx, label, fut.map(Ok::<_, McpError>))))
        }
        "resources/read" => {
            let p: ReadParams = parse_params(params)?;
            let (read, params) = if let Some(&i) = r.resource_index.get(&p.uri) {
                (r.resources[i].read.clone(), HashMap::new())
            } else {
                r.templates
                    .iter()
                    .find_map(|t| t.matcher.matches(&p.uri).map(|vars| (t.def.read.clone(), vars)))
                    .ok_or_else(|| McpError::resource_not_found(&p.uri))?
            };
            let ctx = context(id, p.meta, env);
            let label = ToolLabel(format!("resource {}", p.uri));
            let req = ResourceRequest { uri: p.uri, params };
            let fut = guard_sync(&label, || read(ctx.clone(), req))?;
            #[derive(Serialize)]
            struct Read<T> {
                contents: T,
            }
            Ok(Dispatched::Call(run(id.clone(), ctx, label, fut.map(|r| r.map(|contents| Read { contents })))))
        }
        "prompts/get" => {
            let p: GetPromptParams = parse_params(params)?;
            let prompt = r
                .prompt_index
                .get(&p.name)
                .map(|&i| &r.prompts[i])
                .ok_or_else(|| McpError::invalid_params(format!("Unknown prompt: {}", p.name)))?;
            let args = p.arguments.unwrap_or_default();
            if let Some(missing) = prompt.info.arguments.iter().find(|a| a.required && !args.contains_key(&a.name)) {
                return Err(McpError::invalid_params(format!("Missing required argument: {}", missing.name)));
            }
            let ctx = context(id, p.meta, env);
            let label = ToolLabel(format!("prompt {}", p.name));
            let fut = guard_sync(&label, || (prompt.get)(ctx.clone(), args))?;
            Ok(Dispatched::Call(run(id.clone(), ctx, label, fut)))
        }
        "completion/complete" => {
            let p: CompleteParams = parse_params(params)?;
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
            #[derive(Serialize)]
            struct Complete<T> {
                completion: T,
            }
            let Some(completer) = completer else {
                // Nothing to suggest is an answer, not an error.
                return Ok(Dispatched::Done(jsonrpc::raw_result_bytes(id, br#"{"completion":{"values":[]}}"#)));
            };
            let ctx = context(id, p.meta, env);
            let req = CompleteRequest {
                reference: p.reference,
                argument: p.argument.name,
                value: p.argument.value,
                context: p.context.and_then(|c| c.arguments).unwrap_or_default(),
            };
            let label = ToolLabel("completion".into());
            let fut = guard_sync(&label, || completer(ctx.clone(), req))?;
            Ok(Dispatched::Call(run(id.clone(), ctx, label, fut.map(|r| r.map(|completion| Complete { completion })))))
        }
        _ => Err(McpError::method_not_found(method)),
    }
}

fn context(id: &RequestId, meta: Option<Meta>, env: CallEnv) -> RequestContext {
    RequestContext::new(ContextInner {
        id: id.clone(),
        meta,
        protocol_version: env.protocol_version,
        log_level: env.log_level,
        session_id: env.session_id,
        client_capabilities: env.client_capabilities,
        http: env.http,
        outbox: env.outbox,
        pending: env.pending,
        cancel: CancellationToken::new(),
        client_request_timeout: env.client_request_timeout,
    })
}

/// Names the handler in logs when it panics.
struct ToolLabel(String);

/// Runs the synchronous part of a handler (argument parsing, the closure
/// body before its first `.await`) with panics caught.
fn guard_sync<T>(label: &ToolLabel, f: impl FnOnce() -> T) -> Result<T, McpError> {
    std::panic::catch_unwind(AssertUnwindSafe(f)).map_err(|panic| panicked(label, &*panic))
}

fn panicked(label: &ToolLabel, panic: &(dyn std::any::Any + Send)) -> McpError {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".into());
    tracing::error!(handler = %label.0, panic = %what, "handler panicked");
    // The payload stays in the server log: it may hold anything.
    McpError::internal(format!("Internal error: {} panicked", label.0))
}

/// Wraps a handler future: catches panics, honours cancellation and writes
/// the response message.
fn run<T, F>(id: RequestId, ctx: RequestContext, label: ToolLabel, fut: F) -> HandlerCall
where
    T: Serialize,
    F: Future<Output = Result<T, McpError>> + Send + 'static,
{
    let cancel = ctx.cancel_token().clone();
    let fut = async move {
        let guarded = AssertUnwindSafe(fut).catch_unwind();
        tokio::select! {
            biased;
            () = cancel.cancelled() => {
                jsonrpc::error_bytes(Some(&id), &McpError::new(ErrorCode::REQUEST_CANCELLED, "Request cancelled"))
            }
            out = guarded => match out {
                Ok(Ok(v)) => jsonrpc::result_bytes(&id, &v),
                Ok(Err(e)) => jsonrpc::error_bytes(Some(&id), &e),
                Err(panic) => jsonrpc::error_bytes(Some(&id), &panicked(&label, &*panic)),
            },
        }
    };
    HandlerCall { fut: Box::pin(fut), ctx }
}

/// `initialize`: negotiates the revision and describes the server.
pub(crate) fn initialize(
    router: &Router,
    params: Option<&RawValue>,
    subscribe: bool,
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
    let version = ProtocolVersion::parse(&p.protocol_version).unwrap_or(ProtocolVersion::LATEST_INITIALIZE);
    let r = &*router.inner;
    let mut result = serde_json::Map::new();
    result.insert("protocolVersion".into(), Value::String(version.as_str().into()));
    result.insert("capabilities".into(), router.capabilities(subscribe));
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
