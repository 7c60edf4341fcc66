//! `requestState`: what a server remembers between the rounds of a
//! multi-round-trip request, carried by the client and sealed with
//! HMAC-SHA256 so that a tampered, expired or foreign state is refused.
//! No server memory is involved: any instance holding the key can finish
//! the request.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::util::RandomUnavailable;

type HmacSha256 = Hmac<Sha256>;

/// The key that seals request state. Every instance that may receive a
/// retry must hold the same key: a fleet (several containers, many Lambda
/// sandboxes) must configure one; a key generated at start-up only works
/// while one process serves every round.
///
/// `Debug` never shows the key.
#[derive(Clone)]
pub struct RequestStateKey(Arc<[u8]>);

impl fmt::Debug for RequestStateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RequestStateKey(<redacted>)")
    }
}

/// Why a key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestStateKeyError {
    /// Fewer than 32 bytes.
    #[error("a request-state key needs at least 32 bytes of secret material, got {0}")]
    TooShort(usize),
    /// Not valid base64.
    #[error("a request-state key must be base64 (standard or URL-safe)")]
    NotBase64,
}

impl RequestStateKey {
    /// 32 random bytes from the OS. Fails, rather than derive a key from
    /// weaker entropy, when the OS random source does.
    pub fn generate() -> Result<Self, RandomUnavailable> {
        let mut key = [0u8; 32];
        crate::util::fill_random(&mut key)?;
        Ok(Self(Arc::from(&key[..])))
    }

    /// A key from raw bytes (at least 32).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, RequestStateKeyError> {
        if bytes.len() < 32 {
            return Err(RequestStateKeyError::TooShort(bytes.len()));
        }
        Ok(Self(Arc::from(bytes)))
    }

    /// A key from base64 text (standard or URL-safe, padding optional), as
    /// kept in an environment variable or a secret store.
    pub fn from_base64(text: &str) -> Result<Self, RequestStateKeyError> {
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
        let t = text.trim();
        let bytes = [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
            .iter()
            .find_map(|e| e.decode(t).ok())
            .ok_or(RequestStateKeyError::NotBase64)?;
        Self::from_bytes(&bytes)
    }

    /// A short public name of the key: `k-` and the first 8 hex digits of
    /// its SHA-256. Tells two keys apart in logs; says nothing usable about
    /// the key (32 bits of a hash of at least 256 secret bits).
    pub fn id(&self) -> String {
        let digest = Sha256::digest(&self.0);
        format!("k-{:02x}{:02x}{:02x}{:02x}", digest[0], digest[1], digest[2], digest[3])
    }

    /// The same key in an allocation of its own: a thread's copy, whose
    /// reference count no other thread touches (`http/state_key.rs`).
    pub(crate) fn own_copy(&self) -> Self {
        Self(Arc::from(&self.0[..]))
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length; this cannot fail.
        <HmacSha256 as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
    }
}

/// The authenticated caller, when an auth layer knows it. Put it in the
/// request's extensions: request state is then bound to it, so a state
/// minted for one user is refused for another.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Principal(pub String);

/// What the state binds to: the request it belongs to and who made it.
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    pub(crate) method: &'static str,
    pub(crate) digest: String,
    pub(crate) principal: Option<String>,
}

impl Binding {
    /// Binds to `method` and a digest of what identifies the request (tool
    /// or prompt name and arguments, or resource URI).
    pub(crate) fn new(method: &'static str, identity: &Value, principal: Option<String>) -> Self {
        let mut canonical = String::new();
        write_canonical(identity, &mut canonical);
        let digest = Sha256::digest(canonical.as_bytes());
        Self { method, digest: URL_SAFE_NO_PAD.encode(&digest[..16]), principal }
    }
}

/// JSON with object keys sorted, so that two serializations of the same
/// arguments digest alike whatever order the client wrote them in.
fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                write_canonical(&map[*k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[derive(Serialize, Deserialize)]
struct Payload {
    v: u8,
    m: String,
    d: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    p: Option<String>,
    exp: u64,
    #[serde(default)]
    a: Map<String, Value>,
}

/// Why a presented state was refused. The message goes to the client and
/// names no secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum StateError {
    #[error("requestState is malformed")]
    Malformed,
    #[error("requestState failed integrity verification")]
    BadSignature,
    #[error("requestState has expired; start the request again")]
    Expired,
    #[error("requestState belongs to a different request")]
    WrongRequest,
    #[error("requestState belongs to a different caller")]
    WrongPrincipal,
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Seals the answers gathered so far: `base64url(payload) "." base64url(mac)`.
pub(crate) fn seal(key: &RequestStateKey, binding: &Binding, answers: &Map<String, Value>, ttl: Duration) -> String {
    seal_at(key, binding, answers, ttl, now())
}

fn seal_at(key: &RequestStateKey, binding: &Binding, answers: &Map<String, Value>, ttl: Duration, now: u64) -> String {
    let payload = Payload {
        v: 1,
        m: binding.method.to_owned(),
        d: binding.digest.clone(),
        p: binding.principal.clone(),
        exp: now.saturating_add(ttl.as_secs().max(1)),
        a: answers.clone(),
    };
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap_or_default());
    let mut mac = key.mac();
    mac.update(body.as_bytes());
    let tag = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{body}.{tag}")
}

/// Verifies a state and returns the answers it carries.
pub(crate) fn open(key: &RequestStateKey, binding: &Binding, token: &str) -> Result<Map<String, Value>, StateError> {
    let (body, tag) = token.split_once('.').ok_or(StateError::Malformed)?;
    let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| StateError::BadSignature)?;
    let mut mac = key.mac();
    mac.update(body.as_bytes());
    // Constant-time comparison.
    mac.verify_slice(&tag).map_err(|_| StateError::BadSignature)?;
    let raw = URL_SAFE_NO_PAD.decode(body).map_err(|_| StateError::Malformed)?;
    let payload: Payload = serde_json::from_slice(&raw).map_err(|_| StateError::Malformed)?;
    if payload.v != 1 {
        return Err(StateError::Malformed);
    }
    if payload.exp < now() {
        return Err(StateError::Expired);
    }
    if payload.m != binding.method || payload.d != binding.digest {
        return Err(StateError::WrongRequest);
    }
    if payload.p != binding.principal {
        return Err(StateError::WrongPrincipal);
    }
    Ok(payload.a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn binding(args: Value) -> Binding {
        Binding::new("tools/call", &json!({"name": "t", "arguments": args}), Some("alice".into()))
    }

    #[test]
    fn a_sealed_state_opens_with_its_answers() {
        let key = RequestStateKey::generate().unwrap();
        let mut answers = Map::new();
        answers.insert("k".into(), json!({"action": "accept"}));
        let b = binding(json!({"a": 1, "b": 2}));
        let token = seal(&key, &b, &answers, Duration::from_secs(60));
        assert_eq!(open(&key, &b, &token).unwrap(), answers);
        // Key order in the arguments does not matter.
        let reordered: Value = serde_json::from_str(r#"{"b":2,"a":1}"#).unwrap();
        assert_eq!(open(&key, &binding(reordered), &token).unwrap(), answers);
    }

    #[test]
    fn tampered_foreign_and_misbound_states_are_refused() {
        let key = RequestStateKey::generate().unwrap();
        let b = binding(json!({}));
        let token = seal(&key, &b, &Map::new(), Duration::from_secs(60));
        assert_eq!(open(&key, &b, &format!("{token}-TAMPERED")), Err(StateError::BadSignature));
        let (body, tag) = token.split_once('.').unwrap();
        let mut forged = URL_SAFE_NO_PAD.decode(body).unwrap();
        forged[5] ^= 1;
        assert_eq!(open(&key, &b, &format!("{}.{tag}", URL_SAFE_NO_PAD.encode(forged))), Err(StateError::BadSignature));
        assert_eq!(
            open(&RequestStateKey::generate().unwrap(), &b, &token),
            Err(StateError::BadSignature),
            "another key"
        );
        assert_eq!(open(&key, &binding(json!({"x": 1})), &token), Err(StateError::WrongRequest));
        let bob = Binding::new("tools/call", &json!({"name": "t", "arguments": {}}), Some("bob".into()));
        assert_eq!(open(&key, &bob, &token), Err(StateError::WrongPrincipal));
        assert_eq!(open(&key, &b, "no-dot"), Err(StateError::Malformed));
        let stale = seal_at(&key, &b, &Map::new(), Duration::from_secs(60), now() - 3600);
        assert_eq!(open(&key, &b, &stale), Err(StateError::Expired));
    }

    #[test]
    fn keys_are_checked_and_never_printed() {
        assert_eq!(RequestStateKey::from_bytes(&[1; 16]).unwrap_err(), RequestStateKeyError::TooShort(16));
        let k = RequestStateKey::from_base64(&URL_SAFE_NO_PAD.encode([7u8; 32])).unwrap();
        assert_eq!(format!("{k:?}"), "RequestStateKey(<redacted>)");
        assert!(RequestStateKey::from_base64("!!!").is_err());
    }
}
