//! Where log lines go: stderr. By default each line is one `write`, as it
//! is logged. While a [`LineBatch`] is held (the server shell holds one
//! while it serves), lines gather in one buffer that a thread of its own
//! writes out: one `write` for many lines, instead of one system call per
//! request for the access log.
//!
//! A line waits at most [`LINGER`] (less when [`FULL`] bytes are waiting),
//! nothing is written twice or out of order, and a buffer that stderr
//! cannot take fast enough stops the loggers at [`MAX`] bytes, as a full
//! pipe stops a direct `write`: memory stays bounded. Dropping the batch
//! writes out what is left before it returns, on every exit path of the
//! code that holds it (unwinding included); only a process killed outright
//! loses the last [`LINGER`] of lines.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How long a line may wait for others to share its `write`.
pub const LINGER: Duration = Duration::from_millis(20);
/// Waiting bytes that are written at once.
const FULL: usize = 16 * 1024;
/// Waiting bytes at which loggers wait for the writer.
const MAX: usize = 1024 * 1024;

/// Whether a batch is on: read first, so that a line logged without one
/// takes no lock but stderr's.
static ON: AtomicBool = AtomicBool::new(false);
static STATE: Mutex<State> = Mutex::new(State { on: false, buf: Vec::new() });
/// Loggers -> writer: lines arrived, or the buffer is full, or stop.
static WORK: Condvar = Condvar::new();
/// Writer -> loggers: the buffer was taken.
static ROOM: Condvar = Condvar::new();

struct State {
    on: bool,
    buf: Vec<u8>,
}

fn state() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The subscriber's writer: one whole line per `write_all`. `direct` is
/// set where the layer that writes with it writes lines a caller may
/// write itself, and says how ([`crate::log_direct`]).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StderrLines {
    pub(crate) direct: Option<crate::log_direct::Direct>,
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for StderrLines {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line
    }
}

/// One line's writer (see [`StderrLines`]).
pub(crate) struct Line;

impl std::io::Write for Line {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf).map(|()| buf.len())
    }

    fn write_all(&mut self, line: &[u8]) -> std::io::Result<()> {
        if ON.load(Ordering::Acquire) {
            let mut state = state();
            while state.on && state.buf.len() >= MAX {
                state = ROOM.wait(state).unwrap_or_else(PoisonError::into_inner);
            }
            if state.on {
                let was_empty = state.buf.is_empty();
                state.buf.extend_from_slice(line);
                if was_empty || state.buf.len() >= FULL {
                    WORK.notify_one();
                }
                return Ok(());
            }
        }
        std::io::stderr().lock().write_all(line)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Batches log lines while held; see the module documentation.
#[must_use = "lines are batched only while the LineBatch is held"]
pub struct LineBatch {
    writer: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for LineBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineBatch").field("on", &self.writer.is_some()).finish()
    }
}

impl LineBatch {
    /// Starts batching, unless a batch is already on (then this one does
    /// nothing) or the writer thread cannot start (lines stay direct).
    pub fn start() -> Self {
        let mut state = state();
        if state.on {
            return Self { writer: None };
        }
        let Ok(writer) = std::thread::Builder::new().name("mcp-log".into()).spawn(write_out) else {
            return Self { writer: None };
        };
        state.on = true;
        ON.store(true, Ordering::Release);
        Self { writer: Some(writer) }
    }
}

impl Drop for LineBatch {
    fn drop(&mut self) {
        let Some(writer) = self.writer.take() else { return };
        ON.store(false, Ordering::Release);
        state().on = false;
        WORK.notify_one();
        ROOM.notify_all();
        // The thread writes what is left, then ends.
        let _ = writer.join();
    }
}

/// The writer thread: waits for a line, lets others join it for up to
/// `LINGER`, writes them in one go; after the stop, writes the rest.
fn write_out() {
    let mut spare = Vec::with_capacity(FULL);
    loop {
        let mut state = state();
        while state.on && state.buf.is_empty() {
            state = WORK.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
        let (mut state, _) = WORK
            .wait_timeout_while(state, LINGER, |s| s.on && s.buf.len() < FULL)
            .unwrap_or_else(PoisonError::into_inner);
        std::mem::swap(&mut state.buf, &mut spare);
        let on = state.on;
        drop(state);
        ROOM.notify_all();
        if !spare.is_empty() {
            // Nowhere to report a failed log write; stderr's own writes
            // ignore it the same way.
            let _ = std::io::stderr().lock().write_all(&spare);
            spare.clear();
            // A burst may have grown it past the bound; keep no more.
            if spare.capacity() > MAX {
                spare.shrink_to(MAX);
            }
        }
        if !on {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn waiting() -> usize {
        state().buf.len()
    }

    // One test: the batch is process-wide.
    #[test]
    fn lines_wait_at_most_the_linger_and_the_rest_is_written_at_the_drop() {
        let batch = LineBatch::start();
        let second = LineBatch::start();
        assert!(second.writer.is_none(), "one batch at a time");
        drop(second);
        assert!(ON.load(Ordering::Acquire), "dropping the no-op batch leaves the first on");
        Line.write_all(b"log_lines test: one\n").unwrap();
        let start = std::time::Instant::now();
        while waiting() > 0 {
            assert!(start.elapsed() < LINGER * 50, "the line was written within its linger");
            std::thread::sleep(Duration::from_millis(1));
        }
        Line.write_all(b"log_lines test: two\n").unwrap();
        drop(batch);
        assert!(!ON.load(Ordering::Acquire));
        assert_eq!(waiting(), 0, "the drop wrote the rest");
        Line.write_all(b"log_lines test: three, direct\n").unwrap();
    }
}
