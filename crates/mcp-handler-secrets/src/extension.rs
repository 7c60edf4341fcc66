//! `aws-ext:<name-or-arn>` — a local caching proxy of Secrets Manager with
//! the same API: the AWS Parameters and Secrets Lambda Extension, or the AWS
//! Secrets Manager Agent as a sidecar of a container (ECS, Kubernetes):
//! `GET http://localhost:<port>/secretsmanager/get?secretId=..` with the
//! SSRF token in `X-Aws-Parameters-Secrets-Token` — the agent's `AWS_TOKEN`
//! (a value or `file://<path>`), else the function's `AWS_SESSION_TOKEN`.
//! The proxy caches on its own and needs no SDK in the app. The Lambda
//! extension answers only during invocations, so these secrets load on the
//! first invocation (on servers: in the background right after start,
//! `/readyz` waiting for them). Port from
//! `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT` (2773).

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use zeroize::Zeroizing;

use crate::reference::Location;
use crate::secret::Secret;
use crate::source::{SecretSource, SourceError};

use crate::Lookup;

/// Reads secrets through the Lambda extension's localhost HTTP API.
#[derive(Clone)]
pub struct LambdaExtensionSource {
    /// Replaced by [`release`](SecretSource::release): pooled connections
    /// to the extension do not survive a SnapStart restore.
    client: Arc<std::sync::RwLock<Client<HttpConnector, Empty<Bytes>>>>,
    env: Lookup,
}

impl std::fmt::Debug for LambdaExtensionSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LambdaExtensionSource")
    }
}

impl Default for LambdaExtensionSource {
    fn default() -> Self {
        Self::new()
    }
}

impl LambdaExtensionSource {
    /// Reads the port and token from the process environment.
    pub fn new() -> Self {
        Self::with_lookup(|k| std::env::var(k).ok())
    }

    /// Reads `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT` and
    /// `AWS_SESSION_TOKEN` through `lookup`.
    pub fn with_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self { client: Arc::new(std::sync::RwLock::new(new_client())), env: Arc::new(lookup) }
    }
}

fn new_client() -> Client<HttpConnector, Empty<Bytes>> {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(Duration::from_secs(1)));
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new()).build(connector)
}

/// The variables holding the SSRF token, in the order the AWS Secrets
/// Manager Agent reads them (its `ssrf_env_variables` default); inside
/// Lambda the extension expects the function's `AWS_SESSION_TOKEN`.
const TOKEN_VARS: [&str; 3] = ["AWS_TOKEN", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN"];

/// The token the extension or agent requires: the first of [`TOKEN_VARS`]
/// that is set, whose value is the token or, as the agent accepts it,
/// `file://<path>` naming a file that holds it. Errors name the variable
/// or the path, never the token.
fn ssrf_token(env: &Lookup) -> Result<Zeroizing<String>, SourceError> {
    let (var, value) = TOKEN_VARS
        .iter()
        .find_map(|v| env(v).filter(|x| !x.trim().is_empty()).map(|x| (*v, Zeroizing::new(x))))
        .ok_or_else(|| {
            SourceError::Unavailable(format!(
                "none of {} is set: the secrets extension (Lambda) or agent (containers) needs its token",
                TOKEN_VARS.join(", ")
            ))
        })?;
    let Some(path) = value.strip_prefix("file://") else { return Ok(value) };
    let mut text = Zeroizing::new(String::new());
    std::fs::File::open(path)
        .and_then(|f| std::io::Read::read_to_string(&mut std::io::Read::take(f, 64 * 1024), &mut text))
        .map_err(|e| {
            SourceError::Unavailable(format!("{var} names the token file {path}, which cannot be read: {e}"))
        })?;
    Ok(Zeroizing::new(text.trim().to_owned()))
}

/// Percent-encodes a query value (everything but RFC 3986 unreserved).
fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(serde::Deserialize)]
struct Answer {
    #[serde(rename = "SecretString")]
    secret_string: Option<String>,
    #[serde(rename = "SecretBinary")]
    secret_binary: Option<String>,
}

impl SecretSource for LambdaExtensionSource {
    async fn fetch(&self, location: &Location) -> Result<Secret, SourceError> {
        let port = (self.env)("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT").unwrap_or_else(|| "2773".into());
        let port: u16 = port
            .trim()
            .parse()
            .map_err(|_| SourceError::Unavailable("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT is not a port".into()))?;
        let token = ssrf_token(&self.env)?;
        let mut uri = format!("http://localhost:{port}/secretsmanager/get?secretId={}", encode(&location.id));
        if let Some(stage) = location.option("version-stage") {
            uri.push_str(&format!("&versionStage={}", encode(stage)));
        }
        if let Some(id) = location.option("version-id") {
            uri.push_str(&format!("&versionId={}", encode(id)));
        }
        let req = http::Request::get(uri)
            .header("X-Aws-Parameters-Secrets-Token", token.as_str())
            .body(Empty::new())
            .map_err(|_| SourceError::Unavailable("cannot build the extension request".into()))?;
        let id = &location.id;
        let exchange = async {
            let client = self.client.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
            let resp = client.request(req).await.map_err(|e| {
                SourceError::Unavailable(format!("the secrets extension on port {port} did not answer: {e}"))
            })?;
            let status = resp.status();
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| SourceError::Unavailable(format!("reading the extension's answer: {e}")))?;
            Ok::<_, SourceError>((status, Zeroizing::new(Vec::from(body.to_bytes()))))
        };
        let (status, body) = tokio::time::timeout(Duration::from_secs(5), exchange)
            .await
            .map_err(|_| SourceError::Unavailable(format!("the secrets extension on port {port} timed out")))??;
        if !status.is_success() {
            // The extension relays Secrets Manager's error text, which names
            // the error type but holds no value.
            let text = String::from_utf8_lossy(&body);
            return Err(if text.contains("ResourceNotFoundException") {
                SourceError::NotFound(format!("secret {id} (ResourceNotFoundException)"))
            } else {
                SourceError::Unavailable(format!("the secrets extension answered {status} for {id}"))
            });
        }
        let answer: Answer = serde_json::from_slice(&body)
            .map_err(|_| SourceError::Unavailable(format!("the secrets extension's answer for {id} is not JSON")))?;
        match (answer.secret_string, answer.secret_binary) {
            (Some(s), _) | (None, Some(s)) => Ok(Secret::new(s)),
            (None, None) => Err(SourceError::Invalid(format!("secret {id} has neither SecretString nor SecretBinary"))),
        }
    }

    fn default_ttl(&self) -> Option<Duration> {
        Some(Duration::from_secs(300))
    }

    fn available_at_init(&self) -> bool {
        false
    }

    fn options(&self) -> &'static [&'static str] {
        &["version-stage", "version-id"]
    }

    fn release(&self) {
        *self.client.write().unwrap_or_else(std::sync::PoisonError::into_inner) = new_client();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    fn lookup(pairs: &[(&'static str, String)]) -> crate::Lookup {
        let pairs = pairs.to_vec();
        Arc::new(move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
    }

    #[test]
    fn the_token_comes_from_the_agents_variables_in_order() {
        let t = |pairs: &[(&'static str, String)]| super::ssrf_token(&lookup(pairs)).map(|t| t.to_string());
        assert_eq!(t(&[("AWS_SESSION_TOKEN", "lambda".into())]).unwrap(), "lambda");
        assert_eq!(t(&[("AWS_SESSION_TOKEN", "lambda".into()), ("AWS_TOKEN", "agent".into())]).unwrap(), "agent");
        let file = std::env::temp_dir().join(format!("mcp-ssrf-token-{}", std::process::id()));
        std::fs::write(&file, "from-file\n").unwrap();
        assert_eq!(t(&[("AWS_TOKEN", format!("file://{}", file.display()))]).unwrap(), "from-file");
        std::fs::remove_file(&file).unwrap();
        let err = t(&[("AWS_TOKEN", "file:///nonexistent/token".into())]).unwrap_err().to_string();
        assert!(err.contains("AWS_TOKEN") && err.contains("/nonexistent/token"), "{err}");
        let err = t(&[]).unwrap_err().to_string();
        assert!(err.contains("AWS_TOKEN") && err.contains("AWS_SESSION_TOKEN"), "{err}");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            super::encode("arn:aws:secretsmanager:eu-west-1:1:secret:prod/mcp-Ab"),
            "arn%3Aaws%3Asecretsmanager%3Aeu-west-1%3A1%3Asecret%3Aprod%2Fmcp-Ab"
        );
    }
}
