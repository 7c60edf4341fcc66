//! `resources/read`: a direct resource by URI, else the first template
//! that matches it.

use std::collections::HashMap;

use futures_util::FutureExt as _;

use crate::error::{ErrorCode, McpError};
use crate::method::Method;
use crate::router::ResourceRequest;

use super::env::Dispatched;
use super::params::{ReadParams, Retry, parse_params};
use super::run::{Label, guard_sync, run, traced};
use super::writer::{Read, Writer};
use super::{Req, context};

pub(super) fn dispatch(req: Req<'_>) -> Result<Dispatched, McpError> {
    let p: ReadParams<'_> = parse_params(req.params)?;
    let r = &*req.router.inner;
    let found = if let Some(resource) = r.resources.get(&p.uri) {
        Some((resource.read.clone(), HashMap::new(), resource.cache))
    } else {
        r.templates.iter().find_map(|t| t.matcher.matches(&p.uri).map(|vars| (t.def.read.clone(), vars, t.def.cache)))
    };
    let Some((read, vars, cache)) = found else {
        // The 2026 generation moved "not found" to -32602 (SEP-2164).
        let e = McpError::resource_not_found(&p.uri);
        return Err(if req.is_2026() { McpError { code: ErrorCode::INVALID_PARAMS, ..e } } else { e });
    };
    let retry = Retry { input_responses: p.input_responses, request_state: p.request_state };
    let span = crate::trace::handler_span(Method::ResourcesRead, &p.uri);
    let ctx =
        context(req.id, req.env, p.meta.map(serde_json::value::RawValue::get), Some(Method::ResourcesRead), retry)?;
    let label = Label::Owned(format!("resource {}", p.uri));
    let request = ResourceRequest { uri: p.uri, params: vars };
    let fut = guard_sync(&label, &ctx, || read(&ctx, request))?;
    let writer = match req.writer {
        Writer::V2026 { identity, .. } => Writer::V2026 { identity, cache: Some(cache) },
        w => w,
    };
    Ok(Dispatched::Call(traced(
        run(req.id.clone(), ctx, label, writer, fut.map(|r| r.map(|contents| Read { contents }))),
        span,
    )))
}
