//! Secrets from a handler's context.

use std::future::Future;

use mcp_handler_core::RequestContext;

use crate::{Secret, SecretError, Secrets};

/// `ctx.secret("NAME")` for handlers whose router shares a [`Secrets`]
/// (`RouterBuilder::state(secrets)`).
pub trait ContextSecrets {
    /// The router's secrets, if it shares some.
    fn secrets(&self) -> Option<&Secrets>;

    /// Secret `name`, refreshed first if its TTL has passed.
    fn secret(&self, name: &str) -> impl Future<Output = Result<Secret, SecretError>> + Send;
}

impl ContextSecrets for RequestContext {
    fn secrets(&self) -> Option<&Secrets> {
        self.state::<Secrets>()
    }

    fn secret(&self, name: &str) -> impl Future<Output = Result<Secret, SecretError>> + Send {
        let secrets = self.secrets().cloned();
        let name = name.to_owned();
        async move {
            match secrets {
                Some(s) => s.get(&name).await,
                None => Err(SecretError::NoResolver(name)),
            }
        }
    }
}
