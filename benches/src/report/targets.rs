//! The speed targets, read from the measured figures: each line says
//! what was measured, the target, met or missed, and by how much. They are
//! reported, never asserted: a machine's speed is not a test result.

use serde::Serialize;

use crate::results::{ProfileRun, Stage};

use super::aggregate::{
    AXUM, Aggregated, FLOOR, LAMBDA_FLOOR, MAIN_CONNECTIONS, ONE_CONNECTION, OURS, RSS_CONNECTIONS, Rss, STATIC,
};
use super::{format, reasons};

const RMCP: &str = "rmcp";
const RMCP_EXAMPLE: &str = "rmcp-example";
/// The server shell's share of the HTTP floor's requests/s the issue asks for.
pub(super) const SHELL_VS_FLOOR: f64 = 0.85;

/// Which side of the limit meets the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Goal {
    AtLeast,
    AtMost,
    Below,
}

/// What the measured value and the limit count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Unit {
    Ratio,
    Micros,
    Mib,
    Millis,
    Minutes,
}

impl Unit {
    fn show(self, value: f64) -> String {
        match self {
            Unit::Ratio => format!("{value:.2}×"),
            Unit::Micros => format::micros(Some(value)),
            Unit::Mib => format!("{value:.1} MiB"),
            Unit::Millis => format!("{value:.3} ms"),
            Unit::Minutes => format!("{value:.1} min"),
        }
    }
}

/// One target line of the report (and of `results.json`'s `ratios`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct TargetLine {
    /// The target as the issue states it.
    pub(crate) target: String,
    pub(crate) goal: Goal,
    pub(crate) unit: Unit,
    /// The measured value (a ratio, or an absolute figure).
    pub(crate) measured: Option<f64>,
    /// The limit it is held to.
    pub(crate) limit: Option<f64>,
    /// `None` when an input was not measured.
    pub(crate) met: Option<bool>,
    /// The figures the value was computed from, or why it is missing.
    pub(crate) inputs: String,
    /// `met: …` / `missed: …` / `not measured`, with the margin.
    pub(crate) verdict: String,
    /// For a missed target, why it is out of reach on this machine when
    /// the run itself shows it (a bound no server on this stack can pass).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) why: Option<String>,
}

fn line(
    target: String,
    goal: Goal,
    unit: Unit,
    measured: Option<f64>,
    limit: Option<f64>,
    inputs: String,
) -> TargetLine {
    let (met, verdict) = match (measured, limit) {
        (Some(m), Some(l)) if l > 0.0 => {
            let met = match goal {
                Goal::AtLeast => m >= l,
                Goal::AtMost => m <= l,
                Goal::Below => m < l,
            };
            let (sign, margin) = match (goal, met) {
                (Goal::AtLeast, true) => ("≥", "to spare"),
                (Goal::AtLeast, false) => ("<", "short by"),
                (_, true) => (if goal == Goal::Below { "<" } else { "≤" }, "to spare"),
                (_, false) => (if goal == Goal::Below { "≥" } else { ">" }, "over by"),
            };
            let percent = ((m - l) / l * 100.0).abs();
            let amount = if unit == Unit::Ratio {
                format!("{percent:.1}%")
            } else {
                format!("{}, {percent:.1}%", unit.show((m - l).abs()))
            };
            let text = if met { format!("{amount} {margin}") } else { format!("{margin} {amount}") };
            let word = if met { "met" } else { "missed" };
            (Some(met), format!("{word}: {} {sign} {} ({text})", unit.show(m), unit.show(l)))
        }
        _ => (None, "not measured".to_owned()),
    };
    TargetLine { target, goal, unit, measured, limit, met, inputs, verdict, why: None }
}

impl TargetLine {
    /// `why` when the target was missed.
    fn because(mut self, why: Option<String>) -> Self {
        if self.met == Some(false) {
            self.why = why;
        }
        self
    }
}

/// A ratio `numerator / denominator` held to `limit`; each side is
/// `(label, value)` or the reason it is missing.
fn ratio(
    target: String,
    goal: Goal,
    limit: f64,
    num: Result<(String, f64), String>,
    den: Result<(String, f64), String>,
) -> TargetLine {
    match (num, den) {
        (Ok((nl, n)), Ok((dl, d))) if d > 0.0 => {
            line(target, goal, Unit::Ratio, Some(n / d), Some(limit), format!("{nl} / {dl}"))
        }
        (Ok(_), Ok((dl, _))) => line(target, goal, Unit::Ratio, None, Some(limit), format!("{dl} is zero")),
        (Err(why), _) | (_, Err(why)) => line(target, goal, Unit::Ratio, None, Some(limit), why),
    }
}

/// The bound on the whole command (minutes on this machine).
const RUN_BOUND_MIN: f64 = 15.0;

/// The whole run against its bound, when its stages were timed; builds
/// (in `prepare`) are named when they are what puts it over.
pub(crate) fn run_time(stages: &[Stage]) -> Option<TargetLine> {
    if stages.is_empty() {
        return None;
    }
    let minutes = |s: &Stage| s.seconds / 60.0;
    let total: f64 = stages.iter().map(minutes).sum();
    let prepare: f64 = stages.iter().filter(|s| s.name == "prepare").map(minutes).sum();
    let inputs = format!("{total:.1} min in all, of which prepare (installs, builds, answer checks) {prepare:.1} min");
    let l = line(
        format!("`cargo xtask bench` ≤ {RUN_BOUND_MIN:.0} min"),
        Goal::AtMost,
        Unit::Minutes,
        Some(total),
        Some(RUN_BOUND_MIN),
        inputs,
    );
    let why = (total > RUN_BOUND_MIN && total - prepare <= RUN_BOUND_MIN).then(|| {
        format!(
            "the measuring stages took {:.1} min; the rest was prepare, which builds what a code change or a \
             fresh machine needs and takes seconds when everything is built",
            total - prepare
        )
    });
    Some(l.because(why))
}

/// Every target line, in the order; `profile` (the callgrind
/// instruction counts, possibly none) says where the work behind a missed
/// floor target goes.
pub(crate) fn evaluate(agg: &Aggregated, profile: &[ProfileRun]) -> Vec<TargetLine> {
    let cores = agg.main_cores();
    let rps = |system: &str, scenario: &str| -> Result<(String, f64), String> {
        match agg.closed(system, scenario, cores, MAIN_CONNECTIONS) {
            Some(c) if c.rps > 0.0 => Ok((format!("{system} {scenario} {}", format::rps(Some(c.rps))), c.rps)),
            _ => Err(format!("no {system} `{scenario}` run at {cores} core(s), {MAIN_CONNECTIONS} connections")),
        }
    };
    let p50_one = |system: &str| -> Result<(String, f64), String> {
        match agg.closed(system, "call", cores, ONE_CONNECTION) {
            Some(c) if c.latency_us.p50 > 0.0 => {
                Ok((format!("{system} p50 {}", format::micros(Some(c.latency_us.p50))), c.latency_us.p50))
            }
            _ => Err(format!("no {system} `call` run at one connection, {cores} core(s)")),
        }
    };
    let mut lines = vec![
        ratio(
            format!("server shell ≥ {SHELL_VS_FLOOR}× HTTP floor (call, {cores} core)"),
            Goal::AtLeast,
            SHELL_VS_FLOOR,
            rps(OURS, "call"),
            rps(FLOOR, "call"),
        )
        .because(reasons::shell(agg, cores, profile)),
        ratio(
            "2026-07-28 shape ≥ 0.85× 2025 shape (mcp-handler)".to_owned(),
            Goal::AtLeast,
            0.85,
            rps(OURS, "call-2026"),
            rps(OURS, "call"),
        )
        .because(reasons::shape_2026(profile)),
        ratio("10 KB echo ≥ 1.0× raw axum (big)".to_owned(), Goal::AtLeast, 1.0, rps(OURS, "big"), rps(AXUM, "big")),
        ratio("one connection p50 ≤ 1.1× floor's (call)".to_owned(), Goal::AtMost, 1.1, p50_one(OURS), p50_one(FLOOR))
            .because(reasons::one_connection(agg, profile)),
    ];
    let scenarios = agg.scenarios();
    // rmcp twice: with one shared tool router (its fastest setup) and as its
    // own examples build it (a router per request).
    for rmcp in [RMCP, RMCP_EXAMPLE] {
        let both: Vec<&String> = scenarios.iter().filter(|s| rps(OURS, s).is_ok() && rps(rmcp, s).is_ok()).collect();
        if both.is_empty() && rmcp == RMCP {
            lines.push(ratio(
                "≥ 4× rmcp on every shape".to_owned(),
                Goal::AtLeast,
                4.0,
                rps(OURS, "call"),
                rps(RMCP, "call"),
            ));
        }
        for scenario in both {
            // The HTTP floor answers fixed bytes with no JSON-RPC work: what
            // it reaches over rmcp bounds what any server on hyper can.
            let rates = |system: &str| rps(system, scenario).ok().map(|(_, v)| v);
            let floor = reasons::rmcp(rmcp, rates(FLOOR), rates(AXUM), rates(rmcp), rates(OURS));
            let l = ratio(
                format!("≥ 4× {rmcp} ({scenario})"),
                Goal::AtLeast,
                4.0,
                rps(OURS, scenario),
                rps(rmcp, scenario),
            );
            lines.push(l.because(floor));
        }
    }
    lines.extend(p99_lines(agg, cores, &scenarios));
    lines.extend(rss_lines_of(agg));
    lines.extend(lambda_lines(agg));
    lines
}

/// mcp-handler's p99 against the lowest p99 of every other system, per
/// scenario; a miss names every peer below ours, not only the lowest.
fn p99_lines(agg: &Aggregated, cores: u32, scenarios: &[String]) -> Vec<TargetLine> {
    let mut lines = Vec::new();
    for scenario in scenarios {
        let Some(our_cell) = agg.closed(OURS, scenario, cores, MAIN_CONNECTIONS) else { continue };
        let ours = our_cell.latency_us.p99;
        let mut peers: Vec<(String, f64)> = agg
            .systems()
            .into_iter()
            .filter(|s| !s.starts_with(OURS))
            .filter_map(|s| agg.closed(&s, scenario, cores, MAIN_CONNECTIONS).map(|c| (s, c.latency_us.p99)))
            .collect();
        peers.sort_by(|a, b| a.1.total_cmp(&b.1));
        let target = format!("p99 below every peer's ({scenario})");
        let Some((lowest, p99)) = peers.first().cloned() else {
            lines.push(line(target, Goal::Below, Unit::Micros, None, None, "no peer ran this scenario".to_owned()));
            continue;
        };
        let below: Vec<&(String, f64)> = peers.iter().filter(|(_, p)| *p <= ours).collect();
        let inputs = if below.len() > 1 {
            let named: Vec<String> = below.iter().map(|(s, p)| format!("{s} {}", format::micros(Some(*p)))).collect();
            format!("peers at or below ours: {}", named.join(", "))
        } else {
            format!("lowest peer: {lowest}")
        };
        let l = line(target, Goal::Below, Unit::Micros, Some(ours), Some(p99), inputs);
        // The floor and the hand-written axum handler are bounds, not MCP
        // servers: when only they are below, say so, and how the MCP
        // implementations compare.
        let why = below.iter().all(|(s, _)| matches!(s.as_str(), FLOOR | AXUM)).then(|| {
            let bounds: Vec<String> = below
                .iter()
                .map(|(s, _)| {
                    let tail =
                        agg.closed(s, scenario, cores, MAIN_CONNECTIONS).and_then(|c| reasons::tail(our_cell, c, s));
                    format!("{}{}", reasons::bound(s), tail.map_or_else(String::new, |t| format!(" ({t})")))
                })
                .collect();
            match peers.iter().find(|(s, _)| s != FLOOR && s != AXUM) {
                Some((s, p)) => {
                    format!("{}; below every MCP SDK (lowest: {s}, {})", bounds.join("; "), format::micros(Some(*p)))
                }
                None => bounds.join("; "),
            }
        });
        lines.push(l.because(why));
    }
    if lines.is_empty() {
        let why = format!("no {OURS} run at {MAIN_CONNECTIONS} connections");
        lines.push(line("p99 below every peer's".to_owned(), Goal::Below, Unit::Micros, None, None, why));
    }
    lines
}

/// The memory lines of the glibc build and, where it ran, the container
/// image's build.
fn rss_lines_of(agg: &Aggregated) -> Vec<TargetLine> {
    let mut lines = Vec::from(rss_lines(agg, OURS, ""));
    if agg.load.keys().any(|k| k.system == STATIC) {
        lines.extend(rss_lines(agg, STATIC, " (container image build)"));
    }
    lines
}

/// RSS idle (median over `system`'s runs) and at 256 connections (the
/// largest scenario median at that concurrency, so the heaviest shape
/// counts); `label` tells the build apart in the target's name.
fn rss_lines(agg: &Aggregated, system: &str, label: &str) -> [TargetLine; 2] {
    let Rss { idle, private, peak } = agg.rss(system);
    let why = reasons::idle_rss(agg, system, idle, private);
    [
        line(
            format!("RSS ≤ 6 MiB idle{label}"),
            Goal::AtMost,
            Unit::Mib,
            idle.map(|kb| kb / 1024.0),
            Some(6.0),
            match (idle, private) {
                (Some(_), Some(p)) => format!(
                    "median over {system}'s runs; {:.1} MiB of it private (heap, stacks), the rest mapped code",
                    p / 1024.0
                ),
                (Some(_), None) => format!("median over {system}'s runs"),
                (None, _) => "no RSS read".to_owned(),
            },
        )
        .because(why),
        line(
            format!("RSS ≤ 16 MiB at {RSS_CONNECTIONS} connections{label}"),
            Goal::AtMost,
            Unit::Mib,
            peak.as_ref().map(|p| p.1 / 1024.0),
            Some(16.0),
            match &peak {
                Some((scenario, _)) => format!("peak RSS, heaviest scenario: {scenario}"),
                None => format!("no {system} run at {RSS_CONNECTIONS} connections with RSS"),
            },
        ),
    ]
}

/// Lambda init ≤ 1.2× the bare `lambda_runtime` function, for each of this
/// library's functions (init is the median of every start, in all modes:
/// it ends before the mode matters, and one start is a noisy figure), and
/// warm overhead ≤ 0.2 ms in each mode.
fn lambda_lines(agg: &Aggregated) -> Vec<TargetLine> {
    let mut lines = Vec::new();
    let init_of = |system: &str| {
        agg.lambda_init
            .get(system)
            .map(|&(ms, n)| (format!("{system} {} (median of {n} starts)", format::millis(Some(ms))), ms))
    };
    for system in agg.lambda_systems().iter().filter(|s| s.starts_with(OURS)) {
        if let Some(ours) = init_of(system) {
            lines.push(ratio(
                format!("Lambda init ≤ 1.2× bare lambda_runtime ({system})"),
                Goal::AtMost,
                1.2,
                Ok(ours),
                init_of(LAMBDA_FLOOR).ok_or_else(|| format!("no {LAMBDA_FLOOR} run")),
            ));
        }
        for mode in agg.lambda_modes() {
            let Some(ours) = agg.lambda(system, &mode) else { continue };
            let floor = agg.lambda(LAMBDA_FLOOR, &mode);
            let missing = || format!("no {LAMBDA_FLOOR} {mode} run");
            let overhead = floor.map(|f| (ours.warm_us.p50 - f.warm_us.p50) / 1000.0);
            let inputs = match floor {
                Some(f) => format!(
                    "warm p50 {} − {}",
                    format::micros(Some(ours.warm_us.p50)),
                    format::micros(Some(f.warm_us.p50))
                ),
                None => missing(),
            };
            let target = format!("warm overhead ≤ 0.2 ms ({system}, {mode})");
            let why = reasons::streamed(agg, system, &mode, floor);
            lines.push(line(target, Goal::AtMost, Unit::Millis, overhead, Some(0.2), inputs).because(why));
        }
    }
    if lines.is_empty() {
        let why = "no mcp-handler Lambda run".to_owned();
        lines.push(line(
            "Lambda init ≤ 1.2× bare lambda_runtime".to_owned(),
            Goal::AtMost,
            Unit::Ratio,
            None,
            Some(1.2),
            why.clone(),
        ));
        lines.push(line("warm overhead ≤ 0.2 ms".to_owned(), Goal::AtMost, Unit::Millis, None, Some(0.2), why));
    }
    lines
}

#[cfg(test)]
#[path = "targets_tests.rs"]
mod more_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_met_ratio_says_how_much_to_spare() {
        // 0.9 / 0.85 = 1.0588…: 5.9% above the target.
        let l = line("t".to_owned(), Goal::AtLeast, Unit::Ratio, Some(0.9), Some(0.85), String::new());
        assert_eq!(l.met, Some(true));
        assert_eq!(l.verdict, "met: 0.90× ≥ 0.85× (5.9% to spare)");
    }

    #[test]
    fn a_missed_ratio_says_how_far_short() {
        // 0.70 / 0.85 = 0.8235…: 17.6% short.
        let l = line("t".to_owned(), Goal::AtLeast, Unit::Ratio, Some(0.70), Some(0.85), String::new());
        assert_eq!(l.met, Some(false));
        assert_eq!(l.verdict, "missed: 0.70× < 0.85× (short by 17.6%)");
    }

    #[test]
    fn an_absolute_limit_shows_the_difference_in_its_unit() {
        // 7.5 MiB against 6 MiB: 1.5 MiB over, 25%.
        let l = line("t".to_owned(), Goal::AtMost, Unit::Mib, Some(7.5), Some(6.0), String::new());
        assert_eq!(l.verdict, "missed: 7.5 MiB > 6.0 MiB (over by 1.5 MiB, 25.0%)");
        let l = line("t".to_owned(), Goal::AtMost, Unit::Millis, Some(0.15), Some(0.2), String::new());
        assert_eq!(l.verdict, "met: 0.150 ms ≤ 0.200 ms (0.050 ms, 25.0% to spare)");
    }

    #[test]
    fn a_reason_is_kept_only_for_a_missed_target() {
        let missed = ratio("t".into(), Goal::AtLeast, 4.0, Ok(("a".into(), 2.0)), Ok(("b".into(), 1.0)));
        assert_eq!(missed.because(Some("floor".into())).why.as_deref(), Some("floor"));
        let met = ratio("t".into(), Goal::AtLeast, 1.0, Ok(("a".into(), 2.0)), Ok(("b".into(), 1.0)));
        assert_eq!(met.because(Some("floor".into())).why, None);
    }

    #[test]
    fn the_container_build_gets_its_own_memory_lines_when_it_ran() {
        use crate::results::Results;
        let ours = super::super::aggregate::tests::run(OURS, 1, 1.0, 1.0, Some(6_656));
        let results = Results { load: vec![ours.clone()], ..Results::default() };
        let names = |r: &Results| -> Vec<String> {
            rss_lines_of(&Aggregated::from_results(r)).into_iter().map(|l| l.target).collect::<Vec<_>>()
        };
        assert_eq!(names(&results), ["RSS ≤ 6 MiB idle", "RSS ≤ 16 MiB at 256 connections"]);
        let image = super::super::aggregate::tests::run(STATIC, 1, 1.0, 1.0, Some(4_864));
        let both = Results { load: vec![ours, image], ..Results::default() };
        let agg = Aggregated::from_results(&both);
        let lines = rss_lines_of(&agg);
        assert_eq!(lines[2].target, "RSS ≤ 6 MiB idle (container image build)");
        // 6.5 MiB for the glibc build, 4.75 MiB for the container's: each reads its own runs.
        assert_eq!((lines[0].measured, lines[0].met), (Some(6.5), Some(false)));
        assert_eq!((lines[2].measured, lines[2].met), (Some(4.75), Some(true)));
    }

    #[test]
    fn below_is_strict() {
        let l = line("t".to_owned(), Goal::Below, Unit::Micros, Some(500.0), Some(500.0), String::new());
        assert_eq!(l.met, Some(false));
        assert_eq!(l.verdict, "missed: 500 µs ≥ 500 µs (over by 0.0 µs, 0.0%)");
    }

    #[test]
    fn a_missing_side_is_not_measured_and_says_why() {
        let l = ratio("t".to_owned(), Goal::AtLeast, 0.85, Ok(("a".to_owned(), 1.0)), Err("no floor run".to_owned()));
        assert_eq!(l.met, None);
        assert_eq!(l.verdict, "not measured");
        assert_eq!(l.inputs, "no floor run");
    }

    #[test]
    fn ratio_divides_numerator_by_denominator() {
        // 42 000 / 50 000 = 0.84: just short of 0.85 (1.2% short).
        let l = ratio(
            "t".to_owned(),
            Goal::AtLeast,
            0.85,
            Ok(("ours".to_owned(), 42_000.0)),
            Ok(("floor".to_owned(), 50_000.0)),
        );
        assert_eq!(l.measured, Some(0.84));
        assert_eq!(l.verdict, "missed: 0.84× < 0.85× (short by 1.2%)");
        assert_eq!(l.inputs, "ours / floor");
    }
}
