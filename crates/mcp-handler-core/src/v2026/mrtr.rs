//! Multi round-trip requests (SEP-2322) without server memory.
//!
//! A handler written once calls `ctx.elicit(..)`; for a 2026 request
//! that call either finds its answer (in this request's `inputResponses`,
//! or in answers of earlier rounds sealed into `requestState`) or records
//! an input request and never completes. The dispatcher, seeing the
//! handler suspended with input requested, drops it and answers an
//! `InputRequiredResult`; the client's retry runs the handler again from
//! the top, and this time the call finds its answer. Handlers therefore
//! should do side effects after gathering input (or make them idempotent).

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::StatusCode;
use serde_json::{Map, Value, json};

use super::state::{self, Binding, RequestStateKey};
use crate::error::McpError;
use crate::outbox::lock;

/// The sealing half: key, lifetime, and what the state is bound to (the
/// binding's digest is computed only when a state is sealed or opened).
pub(crate) struct Sealer {
    pub(crate) key: RequestStateKey,
    pub(crate) ttl: Duration,
    pub(crate) method: &'static str,
    /// Tool or prompt name, or resource URI, as UTF-8 (a slice of the
    /// request body when it was sent without escapes: no copy).
    pub(crate) name: bytes::Bytes,
    /// Raw JSON arguments, when the method has them (a slice of the
    /// request body: binding them costs no copy until state is sealed).
    pub(crate) arguments: Option<bytes::Bytes>,
    pub(crate) principal: Option<String>,
}

impl Sealer {
    fn binding(&self) -> Binding {
        let args: Value = self.arguments.as_deref().and_then(|a| serde_json::from_slice(a).ok()).unwrap_or(Value::Null);
        let name = String::from_utf8_lossy(&self.name);
        Binding::new(self.method, &json!({ "name": name, "arguments": args }), self.principal.clone())
    }
}

/// The input side of one 2026 request.
pub(crate) struct Mrtr {
    answers: Map<String, Value>,
    used: Mutex<BTreeSet<String>>,
    pending: Mutex<Map<String, Value>>,
    fault: Mutex<Option<(StatusCode, McpError)>>,
    counter: AtomicUsize,
    sealer: Sealer,
}

impl Mrtr {
    /// Opens `request_state` (if any) and merges `input_responses` over it.
    pub(crate) fn new(
        sealer: Sealer,
        request_state: Option<&str>,
        input_responses: Map<String, Value>,
    ) -> Result<Self, McpError> {
        let mut answers = match request_state {
            Some(token) => state::open(&sealer.key, &sealer.binding(), token)
                .map_err(|e| McpError::invalid_params(format!("Invalid params: {e}")))?,
            None => Map::new(),
        };
        answers.extend(input_responses);
        Ok(Self {
            answers,
            used: Mutex::new(BTreeSet::new()),
            pending: Mutex::new(Map::new()),
            fault: Mutex::new(None),
            counter: AtomicUsize::new(0),
            sealer,
        })
    }

    /// A fresh key for an unnamed input, stable across rounds as long as
    /// the handler asks in the same order.
    pub(crate) fn next_key(&self, kind: &str) -> String {
        format!("{kind}-{}", self.counter.fetch_add(1, Ordering::Relaxed))
    }

    /// The client's answer to `key`, if it gave one.
    pub(crate) fn answer(&self, key: &str) -> Option<Value> {
        let v = self.answers.get(key)?.clone();
        lock(&self.used).insert(key.to_owned());
        Some(v)
    }

    /// Records an input request for this round.
    pub(crate) fn ask(&self, key: String, method: &str, params: Value) {
        lock(&self.pending).insert(key, json!({ "method": method, "params": params }));
    }

    /// Ends the request with a protocol error instead of a result.
    pub(crate) fn fail(&self, status: StatusCode, error: McpError) {
        lock(&self.fault).get_or_insert((status, error));
    }

    /// When the handler is suspended: the error or `InputRequiredResult`
    /// (its members, without `resultType` and `_meta`) that ends this round.
    pub(crate) fn suspended(&self) -> Option<Result<Value, (StatusCode, McpError)>> {
        if let Some(fault) = lock(&self.fault).clone() {
            return Some(Err(fault));
        }
        let pending = lock(&self.pending);
        if pending.is_empty() {
            return None;
        }
        let used = lock(&self.used);
        let carried: Map<String, Value> =
            self.answers.iter().filter(|(k, _)| used.contains(*k)).map(|(k, v)| (k.clone(), v.clone())).collect();
        let token = state::seal(&self.sealer.key, &self.sealer.binding(), &carried, self.sealer.ttl);
        Some(Ok(json!({
            "inputRequests": Value::Object(pending.clone()),
            "requestState": token,
        })))
    }
}
