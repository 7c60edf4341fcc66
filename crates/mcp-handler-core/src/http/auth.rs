//! An optional bearer-token / API-key check in front of the endpoint.
//!
//! The core extracts the presented credential and answers 401/503; what
//! the credential is compared with (a secret that may rotate) is the
//! [`TokenVerifier`]'s business, so the core needs no secret store.

use std::sync::Arc;

use http::header::{self, HeaderName, HeaderValue};
use http::{Response, StatusCode};

use super::body::McpBody;
use super::responses::refuse;
use crate::error::McpError;

/// What a verifier thinks of a presented credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenVerdict {
    /// The credential is valid.
    Accept,
    /// The credential is wrong.
    Reject,
    /// The expected value cannot be known right now (its secret failed to
    /// load): the request is refused with 503, never let through.
    Unavailable,
}

/// Decides whether a presented token is valid. Called on every request to
/// the endpoint, so it must not block; compare in constant time.
pub trait TokenVerifier: Send + Sync + 'static {
    /// Judges `presented` (the bytes after `Bearer `, or the API-key header).
    fn verify(&self, presented: &[u8]) -> TokenVerdict;
}

/// The endpoint's credential check: `Authorization: Bearer <token>`, and
/// optionally an API-key header, verified by a [`TokenVerifier`]. Health
/// endpoints are served by the shells before the endpoint, so they are
/// never guarded.
#[derive(Clone)]
#[non_exhaustive]
pub struct EndpointAuth {
    pub(crate) verifier: Arc<dyn TokenVerifier>,
    pub(crate) api_key_header: Option<HeaderName>,
    pub(crate) challenge: HeaderValue,
}

impl std::fmt::Debug for EndpointAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointAuth").field("api_key_header", &self.api_key_header).finish_non_exhaustive()
    }
}

impl EndpointAuth {
    /// Bearer tokens checked by `verifier`, realm `"mcp"`.
    pub fn bearer(verifier: impl TokenVerifier) -> Self {
        Self {
            verifier: Arc::new(verifier),
            api_key_header: None,
            challenge: HeaderValue::from_static("Bearer realm=\"mcp\""),
        }
    }

    /// Also accepts the credential in header `name` (e.g. `x-api-key`).
    #[must_use]
    pub fn with_api_key_header(mut self, name: HeaderName) -> Self {
        self.api_key_header = Some(name);
        self
    }

    /// The realm named in `WWW-Authenticate` (quotes and backslashes are
    /// dropped, the rest must be a valid header value).
    #[must_use]
    pub fn with_realm(mut self, realm: &str) -> Self {
        let clean: String = realm.chars().filter(|c| *c != '"' && *c != '\\').collect();
        if let Ok(v) = HeaderValue::from_str(&format!("Bearer realm=\"{clean}\"")) {
            self.challenge = v;
        }
        self
    }

    /// Checks a request's headers: `None` lets it through, `Some` is the
    /// refusal to send.
    pub(crate) fn check(&self, headers: &http::HeaderMap) -> Option<Response<McpBody>> {
        let presented = self.presented(headers);
        let Some(token) = presented else {
            return Some(self.unauthorized(None, "Unauthorized: a bearer token is required"));
        };
        match self.verifier.verify(token) {
            TokenVerdict::Accept => None,
            TokenVerdict::Reject => {
                Some(self.unauthorized(Some("invalid_token"), "Unauthorized: the token is not valid"))
            }
            TokenVerdict::Unavailable => {
                let mut resp = refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    None,
                    &McpError::internal("Service Unavailable: the credential check cannot run right now"),
                );
                resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                Some(resp)
            }
        }
    }

    /// The credential a request presents: the bearer token, else the
    /// API-key header. A malformed `Authorization` counts as none.
    fn presented<'h>(&self, headers: &'h http::HeaderMap) -> Option<&'h [u8]> {
        let bearer = headers.get(header::AUTHORIZATION).and_then(|v| {
            let v = v.as_bytes();
            let (scheme, rest) = v.split_at_checked(6)?;
            (scheme.eq_ignore_ascii_case(b"bearer") && rest.first() == Some(&b' ')).then(|| trim(&rest[1..]))
        });
        bearer.filter(|t| !t.is_empty()).or_else(|| {
            let name = self.api_key_header.as_ref()?;
            headers.get(name).map(|v| trim(v.as_bytes())).filter(|t| !t.is_empty())
        })
    }

    fn unauthorized(&self, error: Option<&'static str>, message: &'static str) -> Response<McpBody> {
        let mut resp = refuse(StatusCode::UNAUTHORIZED, None, &McpError::invalid_request(message));
        let challenge = match error {
            None => self.challenge.clone(),
            Some(e) => {
                let mut v = self.challenge.as_bytes().to_vec();
                v.extend_from_slice(format!(", error=\"{e}\"").as_bytes());
                HeaderValue::from_bytes(&v).unwrap_or_else(|_| self.challenge.clone())
            }
        };
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
        resp
    }
}

fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(&'static [u8]);
    impl TokenVerifier for Fixed {
        fn verify(&self, presented: &[u8]) -> TokenVerdict {
            if presented == self.0 { TokenVerdict::Accept } else { TokenVerdict::Reject }
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> http::HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap()))
            .collect()
    }

    #[test]
    fn bearer_and_api_key_are_read_and_judged() {
        let auth = EndpointAuth::bearer(Fixed(b"s3cret")).with_api_key_header(HeaderName::from_static("x-api-key"));
        assert!(auth.check(&headers(&[("authorization", "Bearer s3cret")])).is_none());
        assert!(auth.check(&headers(&[("authorization", "bearer  s3cret ")])).is_none());
        assert!(auth.check(&headers(&[("x-api-key", "s3cret")])).is_none());
        for bad in [
            vec![],
            vec![("authorization", "Basic czNjcmV0")],
            vec![("authorization", "Bearer")],
            vec![("authorization", "Bearers3cret")],
            vec![("authorization", "Bearer wrong")],
            vec![("x-api-key", "")],
        ] {
            let resp = auth.check(&headers(&bad)).unwrap();
            assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{bad:?}");
            let challenge = resp.headers()[header::WWW_AUTHENTICATE].to_str().unwrap();
            assert!(challenge.starts_with("Bearer realm=\"mcp\""), "{challenge}");
        }
        let wrong = auth.check(&headers(&[("authorization", "Bearer wrong")])).unwrap();
        assert!(wrong.headers()[header::WWW_AUTHENTICATE].to_str().unwrap().contains("invalid_token"));
    }

    #[test]
    fn unavailable_fails_closed() {
        struct Down;
        impl TokenVerifier for Down {
            fn verify(&self, _: &[u8]) -> TokenVerdict {
                TokenVerdict::Unavailable
            }
        }
        let resp = EndpointAuth::bearer(Down).check(&headers(&[("authorization", "Bearer x")])).unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
