//! Prompts.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::Serialize;

use super::completion::{CompleteFn, Completer};
use crate::context::RequestContext;
use crate::error::McpError;
use crate::model::{GetPromptResult, Icon, Meta, PromptArgument};

pub(crate) type PromptFn = dyn Fn(RequestContext, HashMap<String, String>) -> BoxFuture<'static, Result<GetPromptResult, McpError>>
    + Send
    + Sync;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PromptInfo {
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) arguments: Vec<PromptArgument>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) icons: Vec<Icon>,
    #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
    pub(crate) meta: Option<Meta>,
}

/// A prompt under construction.
///
/// ```
/// use mcp_handler_core::{Prompt, PromptMessage, Content, McpError};
/// let p = Prompt::new("greet")
///     .description("Greets someone")
///     .argument("name", "Who to greet", true)
///     .get(|_ctx, args| async move {
///         let text = format!("Say hello to {}", args["name"]);
///         Ok::<_, McpError>(vec![PromptMessage::user(Content::text(text))])
///     });
/// ```
#[must_use]
pub struct Prompt {
    info: PromptInfo,
    completers: HashMap<String, Arc<CompleteFn>>,
}

impl std::fmt::Debug for Prompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prompt").field("name", &self.info.name).finish_non_exhaustive()
    }
}

/// A prompt with its handler.
#[must_use]
pub struct PromptDef {
    pub(crate) info: PromptInfo,
    pub(crate) get: Arc<PromptFn>,
    pub(crate) completers: HashMap<String, Arc<CompleteFn>>,
}

impl std::fmt::Debug for PromptDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PromptDef").field("name", &self.info.name).finish_non_exhaustive()
    }
}

impl Prompt {
    /// A prompt named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            info: PromptInfo {
                name: name.into(),
                title: None,
                description: None,
                arguments: Vec::new(),
                icons: Vec::new(),
                meta: None,
            },
            completers: HashMap::new(),
        }
    }
    /// Human-readable title.
    pub fn title(mut self, t: impl Into<String>) -> Self {
        self.info.title = Some(t.into());
        self
    }
    /// Description.
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.info.description = Some(d.into());
        self
    }
    /// Declares an argument; required ones are checked before the handler runs.
    pub fn argument(mut self, name: impl Into<String>, description: impl Into<String>, required: bool) -> Self {
        self.info.arguments.push(PromptArgument::new(name).with_description(description).required(required));
        self
    }
    /// Adds an icon.
    pub fn icon(mut self, icon: Icon) -> Self {
        self.info.icons.push(icon);
        self
    }
    /// Completes values of argument `argument`.
    pub fn complete(mut self, argument: impl Into<String>, completer: impl Into<Completer>) -> Self {
        self.completers.insert(argument.into(), completer.into().0);
        self
    }
    /// The handler; it receives the arguments by name.
    pub fn get<F, Fut, R, E>(self, f: F) -> PromptDef
    where
        F: Fn(RequestContext, HashMap<String, String>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, E>> + Send + 'static,
        R: Into<GetPromptResult>,
        E: Into<McpError>,
    {
        let get: Arc<PromptFn> = Arc::new(move |ctx, args| {
            let fut = f(ctx, args);
            Box::pin(async move { fut.await.map(Into::into).map_err(Into::into) })
        });
        PromptDef { info: self.info, get, completers: self.completers }
    }
}
