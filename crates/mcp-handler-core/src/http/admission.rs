//! How many handler calls run at once: in all, and per client when the
//! client is known (its session, or the principal an auth layer put into
//! the request). Beyond a limit the request is refused at once with `503`
//! and `Retry-After`, never queued: a queue nobody bounds is how a flood
//! turns into memory exhaustion and answers that arrive too late to matter.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use http::header::{self, HeaderValue};
use http::{Response, StatusCode};

use super::body::McpBody;
use super::responses::refuse;
use crate::error::McpError;
use crate::jsonrpc::RequestId;
use crate::outbox::lock;
use crate::v2026::Principal;

/// Who a request counts against, when that is known.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum ClientKey {
    Session(Arc<str>),
    Principal(String),
}

impl ClientKey {
    /// The session, else the principal in the request's extensions.
    pub(crate) fn of(session: Option<&str>, extensions: Option<&http::Extensions>) -> Option<Self> {
        if let Some(sid) = session {
            return Some(Self::Session(sid.into()));
        }
        extensions.and_then(|e| e.get::<Principal>()).map(|p| Self::Principal(p.0.clone()))
    }
}

/// The counters; shared by every request of one endpoint.
pub(crate) struct InFlight {
    total: AtomicUsize,
    /// Of `total`, the calls answering with an SSE stream (touched only
    /// when a call turns into one: the JSON path never does).
    streaming: AtomicUsize,
    max_total: usize,
    per_client: Mutex<HashMap<ClientKey, usize>>,
    max_per_client: usize,
}

/// One running call's place; released on drop (when the answer is written,
/// or the client went away and the handler was dropped).
///
/// A call answered with JSON borrows the counters for as long as the
/// endpoint's future runs it; only a streamed answer, which outlives that
/// future, takes a reference ([`Permit::streaming`]). Every core writes
/// such a count, so the JSON path writes one shared count (`total`), not
/// two (and, for a call whose client is known, the per-client table).
pub(crate) struct Permit<'a> {
    /// `None` once the place passed to a streaming permit.
    counters: Option<Counters<'a>>,
    client: Option<ClientKey>,
    streaming: bool,
}

enum Counters<'a> {
    Borrowed(&'a InFlight),
    Owned(Arc<InFlight>),
}

impl std::ops::Deref for Counters<'_> {
    type Target = InFlight;

    fn deref(&self) -> &InFlight {
        match self {
            Self::Borrowed(c) => c,
            Self::Owned(c) => c,
        }
    }
}

/// Which limit a refused call met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Full {
    Server,
    Client,
}

impl InFlight {
    pub(crate) fn new(max_total: usize, max_per_client: usize) -> Self {
        Self {
            total: AtomicUsize::new(0),
            streaming: AtomicUsize::new(0),
            max_total,
            per_client: Mutex::new(HashMap::new()),
            max_per_client,
        }
    }

    /// A place for a call of `client`, or which limit is full.
    pub(crate) fn admit(&self, client: Option<ClientKey>) -> Result<Permit<'_>, Full> {
        if self.total.fetch_add(1, Ordering::AcqRel) >= self.max_total {
            self.total.fetch_sub(1, Ordering::AcqRel);
            return Err(Full::Server);
        }
        if let Some(key) = &client {
            let mut map = lock(&self.per_client);
            let n = map.entry(key.clone()).or_insert(0);
            if *n >= self.max_per_client {
                drop(map);
                self.total.fetch_sub(1, Ordering::AcqRel);
                return Err(Full::Client);
            }
            *n += 1;
        }
        Ok(Permit { counters: Some(Counters::Borrowed(self)), client, streaming: false })
    }

    /// Calls holding a place now.
    pub(crate) fn running(&self) -> usize {
        self.total.load(Ordering::Acquire)
    }

    /// Of [`running`](Self::running), those answering with an SSE stream.
    pub(crate) fn streaming(&self) -> usize {
        self.streaming.load(Ordering::Acquire)
    }
}

impl Permit<'_> {
    /// This place, counted as an SSE stream until it is released, held
    /// with a reference to `counters` (the ones it was taken from) so that
    /// it can outlive the borrow.
    pub(crate) fn streaming(mut self, counters: &Arc<InFlight>) -> Permit<'static> {
        debug_assert!(self.counters.as_deref().is_some_and(|c| std::ptr::eq(c, &**counters)));
        self.counters = None;
        if !self.streaming {
            counters.streaming.fetch_add(1, Ordering::AcqRel);
        }
        Permit { counters: Some(Counters::Owned(counters.clone())), client: self.client.take(), streaming: true }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let Some(counters) = &self.counters else { return };
        if let Some(key) = self.client.take() {
            let mut map = lock(&counters.per_client);
            if let Some(n) = map.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    map.remove(&key);
                }
            }
        }
        if self.streaming {
            counters.streaming.fetch_sub(1, Ordering::AcqRel);
        }
        counters.total.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The JSON-RPC error of a call refused at `full`: the body of the `503`,
/// and what a batch member gets in its place.
pub(crate) fn busy(full: Full) -> McpError {
    let why = match full {
        Full::Server => "Service Unavailable: the server is running as many calls as it allows; retry shortly",
        Full::Client => "Service Unavailable: this client is running as many calls at once as it may; retry shortly",
    };
    tracing::warn!(limit = ?full, "in-flight limit reached; refusing a call");
    McpError::internal(why)
}

/// `503` with `Retry-After: 1` and a JSON-RPC error naming the limit.
pub(crate) fn refusal(full: Full, id: Option<&RequestId>) -> Response<McpBody> {
    let mut resp = refuse(StatusCode::SERVICE_UNAVAILABLE, id, &busy(full));
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_hold_and_places_come_back_on_drop() {
        let f = Arc::new(InFlight::new(3, 2));
        let alice = || Some(ClientKey::Session("alice".into()));
        let a1 = f.admit(alice()).unwrap();
        let a2 = f.admit(alice()).unwrap();
        assert_eq!(f.admit(alice()).err(), Some(Full::Client));
        let anon = f.admit(None).unwrap();
        assert_eq!(f.admit(None).err(), Some(Full::Server));
        assert_eq!(f.running(), 3);
        drop((a1, anon));
        assert_eq!(f.running(), 1);
        let a3 = f.admit(alice()).unwrap().streaming(&f);
        assert_eq!((f.running(), f.streaming()), (2, 1));
        drop((a2, a3));
        assert_eq!((f.running(), f.streaming()), (0, 0));
        assert!(lock(&f.per_client).is_empty(), "no entry outlives its calls");
    }
}
