//! `bench-lambda` end to end: the local stand-in of the AWS Lambda Runtime
//! API drives this library's `bench-server` (a Lambda function when
//! `AWS_LAMBDA_RUNTIME_API` is set) in both response modes and both request
//! shapes, and a test double of a function that answers wrongly or reports
//! errors makes the run fail with a message that says what happened.
//! Figures are checked for sanity only, never for speed.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use mcp_handler_benches::results::LambdaRun;

const BENCH_LAMBDA: &str = env!("CARGO_BIN_EXE_bench-lambda");
const BENCH_SERVER: &str = env!("CARGO_BIN_EXE_bench-server");
const DOUBLE: &str = env!("CARGO_BIN_EXE_lambda-test-double");

fn bench_lambda(args: &[&str], program: &str, env: &[&str]) -> Output {
    let mut cmd = Command::new(BENCH_LAMBDA);
    // Each run's function output in its own file of the tests' scratch folder.
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-lambda-{}-{n}.log", std::process::id()));
    cmd.args(args).args(["--timeout", "20"]).arg("--log").arg(log);
    for e in env {
        cmd.args(["--env", e]);
    }
    cmd.args(["--", program]).output().expect("running bench-lambda")
}

fn measured(system: &str, mode: &str, event: &str, invocations: &str) -> LambdaRun {
    let args = ["--system", system, "--mode", mode, "--event", event, "--invocations", invocations, "--json"];
    let out = bench_lambda(&args, BENCH_SERVER, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench-lambda failed: {stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not a LambdaRun ({e}): {stdout}"))
}

fn assert_sane(run: &LambdaRun, system: &str, mode: &str, invocations: u64) {
    assert_eq!((run.system.as_str(), run.mode.as_str(), run.invocations), (system, mode, invocations));
    assert!(run.init_ms > 0.0 && run.init_ms.is_finite(), "{run:?}");
    assert!(run.first_invoke_ms > 0.0 && run.first_invoke_ms.is_finite(), "{run:?}");
    let w = &run.warm_us;
    assert!(w.p50 > 0.0 && w.p50 <= w.p90 && w.p90 <= w.p99 && w.p99 <= w.p999 && w.p999 <= w.max, "{run:?}");
    assert!(w.mean > 0.0 && w.mean <= w.max, "{run:?}");
    // A process that served requests has touched at least a few hundred KiB.
    assert!(run.rss_hwm_kb.is_some_and(|kb| kb > 100), "{run:?}");
}

#[test]
fn bench_server_is_measured_buffered_and_streaming_in_both_shapes() {
    for (mode, event) in
        [("buffered", "call"), ("streaming", "call"), ("buffered", "call-2026"), ("streaming", "call-2026")]
    {
        let run = measured("mcp-handler", mode, event, "5");
        assert_sane(&run, "mcp-handler", mode, 5);
    }
}

#[test]
fn a_quick_ack_run_is_labelled_apart() {
    let args = ["--system", "q", "--mode", "streaming", "--invocations", "5", "--quick-ack", "--json"];
    let out = bench_lambda(&args, BENCH_SERVER, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let run: LambdaRun = serde_json::from_slice(&out.stdout).expect("a LambdaRun");
    assert_sane(&run, "q", "streaming-quickack", 5);
}

#[test]
fn the_text_report_names_every_figure() {
    let out = bench_lambda(&["--system", "t", "--mode", "buffered", "--invocations", "3"], BENCH_SERVER, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for word in ["init", "first invocation", "warm", "p99", "VmHWM"] {
        assert!(stdout.contains(word), "{word} missing from {stdout}");
    }
}

/// The test double's run: it must fail (exit 1) with `expect` in its message.
fn fails_with(double: &str, mode: &str, expect: &[&str]) {
    let args = ["--system", "double", "--mode", mode, "--invocations", "3", "--json"];
    let out = bench_lambda(&args, DOUBLE, &[&format!("LAMBDA_TEST_DOUBLE={double}")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{double}: {stderr}");
    assert!(out.stdout.is_empty(), "{double}: a failed run printed figures");
    for e in expect {
        assert!(stderr.contains(e), "{double}: {e:?} missing from: {stderr}");
    }
}

#[test]
fn the_test_double_that_answers_right_is_measured() {
    let args = ["--system", "double", "--mode", "buffered", "--invocations", "4", "--json"];
    let out = bench_lambda(&args, DOUBLE, &["LAMBDA_TEST_DOUBLE=echo"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let run: LambdaRun = serde_json::from_slice(&out.stdout).expect("a LambdaRun");
    assert_sane(&run, "double", "buffered", 4);
}

#[test]
fn a_wrong_echo_fails_the_run() {
    fails_with("wrong-text", "buffered", &["invocation 0", "wrong answer", "something else"]);
}

#[test]
fn an_invocation_error_fails_the_run() {
    fails_with("invocation-error", "buffered", &["reported an error for invocation 0", "TestDoubleError"]);
}

#[test]
fn an_init_error_fails_the_run() {
    fails_with("init-error", "buffered", &["init error", "the test double fails its init"]);
}

#[test]
fn a_function_that_exits_fails_the_run() {
    fails_with("exit", "buffered", &["exited", "init"]);
}

#[test]
fn a_buffered_answer_in_streaming_mode_fails_the_run() {
    fails_with("echo", "streaming", &["buffered its response", "streaming"]);
}
