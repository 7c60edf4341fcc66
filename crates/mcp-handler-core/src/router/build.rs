//! `RouterBuilder::build`: checks every registration once, at start-up,
//! and freezes the registry with its listings serialized for both
//! generations.

use std::sync::Arc;

use indexmap::IndexMap;
use indexmap::map::Entry;
use serde_json::Value;

use super::needs::Input;
use super::pages::{erased_serde_free, paginate};
use super::resource::CompiledTemplate;
use super::{BuildError, Pages, RoutedTool, Router, RouterBuilder, RouterInner, ServerIdentity, uri_template};
use crate::v2026::headers::header_params;
use crate::v2026::meta::SERVER_INFO;

impl RouterBuilder {
    /// Checks names, schemas, handlers and templates, then serializes the
    /// listings.
    pub fn build(self) -> Result<Router, BuildError> {
        if self.page_size == 0 {
            return Err(BuildError::InvalidPageSize);
        }
        self.check_handlers()?;
        let mut tools = IndexMap::with_capacity(self.tools.len());
        for tool in self.tools {
            let name = tool.info.name.clone();
            let header_params = header_params(&tool.info.input_schema)
                .map_err(|reason| BuildError::InvalidHeaderParam { tool: name.clone(), reason })?;
            let valid = (1..=128).contains(&name.len())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
            if !valid {
                return Err(BuildError::InvalidToolName(name));
            }
            if !is_object_schema(&tool.info.input_schema) {
                return Err(BuildError::SchemaNotObject { tool: name, which: "inputSchema" });
            }
            if tool.info.output_schema.as_ref().is_some_and(|s| !is_object_schema(s)) {
                return Err(BuildError::SchemaNotObject { tool: name, which: "outputSchema" });
            }
            match tools.entry(name) {
                Entry::Occupied(e) => return Err(BuildError::Duplicate { kind: "tool", name: e.key().clone() }),
                Entry::Vacant(e) => e.insert(RoutedTool { tool, header_params }),
            };
        }
        let mut resources = IndexMap::with_capacity(self.resources.len());
        for r in self.resources {
            match resources.entry(r.info.uri.clone()) {
                Entry::Occupied(e) => return Err(BuildError::Duplicate { kind: "resource", name: e.key().clone() }),
                Entry::Vacant(e) => e.insert(r),
            };
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
        let mut prompts = IndexMap::with_capacity(self.prompts.len());
        for p in self.prompts {
            match prompts.entry(p.info.name.clone()) {
                Entry::Occupied(e) => return Err(BuildError::Duplicate { kind: "prompt", name: e.key().clone() }),
                Entry::Vacant(e) => e.insert(p),
            };
        }
        let server_info = serde_json::to_value(&self.info).unwrap_or(Value::Null);
        // 2026 pages also carry `resultType`, the server's identity and cache hints.
        let mut v2026 = serde_json::Map::new();
        v2026.insert("resultType".into(), Value::String("complete".into()));
        v2026.insert("_meta".into(), serde_json::json!({ SERVER_INFO: server_info }));
        v2026.insert("ttlMs".into(), Value::from(self.list_cache.ttl_ms));
        v2026.insert("cacheScope".into(), serde_json::to_value(self.list_cache.scope).unwrap_or(Value::Null));
        let pages = |extra: Option<&serde_json::Map<String, Value>>| {
            let n = self.page_size;
            let tools = tools.values().map(|t| &t.tool.info as &dyn erased_serde_free::Item).collect::<Vec<_>>();
            let res = resources.values().map(|r| &r.info as &dyn erased_serde_free::Item).collect::<Vec<_>>();
            let tpl = templates.iter().map(|t| &t.def.info as &dyn erased_serde_free::Item).collect::<Vec<_>>();
            let prompts = prompts.values().map(|p| &p.info as &dyn erased_serde_free::Item).collect::<Vec<_>>();
            Pages {
                tools: paginate("tools", &tools, n, extra),
                resources: paginate("resources", &res, n, extra),
                templates: paginate("resourceTemplates", &tpl, n, extra),
                prompts: paginate("prompts", &prompts, n, extra),
            }
        };
        let pages = [pages(None), pages(Some(&v2026))];
        let tool_rate_limits = tools.values().any(|t| t.tool.rate_limit.is_some());
        let has_completions = prompts.values().any(|p| !p.completers.is_empty())
            || templates.iter().any(|t| !t.def.completers.is_empty());
        Ok(Router {
            inner: Arc::new(RouterInner {
                id: super::identity::next_id(),
                identity: ServerIdentity {
                    meta: format!(
                        r#""_meta":{{"{SERVER_INFO}":{}}}"#,
                        serde_json::to_string(&server_info).unwrap_or_else(|_| "null".into())
                    )
                    .into_bytes()
                    .into_boxed_slice(),
                    info: server_info,
                },
                list_cache: self.list_cache,
                list_changed: self.list_changed,
                info: self.info,
                instructions: self.instructions,
                tools,
                resources,
                templates,
                prompts,
                pages,
                has_completions,
                tool_timeout: self.tool_timeout,
                tool_rate_limits,
                discover: Default::default(),
                state: Arc::new(self.state),
            }),
        })
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
}

fn is_object_schema(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("object")
}
