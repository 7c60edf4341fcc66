//! `Secrets`: the declared secrets of an app, each bound by deployment
//! configuration to a reference, cached, refreshed and served.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

use serde_json::value::RawValue;

use crate::error::{ConfigError, LoadError, SecretError};
use crate::reference::SecretRef;
use crate::secret::Secret;
use crate::source::{DynSource, SourceError};

use crate::Lookup;

/// Default bound on serving a value whose refreshes fail.
const DEFAULT_MAX_STALE: Duration = Duration::from_secs(15 * 60);

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

struct Bound {
    reference: SecretRef,
    shown: String,
    source: Arc<dyn DynSource>,
    ttl: Option<Duration>,
    max_stale: Duration,
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

/// Declares secrets and binds them to references.
#[must_use]
pub struct SecretsBuilder {
    specs: Vec<(String, bool, Option<String>)>,
    sources: HashMap<String, Arc<dyn DynSource>>,
    env: Lookup,
    max_stale: Duration,
}

impl std::fmt::Debug for SecretsBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsBuilder")
            .field("secrets", &self.specs.iter().map(|s| &s.0).collect::<Vec<_>>())
            .field("sources", &self.sources.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Secrets {
    /// Starts a declaration with the built-in sources (`env`, `file`, and
    /// with their features `aws-sm`, `aws-ext`), reading references from
    /// the process environment.
    pub fn builder() -> SecretsBuilder {
        let env: Lookup = Arc::new(|k: &str| std::env::var(k).ok());
        SecretsBuilder { specs: Vec::new(), sources: HashMap::new(), env, max_stale: DEFAULT_MAX_STALE }
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
        let fetched = bound.source.fetch_boxed(&bound.reference.location).await;
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
                } else if st.value.is_none() {
                    tracing::info!(secret = %self.name, source = %bound.shown, "secret loaded");
                } else if recovered {
                    tracing::info!(secret = %self.name, source = %bound.shown, "secret source recovered");
                } else {
                    tracing::debug!(secret = %self.name, source = %bound.shown, "secret refreshed, unchanged");
                }
                st.value = Some(value);
                st.failures = 0;
                st.expires = bound.ttl.map(|t| now + t);
                st.due = st.expires;
            }
            Err(cause) => {
                // Retry soon, but not in a tight loop against a failing
                // service: 1 s, doubling, at most 30 s.
                let backoff = Duration::from_secs(1 << st.failures.min(5)).min(Duration::from_secs(30));
                st.failures = st.failures.saturating_add(1);
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

impl SecretsBuilder {
    /// Declares a secret the app cannot run without: start-up fails when
    /// it has no reference or cannot be loaded.
    pub fn required(mut self, name: &str) -> Self {
        self.specs.push((name.to_owned(), true, None));
        self
    }

    /// Declares a secret the app can do without.
    pub fn optional(mut self, name: &str) -> Self {
        self.specs.push((name.to_owned(), false, None));
        self
    }

    /// The reference used when the deployment sets no `MCP_SECRET_<NAME>`
    /// for the secret declared last (e.g. `env:OPENAI_API_KEY`).
    pub fn default_reference(mut self, reference: &str) -> Self {
        if let Some(last) = self.specs.last_mut() {
            last.2 = Some(reference.to_owned());
        }
        self
    }

    /// Registers `source` under `scheme` (`vault`, say), or replaces a
    /// built-in one (a Secrets Manager source with your own client).
    pub fn source(mut self, scheme: &str, source: impl crate::SecretSource) -> Self {
        self.sources.insert(scheme.to_owned(), Arc::new(source));
        self
    }

    /// Reads the environment through `env` instead of the process's:
    /// `MCP_SECRET_*`, `MCP_SECRETS_DIR`, `MCP_SECRETS_MAX_STALENESS`, and
    /// what the built-in `env:` and `aws-ext:` sources read (the AWS SDK
    /// keeps its own chain).
    pub fn with_env(mut self, env: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        self.env = Arc::new(env);
        self
    }

    /// How long past its TTL a value is still served while refreshes fail
    /// (default 15 minutes; `MCP_SECRETS_MAX_STALENESS` and `?max-stale=`
    /// override it).
    pub fn max_staleness(mut self, d: Duration) -> Self {
        self.max_stale = d;
        self
    }

    /// Binds each declared secret to its reference: `MCP_SECRET_<NAME>`,
    /// else the declared default, else (with `MCP_SECRETS_DIR`) the file
    /// named like the secret in lower case there. No I/O yet.
    pub fn build(mut self) -> Result<Secrets, ConfigError> {
        // Built-in sources, unless replaced, read the builder's environment.
        let env = self.env.clone();
        self.sources.entry("env".into()).or_insert_with(|| Arc::new(crate::EnvSource::with_lookup(move |k| env(k))));
        self.sources.entry("file".into()).or_insert_with(|| Arc::new(crate::FileSource::new()));
        #[cfg(feature = "aws-sm")]
        self.sources.entry("aws-sm".into()).or_insert_with(|| Arc::new(crate::SecretsManagerSource::new()));
        #[cfg(feature = "aws-extension")]
        {
            let env = self.env.clone();
            self.sources
                .entry("aws-ext".into())
                .or_insert_with(|| Arc::new(crate::LambdaExtensionSource::with_lookup(move |k| env(k))));
        }
        let known = {
            let mut k: Vec<&str> = self.sources.keys().map(String::as_str).collect();
            k.sort_unstable();
            k.iter().map(|s| format!("{s}:")).collect::<Vec<_>>().join(", ")
        };
        let max_stale = match (self.env)("MCP_SECRETS_MAX_STALENESS") {
            Some(v) => crate::reference::parse_duration(&v).ok_or_else(|| ConfigError::BadReference {
                var: "MCP_SECRETS_MAX_STALENESS".into(),
                error: crate::reference::ReferenceError::BadOption,
            })?,
            None => self.max_stale,
        };
        let dir = (self.env)("MCP_SECRETS_DIR").filter(|d| !d.trim().is_empty());
        let mut slots = Vec::with_capacity(self.specs.len());
        let mut index = HashMap::new();
        for (name, required, default) in self.specs {
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') {
                return Err(ConfigError::BadName(name));
            }
            if index.contains_key(&name) {
                return Err(ConfigError::Duplicate(name));
            }
            let var = reference_var(&name);
            let text = (self.env)(&var)
                .filter(|v| !v.trim().is_empty())
                .or(default)
                .or_else(|| dir.as_ref().map(|d| format!("file:{}/{}", d.trim_end_matches('/'), name.to_lowercase())));
            let bound = match text {
                None if required => return Err(ConfigError::Missing { name, var }),
                None => None,
                Some(text) => Some(bind(&text, &var, &self.sources, &known, max_stale)?),
            };
            index.insert(name.clone(), slots.len());
            slots.push(Slot {
                name,
                required,
                bound,
                state: RwLock::new(State::default()),
                refreshing: tokio::sync::Mutex::new(()),
            });
        }
        Ok(Secrets { inner: Arc::new(Inner { slots, index }) })
    }
}

fn bind(
    text: &str,
    var: &str,
    sources: &HashMap<String, Arc<dyn DynSource>>,
    known: &str,
    max_stale: Duration,
) -> Result<Bound, ConfigError> {
    let bad = |error| ConfigError::BadReference { var: var.to_owned(), error };
    let reference = SecretRef::parse(text, |s| sources.contains_key(s), known).map_err(|e| {
        // A known scheme whose feature is off deserves a precise message.
        match text.trim().split_once(':').map(|(s, _)| s) {
            Some("aws-sm") => ConfigError::FeatureOff { var: var.to_owned(), scheme: "aws-sm", feature: "aws-sm" },
            Some("aws-ext") => {
                ConfigError::FeatureOff { var: var.to_owned(), scheme: "aws-ext", feature: "aws-extension" }
            }
            _ => bad(e),
        }
    })?;
    let source = sources.get(reference.scheme()).cloned().ok_or_else(|| bad(crate::ReferenceError::EmptyLocation))?;
    let accepted = source.options();
    if reference.location().options.iter().any(|(k, _)| !accepted.contains(&k.as_str())) {
        return Err(bad(crate::ReferenceError::UnknownOption(accepted.iter().map(|o| format!(", {o}")).collect())));
    }
    let ttl = reference.ttl.or_else(|| source.default_ttl());
    let max_stale = reference.max_stale.unwrap_or(max_stale);
    Ok(Bound { shown: reference.to_string(), reference, source, ttl, max_stale })
}
