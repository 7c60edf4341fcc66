//! Why a router could not be built.

/// Why a router could not be built. Raised at start-up, never per request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Two entries share a name or URI.
    #[error("duplicate {kind} {name:?}")]
    Duplicate {
        /// "tool", "resource", "resource template" or "prompt".
        kind: &'static str,
        /// The repeated name.
        name: String,
    },
    /// A tool name breaks the naming rules (1–128 of `A-Za-z0-9_-.`).
    #[error("invalid tool name {0:?}: use 1-128 characters of A-Z a-z 0-9 _ - .")]
    InvalidToolName(String),
    /// A schema that must describe an object does not.
    #[error("the {which} of tool {tool:?} must be a JSON schema of type \"object\"")]
    SchemaNotObject {
        /// The tool.
        tool: String,
        /// "inputSchema" or "outputSchema".
        which: &'static str,
    },
    /// A URI template that cannot be matched.
    #[error("resource template: {0}")]
    InvalidTemplate(String),
    /// A page size of zero.
    #[error("page size must be at least 1")]
    InvalidPageSize,
    /// A handler extracts `State<T>`, but no `T` was given to
    /// [`RouterBuilder::state`](super::RouterBuilder::state).
    #[error("{kind} {name:?} extracts State<{type_name}>, but RouterBuilder::state was never given a {type_name}")]
    MissingState {
        /// "tool", "resource", "resource template" or "prompt".
        kind: &'static str,
        /// Its name or URI.
        name: String,
        /// The missing type, as `std::any::type_name` writes it.
        type_name: &'static str,
    },
    /// A handler's parameters cannot all be given (two read the
    /// arguments, or one is for another kind of handler).
    #[error("{kind} {name:?}: {reason}")]
    InvalidHandler {
        /// "tool", "resource", "resource template" or "prompt".
        kind: &'static str,
        /// Its name or URI.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// An `x-mcp-header` annotation breaks SEP-2243's rules.
    #[error("tool {tool:?}: {reason}")]
    InvalidHeaderParam {
        /// The tool.
        tool: String,
        /// What is wrong.
        reason: String,
    },
}
