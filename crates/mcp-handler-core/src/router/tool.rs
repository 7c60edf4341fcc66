//! Tools: definitions, typed handlers and what a handler may return.

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::context::RequestContext;
use crate::model::{CallToolResult, Content, Icon, Meta, ToolAnnotations};

/// The erased handler: parses its own arguments so that typed tools
/// deserialize straight from the borrowed request body.
pub(crate) type ToolFn = dyn Fn(RequestContext, Option<&RawValue>) -> BoxFuture<'static, CallToolResult> + Send + Sync;

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

/// A tool under construction: name and metadata first, then a handler.
///
/// ```
/// use mcp_handler_core::{Tool, RequestContext, NoArgs};
/// let tool = Tool::new("now")
///     .description("The server's clock")
///     .handler(|_ctx: RequestContext, _: NoArgs| async { "12:00" });
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Tool {
    info: ToolInfo,
}

/// A tool with its handler, ready to register on a router.
#[must_use]
pub struct ToolDef {
    pub(crate) info: ToolInfo,
    pub(crate) call: Arc<ToolFn>,
    /// The name again, shared: a call names its tool in panic logs without
    /// copying the string on every request.
    pub(crate) label: Arc<str>,
}

impl std::fmt::Debug for ToolDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolDef").field("name", &self.info.name).finish_non_exhaustive()
    }
}

impl Tool {
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
        }
    }
    /// What the tool does; models read this to decide when to call it.
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.info.description = Some(d.into());
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
    /// Overrides the output schema (normally derived from a [`Json`] return type).
    pub fn output_schema(mut self, schema: Value) -> Self {
        self.info.output_schema = Some(schema);
        self
    }

    /// A typed handler: `A` gives the `inputSchema` and is deserialized from
    /// `arguments`; the return type `R` may give an `outputSchema` (see [`Json`]).
    /// Arguments that do not deserialize produce an `isError` result that
    /// tells the model what was wrong, as the 2025-11-25 spec asks.
    pub fn handler<A, F, Fut, R>(mut self, f: F) -> ToolDef
    where
        A: DeserializeOwned + JsonSchema + Send + 'static,
        F: Fn(RequestContext, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoToolResult + 'static,
    {
        self.info.input_schema = schema_value::<A>();
        if self.info.output_schema.is_none() {
            self.info.output_schema = R::output_schema();
        }
        let name: Arc<str> = self.info.name.as_str().into();
        let call = move |ctx: RequestContext, raw: Option<&RawValue>| -> BoxFuture<'static, CallToolResult> {
            let parsed = match raw {
                Some(raw) if raw.get() != "null" => serde_json::from_str::<A>(raw.get()),
                _ => serde_json::from_str::<A>("{}"),
            };
            match parsed {
                Ok(args) => {
                    let fut = f(ctx, args);
                    Box::pin(async move { fut.await.into_tool_result() })
                }
                Err(e) => {
                    let msg = format!("Invalid arguments for tool '{name}': {e}");
                    Box::pin(std::future::ready(CallToolResult::error(msg)))
                }
            }
        };
        ToolDef { label: self.info.name.as_str().into(), info: self.info, call: Arc::new(call) }
    }

    /// A handler over raw JSON arguments with a hand-written `inputSchema`
    /// (kept exactly as given, `$schema`, `$defs` and all).
    pub fn raw_handler<F, Fut, R>(mut self, input_schema: Value, f: F) -> ToolDef
    where
        F: Fn(RequestContext, Map<String, Value>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoToolResult + 'static,
    {
        self.info.input_schema = input_schema;
        let name: Arc<str> = self.info.name.as_str().into();
        let call = move |ctx: RequestContext, raw: Option<&RawValue>| -> BoxFuture<'static, CallToolResult> {
            let parsed = match raw {
                Some(raw) if raw.get() != "null" => serde_json::from_str::<Map<String, Value>>(raw.get()),
                _ => Ok(Map::new()),
            };
            match parsed {
                Ok(args) => {
                    let fut = f(ctx, args);
                    Box::pin(async move { fut.await.into_tool_result() })
                }
                Err(e) => {
                    let msg = format!("Invalid arguments for tool '{name}': {e}");
                    Box::pin(std::future::ready(CallToolResult::error(msg)))
                }
            }
        };
        ToolDef { label: self.info.name.as_str().into(), info: self.info, call: Arc::new(call) }
    }
}

/// The input of a tool that takes no arguments: its schema is
/// `{"type":"object","properties":{}}` and any object is accepted.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct NoArgs {}

impl JsonSchema for NoArgs {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "NoArgs".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "object", "properties": {} })
    }
}

/// Structured tool output: `T` becomes `structuredContent` (and, for older
/// clients, a JSON text block), and `T`'s schema becomes the tool's
/// `outputSchema`. `T` must serialize to a JSON object.
#[derive(Debug, Clone, PartialEq)]
pub struct Json<T>(pub T);

/// What a tool handler may return.
pub trait IntoToolResult: Send {
    /// Converts into the wire result.
    fn into_tool_result(self) -> CallToolResult;
    /// The `outputSchema` this return type implies, if any.
    fn output_schema() -> Option<Value> {
        None
    }
}

impl IntoToolResult for CallToolResult {
    fn into_tool_result(self) -> CallToolResult {
        self
    }
}

impl IntoToolResult for String {
    fn into_tool_result(self) -> CallToolResult {
        CallToolResult::text(self)
    }
}

impl IntoToolResult for &'static str {
    fn into_tool_result(self) -> CallToolResult {
        CallToolResult::text(self)
    }
}

impl IntoToolResult for Content {
    fn into_tool_result(self) -> CallToolResult {
        CallToolResult::success(vec![self])
    }
}

impl IntoToolResult for Vec<Content> {
    fn into_tool_result(self) -> CallToolResult {
        CallToolResult::success(self)
    }
}

impl<T: Serialize + JsonSchema + Send> IntoToolResult for Json<T> {
    fn into_tool_result(self) -> CallToolResult {
        match serde_json::to_value(&self.0) {
            Ok(v) => {
                let text = v.to_string();
                CallToolResult::text(text).with_structured_content(v)
            }
            Err(e) => CallToolResult::error(format!("tool output did not serialize: {e}")),
        }
    }
    fn output_schema() -> Option<Value> {
        Some(schema_value::<T>())
    }
}

impl<T: IntoToolResult, E: Display + Send> IntoToolResult for Result<T, E> {
    fn into_tool_result(self) -> CallToolResult {
        match self {
            Ok(v) => v.into_tool_result(),
            Err(e) => CallToolResult::error(e.to_string()),
        }
    }
    fn output_schema() -> Option<Value> {
        T::output_schema()
    }
}

/// The JSON schema of `T` as MCP wants it: draft 2020-12 (the default
/// dialect, so `$schema` is left out), no generated `title`, and only the
/// `format` values draft 2020-12 defines. schemars marks Rust integer types
/// with its own formats (`usize` is `"uint"`, `u32` `"uint32"`, `f64`
/// `"double"`); clients that check formats (the TypeScript SDK) warn once per
/// such field, and the range they mean is already stated by `minimum`.
pub(crate) fn schema_value<T: JsonSchema>() -> Value {
    // RestrictFormats reads the dialect from the root's `$schema`, which the
    // generator inserts before it runs the transforms; `$defs` are covered.
    let settings = schemars::generate::SchemaSettings::draft2020_12()
        .with_transform(schemars::transform::RestrictFormats::default());
    let schema = settings.into_generator().into_root_schema_for::<T>();
    let mut v: Value = schema.into();
    if let Value::Object(map) = &mut v {
        map.remove("$schema");
        map.remove("title");
    }
    v
}

#[cfg(test)]
mod tests {
    use super::schema_value;
    use serde_json::{Value, json};

    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Inner {
        count: u32,
    }

    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Args {
        n: usize,
        ratio: f64,
        at: std::net::Ipv4Addr,
        inner: Inner,
        many: Vec<u64>,
    }

    fn formats(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(f)) = m.get("format") {
                    out.push(f.clone());
                }
                m.values().for_each(|x| formats(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| formats(x, out)),
            _ => {}
        }
    }

    #[test]
    fn only_standard_formats_remain_and_ranges_stay() {
        let s = schema_value::<Args>();
        let mut found = Vec::new();
        formats(&s, &mut found);
        assert_eq!(found, ["ipv4"], "{s}");
        assert_eq!(s["properties"]["n"], json!({ "type": "integer", "minimum": 0 }));
        assert_eq!(s["$defs"]["Inner"]["properties"]["count"], json!({ "type": "integer", "minimum": 0 }));
        assert_eq!(s["properties"]["many"]["items"], json!({ "type": "integer", "minimum": 0 }));
        assert!(s.get("$schema").is_none() && s.get("title").is_none());
    }
}
