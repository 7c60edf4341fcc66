//! Secret references: where a secret comes from, written as deployment
//! configuration (`MCP_SECRET_<NAME>=<reference>`).
//!
//! ```text
//! <scheme>:<location>[?<option>=<value>&...][#<json-key>]
//! ```
//!
//! The location ends at the first `?` or `#`; everything after `#` is the
//! JSON key (the value must then be a JSON object, and the key's value is
//! the secret). Options `ttl` and `max-stale` apply to every source; the
//! rest are the source's own (`version-stage`, `version-id` for AWS).

use std::fmt;
use std::time::Duration;

/// Why a reference cannot be used. The message never repeats the
/// reference: a value pasted where a reference belongs must not be logged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// No `scheme:` prefix, or a scheme no source is registered for.
    #[error("not a secret reference: expected <source>:<location> with a source among {0}")]
    UnknownSource(String),
    /// Nothing after the scheme.
    #[error("the reference names no location after its source")]
    EmptyLocation,
    /// `#` with nothing after it.
    #[error("the reference has an empty JSON key after '#'")]
    EmptyKey,
    /// An option without `=`, or with a value that does not parse.
    #[error("the reference has a malformed option (expected name=value; durations like 30s, 5m, 1h)")]
    BadOption,
    /// An option the source does not know.
    #[error("the reference has an option its source does not take (known: ttl, max-stale{0})")]
    UnknownOption(String),
}

/// A parsed reference.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretRef {
    pub(crate) scheme: String,
    pub(crate) location: Location,
    pub(crate) key: Option<String>,
    pub(crate) ttl: Option<Duration>,
    pub(crate) max_stale: Option<Duration>,
}

/// What a source is asked to read: the location and the source's own
/// options (the shared `ttl`/`max-stale` and the JSON key are handled by
/// the resolver).
#[derive(Clone, PartialEq, Eq)]
pub struct Location {
    /// Everything between `scheme:` and the first `?` or `#`.
    pub id: String,
    /// `name=value` options other than `ttl` and `max-stale`.
    pub options: Vec<(String, String)>,
}

impl Location {
    /// The value of option `name`.
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

impl SecretRef {
    /// Parses `text`; `is_scheme` says which schemes have a source, and
    /// `known` lists them for the error message.
    pub(crate) fn parse(text: &str, is_scheme: impl Fn(&str) -> bool, known: &str) -> Result<Self, ReferenceError> {
        let text = text.trim();
        let (scheme, rest) = text.split_once(':').ok_or_else(|| ReferenceError::UnknownSource(known.into()))?;
        if !is_scheme(scheme) {
            return Err(ReferenceError::UnknownSource(known.into()));
        }
        let (before_key, key) = match rest.split_once('#') {
            Some((_, "")) => return Err(ReferenceError::EmptyKey),
            Some((b, k)) => (b, Some(k.to_owned())),
            None => (rest, None),
        };
        let (id, query) = before_key.split_once('?').unwrap_or((before_key, ""));
        if id.is_empty() {
            return Err(ReferenceError::EmptyLocation);
        }
        let mut r = SecretRef {
            scheme: scheme.to_owned(),
            location: Location { id: id.to_owned(), options: Vec::new() },
            key,
            ttl: None,
            max_stale: None,
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').ok_or(ReferenceError::BadOption)?;
            match k {
                "ttl" => r.ttl = Some(parse_duration(v).ok_or(ReferenceError::BadOption)?),
                "max-stale" => r.max_stale = Some(parse_duration(v).ok_or(ReferenceError::BadOption)?),
                _ if v.is_empty() => return Err(ReferenceError::BadOption),
                _ => r.location.options.push((k.to_owned(), v.to_owned())),
            }
        }
        Ok(r)
    }

    /// The source's scheme (`env`, `file`, `aws-sm`, ...).
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The location and the source's options.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The JSON key, when the value is a JSON object.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }
}

/// Shown in errors and logs: the reference is configuration, not a secret.
impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.scheme, self.location.id)?;
        let mut sep = '?';
        let mut opt = |f: &mut fmt::Formatter<'_>, k: &str, v: &dyn fmt::Display| {
            let r = write!(f, "{sep}{k}={v}");
            sep = '&';
            r
        };
        if let Some(t) = self.ttl {
            opt(f, "ttl", &format_args!("{}s", t.as_secs_f64()))?;
        }
        if let Some(t) = self.max_stale {
            opt(f, "max-stale", &format_args!("{}s", t.as_secs_f64()))?;
        }
        for (k, v) in &self.location.options {
            opt(f, k, v)?;
        }
        if let Some(k) = &self.key {
            write!(f, "#{k}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretRef({self})")
    }
}

/// `30`, `30s`, `500ms`, `5m`, `1h`.
pub(crate) fn parse_duration(v: &str) -> Option<Duration> {
    let v = v.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (n, unit) = v.split_at(split);
    let n: u64 = n.parse().ok()?;
    let ms = match unit {
        "ms" => n,
        "" | "s" => n.checked_mul(1000)?,
        "m" => n.checked_mul(60_000)?,
        "h" => n.checked_mul(3_600_000)?,
        _ => return None,
    };
    Some(Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Result<SecretRef, ReferenceError> {
        SecretRef::parse(t, |s| matches!(s, "env" | "file" | "aws-sm"), "env:, file:, aws-sm:")
    }

    #[test]
    fn references_parse() {
        let r = parse("aws-sm:prod/mcp#api_key").unwrap();
        assert_eq!((r.scheme(), r.location().id.as_str(), r.key()), ("aws-sm", "prod/mcp", Some("api_key")));
        let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/mcp-AbCdEf";
        let r = parse(&format!("aws-sm:{arn}?version-stage=AWSPREVIOUS&ttl=5m&max-stale=1h#k")).unwrap();
        assert_eq!(r.location().id, arn);
        assert_eq!(r.location().option("version-stage"), Some("AWSPREVIOUS"));
        assert_eq!(r.ttl, Some(Duration::from_secs(300)));
        assert_eq!(r.max_stale, Some(Duration::from_secs(3600)));
        assert_eq!(r.key(), Some("k"));
        assert_eq!(r.to_string(), format!("aws-sm:{arn}?ttl=300s&max-stale=3600s&version-stage=AWSPREVIOUS#k"));
        let r = parse("file:/run/secrets/token?ttl=500ms").unwrap();
        assert_eq!((r.location().id.as_str(), r.ttl), ("/run/secrets/token", Some(Duration::from_millis(500))));
        assert_eq!(parse(" env:API_KEY ").unwrap().to_string(), "env:API_KEY");
    }

    #[test]
    fn bad_references_are_refused_without_echoing_them() {
        for (text, want) in [
            ("hunter2", ReferenceError::UnknownSource("env:, file:, aws-sm:".into())),
            ("vault:hunter2", ReferenceError::UnknownSource("env:, file:, aws-sm:".into())),
            ("env:", ReferenceError::EmptyLocation),
            ("env:?ttl=1", ReferenceError::EmptyLocation),
            ("aws-sm:x#", ReferenceError::EmptyKey),
            ("file:/x?ttl", ReferenceError::BadOption),
            ("file:/x?ttl=soon", ReferenceError::BadOption),
            ("file:/x?version-stage=", ReferenceError::BadOption),
        ] {
            let err = parse(text).unwrap_err();
            assert_eq!(err, want, "{text}");
            assert!(!err.to_string().contains("hunter2"));
        }
    }
}
