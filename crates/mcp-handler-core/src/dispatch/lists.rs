//! `tools/list`, `resources/list`, `resources/templates/list` and
//! `prompts/list`: a page of the listings the router serialized at build.

use serde_json::value::RawValue;

use crate::error::McpError;
use crate::jsonrpc::{self, RequestId};
use crate::method::Method;
use crate::router::{Router, RouterInner};
use crate::version::Generation;

use super::env::Dispatched;
use super::params::{CursorParams, parse_params};

pub(super) fn answer(
    router: &Router,
    id: &RequestId,
    method: Method,
    params: Option<&RawValue>,
    v2026: bool,
) -> Result<Dispatched, McpError> {
    let p: CursorParams<'_> = parse_params(params)?;
    let pages = router.inner.pages(if v2026 { Generation::V2026 } else { Generation::V2025 });
    let (list, key) = match method {
        Method::ToolsList => (&pages.tools, "tools"),
        Method::ResourcesList => (&pages.resources, "resources"),
        Method::ResourcesTemplatesList => (&pages.templates, "resourceTemplates"),
        Method::PromptsList => (&pages.prompts, "prompts"),
        other => return Err(McpError::method_not_found(other.as_str())),
    };
    let page = RouterInner::page(list, key, p.cursor.as_deref())?;
    Ok(Dispatched::Done(jsonrpc::raw_result_bytes(id, page)))
}
