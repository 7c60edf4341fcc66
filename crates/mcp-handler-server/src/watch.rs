//! Every open connection, watched without a timer per request: idle ones
//! are closed, and on shutdown all of them are drained.
//!
//! **Idle.** A connection with no request in flight for longer than the
//! header timeout is closed: the head of its next request (or its first)
//! did not arrive in time, so a client cannot hold a connection by
//! dripping a head or by sitting idle. With nothing in flight, closing
//! loses no answer. hyper's own
//! header-read timeout does the same, but arms a boxed timer for every
//! request and drops it when the head is in: ~1.5k of the ~28k
//! instructions a small call costs. Here one task sweeps the open
//! connections on a coarse tick (an eighth of the timeout, 10 ms to 1 s),
//! and a request costs an `Arc` clone and two atomic updates. A connection
//! is closed between the timeout and a quarter more after it fell idle.
//!
//! **Drain.** [`Watch::drain`] shuts every connection down gracefully (an
//! HTTP/1 connection closes once its response is written, HTTP/2 sends
//! `GOAWAY`), and [`Watch::drained`] completes when the last one ended.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::task::AtomicWaker;
use http_body::{Body, Frame, SizeHint};
use tokio::sync::Notify;

/// The watch over one server's connections.
pub(crate) struct Watch {
    shared: Arc<Shared>,
}

struct Shared {
    /// Ticks since the watch started, advanced by the sweeper.
    now: AtomicU64,
    tick: Duration,
    /// Whole ticks a connection may stay idle.
    idle_ticks: u64,
    draining: AtomicBool,
    open: Mutex<Slots>,
    /// Told when the last connection ends during a drain.
    empty: Notify,
}

/// The open connections, each at a fixed index until it ends.
#[derive(Default)]
struct Slots {
    entries: Vec<Option<Arc<Conn>>>,
    /// Indices of `entries` that hold none.
    free: Vec<usize>,
}

impl Slots {
    fn insert(&mut self, conn: Arc<Conn>) -> usize {
        match self.free.pop() {
            Some(i) => {
                self.entries[i] = Some(conn);
                i
            }
            None => {
                self.entries.push(Some(conn));
                self.entries.len() - 1
            }
        }
    }

    fn remove(&mut self, slot: usize) {
        self.entries[slot] = None;
        self.free.push(slot);
    }

    fn is_empty(&self) -> bool {
        self.entries.len() == self.free.len()
    }
}

/// One connection's state, shared by its future, its requests and the sweeper.
struct Conn {
    shared: Arc<Shared>,
    in_flight: AtomicU32,
    /// The tick at which the last request in flight ended (or the
    /// connection opened).
    idle_since: AtomicU64,
    /// Set by the sweeper: idle too long (checked again before closing).
    expire: AtomicBool,
    /// Set by a drain: finish what is in flight, then close.
    close: AtomicBool,
    waker: AtomicWaker,
}

impl Watch {
    /// A watch closing connections idle longer than `idle`, and the task
    /// that sweeps them (it ends with the runtime, or when aborted).
    pub(crate) fn start(idle: Duration) -> (Self, tokio::task::JoinHandle<()>) {
        let tick = (idle / 8).clamp(Duration::from_millis(10), Duration::from_secs(1));
        let idle_ticks = (idle.as_nanos().div_ceil(tick.as_nanos().max(1))).max(1);
        let shared = Arc::new(Shared {
            now: AtomicU64::new(0),
            tick,
            idle_ticks: u64::try_from(idle_ticks).unwrap_or(u64::MAX),
            draining: AtomicBool::new(false),
            open: Mutex::new(Slots::default()),
            empty: Notify::new(),
        });
        let sweeper = tokio::spawn(sweep(Arc::downgrade(&shared)));
        (Self { shared }, sweeper)
    }

    /// A connection opens: the handle its requests count themselves with,
    /// and its place in the watch, to hand its future when it is made.
    pub(crate) fn open(&self) -> (Requests, Registration) {
        let state = Arc::new(Conn {
            shared: self.shared.clone(),
            in_flight: AtomicU32::new(0),
            idle_since: AtomicU64::new(self.shared.now.load(Ordering::Relaxed)),
            expire: AtomicBool::new(false),
            close: AtomicBool::new(self.shared.draining.load(Ordering::Acquire)),
            waker: AtomicWaker::new(),
        });
        let slot = lock(&self.shared.open).insert(state.clone());
        (Requests { conn: state.clone() }, Registration { state, slot })
    }

    /// Shuts every connection down gracefully, and those that open later.
    pub(crate) fn drain(&self) {
        self.shared.draining.store(true, Ordering::Release);
        for conn in lock(&self.shared.open).entries.iter().flatten() {
            conn.close.store(true, Ordering::Release);
            conn.waker.wake();
        }
    }

    /// Completes when no connection is open (call after [`drain`](Self::drain)).
    pub(crate) async fn drained(&self) {
        loop {
            let empty = self.shared.empty.notified();
            if lock(&self.shared.open).is_empty() {
                return;
            }
            empty.await;
        }
    }
}

/// Advances the clock every tick and marks idle connections for closing;
/// ends when the watch is gone.
async fn sweep(shared: std::sync::Weak<Shared>) {
    let Some(tick) = shared.upgrade().map(|s| s.tick) else { return };
    let mut every = tokio::time::interval(tick);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    every.tick().await;
    loop {
        every.tick().await;
        let Some(shared) = shared.upgrade() else { return };
        let now = shared.now.fetch_add(1, Ordering::Relaxed) + 1;
        for conn in lock(&shared.open).entries.iter().flatten() {
            if conn.is_stale(now) && !conn.expire.swap(true, Ordering::AcqRel) {
                conn.waker.wake();
            }
        }
    }
}

impl Conn {
    /// No request in flight, and none ended within the timeout: idle since
    /// some time within tick `idle_since`, so strictly more than
    /// `idle_ticks` ticks on means at least the whole timeout.
    fn is_stale(&self, now: u64) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0
            && now.saturating_sub(self.idle_since.load(Ordering::Relaxed)) > self.shared.idle_ticks
    }
}

fn lock(m: &Mutex<Slots>) -> std::sync::MutexGuard<'_, Slots> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A connection's place in the watch, given up when it ends.
pub(crate) struct Registration {
    state: Arc<Conn>,
    slot: usize,
}

impl Registration {
    /// Watches `conn` until it ends; `shutdown` asks it to finish what it
    /// is doing and close (hyper's graceful shutdown).
    pub(crate) fn watch<C: Future>(self, conn: C, shutdown: fn(Pin<&mut C>)) -> Watched<C> {
        Watched { conn, reg: self, shutdown: Some(shutdown) }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut open = lock(&self.state.shared.open);
        open.remove(self.slot);
        if open.is_empty() {
            self.state.shared.empty.notify_waiters();
        }
    }
}

pin_project_lite::pin_project! {
    /// A connection's future under the watch.
    pub(crate) struct Watched<C> {
        #[pin]
        conn: C,
        reg: Registration,
        // Taken when called: a connection is asked once.
        shutdown: Option<fn(Pin<&mut C>)>,
    }
}

impl<C: Future> Future for Watched<C> {
    /// `None` when the watch closed the connection for idling.
    type Output = Option<C::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let state = &this.reg.state;
        state.waker.register(cx.waker());
        // Checked again here, on the connection's own task: a request
        // begins only while the connection is polled, so none can have
        // begun between this check and the close.
        if state.expire.swap(false, Ordering::AcqRel) && state.is_stale(state.shared.now.load(Ordering::Relaxed)) {
            return Poll::Ready(None);
        }
        if state.close.load(Ordering::Acquire)
            && let Some(shutdown) = this.shutdown.take()
        {
            shutdown(this.conn.as_mut());
        }
        this.conn.poll(cx).map(Some)
    }
}

/// Counts one connection's requests in flight.
pub(crate) struct Requests {
    conn: Arc<Conn>,
}

impl Requests {
    /// One request begins; it ends when the returned guard drops (with
    /// the response body, once written).
    pub(crate) fn begin(&self) -> Busy {
        self.conn.in_flight.fetch_add(1, Ordering::AcqRel);
        Busy { conn: self.conn.clone() }
    }
}

/// A request in flight.
pub(crate) struct Busy {
    conn: Arc<Conn>,
}

impl Drop for Busy {
    fn drop(&mut self) {
        // The clock first: the sweeper that sees no request in flight
        // sees when the last one ended.
        self.conn.idle_since.store(self.conn.shared.now.load(Ordering::Relaxed), Ordering::Relaxed);
        self.conn.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

pin_project_lite::pin_project! {
    /// A response body that keeps its request in flight until written.
    pub(crate) struct Tracked<B> {
        #[pin]
        body: B,
        busy: Busy,
    }
}

impl<B> Tracked<B> {
    pub(crate) fn new(body: B, busy: Busy) -> Self {
        Self { body, busy }
    }
}

impl<B: Body<Data = Bytes>> Body for Tracked<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        self.project().body.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
