//! SigV4 signing for Function URLs with `AuthType: AWS_IAM` (service
//! `lambda`). Every request is signed with its own time, over its method,
//! URL, headers and body; the body's SHA-256 also travels in
//! `x-amz-content-sha256`, because Lambda does not accept unsigned payloads.
//!
//! Credentials come from the standard chain (`aws-config`: environment,
//! profile, SSO, process, container and instance roles) or are given
//! directly. Chain credentials are refreshed on a background thread before
//! they expire, so signing itself never waits.

use std::fmt;

#[cfg(feature = "sigv4")]
pub(crate) use enabled::Signer;

/// How to sign: region, service and, optionally, fixed credentials.
#[derive(Clone)]
#[non_exhaustive]
pub struct SigV4 {
    pub(crate) region: Option<String>,
    pub(crate) service: String,
    pub(crate) credentials: Option<StaticCredentials>,
}

#[derive(Clone)]
#[cfg_attr(not(feature = "sigv4"), allow(dead_code))]
pub(crate) struct StaticCredentials {
    pub(crate) key_id: String,
    pub(crate) secret: String,
    pub(crate) session_token: Option<String>,
}

impl Default for SigV4 {
    fn default() -> Self {
        Self { region: None, service: "lambda".to_owned(), credentials: None }
    }
}

impl SigV4 {
    /// Service `lambda`; the region from the Function URL's host name
    /// (`<id>.lambda-url.<region>.on.aws`), else from the standard chain.
    pub fn new() -> Self {
        Self::default()
    }

    /// The signing region.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The signing service name (`lambda` for Function URLs).
    pub fn with_service(mut self, service: impl Into<String>) -> Self {
        self.service = service.into();
        self
    }

    /// These credentials instead of the standard chain.
    pub fn with_static_credentials(
        mut self,
        key_id: impl Into<String>,
        secret: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        self.credentials = Some(StaticCredentials { key_id: key_id.into(), secret: secret.into(), session_token });
        self
    }
}

impl fmt::Debug for SigV4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigV4")
            .field("region", &self.region)
            .field("service", &self.service)
            .field("credentials", &self.credentials.as_ref().map(|c| (&c.key_id, "** redacted **")))
            .finish()
    }
}

/// The region in a Function URL's host name.
#[cfg_attr(not(feature = "sigv4"), allow(dead_code))]
fn region_of_host(host: &str) -> Option<&str> {
    let rest = host.split_once(".lambda-url.")?.1;
    let region = rest.strip_suffix(".on.aws")?;
    (!region.is_empty() && !region.contains('.')).then_some(region)
}

#[cfg(feature = "sigv4")]
mod enabled {
    use std::sync::mpsc::{self, RecvTimeoutError};
    use std::sync::{Arc, Mutex, PoisonError};
    use std::thread::JoinHandle;
    use std::time::{Duration, SystemTime};

    use anyhow::Context;
    use aws_credential_types::Credentials;
    use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
    use aws_sigv4::http_request::{PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;

    use super::super::check::ErrorKind;
    use super::super::config::Target;
    use super::{SigV4, region_of_host};

    /// Refresh chain credentials this long before they expire.
    const REFRESH_AHEAD: Duration = Duration::from_secs(300);

    /// Signs requests; shared by every worker thread.
    pub(crate) struct Signer {
        region: String,
        service: String,
        /// `scheme://authority`, the part of the URL the request target lacks.
        origin: String,
        settings: SigningSettings,
        credentials: Arc<Mutex<Credentials>>,
        _refresher: Option<Refresher>,
    }

    impl Signer {
        pub(crate) fn new(opts: &SigV4, target: &Target) -> anyhow::Result<Self> {
            let region = opts.region.clone().or_else(|| region_of_host(&target.host).map(str::to_owned));
            let (region, credentials, refresher) = match &opts.credentials {
                Some(c) => {
                    let creds = Credentials::new(&c.key_id, &c.secret, c.session_token.clone(), None, "mcp-bench");
                    let region = region.context("--region is needed with these credentials")?;
                    (region, Arc::new(Mutex::new(creds)), None)
                }
                None => {
                    let (chain_region, provider, creds, runtime) = load_chain()?;
                    let region = region
                        .or(chain_region)
                        .context("no signing region: give --region, set AWS_REGION, or use a Function URL host name")?;
                    let credentials = Arc::new(Mutex::new(creds));
                    let refresher = Refresher::start(runtime, provider, credentials.clone())?;
                    (region, credentials, Some(refresher))
                }
            };
            let mut settings = SigningSettings::default();
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
            let scheme = if target.tls { "https" } else { "http" };
            let origin = format!("{scheme}://{}", target.authority.to_str()?);
            Ok(Self { region, service: opts.service.clone(), origin, settings, credentials, _refresher: refresher })
        }

        /// The signature headers for one request: `Authorization`,
        /// `X-Amz-Date`, `x-amz-content-sha256` and, with temporary
        /// credentials, `X-Amz-Security-Token`, each handed to `emit`.
        pub(crate) fn sign<'a>(
            &self,
            method: &'a str,
            path: &str,
            headers: impl Iterator<Item = (&'a str, &'a str)>,
            body: &'a [u8],
            mut emit: impl FnMut(&str, &str),
        ) -> Result<(), ErrorKind> {
            let creds = self.credentials.lock().unwrap_or_else(PoisonError::into_inner).clone();
            let identity = creds.into();
            let params = v4::SigningParams::builder()
                .identity(&identity)
                .region(&self.region)
                .name(&self.service)
                .time(SystemTime::now())
                .settings(self.settings.clone())
                .build()
                .map_err(|_| ErrorKind::Sign)?
                .into();
            let uri = format!("{}{path}", self.origin);
            let signable =
                SignableRequest::new(method, uri, headers, SignableBody::Bytes(body)).map_err(|_| ErrorKind::Sign)?;
            let (instructions, _signature) = sign(signable, &params).map_err(|_| ErrorKind::Sign)?.into_parts();
            for (name, value) in instructions.headers() {
                emit(name, value);
            }
            Ok(())
        }
    }

    type Chain = (Option<String>, SharedCredentialsProvider, Credentials, tokio::runtime::Runtime);

    /// The standard chain's region and first credentials; the runtime it ran
    /// on stays with the provider (its HTTP client lives there).
    fn load_chain() -> anyhow::Result<Chain> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (region, provider, creds) = runtime.block_on(async {
            let http = aws_smithy_http_client::Builder::new()
                .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                    aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
                ))
                .build_https();
            let config = aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http).load().await;
            let provider = config.credentials_provider().context("no AWS credentials provider")?;
            let creds = provider.provide_credentials().await.context("no AWS credentials from the standard chain")?;
            anyhow::Ok((config.region().map(|r| r.to_string()), provider, creds))
        })?;
        Ok((region, provider, creds, runtime))
    }

    /// A thread that replaces expiring credentials, stopped on drop.
    struct Refresher {
        stop: Option<mpsc::Sender<()>>,
        thread: Option<JoinHandle<()>>,
    }

    impl Refresher {
        fn start(
            runtime: tokio::runtime::Runtime,
            provider: SharedCredentialsProvider,
            slot: Arc<Mutex<Credentials>>,
        ) -> anyhow::Result<Self> {
            let (stop, stopped) = mpsc::channel::<()>();
            let thread = std::thread::Builder::new().name("sigv4-refresh".into()).spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(Duration::from_secs(30)) {
                    let expiry = slot.lock().unwrap_or_else(PoisonError::into_inner).expiry();
                    let due = expiry.is_some_and(|e| e <= SystemTime::now() + REFRESH_AHEAD);
                    if due && let Ok(fresh) = runtime.block_on(provider.provide_credentials()) {
                        *slot.lock().unwrap_or_else(PoisonError::into_inner) = fresh;
                    }
                }
            })?;
            Ok(Self { stop: Some(stop), thread: Some(thread) })
        }
    }

    impl Drop for Refresher {
        fn drop(&mut self) {
            drop(self.stop.take());
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }
}

/// Stand-in when the crate is built without the `sigv4` feature: it cannot
/// be made, so `--sigv4` is refused before the run.
#[cfg(not(feature = "sigv4"))]
pub(crate) enum Signer {}

#[cfg(not(feature = "sigv4"))]
impl Signer {
    pub(crate) fn new(_: &SigV4, _: &super::config::Target) -> anyhow::Result<Self> {
        anyhow::bail!("mcp-bench was built without the `sigv4` feature")
    }

    pub(crate) fn sign<'a>(
        &self,
        _: &str,
        _: &str,
        _: impl Iterator<Item = (&'a str, &'a str)>,
        _: &[u8],
        _: impl FnMut(&str, &str),
    ) -> Result<(), super::check::ErrorKind> {
        match *self {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_url_hosts_name_their_region() {
        assert_eq!(region_of_host("abc123.lambda-url.eu-west-1.on.aws"), Some("eu-west-1"));
        assert_eq!(region_of_host("abc.lambda-url..on.aws"), None);
        assert_eq!(region_of_host("example.com"), None);
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let s = SigV4::new().with_static_credentials("AKID", "s3cr3t", Some("tok3n".into()));
        let shown = format!("{s:?}");
        assert!(shown.contains("AKID"));
        assert!(!shown.contains("s3cr3t") && !shown.contains("tok3n"));
    }
}
