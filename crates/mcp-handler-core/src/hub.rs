//! Change notifications: who is listening and what they asked for.
//!
//! Clients of the 2026 generation open `subscriptions/listen` streams with a filter;
//! session clients of the 2025 generation have one GET stream per session.
//! A [`Notifier`] publishes list changes and resource updates to both.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::mpsc;

use crate::jsonrpc::{self, RequestId};
use crate::outbox::lock;
use crate::session::SessionStore;
use crate::v2026::meta::SUBSCRIPTION_ID;

/// What a `subscriptions/listen` request asks for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Filter {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) tools_list_changed: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) prompts_list_changed: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) resources_list_changed: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) resource_subscriptions: Vec<String>,
}

#[derive(Clone, Copy)]
enum Event<'a> {
    Tools,
    Prompts,
    Resources,
    Updated(&'a str),
}

impl Event<'_> {
    fn method(self) -> &'static str {
        match self {
            Self::Tools => "notifications/tools/list_changed",
            Self::Prompts => "notifications/prompts/list_changed",
            Self::Resources => "notifications/resources/list_changed",
            Self::Updated(_) => "notifications/resources/updated",
        }
    }

    fn wanted_by(self, f: &Filter) -> bool {
        match self {
            Self::Tools => f.tools_list_changed,
            Self::Prompts => f.prompts_list_changed,
            Self::Resources => f.resources_list_changed,
            Self::Updated(uri) => f.resource_subscriptions.iter().any(|u| u == uri),
        }
    }
}

struct Listener {
    filter: Filter,
    subscription: RequestId,
    tx: mpsc::Sender<Bytes>,
}

/// The registry behind [`Notifier`].
pub(crate) struct Hub {
    listeners: Mutex<HashMap<u64, Listener>>,
    next: AtomicU64,
    /// The open GET stream of each 2025 session.
    pub(crate) session_streams: Mutex<HashMap<Arc<str>, mpsc::Sender<Bytes>>>,
    sessions: Option<Arc<dyn SessionStore>>,
}

/// Queue depth per stream; a client that stops reading loses
/// notifications rather than growing server memory.
pub(crate) const STREAM_QUEUE: usize = 64;

impl Hub {
    pub(crate) fn new(sessions: Option<Arc<dyn SessionStore>>) -> Self {
        Self {
            listeners: Mutex::new(HashMap::new()),
            next: AtomicU64::new(1),
            session_streams: Mutex::new(HashMap::new()),
            sessions,
        }
    }

    /// Registers a listen stream; the guard unregisters it.
    pub(crate) fn listen(
        self: &Arc<Self>,
        filter: Filter,
        subscription: RequestId,
    ) -> (ListenGuard, mpsc::Receiver<Bytes>) {
        let (tx, rx) = mpsc::channel(STREAM_QUEUE);
        let key = self.next.fetch_add(1, Ordering::Relaxed);
        lock(&self.listeners).insert(key, Listener { filter, subscription, tx });
        (ListenGuard { hub: self.clone(), key }, rx)
    }

    /// Open `subscriptions/listen` streams (2026).
    pub(crate) fn listen_streams(&self) -> usize {
        lock(&self.listeners).len()
    }

    /// Open GET streams of 2025 sessions (a stream whose body is gone but
    /// whose entry is not forgotten yet is not counted).
    pub(crate) fn session_streams(&self) -> usize {
        lock(&self.session_streams).values().filter(|tx| !tx.is_closed()).count()
    }

    fn publish(&self, event: Event<'_>) -> usize {
        let mut reached = 0;
        for l in lock(&self.listeners).values() {
            if !event.wanted_by(&l.filter) {
                continue;
            }
            let mut params = json!({ "_meta": { SUBSCRIPTION_ID: &l.subscription } });
            if let Event::Updated(uri) = event {
                params["uri"] = json!(uri);
            }
            if l.tx.try_send(jsonrpc::notification_bytes(event.method(), &params)).is_ok() {
                reached += 1;
            }
        }
        reached
    }

    fn publish_to_sessions(&self, event: Event<'_>) -> usize {
        let msg = jsonrpc::notification_bytes(event.method(), &json!({}));
        lock(&self.session_streams).values().filter(|tx| tx.try_send(msg.clone()).is_ok()).count()
    }
}

/// Unregisters a listen stream when its response body is dropped.
pub(crate) struct ListenGuard {
    hub: Arc<Hub>,
    key: u64,
}

impl Drop for ListenGuard {
    fn drop(&mut self) {
        lock(&self.hub.listeners).remove(&self.key);
    }
}

/// Publishes change notifications to every listening client: 2026
/// `subscriptions/listen` streams (filtered as each asked) and the GET
/// streams of 2025 sessions. Cheap to clone; get one from
/// `McpService::notifier()` or a handler's `ctx.notifier()`.
#[derive(Clone)]
pub struct Notifier(pub(crate) Arc<Hub>);

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier").field("listeners", &lock(&self.0.listeners).len()).finish()
    }
}

impl Notifier {
    /// The tool list changed. Returns how many streams were reached.
    pub fn tools_list_changed(&self) -> usize {
        self.0.publish(Event::Tools) + self.0.publish_to_sessions(Event::Tools)
    }
    /// The prompt list changed.
    pub fn prompts_list_changed(&self) -> usize {
        self.0.publish(Event::Prompts) + self.0.publish_to_sessions(Event::Prompts)
    }
    /// The resource list changed.
    pub fn resources_list_changed(&self) -> usize {
        self.0.publish(Event::Resources) + self.0.publish_to_sessions(Event::Resources)
    }
    /// The resource at `uri` changed: tells 2026 listeners that asked
    /// for it and 2025 sessions subscribed to it.
    pub async fn resource_updated(&self, uri: &str) -> usize {
        let mut reached = self.0.publish(Event::Updated(uri));
        let Some(store) = &self.0.sessions else { return reached };
        let targets: Vec<(Arc<str>, mpsc::Sender<Bytes>)> =
            lock(&self.0.session_streams).iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let msg = jsonrpc::notification_bytes("notifications/resources/updated", &json!({ "uri": uri }));
        let mut seen = HashSet::new();
        for (sid, tx) in targets {
            if seen.insert(sid.clone())
                && let Ok(Some(data)) = store.get(&sid).await
                && data.subscriptions.contains(uri)
                && tx.try_send(msg.clone()).is_ok()
            {
                reached += 1;
            }
        }
        reached
    }
}
