//! Many connections, and the scaling suite: `call` and `call-2026` side
//! by side at [`SCALING_CONNECTIONS`], on every core count measured. The
//! default run gives one core's row per system; with `--cores 1,2,4,8` the
//! same table is the scaling table (its chart is `scaling.svg`) and shows
//! how the 2026 shape keeps up with the 2025 shape as cores are added,
//! which is where anything every core writes would show first.

use super::aggregate::{Aggregated, SCALING_CONNECTIONS};
use super::format::{self, Table};

/// The table, or nothing when no run had that many connections.
pub(crate) fn many_connections(agg: &Aggregated) -> String {
    let mut t = Table::new(&["system", "cores", "call", "call-2026", "2026 / 2025", "p99 call", "p99 call-2026"]);
    for system in agg.systems() {
        for cores in agg.core_counts() {
            let v2025 = agg.closed(&system, "call", cores, SCALING_CONNECTIONS);
            let v2026 = agg.closed(&system, "call-2026", cores, SCALING_CONNECTIONS);
            if v2025.is_none() && v2026.is_none() {
                continue;
            }
            let ratio = match (v2025, v2026) {
                (Some(a), Some(b)) if a.rps > 0.0 => format!("{:.2}×", b.rps / a.rps),
                _ => format::MISSING.to_owned(),
            };
            t.row(vec![
                format!("`{system}`"),
                cores.to_string(),
                format::rps(v2025.map(|c| c.rps)),
                format::rps(v2026.map(|c| c.rps)),
                ratio,
                format::micros(v2025.map(|c| c.latency_us.p99)),
                format::micros(v2026.map(|c| c.latency_us.p99)),
            ]);
        }
    }
    if t.is_empty() {
        return String::new();
    }
    format!(
        "## Many connections\n\nRequests/s and p99 at {SCALING_CONNECTIONS} connections, closed loop, on each \
         core count measured (`--cores 1,2,4,8` on a bigger machine adds rows: the scaling suite); medians \
         of the rounds. One core's runs last half as long as the main table's (the memory table's peak \
         comes from them). 2026 / 2025 is the system's `call-2026` \
         over its `call`: a shape that keeps up on one core but falls behind as cores are added \
         writes something every core shares.\n\n{}",
        t.render()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::aggregate::OURS;
    use crate::report::aggregate::tests::agg;
    use crate::report::tables::tests::{at, scaling_runs};

    #[test]
    fn both_shapes_sit_side_by_side_per_core_count() {
        let mut load = scaling_runs();
        for (cores, rps) in [(1, 90_000.0), (2, 150_000.0)] {
            let mut r = at(OURS, cores, SCALING_CONNECTIONS, rps);
            r.run.scenario = "call-2026".to_owned();
            load.push(r);
        }
        let text = many_connections(&agg(load));
        assert!(text.starts_with("## Many connections"), "{text}");
        assert!(text.contains("| `mcp-handler` | 1 | 100000 | 90000 | 0.90× |"), "{text}");
        assert!(text.contains("| `mcp-handler` | 2 | 190000 | 150000 | 0.79× |"), "{text}");
        assert!(text.contains("| `mcp-handler` | 4 | 350000 | — | — |"), "no 2026 run, no ratio: {text}");
        assert!(text.contains("| `axum` | 1 | 110000 | — | — |"), "{text}");
    }

    #[test]
    fn no_run_at_that_many_connections_no_section() {
        assert_eq!(many_connections(&agg(vec![at(OURS, 1, 50, 1.0)])), "");
    }
}
