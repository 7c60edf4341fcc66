//! The label table: every (operation, outcome) pair a request can land in,
//! fixed when the server starts, each with its own histogram cell.
//!
//! Cardinality is bounded by construction. An operation is a method this
//! server knows, or `tools/call` / `prompts/get` of a tool or prompt the
//! router registered; any other name a client sends is `_unknown`. An
//! outcome is `ok`, `tool_error`, `streamed`, a JSON-RPC error code from a
//! fixed list (else `_OTHER`) or a refusal reason from the core's closed
//! list (else `_OTHER`). Nothing a client sends becomes a label value.
//!
//! The request path finds its cell with a few comparisons (a method label;
//! the tool or prompt comes as the router's index of it, recorded by the
//! core, so no name is compared or hashed here), creates it on first use
//! (once per cell, bounded by the table's size) and then does two relaxed
//! atomic adds: no lock, no allocation.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use mcp_handler_core::outcome::Outcome;
use mcp_handler_core::{Exchange, Refusal};

/// Upper bounds of the duration histogram, in seconds: sub-millisecond
/// JSON answers up to 10 s tool calls.
pub(super) const BUCKETS: [f64; 16] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// [`BUCKETS`] in nanoseconds, compared without floating point.
const BOUNDS_NS: [u64; 16] = [
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
    10_000_000_000,
];

/// The label of anything outside a closed set.
pub(super) const UNKNOWN: &str = "_unknown";
/// The OpenTelemetry fallback for an `error.type` outside the known values.
pub(super) const OTHER: &str = "_OTHER";

/// JSON-RPC and MCP error codes with a label of their own.
const CODES: [(i32, &str); 11] = [
    (-32700, "-32700"),
    (-32600, "-32600"),
    (-32601, "-32601"),
    (-32602, "-32602"),
    (-32603, "-32603"),
    (-32002, "-32002"),
    (-32800, "-32800"),
    (-32020, "-32020"),
    (-32021, "-32021"),
    (-32022, "-32022"),
    (-32000, "-32000"),
];

/// One histogram: a count per bucket (the last is `+Inf`) and the sum.
#[derive(Default)]
pub(super) struct Cell {
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_ns: AtomicU64,
}

impl Cell {
    fn observe(&self, elapsed: Duration) {
        let ns = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let i = BOUNDS_NS.partition_point(|b| *b < ns);
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
    }

    /// Per-bucket counts, their total and the sum in seconds. The count is
    /// the buckets' total, so a scrape is always self-consistent.
    pub(super) fn read(&self) -> ([u64; BUCKETS.len() + 1], u64, f64) {
        let buckets = std::array::from_fn(|i| self.buckets[i].load(Ordering::Relaxed));
        let count = buckets.iter().sum();
        (buckets, count, self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9)
    }
}

/// What an operation's labels are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Op<'a> {
    /// Index into [`Table::methods`].
    pub(super) method: usize,
    /// `("gen_ai_tool_name", name)` or `("gen_ai_prompt_name", name)`.
    pub(super) target: Option<(&'static str, &'a str)>,
}

/// What an outcome's labels are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct OutcomeLabels {
    /// `ok`, `tool_error`, `streamed`, `error` or `refused`.
    pub(super) outcome: &'static str,
    /// The JSON-RPC code, `tool_error`, or the refusal reason.
    pub(super) error_type: Option<&'static str>,
    /// For a refusal, its index in [`Table::reasons`].
    pub(super) reason: Option<usize>,
}

/// The table of one server.
pub(super) struct Table {
    /// Method labels: the core's closed set, `unknown` spelled `_unknown`.
    methods: Vec<&'static str>,
    tools_call: usize,
    prompts_get: usize,
    /// Registered names, in the router's order (what
    /// [`Exchange::registered`] indexes).
    tools: Vec<Box<str>>,
    prompts: Vec<Box<str>>,
    /// Refusal reasons: the core's closed set, then `_OTHER`.
    reasons: Vec<&'static str>,
    cells: Box<[OnceLock<Box<Cell>>]>,
}

/// Outcome indices: these three, then one per code of [`CODES`] and
/// `_OTHER`, then one per reason.
const OK: usize = 0;
const TOOL_ERROR: usize = 1;
const STREAMED: usize = 2;
const FIRST_CODE: usize = 3;
const FIRST_REASON: usize = FIRST_CODE + CODES.len() + 1;

impl Table {
    /// The table for a router that registered `tools` and `prompts`.
    pub(super) fn new<'a>(tools: impl Iterator<Item = &'a str>, prompts: impl Iterator<Item = &'a str>) -> Self {
        let methods: Vec<&'static str> =
            Exchange::METHODS.iter().map(|m| if *m == "unknown" { UNKNOWN } else { m }).collect();
        let position = |name: &str| methods.iter().position(|m| *m == name).unwrap_or(0);
        let (tools_call, prompts_get) = (position("tools/call"), position("prompts/get"));
        let mut reasons = Refusal::REASONS.to_vec();
        reasons.push(OTHER);
        let mut table = Self {
            tools: tools.map(Box::from).collect(),
            prompts: prompts.map(Box::from).collect(),
            methods,
            tools_call,
            prompts_get,
            reasons,
            cells: Box::new([]),
        };
        table.cells = (0..table.ops() * table.outcomes()).map(|_| OnceLock::new()).collect();
        table
    }

    fn ops(&self) -> usize {
        self.methods.len() + self.tools.len() + 1 + self.prompts.len() + 1
    }

    fn outcomes(&self) -> usize {
        FIRST_REASON + self.reasons.len()
    }

    /// Counts one answered request.
    pub(super) fn record<B>(&self, exchange: Option<&Exchange>, resp: &http::Response<B>, elapsed: Duration) {
        let op = self.op_index(exchange);
        let outcome = self.outcome_index(exchange, resp);
        let cell = &self.cells[op * self.outcomes() + outcome];
        cell.get_or_init(Box::default).observe(elapsed);
    }

    fn op_index(&self, exchange: Option<&Exchange>) -> usize {
        let method = exchange.and_then(|x| x.method).unwrap_or(UNKNOWN);
        let registered = exchange.and_then(|x| x.registered);
        // The common case first: a tool call.
        let m = if method == "tools/call" {
            self.tools_call
        } else {
            self.methods.iter().position(|m| *m == method).unwrap_or_else(|| self.unknown_method())
        };
        let base = self.methods.len();
        if m == self.tools_call {
            return base + registered.filter(|i| *i < self.tools.len()).unwrap_or(self.tools.len());
        }
        if m == self.prompts_get {
            let i = registered.filter(|i| *i < self.prompts.len()).unwrap_or(self.prompts.len());
            return base + self.tools.len() + 1 + i;
        }
        m
    }

    fn unknown_method(&self) -> usize {
        self.methods.iter().position(|m| *m == UNKNOWN).unwrap_or(0)
    }

    fn outcome_index<B>(&self, exchange: Option<&Exchange>, resp: &http::Response<B>) -> usize {
        if let Some(refusal) = exchange.and_then(|x| x.refusal) {
            let last = self.reasons.len() - 1;
            return FIRST_REASON + self.reasons[..last].iter().position(|r| *r == refusal.reason).unwrap_or(last);
        }
        match exchange.and_then(|x| x.outcome) {
            Some(Outcome::Ok) => OK,
            Some(Outcome::ToolError) => TOOL_ERROR,
            Some(Outcome::Error(code)) => {
                FIRST_CODE + CODES.iter().position(|(c, _)| *c == code).unwrap_or(CODES.len())
            }
            _ if resp.status().as_u16() >= 400 => FIRST_CODE + CODES.len(),
            // Looked at only here: a JSON answer had an outcome above.
            _ if is_sse(resp) => STREAMED,
            // A notification or a client's response (202), a DELETE.
            _ => OK,
        }
    }

    /// The labels of operation `op`.
    pub(super) fn op(&self, op: usize) -> Op<'_> {
        let base = self.methods.len();
        if op < base {
            Op { method: op, target: None }
        } else if op <= base + self.tools.len() {
            Op { method: self.tools_call, target: Some(("gen_ai_tool_name", name(&self.tools, op - base))) }
        } else {
            let i = op - base - self.tools.len() - 1;
            Op { method: self.prompts_get, target: Some(("gen_ai_prompt_name", name(&self.prompts, i))) }
        }
    }

    /// The labels of outcome `outcome`.
    pub(super) fn outcome(&self, outcome: usize) -> OutcomeLabels {
        let (outcome, error_type, reason) = match outcome {
            OK => ("ok", None, None),
            TOOL_ERROR => ("tool_error", Some("tool_error"), None),
            STREAMED => ("streamed", None, None),
            i if i < FIRST_REASON => ("error", Some(CODES.get(i - FIRST_CODE).map_or(OTHER, |(_, l)| *l)), None),
            i => ("refused", Some(self.reasons[i - FIRST_REASON]), Some(i - FIRST_REASON)),
        };
        OutcomeLabels { outcome, error_type, reason }
    }

    /// Method labels, by index.
    pub(super) fn methods(&self) -> &[&'static str] {
        &self.methods
    }

    /// Refusal reasons, by index.
    pub(super) fn reasons(&self) -> &[&'static str] {
        &self.reasons
    }

    /// How many outcomes each operation has.
    pub(super) fn outcome_count(&self) -> usize {
        self.outcomes()
    }

    /// Every cell used so far: `(operation, outcome, cell)`.
    pub(super) fn used(&self) -> impl Iterator<Item = (usize, usize, &Cell)> {
        let per_op = self.outcomes();
        self.cells.iter().enumerate().filter_map(move |(i, c)| c.get().map(|c| (i / per_op, i % per_op, &**c)))
    }
}

/// The `i`th of `names`, or `_unknown` past them.
fn name(names: &[Box<str>], i: usize) -> &str {
    names.get(i).map_or(UNKNOWN, |n| n)
}

fn is_sse<B>(resp: &http::Response<B>) -> bool {
    let content_type = resp.headers().get(http::header::CONTENT_TYPE);
    content_type.is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table::new(["echo", "add"].into_iter(), ["greet"].into_iter())
    }

    #[test]
    fn durations_land_in_the_right_bucket() {
        let c = Cell::default();
        c.observe(Duration::from_micros(50));
        c.observe(Duration::from_micros(100));
        c.observe(Duration::from_millis(3));
        c.observe(Duration::from_secs(60));
        let (b, count, sum) = c.read();
        assert_eq!((b[0], b[5], b[16], count), (2, 1, 1, 4));
        assert!((sum - 60.00315).abs() < 1e-9, "{sum}");
    }

    #[test]
    fn every_op_and_outcome_has_labels_from_closed_sets() {
        let t = table();
        let mut targets = Vec::new();
        for op in 0..t.ops() {
            let op = t.op(op);
            assert!(op.method < t.methods().len());
            targets.extend(op.target);
        }
        let expected = [
            ("gen_ai_tool_name", "echo"),
            ("gen_ai_tool_name", "add"),
            ("gen_ai_tool_name", UNKNOWN),
            ("gen_ai_prompt_name", "greet"),
            ("gen_ai_prompt_name", UNKNOWN),
        ];
        assert_eq!(targets, expected);
        assert_eq!(t.outcome(OK).outcome, "ok");
        assert_eq!(t.outcome(FIRST_CODE + 3).error_type, Some("-32602"));
        assert_eq!(t.outcome(FIRST_CODE + CODES.len()).error_type, Some(OTHER));
        assert_eq!(t.outcome(t.outcomes() - 1).error_type, Some(OTHER));
        assert!(t.methods().contains(&UNKNOWN) && !t.methods().contains(&"unknown"));
    }
}
