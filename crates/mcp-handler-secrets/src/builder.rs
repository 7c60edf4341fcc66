//! `SecretsBuilder`: declares an app's secrets and binds each, by the
//! deployment's configuration, to a reference and its source.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use crate::Lookup;
use crate::error::ConfigError;
use crate::reference::SecretRef;
use crate::resolver::{Bound, Secrets, reference_var};
use crate::source::DynSource;

/// Default bound on serving a value whose refreshes fail.
const DEFAULT_MAX_STALE: Duration = Duration::from_secs(15 * 60);

/// Default bound on one fetch from a source (a hanging Secrets Manager
/// endpoint, a network mount that stopped answering).
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Declares secrets and binds them to references.
#[must_use]
pub struct SecretsBuilder {
    specs: Vec<(String, bool, Option<String>)>,
    sources: HashMap<String, Arc<dyn DynSource>>,
    env: Lookup,
    max_stale: Duration,
    fetch_timeout: Duration,
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
        SecretsBuilder::new()
    }
}

impl SecretsBuilder {
    fn new() -> Self {
        let env: Lookup = Arc::new(|k: &str| std::env::var(k).ok());
        Self {
            specs: Vec::new(),
            sources: HashMap::new(),
            env,
            max_stale: DEFAULT_MAX_STALE,
            fetch_timeout: DEFAULT_FETCH_TIMEOUT,
        }
    }

    /// Declares a secret the app cannot run without: start-up fails when
    /// it has no reference, or when it cannot be loaded (unless the
    /// deployment sets `MCP_SECRETS_AT_START=wait`: then the process starts
    /// unready and keeps trying).
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
    /// `MCP_SECRET_*`, `MCP_SECRETS_DIR`, `MCP_SECRETS_MAX_STALENESS`,
    /// `MCP_SECRETS_TIMEOUT_SECS`, and
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

    /// How long one fetch from a source may take before it counts as a
    /// failure (default 10 s; `MCP_SECRETS_TIMEOUT_SECS` overrides it): a
    /// start-up load fails, and a refresh keeps serving the last good
    /// value, instead of waiting on a source that does not answer.
    pub fn fetch_timeout(mut self, d: Duration) -> Self {
        self.fetch_timeout = d;
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
        let fetch_timeout = match (self.env)("MCP_SECRETS_TIMEOUT_SECS") {
            Some(v) => match v.trim().parse::<u64>() {
                Ok(secs) if secs >= 1 => Duration::from_secs(secs),
                _ => {
                    return Err(ConfigError::BadSetting {
                        var: "MCP_SECRETS_TIMEOUT_SECS",
                        expected: "a whole number of seconds, 1 or more",
                    });
                }
            },
            None => self.fetch_timeout,
        };
        let dir = (self.env)("MCP_SECRETS_DIR").filter(|d| !d.trim().is_empty());
        let mut seen = HashSet::new();
        let mut declared = Vec::with_capacity(self.specs.len());
        for (name, required, default) in self.specs {
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') {
                return Err(ConfigError::BadName(name));
            }
            if !seen.insert(name.clone()) {
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
                Some(text) => Some(bind(&text, &var, &self.sources, &known, max_stale, fetch_timeout)?),
            };
            declared.push((name, required, bound));
        }
        Ok(Secrets::from_declared(declared))
    }
}

fn bind(
    text: &str,
    var: &str,
    sources: &HashMap<String, Arc<dyn DynSource>>,
    known: &str,
    max_stale: Duration,
    fetch_timeout: Duration,
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
    Ok(Bound { shown: reference.to_string(), reference, source, ttl, max_stale, fetch_timeout })
}
