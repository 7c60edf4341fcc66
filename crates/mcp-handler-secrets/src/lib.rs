//! # mcp-handler-secrets
//!
//! One way to ask for a secret that works on a laptop, in a container and
//! on Lambda. The app declares the secrets it needs by name; the
//! deployment says where each comes from with a reference in
//! `MCP_SECRET_<NAME>`:
//!
//! | reference | source |
//! |---|---|
//! | `env:VAR` | environment variable `VAR` (read once) |
//! | `file:/run/secrets/api_key` | a file; one trailing newline dropped; re-read every 5 s |
//! | `aws-sm:prod/mcp#api_key` | AWS Secrets Manager (name or ARN), key `api_key` of its JSON; cached 5 min (feature `aws-sm`) |
//! | `aws-ext:prod/mcp#api_key` | the same through the Parameters and Secrets Lambda Extension (feature `aws-extension`) |
//!
//! Options go before the key: `?ttl=60s`, `?max-stale=1h`, and for AWS
//! `?version-stage=AWSPREVIOUS` / `?version-id=...`. Without
//! `MCP_SECRET_<NAME>`, a declared default reference is used, else with
//! `MCP_SECRETS_DIR=/run/secrets` the file named like the secret in lower
//! case. See [`reference`](mod@reference) for the grammar.
//!
//! Values are [`Secret`]s: redacted in `Debug`/`Display`, zeroized on
//! drop. A refresh that fails keeps serving the last good value for a
//! bounded time (`MCP_SECRETS_MAX_STALENESS`, default 15 min), then fails
//! with an error that names the secret and its source.
//!
//! ```no_run
//! use mcp_handler_core::{RequestContext, Router, Tool};
//! use mcp_handler_secrets::{ContextSecrets as _, Secrets};
//!
//! # async fn main_() -> Result<(), Box<dyn std::error::Error>> {
//! let secrets = Secrets::builder()
//!     .required("UPSTREAM_API_KEY")   // MCP_SECRET_UPSTREAM_API_KEY=aws-sm:prod/mcp#upstream
//!     .build()?;
//! let router = Router::builder("weather", "1.0.0")
//!     .state(secrets.clone())
//!     .tool(Tool::builder("forecast").description("Tomorrow's weather").handler(
//!         |ctx: RequestContext| async move {
//!             let key = ctx.secret("UPSTREAM_API_KEY").await.map_err(|e| e.to_string())?;
//!             Ok::<_, String>(format!("called upstream with a {}-byte key", key.len()))
//!         },
//!     ))
//!     .build()?;
//! secrets.load().await?; // `mcp_handler::run` does this (and refreshing, readiness) for you
//! # let _ = router;
//! # Ok(())
//! # }
//! ```

#[cfg(feature = "aws-sm")]
mod aws_sm;
mod builder;
mod context;
mod env;
mod error;
#[cfg(feature = "aws-extension")]
mod extension;
mod file;
mod guard;
pub mod platform;
pub mod reference;
mod resolver;
mod secret;
mod source;
mod status;

#[cfg(feature = "aws-sm")]
pub use aws_sdk_secretsmanager;
#[cfg(feature = "aws-sm")]
pub use aws_sm::{SecretsManagerSource, https_client};
pub use builder::{DEFAULT_FETCH_TIMEOUT, SecretsBuilder};
pub use context::ContextSecrets;
pub use env::EnvSource;
pub use error::{ConfigError, LoadError, SecretError};
#[cfg(feature = "aws-extension")]
pub use extension::LambdaExtensionSource;
pub use file::FileSource;
pub use guard::SecretToken;
pub use reference::{Location, ReferenceError, SecretRef};
pub use resolver::{Secrets, reference_var};
pub use secret::Secret;
pub use source::{SecretSource, SourceError};
pub use status::SecretStatus;

/// An injected environment lookup (tests need not touch the process's).
pub(crate) type Lookup = std::sync::Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;
