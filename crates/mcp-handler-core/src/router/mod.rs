//! The router: what a server offers, built once at start-up and shared by
//! every request. Listings are serialized at build time, so `tools/list`
//! and friends cost a copy of cached bytes, not a walk over the registry.

mod build;
mod build_error;
mod cache;
mod completion;
mod extract;
mod handler;
mod identity;
mod needs;
mod pages;
mod prompt;
mod prompt_args;
mod read_result;
mod resource;
mod tool;
mod tool_result;
pub(crate) mod uri_template;

use std::sync::Arc;

use bytes::Bytes;
use indexmap::IndexMap;
use serde_json::Value;

pub use build_error::BuildError;
pub use cache::{CacheHint, CacheScope};
pub use completion::Completer;
pub use extract::{Args, Call, Cancellation, FromCall, Headers, Platform, Rejection, State};
pub use handler::Handler;
pub(crate) use identity::ServerIdentity;
pub use needs::Needs;
#[allow(deprecated)]
pub use prompt::PromptDef;
pub use prompt::{IntoPromptResult, Prompt, PromptBuilder};
pub use read_result::{IntoContents, IntoReadResult};
pub use resource::{Resource, ResourceBuilder, ResourceRequest, ResourceTemplate, ResourceTemplateBuilder};
#[allow(deprecated)]
pub use resource::{ResourceDef, ResourceTemplateDef};
#[allow(deprecated)]
pub use tool::ToolDef;
pub use tool::{Tool, ToolBuilder};
pub use tool_result::{IntoToolResult, Json, NoArgs};

use pages::decode_cursor;
use resource::CompiledTemplate;

use crate::error::McpError;
use crate::method::{Feature, Method};
use crate::model::Implementation;
use crate::v2026::headers::HeaderParam;
use crate::v2026::meta::SERVER_INFO;
use crate::version::{Generation, ProtocolVersion};

/// The default time limit of a tool call (see [`RouterBuilder::tool_timeout`]).
pub const DEFAULT_TOOL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// Collects tools, resources and prompts; `build` checks and freezes them.
///
/// ```
/// use mcp_handler_core::{Args, Router, Tool};
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Add { a: f64, b: f64 }
///
/// let router = Router::builder("calc", "1.0.0")
///     .tool(Tool::builder("add").description("Adds two numbers")
///         .handler(|Args(x): Args<Add>| async move { format!("{}", x.a + x.b) }))
///     .build()
///     .expect("valid router");
/// assert_eq!(router.tool_names().collect::<Vec<_>>(), ["add"]);
/// ```
#[derive(Debug)]
#[must_use]
pub struct RouterBuilder {
    info: Implementation,
    instructions: Option<String>,
    tools: Vec<Tool>,
    resources: Vec<Resource>,
    templates: Vec<ResourceTemplate>,
    prompts: Vec<Prompt>,
    page_size: usize,
    list_cache: CacheHint,
    list_changed: bool,
    tool_timeout: Option<std::time::Duration>,
    state: http::Extensions,
}

impl RouterBuilder {
    /// Shares `value` with every handler: a [`State<T>`](State) parameter
    /// receives a clone, `ctx.state::<T>()` a reference (one value per
    /// type; a second call with the same type replaces it). `build` fails
    /// if a handler extracts a `State<T>` no call gave.
    /// For clients, pools and configuration built once at start, and for
    /// `mcp-handler-secrets`' `Secrets`, which `mcp_handler::run` also finds
    /// here to load, refresh and report readiness.
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.state.insert(value);
        self
    }
    /// Registers a tool.
    pub fn tool(mut self, tool: Tool) -> Self {
        self.tools.push(tool);
        self
    }
    /// Registers a direct resource.
    pub fn resource(mut self, resource: Resource) -> Self {
        self.resources.push(resource);
        self
    }
    /// Registers a resource template.
    pub fn resource_template(mut self, template: ResourceTemplate) -> Self {
        self.templates.push(template);
        self
    }
    /// Registers a prompt.
    pub fn prompt(mut self, prompt: Prompt) -> Self {
        self.prompts.push(prompt);
        self
    }
    /// Instructions returned by `initialize` (how to use this server).
    pub fn instructions(mut self, text: impl Into<String>) -> Self {
        self.instructions = Some(text.into());
        self
    }
    /// Replaces the server's `Implementation` (title, icons, website).
    pub fn server_info(mut self, info: Implementation) -> Self {
        self.info = info;
        self
    }
    /// Entries per page of every list (default 100).
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = n;
        self
    }
    /// Caching hints on listings and `server/discover` for 2026 clients
    /// (default: public, 5 minutes; the registry is fixed at start-up).
    pub fn list_cache(mut self, hint: CacheHint) -> Self {
        self.list_cache = hint;
        self
    }
    /// How long a tool call may run before it is answered with a tool
    /// error ("timed out"), for tools without their own
    /// ([`ToolBuilder::timeout`]); default 5 minutes, `None` for no limit.
    /// On Lambda the invocation's deadline, less a margin, caps every
    /// tool, so a slow tool is answered instead of the function timing out.
    pub fn tool_timeout(mut self, limit: Option<std::time::Duration>) -> Self {
        self.tool_timeout = limit;
        self
    }
    /// Advertises `listChanged` for tools, prompts and resources: say so
    /// when the application will publish changes through a
    /// [`Notifier`](crate::Notifier).
    pub fn notify_list_changes(mut self, on: bool) -> Self {
        self.list_changed = on;
        self
    }
}

/// Whether the endpoint can push notifications (list changes, resource
/// updates) to the client a description is for. Advertising
/// `listChanged` or `resources.subscribe` without a way to deliver them
/// would be a promise silently broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Push {
    /// No stream can carry them: a buffered endpoint (responses cannot stay
    /// open), or a 2025 client without sessions (no GET stream).
    Unavailable,
    /// A stream can: the session's GET stream (2025) or
    /// `subscriptions/listen` (2026).
    Available,
}

/// The frozen registry. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct Router {
    pub(crate) inner: Arc<RouterInner>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("server", &self.inner.info.name)
            .field("tools", &self.inner.tools.len())
            .field("resources", &self.inner.resources.len())
            .field("templates", &self.inner.templates.len())
            .field("prompts", &self.inner.prompts.len())
            .finish()
    }
}

pub(crate) struct RouterInner {
    /// This router's own id (`identity.rs`).
    pub(crate) id: u64,
    /// What a 2026 result says of the server; requests take a thread's
    /// copy of it (`identity.rs`).
    pub(crate) identity: ServerIdentity,
    pub(crate) list_cache: CacheHint,
    pub(crate) list_changed: bool,
    pub(crate) info: Implementation,
    pub(crate) instructions: Option<String>,
    /// By name, in registration order (the listing's order).
    pub(crate) tools: IndexMap<String, RoutedTool>,
    /// Direct resources by URI, in registration order.
    pub(crate) resources: IndexMap<String, Resource>,
    /// Tried in registration order; the first match serves a read.
    pub(crate) templates: Vec<CompiledTemplate>,
    pub(crate) prompts: IndexMap<String, Prompt>,
    /// Serialized listings: `[2025 generation, 2026 generation]`.
    pub(crate) pages: [Pages; 2],
    pub(crate) has_completions: bool,
    /// Whether any tool has its own rate limit.
    pub(crate) tool_rate_limits: bool,
    /// The time limit of tools without their own.
    pub(crate) tool_timeout: Option<std::time::Duration>,
    /// The serialized `server/discover` result, without and with pushed
    /// notifications: it depends only on the registry, so it is built once.
    pub(crate) discover: [std::sync::OnceLock<Bytes>; 2],
    /// What `RouterBuilder::state` shared with handlers.
    pub(crate) state: Arc<http::Extensions>,
}

/// A registered tool with what `build` derived from its schema.
pub(crate) struct RoutedTool {
    pub(crate) tool: Tool,
    /// Arguments a 2026 client repeats in `Mcp-Param-*` headers.
    pub(crate) header_params: Vec<HeaderParam>,
}

/// Serialized list results of one generation, one entry per page.
pub(crate) struct Pages {
    pub(crate) tools: Vec<Bytes>,
    pub(crate) resources: Vec<Bytes>,
    pub(crate) templates: Vec<Bytes>,
    pub(crate) prompts: Vec<Bytes>,
}

impl Router {
    /// Starts a router for the server `name` at `version`.
    pub fn builder(name: impl Into<String>, version: impl Into<String>) -> RouterBuilder {
        RouterBuilder {
            info: Implementation::new(name, version),
            instructions: None,
            tools: Vec::new(),
            resources: Vec::new(),
            templates: Vec::new(),
            prompts: Vec::new(),
            page_size: 100,
            list_cache: CacheHint::public(300_000),
            list_changed: false,
            tool_timeout: Some(DEFAULT_TOOL_TIMEOUT),
            state: http::Extensions::new(),
        }
    }

    /// The value of type `T` shared with [`RouterBuilder::state`].
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.inner.state.get::<T>()
    }

    /// The server's name and version.
    pub fn server_info(&self) -> &Implementation {
        &self.inner.info
    }

    /// Registered tool names, in registration order.
    pub fn tool_names(&self) -> impl Iterator<Item = &str> {
        self.inner.tools.keys().map(String::as_str)
    }

    /// Registered prompt names, in registration order.
    pub fn prompt_names(&self) -> impl Iterator<Item = &str> {
        self.inner.prompts.keys().map(String::as_str)
    }

    /// The capabilities this registry implies for a client that `push`
    /// can (or cannot) reach: `listChanged` and `resources.subscribe` are
    /// promises of notifications, so they are made only where a stream can
    /// carry them.
    pub(crate) fn capabilities(&self, push: Push) -> Value {
        let r = &*self.inner;
        let can_push = push == Push::Available;
        let changed = r.list_changed && can_push;
        let subscribe = can_push;
        let mut caps = serde_json::Map::new();
        caps.insert("logging".into(), Value::Object(Default::default()));
        if !r.tools.is_empty() {
            caps.insert("tools".into(), serde_json::json!({ "listChanged": changed }));
        }
        if !r.resources.is_empty() || !r.templates.is_empty() {
            caps.insert("resources".into(), serde_json::json!({ "subscribe": subscribe, "listChanged": changed }));
        }
        if !r.prompts.is_empty() {
            caps.insert("prompts".into(), serde_json::json!({ "listChanged": changed }));
        }
        if r.has_completions {
            caps.insert("completions".into(), Value::Object(Default::default()));
        }
        Value::Object(caps)
    }

    /// The `server/discover` result (2026-07-28).
    pub(crate) fn discover_result(&self, push: Push) -> Value {
        let r = &*self.inner;
        let versions: Vec<&str> = ProtocolVersion::SUPPORTED.iter().map(|v| v.as_str()).collect();
        let mut result = serde_json::json!({
            "resultType": "complete",
            "supportedVersions": versions,
            "capabilities": self.capabilities(push),
            "_meta": { SERVER_INFO: r.identity.info },
            "ttlMs": r.list_cache.ttl_ms,
            "cacheScope": r.list_cache.scope,
        });
        if let Some(text) = &r.instructions {
            result["instructions"] = Value::String(text.clone());
        }
        result
    }

    /// [`Self::discover_result`] serialized, built on first use.
    pub(crate) fn discover_bytes(&self, push: Push) -> &Bytes {
        self.inner.discover[usize::from(push == Push::Available)]
            .get_or_init(|| serde_json::to_vec(&self.discover_result(push)).map(Bytes::from).unwrap_or_default())
    }

    /// Whether the registry offers what `method` serves (2026 answers
    /// `-32601` for features it does not advertise).
    pub(crate) fn offers(&self, method: Method) -> bool {
        let r = &*self.inner;
        match method.feature() {
            None => true,
            Some(Feature::Tools) => !r.tools.is_empty(),
            Some(Feature::Resources) => !r.resources.is_empty() || !r.templates.is_empty(),
            Some(Feature::Prompts) => !r.prompts.is_empty(),
            Some(Feature::Completions) => r.has_completions,
        }
    }

    /// Whether `uri` names a direct resource or matches a template.
    pub(crate) fn knows_resource(&self, uri: &str) -> bool {
        self.inner.resources.contains_key(uri) || self.inner.templates.iter().any(|t| t.matcher.matches(uri).is_some())
    }
}

impl RouterInner {
    /// The listings served to `generation`.
    pub(crate) fn pages(&self, generation: Generation) -> &Pages {
        &self.pages[usize::from(generation == Generation::V2026)]
    }

    /// The page a cursor points at, or -32602 for a cursor we did not issue.
    pub(crate) fn page<'a>(pages: &'a [Bytes], key: &str, cursor: Option<&str>) -> Result<&'a Bytes, McpError> {
        let index = match cursor {
            None => 0,
            Some(c) => decode_cursor(key, c).ok_or_else(|| McpError::invalid_params("Invalid cursor"))?,
        };
        pages.get(index).ok_or_else(|| McpError::invalid_params("Invalid cursor"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RequestContext;

    fn tool(name: &str) -> Tool {
        Tool::builder(name).description("d").handler(|_c: RequestContext, _: NoArgs| async { "ok" })
    }

    #[test]
    fn pages_chain_through_opaque_cursors() {
        let r = Router::builder("s", "1").page_size(2).tool(tool("a")).tool(tool("b")).tool(tool("c")).build().unwrap();
        let first: Value =
            serde_json::from_slice(RouterInner::page(&r.inner.pages(Generation::V2025).tools, "tools", None).unwrap())
                .unwrap();
        assert_eq!(first["tools"].as_array().unwrap().len(), 2);
        let cursor = first["nextCursor"].as_str().unwrap();
        let second: Value = serde_json::from_slice(
            RouterInner::page(&r.inner.pages(Generation::V2025).tools, "tools", Some(cursor)).unwrap(),
        )
        .unwrap();
        assert_eq!(second["tools"][0]["name"], "c");
        assert!(second.get("nextCursor").is_none());
        assert!(RouterInner::page(&r.inner.pages(Generation::V2025).tools, "tools", Some("garbage")).is_err());
        assert!(RouterInner::page(&r.inner.pages(Generation::V2025).tools, "prompts", Some(cursor)).is_err());
    }

    #[test]
    fn bad_registrations_fail_the_build() {
        assert!(matches!(
            Router::builder("s", "1").tool(tool("a")).tool(tool("a")).build(),
            Err(BuildError::Duplicate { .. })
        ));
        assert!(matches!(
            Router::builder("s", "1").tool(tool("bad name")).build(),
            Err(BuildError::InvalidToolName(_))
        ));
        let not_obj = Tool::builder("x").raw_handler(serde_json::json!({"type":"string"}), |_c, _a| async { "x" });
        assert!(matches!(Router::builder("s", "1").tool(not_obj).build(), Err(BuildError::SchemaNotObject { .. })));
    }
}
