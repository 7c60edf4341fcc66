//! A finished run: the [`LoadRun`] the suite reads, and the text a person reads.

use std::collections::BTreeMap;
use std::fmt;

use super::check::ErrorKind;
use super::stats::Stats;
use crate::results::{LoadMode, LoadRun};

/// The result of [`super::run`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Outcome {
    /// What `mcp-bench --json` prints.
    pub run: LoadRun,
    /// The URL loaded.
    pub url: String,
    /// Worker threads used.
    pub threads: usize,
    /// Open loop: counted requests that left more than 1 ms after their
    /// intended time (the pool or the load generator could not keep up).
    pub late: Option<u64>,
    /// Connections opened again after the server closed one or it failed.
    pub reconnects: u64,
    /// Counted requests scheduled (answered or failed).
    pub requests: u64,
}

impl Outcome {
    pub(crate) fn new(
        stats: &Stats,
        scenario: &str,
        connections: u32,
        rate: Option<f64>,
        duration_s: f64,
        url: &str,
        threads: usize,
    ) -> Self {
        let errors: BTreeMap<String, u64> = ErrorKind::ALL
            .iter()
            .zip(stats.errors)
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| (k.name().to_owned(), n))
            .collect();
        let rps = if duration_s > 0.0 { stats.ok as f64 / duration_s } else { 0.0 };
        let run = LoadRun {
            scenario: scenario.to_owned(),
            mode: if rate.is_some() { LoadMode::Open } else { LoadMode::Closed },
            connections,
            rate,
            duration_s,
            ok: stats.ok,
            errors,
            rps,
            latency_us: stats.latency_us(),
        };
        Self {
            run,
            url: url.to_owned(),
            threads,
            late: rate.map(|_| stats.late),
            reconnects: stats.reconnects,
            requests: stats.ok + stats.error_count(),
        }
    }
}

/// Thousands separated by commas, for counts people scan.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Microseconds, in the unit that reads best.
fn time(us: f64) -> String {
    if us >= 1_000_000.0 {
        format!("{:.2}s", us / 1_000_000.0)
    } else if us >= 1000.0 {
        format!("{:.2}ms", us / 1000.0)
    } else {
        format!("{us:.1}µs")
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.run;
        let mode = match r.rate {
            Some(rate) => format!("open loop at {rate} req/s over {} connections", r.connections),
            None => format!("closed loop, {} connections", r.connections),
        };
        writeln!(f, "mcp-bench {} → {}", r.scenario, self.url)?;
        writeln!(f, "  {mode}, {} threads, {:.2}s measured", self.threads, r.duration_s)?;
        writeln!(f, "  requests/s  {:.1}", r.rps)?;
        writeln!(f, "  ok          {} of {}", grouped(r.ok), grouped(self.requests))?;
        writeln!(f, "  errors      {}", grouped(r.error_count()))?;
        for (kind, n) in &r.errors {
            writeln!(f, "    {kind:<14}{}", grouped(*n))?;
        }
        let l = &r.latency_us;
        writeln!(
            f,
            "  latency     p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  mean {}",
            time(l.p50),
            time(l.p90),
            time(l.p99),
            time(l.p999),
            time(l.max),
            time(l.mean)
        )?;
        if let Some(late) = self.late {
            writeln!(f, "  late        {} requests left >1ms after their intended time", grouped(late))?;
        }
        writeln!(f, "  reconnects  {}", grouped(self.reconnects))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(time(45.25), "45.2µs");
        assert_eq!(time(1500.0), "1.50ms");
        assert_eq!(time(2_500_000.0), "2.50s");
    }

    #[test]
    fn the_text_names_errors_and_lateness() -> anyhow::Result<()> {
        let mut stats = Stats::new()?;
        stats.record(Err(ErrorKind::WrongEcho), std::time::Instant::now());
        stats.late = 3;
        let o = Outcome::new(&stats, "call", 2, Some(100.0), 1.0, "http://x/", 1);
        let text = o.to_string();
        assert!(text.contains("wrong-echo"), "{text}");
        assert!(text.contains("3 requests left"), "{text}");
        assert_eq!(o.run.errors.get("wrong-echo"), Some(&1));
        assert_eq!(o.run.mode, LoadMode::Open);
        Ok(())
    }
}
