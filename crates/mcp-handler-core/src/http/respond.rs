//! How a running handler is answered: admitted against the in-flight
//! limits, tracked for cancellation, then JSON when it finishes without
//! emitting, otherwise SSE (streamed, or complete when buffered).

use std::future::poll_fn;
use std::sync::Arc;
use std::task::Poll;

use http::Response;

use super::admission::{self, ClientKey};
use super::body::{EventIds, McpBody, PostStream, priming_event, sse_complete};
use super::config::{ResponseMode, SseMode};
use super::responses::{answer_output, random_unavailable, sse_response};
use super::service::{Caller, Shared};
use crate::dispatch::HandlerCall;
use crate::jsonrpc::RequestId;
use crate::util::{RandomUnavailable, random_token};

impl Shared {
    /// Answers a running handler: JSON when it finishes without emitting,
    /// otherwise SSE (streamed, or complete when buffered).
    pub(super) async fn respond(
        self: &Arc<Self>,
        call: HandlerCall,
        caller: &Caller,
        id: &RequestId,
    ) -> Response<McpBody> {
        let HandlerCall { mut fut, ctx } = call;
        let permit = match self.admission.admit(ClientKey::of(ctx.session_id(), ctx.extensions())) {
            Ok(p) => p,
            Err(full) => return self.refusal(admission::refusal(full, Some(id)), "busy", Some("MCP_MAX_IN_FLIGHT")),
        };
        let guard = self.track_inflight(caller, id, &ctx);
        let Some(outbox) = ctx.outbox() else {
            return answer_output(fut.await, caller.accepts, id);
        };
        // Event ids and the priming event are built only once the answer
        // is known to be SSE: the JSON path draws no random bytes. The
        // 2026 generation has no event ids at all.
        let sse_start = || {
            if caller.version.is_2026() {
                return Ok((EventIds::none(), None));
            }
            let mut ids = EventIds::new(random_token(6)?.into());
            let priming = (caller.version.sends_priming_event() && self.config.sse_retry.is_some())
                .then(|| priming_event(&mut ids, self.config.sse_retry));
            Ok::<_, RandomUnavailable>((ids, priming))
        };
        if self.config.response_mode == ResponseMode::Buffered {
            // Run to completion, then one body.
            let out = fut.await;
            drop(guard);
            if outbox.is_empty() {
                return answer_output(out, caller.accepts, id);
            }
            let Ok((mut ids, priming)) = sse_start() else { return random_unavailable(Some(id)) };
            return sse_response(McpBody::full(sse_complete(&mut ids, priming, outbox, &out.body)));
        }
        if self.config.sse_mode == SseMode::OnDemand {
            let first = poll_fn(|cx| {
                outbox.register(cx.waker());
                match fut.as_mut().poll(cx) {
                    Poll::Ready(b) => Poll::Ready(Some(b)),
                    Poll::Pending if !outbox.is_empty() => Poll::Ready(None),
                    Poll::Pending => Poll::Pending,
                }
            })
            .await;
            if let Some(out) = first {
                drop(guard);
                if outbox.is_empty() {
                    return answer_output(out, caller.accepts, id);
                }
                let Ok((mut ids, priming)) = sse_start() else { return random_unavailable(Some(id)) };
                return sse_response(McpBody::full(sse_complete(&mut ids, priming, outbox, &out.body)));
            }
        }
        let Ok((ids, priming)) = sse_start() else { return random_unavailable(Some(id)) };
        sse_response(McpBody::post_stream(PostStream {
            fut: Some(sync_wrapper::SyncWrapper::new(fut)),
            ctx,
            priming,
            response: None,
            ids,
            guard: Some(Box::new((permit.streaming(&self.admission), guard))),
            keep_alive: self.config.keep_alive.map(|d| (d, None)),
        }))
    }
}
