//! Closed loop: each connection sends its next request as soon as the last
//! one is answered, so the server's speed sets the rate (`wrk`'s model).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::config::Stop;
use super::slot::Slot;

/// The shared clock and request budget of a closed-loop run.
#[derive(Debug)]
pub(crate) struct Closed {
    measure_from: Instant,
    end: Option<Instant>,
    /// `-n`: counted requests not yet handed out.
    budget: Option<AtomicU64>,
}

impl Closed {
    pub(crate) fn new(start: Instant, warmup: Duration, stop: Stop) -> Self {
        let measure_from = start + warmup;
        match stop {
            Stop::After(d) => Self { measure_from, end: Some(measure_from + d), budget: None },
            Stop::Requests(n) => Self { measure_from, end: None, budget: Some(AtomicU64::new(n)) },
        }
    }

    pub(crate) fn measure_from(&self) -> Instant {
        self.measure_from
    }

    /// The next request to send now, or `None` when the run is over.
    pub(crate) fn next(&self) -> Option<Slot> {
        let now = Instant::now();
        if now < self.measure_from {
            return Some(Slot { counted: false, from: now, scheduled: false, late: false });
        }
        if self.end.is_some_and(|end| now >= end) {
            return None;
        }
        if let Some(budget) = &self.budget {
            budget.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).ok()?;
        }
        Some(Slot { counted: true, from: now, scheduled: false, late: false })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_budget_is_handed_out_exactly_once() {
        let c = Closed::new(Instant::now(), Duration::ZERO, Stop::Requests(3));
        let counted = std::iter::from_fn(|| c.next()).take(10).filter(|s| s.counted).count();
        assert_eq!(counted, 3);
        assert!(c.next().is_none());
    }

    #[test]
    fn warm_up_requests_are_not_counted_and_the_end_stops() {
        let start = Instant::now();
        let c = Closed::new(start, Duration::from_secs(3600), Stop::Requests(1));
        assert_eq!(c.next().map(|s| s.counted), Some(false));
        let c = Closed::new(start - Duration::from_secs(2), Duration::ZERO, Stop::After(Duration::from_secs(1)));
        assert!(c.next().is_none());
    }
}
