//! How a result or an error becomes a response message, per generation.

use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use crate::error::McpError;
use crate::jsonrpc::{self, RequestId};
use crate::model::{CallToolResult, GetPromptResult, Meta};
use crate::router::{CacheHint, ServerIdentity};
use crate::v2026::meta::SERVER_INFO;

/// How results are written for the request's generation.
#[derive(Clone)]
pub(super) enum Writer {
    V2025,
    /// Results carry `resultType`, the server's identity and, for reads,
    /// cache hints.
    V2026 {
        /// This thread's copy: no reference count all cores write.
        identity: Arc<ServerIdentity>,
        cache: Option<CacheHint>,
    },
}

/// Result types that may carry their own `_meta` (where a 2026 response
/// puts the server's identity).
pub(super) trait ResultBody: Serialize {
    fn put_server_info(&mut self, _info: &Value) -> bool {
        false
    }

    /// Writes the result's JSON; `false` when it did not serialize.
    fn write_json(&self, buf: &mut Vec<u8>) -> bool {
        serde_json::to_writer(buf, self).is_ok()
    }
}

/// Puts the server's identity into a result's own `_meta`, when it has
/// one; otherwise the writer splices the cached bytes (no map, no clone).
pub(super) fn put_info(meta: &mut Option<Meta>, info: &Value) -> bool {
    match meta {
        Some(m) => {
            m.insert(SERVER_INFO.into(), info.clone());
            true
        }
        None => false,
    }
}

impl ResultBody for CallToolResult {
    fn put_server_info(&mut self, info: &Value) -> bool {
        put_info(&mut self.meta, info)
    }

    fn write_json(&self, buf: &mut Vec<u8>) -> bool {
        self.write_text_only(buf) || serde_json::to_writer(buf, self).is_ok()
    }
}

impl ResultBody for GetPromptResult {
    fn put_server_info(&mut self, info: &Value) -> bool {
        put_info(&mut self.meta, info)
    }
}

#[derive(Serialize)]
pub(super) struct Read<T> {
    pub(super) contents: T,
}
impl<T: Serialize> ResultBody for Read<T> {}

#[derive(Serialize)]
pub(super) struct Complete<T> {
    pub(super) completion: T,
}
impl<T: Serialize> ResultBody for Complete<T> {}

impl ResultBody for Value {}

pub(super) const COMPLETE: &[u8] = br#""resultType":"complete""#;
pub(super) const INPUT_REQUIRED: &[u8] = br#""resultType":"input_required""#;

impl Writer {
    pub(super) fn write<T: ResultBody>(&self, id: &RequestId, value: T) -> Bytes {
        self.write_as(id, value, COMPLETE)
    }

    /// `kind` is the 2026 `resultType` member, written as is.
    pub(super) fn write_as<T: ResultBody>(&self, id: &RequestId, mut value: T, kind: &'static [u8]) -> Bytes {
        let Self::V2026 { identity, cache } = self else {
            return jsonrpc::result_bytes_by(id, &[], |buf| value.write_json(buf));
        };
        let has_meta = value.put_server_info(&identity.info);
        let cache_fields = cache.map(|c| c.json_fields());
        let mut fields: [&[u8]; 3] = [kind, b"", b""];
        let mut n = 1;
        if !has_meta {
            fields[n] = &identity.meta;
            n += 1;
        }
        if let Some(c) = &cache_fields {
            fields[n] = c.as_bytes();
            n += 1;
        }
        jsonrpc::result_bytes_by(id, &fields[..n], |buf| value.write_json(buf))
    }

    pub(super) fn error(&self, id: &RequestId, e: &McpError) -> Bytes {
        jsonrpc::error_bytes(Some(id), e)
    }
}
