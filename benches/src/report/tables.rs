//! The measurement sections of `report.md`: machine, versions, throughput and
//! latency, one connection, scaling, memory, open loop, micro-benchmarks,
//! Lambda. Each returns its Markdown and adds to the notes why a cell is empty.

use crate::results::Results;

use super::aggregate::{Aggregated, LOGGED, MAIN_CONNECTIONS, ONE_CONNECTION, OURS, Rss, STATIC};
use super::format::{self, Table};

/// Machine and date header, with the quick-run warning.
pub(crate) fn machine(results: &Results) -> String {
    let mut out = String::new();
    if results.quick {
        out.push_str(
            "> **Quick run (`--quick`)**: a smoke run with short loads; its figures only show the \
             suite works and are not comparable with a full run's.\n\n",
        );
    }
    let m = &results.machine;
    let mut t = Table::new(&["machine", ""]).text(&[1]);
    t.row(vec!["date".to_owned(), results.date.clone()]);
    t.row(vec!["CPU".to_owned(), m.cpu.clone()]);
    t.row(vec!["cores".to_owned(), m.cores.to_string()]);
    t.row(vec!["memory".to_owned(), format!("{:.1} GiB", m.memory_gib)]);
    t.row(vec!["OS".to_owned(), m.os.clone()]);
    t.row(vec!["pinning".to_owned(), m.pinning.clone()]);
    out.push_str("## Machine\n\n");
    out.push_str(&t.render());
    out.push_str("## Versions\n\n");
    let mut v = Table::new(&["component", "version"]).text(&[1]);
    for (name, version) in &results.versions {
        v.row(vec![name.clone(), version.clone()]);
    }
    if v.is_empty() {
        out.push_str("No versions recorded.\n\n");
    } else {
        out.push_str(&v.render());
    }
    out.push_str(&run_time(results));
    out
}

/// How long each stage of the run took, when they were timed.
fn run_time(results: &Results) -> String {
    if results.stages.is_empty() {
        return String::new();
    }
    let mut t = Table::new(&["stage", "wall time"]);
    for s in &results.stages {
        t.row(vec![format!("`{}`", s.name), format!("{:.1} min", s.seconds / 60.0)]);
    }
    let total: f64 = results.stages.iter().map(|s| s.seconds).sum();
    t.row(vec!["**all**".to_owned(), format!("**{:.1} min**", total / 60.0)]);
    format!(
        "## Run time\n\n`prepare` installs what is missing, builds the release binaries, the \
         micro-benchmarks and the Lambda functions, and checks every system's answers: minutes after a \
         code change or on a fresh machine, well under one otherwise. The stages after it measure.\n\n{}",
        t.render()
    )
}

/// Which systems ran in fewer rounds than the rest (the slow SDKs run in
/// the first round only), said before the tables whose `rounds` column
/// shows it; empty when every system ran every round.
fn fewer_rounds(agg: &Aggregated, systems: &[String], scenarios: &[String], cores: u32) -> String {
    let rounds_of = |system: &str| {
        scenarios.iter().filter_map(|s| agg.closed(system, s, cores, MAIN_CONNECTIONS)).map(|c| c.rounds).max()
    };
    let most = systems.iter().filter_map(|s| rounds_of(s)).max().unwrap_or(0);
    let fewer: Vec<String> =
        systems.iter().filter(|s| rounds_of(s).is_some_and(|r| r < most)).map(|s| format!("`{s}`")).collect();
    if fewer.is_empty() {
        return String::new();
    }
    format!(
        "{} ran in fewer rounds than the other systems' {most} (the suite runs SDKs two orders of magnitude \
         slower in its first round only: their spread between rounds changes no ratio drawn here).\n\n",
        fewer.join(" and ")
    )
}

/// Requests/s per system × scenario, then rps and percentiles per cell.
pub(crate) fn throughput(agg: &Aggregated, notes: &mut Vec<String>) -> String {
    let cores = agg.main_cores();
    let (systems, scenarios) = (agg.systems(), agg.scenarios());
    let mut out = format!(
        "## Throughput and latency\n\nClosed loop, {MAIN_CONNECTIONS} connections, the server pinned to \
         {cores} core(s). Every figure is the **median of the rounds** (requests/s and each percentile \
         taken separately); requests/s counts correct answers only. `mcp-handler` runs with its access \
         log off, as no peer writes a line per request; `mcp-handler-logged` is the same server as \
         shipped, one access line per request to stderr; `mcp-handler-static` is the server (log off) \
         built as the container image builds it: a static musl binary allocating with mimalloc, where \
         every other row of this library is the glibc build.\n\n"
    );
    if let (Some(on), Some(off)) =
        (agg.closed(LOGGED, "call", cores, MAIN_CONNECTIONS), agg.closed(OURS, "call", cores, MAIN_CONNECTIONS))
    {
        out.push_str(&access_log_cost(on.rps, off.rps));
    }
    if let (Some(image), Some(glibc)) =
        (agg.closed(STATIC, "call", cores, MAIN_CONNECTIONS), agg.closed(OURS, "call", cores, MAIN_CONNECTIONS))
    {
        out.push_str(&format!(
            "The container image's build serves `call` at {:.2}× the glibc build ({} against {}).\n\n",
            image.rps / glibc.rps,
            format::rps(Some(image.rps)),
            format::rps(Some(glibc.rps))
        ));
    }
    out.push_str(&fewer_rounds(agg, &systems, &scenarios, cores));
    let mut header = vec!["requests/s".to_owned()];
    header.extend(scenarios.iter().cloned());
    let mut matrix = Table::new(&header);
    let mut detail =
        Table::new(&["system", "scenario", "requests/s", "p50", "p99", "p99.9", "errors", "rounds"]).text(&[1]);
    let (mut missing, mut absent) = (Vec::new(), Vec::new());
    for system in &systems {
        let mut row = vec![format!("`{system}`")];
        let ran = scenarios.iter().any(|s| agg.closed(system, s, cores, MAIN_CONNECTIONS).is_some());
        if !ran {
            absent.push(format!("`{system}`"));
        }
        for scenario in &scenarios {
            let cell = agg.closed(system, scenario, cores, MAIN_CONNECTIONS);
            row.push(format::rps(cell.map(|c| c.rps)));
            // The detail table lists runs; the matrix above shows the gaps.
            let mut d = vec![format!("`{system}`"), scenario.clone()];
            match cell {
                Some(c) => {
                    d.push(format::rps(Some(c.rps)));
                    d.push(format::micros(Some(c.latency_us.p50)));
                    d.push(format::micros(Some(c.latency_us.p99)));
                    d.push(format::micros(Some(c.latency_us.p999)));
                    d.push(c.errors.to_string());
                    d.push(c.rounds.to_string());
                    if c.errors > 0 {
                        notes.push(format!(
                            "`{system}` `{scenario}`: {} failed requests over {} round(s) (not counted in requests/s).",
                            c.errors, c.rounds
                        ));
                    }
                    detail.row(d);
                }
                None if ran => missing.push(format!("`{system}` × `{scenario}`")),
                None => {}
            }
        }
        matrix.row(row);
    }
    out.push_str(&matrix.render());
    out.push_str(&detail.render());
    if !absent.is_empty() {
        notes.push(format!(
            "No closed-loop run at {cores} core(s), {MAIN_CONNECTIONS} connections in results.json for {} \
             (shown as —): the suite's notes say why a system did not run.",
            absent.join(", ")
        ));
    }
    if !missing.is_empty() {
        notes.push(format!(
            "Scenarios missing at {cores} core(s), {MAIN_CONNECTIONS} connections: {} (shown as —): the \
             system does not serve that shape, or its run failed (see the suite's notes); the detail \
             table lists only the runs.",
            missing.join(", ")
        ));
    }
    out
}

/// What the access log costs, from `call` with it (`on`) and without it
/// (`off`); a logged run that came out faster is noise, said as such.
fn access_log_cost(on: f64, off: f64) -> String {
    let (with, without) = (format::rps(Some(on)), format::rps(Some(off)));
    if on < off {
        format!(
            "The access log costs {:.1}% of `call` throughput ({with} with it, {without} without).\n\n",
            (1.0 - on / off) * 100.0
        )
    } else {
        format!(
            "The access log's cost did not show in this run: `call` served {with} with it and {without} \
             without, a difference within the run-to-run noise.\n\n"
        )
    }
}

/// One connection, sequential calls: the latency a single client sees.
pub(crate) fn one_connection(agg: &Aggregated, notes: &mut Vec<String>) -> String {
    let cores = agg.main_cores();
    let mut t = Table::new(&["system", "scenario", "requests/s", "p50", "p90", "p99", "p99.9", "max"]).text(&[1]);
    let mut missing = Vec::new();
    for system in agg.systems() {
        let mut any = false;
        for scenario in agg.scenarios() {
            let Some(c) = agg.closed(&system, &scenario, cores, ONE_CONNECTION) else { continue };
            any = true;
            let l = c.latency_us;
            t.row(vec![
                format!("`{system}`"),
                scenario.clone(),
                format::rps(Some(c.rps)),
                format::micros(Some(l.p50)),
                format::micros(Some(l.p90)),
                format::micros(Some(l.p99)),
                format::micros(Some(l.p999)),
                format::micros(Some(l.max)),
            ]);
        }
        if !any {
            missing.push(format!("`{system}`"));
        }
    }
    if !missing.is_empty() {
        notes.push(format!("No one-connection run for {} (left out of its table).", missing.join(", ")));
    }
    format!(
        "## Latency at one connection\n\nOne connection sending each call after the last answer, \
         {cores} core(s); medians of the rounds.\n\n{}",
        t.render()
    )
}

/// Server RSS before the load and its high-water mark under it.
pub(crate) fn memory(agg: &Aggregated, notes: &mut Vec<String>) -> String {
    let cores = agg.main_cores();
    let mut t = Table::new(&[
        "system",
        "idle",
        "idle, private",
        "peak, call at 50 conns",
        "peak at 256 conns (heaviest scenario)",
    ]);
    let mut none = Vec::new();
    for system in agg.systems() {
        let Rss { idle, private, peak: at256 } = agg.rss(&system);
        let at50 = agg.closed(&system, "call", cores, MAIN_CONNECTIONS).and_then(|c| c.rss_peak_kb);
        if idle.is_none() && at50.is_none() && at256.is_none() {
            none.push(format!("`{system}`"));
        }
        let peak = at256.map_or_else(|| format::MISSING.to_owned(), |(s, v)| format!("{} ({s})", format::mib(Some(v))));
        t.row(vec![format!("`{system}`"), format::mib(idle), format::mib(private), format::mib(at50), peak]);
    }
    if !none.is_empty() {
        notes.push(format!("No RSS figure for {} (no run, or the process could not be read).", none.join(", ")));
    }
    format!(
        "## Memory (RSS)\n\nResident set of the server process: idle is read before the load \
         (median over the system's runs), and its private part (`RssAnon`: heap and stacks; the \
         rest is mapped files, the program's own code first, shared with every process that maps \
         them); peak is the high-water mark after it.\n\n{}",
        t.render()
    )
}

/// Open-loop runs, if any: fixed arrival rate, latency from the intended send time.
pub(crate) fn open_loop(agg: &Aggregated) -> String {
    let mut t = Table::new(&[
        "system",
        "scenario",
        "cores",
        "connections",
        "offered/s",
        "answered/s",
        "p50",
        "p99",
        "p99.9",
        "errors",
    ])
    .text(&[1]);
    for (k, c) in agg.open_loop() {
        t.row(vec![
            format!("`{}`", k.system),
            k.scenario.clone(),
            k.cores.to_string(),
            k.connections.to_string(),
            format::rps(c.rate),
            format::rps(Some(c.rps)),
            format::micros(Some(c.latency_us.p50)),
            format::micros(Some(c.latency_us.p99)),
            format::micros(Some(c.latency_us.p999)),
            c.errors.to_string(),
        ]);
    }
    if t.is_empty() {
        return String::new();
    }
    format!(
        "## Open loop\n\nA fixed arrival rate; latency counts from each request's intended send \
         time, so queueing behind a slow answer shows (no coordinated omission).\n\n{}",
        t.render()
    )
}

/// Criterion figures, as recorded.
pub(crate) fn micro(results: &Results, notes: &mut Vec<String>) -> String {
    let mut t = Table::new(&["benchmark", "mean", "median"]);
    for m in &results.micro {
        t.row(vec![format!("`{}`", m.name), format::nanos(m.mean_ns), format::nanos(m.median_ns)]);
    }
    if t.is_empty() {
        notes.push("No micro-benchmark figures in results.json.".to_owned());
        return "## Micro-benchmarks\n\n—\n\n".to_owned();
    }
    format!("## Micro-benchmarks\n\nCriterion, parse → dispatch → serialize, per call.\n\n{}", t.render())
}

/// Lambda functions against the Runtime API stand-in, and the `cargo lambda watch` pass.
pub(crate) fn lambda(agg: &Aggregated, results: &Results, notes: &mut Vec<String>) -> String {
    let mut out = String::from(
        "## Lambda (Runtime API stand-in)\n\nMeasured against a local **stand-in** of the Lambda \
         Runtime API, not AWS: init is process start → first `GET /next`; first invocation is the \
         first event handed out → its response complete; warm invocations likewise; VmHWM is the \
         process's peak RSS. Medians of the runs.\n\n",
    );
    let mut t = Table::new(&[
        "function",
        "mode",
        "init",
        "first invocation",
        "warm p50",
        "warm p99",
        "warm mean",
        "VmHWM",
        "invocations",
    ])
    .text(&[1]);
    let mut missing = Vec::new();
    for system in agg.lambda_systems() {
        for mode in agg.lambda_modes() {
            let Some(c) = agg.lambda(&system, &mode) else {
                missing.push(format!("`{system}` {mode}"));
                continue;
            };
            t.row(vec![
                format!("`{system}`"),
                mode.clone(),
                format::millis(Some(c.init_ms)),
                format::millis(Some(c.first_invoke_ms)),
                format::micros(Some(c.warm_us.p50)),
                format::micros(Some(c.warm_us.p99)),
                format::micros(Some(c.warm_us.mean)),
                format::mib(c.rss_hwm_kb),
                c.invocations.to_string(),
            ]);
        }
    }
    out.push_str(&t.render());
    if !missing.is_empty() {
        notes.push(format!("No Lambda run for {} (left out of its table).", missing.join(", ")));
    }
    out.push_str("### `cargo lambda watch` (Function URL emulation, end to end)\n\n");
    match &results.lambda_watch {
        Some(w) => {
            let mut t = Table::new(&["scenario", "connections", "requests/s", "p50", "p99", "errors"]);
            t.row(vec![
                w.scenario.clone(),
                w.connections.to_string(),
                format::rps(Some(w.rps)),
                format::micros(Some(w.latency_us.p50)),
                format::micros(Some(w.latency_us.p99)),
                w.error_count().to_string(),
            ]);
            out.push_str(&t.render());
        }
        None => {
            out.push_str("—\n\n");
            notes.push("No `cargo lambda watch` pass in results.json.".to_owned());
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::report::aggregate::SCALING_CONNECTIONS;
    use crate::report::aggregate::tests::{agg, run};

    #[test]
    fn systems_of_fewer_rounds_are_named() {
        let mut load: Vec<_> = (1..=3).map(|r| run("mcp-handler", r, 100_000.0, 900.0, None)).collect();
        load.push(run("fastmcp", 1, 600.0, 90_000.0, None));
        let a = agg(load);
        let text = fewer_rounds(&a, &a.systems(), &a.scenarios(), 1);
        assert!(text.starts_with("`fastmcp` ran in fewer rounds than the other systems' 3"), "{text}");
        assert!(!text.contains("`mcp-handler`"), "{text}");
    }

    /// `call` at `connections` on `cores` cores, round 1.
    pub(crate) fn at(system: &str, cores: u32, connections: u32, rps: f64) -> crate::results::LoadResult {
        let mut r = run(system, 1, rps, 1.0, None);
        r.cores = cores;
        r.run.connections = connections;
        r
    }

    /// What `--cores 1,2,4,8` writes: `call` at 50 and 256 connections on
    /// one core, at 256 on the others.
    pub(crate) fn scaling_runs() -> Vec<crate::results::LoadResult> {
        let mut load = vec![at(OURS, 1, MAIN_CONNECTIONS, 110_000.0), at("axum", 1, MAIN_CONNECTIONS, 120_000.0)];
        for (cores, ours, axum) in [(1, 100_000.0, 110_000.0), (2, 190_000.0, 200_000.0), (4, 350_000.0, 380_000.0)] {
            load.push(at(OURS, cores, SCALING_CONNECTIONS, ours));
            load.push(at("axum", cores, SCALING_CONNECTIONS, axum));
        }
        load
    }

    #[test]
    fn the_peak_at_256_connections_names_its_cores_once_several_ran() {
        let mut load = scaling_runs();
        for (r, kb) in load.iter_mut().zip([1, 1, 9_000, 9_000, 12_000, 12_000, 15_000, 15_000]) {
            r.rss_peak_kb = Some(kb);
        }
        let text = memory(&agg(load), &mut Vec::new());
        assert!(text.contains("| 14.6 MiB (call, 4 cores) |"), "{text}");
        let one = memory(&agg(vec![at(OURS, 1, SCALING_CONNECTIONS, 1.0)]), &mut Vec::new());
        assert!(!one.contains("cores)"), "{one}");
    }

    #[test]
    fn nothing_is_said_when_every_system_ran_every_round() {
        let load = (1..=2).flat_map(|r| [run("mcp-handler", r, 1.0, 1.0, None), run("axum", r, 1.0, 1.0, None)]);
        let a = agg(load.collect());
        assert_eq!(fewer_rounds(&a, &a.systems(), &a.scenarios(), 1), "");
    }

    #[test]
    fn a_faster_logged_run_is_not_a_negative_cost() {
        assert_eq!(
            access_log_cost(90_000.0, 100_000.0),
            "The access log costs 10.0% of `call` throughput (90000 with it, 100000 without).\n\n"
        );
        let noise = access_log_cost(83_131.0, 74_816.0);
        assert!(noise.starts_with("The access log's cost did not show in this run"), "{noise}");
        assert!(!noise.contains("costs -"), "{noise}");
    }

    #[test]
    fn the_detail_table_lists_runs_and_the_matrix_the_gaps() {
        let mut load: Vec<_> = (1..=3).map(|r| run("mcp-handler", r, 100_000.0, 900.0, None)).collect();
        let mut other = run("axum", 1, 90_000.0, 900.0, None);
        other.run.scenario = "list".to_owned();
        load.push(other);
        let mut notes = Vec::new();
        let text = throughput(&agg(load), &mut notes);
        assert!(text.contains("| `axum` | — | — | 90000 |"), "the matrix shows the gap: {text}");
        assert!(!text.contains("| `axum` | call |"), "no detail row without a run: {text}");
        assert!(text.contains("| `axum` | list | 90000 |"), "{text}");
        assert!(notes.iter().any(|n| n.contains("`axum` × `call`")), "{notes:?}");
    }
}
