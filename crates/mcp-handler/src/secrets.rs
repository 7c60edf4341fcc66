//! Secrets (`mcp-handler-secrets`, re-exported here), and how
//! [`run`](crate::run) wires them into either shell: the app's `Secrets`
//! (found in the router's state) and the platform's own (`AUTH_TOKEN`,
//! `AUTH_TOKEN_PREVIOUS`, `REQUEST_STATE_KEY`), loaded at start, kept
//! fresh, reported by readiness. [`SecretsSetup`](crate::secrets::SecretsSetup) does the same for a
//! `Server` or `LambdaApp` you configure yourself.

use std::sync::Arc;

use mcp_handler_core::Router;
pub use mcp_handler_secrets::*;

#[cfg(any(feature = "server", feature = "lambda", feature = "stdio"))]
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Every `Secrets` of a program, and how each shell handles them.
#[derive(Clone, Default)]
#[cfg_attr(not(any(feature = "server", feature = "lambda", feature = "stdio")), allow(dead_code))]
pub struct SecretsSetup {
    all: Arc<Vec<Secrets>>,
    platform: Option<Secrets>,
    at_start: AtStart,
}

/// What a required secret that cannot be loaded at start-up does
/// (`MCP_SECRETS_AT_START`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AtStart {
    /// Stops the start: exit 1 on a server, an init error on Lambda (`exit`,
    /// the default). A deploy with a wrong reference fails at once.
    #[default]
    Exit,
    /// Starts unready and keeps trying (`wait`): `/readyz` is 503 and the
    /// endpoint guard answers 503 until the secret loads; on Lambda each
    /// invocation retries and fails with 503 meanwhile. For a secret store
    /// that may be down while the service starts. `REQUEST_STATE_KEY` is
    /// the exception: the endpoint seals state with one key from the start,
    /// so it must load.
    Wait,
}

impl AtStart {
    fn parse(v: Option<String>) -> Result<Self, ConfigError> {
        match v.as_deref().map(str::trim) {
            None | Some("" | "exit") => Ok(Self::Exit),
            Some("wait") => Ok(Self::Wait),
            Some(_) => Err(ConfigError::BadSetting { var: "MCP_SECRETS_AT_START", expected: "exit or wait" }),
        }
    }
}

impl std::fmt::Debug for SecretsSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsSetup").field("secrets", &self.all).finish()
    }
}

impl SecretsSetup {
    /// The router's `Secrets` and the platform secrets the process
    /// environment configures.
    pub fn new(router: &Router) -> Result<Self, ConfigError> {
        Self::with_env(router, |k| std::env::var(k).ok())
    }

    /// As [`new`](Self::new), reading the platform's references through `env`.
    pub fn with_env(
        router: &Router,
        env: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Result<Self, ConfigError> {
        let at_start = AtStart::parse(env("MCP_SECRETS_AT_START"))?;
        let platform = platform::platform_secrets(env)?;
        let all: Vec<Secrets> = router.state::<Secrets>().cloned().into_iter().chain(platform.clone()).collect();
        Ok(Self { all: Arc::new(all), platform, at_start })
    }

    /// Server: load at start-up (a required failure stops it, exit 1,
    /// unless [`AtStart::Wait`]), refresh in the background, `/readyz` false while a required secret
    /// cannot be served, the guard and request-state key applied.
    #[cfg(feature = "server")]
    pub fn server(self, server: crate::server::Server) -> crate::server::Server {
        if self.is_empty() {
            return server;
        }
        let setup = self.clone();
        let server = match self.platform.clone().filter(|p| p.is_configured(platform::AUTH_TOKEN)) {
            Some(p) => server.with_healthcheck_credential(move || probe_credential(p)),
            None => server,
        };
        let reporting = self.clone();
        server
            .with_init("secrets", move |e| async move {
                let endpoint = setup.clone().init(e).await?;
                setup.spawn_refreshers();
                Ok(endpoint)
            })
            .with_secret_reports(move || reporting.reports())
            .with_readiness_check("secrets", move || std::future::ready(self.ready()))
    }

    /// Each configured secret's refreshes and freshness, for the server's
    /// metrics (`mcp_secret_*`); a name declared twice is reported once.
    #[cfg(feature = "server")]
    fn reports(&self) -> Vec<crate::server::SecretReport> {
        let mut seen = std::collections::HashSet::new();
        let all = self.all.iter().flat_map(Secrets::status).filter(|s| seen.insert(s.name.clone()));
        all.map(|s| {
            let mut r = crate::server::SecretReport::new(s.name);
            r.refreshes_ok = s.refreshes_ok;
            r.refreshes_failed = s.refreshes_failed;
            r.since_refresh = s.since_refresh;
            r.stale_for = s.stale_for;
            r.servable = s.servable;
            r
        })
        .collect()
    }

    /// Lambda: load during init what answers then (a required failure is
    /// an init error), the rest (the extension) on the first invocation;
    /// refresh expired values before invocations; the guard and
    /// request-state key applied. With SnapStart, every cached value and
    /// the clients' connections are dropped before the snapshot and the
    /// secrets read again after each restore; one that cannot be read then
    /// fails invocations with 503 until it loads, as at any other time.
    #[cfg(feature = "lambda")]
    pub fn lambda(self, app: crate::lambda::LambdaApp) -> crate::lambda::LambdaApp {
        if self.is_empty() {
            return app;
        }
        let (setup, before, after) = (self.clone(), self.clone(), self.clone());
        app.with_init("secrets", move |e| setup.init(e))
            .with_before_invocation(move || self.before_invocation())
            .with_snapshot_hooks(
                "secrets",
                move || std::future::ready(before.forget()),
                move |mcp| after.clone().reload(mcp),
            )
    }

    /// Before a SnapStart snapshot: no secret value, connection or
    /// credential stays in memory to be shared by every restored
    /// environment.
    #[cfg(feature = "lambda")]
    fn forget(&self) -> Result<(), crate::lambda::Error> {
        let dropped: usize = self.all.iter().map(Secrets::forget).sum();
        tracing::info!(dropped, "secrets dropped before the snapshot; they are read again after each restore");
        Ok(())
    }

    /// After a SnapStart restore: read the secrets again (a rotation since
    /// the snapshot is seen now). A required one that cannot be read is
    /// retried before each invocation, which is answered 503 meanwhile:
    /// the restore itself succeeds. A request-state key from a secret is
    /// applied again (rotated, the fleet's new key).
    #[cfg(feature = "lambda")]
    async fn reload(self, mcp: mcp_handler_core::McpService) -> Result<(), crate::lambda::Error> {
        for s in self.all.iter() {
            if let Err(e) = s.load().await {
                tracing::warn!(error = %e, "after the restore a secret could not be read; invocations answer 503 until it loads");
            }
        }
        if let Some(p) = &self.platform {
            match platform::request_state_key(p) {
                Ok(Some(key)) => mcp.replace_state_key(key),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "keeping the request-state key read at init"),
            }
        }
        Ok(())
    }

    /// stdio: load at start-up (a required failure stops it, exit 1) and
    /// refresh in the background, as a server does. The endpoint guard does
    /// not apply: a pipe carries no credential, and only the host that
    /// launched the process can write to it.
    #[cfg(feature = "stdio")]
    pub async fn stdio(&self) -> Result<(), BoxError> {
        for s in self.all.iter() {
            s.load().await?;
        }
        for s in self.all.iter() {
            drop(s.spawn_refresher());
        }
        if self.platform.as_ref().is_some_and(|p| p.is_configured(platform::AUTH_TOKEN)) {
            tracing::warn!("MCP_SECRET_AUTH_TOKEN is set but does not guard stdio: the pipe is the trust boundary");
        }
        Ok(())
    }

    /// Loads what answers at start-up (required failures stop it), and
    /// applies the platform secrets to the endpoint.
    #[cfg(any(feature = "server", feature = "lambda"))]
    async fn init(
        self,
        mut endpoint: mcp_handler_core::EndpointConfig,
    ) -> Result<mcp_handler_core::EndpointConfig, BoxError> {
        for s in self.all.iter() {
            match s.load().await {
                Ok(()) => {}
                Err(e) if self.at_start == AtStart::Wait => tracing::warn!(
                    error = %e,
                    "starting unready (MCP_SECRETS_AT_START=wait): /readyz answers 503 until the secret loads"
                ),
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(p) = &self.platform {
            if let Some(auth) = platform::endpoint_auth(p) {
                endpoint = endpoint.with_auth(auth);
            }
            if let Some(key) = platform::request_state_key(p)? {
                endpoint = endpoint.with_request_state_key(key);
            }
        }
        Ok(endpoint)
    }

    /// Whether there are no secrets at all (nothing to wire).
    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// Servers: a background refresher per `Secrets`.
    #[cfg(feature = "server")]
    fn spawn_refreshers(&self) {
        for s in self.all.iter() {
            drop(s.spawn_refresher());
        }
    }

    #[cfg(feature = "server")]
    fn ready(&self) -> bool {
        self.all.iter().all(Secrets::is_ready)
    }

    /// Lambda: before an invocation, load what only loads then and refresh
    /// what expired; a required secret that cannot be served fails it.
    #[cfg(feature = "lambda")]
    fn before_invocation(&self) -> Option<futures_util::future::BoxFuture<'static, Result<(), String>>> {
        if !self.all.iter().any(Secrets::any_due) {
            // Nothing to load now (a failed load waits out its back-off):
            // say why a required secret is missing, or let it through.
            let unready = self.all.iter().find_map(|s| s.readiness().err())?;
            return Some(Box::pin(std::future::ready(Err(unready.to_string()))));
        }
        let all = self.all.clone();
        Some(Box::pin(async move {
            for s in all.iter() {
                s.refresh_due().await;
                s.readiness().map_err(|e| e.to_string())?;
            }
            Ok(())
        }))
    }
}

/// The `Authorization` value `healthcheck --deep` presents: the guard's
/// current token, loaded by the probe process from the same reference the
/// server uses, marked sensitive.
#[cfg(feature = "server")]
async fn probe_credential(platform: Secrets) -> Result<Option<http::HeaderValue>, BoxError> {
    let token = platform.get(platform::AUTH_TOKEN).await?;
    let bearer = zeroize::Zeroizing::new(format!("Bearer {}", token.expose()));
    let mut value = http::HeaderValue::from_str(&bearer)
        .map_err(|_| format!("secret {} is not usable in an HTTP header", platform::AUTH_TOKEN))?;
    value.set_sensitive(true);
    Ok(Some(value))
}
