//! Every environment variable a program started with [`run`](crate::run)
//! reads, in one table: `--help` prints it, and a test checks the README's
//! table and the variables the workspace's code reads against it.

/// One variable, or a family of them (`MCP_SECRET_<NAME>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EnvVar {
    /// The name; `<NAME>` stands for any secret's name.
    pub name: &'static str,
    /// What holds when it is unset (`-`: nothing).
    pub default: &'static str,
    /// What it does.
    pub meaning: &'static str,
}

const fn var(name: &'static str, default: &'static str, meaning: &'static str) -> EnvVar {
    EnvVar { name, default, meaning }
}

/// The variables, in the order `--help` lists them.
pub const ENVIRONMENT: &[EnvVar] = &[
    var("MCP_TRANSPORT", "http", "stdio to serve one client on stdin/stdout instead of listening (--stdio)"),
    var("MCP_BIND", "127.0.0.1:8080", "listen address (--bind; 0.0.0.0:8080 in a container)"),
    var("MCP_PATH", "/mcp", "endpoint path (--path)"),
    var("MCP_DRAIN_TIMEOUT_SECS", "25", "seconds in-flight requests get after SIGTERM (--drain-timeout)"),
    var(
        "MCP_HEADER_TIMEOUT_SECS",
        "30",
        "seconds a client may take to send a request head, and a keep-alive connection may idle (--header-timeout)",
    ),
    var("MCP_BODY_TIMEOUT_SECS", "30", "seconds a stalled request body may take before a 408"),
    var("MCP_MAX_IN_FLIGHT", "1024", "handler calls running at once; beyond it a call gets 503 with Retry-After"),
    var(
        "MCP_RATE_LIMIT",
        "off",
        "JSON-RPC requests per client (session, principal, else address), e.g. 100/s or 600/m:50; beyond, 429",
    ),
    var(
        "MCP_TRUSTED_PROXY_HEADER",
        "-",
        "behind a proxy only: the header whose last entry is the client's address (e.g. X-Forwarded-For)",
    ),
    var(
        "MCP_MAX_IN_FLIGHT_PER_CLIENT",
        "64",
        "handler calls one session or principal may run at once; beyond it 503 with Retry-After",
    ),
    var(
        "MCP_MAX_CONNECTIONS",
        "10000",
        "open connections served at once; beyond it a connection gets 503 with Retry-After (--max-connections)",
    ),
    var(
        "MCP_ALLOWED_HOSTS",
        "localhost names on a loopback bind, any host otherwise",
        "comma-separated Host allow-list, or *; behind a load balancer, the names clients use",
    ),
    var("MCP_ALLOWED_ORIGINS", "localhost and same-host origins", "comma-separated Origin allow-list, or *"),
    var(
        "MCP_REQUEST_STATE_KEY",
        "random per process",
        "base64 key (>= 32 bytes) sealing 2026 input-required state; every instance of a fleet needs the same one",
    ),
    var(
        "MCP_SECRET_<NAME>",
        "-",
        "where secret NAME comes from: env:VAR, file:PATH, aws-sm:NAME or aws-ext:NAME (#key selects a JSON key)",
    ),
    var(
        "MCP_SECRET_AUTH_TOKEN",
        "off",
        "the endpoint requires this token (Authorization: Bearer or X-API-Key); /healthz and /readyz stay open",
    ),
    var("MCP_SECRET_AUTH_TOKEN_PREVIOUS", "-", "a second accepted token, for rotation without downtime"),
    var("MCP_SECRET_REQUEST_STATE_KEY", "-", "the request-state key as a secret, instead of MCP_REQUEST_STATE_KEY"),
    var(
        "MCP_SECRETS_DIR",
        "-",
        "a folder (e.g. /run/secrets) whose file named like a secret, in lower case, is its source when \
         MCP_SECRET_<NAME> is unset",
    ),
    var(
        "MCP_SECRETS_MAX_STALENESS",
        "15m",
        "how long past its TTL a secret's last good value is served while refreshes fail",
    ),
    var(
        "MCP_SECRETS_TIMEOUT_SECS",
        "10",
        "how long one fetch from a secret source may take before it counts as failed",
    ),
    var(
        "MCP_SECRETS_AT_START",
        "exit",
        "exit: a required secret that cannot load stops the start; wait: start unready (/readyz 503) and keep trying",
    ),
    var(
        "MCP_AUDIT",
        "off",
        "on: one event per tools/call (target mcp_handler::audit, info): who, tool, argument digest, outcome, time",
    ),
    var("MCP_LOG_FORMAT", "text", "json for structured logs"),
    var(
        "MCP_ACCESS_LOG",
        "on",
        "one line per request (target mcp_handler::access, info): status, time, MCP method, tool, outcome; off to stop",
    ),
    var(
        "MCP_METRICS",
        "on",
        "Prometheus metrics at GET /metrics (requests by method, tool and outcome, durations, refusals, \
         in-flight calls, streams, sessions, secrets, process); off to stop counting",
    ),
    var(
        "MCP_METRICS_BIND",
        "-",
        "serve /metrics on this address (e.g. 0.0.0.0:9090) instead of the MCP listener, which then answers 404",
    ),
    var("RUST_LOG", "info", "log filter: a level, or target=level pairs (mcp_handler=debug,hyper=warn)"),
    var(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "-",
        "feature otel: export a SERVER span per request over OTLP/HTTP to this collector (e.g. http://localhost:4318)",
    ),
    var(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "-",
        "feature otel: the full traces URL, instead of the above + /v1/traces",
    ),
    var("OTEL_SERVICE_NAME", "the binary's name", "feature otel: the service.name of the spans"),
    var("OTEL_RESOURCE_ATTRIBUTES", "-", "feature otel: more resource attributes, key=value,..."),
    var("OTEL_TRACES_SAMPLER", "parentbased_always_on", "feature otel: the sampler (with OTEL_TRACES_SAMPLER_ARG)"),
    var("OTEL_TRACES_SAMPLER_ARG", "-", "feature otel: the sampler's argument (a ratio for traceidratio samplers)"),
    var("OTEL_SDK_DISABLED", "false", "feature otel: true turns traces off even with an endpoint set"),
    var("OTEL_TRACES_EXPORTER", "otlp", "feature otel: none turns traces off"),
    var("AWS_LAMBDA_RUNTIME_API", "-", "set by AWS Lambda: serve invocations instead of listening"),
    var(
        "MCP_LAMBDA_RESPONSE_MODE",
        "buffered",
        "on Lambda: buffered or streaming (a Function URL with RESPONSE_STREAM)",
    ),
    var(
        "MCP_LAMBDA_METRICS",
        "emf",
        "on Lambda: per-invocation CloudWatch metrics as Embedded Metric Format lines on stdout; off for none",
    ),
    var("MCP_LAMBDA_METRICS_NAMESPACE", "mcp-handler", "on Lambda: the CloudWatch namespace of those metrics"),
    var("AWS_LAMBDA_FUNCTION_NAME", "-", "set by AWS Lambda: the FunctionName dimension of the metrics"),
    var(
        "AWS_LAMBDA_MAX_CONCURRENCY",
        "-",
        "set by Lambda Managed Instances: invocations served at once in one sandbox (unset: one)",
    ),
    var(
        "TOKIO_WORKER_THREADS",
        "-",
        "on Lambda: worker threads for the async runtime (unset: one thread while invocations come one at a time)",
    ),
    var(
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "-",
        "set by AWS Lambda: snap-start runs the SnapStart hooks (secrets dropped, then read again)",
    ),
    var("AWS_LAMBDA_LOG_LEVEL", "-", "set by Lambda's logging controls: the log level there, before RUST_LOG"),
    var("AWS_LAMBDA_LOG_FORMAT", "-", "set by Lambda's logging controls: JSON for JSON log lines there"),
    var(
        "AWS_REGION",
        "-",
        "aws-sm: references: the region (the rest of the standard AWS SDK configuration and credential chain applies)",
    ),
    var("AWS_ENDPOINT_URL_SECRETS_MANAGER", "-", "aws-sm: references: another Secrets Manager endpoint"),
    var("AWS_TOKEN", "-", "aws-ext: references: the secrets agent's token (or file://PATH holding it), tried first"),
    var("AWS_SESSION_TOKEN", "-", "aws-ext: references: the token the Lambda extension expects (set by Lambda)"),
    var("AWS_CONTAINER_AUTHORIZATION_TOKEN", "-", "aws-ext: references: the agent's token on ECS, tried last"),
];

/// The `ENVIRONMENT` section of `--help`, rendered from [`ENVIRONMENT`].
pub fn help_section() -> String {
    const COLUMNS: usize = 100;
    let width = ENVIRONMENT.iter().map(|v| v.name.len()).max().unwrap_or(0);
    let indent = " ".repeat(4 + width + 2);
    let mut out = String::from("ENVIRONMENT:\n");
    for v in ENVIRONMENT {
        let text = match v.default {
            "-" => v.meaning.to_owned(),
            d => format!("{} (default: {d})", v.meaning),
        };
        let mut line = format!("    {:width$} ", v.name);
        for word in text.split(' ') {
            if line.len() + 1 + word.len() > COLUMNS && line.len() > indent.len() {
                out.push_str(line.trim_end());
                out.push('\n');
                line.clone_from(&indent);
            } else {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_variable_once_within_100_columns() {
        let help = help_section();
        assert!(help.lines().all(|l| l.len() <= 100), "{help}");
        for v in ENVIRONMENT {
            // Names start at column 4; wrapped meanings are indented further.
            let names = help.lines().filter(|l| l.starts_with("    ") && !l.starts_with("     "));
            let lines = names.filter(|l| l.split_whitespace().next() == Some(v.name)).count();
            assert_eq!(lines, 1, "{} in\n{help}", v.name);
        }
    }
}
