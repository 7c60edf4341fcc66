//! The async runtime a Lambda function runs on.
//!
//! Classic Lambda hands a sandbox one invocation at a time, so the shell's
//! work is one sequence: ask the Runtime API for an event, answer it, ask
//! again. On a multi-threaded runtime each step crosses threads (the
//! I/O driver's thread wakes the one that awaits), and waking an idle vCPU
//! costs tens of microseconds on the VMs Lambda runs on, at init and on
//! every invocation. One thread does the same work without the hand-offs.
//! Lambda Managed Instances (`AWS_LAMBDA_MAX_CONCURRENCY` > 1) overlap
//! invocations in one process and get worker threads, as does a function
//! that asks for them with `TOKIO_WORKER_THREADS` (a tool that calls
//! `tokio::task::block_in_place` must: that call needs worker threads).
//! So does a function that exports traces (feature `otel`, an OTLP
//! endpoint set): the SDK's batch processor runs on the runtime, and its
//! flush and shutdown wait for it from a thread of their own.

/// The runtime that serves [`LambdaApp::run`](crate::LambdaApp::run) best in
/// this sandbox ([`flavor`]): `mcp_handler::run` builds it. A function that builds
/// its own runtime (`#[tokio::main]`) may use either kind, unless it
/// exports traces or blocks in place (then worker threads).
pub fn build_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    #[cfg(feature = "otel")]
    let traced = mcp_handler_otel::wanted();
    #[cfg(not(feature = "otel"))]
    let traced = false;
    let workers_asked = std::env::var_os("TOKIO_WORKER_THREADS").is_some() || traced;
    match flavor(crate::max_concurrency(), workers_asked) {
        Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread().enable_all().build(),
        // `TOKIO_WORKER_THREADS`, when set, is read by the builder itself.
        Flavor::MultiThread => tokio::runtime::Builder::new_multi_thread().enable_all().build(),
    }
}

/// Which runtime a sandbox gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// One thread: classic Lambda, one invocation at a time.
    CurrentThread,
    /// Worker threads: overlapping invocations, or asked for.
    MultiThread,
}

/// The flavor for `max_concurrency` invocations at once, `workers_asked`
/// when `TOKIO_WORKER_THREADS` is set or traces are exported.
pub fn flavor(max_concurrency: u32, workers_asked: bool) -> Flavor {
    if max_concurrency > 1 || workers_asked { Flavor::MultiThread } else { Flavor::CurrentThread }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_invocation_at_a_time_runs_on_one_thread_unless_workers_are_asked_for() {
        assert_eq!(flavor(1, false), Flavor::CurrentThread);
        assert_eq!(flavor(0, false), Flavor::CurrentThread);
        assert_eq!(flavor(1, true), Flavor::MultiThread);
        assert_eq!(flavor(8, false), Flavor::MultiThread);
    }
}
