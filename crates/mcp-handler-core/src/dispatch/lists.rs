//! `tools/list`, `resources/list`, `resources/templates/list` and
//! `prompts/list`: a page of the listings the router serialized at build.

use crate::error::McpError;
use crate::jsonrpc;
use crate::method::Method;
use crate::router::RouterInner;
use crate::version::Generation;

use super::Req;
use super::env::Dispatched;
use super::params::{CursorParams, parse_params};

pub(super) fn answer(req: Req<'_>, method: Method) -> Result<Dispatched, McpError> {
    let p: CursorParams<'_> = parse_params(req.params)?;
    let pages = req.router.inner.pages(if req.is_2026() { Generation::V2026 } else { Generation::V2025 });
    let (list, key) = match method {
        Method::ToolsList => (&pages.tools, "tools"),
        Method::ResourcesList => (&pages.resources, "resources"),
        Method::ResourcesTemplatesList => (&pages.templates, "resourceTemplates"),
        Method::PromptsList => (&pages.prompts, "prompts"),
        other => return Err(McpError::method_not_found(other.as_str())),
    };
    let page = RouterInner::page(list, key, p.cursor.as_deref())?;
    Ok(Dispatched::Done(jsonrpc::raw_result_bytes(req.id, page)))
}
