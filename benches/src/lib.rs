//! Benchmarks of mcp-handler and the figures users choose by.
//!
//! - `mcp-bench` (binary): a load tool for any MCP URL (closed and open loop,
//!   every response checked, HDR latency, bearer headers and SigV4).
//! - `bench-server` (binary): this library's server shell serving the same
//!   `echo` tool as every peer in `benches/peers/`.
//! - `bench-lambda` (binary): a local **stand-in** of the AWS Lambda Runtime API
//!   that times init, first and warm invocations of a Lambda function process.
//! - `bench-report` (binary): cost model, `report.md`, `results.json`, SVG charts.
//! - `benches/core.rs`: criterion micro-benchmarks of parse → dispatch → serialize.
//!
//! `cargo xtask bench` runs them all; [`results`] is the schema they share.

pub mod lambda;
pub mod load;
pub mod payload;
pub mod report;
pub mod results;
