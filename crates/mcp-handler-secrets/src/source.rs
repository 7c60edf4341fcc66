//! The `SecretSource` trait, and the object-safe form the resolver holds.

use std::future::Future;
use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::reference::Location;
use crate::secret::Secret;

/// Why a source could not produce a value. Messages describe the failure
/// (a missing variable, an AWS error code) and never contain a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The secret does not exist there (unset variable, no such file,
    /// `ResourceNotFoundException`).
    #[error("not found: {0}")]
    NotFound(String),
    /// The source could not be reached or refused (network, throttling,
    /// permissions, a moved mount).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The value exists but cannot be used (empty, not UTF-8, no such JSON
    /// key).
    #[error("unusable value: {0}")]
    Invalid(String),
}

/// Where secrets are read from. Implement it for your own store and
/// register it under a scheme with `SecretsBuilder::source`.
pub trait SecretSource: Send + Sync + 'static {
    /// Reads the current value at `location`.
    fn fetch(&self, location: &Location) -> impl Future<Output = Result<Secret, SourceError>> + Send;

    /// How long a value is used before it is read again, unless the
    /// reference says `?ttl=`; `None` reads once (values that cannot change
    /// while the process lives, like its environment).
    fn default_ttl(&self) -> Option<Duration>;

    /// Whether the source answers during start-up. The Lambda extension
    /// does not (it serves only during invocations): its secrets are loaded
    /// by the first invocation instead.
    fn available_at_init(&self) -> bool {
        true
    }

    /// The options (`?name=value`) this source takes besides `ttl` and
    /// `max-stale` (others are refused when the resolver is built).
    fn options(&self) -> &'static [&'static str] {
        &[]
    }

    /// Lets go of connections and cached credentials, before a Lambda
    /// SnapStart snapshot (a connection does not survive the restore, and
    /// credentials would be shared by every restored environment). The
    /// next fetch opens what it needs anew. The default holds nothing.
    fn release(&self) {}
}

/// `SecretSource` with a boxed future, so the resolver can hold any mix.
pub(crate) trait DynSource: Send + Sync + 'static {
    fn fetch_boxed<'a>(&'a self, location: &'a Location) -> BoxFuture<'a, Result<Secret, SourceError>>;
    fn default_ttl(&self) -> Option<Duration>;
    fn available_at_init(&self) -> bool;
    fn options(&self) -> &'static [&'static str];
    fn release(&self);
}

impl<S: SecretSource> DynSource for S {
    fn fetch_boxed<'a>(&'a self, location: &'a Location) -> BoxFuture<'a, Result<Secret, SourceError>> {
        Box::pin(self.fetch(location))
    }
    fn default_ttl(&self) -> Option<Duration> {
        SecretSource::default_ttl(self)
    }
    fn available_at_init(&self) -> bool {
        SecretSource::available_at_init(self)
    }
    fn options(&self) -> &'static [&'static str] {
        SecretSource::options(self)
    }
    fn release(&self) {
        SecretSource::release(self);
    }
}
