//! The router: what a server offers, built once at start-up and shared by
//! every request. Listings are serialized at build time, so `tools/list`
//! and friends cost a copy of cached bytes, not a walk over the registry.

mod build_error;
mod cache;
mod completion;
mod extract;
mod handler;
mod needs;
mod pages;
mod prompt;
mod prompt_args;
mod read_result;
mod resource;
mod tool;
mod tool_result;
mod uri_template;

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;

pub use build_error::BuildError;
pub use cache::{CacheHint, CacheScope};
pub use completion::Completer;
pub use extract::{Args, Call, Cancellation, FromCall, Headers, Platform, Rejection, State};
pub use handler::Handler;
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

use needs::Input;
use pages::{decode_cursor, erased_serde_free, paginate};
use resource::CompiledTemplate;

use crate::error::McpError;
use crate::model::Implementation;
use crate::stateless::headers::{HeaderParam, header_params};
use crate::stateless::meta::SERVER_INFO;
use crate::version::ProtocolVersion;

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
    /// Advertises `listChanged` for tools, prompts and resources: say so
    /// when the application will publish changes through a
    /// [`Notifier`](crate::Notifier).
    pub fn notify_list_changes(mut self, on: bool) -> Self {
        self.list_changed = on;
        self
    }

    /// Refuses a handler that would fail on every call: a `State<T>` never
    /// given, or parameters its kind cannot fill.
    fn check_handlers(&self) -> Result<(), BuildError> {
        let tools = self.tools.iter().map(|t| ("tool", &t.info.name, &t.needs, Input::Arguments));
        let prompts = self.prompts.iter().map(|p| ("prompt", &p.info.name, &p.needs, Input::Arguments));
        let resources = self.resources.iter().map(|r| ("resource", &r.info.uri, &r.needs, Input::Resource));
        let templates =
            self.templates.iter().map(|t| ("resource template", &t.info.uri_template, &t.needs, Input::Resource));
        for (kind, name, needs, input) in tools.chain(prompts).chain(resources).chain(templates) {
            if let Some(type_name) = needs.missing_state(&self.state) {
                return Err(BuildError::MissingState { kind, name: name.clone(), type_name });
            }
            if let Some(reason) = needs.problem(input) {
                return Err(BuildError::InvalidHandler { kind, name: name.clone(), reason });
            }
        }
        Ok(())
    }

    /// Checks names, schemas and templates, then serializes the listings.
    pub fn build(self) -> Result<Router, BuildError> {
        if self.page_size == 0 {
            return Err(BuildError::InvalidPageSize);
        }
        self.check_handlers()?;
        let mut tool_headers = Vec::with_capacity(self.tools.len());
        for t in &self.tools {
            let params = header_params(&t.info.input_schema)
                .map_err(|reason| BuildError::InvalidHeaderParam { tool: t.info.name.clone(), reason })?;
            tool_headers.push(params);
        }
        let mut tool_index = HashMap::new();
        for (i, t) in self.tools.iter().enumerate() {
            let name = &t.info.name;
            let valid = (1..=128).contains(&name.len())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
            if !valid {
                return Err(BuildError::InvalidToolName(name.clone()));
            }
            if !is_object_schema(&t.info.input_schema) {
                return Err(BuildError::SchemaNotObject { tool: name.clone(), which: "inputSchema" });
            }
            if t.info.output_schema.as_ref().is_some_and(|s| !is_object_schema(s)) {
                return Err(BuildError::SchemaNotObject { tool: name.clone(), which: "outputSchema" });
            }
            if tool_index.insert(name.clone(), i).is_some() {
                return Err(BuildError::Duplicate { kind: "tool", name: name.clone() });
            }
        }
        let mut resource_index = HashMap::new();
        for (i, r) in self.resources.iter().enumerate() {
            if resource_index.insert(r.info.uri.clone(), i).is_some() {
                return Err(BuildError::Duplicate { kind: "resource", name: r.info.uri.clone() });
            }
        }
        let mut templates = Vec::with_capacity(self.templates.len());
        for def in self.templates {
            let matcher =
                uri_template::UriTemplate::parse(&def.info.uri_template).map_err(BuildError::InvalidTemplate)?;
            for var in def.completers.keys() {
                if !matcher.variables().any(|v| v == var) {
                    return Err(BuildError::InvalidTemplate(format!(
                        "completion for unknown variable {var:?} in {:?}",
                        def.info.uri_template
                    )));
                }
            }
            if templates.iter().any(|t: &CompiledTemplate| t.def.info.uri_template == def.info.uri_template) {
                return Err(BuildError::Duplicate { kind: "resource template", name: def.info.uri_template });
            }
            templates.push(CompiledTemplate { def, matcher });
        }
        let mut prompt_index = HashMap::new();
        for (i, p) in self.prompts.iter().enumerate() {
            if prompt_index.insert(p.info.name.clone(), i).is_some() {
                return Err(BuildError::Duplicate { kind: "prompt", name: p.info.name.clone() });
            }
        }
        let n = self.page_size;
        let server_info = serde_json::to_value(&self.info).unwrap_or(Value::Null);
        let mut modern = serde_json::Map::new();
        modern.insert("resultType".into(), Value::String("complete".into()));
        modern.insert("_meta".into(), serde_json::json!({ SERVER_INFO: server_info }));
        modern.insert("ttlMs".into(), Value::from(self.list_cache.ttl_ms));
        modern.insert("cacheScope".into(), serde_json::to_value(self.list_cache.scope).unwrap_or(Value::Null));
        let both = |key: &str, list: Vec<&dyn erased_serde_free::Item>| -> (Vec<Bytes>, Vec<Bytes>) {
            (paginate(key, &list, n, None), paginate(key, &list, n, Some(&modern)))
        };
        let (tools, tools_modern) =
            both("tools", self.tools.iter().map(|t| &t.info as &dyn erased_serde_free::Item).collect());
        let (resources, resources_modern) =
            both("resources", self.resources.iter().map(|r| &r.info as &dyn erased_serde_free::Item).collect());
        let (templates_pages, templates_modern) =
            both("resourceTemplates", templates.iter().map(|t| &t.def.info as &dyn erased_serde_free::Item).collect());
        let (prompts, prompts_modern) =
            both("prompts", self.prompts.iter().map(|p| &p.info as &dyn erased_serde_free::Item).collect());
        let pages = Pages {
            tools,
            resources,
            templates: templates_pages,
            prompts,
            tools_modern,
            resources_modern,
            templates_modern,
            prompts_modern,
        };
        let has_completions = self.prompts.iter().any(|p| !p.completers.is_empty())
            || templates.iter().any(|t| !t.def.completers.is_empty());
        Ok(Router {
            inner: Arc::new(RouterInner {
                server_info_meta: Bytes::from(format!(
                    r#""_meta":{{"{SERVER_INFO}":{}}}"#,
                    serde_json::to_string(&server_info).unwrap_or_else(|_| "null".into())
                )),
                server_info,
                tool_headers,
                list_cache: self.list_cache,
                list_changed: self.list_changed,
                info: self.info,
                instructions: self.instructions,
                tools: self.tools,
                tool_index,
                resources: self.resources,
                resource_index,
                templates,
                prompts: self.prompts,
                prompt_index,
                pages,
                has_completions,
                discover: Default::default(),
                state: Arc::new(self.state),
            }),
        })
    }
}

fn is_object_schema(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("object")
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
    pub(crate) server_info: Value,
    /// `"_meta":{"io.modelcontextprotocol/serverInfo":{...}}`, serialized once.
    pub(crate) server_info_meta: Bytes,
    pub(crate) tool_headers: Vec<Vec<HeaderParam>>,
    pub(crate) list_cache: CacheHint,
    pub(crate) list_changed: bool,
    pub(crate) info: Implementation,
    pub(crate) instructions: Option<String>,
    pub(crate) tools: Vec<Tool>,
    pub(crate) tool_index: HashMap<String, usize>,
    pub(crate) resources: Vec<Resource>,
    pub(crate) resource_index: HashMap<String, usize>,
    pub(crate) templates: Vec<CompiledTemplate>,
    pub(crate) prompts: Vec<Prompt>,
    pub(crate) prompt_index: HashMap<String, usize>,
    pub(crate) pages: Pages,
    pub(crate) has_completions: bool,
    /// The serialized `server/discover` result, without and with change
    /// notifications: it depends only on the registry, so it is built once.
    pub(crate) discover: [std::sync::OnceLock<Bytes>; 2],
    /// What `RouterBuilder::state` shared with handlers.
    pub(crate) state: Arc<http::Extensions>,
}

/// Serialized list results, one entry per page, for each generation (2026
/// pages also carry `resultType`, server identity and cache hints).
pub(crate) struct Pages {
    pub(crate) tools: Vec<Bytes>,
    pub(crate) resources: Vec<Bytes>,
    pub(crate) templates: Vec<Bytes>,
    pub(crate) prompts: Vec<Bytes>,
    pub(crate) tools_modern: Vec<Bytes>,
    pub(crate) resources_modern: Vec<Bytes>,
    pub(crate) templates_modern: Vec<Bytes>,
    pub(crate) prompts_modern: Vec<Bytes>,
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
        self.inner.tools.iter().map(|t| t.info.name.as_str())
    }

    /// The capabilities this registry implies. `notifications` says
    /// whether change notifications can be delivered at all (not by a
    /// buffered endpoint, whose responses cannot stay open).
    pub(crate) fn capabilities(&self, notifications: bool) -> Value {
        let r = &*self.inner;
        let changed = r.list_changed && notifications;
        let subscribe = notifications;
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
    pub(crate) fn discover_result(&self, notifications: bool) -> Value {
        let r = &*self.inner;
        let versions: Vec<&str> = ProtocolVersion::SUPPORTED.iter().map(|v| v.as_str()).collect();
        let mut result = serde_json::json!({
            "resultType": "complete",
            "supportedVersions": versions,
            "capabilities": self.capabilities(notifications),
            "_meta": { SERVER_INFO: r.server_info },
            "ttlMs": r.list_cache.ttl_ms,
            "cacheScope": r.list_cache.scope,
        });
        if let Some(text) = &r.instructions {
            result["instructions"] = Value::String(text.clone());
        }
        result
    }

    /// [`Self::discover_result`] serialized, built on first use.
    pub(crate) fn discover_bytes(&self, notifications: bool) -> &Bytes {
        self.inner.discover[usize::from(notifications)].get_or_init(|| {
            serde_json::to_vec(&self.discover_result(notifications)).map(Bytes::from).unwrap_or_default()
        })
    }

    /// Whether the registry offers what `method` serves (2026 answers
    /// `-32601` for features it does not advertise).
    pub(crate) fn offers(&self, method: &str) -> bool {
        let r = &*self.inner;
        match method {
            "tools/list" | "tools/call" => !r.tools.is_empty(),
            "resources/list" | "resources/read" | "resources/templates/list" => {
                !r.resources.is_empty() || !r.templates.is_empty()
            }
            "prompts/list" | "prompts/get" => !r.prompts.is_empty(),
            "completion/complete" => r.has_completions,
            _ => true,
        }
    }

    /// Whether `uri` names a direct resource or matches a template.
    pub(crate) fn knows_resource(&self, uri: &str) -> bool {
        self.inner.resource_index.contains_key(uri)
            || self.inner.templates.iter().any(|t| t.matcher.matches(uri).is_some())
    }
}

impl RouterInner {
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
            serde_json::from_slice(RouterInner::page(&r.inner.pages.tools, "tools", None).unwrap()).unwrap();
        assert_eq!(first["tools"].as_array().unwrap().len(), 2);
        let cursor = first["nextCursor"].as_str().unwrap();
        let second: Value =
            serde_json::from_slice(RouterInner::page(&r.inner.pages.tools, "tools", Some(cursor)).unwrap()).unwrap();
        assert_eq!(second["tools"][0]["name"], "c");
        assert!(second.get("nextCursor").is_none());
        assert!(RouterInner::page(&r.inner.pages.tools, "tools", Some("garbage")).is_err());
        assert!(RouterInner::page(&r.inner.pages.tools, "prompts", Some(cursor)).is_err());
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
