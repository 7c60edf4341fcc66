//! Where the rate limits are applied: one token per JSON-RPC request (a
//! batch pays per member), and for a `tools/call` of a tool with its own
//! limit one more from that tool's bucket. Nothing is looked at when no
//! limit is configured.

use http::Response;
use http::request::Parts;

use super::admission::ClientKey;
use super::body::McpBody;
use super::rate::{Limited, RateKey, too_many};
use super::service::Shared;
use crate::jsonrpc::Params;
use crate::jsonrpc::{self, RequestId};
use crate::method::Method;

impl Shared {
    /// `Some(limit met)` when this request is over a rate limit. A
    /// `tools/call`'s `name` (read with the message) is decoded only when
    /// some tool has a limit.
    pub(super) fn over_rate(
        &self,
        parts: &Parts,
        session: Option<&str>,
        method: Option<Method>,
        params: Option<&Params<'_>>,
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
        let name = jsonrpc::raw_str(params?.members.name?)?;
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
        params: Option<&Params<'_>>,
    ) -> Option<Response<McpBody>> {
        self.over_rate(parts, session, method, params).map(|limited| {
            tracing::info!(retry_after = ?limited.retry_after, "rate limit reached; answering 429");
            self.refusal(too_many(limited, Some(id)), "rate_limited", Some("MCP_RATE_LIMIT sets the rate"))
        })
    }
}
