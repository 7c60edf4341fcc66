//! Lambda settings from the environment.

use mcp_handler_core::{RandomUnavailable, ResponseMode};

/// Why the Lambda settings are unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `MCP_LAMBDA_RESPONSE_MODE` is neither `buffered` nor `streaming`.
    #[error("MCP_LAMBDA_RESPONSE_MODE must be \"buffered\" or \"streaming\", got {0:?}")]
    ResponseMode(String),
    /// The OS random source failed, so the endpoint's start-up secrets
    /// cannot be made; the sandbox fails its init rather than use weaker
    /// ones.
    #[error("cannot start the MCP endpoint: {0}")]
    Random(#[from] RandomUnavailable),
}

/// How the function answers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LambdaConfig {
    /// `MCP_LAMBDA_RESPONSE_MODE`: `buffered` (default; API Gateway, ALB,
    /// Function URL `BUFFERED`) or `streaming` (Function URL
    /// `RESPONSE_STREAM`, API Gateway REST streaming). It must match the
    /// invoke mode of the integration in front of the function.
    pub response_mode: ResponseMode,
}

impl Default for LambdaConfig {
    fn default() -> Self {
        Self { response_mode: ResponseMode::Buffered }
    }
}

impl LambdaConfig {
    /// Streaming responses.
    pub fn streaming() -> Self {
        Self { response_mode: ResponseMode::Streaming }
    }

    /// Buffered responses.
    pub fn buffered() -> Self {
        Self { response_mode: ResponseMode::Buffered }
    }

    /// Reads `MCP_LAMBDA_RESPONSE_MODE` through `env`.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        match env("MCP_LAMBDA_RESPONSE_MODE").as_deref().map(str::trim) {
            None | Some("") => Ok(Self::default()),
            Some(v) if v.eq_ignore_ascii_case("buffered") => Ok(Self::buffered()),
            Some(v) if v.eq_ignore_ascii_case("streaming") => Ok(Self::streaming()),
            Some(other) => Err(ConfigError::ResponseMode(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_mode_comes_from_the_environment() {
        assert_eq!(LambdaConfig::from_env(|_| None).unwrap().response_mode, ResponseMode::Buffered);
        let streaming = |_: &str| Some("STREAMING".to_owned());
        assert_eq!(LambdaConfig::from_env(streaming).unwrap().response_mode, ResponseMode::Streaming);
        let bad = |_: &str| Some("fast".to_owned());
        assert_eq!(LambdaConfig::from_env(bad), Err(ConfigError::ResponseMode("fast".into())));
    }
}
