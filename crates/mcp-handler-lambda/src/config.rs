//! Lambda settings from the environment.

use mcp_handler_core::{RandomUnavailable, ResponseMode};

/// Why the Lambda settings are unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `MCP_LAMBDA_RESPONSE_MODE` is neither `buffered` nor `streaming`.
    #[error("MCP_LAMBDA_RESPONSE_MODE must be \"buffered\" or \"streaming\", got {0:?}")]
    ResponseMode(String),
    /// `MCP_LAMBDA_METRICS` is neither `emf` nor `off`.
    #[error("MCP_LAMBDA_METRICS must be \"emf\" or \"off\", got {0:?}")]
    Metrics(String),
    /// `MCP_ACCESS_LOG` is neither `on` nor `off`.
    #[error("MCP_ACCESS_LOG must be \"on\" or \"off\", got {0:?}")]
    AccessLog(String),
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
    /// `MCP_ACCESS_LOG`: one line per invocation on target
    /// `mcp_handler::access` (default on), with the Lambda request id.
    pub access_log: bool,
    /// The CloudWatch namespace of the per-invocation Embedded Metric
    /// Format lines (`MCP_LAMBDA_METRICS=emf`, the default, with
    /// `MCP_LAMBDA_METRICS_NAMESPACE`, default `mcp-handler`); `None`
    /// writes none (`MCP_LAMBDA_METRICS=off`).
    pub metrics_namespace: Option<String>,
}

/// The default CloudWatch namespace of the EMF metrics.
pub const DEFAULT_NAMESPACE: &str = "mcp-handler";

impl Default for LambdaConfig {
    fn default() -> Self {
        Self {
            response_mode: ResponseMode::Buffered,
            access_log: true,
            metrics_namespace: Some(DEFAULT_NAMESPACE.to_owned()),
        }
    }
}

impl LambdaConfig {
    /// Streaming responses.
    pub fn streaming() -> Self {
        Self { response_mode: ResponseMode::Streaming, ..Self::default() }
    }

    /// Buffered responses.
    pub fn buffered() -> Self {
        Self::default()
    }

    /// EMF metrics under `namespace`, or none.
    pub fn with_metrics_namespace(mut self, namespace: Option<String>) -> Self {
        self.metrics_namespace = namespace;
        self
    }

    /// Without (`false`) or with the access log.
    pub fn with_access_log(mut self, on: bool) -> Self {
        self.access_log = on;
        self
    }

    /// Reads `MCP_LAMBDA_RESPONSE_MODE` and `MCP_ACCESS_LOG` through `env`.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let config = match env("MCP_LAMBDA_RESPONSE_MODE").as_deref().map(str::trim) {
            None | Some("") => Self::default(),
            Some(v) if v.eq_ignore_ascii_case("buffered") => Self::buffered(),
            Some(v) if v.eq_ignore_ascii_case("streaming") => Self::streaming(),
            Some(other) => return Err(ConfigError::ResponseMode(other.to_owned())),
        };
        let access_log = match env("MCP_ACCESS_LOG").as_deref().map(str::trim) {
            None | Some("") => true,
            Some(v) if v.eq_ignore_ascii_case("on") => true,
            Some(v) if v.eq_ignore_ascii_case("off") => false,
            Some(other) => return Err(ConfigError::AccessLog(other.to_owned())),
        };
        let namespace = env("MCP_LAMBDA_METRICS_NAMESPACE")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
        let namespace = match env("MCP_LAMBDA_METRICS").as_deref().map(str::trim) {
            None | Some("") => Some(namespace),
            Some(v) if v.eq_ignore_ascii_case("emf") => Some(namespace),
            Some(v) if v.eq_ignore_ascii_case("off") => None,
            Some(other) => return Err(ConfigError::Metrics(other.to_owned())),
        };
        Ok(config.with_access_log(access_log).with_metrics_namespace(namespace))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_mode_comes_from_the_environment() {
        assert_eq!(LambdaConfig::from_env(|_| None).unwrap().response_mode, ResponseMode::Buffered);
        let streaming = |k: &str| (k == "MCP_LAMBDA_RESPONSE_MODE").then(|| "STREAMING".to_owned());
        assert_eq!(LambdaConfig::from_env(streaming).unwrap().response_mode, ResponseMode::Streaming);
        let bad = |k: &str| (k == "MCP_LAMBDA_RESPONSE_MODE").then(|| "fast".to_owned());
        assert_eq!(LambdaConfig::from_env(bad), Err(ConfigError::ResponseMode("fast".into())));
        assert!(LambdaConfig::from_env(|_| None).unwrap().access_log);
        let off = |k: &str| (k == "MCP_ACCESS_LOG").then(|| "OFF".to_owned());
        assert!(!LambdaConfig::from_env(off).unwrap().access_log);
        let bad = |k: &str| (k == "MCP_ACCESS_LOG").then(|| "loud".to_owned());
        assert_eq!(LambdaConfig::from_env(bad), Err(ConfigError::AccessLog("loud".into())));
        assert_eq!(LambdaConfig::from_env(|_| None).unwrap().metrics_namespace.as_deref(), Some("mcp-handler"));
        let named = |k: &str| (k == "MCP_LAMBDA_METRICS_NAMESPACE").then(|| "team/mcp".to_owned());
        assert_eq!(LambdaConfig::from_env(named).unwrap().metrics_namespace.as_deref(), Some("team/mcp"));
        let off = |k: &str| (k == "MCP_LAMBDA_METRICS").then(|| "off".to_owned());
        assert_eq!(LambdaConfig::from_env(off).unwrap().metrics_namespace, None);
        let bad = |k: &str| (k == "MCP_LAMBDA_METRICS").then(|| "prometheus".to_owned());
        assert_eq!(LambdaConfig::from_env(bad), Err(ConfigError::Metrics("prometheus".into())));
    }
}
