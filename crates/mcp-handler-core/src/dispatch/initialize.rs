//! `initialize` (2025 generation): negotiates the revision and describes
//! the server. The endpoint keeps what it returns in the new session.

use serde::Deserialize;
use serde_json::Value;

use crate::error::McpError;
use crate::jsonrpc::Params;
use crate::router::{Push, Router};
use crate::version::{Generation, ProtocolVersion};

use super::params::parse_params;

/// The negotiated revision, the result, and the client's capabilities and
/// identity.
pub(crate) fn initialize(
    router: &Router,
    params: Option<&Params<'_>>,
    push: Push,
) -> Result<(ProtocolVersion, Value, Value, Value), McpError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct InitParams {
        protocol_version: String,
        #[serde(default)]
        capabilities: Value,
        #[serde(default)]
        client_info: Value,
    }
    let p: InitParams = parse_params(params)?;
    if !p.capabilities.is_object() && !p.capabilities.is_null() {
        return Err(McpError::invalid_params("Invalid params: capabilities must be an object"));
    }
    let version = ProtocolVersion::parse(&p.protocol_version)
        .filter(|v| v.generation() == Generation::V2025)
        .unwrap_or(ProtocolVersion::LATEST_2025);
    let r = &*router.inner;
    let mut result = serde_json::Map::new();
    result.insert("protocolVersion".into(), Value::String(version.as_str().into()));
    result.insert("capabilities".into(), router.capabilities(push));
    result.insert("serverInfo".into(), serde_json::to_value(&r.info)?);
    if let Some(text) = &r.instructions {
        result.insert("instructions".into(), Value::String(text.clone()));
    }
    let caps = if p.capabilities.is_null() { Value::Object(Default::default()) } else { p.capabilities };
    Ok((version, Value::Object(result), caps, p.client_info))
}
