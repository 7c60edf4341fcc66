//! Method dispatch: one JSON-RPC request in, either a finished response or
//! a handler future that produces it. Transport-neutral: the HTTP endpoint
//! decides how the result and any notifications travel.
//!
//! Both generations share this code; they differ only in how results are
//! written (`Writer`), which error code an unknown resource gets, and, for
//! 2026 requests, the input-required suspension of handlers (`Mrtr`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::future::{Future, poll_fn};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use http::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::context::{ContextInner, LogPolicy, RequestContext};
use crate::error::{ErrorCode, McpError};
use crate::hub::Notifier;
use crate::jsonrpc::{self, RequestId};
use crate::model::{CallToolResult, CompleteRequest, CompletionReference, GetPromptResult, Meta};
use crate::outbox::{Outbox, PendingRequests};
use crate::router::{CacheHint, ResourceRequest, Router, RouterInner};
use crate::stateless::meta::Named;
use crate::stateless::meta::SERVER_INFO;
use crate::stateless::mrtr::{Mrtr, Sealer};
use crate::stateless::{Principal, RequestStateKey};
use crate::version::ProtocolVersion;

/// What a 2026 request needs for input-required results.
pub(crate) struct StatelessEnv {
    pub(crate) key: RequestStateKey,
    pub(crate) ttl: Duration,
}

/// What a handler may need from the transport and the session.
pub(crate) struct CallEnv {
    pub(crate) protocol_version: ProtocolVersion,
    pub(crate) session_id: Option<Arc<str>>,
    pub(crate) log: LogPolicy,
    pub(crate) client_capabilities: crate::context::ClientCaps,
    pub(crate) http: Option<http::request::Parts>,
    pub(crate) outbox: Option<Outbox>,
    pub(crate) pending: Option<Arc<PendingRequests>>,
    pub(crate) client_request_timeout: Duration,
    pub(crate) notifier: Option<Notifier>,
    /// Present for 2026-07-28 requests.
    pub(crate) stateless: Option<StatelessEnv>,
    /// The request's `_meta` (an object), when the endpoint already read it.
    pub(crate) meta: Option<Box<RawValue>>,
    /// The router's shared state (`RouterBuilder::state`).
    pub(crate) state: Arc<http::Extensions>,
}

/// A finished answer: HTTP status and the JSON-RPC message.
pub(crate) struct Output {
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
}

impl Output {
    fn ok(body: Bytes) -> Self {
        Self { status: StatusCode::OK, body }
    }
}

/// The outcome of dispatching one request.
pub(crate) enum Dispatched {
    /// The full response message.
    Done(Bytes),
    /// A handler is running; its future yields the response message.
    Call(HandlerCall),
}

pub(crate) struct HandlerCall {
    pub(crate) fut: BoxFuture<'static, Output>,
    pub(crate) ctx: RequestContext,
}

/// How results are written for the request's generation.
#[derive(Clone)]
enum Writer {
    Legacy,
    Modern { router: Router, cache: Option<CacheHint> },
}

/// Result types that may carry their own `_meta` (where a 2026 response
/// puts the server's identity).
trait ResultBody: Serialize {
    fn put_server_info(&mut self, _info: &Value) -> bool {
        false
    }

    /// Writes the result's JSON; `false` when it did not serialize.
    fn write_json(&self, buf: &mut Vec<u8>) -> bool {
        serde_json::to_writer(buf, self).is_ok()
    }
}

/// Puts the server's identity into a result's own `_meta`, when it has
/// one; otherwise the writer splices the cached bytes (no map, no clone).
fn put_info(meta: &mut Option<Meta>, info: &Value) -> bool {
    match meta {
        Some(m) => {
            m.insert(SERVER_INFO.into(), info.clone());
            true
        }
        None => false,
    }
}

impl ResultBody for CallToolResult {
    fn put_server_info(&mut self, info: &Value) -> bool {
        put_info(&mut self.meta, info)
    }

    fn write_json(&self, buf: &mut Vec<u8>) -> bool {
        self.write_text_only(buf) || serde_json::to_writer(buf, self).is_ok()
    }
}

impl ResultBody for GetPromptResult {
    fn put_server_info(&mut self, info: &Value) -> bool {
        put_info(&mut self.meta, info)
    }
}

#[derive(Serialize)]
struct Read<T> {
    contents: T,
}
impl<T: Serialize> ResultBody for Read<T> {}

#[derive(Serialize)]
struct Complete<T> {
    completion: T,
}
impl<T: Serialize> ResultBody for Complete<T> {}

impl ResultBody for Value {}

const COMPLETE: &[u8] = br#""resultType":"complete""#;
const INPUT_REQUIRED: &[u8] = br#""resultType":"input_required""#;

impl Writer {
    fn write<T: ResultBody>(&self, id: &RequestId, value: T) -> Bytes {
        self.write_as(id, value, COMPLETE)
    }

    /// `kind` is the 2026 `resultType` member, written as is.
    fn write_as<T: ResultBody>(&self, id: &RequestId, mut value: T, kind: &'static [u8]) -> Bytes {
        let Self::Modern { router, cache } = self else {
            return jsonrpc::result_bytes_by(id, &[], |buf| value.write_json(buf));
        };
        let r = &*router.inner;
        let has_meta = value.put_server_info(&r.server_info);
        let cache_fields = cache.map(|c| c.json_fields());
        let mut fields: [&[u8]; 3] = [kind, b"", b""];
        let mut n = 1;
        if !has_meta {
            fields[n] = &r.server_info_meta;
            n += 1;
        }
        if let Some(c) = &cache_fields {
            fields[n] = c.as_bytes();
            n += 1;
        }
        jsonrpc::result_bytes_by(id, &fields[..n], |buf| value.write_json(buf))
    }

    fn error(&self, id: &RequestId, e: &McpError) -> Bytes {
        jsonrpc::error_bytes(Some(id), e)
    }
}

fn parse_params<'a, T: Deserialize<'a>>(params: Option<&'a RawValue>) -> Result<T, McpError> {
    let raw = params.map_or("{}", RawValue::get);
    serde_json::from_str(raw).map_err(|e| McpError::invalid_params(format!("Invalid params: {e}")))
}

/// The request's `_meta`: what the endpoint already read (2026), or the
/// raw member checked here (2025); `null` counts as absent. It stays JSON
/// text until a handler looks at it (`MetaCell`).
fn request_meta(env: &CallEnv, raw: Option<&RawValue>) -> Result<Option<Box<RawValue>>, McpError> {
    match (&env.meta, raw) {
        (Some(_), _) | (None, None) => Ok(None),
        (None, Some(raw)) if raw.get() == "null" => Ok(None),
        (None, Some(raw)) if raw.get().starts_with('{') => Ok(Some(raw.to_owned())),
        (None, Some(_)) => Err(McpError::invalid_params("Invalid params: _meta must be an object")),
    }
}

/// A member that may be absent, `null`, or a value.
#[derive(Default)]
enum Present<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Present<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(d)?.map_or(Self::Null, Self::Value))
    }
}

/// The MRTR members of a retried request (`inputResponses`, `requestState`).
#[derive(Default)]
struct Retry {
    input_responses: Present<Value>,
    request_state: Present<Value>,
}

#[derive(Deserialize)]
struct CursorParams<'a> {
    #[serde(borrow, default, deserialize_with = "jsonrpc::opt_cow")]
    cursor: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallToolParams<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow, default)]
    arguments: Option<&'a RawValue>,
    /// Left unparsed: a 2026 request's `_meta` was already parsed (and
    /// arrives in `CallEnv::meta`); a 2025 one is parsed only here.
    #[serde(rename = "_meta", borrow, default)]
    meta: Option<&'a RawValue>,
    #[serde(default)]
    input_responses: Present<Value>,
    #[serde(default)]
    request_state: Present<Value>,
}

impl<'a> CallToolParams<'a> {
    /// From the members the endpoint already read with `_meta` (2026): the
    /// same checks as deserializing params, without reading them again.
    fn from_named(n: Named<'a>) -> Result<Self, McpError> {
        let invalid = |why: &str| McpError::invalid_params(format!("Invalid params: {why}"));
        let name = match n.name {
            None => return Err(invalid("missing field `name`")),
            Some(raw) => jsonrpc::raw_str(raw).ok_or_else(|| invalid("name must be a string"))?,
        };
        let present = |raw: Option<&RawValue>| -> Result<Present<Value>, McpError> {
            match raw {
                None => Ok(Present::Absent),
                Some(r) => serde_json::from_str(r.get()).map_err(|e| invalid(&e.to_string())),
            }
        };
        Ok(Self {
            name,
            arguments: n.arguments,
            // Already in `CallEnv::meta`.
            meta: None,
            input_responses: present(n.input_responses)?,
            request_state: present(n.request_state)?,
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReadParams<'a> {
    uri: String,
    #[serde(rename = "_meta", borrow, default)]
    meta: Option<&'a RawValue>,
    #[serde(default)]
    input_responses: Present<Value>,
    #[serde(default)]
    request_state: Present<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetPromptParams<'a> {
    name: String,
    #[serde(default)]
    arguments: Option<HashMap<String, String>>,
    #[serde(rename = "_meta", borrow, default)]
    meta: Option<&'a RawValue>,
    #[serde(default)]
    input_responses: Present<Value>,
    #[serde(default)]
    request_state: Present<Value>,
}

#[derive(Deserialize)]
struct CompleteParams<'a> {
    #[serde(rename = "ref")]
    reference: CompletionReference,
    argument: CompleteArgument,
    #[serde(default)]
    context: Option<CompleteContext>,
    #[serde(rename = "_meta", borrow, default)]
    meta: Option<&'a RawValue>,
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

/// Names the handler in logs when it panics.
enum Label {
    /// A tool's name, shared with the router (no copy per call).
    Shared(Arc<str>),
    Owned(String),
}

impl Label {
    fn as_str(&self) -> &str {
        match self {
            Self::Shared(s) => s,
            Self::Owned(s) => s,
        }
    }
}

/// Runs the synchronous part of a handler (argument parsing, the closure
/// body before its first `.await`) with panics caught.
fn guard_sync<T>(label: &Label, f: impl FnOnce() -> T) -> Result<T, McpError> {
    std::panic::catch_unwind(AssertUnwindSafe(f)).map_err(|panic| panicked(label, &*panic))
}

fn panicked(label: &Label, panic: &(dyn std::any::Any + Send)) -> McpError {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".into());
    tracing::error!(handler = %label.as_str(), panic = %what, "handler panicked");
    // The payload stays in the server log: it may hold anything.
    McpError::internal(format!("Internal error: {} panicked", label.as_str()))
}

/// Wraps a handler future: catches panics, honours cancellation, ends a
/// suspended 2026 round with its input-required result, and writes the
/// response message.
fn run<T, F>(id: RequestId, ctx: RequestContext, label: Label, writer: Writer, fut: F) -> HandlerCall
where
    T: ResultBody + Send + 'static,
    F: Future<Output = Result<T, McpError>> + Send + 'static,
{
    let this = ctx.clone();
    let fut = async move {
        // Read at the first poll, after the endpoint tracked the request
        // (a session's token exists by then); without a token nothing can
        // cancel it, and there is nothing to wait on.
        let cancel = this.cancel_token_if_made();
        let cancelled = async {
            match cancel {
                Some(token) => token.cancelled().await,
                None => std::future::pending().await,
            }
        };
        let mrtr = this.mrtr();
        let mut guarded = std::pin::pin!(AssertUnwindSafe(fut).catch_unwind());
        // A 2026 handler that asked for input is suspended forever; end the
        // round as soon as it yields with input requested.
        let outcome = poll_fn(|cx| match guarded.as_mut().poll(cx) {
            Poll::Ready(out) => Poll::Ready(Ok(out)),
            Poll::Pending => match mrtr.as_ref().and_then(|m| m.suspended()) {
                Some(s) => Poll::Ready(Err(s)),
                None => Poll::Pending,
            },
        });
        tokio::select! {
            biased;
            () = cancelled => Output::ok(writer.error(&id, &McpError::new(ErrorCode::REQUEST_CANCELLED, "Request cancelled"))),
            out = outcome => match out {
                Ok(Ok(Ok(v))) => Output::ok(writer.write(&id, v)),
                Ok(Ok(Err(e))) => Output::ok(writer.error(&id, &e)),
                Ok(Err(panic)) => Output::ok(writer.error(&id, &panicked(&label, &*panic))),
                Err(Ok(input_required)) => {
                    // Interim results carry no cache hints.
                    let w = match writer {
                        Writer::Modern { router, .. } => Writer::Modern { router, cache: None },
                        w => w,
                    };
                    Output::ok(w.write_as(&id, input_required, INPUT_REQUIRED))
                }
                Err(Err((status, e))) => Output { status, body: writer.error(&id, &e) },
            },
        }
    };
    HandlerCall { fut: Box::pin(fut), ctx }
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
