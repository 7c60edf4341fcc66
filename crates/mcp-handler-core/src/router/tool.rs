//! Tools: a builder for the listing, then a handler makes the tool.

use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::Serialize;
use serde_json::{Map, Value};

use super::extract::{Call, CallInput, RejectionKind};
use super::handler::Handler;
use super::needs::Needs;
use super::tool_result::{IntoToolResult, NoArgs};
use crate::context::RequestContext;
use crate::jsonrpc::RawJson;
use crate::model::{CallToolResult, Icon, Meta, ToolAnnotations};

pub(crate) use super::tool_result::schema_value;

/// The erased handler: extracts its own parameters, so that typed tools
/// deserialize straight from the borrowed request body, and clones the
/// context only when a parameter asks for it.
pub(crate) type ToolFn =
    dyn Fn(&RequestContext, Option<RawJson<'_>>) -> BoxFuture<'static, CallToolResult> + Send + Sync;

/// A tool as listed by `tools/list`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ToolInfo {
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    pub(crate) input_schema: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) output_schema: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) annotations: Option<ToolAnnotations>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) icons: Vec<Icon>,
    #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
    pub(crate) meta: Option<Meta>,
}

/// A tool under construction: name and metadata first, then a handler,
/// which makes the [`Tool`].
///
/// ```
/// use mcp_handler_core::Tool;
/// let tool = Tool::builder("now")
///     .description("The server's clock")
///     .handler(|| async { "12:00" });
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ToolBuilder {
    info: ToolInfo,
    timeout: Option<std::time::Duration>,
    rate_limit: Option<crate::http::RateLimit>,
    audit_arguments: bool,
}

/// A tool with its handler, ready to register on a router
/// ([`RouterBuilder::tool`](super::RouterBuilder::tool)).
#[must_use]
pub struct Tool {
    pub(crate) info: ToolInfo,
    pub(crate) call: Arc<ToolFn>,
    /// The name again, shared, for what keys on it without a copy: the
    /// audit event and the tool's rate-limit buckets.
    pub(crate) label: Arc<str>,
    pub(crate) needs: Needs,
    /// This tool's own time limit (else the router's, see
    /// [`RouterBuilder::tool_timeout`](super::RouterBuilder::tool_timeout)).
    pub(crate) timeout: Option<std::time::Duration>,
    /// Calls of this tool a client may make, besides the endpoint's limit.
    pub(crate) rate_limit: Option<crate::http::RateLimit>,
    /// Whether the audit event writes this tool's argument values.
    pub(crate) audit_arguments: bool,
}

/// The finished tool's old name.
#[deprecated(since = "0.2.0", note = "renamed to `Tool`; its builder is `ToolBuilder`")]
pub type ToolDef = Tool;

impl std::fmt::Debug for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tool").field("name", &self.info.name).finish_non_exhaustive()
    }
}

impl Tool {
    /// Starts a tool named `name` (1–128 characters of `A-Za-z0-9_-.`).
    pub fn builder(name: impl Into<String>) -> ToolBuilder {
        ToolBuilder::new(name)
    }

    /// Starts a tool named `name`: the old spelling of [`Tool::builder`].
    #[deprecated(since = "0.2.0", note = "use `Tool::builder`: `Tool` is now the finished tool")]
    #[allow(clippy::new_ret_no_self)]
    pub fn new(name: impl Into<String>) -> ToolBuilder {
        ToolBuilder::new(name)
    }

    /// The tool's name.
    pub fn name(&self) -> &str {
        &self.info.name
    }
}

impl ToolBuilder {
    /// A tool named `name` (1–128 characters of `A-Za-z0-9_-.`).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            info: ToolInfo {
                name: name.into(),
                title: None,
                description: None,
                input_schema: Value::Null,
                output_schema: None,
                annotations: None,
                icons: Vec::new(),
                meta: None,
            },
            timeout: None,
            rate_limit: None,
            audit_arguments: false,
        }
    }
    /// What the tool does; models read this to decide when to call it.
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.info.description = Some(d.into());
        self
    }
    /// How long a call may run before it is answered with a tool error
    /// (`isError: true`, "timed out"); overrides the router's default
    /// ([`RouterBuilder::tool_timeout`](super::RouterBuilder::tool_timeout)).
    /// On Lambda the invocation's deadline, less a margin, caps it.
    pub fn timeout(mut self, limit: std::time::Duration) -> Self {
        self.timeout = Some(limit);
        self
    }
    /// Limits each client's calls of this tool (a token bucket per session,
    /// principal or address, besides the endpoint's own limit); beyond it
    /// the call gets `429` with `Retry-After`.
    pub fn rate_limit(mut self, limit: crate::http::RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }
    /// Writes this tool's argument values into its audit events (see
    /// [`audit`](crate::audit)); by default they carry only a digest.
    /// For tools whose arguments are never sensitive.
    pub fn audit_arguments(mut self) -> Self {
        self.audit_arguments = true;
        self
    }
    /// Human-readable title.
    pub fn title(mut self, t: impl Into<String>) -> Self {
        self.info.title = Some(t.into());
        self
    }
    /// Behaviour hints.
    pub fn annotations(mut self, a: ToolAnnotations) -> Self {
        self.info.annotations = Some(a);
        self
    }
    /// Adds an icon.
    pub fn icon(mut self, icon: Icon) -> Self {
        self.info.icons.push(icon);
        self
    }
    /// Sets `_meta` on the listing.
    pub fn meta(mut self, meta: Meta) -> Self {
        self.info.meta = Some(meta);
        self
    }
    /// Overrides the output schema (normally derived from a [`Json`](super::Json) return type).
    pub fn output_schema(mut self, schema: Value) -> Self {
        self.info.output_schema = Some(schema);
        self
    }

    /// The handler: an async function of extractors in any order (see
    /// [`FromCall`](super::FromCall)). The arguments parameter (`Args<T>`, or
    /// a bare `T`) gives the `inputSchema` and is deserialized from
    /// `arguments`; a handler without one takes no arguments. The return
    /// type may give an `outputSchema` (see [`Json`](super::Json)).
    /// Arguments that do not deserialize produce an `isError` result that
    /// tells the model what was wrong, as the 2025-11-25 spec asks.
    pub fn handler<H, T>(mut self, handler: H) -> Tool
    where
        H: Handler<T>,
        H::Output: IntoToolResult,
    {
        let mut needs = Needs::default();
        H::describe(&mut needs);
        self.info.input_schema = needs.schema.take().unwrap_or_else(schema_value::<NoArgs>);
        if self.info.output_schema.is_none() {
            self.info.output_schema = H::Output::output_schema();
        }
        let name: Arc<str> = self.info.name.as_str().into();
        let call = move |ctx: &RequestContext, raw: Option<RawJson<'_>>| -> BoxFuture<'static, CallToolResult> {
            match handler.call(&mut Call { ctx, input: CallInput::Tool(raw) }) {
                Ok(fut) => Box::pin(async move { fut.await.into_tool_result() }),
                Err(rejection) => {
                    let result = match rejection.0 {
                        RejectionKind::Arguments(e) => {
                            CallToolResult::error(format!("Invalid arguments for tool '{name}': {e}"))
                        }
                        RejectionKind::Error(e) => CallToolResult::error(e.message.into_owned()),
                    };
                    Box::pin(std::future::ready(result))
                }
            }
        };
        Tool {
            label: self.info.name.as_str().into(),
            info: self.info,
            call: Arc::new(call),
            needs,
            timeout: self.timeout,
            rate_limit: self.rate_limit,
            audit_arguments: self.audit_arguments,
        }
    }

    /// A handler over raw JSON arguments with a hand-written `inputSchema`
    /// (kept exactly as given, `$schema`, `$defs` and all).
    pub fn raw_handler<F, Fut, R>(mut self, input_schema: Value, f: F) -> Tool
    where
        F: Fn(RequestContext, Map<String, Value>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoToolResult + 'static,
    {
        self.info.input_schema = input_schema;
        let name: Arc<str> = self.info.name.as_str().into();
        let call = move |ctx: &RequestContext, raw: Option<RawJson<'_>>| -> BoxFuture<'static, CallToolResult> {
            let parsed = match raw {
                Some(raw) if raw.get() != "null" => serde_json::from_str::<Map<String, Value>>(raw.get()),
                _ => Ok(Map::new()),
            };
            match parsed {
                Ok(args) => {
                    let fut = f(ctx.clone(), args);
                    Box::pin(async move { fut.await.into_tool_result() })
                }
                Err(e) => {
                    let msg = format!("Invalid arguments for tool '{name}': {e}");
                    Box::pin(std::future::ready(CallToolResult::error(msg)))
                }
            }
        };
        Tool {
            label: self.info.name.as_str().into(),
            info: self.info,
            call: Arc::new(call),
            needs: Needs::default(),
            timeout: self.timeout,
            rate_limit: self.rate_limit,
            audit_arguments: self.audit_arguments,
        }
    }
}
