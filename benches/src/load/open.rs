//! Open loop: requests arrive at a fixed rate whatever the server does.
//! Request `i` is meant to leave at `start + i / rate`; its latency counts
//! from that intended time, so a stalled server (or a saturated pool of
//! connections) shows in the percentiles instead of silently lowering the
//! offered rate ("coordinated omission", as wrk2 corrects it).
//!
//! The connections share one sequence: whichever is free takes the next
//! index, so one slow answer delays only the requests that had no free
//! connection to go on.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::config::Stop;
use super::slot::Slot;

/// A request that leaves this much after its intended time counts as late.
pub(crate) const LATE: Duration = Duration::from_millis(1);

/// tokio's timer has millisecond resolution and rounds up; the last stretch
/// before a send time is waited out by yielding, so requests leave within
/// microseconds of their schedule instead of up to a millisecond after.
const SPIN: Duration = Duration::from_millis(1);

/// The shared schedule of an open-loop run.
#[derive(Debug)]
pub(crate) struct Open {
    start: Instant,
    interval_ns: f64,
    next: AtomicU64,
    /// First counted index (the ones before are warm-up).
    first: u64,
    /// `-n`: one past the last counted index.
    last: Option<u64>,
    /// `-d`: no request is scheduled at or after this.
    end: Option<Instant>,
}

impl Open {
    pub(crate) fn new(start: Instant, warmup: Duration, stop: Stop, rate: f64) -> Self {
        let first = (warmup.as_secs_f64() * rate).ceil() as u64;
        let (last, end) = match stop {
            Stop::Requests(n) => (Some(first.saturating_add(n)), None),
            Stop::After(d) => (None, Some(start + warmup + d)),
        };
        Self { start, interval_ns: 1e9 / rate, next: AtomicU64::new(0), first, last, end }
    }

    /// When counting starts: the intended time of the first counted request.
    pub(crate) fn measure_from(&self) -> Instant {
        self.intended(self.first)
    }

    fn intended(&self, i: u64) -> Instant {
        self.start + Duration::from_nanos((i as f64 * self.interval_ns) as u64)
    }

    /// Takes the next index and waits for its intended time; `None` when
    /// the run is over.
    pub(crate) async fn next(&self) -> Option<Slot> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        if self.last.is_some_and(|last| i >= last) {
            return None;
        }
        let at = self.intended(i);
        if self.end.is_some_and(|end| at >= end) {
            return None;
        }
        if at > Instant::now() + SPIN {
            tokio::time::sleep_until((at - SPIN).into()).await;
        }
        while Instant::now() < at {
            tokio::task::yield_now().await;
        }
        let late = Instant::now().saturating_duration_since(at) > LATE;
        Some(Slot { counted: i >= self.first, from: at, scheduled: true, late })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn indices_follow_the_rate_and_the_count() {
        let start = Instant::now();
        let o = Open::new(start, Duration::from_millis(10), Stop::Requests(5), 1000.0);
        let mut slots = Vec::new();
        while let Some(s) = o.next().await {
            slots.push(s);
        }
        assert_eq!(slots.len(), 15);
        assert_eq!(slots.iter().filter(|s| s.counted).count(), 5);
        assert_eq!(slots[14].from - start, Duration::from_millis(14));
        assert!(Instant::now() >= start + Duration::from_millis(14));
        assert_eq!(o.measure_from(), start + Duration::from_millis(10));
    }
}
