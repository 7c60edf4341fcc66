//! The per-request queue of messages a handler emits before its result
//! (progress, logs, server-to-client requests), and the table of
//! server-to-client requests awaiting their answer.
//!
//! The outbox is not a channel: the handler future is polled by the response
//! itself, so a push needs only a lock and a wake. A handler that emits
//! nothing never sees it used.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::task::AtomicWaker;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::error::McpError;
use crate::jsonrpc::RequestId;

/// Messages waiting to be written to a response stream.
pub(crate) struct Outbox {
    queue: Mutex<VecDeque<Bytes>>,
    waker: AtomicWaker,
    /// Whether server-to-client requests can be answered over this response.
    pub(crate) back_channel: bool,
}

impl Outbox {
    pub(crate) fn new(back_channel: bool) -> Self {
        Self { queue: Mutex::new(VecDeque::new()), waker: AtomicWaker::new(), back_channel }
    }

    pub(crate) fn push(&self, msg: Bytes) {
        if msg.is_empty() {
            return;
        }
        lock(&self.queue).push_back(msg);
        self.waker.wake();
    }

    pub(crate) fn pop(&self) -> Option<Bytes> {
        lock(&self.queue).pop_front()
    }

    pub(crate) fn is_empty(&self) -> bool {
        lock(&self.queue).is_empty()
    }

    pub(crate) fn register(&self, waker: &std::task::Waker) {
        self.waker.register(waker);
    }
}

/// Locks a mutex, recovering from poisoning: every critical section here
/// leaves the data consistent, so a panic elsewhere must not wedge serving.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

type Answer = Result<Value, McpError>;

struct Waiting {
    session: Option<Arc<str>>,
    tx: oneshot::Sender<Answer>,
}

/// Server-to-client requests awaiting the client's POSTed response.
pub(crate) struct PendingRequests {
    map: Mutex<HashMap<Arc<str>, Waiting>>,
    prefix: String,
    counter: AtomicU64,
}

impl PendingRequests {
    pub(crate) fn new() -> Result<Self, crate::util::RandomUnavailable> {
        // The random prefix makes ids unguessable across sessions; answers
        // are also checked against the session that asked.
        let prefix = crate::util::random_token(8)?;
        Ok(Self { map: Mutex::new(HashMap::new()), prefix, counter: AtomicU64::new(1) })
    }

    pub(crate) fn register(
        self: &Arc<Self>,
        session: Option<Arc<str>>,
    ) -> (RequestId, oneshot::Receiver<Answer>, PendingGuard) {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let key: Arc<str> = format!("s-{}-{n}", self.prefix).into();
        let (tx, rx) = oneshot::channel();
        lock(&self.map).insert(key.clone(), Waiting { session, tx });
        (RequestId::String(key.clone()), rx, PendingGuard { table: self.clone(), key })
    }

    /// Delivers a client's answer; `false` when nothing waits for it.
    pub(crate) fn resolve(&self, id: &RequestId, session: Option<&str>, answer: Answer) -> bool {
        let RequestId::String(key) = id else { return false };
        let mut map = lock(&self.map);
        match map.get(key) {
            Some(w) if w.session.as_deref() == session => {}
            _ => return false,
        }
        let Some(w) = map.remove(key) else { return false };
        drop(map);
        w.tx.send(answer).is_ok()
    }
}

/// Removes a pending entry when the asking handler gives up or finishes.
pub(crate) struct PendingGuard {
    table: Arc<PendingRequests>,
    key: Arc<str>,
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        lock(&self.table.map).remove(&self.key);
    }
}
