//! `Secrets`: the declared secrets of an app, each bound by deployment
//! configuration to a reference, cached, refreshed and served.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

use serde_json::value::RawValue;

use crate::error::{LoadError, SecretError};
use crate::reference::SecretRef;
use crate::secret::Secret;
use crate::source::{DynSource, SourceError};
use crate::status::SecretStatus;

/// The secrets an app declared, resolved from their references. Cheap to
/// clone (one shared cache). Share it with handlers through
/// `RouterBuilder::state` and read it with `ctx.secret("NAME")`.
#[derive(Clone)]
pub struct Secrets {
    inner: Arc<Inner>,
}

struct Inner {
    slots: Vec<Slot>,
    index: HashMap<String, usize>,
}

struct Slot {
    name: String,
    required: bool,
    /// `None` for an optional secret the deployment does not configure.
    bound: Option<Bound>,
    state: RwLock<State>,
    /// One refresh at a time per secret; others wait and reuse its result.
    refreshing: tokio::sync::Mutex<()>,
}

/// A declared secret as the deployment configured it.
pub(crate) struct Bound {
    pub(crate) reference: SecretRef,
    pub(crate) shown: String,
    pub(crate) source: Arc<dyn DynSource>,
    pub(crate) ttl: Option<Duration>,
    pub(crate) max_stale: Duration,
    pub(crate) fetch_timeout: Duration,
}

#[derive(Default)]
struct State {
    value: Option<Secret>,
    /// When the value expires (`None`: never, once loaded).
    expires: Option<Instant>,
    /// When to try the source next (`None`: loaded and never expires).
    due: Option<Instant>,
    error: Option<SourceError>,
    /// Bumped when the value changes (rotation).
    version: u64,
    /// Failed refreshes in a row (for the back-off).
    failures: u32,
    /// When the source last answered with a usable value.
    fetched_at: Option<Instant>,
    /// Fetches that succeeded, and that failed, since start (metrics).
    fetched: u64,
    failed: u64,
    /// The value was dropped by [`Secrets::forget`]: the next one counts as
    /// a new version, since nothing is left to compare it with.
    forgotten: bool,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut m = f.debug_map();
        for s in &self.inner.slots {
            m.entry(&s.name, &s.bound.as_ref().map_or("<not configured>", |b| b.shown.as_str()));
        }
        m.finish()
    }
}

impl Secrets {
    /// The declared secrets (name, required, binding), in declaration order.
    pub(crate) fn from_declared(declared: Vec<(String, bool, Option<Bound>)>) -> Self {
        let index = declared.iter().enumerate().map(|(i, d)| (d.0.clone(), i)).collect();
        let slots = declared
            .into_iter()
            .map(|(name, required, bound)| Slot {
                name,
                required,
                bound,
                state: RwLock::new(State::default()),
                refreshing: tokio::sync::Mutex::new(()),
            })
            .collect();
        Self { inner: Arc::new(Inner { slots, index }) }
    }

    fn slot(&self, name: &str) -> Result<&Slot, SecretError> {
        self.inner.index.get(name).map(|&i| &self.inner.slots[i]).ok_or_else(|| SecretError::Undeclared(name.into()))
    }

    /// The declared names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.inner.slots.iter().map(|s| s.name.as_str())
    }

    /// Whether `name` is declared and the deployment gives it a source.
    pub fn is_configured(&self, name: &str) -> bool {
        self.slot(name).is_ok_and(|s| s.bound.is_some())
    }

    /// Where `name` comes from, as configured (a reference, never a value).
    pub fn reference(&self, name: &str) -> Option<&SecretRef> {
        self.slot(name).ok()?.bound.as_ref().map(|b| &b.reference)
    }

    /// The cached value, without I/O: fresh, or stale within its bound
    /// while refreshes fail. Used on hot paths (the endpoint guard); the
    /// cache is kept fresh by [`spawn_refresher`](Self::spawn_refresher) on
    /// servers and [`refresh_due`](Self::refresh_due) per Lambda invocation.
    pub fn current(&self, name: &str) -> Result<Secret, SecretError> {
        let slot = self.slot(name)?;
        slot.serve(Instant::now())
    }

    /// The value, refreshing it first when its TTL has passed (one refresh
    /// at a time; concurrent callers share it).
    pub async fn get(&self, name: &str) -> Result<Secret, SecretError> {
        let slot = self.slot(name)?;
        if slot.is_due(Instant::now()) {
            slot.refresh().await;
        }
        slot.serve(Instant::now())
    }

    /// How many times `name`'s value has changed since it was first loaded
    /// (0 after the first load); useful to rebuild clients on rotation.
    pub fn version(&self, name: &str) -> Option<u64> {
        let slot = self.slot(name).ok()?;
        Some(read(&slot.state).version)
    }

    /// Loads every configured secret whose source answers at start-up.
    /// Fails, naming each secret and its source, when a required one
    /// cannot be loaded; optional failures are logged and retried later.
    pub async fn load(&self) -> Result<(), LoadError> {
        self.load_where(|b| b.source.available_at_init()).await
    }

    /// Loads every configured secret not loaded yet, including those whose
    /// source answers only during Lambda invocations.
    pub async fn load_all(&self) -> Result<(), LoadError> {
        self.load_where(|_| true).await
    }

    async fn load_where(&self, pick: impl Fn(&Bound) -> bool) -> Result<(), LoadError> {
        let now = Instant::now();
        let todo = self.inner.slots.iter().filter(|s| s.bound.as_ref().is_some_and(&pick) && s.is_due(now));
        futures_util::future::join_all(todo.map(Slot::refresh)).await;
        let failures: Vec<SecretError> = self
            .inner
            .slots
            .iter()
            .filter(|s| s.required && s.bound.as_ref().is_some_and(&pick))
            .filter_map(|s| s.serve(Instant::now()).err())
            .collect();
        if failures.is_empty() { Ok(()) } else { Err(LoadError(failures)) }
    }

    /// Whether a refresh is due for any secret (cheap; no I/O).
    pub fn any_due(&self) -> bool {
        let now = Instant::now();
        self.inner.slots.iter().any(|s| s.is_due(now))
    }

    /// Refreshes every secret whose TTL has passed, and loads those not
    /// loaded yet (a Lambda shell calls this before each invocation).
    pub async fn refresh_due(&self) {
        let now = Instant::now();
        let due = self.inner.slots.iter().filter(|s| s.is_due(now));
        futures_util::future::join_all(due.map(Slot::refresh)).await;
    }

    /// Ready when every required secret can be served; otherwise the first
    /// reason it cannot (naming the secret, not its value).
    pub fn readiness(&self) -> Result<(), SecretError> {
        let now = Instant::now();
        for s in self.inner.slots.iter().filter(|s| s.required) {
            s.serve(now)?;
        }
        Ok(())
    }

    /// Whether every required secret can be served.
    pub fn is_ready(&self) -> bool {
        self.readiness().is_ok()
    }

    /// Each configured secret's refresh counts and freshness, in
    /// declaration order (for metrics; no value, no reference).
    pub fn status(&self) -> Vec<SecretStatus> {
        let now = Instant::now();
        let configured = self.inner.slots.iter().filter(|s| s.bound.is_some());
        configured
            .map(|s| {
                let servable = s.serve(now).is_ok();
                let st = read(&s.state);
                SecretStatus {
                    name: s.name.clone(),
                    required: s.required,
                    refreshes_ok: st.fetched,
                    refreshes_failed: st.failed,
                    since_refresh: st.fetched_at.map(|t| now.saturating_duration_since(t)),
                    stale_for: st.expires.map_or(Duration::ZERO, |exp| now.saturating_duration_since(exp)),
                    servable,
                }
            })
            .collect()
    }

    /// Drops every cached value (zeroized) and lets each source go of its
    /// connections and credentials, so that none of them is in a Lambda
    /// SnapStart snapshot, shared by every environment restored from it.
    /// The secrets are then unloaded: [`load`](Self::load) or
    /// [`refresh_due`](Self::refresh_due) reads them again, and each value
    /// read counts as a new [`version`](Self::version) (it may have been
    /// rotated meanwhile). Returns how many values were dropped.
    pub fn forget(&self) -> usize {
        let mut dropped = 0;
        for slot in &self.inner.slots {
            let Some(bound) = &slot.bound else { continue };
            let mut st = write(&slot.state);
            if st.value.take().is_some() {
                dropped += 1;
                st.forgotten = true;
            }
            (st.expires, st.due, st.error, st.failures) = (None, None, None, 0);
            drop(st);
            bound.source.release();
        }
        dropped
    }

    /// Keeps the cache fresh in the background (servers; on Lambda a
    /// frozen sandbox runs no background work, so the shell calls
    /// [`refresh_due`](Self::refresh_due) instead). Ends when every clone
    /// of this `Secrets` is dropped.
    pub fn spawn_refresher(&self) -> tokio::task::JoinHandle<()> {
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            loop {
                let next = {
                    let Some(inner) = weak.upgrade() else { return };
                    let secrets = Secrets { inner };
                    secrets.refresh_due().await;
                    secrets.inner.slots.iter().filter_map(Slot::next_due).min()
                };
                // With nothing due, wake now and then to notice the drop.
                let now = Instant::now();
                let wait = next.map_or(Duration::from_secs(60), |t| t.saturating_duration_since(now));
                tokio::time::sleep(wait.clamp(Duration::from_millis(50), Duration::from_secs(60))).await;
            }
        })
    }
}

impl Slot {
    /// `due` is `None` only before the first attempt or after loading from
    /// a source that never expires (a failure always sets a retry time).
    fn is_due(&self, now: Instant) -> bool {
        self.bound.is_some() && {
            let st = read(&self.state);
            st.due.map_or(st.value.is_none(), |d| d <= now)
        }
    }

    fn next_due(&self) -> Option<Instant> {
        self.bound.as_ref()?;
        let st = read(&self.state);
        if st.value.is_some() && st.due.is_none() { None } else { Some(st.due.unwrap_or_else(Instant::now)) }
    }

    fn serve(&self, now: Instant) -> Result<Secret, SecretError> {
        let Some(bound) = &self.bound else { return Err(SecretError::NotConfigured(self.name.clone())) };
        let st = read(&self.state);
        let Some(value) = &st.value else {
            return Err(match &st.error {
                Some(cause) => SecretError::Failed {
                    name: self.name.clone(),
                    source_ref: bound.shown.clone(),
                    cause: cause.clone(),
                },
                None => SecretError::NotLoaded { name: self.name.clone(), source_ref: bound.shown.clone() },
            });
        };
        match st.expires {
            Some(exp) if now > exp + bound.max_stale => Err(SecretError::Stale {
                name: self.name.clone(),
                source_ref: bound.shown.clone(),
                age: now - exp,
                max_stale: bound.max_stale,
                cause: st.error.clone().unwrap_or_else(|| SourceError::Unavailable("not refreshed".into())),
            }),
            _ => Ok(value.clone()),
        }
    }

    async fn refresh(&self) {
        let Some(bound) = &self.bound else { return };
        let _one = self.refreshing.lock().await;
        // Another caller may have refreshed while this one waited.
        if !self.is_due(Instant::now()) {
            return;
        }
        let fetch = bound.source.fetch_boxed(&bound.reference.location);
        let fetched = match tokio::time::timeout(bound.fetch_timeout, fetch).await {
            Ok(fetched) => fetched,
            Err(_) => Err(SourceError::Unavailable(format!(
                "no answer within {:?} (MCP_SECRETS_TIMEOUT_SECS)",
                bound.fetch_timeout
            ))),
        };
        let result = fetched.and_then(|v| select_key(v, bound.reference.key()));
        let now = Instant::now();
        let mut st = write(&self.state);
        match result {
            Ok(value) => {
                let changed = st.value.as_ref().is_some_and(|old| !old.same_value(&value));
                let recovered = st.error.take().is_some() && st.value.is_some();
                if changed {
                    st.version += 1;
                    tracing::info!(secret = %self.name, source = %bound.shown, version = st.version, "secret rotated: new value loaded");
                } else if std::mem::take(&mut st.forgotten) {
                    st.version += 1;
                    tracing::info!(secret = %self.name, source = %bound.shown, version = st.version, "secret loaded again");
                } else if st.value.is_none() {
                    tracing::info!(secret = %self.name, source = %bound.shown, "secret loaded");
                } else if recovered {
                    tracing::info!(secret = %self.name, source = %bound.shown, "secret source recovered");
                } else {
                    tracing::debug!(secret = %self.name, source = %bound.shown, "secret refreshed, unchanged");
                }
                st.value = Some(value);
                st.failures = 0;
                st.fetched += 1;
                st.fetched_at = Some(now);
                st.expires = bound.ttl.map(|t| now + t);
                st.due = st.expires;
            }
            Err(cause) => {
                // Retry soon, but not in a tight loop against a failing
                // service: 1 s, doubling, at most 30 s.
                let backoff = Duration::from_secs(1 << st.failures.min(5)).min(Duration::from_secs(30));
                st.failures = st.failures.saturating_add(1);
                st.failed += 1;
                st.due = Some(now + backoff);
                match (&st.value, st.expires) {
                    (Some(_), Some(exp)) if now <= exp + bound.max_stale => tracing::warn!(
                        secret = %self.name, source = %bound.shown, error = %cause,
                        serving_stale_for_at_most = ?(exp + bound.max_stale).saturating_duration_since(now),
                        "secret refresh failed; serving the last good value"
                    ),
                    (Some(_), _) => tracing::error!(
                        secret = %self.name, source = %bound.shown, error = %cause,
                        "secret refresh failed past the staleness bound; the secret is unavailable"
                    ),
                    (None, _) => tracing::warn!(
                        secret = %self.name, source = %bound.shown, error = %cause, required = self.required,
                        "secret could not be loaded"
                    ),
                }
                st.error = Some(cause);
            }
        }
    }
}

/// The value, or with a JSON key the key's value in a JSON object (the
/// way ECS's `arn:...:json-key::` and most Secrets Manager secrets work).
fn select_key(value: Secret, key: Option<&str>) -> Result<Secret, SourceError> {
    let Some(key) = key else {
        return if value.is_empty() { Err(SourceError::Invalid("the value is empty".into())) } else { Ok(value) };
    };
    // Borrowed values: only the selected one is copied out.
    let map: HashMap<String, &RawValue> = serde_json::from_str(value.expose())
        .map_err(|_| SourceError::Invalid(format!("the value is not a JSON object, so it has no key {key:?}")))?;
    let raw = map.get(key).ok_or_else(|| SourceError::Invalid(format!("the JSON object has no key {key:?}")))?;
    let text = raw.get();
    let selected = if text.starts_with('"') {
        serde_json::from_str::<String>(text).map_err(|_| SourceError::Invalid(format!("key {key:?} is not text")))?
    } else if text == "null" || text.starts_with('{') || text.starts_with('[') {
        return Err(SourceError::Invalid(format!("key {key:?} holds no text or number")));
    } else {
        text.to_owned()
    };
    if selected.is_empty() {
        return Err(SourceError::Invalid(format!("key {key:?} is empty")));
    }
    Ok(Secret::new(selected))
}

fn read(l: &RwLock<State>) -> std::sync::RwLockReadGuard<'_, State> {
    l.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write(l: &RwLock<State>) -> std::sync::RwLockWriteGuard<'_, State> {
    l.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The variable that names secret `name`'s source.
pub fn reference_var(name: &str) -> String {
    format!("MCP_SECRET_{name}")
}
