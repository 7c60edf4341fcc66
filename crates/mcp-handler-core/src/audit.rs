//! The tool-call audit: one event per `tools/call` on its own target,
//! [`TARGET`], at `info`, so it can be routed apart from the access log
//! (kept longer, shipped elsewhere): who called, which tool, a digest of
//! the arguments, the outcome and the duration.
//!
//! Argument values are written only for a tool that opts in
//! ([`ToolBuilder::audit_arguments`](crate::ToolBuilder::audit_arguments));
//! otherwise only `args_sha256`, the first 128 bits of the SHA-256 of the
//! arguments exactly as the client sent them, which tells equal calls
//! apart and lets an auditor check a claimed argument, but can be guessed
//! back for arguments of few possible values.
//!
//! Off unless the log filter lets the target through (`MCP_AUDIT=on`, or
//! `RUST_LOG=...,mcp_handler::audit=info`); off, a call pays one cached
//! check.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use sha2::{Digest as _, Sha256};

use crate::context::RequestContext;
use crate::error::McpError;
use crate::http::ClientAddress;
use crate::jsonrpc::RawJson;
use crate::model::CallToolResult;
use crate::v2026::Principal;

/// The audit events' target.
pub const TARGET: &str = "mcp_handler::audit";

/// The most characters of an opted-in tool's arguments written.
const MAX_ARGUMENTS: usize = 4096;
/// The most characters kept of a principal or id from a request.
const MAX_TEXT: usize = 128;

/// One call being audited: the facts known at its start, logged once when
/// it ends (or, if it never ends, when it is dropped: cancelled).
pub(crate) struct Audit {
    tool: Arc<str>,
    started: Instant,
    request_id: String,
    args_sha256: Option<String>,
    arguments: Option<String>,
    session: Option<String>,
    client: Option<IpAddr>,
    lambda_request_id: Option<String>,
    principal: Option<String>,
    logged: bool,
}

impl Audit {
    /// The audit of a call of `tool`, when audit events are wanted.
    pub(crate) fn start(
        tool: &Arc<str>,
        with_arguments: bool,
        ctx: &RequestContext,
        arguments: Option<RawJson<'_>>,
    ) -> Option<Self> {
        if !tracing::enabled!(target: TARGET, tracing::Level::INFO) {
            return None;
        }
        let raw = arguments.map(RawJson::get);
        Some(Self {
            tool: tool.clone(),
            started: Instant::now(),
            request_id: bounded(&ctx.request_id().to_string()),
            args_sha256: raw.map(digest),
            arguments: raw.filter(|_| with_arguments).map(|a| cut(a, MAX_ARGUMENTS)),
            session: ctx.session_id().map(bounded),
            client: ctx.extensions().and_then(|e| e.get::<ClientAddress>()).map(|a| a.0),
            lambda_request_id: ctx.invocation().map(|i| bounded(&i.request_id)),
            principal: ctx.extensions().and_then(|e| e.get::<Principal>()).map(|p| bounded(&p.0)),
            logged: false,
        })
    }

    /// Logs the call's end.
    pub(crate) fn finish(mut self, result: &Result<CallToolResult, McpError>) {
        let (outcome, code) = match result {
            Ok(r) if r.is_error => ("tool_error", None),
            Ok(_) => ("ok", None),
            Err(e) => ("error", Some(e.code.0)),
        };
        self.log(outcome, code);
    }

    fn log(&mut self, outcome: &'static str, error_code: Option<i32>) {
        self.logged = true;
        tracing::info!(
            target: TARGET,
            tool = &*self.tool,
            outcome,
            error_code,
            duration_ms = self.started.elapsed().as_secs_f64() * 1000.0,
            request_id = self.request_id,
            args_sha256 = self.args_sha256.as_deref(),
            arguments = self.arguments.as_deref(),
            session = self.session.as_deref(),
            client = self.client.map(tracing::field::display),
            lambda_request_id = self.lambda_request_id.as_deref(),
            principal = self.principal.as_deref(),
            "tool call"
        );
    }
}

impl Drop for Audit {
    fn drop(&mut self) {
        if !self.logged {
            // A panic unwinds through the wrapper; anything else that drops
            // a running call (the client's cancellation, a closed stream,
            // shutdown) ends it unanswered.
            self.log(if std::thread::panicking() { "panicked" } else { "cancelled" }, None);
        }
    }
}

fn digest(text: &str) -> String {
    let hash = Sha256::digest(text.as_bytes());
    hash[..16].iter().fold(String::with_capacity(32), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn bounded(text: &str) -> String {
    cut(text, MAX_TEXT)
}

fn cut(text: &str, max: usize) -> String {
    crate::util::first_chars(text, max).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_128_bits_of_sha256_in_hex() {
        // SHA-256("{}") = 44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a
        assert_eq!(digest("{}"), "44136fa355b3678a1146ad16f7e8649e");
        assert_ne!(digest(r#"{"a":1}"#), digest(r#"{"a":2}"#));
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        assert_eq!(cut(&"é".repeat(10), 4), "éééé");
        assert_eq!(cut("short", 10), "short");
    }
}
