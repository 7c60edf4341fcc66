//! What a worker thread counts. Each thread owns one `Stats` (its tasks share
//! it without locks); the run merges them at the end.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::check::ErrorKind;
use crate::results::Latency;

/// Highest latency the histogram tells apart (longer ones count as this).
const MAX_NS: u64 = 3_600_000_000_000;

/// Counts of one thread, or of the whole run once merged.
#[derive(Debug, Clone)]
pub(crate) struct Stats {
    /// Latency of correct answers, nanoseconds (3 significant digits).
    hist: Histogram<u64>,
    pub(crate) ok: u64,
    pub(crate) errors: [u64; ErrorKind::ALL.len()],
    /// Open loop: counted requests sent later than their intended time.
    pub(crate) late: u64,
    /// Connections opened again after one closed or failed.
    pub(crate) reconnects: u64,
    /// When the last counted request ended.
    pub(crate) last_done: Option<Instant>,
}

impl Stats {
    pub(crate) fn new() -> anyhow::Result<Self> {
        Ok(Self {
            hist: Histogram::new_with_bounds(1, MAX_NS, 3)?,
            ok: 0,
            errors: [0; ErrorKind::ALL.len()],
            late: 0,
            reconnects: 0,
            last_done: None,
        })
    }

    pub(crate) fn record(&mut self, outcome: Result<Duration, ErrorKind>, done: Instant) {
        match outcome {
            Ok(latency) => {
                self.ok += 1;
                let ns = u64::try_from(latency.as_nanos()).unwrap_or(MAX_NS);
                self.hist.saturating_record(ns.clamp(1, MAX_NS));
            }
            Err(kind) => self.errors[kind.index()] += 1,
        }
        if self.last_done.is_none_or(|t| done > t) {
            self.last_done = Some(done);
        }
    }

    pub(crate) fn merge(&mut self, other: &Self) {
        // Same bounds on both sides: adding cannot fail.
        let _ = self.hist.add(&other.hist);
        self.ok += other.ok;
        for (a, b) in self.errors.iter_mut().zip(other.errors) {
            *a += b;
        }
        self.late += other.late;
        self.reconnects += other.reconnects;
        self.last_done = match (self.last_done, other.last_done) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    pub(crate) fn error_count(&self) -> u64 {
        self.errors.iter().sum()
    }

    /// Percentiles in microseconds (zeros when nothing was answered).
    pub(crate) fn latency_us(&self) -> Latency {
        if self.hist.is_empty() {
            return Latency::default();
        }
        let us = |ns: u64| ns as f64 / 1000.0;
        Latency {
            p50: us(self.hist.value_at_quantile(0.50)),
            p90: us(self.hist.value_at_quantile(0.90)),
            p99: us(self.hist.value_at_quantile(0.99)),
            p999: us(self.hist.value_at_quantile(0.999)),
            max: us(self.hist.max()),
            mean: self.hist.mean() / 1000.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_counts_and_percentiles() -> anyhow::Result<()> {
        let t = Instant::now();
        let mut a = Stats::new()?;
        let mut b = Stats::new()?;
        for us in 1..=100u64 {
            a.record(Ok(Duration::from_micros(us)), t);
        }
        b.record(Err(ErrorKind::BadId), t + Duration::from_secs(1));
        b.record(Ok(Duration::from_millis(10)), t);
        a.merge(&b);
        assert_eq!(a.ok, 101);
        assert_eq!(a.error_count(), 1);
        assert_eq!(a.errors[ErrorKind::BadId.index()], 1);
        assert_eq!(a.last_done, Some(t + Duration::from_secs(1)));
        let l = a.latency_us();
        assert!((l.p50 - 51.0).abs() < 0.1, "{l:?}");
        assert!((l.max - 10_000.0).abs() < 10.0, "{l:?}");
        Ok(())
    }
}
