//! # mcp-handler-core
//!
//! The transport-agnostic heart of mcp-handler: the MCP data model, a
//! router of tools, resources and prompts, method dispatch, and the
//! streamable-HTTP endpoint as a [`tower_service::Service`] over `http`
//! types. It knows no sockets, no Lambda and no AWS: shells hand it
//! requests (see `mcp-handler-server` and `mcp-handler-lambda`).
//!
//! ```
//! use mcp_handler_core::{Args, EndpointConfig, McpService, Router, Tool};
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct Greet { name: String }
//!
//! let router = Router::builder("hello", "1.0.0")
//!     .tool(Tool::builder("greet").description("Greets by name")
//!         .handler(|Args(a): Args<Greet>| async move { format!("Hello, {}!", a.name) }))
//!     .build()?;
//! let service = McpService::new(router, EndpointConfig::default());
//! # let _ = service;
//! # Ok::<(), mcp_handler_core::BuildError>(())
//! ```

pub mod audit;
#[cfg(feature = "bench-internals")]
#[doc(hidden)]
pub mod bench_api;
mod context;
mod dispatch;
mod env;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz_api;
mod http;
mod hub;
mod invocation;
mod json_text;
mod jsonrpc;
mod log_direct;
mod log_format;
mod log_lines;
pub mod logging;
mod method;
pub mod model;
mod outbox;
pub mod outcome;
mod router;
mod session;
mod time_limited;
pub mod trace;
mod util;
mod v2026;
mod version;

pub use context::{ClientRequestError, RequestContext};
pub use error::{ErrorCode, McpError};
pub use http::access;
pub use http::shell;
pub use http::{
    Activity, ClientAddress, EndpointAuth, EndpointConfig, EnvConfigError, Exchange, HostPolicy, McpBody, McpService,
    OriginPolicy, RateLimit, Refusal, ResponseMode, SseMode, TokenVerdict, TokenVerifier,
};
pub use hub::Notifier;
pub use invocation::Invocation;
pub use jsonrpc::RequestId;
pub use model::{CallToolResult, Content, GetPromptResult, LogLevel, PromptMessage, ResourceContents, ToolAnnotations};
pub use router::{
    Args, BuildError, CacheHint, CacheScope, Call, Cancellation, Completer, DEFAULT_TOOL_TIMEOUT, FromCall, Handler,
    Headers, IntoContents, IntoPromptResult, IntoReadResult, IntoToolResult, Json, Needs, NoArgs, Platform, Prompt,
    PromptBuilder, Rejection, Resource, ResourceBuilder, ResourceRequest, ResourceTemplate, ResourceTemplateBuilder,
    Router, RouterBuilder, State, Tool, ToolBuilder,
};
#[allow(deprecated)]
pub use router::{PromptDef, ResourceDef, ResourceTemplateDef, ToolDef};
pub use session::{InMemorySessionStore, SessionData, SessionStore, StoreError};
pub use util::RandomUnavailable;
pub use v2026::{Principal, RequestStateKey, RequestStateKeyError};
pub use version::{Generation, ProtocolVersion};
