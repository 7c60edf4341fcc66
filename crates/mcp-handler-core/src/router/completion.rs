//! Argument completion.

use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::context::RequestContext;
use crate::error::McpError;
use crate::model::{CompleteRequest, Completion};

pub(crate) type CompleteFn =
    dyn Fn(RequestContext, CompleteRequest) -> BoxFuture<'static, Result<Completion, McpError>> + Send + Sync;

/// Completes one argument: from a fixed list, or by a handler.
#[derive(Clone)]
pub struct Completer(pub(crate) Arc<CompleteFn>);

impl std::fmt::Debug for Completer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Completer")
    }
}

impl Completer {
    /// Offers the values that start with what the user typed (case-insensitive).
    pub fn from_values<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let values: Arc<[String]> = values.into_iter().map(Into::into).collect();
        Self(Arc::new(move |_ctx, req: CompleteRequest| {
            let typed = req.value.to_lowercase();
            let hits = values.iter().filter(|v| v.to_lowercase().starts_with(&typed)).cloned().collect();
            Box::pin(std::future::ready(Ok(Completion::new(hits))))
        }))
    }

    /// Completes with a handler.
    pub fn from_fn<F, Fut, R, E>(f: F) -> Self
    where
        F: Fn(RequestContext, CompleteRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, E>> + Send + 'static,
        R: Into<Completion>,
        E: Into<McpError>,
    {
        Self(Arc::new(move |ctx, req| {
            let fut = f(ctx, req);
            Box::pin(async move { fut.await.map(Into::into).map_err(Into::into) })
        }))
    }
}

impl<S: Into<String>, const N: usize> From<[S; N]> for Completer {
    fn from(values: [S; N]) -> Self {
        Self::from_values(values)
    }
}

impl From<Vec<String>> for Completer {
    fn from(values: Vec<String>) -> Self {
        Self::from_values(values)
    }
}
