//! The p99 lines and the run-time line, read from made-up runs.

use super::super::aggregate::tests::{agg, run};
use super::*;
use crate::results::Stage;

fn agg_of(p99s: &[(&str, f64)]) -> Aggregated {
    agg(p99s.iter().map(|&(s, p)| run(s, 1, 1.0, p, None)).collect())
}

fn p99_line(p99s: &[(&str, f64)]) -> TargetLine {
    let lines = p99_lines(&agg_of(p99s), 1, &["call".to_owned()]);
    assert_eq!(lines.len(), 1);
    lines.into_iter().next().expect("one line")
}

#[test]
fn a_p99_missed_against_the_floor_alone_says_why_and_names_the_sdks() {
    let l = p99_line(&[(FLOOR, 800.0), (AXUM, 1_000.0), (OURS, 900.0), (RMCP, 2_500.0)]);
    assert_eq!(l.met, Some(false));
    assert_eq!(l.inputs, "lowest peer: floor");
    let why = l.why.expect("a reason");
    assert!(why.starts_with("floor answers fixed bytes"), "{why}");
    assert!(why.ends_with("below every MCP SDK (lowest: rmcp, 2500 µs)"), "{why}");
}

#[test]
fn a_p99_missed_against_both_bounds_names_both() {
    let l = p99_line(&[(FLOOR, 800.0), (AXUM, 850.0), (OURS, 900.0), (RMCP, 2_500.0)]);
    assert_eq!(l.inputs, "peers at or below ours: floor 800 µs, axum 850 µs");
    let why = l.why.expect("a reason");
    assert!(why.contains("floor answers fixed bytes") && why.contains("axum parses the body"), "{why}");
}

#[test]
fn a_p99_missed_against_an_sdk_has_no_excuse() {
    let l = p99_line(&[(FLOOR, 800.0), (RMCP, 850.0), (OURS, 900.0)]);
    assert_eq!(l.met, Some(false));
    assert_eq!(l.inputs, "peers at or below ours: floor 800 µs, rmcp 850 µs");
    assert_eq!(l.why, None);
}

#[test]
fn a_p99_below_every_peer_is_met() {
    let l = p99_line(&[(FLOOR, 800.0), (OURS, 700.0)]);
    assert_eq!((l.met, l.why), (Some(true), None));
}

fn stages(list: &[(&str, f64)]) -> Vec<Stage> {
    list.iter().map(|&(name, seconds)| Stage { name: name.to_owned(), seconds }).collect()
}

#[test]
fn the_run_time_is_held_to_fifteen_minutes_and_blames_builds_only_when_they_are_the_excess() {
    assert_eq!(run_time(&[]), None);
    let fast = run_time(&stages(&[("prepare", 60.0), ("load", 600.0)])).expect("a line");
    assert_eq!((fast.met, fast.measured), (Some(true), Some(11.0)));
    // 6 + 10 = 16 min: over, but the measuring stages alone take 10.
    let built = run_time(&stages(&[("prepare", 360.0), ("load", 600.0)])).expect("a line");
    assert_eq!(built.met, Some(false));
    assert_eq!(built.inputs, "16.0 min in all, of which prepare (installs, builds, answer checks) 6.0 min");
    assert!(built.why.expect("a reason").starts_with("the measuring stages took 10.0 min"));
    // 1 + 16 = 17 min: the measuring alone is over, and nothing excuses it.
    let slow = run_time(&stages(&[("prepare", 60.0), ("load", 960.0)])).expect("a line");
    assert_eq!((slow.met, slow.why), (Some(false), None));
}

/// `call` at 50 connections for each `(system, requests/s)`.
fn rates(list: &[(&str, f64)]) -> Aggregated {
    agg(list.iter().map(|&(s, r)| run(s, 1, r, 1.0, None)).collect())
}

fn why_of(lines: &[TargetLine], target: &str) -> String {
    let line = lines.iter().find(|l| l.target.starts_with(target)).expect("the target's line");
    line.why.clone().unwrap_or_default()
}

#[test]
fn a_share_of_the_floor_above_axums_own_names_axums_share() {
    let lines = evaluate(&rates(&[(FLOOR, 100_000.0), (AXUM, 80_000.0), (OURS, 75_000.0), (RMCP, 23_000.0)]), &[]);
    let shell = why_of(&lines, "server shell");
    assert!(shell.starts_with("axum, the hand-written ceiling"), "{shell}");
    assert!(shell.contains("itself serves 0.80× the floor"), "{shell}");
    // 4× rmcp needs 0.92× the floor, above axum's 0.80×.
    let rmcp = why_of(&lines, "≥ 4× rmcp (call)");
    assert!(rmcp.contains("so 4× needs 0.92× the floor (axum, the hand-written ceiling"), "{rmcp}");
    assert!(rmcp.contains("mcp-handler serves 0.75×"), "{rmcp}");
}

#[test]
fn axum_is_not_named_where_it_reaches_the_share() {
    let lines = evaluate(&rates(&[(FLOOR, 100_000.0), (AXUM, 90_000.0), (OURS, 75_000.0), (RMCP, 20_000.0)]), &[]);
    assert_eq!(why_of(&lines, "server shell"), "", "no profile, and axum reaches 0.85×: nothing to say");
    let rmcp = why_of(&lines, "≥ 4× rmcp (call)");
    assert!(rmcp.contains("so 4× needs 0.80× the floor, and mcp-handler serves 0.75×"), "{rmcp}");
}

/// `call` runs of `(system, p50 µs, p99 µs)` (the shared helper's p50 is
/// its requests/s over 100).
fn latencies(list: &[(&str, f64, f64)]) -> Vec<TargetLine> {
    let load = list.iter().map(|&(s, p50, p99)| run(s, 1, p50 * 100.0, p99, None)).collect();
    p99_lines(&agg(load), 1, &["call".to_owned()])
}

#[test]
fn a_higher_p99_with_a_tail_no_longer_than_the_floors_says_so() {
    let lines = latencies(&[(FLOOR, 250.0, 700.0), (OURS, 334.0, 838.0), (RMCP, 1_500.0, 2_400.0)]);
    let why = lines[0].why.clone().unwrap_or_default();
    assert!(
        why.contains(
            "no JSON-RPC work (p99/p50 2.51× for mcp-handler against 2.80× for floor: a tail no longer than floor's"
        ),
        "{why}"
    );
    // A longer tail than the floor's gets no such clause.
    let lines = latencies(&[(FLOOR, 250.0, 700.0), (OURS, 300.0, 900.0), (RMCP, 1_500.0, 2_400.0)]);
    let why = lines[0].why.clone().unwrap_or_default();
    assert!(!why.contains("p99/p50"), "{why}");
}
