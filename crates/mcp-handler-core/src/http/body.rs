//! The response body: one JSON message, or an SSE stream that drives the
//! handler future itself (no task is spawned to run a handler).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{BufMut as _, Bytes, BytesMut};
use futures_util::future::BoxFuture;
use http_body::{Frame, SizeHint};
use sync_wrapper::SyncWrapper;
use tokio::sync::mpsc;
use tokio_util::sync::WaitForCancellationFutureOwned;

use crate::outbox::Outbox;

/// Body of every response the endpoint produces.
pub struct McpBody {
    kind: Kind,
}

enum Kind {
    Full(Option<Bytes>),
    Post(Box<PostStream>),
    Get(Box<GetStream>),
}

impl std::fmt::Debug for McpBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.kind {
            Kind::Full(_) => "full",
            Kind::Post(_) => "post-sse",
            Kind::Get(_) => "get-sse",
        };
        f.debug_struct("McpBody").field("kind", &kind).finish()
    }
}

impl McpBody {
    /// A body of `bytes`.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        Self { kind: Kind::Full(Some(bytes.into())) }
    }
    /// An empty body.
    pub fn empty() -> Self {
        Self { kind: Kind::Full(None) }
    }
    /// The whole body, when it is one buffer (a JSON answer, a refusal, a
    /// buffered SSE answer); `None` for a stream.
    pub fn bytes(&self) -> Option<&Bytes> {
        match &self.kind {
            Kind::Full(b) => b.as_ref(),
            _ => None,
        }
    }
    pub(crate) fn post_stream(s: PostStream) -> Self {
        Self { kind: Kind::Post(Box::new(s)) }
    }
    pub(crate) fn get_stream(s: GetStream) -> Self {
        Self { kind: Kind::Get(Box::new(s)) }
    }
}

impl Default for McpBody {
    fn default() -> Self {
        Self::empty()
    }
}

impl http_body::Body for McpBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        match &mut this.kind {
            Kind::Full(b) => Poll::Ready(b.take().filter(|b| !b.is_empty()).map(|b| Ok(Frame::data(b)))),
            Kind::Post(s) => s.poll_next(cx).map(|o| o.map(|b| Ok(Frame::data(b)))),
            Kind::Get(s) => s.poll_next(cx).map(|o| o.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(&self.kind, Kind::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Kind::Full(None) => SizeHint::with_exact(0),
            _ => SizeHint::default(),
        }
    }
}

/// Numbers SSE events within one stream (2025 generation; the 2026
/// generation removed event ids and resumption).
pub(crate) struct EventIds {
    prefix: Option<Arc<str>>,
    next: u64,
}

impl EventIds {
    pub(crate) fn new(prefix: Arc<str>) -> Self {
        Self { prefix: Some(prefix), next: 0 }
    }
    pub(crate) fn none() -> Self {
        Self { prefix: None, next: 0 }
    }
    fn next(&mut self) -> Option<String> {
        let prefix = self.prefix.as_ref()?;
        let id = format!("{prefix}-{}", self.next);
        self.next += 1;
        Some(id)
    }
}

/// One `message` event carrying a JSON-RPC message.
pub(crate) fn sse_event(ids: &mut EventIds, data: &[u8]) -> Bytes {
    let id = ids.next();
    let mut b = BytesMut::with_capacity(data.len() + 48);
    b.put_slice(b"event: message\n");
    if let Some(id) = id {
        b.put_slice(b"id: ");
        b.put_slice(id.as_bytes());
        b.put_slice(b"\n");
    }
    b.put_slice(b"data: ");
    b.put_slice(data);
    b.put_slice(b"\n\n");
    b.freeze()
}

/// The priming event of SEP-1699: an id, empty data, and retry advice.
pub(crate) fn priming_event(ids: &mut EventIds, retry: Option<Duration>) -> Bytes {
    let id = ids.next().unwrap_or_default();
    match retry {
        Some(r) => Bytes::from(format!("id: {id}\nretry: {}\ndata: \n\n", r.as_millis())),
        None => Bytes::from(format!("id: {id}\ndata: \n\n")),
    }
}

/// A complete SSE body: the queued messages, then the response.
pub(crate) fn sse_complete(ids: &mut EventIds, priming: Option<Bytes>, outbox: &Outbox, response: &[u8]) -> Bytes {
    let mut b = BytesMut::new();
    if let Some(p) = priming {
        b.put(p);
    }
    while let Some(msg) = outbox.pop() {
        b.put(sse_event(ids, &msg));
    }
    b.put(sse_event(ids, response));
    b.freeze()
}

/// A POST answered with SSE: polls the handler and forwards what it emits,
/// then the response, then ends. Dropping it (client gone) drops the
/// handler, which cancels it.
pub(crate) struct PostStream {
    /// In a `SyncWrapper`, which gives only `&mut` access, so the body is
    /// `Sync` without asking handlers for `Sync` futures (Lambda's
    /// concurrent runtime wants `Sync` responses).
    pub(crate) fut: Option<SyncWrapper<BoxFuture<'static, crate::dispatch::Output>>>,
    /// The handler's context, which holds its outbox.
    pub(crate) ctx: crate::RequestContext,
    pub(crate) priming: Option<Bytes>,
    pub(crate) response: Option<Bytes>,
    pub(crate) ids: EventIds,
    pub(crate) guard: Option<Box<dyn Send + Sync>>,
    /// Comment lines while the handler is quiet, so proxies that close idle
    /// connections keep a long call's stream open; the timer is made when
    /// the stream first has nothing to send.
    pub(crate) keep_alive: Option<(Duration, Option<Pin<Box<tokio::time::Sleep>>>)>,
}

impl PostStream {
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        let out = self.poll_events(cx);
        match (&out, &mut self.keep_alive) {
            (Poll::Ready(_), Some((period, Some(sleep)))) => {
                sleep.as_mut().reset(tokio::time::Instant::now() + *period);
            }
            (Poll::Pending, Some((period, sleep))) => {
                let sleep = sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep(*period)));
                if sleep.as_mut().poll(cx).is_ready() {
                    sleep.as_mut().reset(tokio::time::Instant::now() + *period);
                    return Poll::Ready(Some(Bytes::from_static(b": keep-alive\n\n")));
                }
            }
            _ => {}
        }
        out
    }

    fn poll_events(&mut self, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        if let Some(p) = self.priming.take() {
            return Poll::Ready(Some(p));
        }
        if let Some(fut) = &mut self.fut {
            if let Some(outbox) = self.ctx.outbox() {
                outbox.register(cx.waker());
            }
            if let Poll::Ready(out) = fut.get_mut().as_mut().poll(cx) {
                self.fut = None;
                self.response = Some(out.body);
            }
        }
        if let Some(msg) = self.ctx.outbox().and_then(Outbox::pop) {
            return Poll::Ready(Some(sse_event(&mut self.ids, &msg)));
        }
        if self.fut.is_some() {
            return Poll::Pending;
        }
        if let Some(resp) = self.response.take() {
            self.guard = None;
            return Poll::Ready(Some(sse_event(&mut self.ids, &resp)));
        }
        Poll::Ready(None)
    }
}

/// A long-lived notification stream: the GET stream of a 2025 session or
/// a 2026 `subscriptions/listen` stream. Keep-alive comments while idle;
/// on shutdown, what is queued, then `closing` (if any), then the end.
pub(crate) struct GetStream {
    pub(crate) rx: mpsc::Receiver<Bytes>,
    pub(crate) first: Option<Bytes>,
    pub(crate) closing: Option<Bytes>,
    pub(crate) keep_alive: Option<(Duration, Pin<Box<tokio::time::Sleep>>)>,
    pub(crate) shutdown: Pin<Box<WaitForCancellationFutureOwned>>,
    pub(crate) ids: EventIds,
    pub(crate) _guard: Box<dyn Send + Sync>,
}

impl GetStream {
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        if let Some(p) = self.first.take() {
            return Poll::Ready(Some(p));
        }
        if self.shutdown.as_mut().poll(cx).is_ready() {
            // Deliver what is already queued, then the closing message.
            if let Ok(msg) = self.rx.try_recv() {
                return Poll::Ready(Some(sse_event(&mut self.ids, &msg)));
            }
            return Poll::Ready(self.closing.take().map(|c| sse_event(&mut self.ids, &c)));
        }
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(msg)) => {
                self.reset_keep_alive();
                return Poll::Ready(Some(sse_event(&mut self.ids, &msg)));
            }
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => {}
        }
        if let Some((_, sleep)) = &mut self.keep_alive
            && sleep.as_mut().poll(cx).is_ready()
        {
            self.reset_keep_alive();
            return Poll::Ready(Some(Bytes::from_static(b": keep-alive\n\n")));
        }
        Poll::Pending
    }

    fn reset_keep_alive(&mut self) {
        if let Some((period, sleep)) = &mut self.keep_alive {
            let deadline = tokio::time::Instant::now() + *period;
            sleep.as_mut().reset(deadline);
        }
    }
}
