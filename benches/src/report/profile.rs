//! The "Instructions per request (callgrind)" section, and the reason it
//! gives the shell-vs-floor target. Requests/s ratios drift with the load
//! of a shared machine; instruction counts do not, so they show steadily
//! how much work each server does and where ours does more.

use crate::results::ProfileRun;

use super::aggregate::{AXUM, FLOOR, OURS};
use super::format::{self, Table};

/// The profile of `system` in `scenario`, where profiled.
fn run_of<'a>(profile: &'a [ProfileRun], system: &str, scenario: &str) -> Option<&'a ProfileRun> {
    profile.iter().find(|p| p.system == system && p.scenario == scenario)
}

/// Instructions per request of `system` in `scenario`, where profiled.
pub(super) fn per_request(profile: &[ProfileRun], system: &str, scenario: &str) -> Option<f64> {
    run_of(profile, system, scenario).map(|p| p.instructions_per_request).filter(|v| *v > 0.0)
}

/// First-level instruction-cache misses per request of `system` in
/// `scenario`, where its caches were simulated.
pub(super) fn misses(profile: &[ProfileRun], system: &str, scenario: &str) -> Option<f64> {
    run_of(profile, system, scenario)?.i1_misses_per_request
}

/// `a / b` as a ratio cell.
fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => format!("{:.2}×", a / b),
        _ => format::MISSING.to_owned(),
    }
}

/// The floor, axum and ours first (the bounds, then the server they bound),
/// then any other system, each once, in the order profiled.
fn ordered<'a>(names: impl Iterator<Item = &'a str>, first: &[&str]) -> Vec<String> {
    let seen: Vec<&str> = names.collect();
    let mut out: Vec<String> = first.iter().filter(|f| seen.contains(f)).map(|f| (*f).to_owned()).collect();
    for name in seen {
        if !out.iter().any(|o| o == name) {
            out.push(name.to_owned());
        }
    }
    out
}

/// The section, or nothing (and a note) when the run has no profile.
pub(crate) fn markdown(profile: &[ProfileRun], notes: &mut Vec<String>) -> String {
    if profile.is_empty() {
        notes.push(
            "No instruction-count profile in results.json (`--no-profile`, the test command's smoke run, \
             or a run from before the profile existed)."
                .to_owned(),
        );
        return String::new();
    }
    let systems = ordered(profile.iter().map(|p| p.system.as_str()), &[FLOOR, AXUM, OURS]);
    let scenarios = ordered(profile.iter().map(|p| p.scenario.as_str()), &[]);
    let counts = match profile.iter().map(|p| (p.n1, p.n2)).collect::<Vec<_>>().as_slice() {
        [(n1, n2), rest @ ..] if rest.iter().all(|r| *r == (*n1, *n2)) => format!("N1 = {n1}, N2 = {n2}"),
        _ => "N1 and N2 per cell in results.json".to_owned(),
    };
    let mut header = vec!["instructions/request".to_owned()];
    header.extend(scenarios.iter().cloned());
    let mut counts_table = Table::new(&header);
    for system in &systems {
        let mut row = vec![format!("`{system}`")];
        let cell = |s: &String| {
            per_request(profile, system, s).map_or_else(|| format::MISSING.to_owned(), format::instructions)
        };
        row.extend(scenarios.iter().map(cell));
        counts_table.row(row);
    }
    let mut ratios = Table::new(&[
        "scenario",
        &format!("{OURS} / {FLOOR}"),
        &format!("{OURS} / {AXUM}"),
        &format!("{AXUM} / {FLOOR}"),
        &format!("{FLOOR} / {OURS}: requests/s ratio from userspace alone"),
    ]);
    for s in &scenarios {
        let (floor, axum, ours) =
            (per_request(profile, FLOOR, s), per_request(profile, AXUM, s), per_request(profile, OURS, s));
        ratios.row(vec![s.clone(), ratio(ours, floor), ratio(ours, axum), ratio(axum, floor), ratio(floor, ours)]);
    }
    format!(
        "## Instructions per request (callgrind)\n\nUserspace instructions each server executes per request \
         under valgrind's callgrind: two runs ({counts} requests, 4 connections, one `mcp-bench` thread), \
         per request = (Ir of run 2 − Ir of run 1) / (N2 − N1), so start-up and shutdown cancel. \
         Instruction counts do not depend on the machine's load, unlike requests/s. They leave out the \
         kernel's work (sockets, epoll), about alike for every system here: {FLOOR} / {OURS} is the \
         requests/s ratio if userspace instructions were a request's whole cost, so where the kernel's \
         share is alike the measured ratio lies between it and 1 (and instructions are not cycles: cache \
         misses and stalls are not counted).\n\n{}{}{}",
        counts_table.render(),
        ratios.render(),
        cache_paragraph(profile, &systems)
    )
}

/// The simulated instruction-cache misses, where some run simulated them:
/// at equal instruction counts, the server that runs through more distinct
/// code waits more on the next cache level.
fn cache_paragraph(profile: &[ProfileRun], systems: &[String]) -> String {
    let simulated = || profile.iter().filter(|p| p.i1_misses_per_request.is_some());
    let Some(first) = simulated().next() else { return String::new() };
    let scenarios = ordered(simulated().map(|p| p.scenario.as_str()), &[]);
    let mut header = vec!["I1 misses/request".to_owned()];
    header.extend(scenarios.iter().cloned());
    let mut table = Table::new(&header);
    for system in systems {
        let mut row = vec![format!("`{system}`")];
        row.extend(
            scenarios
                .iter()
                .map(|s| misses(profile, system, s).map_or_else(|| format::MISSING.to_owned(), |m| format!("{m:.0}"))),
        );
        table.row(row);
    }
    let cache = first.i1_cache.as_deref().map_or_else(String::new, |c| format!(" ({c})"));
    format!(
        "The {} runs also simulate the caches (`--cache-sim=yes`): callgrind's model of this machine's \
         first-level instruction cache{cache} counts the misses below, per request. The VM offers no hardware \
         counters, so this is a model, not a measurement. A miss is a fetch from the next cache level, a \
         cost the instruction counts leave out: at equal instructions, the server whose requests run \
         through more distinct code misses more and takes longer.\n\n{}",
        scenarios.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", "),
        table.render()
    )
}

/// Where the server shell's extra work over the floor goes, from the `call`
/// instruction counts: how much of it the hand-written axum handler does
/// too (the JSON-RPC work itself) and how much is ours; `None` without the
/// floor's and ours.
pub(crate) fn floor_why(profile: &[ProfileRun]) -> Option<String> {
    let floor = per_request(profile, FLOOR, "call")?;
    let ours = per_request(profile, OURS, "call")?;
    let axum = per_request(profile, AXUM, "call");
    let show = format::instructions;
    let axum_part = axum.map_or_else(String::new, |a| format!(", {AXUM} {}", show(a)));
    let head = format!(
        "callgrind: per call the floor runs {} userspace instructions{axum_part}, {OURS} {}",
        show(floor),
        show(ours)
    );
    let why = match axum {
        _ if ours <= floor => format!(
            "{head}: {OURS} runs no more than the floor, so the gap is in what callgrind does not count \
             (the kernel's share, cycles per instruction)"
        ),
        Some(a) if ours <= a => {
            format!("{head}: no more than the hand-written axum handler, so the gap is the JSON-RPC work itself")
        }
        // Within 1%: "its own work" would be a rounding of the counts.
        Some(a) if ours <= a * 1.01 => format!(
            "{head}: within 1% of the hand-written axum handler, so the {} over the floor are the JSON-RPC \
             work itself",
            show(ours - floor)
        ),
        Some(a) if a > floor => format!(
            "{head}: of {OURS}'s {} over the floor, the hand-written axum handler runs {} too ({:.0}%, the \
             JSON-RPC work itself); the other {} are {OURS}'s own (its total {:.2}× axum's)",
            show(ours - floor),
            show(a - floor),
            (a - floor) / (ours - floor) * 100.0,
            show(ours - a),
            ours / a
        ),
        _ => format!("{head}: {:.2}× the floor's", ours / floor),
    };
    Some(why + &cache_why(profile).unwrap_or_default())
}

/// The `call` instruction-cache misses beside the shell-vs-floor reason:
/// what the instruction counts leave out when ours and axum's are close.
fn cache_why(profile: &[ProfileRun]) -> Option<String> {
    let (ours, axum) = (misses(profile, OURS, "call")?, misses(profile, AXUM, "call")?);
    let floor = misses(profile, FLOOR, "call").map_or_else(String::new, |f| format!(" and {f:.0} for the floor"));
    let more = if ours > axum {
        format!(
            ": {OURS}'s requests run through more distinct code (its MCP checks, dispatch and the answer's \
             record), and each extra miss waits on the next cache level, a cost the instruction counts leave out"
        )
    } else {
        String::new()
    };
    Some(format!(
        "; callgrind's model of the first-level instruction cache counts {ours:.0} misses a call for {OURS}, \
         {:.2}× {AXUM}'s {axum:.0}{floor}{more}",
        ours / axum
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(system: &str, scenario: &str, per_request: f64) -> ProfileRun {
        let (n1, n2, total1) = (1000, 5000, 50_000_000);
        ProfileRun {
            system: system.to_owned(),
            scenario: scenario.to_owned(),
            instructions_per_request: per_request,
            n1,
            n2,
            total1,
            total2: total1 + (per_request * (n2 - n1) as f64) as u64,
            i1_misses_per_request: None,
            i1_cache: None,
        }
    }

    fn sample() -> Vec<ProfileRun> {
        vec![
            run(OURS, "call", 28_900.0),
            run(FLOOR, "call", 13_400.0),
            run(AXUM, "call", 24_200.0),
            run(FLOOR, "big", 40_000.0),
            run(OURS, "big", 120_000.0),
        ]
    }

    #[test]
    fn the_section_shows_counts_and_ratios_floor_first() {
        let mut notes = Vec::new();
        let md = markdown(&sample(), &mut notes);
        assert!(notes.is_empty());
        assert!(md.starts_with("## Instructions per request (callgrind)"), "{md}");
        assert!(md.contains("N1 = 1000, N2 = 5000"), "{md}");
        assert!(md.contains("do not depend on the machine's load"), "{md}");
        let floor = md.find("| `floor` | 13.4k | 40.0k |").expect("the floor's row");
        let ours = md.find("| `mcp-handler` | 28.9k | 120.0k |").expect("our row");
        assert!(floor < ours, "the floor comes first");
        // axum has no big run: a dash, not a zero.
        assert!(md.contains("| `axum` | 24.2k | — |"), "{md}");
        // 28.9 / 13.4 = 2.16; 28.9 / 24.2 = 1.19; 24.2 / 13.4 = 1.81; 13.4 / 28.9 = 0.46.
        assert!(md.contains("| call | 2.16× | 1.19× | 1.81× | 0.46× |"), "{md}");
        // 120 / 40 = 3.00, no axum; 40 / 120 = 0.33.
        assert!(md.contains("| big | 3.00× | — | — | 0.33× |"), "{md}");
    }

    #[test]
    fn no_profile_is_no_section_and_a_note() {
        let mut notes = Vec::new();
        assert_eq!(markdown(&[], &mut notes), "");
        assert_eq!(notes.len(), 1);
    }

    #[test]
    fn the_why_splits_our_extra_work_into_axums_and_ours() {
        // 28.9k − 13.4k = 15.5k over the floor; axum runs 24.2k − 13.4k = 10.8k
        // of it (69.7%); 28.9k − 24.2k = 4.7k are ours, 28.9 / 24.2 = 1.19.
        assert_eq!(
            floor_why(&sample()).as_deref(),
            Some(
                "callgrind: per call the floor runs 13.4k userspace instructions, axum 24.2k, mcp-handler \
                 28.9k: of mcp-handler's 15.5k over the floor, the hand-written axum handler runs 10.8k too \
                 (70%, the JSON-RPC work itself); the other 4.7k are mcp-handler's own (its total 1.19× \
                 axum's)"
            )
        );
    }

    #[test]
    fn counts_within_one_percent_of_axums_are_not_split() {
        let profile = [run(OURS, "call", 24_000.0), run(FLOOR, "call", 13_900.0), run(AXUM, "call", 23_950.0)];
        let why = floor_why(&profile).unwrap_or_default();
        assert!(
            why.ends_with(
                "within 1% of the hand-written axum handler, so the 10.1k over the floor are the JSON-RPC work itself"
            ),
            "{why}"
        );
    }

    /// `sample()` with the `call` runs' simulated caches.
    fn simulated() -> Vec<ProfileRun> {
        let mut profile = sample();
        for (p, m) in profile.iter_mut().filter(|p| p.scenario == "call").zip([1700.0, 900.0, 1360.0]) {
            p.i1_misses_per_request = Some(m);
            p.i1_cache = Some("32768 B, 64 B, 8-way associative".to_owned());
        }
        profile
    }

    #[test]
    fn simulated_misses_get_their_own_table() {
        let md = markdown(&simulated(), &mut Vec::new());
        assert!(md.contains("first-level instruction cache (32768 B, 64 B, 8-way associative)"), "{md}");
        assert!(md.contains("this is a model, not a measurement"), "{md}");
        let table = md.find("| I1 misses/request | call |").expect("the misses' table");
        let floor = md[table..].find("| `floor` | 900 |").expect("the floor's row");
        let ours = md[table..].find("| `mcp-handler` | 1700 |").expect("our row");
        assert!(floor < ours, "the floor comes first");
        assert!(md.contains("| `axum` | 1360 |"), "{md}");
        assert!(!markdown(&sample(), &mut Vec::new()).contains("I1 misses"), "no simulation, no table");
    }

    #[test]
    fn the_why_adds_the_misses_where_the_caches_were_simulated() {
        let why = floor_why(&simulated()).expect("a reason");
        // 1700 / 1360 = 1.25.
        assert!(
            why.ends_with(
                "; callgrind's model of the first-level instruction cache counts 1700 misses a call for \
                 mcp-handler, 1.25× axum's 1360 and 900 for the floor: mcp-handler's requests run through more \
                 distinct code (its MCP checks, dispatch and the answer's record), and each extra miss waits on \
                 the next cache level, a cost the instruction counts leave out"
            ),
            "{why}"
        );
        assert!(why.starts_with("callgrind: per call the floor runs 13.4k"), "{why}");
        let mut fewer = simulated();
        fewer.iter_mut().filter(|p| p.system == OURS).for_each(|p| p.i1_misses_per_request = Some(1000.0));
        let why = floor_why(&fewer).expect("a reason");
        assert!(why.ends_with("0.74× axum's 1360 and 900 for the floor"), "fewer misses, no blame: {why}");
    }

    #[test]
    fn the_why_covers_a_server_at_or_below_axum_or_without_it() {
        let profile = [run(FLOOR, "call", 10_000.0), run(AXUM, "call", 21_000.0), run(OURS, "call", 20_000.0)];
        assert!(floor_why(&profile).is_some_and(|w| w.ends_with("so the gap is the JSON-RPC work itself")));
        let why = floor_why(&[run(FLOOR, "call", 10_000.0), run(OURS, "call", 20_000.0)]);
        assert_eq!(
            why.as_deref(),
            Some(
                "callgrind: per call the floor runs 10.0k userspace instructions, mcp-handler 20.0k: 2.00× the floor's"
            )
        );
        assert_eq!(floor_why(&profile[1..]), None, "no floor, no reason");
    }
}
