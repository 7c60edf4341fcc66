//! `mcp-bench` against this library's `bench-server`: every scenario runs
//! its requests with no error, in both loops, and the binary prints the
//! results schema.

mod load_common;

use std::process::Command;
use std::time::Duration;

use load_common::{BenchServer, quick, run};
use mcp_handler_benches::load::{Scenario, Stop};
use mcp_handler_benches::results::{LoadMode, LoadRun};

fn assert_clean(run: &LoadRun, n: u64) {
    assert_eq!(run.errors, Default::default(), "no request may fail");
    assert_eq!(run.ok, n, "every request is counted once");
    assert!(run.latency_us.p50 > 0.0 && run.latency_us.max >= run.latency_us.p99);
}

#[test]
fn every_scenario_runs_clean_against_the_library_server() -> anyhow::Result<()> {
    let server = BenchServer::start(false)?;
    for scenario in [Scenario::Call, Scenario::Call2026, Scenario::List, Scenario::Big, Scenario::Session] {
        let outcome = run(&quick(&server.url(), 200)?.with_scenario(scenario))?;
        assert_eq!(outcome.run.scenario, scenario.name());
        assert_clean(&outcome.run, 200);
    }
    Ok(())
}

#[test]
fn sessions_are_opened_used_and_deleted() -> anyhow::Result<()> {
    let server = BenchServer::start(true)?;
    // 2 connections x (initialize, initialized, list, 3 calls, delete) x 2 loops.
    let config = quick(&server.url(), 28)?.with_scenario(Scenario::Session).with_session_calls(3)?;
    let outcome = run(&config)?;
    assert_clean(&outcome.run, 28);
    assert_eq!(outcome.reconnects, 0);
    Ok(())
}

#[test]
fn the_open_loop_keeps_its_schedule() -> anyhow::Result<()> {
    let server = BenchServer::start(false)?;
    let config = quick(&server.url(), 50)?.with_rate(250.0)?.with_connections(4)?;
    let outcome = run(&config)?;
    assert_clean(&outcome.run, 50);
    assert_eq!(outcome.run.mode, LoadMode::Open);
    assert_eq!(outcome.run.rate, Some(250.0));
    assert!(outcome.late.is_some());
    // Request 49 is not meant to leave before 49/250 s: an open loop that
    // sent as fast as it could would finish sooner.
    assert!(outcome.run.duration_s >= 49.0 / 250.0, "{}", outcome.run.duration_s);
    Ok(())
}

#[test]
fn a_duration_run_stops_by_itself() -> anyhow::Result<()> {
    let server = BenchServer::start(false)?;
    let config = quick(&server.url(), 1)?.with_stop(Stop::After(Duration::from_millis(300)))?;
    let outcome = run(&config)?;
    assert!(outcome.run.ok > 0);
    assert_eq!(outcome.run.error_count(), 0);
    Ok(())
}

#[test]
fn the_binary_prints_one_load_run_as_json() -> anyhow::Result<()> {
    let server = BenchServer::start(false)?;
    let out = Command::new(env!("CARGO_BIN_EXE_mcp-bench"))
        .args(["--scenario", "call-2026", "-n", "100", "-c", "2", "--threads", "1", "--warmup", "0s", "--json"])
        .arg(server.url())
        .output()?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let run: LoadRun = serde_json::from_slice(&out.stdout)?;
    assert_clean(&run, 100);
    assert_eq!(run.scenario, "call-2026");
    let text = String::from_utf8(out.stderr)?;
    assert!(text.contains("requests/s") && text.contains("p99.9"), "{text}");
    Ok(())
}

#[test]
fn help_lists_every_option() -> anyhow::Result<()> {
    let out = Command::new(env!("CARGO_BIN_EXE_mcp-bench")).arg("--help").output()?;
    let help = String::from_utf8(out.stdout)?;
    for option in [
        "--scenario",
        "--connections",
        "--duration",
        "--requests",
        "--warmup",
        "--rate",
        "--header",
        "--sigv4",
        "--region",
        "--service",
        "--fixed-id",
        "--timeout",
        "--threads",
        "--calls",
        "--json",
        "call-2026",
    ] {
        assert!(help.contains(option), "--help lacks {option}");
    }
    Ok(())
}
