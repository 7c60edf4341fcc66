//! Extractors: what a handler's parameters may be, each read from the call
//! on its own, so a handler lists the ones it needs in any order (axum's
//! `FromRequestParts`).
//!
//! | parameter | what it holds |
//! |---|---|
//! | `Args<T>` or a bare `T: Deserialize + JsonSchema` | the arguments (a tool's `arguments`, a prompt's `arguments`); `T` gives the tool's `inputSchema` or the prompt's `arguments` list |
//! | [`RequestContext`] | the request: logging, progress, elicitation, sampling |
//! | [`State<T>`] | a value given to `RouterBuilder::state`; checked by `build()` |
//! | [`Platform`] | the platform's `Invocation`, when there is one (Lambda: request id, deadline) |
//! | [`Cancellation`] | whether, and when, the client cancelled |
//! | [`Headers`] | the HTTP request's headers |
//! | [`ResourceRequest`](super::ResourceRequest) | the URI read and the template variables (resources only) |

use std::any::Any;
use std::collections::HashMap;
use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use super::needs::{Input, Needs};
use crate::context::RequestContext;
use crate::error::McpError;
use crate::invocation::Invocation;
use crate::jsonrpc::RawJson;

/// One call as extractors see it: the context, and the input its method
/// carries (borrowed tool arguments, or an owned prompt map or resource
/// request, moved into the one extractor that takes it).
pub struct Call<'a> {
    pub(crate) ctx: &'a RequestContext,
    pub(crate) input: CallInput<'a>,
}

pub(crate) enum CallInput<'a> {
    Tool(Option<RawJson<'a>>),
    Prompt(Option<HashMap<String, String>>),
    Resource(Option<ResourceRequest>),
}

impl<'a> Call<'a> {
    /// The request's context.
    pub fn context(&self) -> &'a RequestContext {
        self.ctx
    }
}

/// Why an extractor could not produce its value.
#[derive(Debug)]
pub struct Rejection(pub(crate) RejectionKind);

#[derive(Debug)]
pub(crate) enum RejectionKind {
    /// The arguments did not deserialize; the handler kind words the error.
    Arguments(String),
    /// Anything else, answered as this error.
    Error(McpError),
}

impl From<McpError> for Rejection {
    fn from(e: McpError) -> Self {
        Self(RejectionKind::Error(e))
    }
}

/// A handler parameter read from the call.
///
/// `describe` runs once, when the handler is registered: it is how the
/// router learns the arguments' schema and the state a handler needs, so
/// that `RouterBuilder::build` can refuse what a call would fail on.
pub trait FromCall: Sized + Send + 'static {
    /// Produces the value for this call.
    fn from_call(call: &mut Call<'_>) -> Result<Self, Rejection>;
    /// Declares what this extractor needs (default: nothing).
    fn describe(needs: &mut Needs) {
        let _ = needs;
    }
}

/// The arguments, deserialized into `T`; `T`'s JSON schema becomes the
/// tool's `inputSchema`, or the prompt's `arguments` list. A bare `T`
/// parameter means the same; `Args` names it where that reads better.
///
/// Prompt arguments are strings on the wire: a prompt's `T` has `String`
/// (or `Option<String>`, or unit-variant enum) fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Args<T>(pub T);

impl<T> std::ops::Deref for Args<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + JsonSchema + Send + 'static> FromCall for Args<T> {
    fn from_call(call: &mut Call<'_>) -> Result<Self, Rejection> {
        arguments(call).map(Args)
    }
    fn describe(needs: &mut Needs) {
        needs.arguments::<T>();
    }
}

/// The form handlers were first written in, `|ctx: RequestContext, a: MyArgs|`:
/// a parameter that is none of the extractors below is the arguments.
impl<T: DeserializeOwned + JsonSchema + Send + 'static> FromCall for T {
    fn from_call(call: &mut Call<'_>) -> Result<Self, Rejection> {
        arguments(call)
    }
    fn describe(needs: &mut Needs) {
        needs.arguments::<T>();
    }
}

fn arguments<T: DeserializeOwned + 'static>(call: &mut Call<'_>) -> Result<T, Rejection> {
    let bad = |e: &dyn std::fmt::Display| Rejection(RejectionKind::Arguments(e.to_string()));
    match &mut call.input {
        CallInput::Tool(raw) => match raw {
            Some(raw) if raw.get() != "null" => serde_json::from_str(raw.get()),
            _ => serde_json::from_str("{}"),
        }
        .map_err(|e| bad(&e)),
        CallInput::Prompt(map) => {
            let map = map.take().ok_or_else(taken)?;
            // The map form (`HashMap<String, String>`) is handed over as it
            // came, not rebuilt.
            let mut slot = Some(map);
            if let Some(same) = (&mut slot as &mut dyn Any).downcast_mut::<Option<T>>() {
                return same.take().ok_or_else(taken);
            }
            let map = slot.unwrap_or_default();
            super::prompt_args::from_map(map).map_err(|e| bad(&e))
        }
        CallInput::Resource(_) => Err(McpError::internal("resource handlers have no arguments").into()),
    }
}

fn taken() -> Rejection {
    McpError::internal("the call's input was already taken by another parameter").into()
}

impl FromCall for RequestContext {
    fn from_call(call: &mut Call<'_>) -> Result<Self, Rejection> {
        // The one clone of the context a call makes (it used to be made by
        // the dispatcher for every handler, wanted or not).
        Ok(call.ctx.clone())
    }
}

/// A value shared with [`RouterBuilder::state`](super::RouterBuilder::state),
/// cloned for the call (share big things behind an `Arc`). A handler that
/// asks for a `State<T>` that was never given makes `build()` fail.
#[derive(Debug, Clone, Copy, Default)]
pub struct State<T>(pub T);

impl<T> std::ops::Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Clone + Send + Sync + 'static> FromCall for State<T> {
    fn from_call(call: &mut Call<'_>) -> Result<Self, Rejection> {
        call.ctx.state::<T>().cloned().map(State).ok_or_else(|| {
            McpError::internal(format!("no state of type {} was given to the router", std::any::type_name::<T>()))
                .into()
        })
    }
    fn describe(needs: &mut Needs) {
        needs.state::<T>();
    }
}

/// What the hosting platform knows about the invocation: the Lambda shell
/// sets it (request id, deadline, authorizer); `None` elsewhere. (A
/// wrapper, as `Option<Invocation>` could be mistaken for arguments.)
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Platform(pub Option<Invocation>);

impl std::ops::Deref for Platform {
    type Target = Option<Invocation>;
    fn deref(&self) -> &Option<Invocation> {
        &self.0
    }
}

impl FromCall for Platform {
    fn from_call(call: &mut Call<'_>) -> Result<Self, Rejection> {
        Ok(Self(call.ctx.invocation().cloned()))
    }
}

/// The call's cancellation: the client cancelled it, or went away.
#[derive(Debug, Clone)]
pub struct Cancellation(CancellationToken);

impl Cancellation {
    /// Whether the call was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
    /// Completes when the call is cancelled; `select!` on it in long work.
    pub async fn cancelled(&self) {
        self.0.cancelled().await;
    }
    /// The token itself, to hand to other tasks.
    pub fn token(&self) -> &CancellationToken {
        &self.0
    }
}

impl FromCall for Cancellation {
    fn from_call(call: &mut Call<'_>) -> Result<Self, Rejection> {
        Ok(Self(call.ctx.cancel_token().clone()))
    }
}

/// The HTTP request's headers (empty outside HTTP). Holds the context,
/// not a copy of the map.
#[derive(Debug, Clone)]
pub struct Headers(RequestContext);

impl std::ops::Deref for Headers {
    type Target = http::HeaderMap;
    fn deref(&self) -> &http::HeaderMap {
        static EMPTY: OnceLock<http::HeaderMap> = OnceLock::new();
        self.0.headers().unwrap_or_else(|| EMPTY.get_or_init(http::HeaderMap::new))
    }
}

impl FromCall for Headers {
    fn from_call(call: &mut Call<'_>) -> Result<Self, Rejection> {
        Ok(Self(call.ctx.clone()))
    }
}

/// What a resource handler receives besides the context.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ResourceRequest {
    /// The URI being read.
    pub uri: String,
    /// Template variables (empty for a direct resource).
    pub params: HashMap<String, String>,
}

impl FromCall for ResourceRequest {
    fn from_call(call: &mut Call<'_>) -> Result<Self, Rejection> {
        match &mut call.input {
            CallInput::Resource(req) => req.take().ok_or_else(taken),
            _ => Err(McpError::internal("only resource handlers receive a ResourceRequest").into()),
        }
    }
    fn describe(needs: &mut Needs) {
        needs.input(Input::Resource, "ResourceRequest");
    }
}
