//! `prompts/get`: the prompt's handler with its (string) arguments.

use crate::error::McpError;
use crate::method::Method;

use super::env::Dispatched;
use super::params::{GetPromptParams, Retry, parse_params};
use super::run::{Label, guard_sync, run, traced};
use super::{Req, context};

pub(super) fn dispatch(req: Req<'_>) -> Result<Dispatched, McpError> {
    let p: GetPromptParams<'_> = parse_params(req.params)?;
    let prompt = req
        .router
        .inner
        .prompts
        .get(&p.name)
        .ok_or_else(|| McpError::invalid_params(format!("Unknown prompt: {}", crate::error::clip(&p.name))))?;
    let args = p.arguments.unwrap_or_default();
    if let Some(missing) = prompt.info.arguments.iter().find(|a| a.required && !args.contains_key(&a.name)) {
        return Err(McpError::invalid_params(format!("Missing required argument: {}", missing.name)));
    }
    let retry = Retry { input_responses: p.input_responses, request_state: p.request_state };
    let span = crate::trace::handler_span(Method::PromptsGet, &p.name);
    let ctx = context(req.id, req.env, p.meta.map(serde_json::value::RawValue::get), Some(Method::PromptsGet), retry)?;
    let label = Label::Owned(format!("prompt {}", p.name));
    let fut = guard_sync(&label, &ctx, || (prompt.get)(&ctx, args))?;
    Ok(Dispatched::Call(traced(run(req.id.clone(), ctx, label, req.writer, fut), span)))
}
