//! Prompts: a builder for the listing, then a handler makes the prompt.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::Serialize;

use super::completion::{CompleteFn, Completer};
use super::extract::{Call, CallInput, RejectionKind};
use super::handler::Handler;
use super::needs::Needs;
use crate::context::RequestContext;
use crate::error::McpError;
use crate::model::{Content, GetPromptResult, Icon, Meta, PromptArgument, PromptMessage};

pub(crate) type PromptFn = dyn Fn(&RequestContext, HashMap<String, String>) -> BoxFuture<'static, Result<GetPromptResult, McpError>>
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

/// A prompt under construction; [`get`](Self::get) makes the [`Prompt`].
///
/// The arguments are a struct: its fields become the listed `arguments`
/// (doc comments their descriptions, non-`Option` fields required).
///
/// ```
/// use mcp_handler_core::{Args, Prompt, PromptMessage, Content};
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Greet {
///     /// Who to greet.
///     name: String,
/// }
/// let p = Prompt::builder("greet")
///     .description("Greets someone")
///     .get(|Args(a): Args<Greet>| async move {
///         PromptMessage::user(Content::text(format!("Say hello to {}", a.name)))
///     });
/// ```
#[must_use]
pub struct PromptBuilder {
    info: PromptInfo,
    completers: HashMap<String, Arc<CompleteFn>>,
}

impl std::fmt::Debug for PromptBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PromptBuilder").field("name", &self.info.name).finish_non_exhaustive()
    }
}

/// A prompt with its handler, ready to register on a router.
#[must_use]
pub struct Prompt {
    pub(crate) info: PromptInfo,
    pub(crate) get: Arc<PromptFn>,
    pub(crate) completers: HashMap<String, Arc<CompleteFn>>,
    pub(crate) needs: Needs,
}

/// The finished prompt's old name.
#[deprecated(since = "0.2.0", note = "renamed to `Prompt`; its builder is `PromptBuilder`")]
pub type PromptDef = Prompt;

impl std::fmt::Debug for Prompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prompt").field("name", &self.info.name).finish_non_exhaustive()
    }
}

impl Prompt {
    /// Starts a prompt named `name`.
    pub fn builder(name: impl Into<String>) -> PromptBuilder {
        PromptBuilder::new(name)
    }

    /// Starts a prompt named `name`: the old spelling of [`Prompt::builder`].
    #[deprecated(since = "0.2.0", note = "use `Prompt::builder`: `Prompt` is now the finished prompt")]
    #[allow(clippy::new_ret_no_self)]
    pub fn new(name: impl Into<String>) -> PromptBuilder {
        PromptBuilder::new(name)
    }

    /// The `arguments` the prompt lists.
    pub fn arguments(&self) -> &[PromptArgument] {
        &self.info.arguments
    }
}

impl PromptBuilder {
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
    /// Declares an argument by hand (for the map form, or to override what
    /// the arguments struct says); required ones are checked before the
    /// handler runs.
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
    /// The handler: an async function of extractors in any order. The
    /// arguments parameter (`Args<T>` or a bare `T`; `HashMap<String, String>`
    /// takes them as they came) adds `T`'s fields to the listed arguments.
    /// It may return messages, a [`GetPromptResult`], a `String` (one user
    /// message), or a `Result` of those with an error that converts into
    /// [`McpError`].
    pub fn get<H, T>(mut self, handler: H) -> Prompt
    where
        H: Handler<T>,
        H::Output: IntoPromptResult,
    {
        let mut needs = Needs::default();
        H::describe(&mut needs);
        if let Some(schema) = needs.schema.take() {
            for arg in super::prompt_args::arguments_from_schema(&schema, needs.fields) {
                if !self.info.arguments.iter().any(|a| a.name == arg.name) {
                    self.info.arguments.push(arg);
                }
            }
        }
        let name: Arc<str> = self.info.name.as_str().into();
        let get: Arc<PromptFn> =
            Arc::new(move |ctx, args| match handler.call(&mut Call { ctx, input: CallInput::Prompt(Some(args)) }) {
                Ok(fut) => Box::pin(async move { fut.await.into_prompt_result() }),
                Err(rejection) => Box::pin(std::future::ready(Err(match rejection.0 {
                    RejectionKind::Arguments(e) => {
                        McpError::invalid_params(format!("Invalid arguments for prompt '{name}': {e}"))
                    }
                    RejectionKind::Error(e) => e,
                }))),
            });
        Prompt { info: self.info, get, completers: self.completers, needs }
    }
}

/// What a prompt handler may return.
pub trait IntoPromptResult: Send {
    /// Converts into the `prompts/get` result or its error.
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError>;
}

impl IntoPromptResult for GetPromptResult {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        Ok(self)
    }
}

impl IntoPromptResult for Vec<PromptMessage> {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        Ok(GetPromptResult::new(self))
    }
}

impl IntoPromptResult for PromptMessage {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        Ok(GetPromptResult::new(vec![self]))
    }
}

/// One user message with this text.
impl IntoPromptResult for String {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        PromptMessage::user(Content::text(self)).into_prompt_result()
    }
}

/// One user message with this text.
impl IntoPromptResult for &'static str {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        PromptMessage::user(Content::text(self)).into_prompt_result()
    }
}

impl<T: IntoPromptResult, E: Into<McpError> + Send> IntoPromptResult for Result<T, E> {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        self.map_err(Into::into)?.into_prompt_result()
    }
}
