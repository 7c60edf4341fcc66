//! Errors of the resolver. Every message names the secret and where it
//! comes from; none contains a value.

use std::time::Duration;

use crate::reference::ReferenceError;
use crate::source::SourceError;

/// A secret declaration or its deployment configuration cannot be used
/// (found when the resolver is built, before any I/O).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required secret has no reference.
    #[error(
        "secret {name} is required but has no source: set {var} (e.g. env:VAR, file:/run/secrets/x, aws-sm:name#key)"
    )]
    Missing {
        /// The secret.
        name: String,
        /// The variable that would name its source.
        var: String,
    },
    /// The reference does not parse.
    #[error("{var}: {error}")]
    BadReference {
        /// The variable holding the reference.
        var: String,
        /// What is wrong with it.
        error: ReferenceError,
    },
    /// A setting of the resolver (not a reference) that does not parse.
    #[error("{var}: expected {expected}")]
    BadSetting {
        /// The variable.
        var: &'static str,
        /// What it takes.
        expected: &'static str,
    },
    /// A secret name that cannot be an environment-variable suffix.
    #[error("secret name {0:?} is not usable: use A-Z, 0-9 and _")]
    BadName(String),
    /// The same secret declared twice.
    #[error("secret {0} is declared twice")]
    Duplicate(String),
    /// A reference to a source the crate was built without.
    #[error(
        "{var}: source {scheme}: is not built in: enable feature `aws-secrets` of mcp-handler (`{feature}` of mcp-handler-secrets)"
    )]
    FeatureOff {
        /// The variable holding the reference.
        var: String,
        /// The source.
        scheme: &'static str,
        /// The feature that adds it.
        feature: &'static str,
    },
}

/// A secret cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The name was not declared when the resolver was built.
    #[error("secret {0} was not declared")]
    Undeclared(String),
    /// An optional secret the deployment does not configure.
    #[error("secret {0} is not configured")]
    NotConfigured(String),
    /// Not loaded yet (a Lambda extension secret before the first
    /// invocation, or before `load`).
    #[error("secret {name} from {source_ref} is not loaded yet")]
    NotLoaded {
        /// The secret.
        name: String,
        /// Its reference.
        source_ref: String,
    },
    /// Never loaded: the source failed.
    #[error("secret {name} from {source_ref}: {cause}")]
    Failed {
        /// The secret.
        name: String,
        /// Its reference.
        source_ref: String,
        /// The source's error.
        cause: SourceError,
    },
    /// Refreshes failed for longer than the staleness bound: the last good
    /// value is no longer served.
    #[error(
        "secret {name} from {source_ref}: refresh failing and the last good value is {age:?} past its TTL, beyond the {max_stale:?} allowed: {cause}"
    )]
    Stale {
        /// The secret.
        name: String,
        /// Its reference.
        source_ref: String,
        /// How long past its TTL the value is.
        age: Duration,
        /// The bound.
        max_stale: Duration,
        /// The latest refresh error.
        cause: SourceError,
    },
    /// No `Secrets` was shared with the router (`RouterBuilder::state`).
    #[error("no Secrets shared with the router (RouterBuilder::state); cannot serve secret {0}")]
    NoResolver(String),
}

/// Required secrets that failed to load at start-up (every failure, not
/// only the first).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("required secrets failed to load: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct LoadError(pub Vec<SecretError>);
