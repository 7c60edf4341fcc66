//! The figures every benchmark tool writes and `bench-report` reads.
//!
//! `mcp-bench --json` prints one [`LoadRun`]; `bench-lambda --json` prints one
//! [`LambdaRun`] per line; `cargo xtask bench` wraps them with the system's
//! name, cores and round into a [`Results`] document (`results.json`), and
//! `bench-report` adds the cost model and the ratios and renders the report.
//! Latencies are microseconds, sizes kibibytes, times since an epoch UTC.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Latency percentiles of one run, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest observed.
    pub max: f64,
    /// Arithmetic mean.
    pub mean: f64,
}

/// How `mcp-bench` offered its load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoadMode {
    /// Fixed connections, each sending its next request when the last answered.
    Closed,
    /// Requests at a fixed arrival rate; latency counts from the intended send time.
    Open,
}

/// One `mcp-bench` run against one URL (what `mcp-bench --json` prints).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadRun {
    /// `call`, `call-2026`, `list`, `big` or `session`.
    pub scenario: String,
    /// Closed or open loop.
    pub mode: LoadMode,
    /// Connections (closed loop: concurrency; open loop: the pool's bound).
    pub connections: u32,
    /// Open loop: the intended arrivals per second.
    pub rate: Option<f64>,
    /// Measured wall time of the run, seconds (warm-up excluded).
    pub duration_s: f64,
    /// Requests answered correctly.
    pub ok: u64,
    /// Failed requests by kind (only kinds that occurred): `connect`, `io`,
    /// `timeout`, `status`, `parse`, `jsonrpc-error`, `bad-id`, `no-result`,
    /// `wrong-echo`, `wrong-result`, `tool-error`, `sign` (see
    /// `load::ErrorKind` for what each means).
    pub errors: BTreeMap<String, u64>,
    /// Correct answers per second.
    pub rps: f64,
    /// Latency of the correct answers.
    pub latency_us: Latency,
}

impl LoadRun {
    /// All failed requests.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// One `mcp-bench` run, labelled by the suite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadResult {
    /// The system under load (`floor`, `axum`, `mcp-handler`, `rmcp`, `fastmcp`, `typescript-sdk`, ...).
    pub system: String,
    /// CPU cores the server was pinned to.
    pub cores: u32,
    /// Interleaving round (systems take turns within a round).
    pub round: u32,
    /// Server RSS before the load, KiB (where the process could be read).
    pub rss_idle_kb: Option<u64>,
    /// The private part of `rss_idle_kb` (`RssAnon`: heap, stacks), KiB;
    /// the rest is mapped files, the program's code first. Absent in
    /// results written before it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_idle_anon_kb: Option<u64>,
    /// Of `rss_idle_kb`, the program's own machine code (its executable
    /// mappings), KiB; absent in older results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_idle_code_kb: Option<u64>,
    /// The size of the program's executable mappings (its machine code), KiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_kb: Option<u64>,
    /// Server RSS high-water mark after the load, KiB.
    pub rss_peak_kb: Option<u64>,
    /// The run.
    pub run: LoadRun,
}

/// One Lambda function measured against the Runtime API stand-in
/// (what `bench-lambda --json` prints, one object per line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaRun {
    /// `mcp-handler`, `mcp-handler-no-sdk`, `lambda-runtime-floor`, `awslabs-python`, ...
    pub system: String,
    /// `buffered`, `streaming`, or `streaming-quickack` (streamed, with the
    /// stand-in acknowledging every segment at once: `lambda_runtime` leaves
    /// Nagle on, so a plain streamed run measures the receiver's delayed ACK).
    pub mode: String,
    /// Process start → first `GET /next`, milliseconds (the init phase).
    pub init_ms: f64,
    /// First `/next` answered → first response complete, milliseconds.
    pub first_invoke_ms: f64,
    /// Warm invocations: event handed out → response complete.
    pub warm_us: Latency,
    /// Warm invocations measured.
    pub invocations: u64,
    /// Peak resident set (VmHWM), KiB.
    pub rss_hwm_kb: Option<u64>,
}

/// One criterion benchmark's point estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MicroResult {
    /// `group/function` as criterion names it.
    pub name: String,
    /// Mean time per iteration, nanoseconds.
    pub mean_ns: f64,
    /// Median time per iteration, nanoseconds.
    pub median_ns: f64,
}

/// Userspace instructions per request of one system and scenario, counted
/// by valgrind's callgrind (`cargo xtask bench`'s profile stage). Two runs of
/// `n1` and `n2` requests; their difference cancels start-up and shutdown,
/// and an instruction count does not move with the machine's load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileRun {
    /// `floor`, `axum`, `mcp-handler`.
    pub system: String,
    /// `call`, `call-2026`, `big`.
    pub scenario: String,
    /// `(total2 - total1) / (n2 - n1)`.
    pub instructions_per_request: f64,
    /// Requests of the first run.
    pub n1: u64,
    /// Requests of the second run.
    pub n2: u64,
    /// Instructions (callgrind's `Ir`) of the whole first run, start to exit.
    pub total1: u64,
    /// Instructions of the whole second run.
    pub total2: u64,
    /// First-level instruction-cache misses per request in callgrind's
    /// model of this machine's caches (`--cache-sim=yes`), where the caches
    /// were simulated (the `call` runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub i1_misses_per_request: Option<f64>,
    /// The simulated first-level instruction cache, as callgrind describes
    /// it (`32768 B, 64 B, 8-way associative`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub i1_cache: Option<String>,
}

/// Where and with what the figures were taken.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// CPU model name.
    pub cpu: String,
    /// Online CPUs.
    pub cores: u32,
    /// Memory, GiB.
    pub memory_gib: f64,
    /// Kernel and OS.
    pub os: String,
    /// Which cores ran the servers and which the load, in words.
    pub pinning: String,
}

/// One stage of `cargo xtask bench` (`prepare`, `micro-benchmarks`, `load`,
/// `profile`, `lambda`) and how long it took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    /// The stage's name.
    pub name: String,
    /// Wall time, seconds.
    pub seconds: f64,
}

/// The whole benchmark document (`target/bench-report/results.json`).
/// Every member may be missing (a smoke run writes only what it measured).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Results {
    /// RFC 3339 UTC time the run started.
    pub date: String,
    /// True for a `--quick` smoke run: its figures are not comparable.
    pub quick: bool,
    /// The machine.
    pub machine: Machine,
    /// Tool and peer versions (`rustc`, `rmcp`, `fastmcp`, `node`, ...).
    pub versions: BTreeMap<String, String>,
    /// Criterion micro-benchmarks.
    pub micro: Vec<MicroResult>,
    /// Load runs, every system, scenario, core count and round.
    pub load: Vec<LoadResult>,
    /// Lambda runs against the Runtime API stand-in.
    pub lambda: Vec<LambdaRun>,
    /// The end-to-end pass through `cargo lambda watch`'s Function URL.
    pub lambda_watch: Option<LoadRun>,
    /// Instructions per request under callgrind (absent with `--no-profile`,
    /// in the test command's smoke run and in older documents).
    #[serde(default)]
    pub profile: Vec<ProfileRun>,
    /// How long each stage of the run took, in order (absent in the test
    /// command's smoke run and in older documents).
    #[serde(default)]
    pub stages: Vec<Stage>,
    /// Anything a step could not measure, and why (shown in the report).
    pub notes: Vec<String>,
    /// The cost model `bench-report` computed from these figures (absent
    /// until the report ran; older documents have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<serde_json::Value>,
    /// The target lines with their measured ratios, as `bench-report`
    /// evaluated them (absent until the report ran).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratios: Option<serde_json::Value>,
}
