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

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use http::StatusCode;
use serde_json::{Map, Value, json};

use super::state::{self, Binding, Principal, RequestStateKey};
use crate::env::RequestEnv;
use crate::error::McpError;
use crate::method::Method;
use crate::outbox::lock;

/// What seals a request's input-required state. What the state is bound
/// to (method, target, caller) is read only when a state is sealed or
/// opened ([`Seal::binding`]), so a request that never asks for input
/// pays for none of it.
pub(crate) struct Seal {
    pub(crate) key: RequestStateKey,
    pub(crate) ttl: Duration,
    /// `tools/call`, `prompts/get` or `resources/read`.
    pub(crate) method: Method,
}

impl Seal {
    /// The binding of a request with these `params` (its JSON text) made
    /// by `principal`: the method, and a digest of the tool or prompt
    /// name and arguments, or of the resource URI. The endpoint checked
    /// `params` already (an object, each member once), so a reading that
    /// fails here binds to nothing and no state opens.
    pub(crate) fn binding(&self, params: &[u8], principal: Option<String>) -> Binding {
        #[derive(serde::Deserialize)]
        struct Target<'a> {
            #[serde(borrow, default)]
            name: Option<Cow<'a, str>>,
            #[serde(borrow, default)]
            uri: Option<Cow<'a, str>>,
            #[serde(default)]
            arguments: Option<Value>,
        }
        let (name, args) = match serde_json::from_slice::<Target<'_>>(params) {
            Ok(t) => match self.method {
                Method::ResourcesRead => (t.uri, Value::Null),
                // Absent or `null` prompt arguments are no arguments.
                Method::PromptsGet => (t.name, t.arguments.filter(|a| !a.is_null()).unwrap_or_else(|| json!({}))),
                _ => (t.name, t.arguments.unwrap_or(Value::Null)),
            },
            Err(_) => (None, Value::Null),
        };
        let name = name.unwrap_or_default();
        Binding::new(self.method.as_str(), &json!({ "name": name, "arguments": args }), principal)
    }
}

/// Who made the request, as the endpoint's guard recorded it: a state is
/// bound to its caller.
pub(crate) fn principal(env: &RequestEnv) -> Option<String> {
    env.http.as_ref().and_then(|p| p.extensions.get::<Principal>()).map(|p| p.0.clone())
}

/// The input side of one 2026 request. A first round (no `requestState`,
/// no `inputResponses`) has no answers, so its [`Rounds`] are made only
/// when the handler first asks for input; a retry's are made up front,
/// where its state is opened and checked.
pub(crate) struct Mrtr {
    seal: Seal,
    rounds: OnceLock<Box<Rounds>>,
}

/// The answers a request carries and what its handler asked this round.
struct Rounds {
    answers: Map<String, Value>,
    used: Mutex<BTreeSet<String>>,
    pending: Mutex<Map<String, Value>>,
    fault: Mutex<Option<(StatusCode, McpError)>>,
    counter: AtomicUsize,
}

impl Rounds {
    fn new(answers: Map<String, Value>) -> Self {
        Self {
            answers,
            used: Mutex::new(BTreeSet::new()),
            pending: Mutex::new(Map::new()),
            fault: Mutex::new(None),
            counter: AtomicUsize::new(0),
        }
    }
}

impl Mrtr {
    /// A first round: nothing to answer from yet.
    pub(crate) fn first(seal: Seal) -> Self {
        Self { seal, rounds: OnceLock::new() }
    }

    /// A retry: opens `request_state` (if any) against `binding` and
    /// merges `input_responses` over it.
    pub(crate) fn retry(
        seal: Seal,
        binding: impl FnOnce(&Seal) -> Binding,
        request_state: Option<&str>,
        input_responses: Map<String, Value>,
    ) -> Result<Self, McpError> {
        let mut answers = match request_state {
            Some(token) => state::open(&seal.key, &binding(&seal), token)
                .map_err(|e| McpError::invalid_params(format!("Invalid params: {e}")))?,
            None => Map::new(),
        };
        answers.extend(input_responses);
        let rounds = OnceLock::from(Box::new(Rounds::new(answers)));
        Ok(Self { seal, rounds })
    }

    fn rounds(&self) -> &Rounds {
        self.rounds.get_or_init(|| Box::new(Rounds::new(Map::new())))
    }

    /// A fresh key for an unnamed input, stable across rounds as long as
    /// the handler asks in the same order.
    pub(crate) fn next_key(&self, kind: &str) -> String {
        format!("{kind}-{}", self.rounds().counter.fetch_add(1, Ordering::Relaxed))
    }

    /// The client's answer to `key`, if it gave one.
    pub(crate) fn answer(&self, key: &str) -> Option<Value> {
        let rounds = self.rounds.get()?;
        let v = rounds.answers.get(key)?.clone();
        lock(&rounds.used).insert(key.to_owned());
        Some(v)
    }

    /// Records an input request for this round.
    pub(crate) fn ask(&self, key: String, method: &str, params: Value) {
        lock(&self.rounds().pending).insert(key, json!({ "method": method, "params": params }));
    }

    /// Ends the request with a protocol error instead of a result.
    pub(crate) fn fail(&self, status: StatusCode, error: McpError) {
        lock(&self.rounds().fault).get_or_insert((status, error));
    }

    /// When the handler is suspended: the error or `InputRequiredResult`
    /// (its members, without `resultType` and `_meta`) that ends this round,
    /// its state sealed to `binding`.
    pub(crate) fn suspended(
        &self,
        binding: impl FnOnce(&Seal) -> Binding,
    ) -> Option<Result<Value, (StatusCode, McpError)>> {
        let rounds = self.rounds.get()?;
        if let Some(fault) = lock(&rounds.fault).clone() {
            return Some(Err(fault));
        }
        let pending = lock(&rounds.pending);
        if pending.is_empty() {
            return None;
        }
        let used = lock(&rounds.used);
        let carried: Map<String, Value> =
            rounds.answers.iter().filter(|(k, _)| used.contains(*k)).map(|(k, v)| (k.clone(), v.clone())).collect();
        let token = state::seal(&self.seal.key, &binding(&self.seal), &carried, self.seal.ttl);
        Some(Ok(json!({
            "inputRequests": Value::Object(pending.clone()),
            "requestState": token,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal(method: Method) -> Seal {
        Seal { key: RequestStateKey::generate().unwrap(), ttl: Duration::from_secs(60), method }
    }

    /// The digest of what the endpoint bound to before the target was
    /// read again from params: states sealed by one version open in the
    /// next (a rolling deploy).
    fn expected(method: Method, name: &str, arguments: Value) -> String {
        Binding::new(method.as_str(), &json!({ "name": name, "arguments": arguments }), None).digest
    }

    #[test]
    fn the_binding_is_read_from_params_as_it_was_bound_before() {
        let cases: &[(Method, &str, &str, Value)] = &[
            (Method::ToolsCall, r#"{"name":"echo","arguments":{"b":1,"a":[true]}}"#, "echo", json!({"a":[true],"b":1})),
            (
                Method::ToolsCall,
                r#"{ "arguments" : {"a":[true] , "b":1}, "_meta":{}, "name":"ec\u0068o" }"#,
                "echo",
                json!({"b":1,"a":[true]}),
            ),
            (Method::ToolsCall, r#"{"name":"echo"}"#, "echo", Value::Null),
            (Method::ToolsCall, r#"{"name":"echo","arguments":null}"#, "echo", Value::Null),
            (Method::PromptsGet, r#"{"name":"greet","arguments":{"who":"Ada"}}"#, "greet", json!({"who":"Ada"})),
            (Method::PromptsGet, r#"{"name":"greet"}"#, "greet", json!({})),
            (Method::PromptsGet, r#"{"name":"greet","arguments":null}"#, "greet", json!({})),
            (Method::ResourcesRead, r#"{"uri":"test://a","arguments":{"x":1}}"#, "test://a", Value::Null),
        ];
        for (method, params, name, args) in cases {
            let got = seal(*method).binding(params.as_bytes(), None);
            assert_eq!(got.digest, expected(*method, name, args.clone()), "{params}");
            assert_eq!(got.method, method.as_str());
        }
        let s = seal(Method::ToolsCall);
        let a = s.binding(br#"{"name":"echo","arguments":{"a":1}}"#, None).digest;
        assert_ne!(a, s.binding(br#"{"name":"echo","arguments":{"a":2}}"#, None).digest, "other arguments");
        assert_ne!(a, s.binding(br#"{"name":"other","arguments":{"a":1}}"#, None).digest, "another tool");
        assert_eq!(s.binding(b"{}", Some("ada".into())).principal.as_deref(), Some("ada"));
    }

    #[test]
    fn a_first_round_makes_nothing_until_its_handler_asks() {
        let params = br#"{"name":"t","arguments":{}}"#;
        let first = Mrtr::first(seal(Method::ToolsCall));
        assert!(first.answer("k").is_none());
        assert!(first.rounds.get().is_none(), "looking for an answer made nothing");
        assert!(first.suspended(|_| unreachable!("nothing to seal")).is_none());

        let key = first.next_key("elicitation");
        assert_eq!(key, "elicitation-0");
        first.ask(key.clone(), "elicitation/create", json!({}));
        let round = first.suspended(|s| s.binding(params, None)).unwrap().unwrap();
        assert_eq!(round["inputRequests"][&key]["method"], "elicitation/create");

        // The retry opens that state under the same binding, and not under another.
        let token = round["requestState"].as_str().unwrap();
        let seal2 = Seal { key: first.seal.key.clone(), ttl: first.seal.ttl, method: Method::ToolsCall };
        let answers = Map::from_iter([(key.clone(), json!({"action": "accept"}))]);
        let retry = Mrtr::retry(seal2, |s| s.binding(params, None), Some(token), answers).unwrap();
        assert_eq!(retry.answer(&key), Some(json!({"action": "accept"})));
        assert!(retry.suspended(|_| unreachable!("nothing asked")).is_none());
        let seal3 = Seal { key: first.seal.key.clone(), ttl: first.seal.ttl, method: Method::ToolsCall };
        let moved =
            Mrtr::retry(seal3, |s| s.binding(br#"{"name":"t","arguments":{"x":1}}"#, None), Some(token), Map::new());
        assert!(moved.is_err(), "a state replayed on other arguments");
    }
}
