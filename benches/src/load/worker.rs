//! One connection's loop: take a slot from the schedule, build the step's
//! request, send it, check the answer, count it.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use http::HeaderValue;
use http::header::CONTENT_TYPE;
use http_body_util::Full;

use super::check::{ErrorKind, check};
use super::closed::Closed;
use super::config::Target;
use super::conn::{Answer, Connection, Tls};
use super::open::Open;
use super::scenario::{Plan, Script};
use super::sigv4::Signer;
use super::stats::Stats;

/// Pause after a failed connect, so a server that is down is not hammered
/// by a loop of refused connections.
const CONNECT_BACKOFF: Duration = Duration::from_millis(10);

/// One request's place in the run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    /// Past the warm-up (and so recorded).
    pub(crate) counted: bool,
    /// Where its latency counts from: the send (closed loop) or the intended
    /// send time (open loop).
    pub(crate) from: Instant,
    /// `from` is an intended time that waiting for a connection must not move.
    pub(crate) scheduled: bool,
    /// Open loop: it left more than [`super::open::LATE`] after its time.
    pub(crate) late: bool,
}

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
    let mut conn = Conn { current: None, opened: 0 };
    // The first connect happens before the first slot, outside any request's time.
    let _ = conn.ready(shared).await;
    let mut next_id: u64 = 1;
    while let Some(mut slot) = shared.schedule.next().await {
        let outcome = match conn.ready(shared).await {
            Ok(c) => {
                if !slot.scheduled {
                    slot.from = Instant::now();
                }
                let id = if plan.fixed_id { 1 } else { next_id };
                next_id += 1;
                exchange(shared, c, &script, id).await
            }
            Err(kind) => Err(kind),
        };
        let done = Instant::now();
        match &outcome {
            Ok(session) => script.advance(session.as_ref()),
            Err(kind) => {
                script.fail();
                // The connection's state is unknown after these: start afresh.
                if matches!(kind, ErrorKind::Io | ErrorKind::Timeout) {
                    conn.current = None;
                }
            }
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

/// The slot's connection, opened again whenever it closed.
struct Conn {
    current: Option<Connection>,
    opened: u64,
}

impl Conn {
    /// A connection ready for a request. A keep-alive connection the server
    /// closed while idle is replaced once without counting an error.
    async fn ready(&mut self, shared: &Shared) -> Result<&mut Connection, ErrorKind> {
        for _ in 0..2 {
            let c = match &mut self.current {
                Some(c) if c.is_open() => c,
                slot => {
                    let connect = Connection::open(&shared.target.addrs, shared.tls.as_ref());
                    let c = match tokio::time::timeout(shared.timeout, connect).await {
                        Ok(Ok(c)) => c,
                        Ok(Err(_)) | Err(_) => return Err(ErrorKind::Connect),
                    };
                    self.opened += 1;
                    slot.insert(c)
                }
            };
            // No timer here: the previous exchange finished (or the connection
            // is new), so an idle connection answers at once; a timer per
            // request would cost more than the check.
            if c.ready().await.is_ok() {
                break;
            }
            self.current = None;
        }
        self.current.as_mut().ok_or(ErrorKind::Io)
    }
}

/// Sends the script's current step as request `id` and checks the answer;
/// `Ok` holds the answer's `Mcp-Session-Id`.
async fn exchange(
    shared: &Shared,
    conn: &mut Connection,
    script: &Script,
    id: u64,
) -> Result<Option<HeaderValue>, ErrorKind> {
    let (mut req, expect) = shared.plan.request(script.current(), id, script.session());
    if let Some(signer) = &shared.signer {
        signer.sign(&mut req)?;
    }
    let answer = match tokio::time::timeout(shared.timeout, conn.exchange(req.map(Full::new))).await {
        Ok(answer) => answer?,
        Err(_) => return Err(ErrorKind::Timeout),
    };
    let Answer { parts, body } = answer;
    check(expect, id, parts.status, parts.headers.get(CONTENT_TYPE), &body)?;
    Ok(parts.headers.get("mcp-session-id").cloned())
}
