//! Resources and resource templates.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::Serialize;

use super::CacheHint;
use super::completion::{CompleteFn, Completer};
pub use super::extract::ResourceRequest;
use super::extract::{Call, CallInput, RejectionKind};
use super::handler::Handler;
use super::needs::Needs;
use super::read_result::IntoReadResult;
use super::uri_template::UriTemplate;
use crate::context::RequestContext;
use crate::error::McpError;
use crate::model::{Annotations, Icon, Meta, ResourceContents};

pub(crate) type ReadFn = dyn Fn(&RequestContext, ResourceRequest) -> BoxFuture<'static, Result<Vec<ResourceContents>, McpError>>
    + Send
    + Sync;

/// Wraps a handler as the router's `ReadFn`.
fn erase_read<H, T>(handler: H, info_mime: Option<&str>) -> (Arc<ReadFn>, Needs)
where
    H: Handler<T>,
    H::Output: IntoReadResult,
{
    let mut needs = Needs::default();
    H::describe(&mut needs);
    // Only a return type that is bare text needs the URI and MIME type
    // after the handler has taken the request.
    let mime: Option<Arc<str>> = info_mime.map(Into::into);
    let read: Arc<ReadFn> = Arc::new(move |ctx, req| {
        let uri = if <H::Output as IntoReadResult>::NEEDS_URI { Some(req.uri.clone()) } else { None };
        match handler.call(&mut Call { ctx, input: CallInput::Resource(Some(req)) }) {
            Ok(fut) => {
                let mime = if <H::Output as IntoReadResult>::NEEDS_URI { mime.clone() } else { None };
                Box::pin(async move { fut.await.into_read_result(uri, mime.as_deref()) })
            }
            Err(rejection) => Box::pin(std::future::ready(Err(match rejection.0 {
                RejectionKind::Arguments(e) => McpError::invalid_params(e),
                RejectionKind::Error(e) => e,
            }))),
        }
    });
    (read, needs)
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

/// A direct resource under construction; [`read`](Self::read) makes the
/// [`Resource`].
///
/// ```
/// use mcp_handler_core::Resource;
/// // Bare text becomes the contents, with the URI and MIME type declared here.
/// let readme = Resource::builder("docs://readme", "readme")
///     .mime_type("text/markdown")
///     .read(|| async { "# Hello" });
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ResourceBuilder {
    info: ResourceInfo,
    cache: CacheHint,
}

/// Reads are assumed caller-specific and immediately stale unless said otherwise.
const DEFAULT_READ_CACHE: CacheHint = CacheHint::private(0);

/// A resource with its reader.
#[must_use]
pub struct Resource {
    pub(crate) info: ResourceInfo,
    pub(crate) read: Arc<ReadFn>,
    pub(crate) cache: CacheHint,
    pub(crate) needs: Needs,
}

/// The finished resource's old name.
#[deprecated(since = "0.2.0", note = "renamed to `Resource`; its builder is `ResourceBuilder`")]
pub type ResourceDef = Resource;

impl Resource {
    /// Starts a resource at `uri` named `name`.
    pub fn builder(uri: impl Into<String>, name: impl Into<String>) -> ResourceBuilder {
        ResourceBuilder::new(uri, name)
    }

    /// The old spelling of [`Resource::builder`].
    #[deprecated(since = "0.2.0", note = "use `Resource::builder`: `Resource` is now the finished resource")]
    #[allow(clippy::new_ret_no_self)]
    pub fn new(uri: impl Into<String>, name: impl Into<String>) -> ResourceBuilder {
        ResourceBuilder::new(uri, name)
    }
}

impl std::fmt::Debug for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resource").field("uri", &self.info.uri).finish_non_exhaustive()
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

impl ResourceBuilder {
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
    /// The reader: an async function of extractors in any order
    /// ([`ResourceRequest`] for the URI). It may return contents, a `String`
    /// (text contents at this URI with the declared MIME type), or a
    /// `Result` of those with an error that converts into [`McpError`].
    pub fn read<H, T>(self, handler: H) -> Resource
    where
        H: Handler<T>,
        H::Output: IntoReadResult,
    {
        let (read, needs) = erase_read(handler, self.info.mime_type.as_deref());
        Resource { info: self.info, read, cache: self.cache, needs }
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

/// A resource template under construction, e.g. `users://{id}/profile`;
/// [`read`](Self::read) makes the [`ResourceTemplate`].
#[must_use]
pub struct ResourceTemplateBuilder {
    info: TemplateInfo,
    completers: HashMap<String, Arc<CompleteFn>>,
    cache: CacheHint,
}

impl std::fmt::Debug for ResourceTemplateBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceTemplateBuilder").field("uri_template", &self.info.uri_template).finish_non_exhaustive()
    }
}

/// A resource template with its reader.
#[must_use]
pub struct ResourceTemplate {
    pub(crate) info: TemplateInfo,
    pub(crate) read: Arc<ReadFn>,
    pub(crate) completers: HashMap<String, Arc<CompleteFn>>,
    pub(crate) cache: CacheHint,
    pub(crate) needs: Needs,
}

/// The finished template's old name.
#[deprecated(since = "0.2.0", note = "renamed to `ResourceTemplate`; its builder is `ResourceTemplateBuilder`")]
pub type ResourceTemplateDef = ResourceTemplate;

impl ResourceTemplate {
    /// Starts a template (RFC 6570 `{var}` / `{+var}`) named `name`.
    pub fn builder(uri_template: impl Into<String>, name: impl Into<String>) -> ResourceTemplateBuilder {
        ResourceTemplateBuilder::new(uri_template, name)
    }

    /// The old spelling of [`ResourceTemplate::builder`].
    #[deprecated(
        since = "0.2.0",
        note = "use `ResourceTemplate::builder`: `ResourceTemplate` is now the finished template"
    )]
    #[allow(clippy::new_ret_no_self)]
    pub fn new(uri_template: impl Into<String>, name: impl Into<String>) -> ResourceTemplateBuilder {
        ResourceTemplateBuilder::new(uri_template, name)
    }
}

impl std::fmt::Debug for ResourceTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceTemplate").field("uri_template", &self.info.uri_template).finish_non_exhaustive()
    }
}

impl ResourceTemplateBuilder {
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
    /// The reader, as for [`ResourceBuilder::read`]; `ResourceRequest::params`
    /// holds the matched variables.
    pub fn read<H, T>(self, handler: H) -> ResourceTemplate
    where
        H: Handler<T>,
        H::Output: IntoReadResult,
    {
        let (read, needs) = erase_read(handler, self.info.mime_type.as_deref());
        ResourceTemplate { info: self.info, read, completers: self.completers, cache: self.cache, needs }
    }
}

/// A compiled template in the router.
pub(crate) struct CompiledTemplate {
    pub(crate) def: ResourceTemplate,
    pub(crate) matcher: UriTemplate,
}
