//! Where the rate limits are applied: one token per JSON-RPC request (a
//! batch pays per member), and for a `tools/call` of a tool with its own
//! limit one more from that tool's bucket. Nothing is looked at when no
//! limit is configured.

use http::Response;
use http::request::Parts;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::admission::ClientKey;
use super::body::McpBody;
use super::rate::{Limited, RateKey, too_many};
use super::service::Shared;
use crate::jsonrpc::{self, RequestId};
use crate::method::Method;

impl Shared {
    /// `Some(limit met)` when this request is over a rate limit. `tool` is
    /// the raw `name` member when the caller already found it (2026); a
    /// 2025 `tools/call` is read for it. Either is decoded only when some
    /// tool has a limit.
    pub(super) fn over_rate(
        &self,
        parts: &Parts,
        session: Option<&str>,
        method: Option<Method>,
        params: Option<&RawValue>,
        tool: Option<&RawValue>,
    ) -> Option<Limited> {
        let global = self.config.rate_limit;
        let r = &*self.router.inner;
        if global.is_none() && !r.tool_rate_limits {
            return None;
        }
        let client = ClientKey::of(session, Some(&parts.extensions));
        let Some(key) = RateKey::of(client, parts, self.config.trusted_proxy_header.as_ref()) else {
            tracing::debug!("rate limit not applied: the request names no session, principal or address");
            return None;
        };
        if let Some(limit) = global
            && let Err(limited) = self.limiter.take(&key, None, limit, 1)
        {
            return Some(limited);
        }
        if !r.tool_rate_limits || method != Some(Method::ToolsCall) {
            return None;
        }
        #[derive(Deserialize)]
        struct Name<'a> {
            #[serde(borrow)]
            name: std::borrow::Cow<'a, str>,
        }
        let name = match tool {
            Some(raw) => jsonrpc::raw_str(raw)?,
            None => serde_json::from_str::<Name<'_>>(params?.get()).ok()?.name,
        };
        let routed = r.tools.get(&*name)?;
        let limit = routed.tool.rate_limit?;
        self.limiter.take(&key, Some(&routed.tool.label), limit, 1).err()
    }

    /// [`Self::over_rate`] as the `429` refusal.
    pub(super) fn throttle(
        &self,
        parts: &Parts,
        session: Option<&str>,
        id: &RequestId,
        method: Option<Method>,
        params: Option<&RawValue>,
        tool: Option<&RawValue>,
    ) -> Option<Response<McpBody>> {
        self.over_rate(parts, session, method, params, tool).map(|limited| {
            tracing::info!(retry_after = ?limited.retry_after, "rate limit reached; answering 429");
            self.refusal(too_many(limited, Some(id)), "rate_limited", Some("MCP_RATE_LIMIT sets the rate"))
        })
    }
}
