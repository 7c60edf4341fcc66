//! `aws-sm:<name-or-arn>` — AWS Secrets Manager through
//! `aws-sdk-secretsmanager`. Credentials, region and endpoint come from the
//! SDK's usual chain (env, profile, ECS task role, Lambda role;
//! `AWS_ENDPOINT_URL_SECRETS_MANAGER` for a local endpoint). Options:
//! `version-stage` (e.g. `AWSPREVIOUS`) and `version-id`. Values are cached
//! for the TTL (default 5 minutes) by the resolver.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, SdkError};
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use tokio::sync::OnceCell;

use crate::reference::Location;
use crate::secret::Secret;
use crate::source::{SecretSource, SourceError};

/// Reads AWS Secrets Manager.
#[derive(Debug, Default)]
pub struct SecretsManagerSource {
    /// Built on first use; [`release`](SecretSource::release) puts an empty
    /// cell in its place, so the next fetch builds a client (connections,
    /// credentials) anew.
    client: std::sync::RwLock<Arc<OnceCell<Client>>>,
    /// A client the caller gave: kept across a release (it cannot be
    /// rebuilt here), so its connections are the caller's to manage.
    given: Option<Client>,
}

impl SecretsManagerSource {
    /// A source whose client is built from the environment on first use
    /// (3 s to connect, 5 s per attempt, the SDK's standard retries; the
    /// resolver bounds the whole fetch by `MCP_SECRETS_TIMEOUT_SECS`).
    pub fn new() -> Self {
        Self::default()
    }

    /// A source using `client` (your own credentials, endpoint, retries).
    /// Give its config an HTTP client, e.g. [`https_client`]: this crate
    /// builds the SDK without its default one.
    pub fn with_client(client: Client) -> Self {
        Self { client: std::sync::RwLock::default(), given: Some(client) }
    }

    async fn client(&self) -> Client {
        if let Some(c) = &self.given {
            return c.clone();
        }
        let cell = self.client.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        cell.get_or_init(|| async {
            let timeouts = aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(5))
                .build();
            let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
                .http_client(https_client())
                .timeout_config(timeouts)
                .load()
                .await;
            Client::new(&config)
        })
        .await
        .clone()
    }
}

impl SecretSource for SecretsManagerSource {
    async fn fetch(&self, location: &Location) -> Result<Secret, SourceError> {
        let out = self
            .client()
            .await
            .get_secret_value()
            .secret_id(&location.id)
            .set_version_stage(location.option("version-stage").map(str::to_owned))
            .set_version_id(location.option("version-id").map(str::to_owned))
            .send()
            .await
            .map_err(|e| classify(&location.id, e))?;
        if let Some(s) = out.secret_string {
            return Ok(Secret::new(s));
        }
        if let Some(b) = out.secret_binary {
            // Binary secrets are handed over as base64 text, as the Lambda
            // extension and the CLI show them.
            let bytes = zeroize::Zeroizing::new(b.into_inner());
            return Ok(Secret::new(base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &*bytes)));
        }
        Err(SourceError::Invalid(format!("secret {} has neither SecretString nor SecretBinary", location.id)))
    }

    fn default_ttl(&self) -> Option<Duration> {
        Some(Duration::from_secs(300))
    }

    fn options(&self) -> &'static [&'static str] {
        &["version-stage", "version-id"]
    }

    fn release(&self) {
        *self.client.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::default();
    }
}

/// The HTTP client the source gives the AWS SDK: hyper with rustls and
/// ring, the platform's root certificates.
pub fn https_client() -> aws_sdk_secretsmanager::config::SharedHttpClient {
    use aws_smithy_http_client::tls;
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
        .build_https()
}

fn classify(id: &str, e: SdkError<GetSecretValueError>) -> SourceError {
    match e.as_service_error() {
        Some(GetSecretValueError::ResourceNotFoundException(_)) => {
            SourceError::NotFound(format!("secret {id} (ResourceNotFoundException)"))
        }
        Some(service) => {
            let code = aws_sdk_secretsmanager::error::ProvideErrorMetadata::code(service).unwrap_or("unknown");
            SourceError::Unavailable(format!("GetSecretValue {id}: {code}"))
        }
        None => SourceError::Unavailable(format!("GetSecretValue {id}: {}", DisplayErrorContext(&e))),
    }
}
