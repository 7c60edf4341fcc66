//! A request's place in a run, shared by the closed and open loops and the
//! worker that sends it.

use std::time::Instant;

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
