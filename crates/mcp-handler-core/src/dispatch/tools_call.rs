//! `tools/call`: the tool's handler with its arguments.

use futures_util::FutureExt as _;
use serde_json::value::RawValue;

use crate::error::McpError;
use crate::jsonrpc::RequestId;
use crate::method::Method;
use crate::router::Router;
use crate::v2026::meta::Named;

use super::env::{CallEnv, Dispatched};
use super::params::{CallToolParams, Retry, parse_params};
use super::run::{Label, guard_sync, run};
use super::writer::Writer;
use super::{Target, context};

pub(super) fn dispatch(
    router: &Router,
    id: &RequestId,
    params: Option<&RawValue>,
    named: Option<Named<'_>>,
    env: CallEnv,
    writer: Writer,
) -> Result<Dispatched, McpError> {
    let p: CallToolParams<'_> = match named {
        Some(n) => CallToolParams::from_named(n)?,
        None => parse_params(params)?,
    };
    if p.arguments.is_some_and(|a| !matches!(a.get().as_bytes().first(), Some(b'{' | b'n'))) {
        return Err(McpError::invalid_params("Invalid params: arguments must be an object"));
    }
    let tool = router
        .inner
        .tools
        .get(p.name.as_ref())
        .ok_or_else(|| McpError::invalid_params(format!("Unknown tool: {}", p.name)))?;
    // Only a 2026 request can be suspended for input, and only then are
    // the arguments sealed into the request state.
    let arguments = if env.v2026.is_some() { p.arguments.map(|a| a.get().to_owned()) } else { None };
    let target = Target { method: Method::ToolsCall, name: &p.name, arguments };
    let retry = Retry { input_responses: p.input_responses, request_state: p.request_state };
    let ctx = context(id, env, p.meta, Some(target), retry)?;
    let label = Label::Shared(tool.tool.label.clone());
    let fut = guard_sync(&label, || (tool.tool.call)(&ctx, p.arguments))?;
    Ok(Dispatched::Call(run(id.clone(), ctx, label, writer, fut.map(Ok::<_, McpError>))))
}
