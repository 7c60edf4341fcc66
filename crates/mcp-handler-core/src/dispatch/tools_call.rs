//! `tools/call`: the tool's handler with its arguments.

use std::time::Duration;

use futures_util::FutureExt as _;
use futures_util::future::Either;

use crate::audit::Audit;
use crate::error::McpError;
use crate::method::Method;
use crate::model::CallToolResult;

use super::env::Dispatched;
use super::params::{CallToolParams, Retry};
use super::run::{Label, guard_sync, run, tool_name, traced};
use super::time_limit;
use super::{Req, context};
use crate::time_limited::TimeLimited;

pub(super) fn dispatch(req: Req<'_>) -> Result<Dispatched, McpError> {
    let p = CallToolParams::read(req.params, req.is_2026())?;
    if p.arguments.is_some_and(|a| !matches!(a.get().as_bytes().first(), Some(b'{' | b'n'))) {
        return Err(McpError::invalid_params("Invalid params: arguments must be an object"));
    }
    let (index, _, tool) = req
        .router
        .inner
        .tools
        .get_full(p.name.as_ref())
        .ok_or_else(|| McpError::invalid_params(format!("Unknown tool: {}", crate::error::clip(&p.name))))?;
    let retry = Retry { input_responses: p.input_responses, request_state: p.request_state };
    let span = crate::trace::handler_span(Method::ToolsCall, &p.name);
    let ctx = context(req.id, req.env, p.meta, Some(Method::ToolsCall), retry)?;
    let label = Label::Tool(index);
    let fut = guard_sync(&label, &ctx, || (tool.tool.call)(&ctx, p.arguments))?;
    let call = match time_limit::limit(tool.tool.timeout.or(req.router.inner.tool_timeout), &ctx) {
        None => Either::Left(fut.map(Ok::<_, McpError>)),
        Some(limit) => {
            let deadline = ctx.deadline();
            let ctx = ctx.clone();
            Either::Right(
                TimeLimited::new(fut, limit)
                    .map(move |r| Ok(r.unwrap_or_else(|l| timed_out(tool_name(&ctx, index), l, deadline)))),
            )
        }
    };
    let call = match Audit::start(&tool.tool.label, tool.tool.audit_arguments, &ctx, p.arguments) {
        None => Either::Left(call),
        Some(audit) => Either::Right(async move {
            let result = call.await;
            audit.finish(&result);
            result
        }),
    };
    Ok(Dispatched::Call(traced(run(req.id.clone(), ctx, label, req.writer, call), span)))
}

/// A call cut at its limit: a tool error the model can read, not a
/// protocol error (the request itself was fine). The log says how much of
/// the platform's time (the Lambda function's) was left, which tells a
/// tool's own limit from the function's timeout.
fn timed_out(tool: &str, limit: Duration, deadline: Option<std::time::SystemTime>) -> CallToolResult {
    let remaining_ms = deadline.map(|d| d.duration_since(std::time::SystemTime::now()).map_or(0, |r| r.as_millis()));
    tracing::warn!(tool, limit = ?limit, remaining_ms, "tool call timed out");
    CallToolResult::error(format!("The tool timed out after {:.1} s", limit.as_secs_f64()))
}
