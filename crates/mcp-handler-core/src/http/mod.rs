//! The streamable-HTTP endpoint, written once as a `tower::Service` over
//! `http` types so every shell (hyper, Lambda, tests) runs the same code.

pub mod access;
mod activity;
mod admission;
mod auth;
mod batch;
mod body;
mod config;
mod exchange;
mod guard;
mod handle;
mod hook;
mod negotiate;
#[cfg(test)]
mod random_tests;
mod rate;
mod read;
mod rekey;
mod respond;
mod responses;
mod service;
mod sessions;
pub mod shell;
mod state_key;
mod throttle;
mod v2025;
mod v2026;

pub use activity::Activity;
pub use auth::{EndpointAuth, TokenVerdict, TokenVerifier};
pub use body::McpBody;
pub use config::{EndpointConfig, EnvConfigError, HostPolicy, OriginPolicy, ResponseMode, SseMode};
pub(crate) use exchange::MAX_TEXT;
pub use exchange::{Exchange, Refusal};
pub use rate::{ClientAddress, RateLimit};
pub use service::McpService;
