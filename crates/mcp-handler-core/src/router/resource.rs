//! Resources and resource templates.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::Serialize;

use super::CacheHint;
use super::completion::{CompleteFn, Completer};
use super::uri_template::UriTemplate;
use crate::context::RequestContext;
use crate::error::McpError;
use crate::model::{Annotations, Icon, Meta, ResourceContents};

/// What a resource handler receives besides the context.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ResourceRequest {
    /// The URI being read.
    pub uri: String,
    /// Template variables (empty for a direct resource).
    pub params: HashMap<String, String>,
}

/// What a resource handler may return.
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

pub(crate) type ReadFn = dyn Fn(RequestContext, ResourceRequest) -> BoxFuture<'static, Result<Vec<ResourceContents>, McpError>>
    + Send
    + Sync;

fn erase_read<F, Fut, R, E>(f: F) -> Arc<ReadFn>
where
    F: Fn(RequestContext, ResourceRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, E>> + Send + 'static,
    R: IntoContents,
    E: Into<McpError>,
{
    Arc::new(move |ctx, req| {
        let fut = f(ctx, req);
        Box::pin(async move { fut.await.map(IntoContents::into_contents).map_err(Into::into) })
    })
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResourceInfo {
    pub(crate) uri: String,
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) mime_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) annotations: Option<Annotations>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) icons: Vec<Icon>,
    #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
    pub(crate) meta: Option<Meta>,
}

/// A direct resource under construction.
///
/// ```
/// use mcp_handler_core::{Resource, ResourceContents, McpError};
/// let readme = Resource::new("docs://readme", "readme")
///     .mime_type("text/markdown")
///     .read(|_ctx, req| async move {
///         Ok::<_, McpError>(ResourceContents::text(req.uri, "# Hello"))
///     });
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Resource {
    info: ResourceInfo,
    cache: CacheHint,
}

/// Reads are assumed caller-specific and immediately stale unless said otherwise.
const DEFAULT_READ_CACHE: CacheHint = CacheHint::private(0);

/// A resource with its reader.
#[must_use]
pub struct ResourceDef {
    pub(crate) info: ResourceInfo,
    pub(crate) read: Arc<ReadFn>,
    pub(crate) cache: CacheHint,
}

impl std::fmt::Debug for ResourceDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceDef").field("uri", &self.info.uri).finish_non_exhaustive()
    }
}

macro_rules! describe_setters {
    () => {
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
        /// MIME type of the contents.
        pub fn mime_type(mut self, m: impl Into<String>) -> Self {
            self.info.mime_type = Some(m.into());
            self
        }
        /// Audience/priority hints.
        pub fn annotations(mut self, a: Annotations) -> Self {
            self.info.annotations = Some(a);
            self
        }
        /// Adds an icon.
        pub fn icon(mut self, icon: Icon) -> Self {
            self.info.icons.push(icon);
            self
        }
        /// Sets `_meta` on the listing.
        pub fn meta(mut self, meta: Meta) -> Self {
            self.info.meta = Some(meta);
            self
        }
    };
}

impl Resource {
    /// A resource at `uri` named `name`.
    pub fn new(uri: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            info: ResourceInfo {
                uri: uri.into(),
                name: name.into(),
                title: None,
                description: None,
                mime_type: None,
                size: None,
                annotations: None,
                icons: Vec::new(),
                meta: None,
            },
            cache: DEFAULT_READ_CACHE,
        }
    }
    describe_setters!();
    /// Caching hints on reads for 2026 clients (default: private, 0 ms).
    pub fn cache(mut self, hint: CacheHint) -> Self {
        self.cache = hint;
        self
    }
    /// Size in bytes, when known.
    pub fn size(mut self, size: u64) -> Self {
        self.info.size = Some(size);
        self
    }
    /// The reader.
    pub fn read<F, Fut, R, E>(self, f: F) -> ResourceDef
    where
        F: Fn(RequestContext, ResourceRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, E>> + Send + 'static,
        R: IntoContents,
        E: Into<McpError>,
    {
        ResourceDef { info: self.info, read: erase_read(f), cache: self.cache }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TemplateInfo {
    pub(crate) uri_template: String,
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) mime_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) annotations: Option<Annotations>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) icons: Vec<Icon>,
    #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
    pub(crate) meta: Option<Meta>,
}

/// A resource template under construction, e.g. `users://{id}/profile`.
#[must_use]
pub struct ResourceTemplate {
    info: TemplateInfo,
    completers: HashMap<String, Arc<CompleteFn>>,
    cache: CacheHint,
}

impl std::fmt::Debug for ResourceTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceTemplate").field("uri_template", &self.info.uri_template).finish_non_exhaustive()
    }
}

/// A resource template with its reader.
#[must_use]
pub struct ResourceTemplateDef {
    pub(crate) info: TemplateInfo,
    pub(crate) read: Arc<ReadFn>,
    pub(crate) completers: HashMap<String, Arc<CompleteFn>>,
    pub(crate) cache: CacheHint,
}

impl std::fmt::Debug for ResourceTemplateDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceTemplateDef").field("uri_template", &self.info.uri_template).finish_non_exhaustive()
    }
}

impl ResourceTemplate {
    /// A template (RFC 6570 `{var}` / `{+var}`) named `name`.
    pub fn new(uri_template: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            info: TemplateInfo {
                uri_template: uri_template.into(),
                name: name.into(),
                title: None,
                description: None,
                mime_type: None,
                annotations: None,
                icons: Vec::new(),
                meta: None,
            },
            completers: HashMap::new(),
            cache: DEFAULT_READ_CACHE,
        }
    }
    describe_setters!();
    /// Caching hints on reads for 2026 clients (default: private, 0 ms).
    pub fn cache(mut self, hint: CacheHint) -> Self {
        self.cache = hint;
        self
    }
    /// Completes values of the template variable `variable`.
    pub fn complete(mut self, variable: impl Into<String>, completer: impl Into<Completer>) -> Self {
        self.completers.insert(variable.into(), completer.into().0);
        self
    }
    /// The reader; `req.params` holds the matched variables.
    pub fn read<F, Fut, R, E>(self, f: F) -> ResourceTemplateDef
    where
        F: Fn(RequestContext, ResourceRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, E>> + Send + 'static,
        R: IntoContents,
        E: Into<McpError>,
    {
        ResourceTemplateDef { info: self.info, read: erase_read(f), completers: self.completers, cache: self.cache }
    }
}

/// A compiled template in the router.
pub(crate) struct CompiledTemplate {
    pub(crate) def: ResourceTemplateDef,
    pub(crate) matcher: UriTemplate,
}
