//! What a resource handler may return.

use crate::error::McpError;
use crate::model::ResourceContents;

/// Contents a resource handler may return as they are.
pub trait IntoContents: Send {
    /// The `contents` array.
    fn into_contents(self) -> Vec<ResourceContents>;
}

impl IntoContents for ResourceContents {
    fn into_contents(self) -> Vec<ResourceContents> {
        vec![self]
    }
}

impl IntoContents for Vec<ResourceContents> {
    fn into_contents(self) -> Vec<ResourceContents> {
        self
    }
}

/// What a resource handler may return: contents ([`IntoContents`]), bare
/// text (`String`, `&'static str`: text contents at the URI read, with the
/// resource's declared MIME type), or a `Result` of those whose error
/// converts into [`McpError`].
pub trait IntoReadResult: Send {
    /// Whether the conversion needs the URI (bare text does): only then is
    /// it copied before the handler takes the request.
    const NEEDS_URI: bool = false;
    /// Converts into the `contents` or the error; `uri` and `mime` are
    /// given when [`Self::NEEDS_URI`].
    fn into_read_result(self, uri: Option<String>, mime: Option<&str>) -> Result<Vec<ResourceContents>, McpError>;
}

impl<C: IntoContents> IntoReadResult for C {
    fn into_read_result(self, _: Option<String>, _: Option<&str>) -> Result<Vec<ResourceContents>, McpError> {
        Ok(self.into_contents())
    }
}

fn text(uri: Option<String>, mime: Option<&str>, text: impl Into<String>) -> Vec<ResourceContents> {
    let contents = ResourceContents::text(uri.unwrap_or_default(), text);
    vec![match mime {
        Some(m) => contents.with_mime_type(m),
        None => contents,
    }]
}

impl IntoReadResult for String {
    const NEEDS_URI: bool = true;
    fn into_read_result(self, uri: Option<String>, mime: Option<&str>) -> Result<Vec<ResourceContents>, McpError> {
        Ok(text(uri, mime, self))
    }
}

impl IntoReadResult for &'static str {
    const NEEDS_URI: bool = true;
    fn into_read_result(self, uri: Option<String>, mime: Option<&str>) -> Result<Vec<ResourceContents>, McpError> {
        Ok(text(uri, mime, self))
    }
}

impl<T: IntoReadResult, E: Into<McpError> + Send> IntoReadResult for Result<T, E> {
    const NEEDS_URI: bool = T::NEEDS_URI;
    fn into_read_result(self, uri: Option<String>, mime: Option<&str>) -> Result<Vec<ResourceContents>, McpError> {
        self.map_err(Into::into)?.into_read_result(uri, mime)
    }
}
