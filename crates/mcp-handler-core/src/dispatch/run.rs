//! The wrapper every handler future runs in: panics caught, cancellation
//! honoured, a suspended 2026 round ended, the response message written.

use std::future::{Future, poll_fn};
use std::panic::AssertUnwindSafe;
use std::task::Poll;

use futures_util::FutureExt as _;

use crate::context::RequestContext;
use crate::error::{ErrorCode, McpError};
use crate::jsonrpc::RequestId;

use super::env::{HandlerCall, Output};
use super::writer::{INPUT_REQUIRED, ResultBody, Writer};

/// Names the handler in logs when it panics.
pub(super) enum Label {
    /// The tool at this index of the router's registry, named from the
    /// router the context holds only when needed: a call copies no name
    /// and takes no reference to one (a count every core would write).
    Tool(usize),
    Owned(String),
}

impl Label {
    fn name<'a>(&'a self, ctx: &'a RequestContext) -> &'a str {
        match self {
            Self::Tool(index) => tool_name(ctx, *index),
            Self::Owned(s) => s,
        }
    }
}

/// The name of the tool at `index` of the router that serves `ctx`.
pub(super) fn tool_name(ctx: &RequestContext, index: usize) -> &str {
    let router = ctx.served().router.as_ref();
    router.and_then(|r| r.inner.tools.get_index(index)).map_or("a tool", |(name, _)| name)
}

/// Runs the synchronous part of a handler (argument parsing, the closure
/// body before its first `.await`) with panics caught.
pub(super) fn guard_sync<T>(label: &Label, ctx: &RequestContext, f: impl FnOnce() -> T) -> Result<T, McpError> {
    std::panic::catch_unwind(AssertUnwindSafe(f)).map_err(|panic| panicked(label, ctx, &*panic))
}

pub(super) fn panicked(label: &Label, ctx: &RequestContext, panic: &(dyn std::any::Any + Send)) -> McpError {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".into());
    let name = label.name(ctx);
    tracing::error!(handler = %name, panic = %what, "handler panicked");
    // The payload stays in the server log: it may hold anything.
    McpError::internal(format!("Internal error: {name} panicked"))
}

/// Wraps a handler future: catches panics, honours cancellation, ends a
/// suspended 2026 round with its input-required result, and writes the
/// response message.
pub(super) fn run<T, F>(id: RequestId, ctx: RequestContext, label: Label, writer: Writer, fut: F) -> HandlerCall
where
    T: ResultBody + Send + 'static,
    F: Future<Output = Result<T, McpError>> + Send + 'static,
{
    let this = ctx.clone();
    let fut = async move {
        // Read at the first poll, after the endpoint tracked the request
        // (a session's token exists by then); without a token nothing can
        // cancel it, and there is nothing to wait on.
        let cancel = this.cancel_token_if_made();
        let cancelled = async {
            match cancel {
                Some(token) => token.cancelled().await,
                None => std::future::pending().await,
            }
        };
        let mut guarded = std::pin::pin!(AssertUnwindSafe(fut).catch_unwind());
        // A 2026 handler that asked for input is suspended forever; end the
        // round as soon as it yields with input requested.
        let outcome = poll_fn(|cx| match guarded.as_mut().poll(cx) {
            Poll::Ready(out) => Poll::Ready(Ok(out)),
            Poll::Pending => match this.suspended() {
                Some(s) => Poll::Ready(Err(s)),
                None => Poll::Pending,
            },
        });
        tokio::select! {
            biased;
            () = cancelled => Output::ok(writer.error(&id, &McpError::new(ErrorCode::REQUEST_CANCELLED, "Request cancelled"))),
            out = outcome => match out {
                Ok(Ok(Ok(v))) => Output::ok(writer.write(&id, v)),
                Ok(Ok(Err(e))) => Output::ok(writer.error(&id, &e)),
                Ok(Err(panic)) => Output::ok(writer.error(&id, &panicked(&label, &this, &*panic))),
                Err(Ok(input_required)) => {
                    // Interim results carry no cache hints.
                    let w = match writer {
                        Writer::V2026 { identity, .. } => Writer::V2026 { identity, cache: None },
                        w => w,
                    };
                    Output::ok(w.write_as(&id, input_required, INPUT_REQUIRED))
                }
                Err(Err((status, e))) => Output { status, body: writer.error(&id, &e) },
            },
        }
    };
    HandlerCall { fut: Box::pin(fut), ctx }
}

/// `call` inside its handler span (`crate::trace`), when an exporter
/// listens: one more box then, nothing otherwise.
pub(super) fn traced(call: HandlerCall, span: Option<tracing::Span>) -> HandlerCall {
    match span {
        None => call,
        Some(span) => HandlerCall { fut: Box::pin(tracing::Instrument::instrument(call.fut, span)), ctx: call.ctx },
    }
}
