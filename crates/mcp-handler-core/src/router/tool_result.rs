//! What a tool handler may return, and the schemas its types imply.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::McpError;
use crate::model::{CallToolResult, Content};

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
            Err(e) => {
                // The server's fault, described in terms of its own types:
                // logged, not sent.
                tracing::warn!(error = %e, "tool output did not serialize");
                CallToolResult::error("Internal error: the tool's output did not serialize")
            }
        }
    }
    fn output_schema() -> Option<Value> {
        Some(schema_value::<T>())
    }
}

/// `Err(e)` becomes a result with `isError: true` whose text is the
/// message of `e` as an [`McpError`]: what a constructor was given
/// (`McpError::internal(msg)`), a `&'static str`, or a
/// [`ClientRequestError`](crate::ClientRequestError)'s text. An internal
/// error converted by `?` (`std::io::Error`, `serde_json::Error`, a
/// run-time `String`) reads "Internal error" and is logged: its text names
/// paths and OS detail the client must not see. (For a chosen text that
/// is not an error of the handler, return `Ok(CallToolResult::error(..))`.)
impl<T: IntoToolResult, E: Into<McpError> + Send> IntoToolResult for Result<T, E> {
    fn into_tool_result(self) -> CallToolResult {
        match self {
            Ok(v) => v.into_tool_result(),
            Err(e) => CallToolResult::error(e.into().message.into_owned()),
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
