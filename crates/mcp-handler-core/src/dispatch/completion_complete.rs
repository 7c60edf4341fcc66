//! `completion/complete`: suggestions for a prompt argument or a resource
//! template variable, from the completer registered for it.

use futures_util::FutureExt as _;

use crate::error::McpError;
use crate::model::{CompleteRequest, CompletionReference};

use super::env::Dispatched;
use super::params::{CompleteParams, Retry, parse_params};
use super::run::{Label, guard_sync, run};
use super::writer::Complete;
use super::{Req, context};

pub(super) fn dispatch(req: Req<'_>) -> Result<Dispatched, McpError> {
    let p: CompleteParams<'_> = parse_params(req.params)?;
    let r = &*req.router.inner;
    let completer = match &p.reference {
        CompletionReference::Prompt { name } => {
            let prompt = r
                .prompts
                .get(name)
                .ok_or_else(|| McpError::invalid_params(format!("Unknown prompt: {}", crate::error::clip(name))))?;
            prompt.completers.get(&p.argument.name).cloned()
        }
        CompletionReference::Resource { uri } => {
            let template = r.templates.iter().find(|t| &t.def.info.uri_template == uri).ok_or_else(|| {
                McpError::invalid_params(format!("Unknown resource template: {}", crate::error::clip(uri)))
            })?;
            template.def.completers.get(&p.argument.name).cloned()
        }
    };
    let Some(completer) = completer else {
        // Nothing to suggest is an answer, not an error.
        let empty = Complete { completion: serde_json::json!({ "values": [] }) };
        return Ok(Dispatched::Done(req.writer.write(req.id, empty)));
    };
    // Completion is not one of the methods that may ask for input: no target.
    let ctx = context(req.id, req.env, p.meta.map(serde_json::value::RawValue::get), None, Retry::default())?;
    let request = CompleteRequest {
        reference: p.reference,
        argument: p.argument.name,
        value: p.argument.value,
        context: p.context.and_then(|c| c.arguments).unwrap_or_default(),
    };
    let label = Label::Owned("completion".into());
    let fut = guard_sync(&label, &ctx, || completer(ctx.clone(), request))?;
    let fut = fut.map(|r| r.map(|completion| Complete { completion }));
    Ok(Dispatched::Call(run(req.id.clone(), ctx, label, req.writer, fut)))
}
