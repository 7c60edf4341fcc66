//! Rounds folded into one figure per cell: the median of the rounds.
//!
//! The suite interleaves systems and repeats the whole set in rounds, so one
//! noisy round (a neighbour's burst on a shared machine) moves a mean but not
//! a median. Each figure of a cell — requests/s and every percentile — is the
//! median of that figure over the rounds (with an even count, the mean of the
//! two middle values); errors are summed.

use std::collections::{BTreeMap, BTreeSet};

use crate::results::{LambdaRun, Latency, LoadMode, Results};

/// Systems in the order every table and chart shows them; others follow, sorted.
pub(crate) const SYSTEMS: [&str; 9] = [
    "floor",
    "axum",
    "mcp-handler",
    "mcp-handler-logged",
    "mcp-handler-static",
    "rmcp",
    "rmcp-example",
    "fastmcp",
    "typescript-sdk",
];
/// Scenarios in table order; others follow, sorted.
pub(crate) const SCENARIOS: [&str; 5] = ["call", "call-2026", "list", "big", "session"];
/// Lambda functions in table order; others follow, sorted.
pub(crate) const LAMBDA_SYSTEMS: [&str; 4] =
    ["mcp-handler", "mcp-handler-no-sdk", "lambda-runtime-floor", "awslabs-python"];
/// Lambda response modes in table order.
pub(crate) const LAMBDA_MODES: [&str; 2] = ["buffered", "streaming"];
/// The main table's concurrency.
pub(crate) const MAIN_CONNECTIONS: u32 = 50;
/// The latency row: one connection, sequential calls.
pub(crate) const ONE_CONNECTION: u32 = 1;
/// The concurrency the memory table reads RSS at.
pub(crate) const RSS_CONNECTIONS: u32 = 256;
/// The scaling suite's concurrency: `cargo xtask bench --cores 1,2,4,8`
/// runs `call` and `call-2026` at 256 connections on every core count
/// (`xtask/src/bench_load.rs`, `runs_for`); 50 connections run on one core only.
pub(crate) const SCALING_CONNECTIONS: u32 = 256;
/// This library's system name in the load runs.
pub(crate) const OURS: &str = "mcp-handler";
/// The HTTP floor: hyper answering fixed bytes.
pub(crate) const FLOOR: &str = "floor";
/// The hand-written axum handler.
pub(crate) const AXUM: &str = "axum";
/// The bare `lambda_runtime` function.
pub(crate) const LAMBDA_FLOOR: &str = "lambda-runtime-floor";
/// The same server with its access log on, as shipped.
pub(crate) const LOGGED: &str = "mcp-handler-logged";
/// The same server built as the container image builds it (static musl, mimalloc).
pub(crate) const STATIC: &str = "mcp-handler-static";

/// What identifies one cell of the tables.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key {
    pub(crate) system: String,
    pub(crate) scenario: String,
    pub(crate) cores: u32,
    pub(crate) connections: u32,
    pub(crate) mode: LoadMode,
}

/// One cell: the medians of its rounds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cell {
    pub(crate) rounds: usize,
    pub(crate) rps: f64,
    pub(crate) latency_us: Latency,
    pub(crate) ok: u64,
    pub(crate) errors: u64,
    pub(crate) rss_idle_kb: Option<f64>,
    /// The private part of the idle RSS (heap, stacks).
    pub(crate) rss_idle_anon_kb: Option<f64>,
    /// The idle RSS of the program's own code, and that code's size.
    pub(crate) rss_idle_code_kb: Option<f64>,
    pub(crate) code_kb: Option<f64>,
    pub(crate) rss_peak_kb: Option<f64>,
    /// Open loop: the offered arrival rate.
    pub(crate) rate: Option<f64>,
}

/// One Lambda function in one mode: the medians of its runs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LambdaCell {
    pub(crate) runs: usize,
    pub(crate) init_ms: f64,
    pub(crate) first_invoke_ms: f64,
    pub(crate) warm_us: Latency,
    pub(crate) invocations: u64,
    pub(crate) rss_hwm_kb: Option<f64>,
}

/// Every cell of a results document.
#[derive(Debug, Default)]
pub(crate) struct Aggregated {
    pub(crate) load: BTreeMap<Key, Cell>,
    pub(crate) lambda: BTreeMap<(String, String), LambdaCell>,
    /// Per Lambda function: the median init over every start, whatever the
    /// mode (init ends at the first `/next`, before the mode matters), and
    /// how many starts it is the median of.
    pub(crate) lambda_init: BTreeMap<String, (f64, usize)>,
}

/// One system's RSS in KiB, as [`Aggregated::rss`] reads it.
pub(crate) struct Rss {
    pub(crate) idle: Option<f64>,
    pub(crate) private: Option<f64>,
    /// The highest peak at [`RSS_CONNECTIONS`], and the run it came from.
    pub(crate) peak: Option<(String, f64)>,
}

/// The median of the values; `None` for none.
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) { (values[mid - 1] + values[mid]) / 2.0 } else { values[mid] })
}

fn median_or_zero(values: Vec<f64>) -> f64 {
    median(values).unwrap_or(0.0)
}

fn median_latency(all: &[Latency]) -> Latency {
    let pick = |f: fn(&Latency) -> f64| median_or_zero(all.iter().map(f).collect());
    Latency {
        p50: pick(|l| l.p50),
        p90: pick(|l| l.p90),
        p99: pick(|l| l.p99),
        p999: pick(|l| l.p999),
        max: pick(|l| l.max),
        mean: pick(|l| l.mean),
    }
}

impl Aggregated {
    /// Folds the rounds of every load and Lambda run.
    pub(crate) fn from_results(results: &Results) -> Self {
        let mut groups: BTreeMap<Key, Vec<&crate::results::LoadResult>> = BTreeMap::new();
        for r in &results.load {
            let key = Key {
                system: r.system.clone(),
                scenario: r.run.scenario.clone(),
                cores: r.cores,
                connections: r.run.connections,
                mode: r.run.mode,
            };
            groups.entry(key).or_default().push(r);
        }
        let load = groups
            .into_iter()
            .map(|(key, runs)| {
                let latencies: Vec<Latency> = runs.iter().map(|r| r.run.latency_us).collect();
                let cell = Cell {
                    rounds: runs.len(),
                    rps: median_or_zero(runs.iter().map(|r| r.run.rps).collect()),
                    latency_us: median_latency(&latencies),
                    ok: runs.iter().map(|r| r.run.ok).sum(),
                    errors: runs.iter().map(|r| r.run.error_count()).sum(),
                    rss_idle_kb: median(runs.iter().filter_map(|r| r.rss_idle_kb).map(|v| v as f64).collect()),
                    rss_idle_anon_kb: median(
                        runs.iter().filter_map(|r| r.rss_idle_anon_kb).map(|v| v as f64).collect(),
                    ),
                    rss_idle_code_kb: median(
                        runs.iter().filter_map(|r| r.rss_idle_code_kb).map(|v| v as f64).collect(),
                    ),
                    code_kb: median(runs.iter().filter_map(|r| r.code_kb).map(|v| v as f64).collect()),
                    rss_peak_kb: median(runs.iter().filter_map(|r| r.rss_peak_kb).map(|v| v as f64).collect()),
                    rate: median(runs.iter().filter_map(|r| r.run.rate).collect()),
                };
                (key, cell)
            })
            .collect();
        let mut lambda_groups: BTreeMap<(String, String), Vec<&LambdaRun>> = BTreeMap::new();
        let mut inits: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for r in &results.lambda {
            lambda_groups.entry((r.system.clone(), r.mode.clone())).or_default().push(r);
            inits.entry(r.system.clone()).or_default().push(r.init_ms);
        }
        let lambda_init = inits.into_iter().map(|(system, v)| (system, (median_or_zero(v.clone()), v.len()))).collect();
        let lambda = lambda_groups
            .into_iter()
            .map(|(key, runs)| {
                let latencies: Vec<Latency> = runs.iter().map(|r| r.warm_us).collect();
                let cell = LambdaCell {
                    runs: runs.len(),
                    init_ms: median_or_zero(runs.iter().map(|r| r.init_ms).collect()),
                    first_invoke_ms: median_or_zero(runs.iter().map(|r| r.first_invoke_ms).collect()),
                    warm_us: median_latency(&latencies),
                    invocations: runs.iter().map(|r| r.invocations).sum(),
                    rss_hwm_kb: median(runs.iter().filter_map(|r| r.rss_hwm_kb).map(|v| v as f64).collect()),
                };
                (key, cell)
            })
            .collect();
        Self { load, lambda, lambda_init }
    }

    /// A closed-loop cell.
    pub(crate) fn closed(&self, system: &str, scenario: &str, cores: u32, connections: u32) -> Option<&Cell> {
        self.load.get(&Key {
            system: system.to_owned(),
            scenario: scenario.to_owned(),
            cores,
            connections,
            mode: LoadMode::Closed,
        })
    }

    /// The core count the main tables use: one core when measured (the
    /// targets are stated for one core), else the fewest measured.
    pub(crate) fn main_cores(&self) -> u32 {
        let cores = self.core_counts();
        if cores.contains(&1) { 1 } else { cores.first().copied().unwrap_or(1) }
    }

    /// `system`'s resident set: idle and its private part (medians over
    /// its runs), and the highest peak at [`RSS_CONNECTIONS`] with the run
    /// it came from (its cores named where several core counts ran).
    pub(crate) fn rss(&self, system: &str) -> Rss {
        let runs = || self.load.iter().filter(|(k, _)| k.system == system);
        let several_cores = self.core_counts().len() > 1;
        let label = |k: &Key| {
            if several_cores { format!("{}, {} cores", k.scenario, k.cores) } else { k.scenario.clone() }
        };
        Rss {
            idle: median(runs().filter_map(|(_, c)| c.rss_idle_kb).collect()),
            private: median(runs().filter_map(|(_, c)| c.rss_idle_anon_kb).collect()),
            peak: runs()
                .filter(|(k, _)| k.connections == RSS_CONNECTIONS)
                .filter_map(|(k, c)| c.rss_peak_kb.map(|v| (label(k), v)))
                .max_by(|a, b| a.1.total_cmp(&b.1)),
        }
    }

    /// Distinct core counts of the closed-loop runs, ascending.
    pub(crate) fn core_counts(&self) -> Vec<u32> {
        let set: BTreeSet<u32> = self.load.keys().filter(|k| k.mode == LoadMode::Closed).map(|k| k.cores).collect();
        set.into_iter().collect()
    }

    /// The canonical systems followed by any other system present, sorted.
    pub(crate) fn systems(&self) -> Vec<String> {
        ordered(&SYSTEMS, self.load.keys().map(|k| k.system.as_str()))
    }

    /// The canonical scenarios followed by any other scenario present, sorted.
    pub(crate) fn scenarios(&self) -> Vec<String> {
        ordered(&SCENARIOS, self.load.keys().map(|k| k.scenario.as_str()))
    }

    /// The canonical Lambda functions followed by any other present, sorted.
    pub(crate) fn lambda_systems(&self) -> Vec<String> {
        ordered(&LAMBDA_SYSTEMS, self.lambda.keys().map(|k| k.0.as_str()))
    }

    /// The two Lambda modes followed by any other present, sorted.
    pub(crate) fn lambda_modes(&self) -> Vec<String> {
        ordered(&LAMBDA_MODES, self.lambda.keys().map(|k| k.1.as_str()))
    }

    /// A Lambda cell.
    pub(crate) fn lambda(&self, system: &str, mode: &str) -> Option<&LambdaCell> {
        self.lambda.get(&(system.to_owned(), mode.to_owned()))
    }

    /// Open-loop cells (shown in their own table: their latency counts from
    /// the intended send time, so it is not comparable with closed loop's).
    pub(crate) fn open_loop(&self) -> impl Iterator<Item = (&Key, &Cell)> {
        self.load.iter().filter(|(k, _)| k.mode == LoadMode::Open)
    }
}

fn ordered<'a>(canonical: &[&str], present: impl Iterator<Item = &'a str>) -> Vec<String> {
    let extra: BTreeSet<&str> = present.filter(|s| !canonical.contains(s)).collect();
    canonical.iter().copied().chain(extra).map(str::to_owned).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::results::{LoadResult, LoadRun};

    /// The report's view of `load` (the report's tests share it).
    pub(crate) fn agg(load: Vec<LoadResult>) -> Aggregated {
        Aggregated::from_results(&crate::results::Results { load, ..crate::results::Results::default() })
    }

    /// One closed-loop `call` run at 50 connections (the report's tests share it).
    pub(crate) fn run(system: &str, round: u32, rps: f64, p99: f64, rss_idle: Option<u64>) -> LoadResult {
        LoadResult {
            system: system.to_owned(),
            cores: 1,
            round,
            rss_idle_kb: rss_idle,
            rss_idle_anon_kb: rss_idle.map(|kb| kb / 8),
            rss_idle_code_kb: rss_idle.map(|kb| kb / 2),
            code_kb: rss_idle.map(|kb| kb / 2 + 100),
            rss_peak_kb: None,
            run: LoadRun {
                scenario: "call".to_owned(),
                mode: LoadMode::Closed,
                connections: 50,
                rate: None,
                duration_s: 5.0,
                ok: 100,
                errors: BTreeMap::from([("status".to_owned(), 1)]),
                rps,
                latency_us: Latency { p50: rps / 100.0, p99, ..Latency::default() },
            },
        }
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        // Even count: the mean of the two middle values, (2 + 3) / 2.
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![f64::NAN, 5.0]), Some(5.0));
    }

    #[test]
    fn rounds_fold_into_medians_and_summed_errors() {
        let results = Results {
            load: vec![
                run("floor", 1, 30_000.0, 900.0, Some(4000)),
                run("floor", 2, 10_000.0, 300.0, None),
                run("floor", 3, 20_000.0, 600.0, Some(5000)),
            ],
            ..Results::default()
        };
        let agg = Aggregated::from_results(&results);
        let cell = agg.closed("floor", "call", 1, 50).expect("the floor cell");
        assert_eq!(cell.rounds, 3);
        // rps 10k, 20k, 30k → 20k; p99 300, 600, 900 → 600; p50 = rps / 100 → 200.
        assert_eq!(cell.rps, 20_000.0);
        assert_eq!(cell.latency_us.p99, 600.0);
        assert_eq!(cell.latency_us.p50, 200.0);
        assert_eq!(cell.errors, 3);
        assert_eq!(cell.ok, 300);
        // Only two rounds read the RSS: (4000 + 5000) / 2.
        assert_eq!(cell.rss_idle_kb, Some(4500.0));
        assert!(agg.closed("floor", "call", 2, 50).is_none());
    }

    #[test]
    fn canonical_systems_come_first_then_others_sorted() {
        let results = Results {
            load: vec![run("zeta", 1, 1.0, 1.0, None), run("alpha", 1, 1.0, 1.0, None), run("rmcp", 1, 1.0, 1.0, None)],
            ..Results::default()
        };
        let systems = Aggregated::from_results(&results).systems();
        assert_eq!(systems[..SYSTEMS.len()], SYSTEMS.map(str::to_owned));
        assert_eq!(systems[SYSTEMS.len()..], ["alpha".to_owned(), "zeta".to_owned()]);
    }
}
