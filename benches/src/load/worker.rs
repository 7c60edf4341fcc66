//! One connection's loop: take a slot from the schedule, build the step's
//! request, send it, check the answer, count it.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use http::HeaderValue;

use super::check::{ErrorKind, check};
use super::closed::Closed;
use super::config::Target;
use super::conn::{Connection, Failure, Tls};
use super::open::Open;
use super::scenario::{Plan, Script, Step};
use super::sigv4::Signer;
use super::slot::Slot;
use super::stats::Stats;

/// Pause after a failed connect, so a server that is down is not hammered
/// by a loop of refused connections.
const CONNECT_BACKOFF: Duration = Duration::from_millis(10);

/// How requests are offered.
#[derive(Debug)]
pub(crate) enum Schedule {
    Closed(Closed),
    Open(Open),
}

impl Schedule {
    async fn next(&self) -> Option<Slot> {
        match self {
            Self::Closed(c) => c.next(),
            Self::Open(o) => o.next().await,
        }
    }

    pub(crate) fn measure_from(&self) -> Instant {
        match self {
            Self::Closed(c) => c.measure_from(),
            Self::Open(o) => o.measure_from(),
        }
    }
}

/// What every connection of the run shares, read-only.
pub(crate) struct Shared {
    pub(crate) plan: Plan,
    pub(crate) schedule: Schedule,
    pub(crate) target: Target,
    pub(crate) tls: Option<Tls>,
    pub(crate) signer: Option<Signer>,
    pub(crate) timeout: Duration,
}

/// Runs one connection slot until the schedule ends.
pub(crate) async fn connection(shared: &Shared, stats: Rc<RefCell<Stats>>) {
    let plan = &shared.plan;
    let mut script = Script::new(plan.scenario, plan.session_calls);
    let mut conn = Conn { current: None, opened: 0, request: Vec::new(), body: Vec::new() };
    // The first connect happens before the first slot, outside any request's time.
    let _ = conn.connect(shared).await;
    let mut next_id: u64 = 1;
    while let Some(mut slot) = shared.schedule.next().await {
        let id = if plan.fixed_id { 1 } else { next_id };
        next_id += 1;
        let outcome = conn.exchange(shared, &script, id, &mut slot).await;
        let done = Instant::now();
        match &outcome {
            Ok(session) => script.advance(session.as_ref()),
            Err(_) => script.fail(),
        }
        if slot.counted {
            let mut s = stats.borrow_mut();
            s.record(outcome.as_ref().map(|_| done - slot.from).map_err(|k| *k), done);
            s.late += u64::from(slot.late);
        }
        if matches!(outcome, Err(ErrorKind::Connect)) {
            tokio::time::sleep(CONNECT_BACKOFF).await;
        }
    }
    stats.borrow_mut().reconnects += conn.opened.saturating_sub(1);
}

/// The slot's connection (opened again whenever it closed) and the
/// buffers its requests are written into, reused for every request.
struct Conn {
    current: Option<Connection>,
    opened: u64,
    request: Vec<u8>,
    body: Vec<u8>,
}

impl Conn {
    /// Opens a connection unless one is open; `true` when it opened one.
    async fn connect(&mut self, shared: &Shared) -> Result<bool, ErrorKind> {
        if self.current.as_ref().is_some_and(Connection::is_open) {
            return Ok(false);
        }
        self.current = None;
        let connect = Connection::open(&shared.target.addrs, shared.tls.as_ref());
        match tokio::time::timeout(shared.timeout, connect).await {
            Ok(Ok(c)) => self.current = Some(c),
            Ok(Err(_)) | Err(_) => return Err(ErrorKind::Connect),
        }
        self.opened += 1;
        Ok(true)
    }

    /// Sends the script's current step as request `id` and checks the
    /// answer; `Ok` holds the answer's `Mcp-Session-Id`. A request that
    /// found its kept-alive connection closed by the server is sent once
    /// more on a new one.
    async fn exchange(
        &mut self,
        shared: &Shared,
        script: &Script,
        id: u64,
        slot: &mut Slot,
    ) -> Result<Option<HeaderValue>, ErrorKind> {
        let signer = shared.signer.as_ref();
        let step = script.current();
        let expect = shared.plan.write(step, id, script.session(), signer, &mut self.request, &mut self.body)?;
        for attempt in 0..2 {
            // Closed loop: a request's time starts once it has a connection.
            if self.connect(shared).await? && !slot.scheduled && attempt == 0 {
                slot.from = Instant::now();
            }
            let Some(conn) = self.current.as_mut() else {
                return Err(ErrorKind::Connect);
            };
            // The time limit counts from where latency counts: an open-loop
            // request already a timeout behind its schedule is not sent at
            // all, which also bounds an overloaded run to its duration plus
            // one timeout.
            let deadline = slot.from + shared.timeout;
            if slot.scheduled && Instant::now() >= deadline {
                return Err(ErrorKind::Timeout);
            }
            let request = &self.request;
            let result = match tokio::time::timeout_at(deadline.into(), conn.exchange(request)).await {
                Err(_) => Err(Failure::Error(ErrorKind::Timeout)),
                Ok(Err(f)) => Err(f),
                Ok(Ok(answer)) => check(expect, id, answer.status, answer.content_type, answer.body)
                    .map(|()| match step {
                        // Only the initialize answer's session is kept (and copied).
                        Step::Initialize => answer.session_id.and_then(|s| HeaderValue::from_bytes(s).ok()),
                        _ => None,
                    })
                    .map_err(Failure::Error),
            };
            match result {
                Ok(session) => return Ok(session),
                Err(Failure::Stale) if attempt == 0 => self.current = None,
                Err(Failure::Stale) => return Err(ErrorKind::Io),
                Err(Failure::Error(kind)) => {
                    if matches!(kind, ErrorKind::Timeout) {
                        // The answer may still come: never read it as the next one's.
                        self.current = None;
                    }
                    return Err(kind);
                }
            }
        }
        Err(ErrorKind::Io)
    }
}
