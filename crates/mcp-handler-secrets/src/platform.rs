//! The secrets the platform itself uses, configured like the app's:
//!
//! | secret | effect when `MCP_SECRET_<NAME>` is set |
//! |---|---|
//! | `AUTH_TOKEN` | the endpoint requires `Authorization: Bearer <token>` (or `X-API-Key: <token>`) |
//! | `AUTH_TOKEN_PREVIOUS` | also accepted, for rotations (e.g. `aws-sm:prod/mcp?version-stage=AWSPREVIOUS#token`) |
//! | `REQUEST_STATE_KEY` | the base64 key sealing 2026 request state (instead of `MCP_REQUEST_STATE_KEY`) |

use http::HeaderName;
use mcp_handler_core::{EndpointAuth, RequestStateKey};

use crate::{ConfigError, SecretToken, Secrets, reference_var};

/// The guard's token.
pub const AUTH_TOKEN: &str = "AUTH_TOKEN";
/// The guard's previous token, accepted during a rotation.
pub const AUTH_TOKEN_PREVIOUS: &str = "AUTH_TOKEN_PREVIOUS";
/// The request-state sealing key.
pub const REQUEST_STATE_KEY: &str = "REQUEST_STATE_KEY";

/// The platform's secrets, when the deployment configures any of them
/// (read through `env`).
pub fn platform_secrets(
    env: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
) -> Result<Option<Secrets>, ConfigError> {
    let set = |name: &str| env(&reference_var(name)).is_some_and(|v| !v.trim().is_empty());
    if ![AUTH_TOKEN, AUTH_TOKEN_PREVIOUS, REQUEST_STATE_KEY].iter().any(|n| set(n)) {
        return Ok(None);
    }
    if set(AUTH_TOKEN_PREVIOUS) && !set(AUTH_TOKEN) {
        return Err(ConfigError::Missing { name: AUTH_TOKEN.into(), var: reference_var(AUTH_TOKEN) });
    }
    // What the deployment configures, it needs: a guard token that cannot
    // load must stop the start, not open (or close) the endpoint silently.
    let mut b = Secrets::builder();
    for name in [AUTH_TOKEN, AUTH_TOKEN_PREVIOUS, REQUEST_STATE_KEY] {
        b = if set(name) { b.required(name) } else { b.optional(name) };
    }
    b.with_env(env).build().map(Some)
}

/// The endpoint guard, when `AUTH_TOKEN` is configured: bearer token or
/// `X-API-Key`, checked against `AUTH_TOKEN` (and `AUTH_TOKEN_PREVIOUS`).
pub fn endpoint_auth(secrets: &Secrets) -> Option<EndpointAuth> {
    if !secrets.is_configured(AUTH_TOKEN) {
        return None;
    }
    let verifier = SecretToken::new(secrets.clone(), AUTH_TOKEN).or(AUTH_TOKEN_PREVIOUS);
    Some(EndpointAuth::bearer(verifier).with_api_key_header(HeaderName::from_static("x-api-key")))
}

/// The request-state key, when `REQUEST_STATE_KEY` is configured and
/// loaded; an error names the secret, never the value.
pub fn request_state_key(secrets: &Secrets) -> Result<Option<RequestStateKey>, String> {
    if !secrets.is_configured(REQUEST_STATE_KEY) {
        return Ok(None);
    }
    let value = secrets.current(REQUEST_STATE_KEY).map_err(|e| e.to_string())?;
    RequestStateKey::from_base64(value.expose()).map(Some).map_err(|e| {
        format!(
            "secret {REQUEST_STATE_KEY} from {}: {e}",
            secrets.reference(REQUEST_STATE_KEY).map(ToString::to_string).unwrap_or_default()
        )
    })
}
