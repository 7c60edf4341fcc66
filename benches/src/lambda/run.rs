//! One measurement: the stand-in and the function started, init, the first
//! invocation and the warm ones timed and checked, the peak memory read,
//! and the function stopped, whatever happened.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use hdrhistogram::Histogram;

use super::check;
use super::event::function_url_event;
use super::function::Function;
use super::options::Options;
use super::runtime_api::{Completed, Report, RuntimeApi};
use crate::payload;
use crate::results::{LambdaRun, Latency};

/// Runs the measurement `options` describe. A failure names what went
/// wrong and ends with the last lines of the function's output.
pub async fn measure(options: &Options) -> anyhow::Result<LambdaRun> {
    let result = measure_inner(options).await;
    match result {
        Ok(run) => {
            if !options.keep_log {
                let _ = std::fs::remove_file(&options.launch.log);
            }
            Ok(run)
        }
        Err(e) => {
            let tail = log_tail(&options.launch.log, 20);
            let log = options.launch.log.display();
            Err(anyhow::anyhow!(
                "{}: {e:#}\n--- the function's last output (kept in {log}) ---\n{tail}",
                options.system
            ))
        }
    }
}

async fn measure_inner(options: &Options) -> anyhow::Result<LambdaRun> {
    let count =
        usize::try_from(options.invocations).ok().and_then(|n| n.checked_add(1)).context("too many invocations")?;
    let mut api = RuntimeApi::start(function_url_event(options.event), count, options.ack)
        .await
        .context("starting the stand-in")?;
    let started = Instant::now();
    let mut function = Function::spawn(&options.launch, api.addr())?;
    let result = drive(options, &mut api, &mut function, started).await;
    // The peak is read before stopping: a stopped process has no /proc entry.
    let rss = function.rss_hwm_kb();
    function.stop().await;
    let (init, first, warm) = result?;
    Ok(LambdaRun {
        system: options.system.clone(),
        mode: options.mode_label(),
        init_ms: millis(init),
        first_invoke_ms: millis(first),
        warm_us: latency(&warm),
        invocations: warm.len(),
        rss_hwm_kb: rss,
    })
}

async fn drive(
    options: &Options,
    api: &mut RuntimeApi,
    function: &mut Function,
    started: Instant,
) -> anyhow::Result<(Duration, Duration, Histogram<u64>)> {
    let init = match next_report(api, function, options.timeout, "its first GET /next (init)").await? {
        Report::FirstNext(at) => at.duration_since(started),
        other => bail!("during init: {}", describe(other)),
    };
    let first =
        completed(options, next_report(api, function, options.timeout, "the first invocation's response").await?)?;
    let mut warm = Histogram::<u64>::new(3).context("histogram")?;
    for i in 1..=options.invocations {
        let what = format!("warm invocation {i}'s response");
        let c = completed(options, next_report(api, function, options.timeout, &what).await?)?;
        // Nanoseconds; the histogram keeps 3 significant digits.
        warm.record(u64::try_from(c.as_nanos()).unwrap_or(u64::MAX).max(1)).context("recording a latency")?;
    }
    Ok((init, first, warm))
}

/// The next thing the stand-in saw, unless the function exits or stays
/// silent past `timeout` first.
async fn next_report(
    api: &mut RuntimeApi,
    function: &mut Function,
    timeout: Duration,
    what: &str,
) -> anyhow::Result<Report> {
    tokio::select! {
        // Reports first: a function that posts /init/error and exits must be
        // reported for its error, not for its exit.
        biased;
        report = api.report() => report.context("the stand-in stopped"),
        status = function.exited() => match status {
            Ok(s) => bail!("the function exited ({s}) before {what}"),
            Err(e) => bail!("waiting for the function: {e}"),
        },
        () = tokio::time::sleep(timeout) => bail!("no {what} within {timeout:?}"),
    }
}

/// The duration of a correctly answered invocation; anything else fails.
fn completed(options: &Options, report: Report) -> anyhow::Result<Duration> {
    let Report::Response(c) = report else { bail!("{}", describe(report)) };
    let Completed { index, handed_out, done, streaming, body, trailers } = c;
    let want_streaming = options.launch.mode == "streaming";
    if streaming != want_streaming {
        let (got, want) = if streaming { ("streamed", "buffered") } else { ("buffered", "streamed") };
        bail!("invocation {index}: the function {got} its response, but mode {} wants it {want}", options.launch.mode);
    }
    if let Some(kind) = trailers.as_ref().and_then(|t| t.get("lambda-runtime-function-error-type")) {
        bail!(
            "invocation {index}: the stream ended with an error trailer ({})",
            String::from_utf8_lossy(kind.as_bytes())
        );
    }
    let answer = if streaming { check::streamed(&body) } else { check::buffered(&body) };
    if let Err(why) = answer.and_then(|a| check::echo(&a, payload::SMALL_TEXT)) {
        bail!("invocation {index}: wrong answer: {why}; the function sent: {}", excerpt(&body));
    }
    Ok(done.duration_since(handed_out))
}

fn describe(report: Report) -> String {
    match report {
        Report::FirstNext(_) => "an unexpected second init".into(),
        Report::Response(c) => format!("an unexpected response for invocation {}", c.index),
        Report::InvocationError { index, error_type, body } => {
            format!("the function reported an error for invocation {index} ({error_type}): {}", excerpt(&body))
        }
        Report::InitError { error_type, body } => {
            format!("the function reported an init error ({error_type}): {}", excerpt(&body))
        }
        Report::RestoreNext(_) => "an unexpected SnapStart snapshot (AWS_LAMBDA_INITIALIZATION_TYPE is set)".into(),
        Report::RestoreError { error_type, body } => {
            format!("the function reported a restore error ({error_type}): {}", excerpt(&body))
        }
        Report::Protocol(why) => format!("the function broke the Runtime API protocol: {why}"),
    }
}

/// The start of a body, as text, for error messages.
fn excerpt(body: &[u8]) -> String {
    const MAX: usize = 400;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX)]).replace('\0', "\\0");
    if body.len() > MAX { format!("{text}…") } else { text }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Percentiles in microseconds from a histogram of nanoseconds.
fn latency(h: &Histogram<u64>) -> Latency {
    if h.is_empty() {
        return Latency::default();
    }
    let us = |ns: u64| ns as f64 / 1000.0;
    Latency {
        p50: us(h.value_at_quantile(0.5)),
        p90: us(h.value_at_quantile(0.9)),
        p99: us(h.value_at_quantile(0.99)),
        p999: us(h.value_at_quantile(0.999)),
        max: us(h.max()),
        mean: h.mean() / 1000.0,
    }
}

fn log_tail(path: &std::path::Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    let tail = all[all.len().saturating_sub(lines)..].join("\n");
    if tail.is_empty() { "(nothing)".into() } else { tail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_is_in_microseconds_and_ordered() {
        let mut h = Histogram::<u64>::new(3).unwrap();
        for ns in [100_000, 200_000, 300_000, 5_000_000] {
            h.record(ns).unwrap();
        }
        let l = latency(&h);
        assert!((l.p50 - 200.0).abs() < 1.0, "{l:?}");
        assert!(l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max);
        assert!((l.max - 5000.0).abs() < 5.0, "{l:?}");
        assert_eq!(latency(&Histogram::<u64>::new(3).unwrap()), Latency::default());
    }
}
