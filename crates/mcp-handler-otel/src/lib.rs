//! OpenTelemetry traces for mcp-handler: a SERVER span per request and,
//! from the core, a child span per handler call, with the attributes of the
//! OpenTelemetry MCP semantic conventions (`mcp.method.name`,
//! `gen_ai.tool.name`, `jsonrpc.request.id`, `mcp.session.id`,
//! `mcp.protocol.version`, `error.type`), exported over OTLP/HTTP
//! (protobuf).
//!
//! This is the only crate of the workspace that knows OpenTelemetry. The
//! shells use it behind their `otel` feature:
//!
//! - [`Otel::from_env`] reads the standard variables: nothing is set up
//!   unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) is set,
//!   and `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` turn it
//!   off; `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`,
//!   `OTEL_TRACES_SAMPLER(_ARG)` are read by the SDK;
//! - [`Otel::layer`] goes to the log subscriber
//!   (`mcp_handler_core::logging::install_logging_with`);
//! - [`request_span`] is made by the shell around the endpoint's future,
//!   parented on the W3C `traceparent`/`tracestate` headers, else (Lambda)
//!   on the X-Ray trace header; [`hook`] lets the core parent it on
//!   `_meta.traceparent` of a 2026 request that had no header;
//! - [`finish`] records what the endpoint's `Exchange` says about the
//!   request.
//!
//! ```
//! let xray = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
//! let sc = mcp_handler_otel::remote_parent(&mcp_handler_otel::from_xray(xray).unwrap());
//! assert_eq!(sc.trace_id().to_string(), "5759e988bd862e3fe1be46a994272793");
//! ```

mod context;
mod export;
mod span;

pub use context::{from_headers, from_traceparent, from_xray, remote_parent};
pub use export::{Otel, SetupError, wanted};
pub use span::{finish, finish_with, hook, request_span, set_parent};
