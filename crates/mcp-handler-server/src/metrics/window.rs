//! `mcp_requests_per_second`: requests over the last [`WINDOW`] or a little
//! more, computed when scraped from the request total of each scrape. The
//! request path does nothing for it; an autoscaler reads a rate without a
//! query.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How far back the rate looks. Scrapes further apart than this give the
/// rate since the previous scrape.
pub(super) const WINDOW: Duration = Duration::from_secs(30);

/// Samples kept at most, whatever the scrape rate.
const MAX_SAMPLES: usize = 64;

/// `(when, total requests)` seen by recent scrapes.
pub(super) struct RateWindow {
    samples: Mutex<VecDeque<(Instant, u64)>>,
}

impl RateWindow {
    /// A window that starts at `start` with no requests.
    pub(super) fn new(start: Instant) -> Self {
        Self { samples: Mutex::new(VecDeque::from([(start, 0)])) }
    }

    /// Records `total` at `now` and returns requests per second since the
    /// newest sample at least [`WINDOW`] old (since start, or the oldest
    /// sample, while there is none): a span of one window plus at most one
    /// scrape interval, so that the rate does not jump with each scrape.
    pub(super) fn rate(&self, now: Instant, total: u64) -> f64 {
        let mut samples = self.samples.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Forget samples older than the window, keeping the newest of them
        // as the base when nothing newer is left.
        while samples.len() > 1 && samples.get(1).is_some_and(|(t, _)| now.saturating_duration_since(*t) >= WINDOW) {
            samples.pop_front();
        }
        let rate = match samples.front() {
            Some(&(t, n)) if now > t => total.saturating_sub(n) as f64 / now.duration_since(t).as_secs_f64(),
            _ => 0.0,
        };
        if samples.len() >= MAX_SAMPLES {
            samples.remove(1);
        }
        samples.push_back((now, total));
        rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_covers_the_last_window() {
        let t0 = Instant::now();
        let w = RateWindow::new(t0);
        let at = |s: u64| t0 + Duration::from_secs(s);
        // 100 requests in the first 10 s.
        assert!((w.rate(at(10), 100) - 10.0).abs() < 1e-9);
        // 100 more by 20 s: still measured from the start (within 30 s).
        assert!((w.rate(at(20), 200) - 10.0).abs() < 1e-9);
        // At 45 s the base is the 10 s sample, the newest one 30 s old: 400 in 35 s.
        assert!((w.rate(at(45), 500) - 400.0 / 35.0).abs() < 1e-9);
        // Idle since: the rate falls to zero once the window has passed.
        assert!(w.rate(at(100), 500).abs() < 1e-9);
        assert!(w.rate(at(100), 500).abs() < 1e-9, "a second scrape at the same instant");
    }

    #[test]
    fn frequent_scrapes_keep_a_bounded_history() {
        let t0 = Instant::now();
        let w = RateWindow::new(t0);
        for i in 1..=1000u64 {
            w.rate(t0 + Duration::from_millis(10 * i), i);
        }
        assert!(w.samples.lock().unwrap().len() <= MAX_SAMPLES);
    }
}
