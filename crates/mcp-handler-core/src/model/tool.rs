use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Content, Meta};

/// Hints about a tool's behaviour. Clients must not trust them from
/// untrusted servers; they help a user decide what to confirm.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ToolAnnotations {
    /// Human-readable title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The tool does not modify its environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only_hint: Option<bool>,
    /// The tool may perform destructive updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destructive_hint: Option<bool>,
    /// Repeated calls with the same arguments have no further effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotent_hint: Option<bool>,
    /// The tool talks to an open world (e.g. the web).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_world_hint: Option<bool>,
}

impl ToolAnnotations {
    /// No hints.
    pub fn new() -> Self {
        Self::default()
    }
    /// Marks the tool read-only.
    #[must_use]
    pub fn read_only(mut self, v: bool) -> Self {
        self.read_only_hint = Some(v);
        self
    }
    /// Marks the tool destructive.
    #[must_use]
    pub fn destructive(mut self, v: bool) -> Self {
        self.destructive_hint = Some(v);
        self
    }
    /// Marks the tool idempotent.
    #[must_use]
    pub fn idempotent(mut self, v: bool) -> Self {
        self.idempotent_hint = Some(v);
        self
    }
    /// Marks the tool as reaching an open world.
    #[must_use]
    pub fn open_world(mut self, v: bool) -> Self {
        self.open_world_hint = Some(v);
        self
    }
}

/// The result of `tools/call`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CallToolResult {
    /// Unstructured content.
    pub content: Vec<Content>,
    /// Structured content matching the tool's `outputSchema`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured_content: Option<Value>,
    /// `true` when the tool failed; the content says why.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_error: bool,
    /// Optional metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl CallToolResult {
    /// A successful result with `content`.
    pub fn success(content: Vec<Content>) -> Self {
        Self { content, ..Self::default() }
    }
    /// A successful result of one text block.
    pub fn text(text: impl Into<String>) -> Self {
        Self::success(vec![Content::text(text)])
    }
    /// A failed result whose text says why (`isError: true`).
    pub fn error(message: impl Into<String>) -> Self {
        Self { content: vec![Content::text(message)], is_error: true, ..Self::default() }
    }
    /// Sets structured content.
    #[must_use]
    pub fn with_structured_content(mut self, v: Value) -> Self {
        self.structured_content = Some(v);
        self
    }
    /// Sets `_meta`.
    #[must_use]
    pub fn with_meta(mut self, meta: Meta) -> Self {
        self.meta = Some(meta);
        self
    }

    /// Writes the result as serde would when it is the common shape (text
    /// blocks only, no annotations, `_meta` or structured content), with the
    /// text escaped eight bytes at a time; writes nothing and answers `false`
    /// otherwise. Large echoes spend most of their time escaping text.
    pub(crate) fn write_text_only(&self, buf: &mut Vec<u8>) -> bool {
        if self.structured_content.is_some() || self.meta.is_some() {
            return false;
        }
        let mut len = 0;
        for c in &self.content {
            match c {
                Content::Text { text, annotations: None, meta: None } => len += text.len(),
                _ => return false,
            }
        }
        buf.reserve(len + 40 * self.content.len() + 32);
        buf.extend_from_slice(br#"{"content":["#);
        for (i, c) in self.content.iter().enumerate() {
            if let Content::Text { text, .. } = c {
                if i > 0 {
                    buf.push(b',');
                }
                buf.extend_from_slice(br#"{"type":"text","text":"#);
                crate::json_text::write_str(buf, text);
                buf.push(b'}');
            }
        }
        buf.push(b']');
        if self.is_error {
            buf.extend_from_slice(br#","isError":true"#);
        }
        buf.push(b'}');
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_only_writer_matches_serde() {
        let results = [
            CallToolResult::text("hi \"there\"\n"),
            CallToolResult::error("it failed"),
            CallToolResult::success(vec![Content::text("a"), Content::text("b".repeat(100))]),
            CallToolResult::success(Vec::new()),
        ];
        for r in &results {
            let mut fast = Vec::new();
            assert!(r.write_text_only(&mut fast));
            assert_eq!(String::from_utf8(fast).ok(), serde_json::to_string(r).ok());
        }
        let mut buf = Vec::new();
        assert!(!CallToolResult::text("x").with_structured_content(Value::Null).write_text_only(&mut buf));
        assert!(buf.is_empty());
    }
}
