//! JSON-RPC batches (protocol versions 2025-03-26 and older): each member
//! answered as a single message would be, the answers in one array.

use std::sync::Arc;

use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::value::RawValue;

use super::admission::{self, ClientKey};
use super::body::McpBody;
use super::guard::Accepts;
use crate::dispatch::Dispatched;
use crate::error::McpError;
use crate::jsonrpc::params::Slot;
use crate::jsonrpc::{self, Incoming};
use crate::method::Method;
use crate::version::ProtocolVersion;

use super::responses::{accepted, bad_request, json_response, refuse};
use super::service::{Caller, Shared};
use super::v2025::Routed2025;

impl Shared {
    pub(super) async fn batch(
        self: Arc<Self>,
        parts: http::request::Parts,
        bytes: &Bytes,
        header_version: Option<ProtocolVersion>,
        accepts: Accepts,
    ) -> Response<McpBody> {
        let items: Vec<&RawValue> = match serde_json::from_slice(bytes) {
            Ok(v) => v,
            Err(e) => return refuse(StatusCode::BAD_REQUEST, None, &jsonrpc::classify_json_error(&e)),
        };
        let caller = match self.caller(&parts, None, header_version, accepts).await {
            Ok(c) => c,
            Err(resp) => return resp,
        };
        let version = caller.version;
        if !version.allows_batches() {
            let err = McpError::invalid_request(format!(
                "Invalid Request: JSON-RPC batches are not supported in protocol version {version}"
            ));
            return refuse(StatusCode::BAD_REQUEST, None, &err);
        }
        if items.is_empty() {
            return bad_request("Invalid Request: empty batch");
        }
        // Batch members are answered together in one JSON array, so none of
        // them can stream: notifications they emit are dropped.
        let caller = Caller { accepts: Accepts { json: accepts.json, sse: false }, ..caller };
        let mut out: Vec<Bytes> = Vec::new();
        for raw in items {
            let mut slot = Slot::default();
            match Incoming::parse(raw.get().as_bytes(), &mut slot) {
                Err(bad) => out.push(jsonrpc::error_bytes(bad.id.as_ref(), &bad.error)),
                Ok(Incoming::Notification { method, params }) => self.notification(&method, params.as_ref(), &caller),
                Ok(Incoming::Response { id, outcome }) => self.client_response(&id, outcome, &caller),
                Ok(Incoming::Request { id, method: name, params }) => {
                    let method = Method::parse(&name);
                    if method == Some(Method::Initialize) {
                        let err = McpError::invalid_request("Invalid Request: initialize must not be part of a batch");
                        out.push(jsonrpc::error_bytes(Some(&id), &err));
                        continue;
                    }
                    let session = caller.session.as_ref().map(|(s, _)| &**s);
                    if let Some(limited) = self.over_rate(&parts, session, method, params.as_ref()) {
                        out.push(jsonrpc::error_bytes(Some(&id), &limited.error()));
                        continue;
                    }
                    let dispatched = match self.request(&id, &name, method, params.as_ref(), &caller, None) {
                        Routed2025::Now(d) => d,
                        Routed2025::SessionState(m) => {
                            self.session_request(&id, &name, m, params.as_ref(), &caller).await
                        }
                    };
                    match dispatched {
                        Dispatched::Done(b) => out.push(b),
                        Dispatched::Call(call) => {
                            let client = ClientKey::of(call.ctx.session_id(), call.ctx.extensions());
                            let _permit = match self.admission.admit(client) {
                                Ok(p) => p,
                                Err(full) => {
                                    out.push(jsonrpc::error_bytes(Some(&id), &admission::busy(full)));
                                    continue;
                                }
                            };
                            let _guard = self.track_inflight(&caller, &id, &call.ctx);
                            out.push(call.fut.await.body);
                        }
                    }
                }
            }
        }
        if out.is_empty() {
            return accepted();
        }
        let mut body = Vec::with_capacity(out.iter().map(Bytes::len).sum::<usize>() + out.len() + 2);
        body.push(b'[');
        for (i, b) in out.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(b);
        }
        body.push(b']');
        json_response(Bytes::from(body))
    }
}
