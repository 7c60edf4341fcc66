//! The `mcp-bench` command line.

use std::time::Duration;

use clap::Parser;

use super::config::Scenario;
use super::config::{Config, Stop};
use super::sigv4::SigV4;

/// Load an MCP endpoint with checked requests and report throughput and
/// latency.
///
/// Every answer is checked (status, JSON-RPC id, a result, the echoed text):
/// a wrong answer counts as an error of its kind, never as a fast request.
/// The target must serve a tool `echo {text}` that returns `text` unchanged
/// (the `mixed` scenario: the `everything` example server's fixtures).
#[derive(Debug, Parser)]
#[command(name = "mcp-bench", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// The MCP endpoint: http:// or https:// (e.g. https://<id>.lambda-url.<region>.on.aws/mcp).
    pub url: String,

    /// What to send.
    #[arg(long, value_enum, default_value = "call")]
    pub scenario: Scenario,

    /// Connections, each one HTTP/1.1 keep-alive connection (closed loop: the concurrency).
    #[arg(short = 'c', long, default_value_t = 50)]
    pub connections: u32,

    /// Measure for this long (after the warm-up), e.g. 10s, 2m. Default 10s.
    #[arg(short = 'd', long, value_parser = humantime::parse_duration, conflicts_with = "requests")]
    pub duration: Option<Duration>,

    /// Measure this many requests instead of a duration.
    #[arg(short = 'n', long)]
    pub requests: Option<u64>,

    /// Load before measuring, answers checked but not counted.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "1s")]
    pub warmup: Duration,

    /// Open loop: send this many requests per second in all, spread over the
    /// connections; latency counts from each request's intended send time.
    #[arg(long)]
    pub rate: Option<f64>,

    /// An extra header on every request, `Name: value` (repeatable), e.g.
    /// 'Authorization: Bearer TOKEN'.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,

    /// Sign every request with AWS SigV4 (Function URLs with AuthType AWS_IAM);
    /// credentials from the standard AWS chain (environment, profile, SSO, roles).
    #[arg(long)]
    pub sigv4: bool,

    /// SigV4 region (default: from a Function URL's host name, else the AWS chain).
    #[arg(long, requires = "sigv4")]
    pub region: Option<String>,

    /// SigV4 service name.
    #[arg(long, default_value = "lambda", requires = "sigv4")]
    pub service: String,

    /// Send "id": 1 on every request (for servers that answer fixed bytes);
    /// by default ids count up per connection and each answer's id must match.
    #[arg(long)]
    pub fixed_id: bool,

    /// Per-request timeout, counted from the intended send time in the open
    /// loop (connecting has its own, equal, limit).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "5s")]
    pub timeout: Duration,

    /// Worker threads (default: the CPUs this process may run on).
    #[arg(long)]
    pub threads: Option<usize>,

    /// session scenario: tools/call requests per session; mixed: rounds per session.
    #[arg(long, default_value_t = 10)]
    pub calls: u32,

    /// Print one JSON object (the results schema's LoadRun) on stdout; the
    /// text report goes to stderr.
    #[arg(long)]
    pub json: bool,

    /// With --json: no text report at all.
    #[arg(short, long, requires = "json")]
    pub quiet: bool,
}

const AFTER_HELP: &str = "\
Scenarios:
  call       tools/call echo, 2025-06-18 shape, no initialize
  call-2026  tools/call echo, 2026-07-28 shape (_meta, Mcp-Method, Mcp-Name)
  list       tools/list; the answer must list echo
  big        tools/call echo with a 10 KiB text that must come back unchanged
  session    per connection: initialize, notifications/initialized, tools/list,
             --calls calls, DELETE (when the server gave a session); repeated
  mixed      per connection: a session of --calls rounds, each tools/list,
             tools/call, resources/read and a progress-reporting (SSE) call in
             the 2025 shape, then the same four in the 2026 shape; DELETE;
             repeated. Targets the `everything` example server.

Error kinds: connect, io, timeout, status, parse, jsonrpc-error, bad-id,
no-result, wrong-echo, wrong-result, tool-error, sign.

Exit status: 0 when the run completed and at least one request was answered
correctly, 1 otherwise.

Examples:
  mcp-bench -c 50 -d 10s http://127.0.0.1:8080/mcp
  mcp-bench --scenario call-2026 --rate 200 -c 20 -d 60s --sigv4 https://ID.lambda-url.eu-west-1.on.aws/mcp
  mcp-bench --rate 200 -c 20 -d 60s -H 'Authorization: Bearer TOKEN' https://my-alb.example.com/mcp";

impl Cli {
    /// The run the arguments describe.
    pub fn config(&self) -> anyhow::Result<Config> {
        let stop = match (self.requests, self.duration) {
            (Some(n), _) => Stop::Requests(n),
            (None, Some(d)) => Stop::After(d),
            (None, None) => Stop::After(Duration::from_secs(10)),
        };
        let mut config = Config::new(&self.url)?
            .with_scenario(self.scenario)
            .with_connections(self.connections)?
            .with_stop(stop)?
            .with_warmup(self.warmup)
            .with_timeout(self.timeout)?
            .with_session_calls(self.calls)?;
        if let Some(rate) = self.rate {
            config = config.with_rate(rate)?;
        }
        for h in &self.headers {
            config = config.with_header(h)?;
        }
        if self.sigv4 {
            let mut sigv4 = SigV4::new().with_service(&self.service);
            if let Some(region) = &self.region {
                sigv4 = sigv4.with_region(region);
            }
            config = config.with_sigv4(sigv4);
        }
        if self.fixed_id {
            config = config.with_fixed_id();
        }
        if let Some(n) = self.threads {
            config = config.with_threads(n)?;
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn arguments_become_a_config() -> anyhow::Result<()> {
        let cli = Cli::try_parse_from([
            "mcp-bench",
            "--scenario",
            "call-2026",
            "-n",
            "200",
            "--rate",
            "50",
            "-H",
            "Authorization: Bearer x",
            "--fixed-id",
            "http://127.0.0.1:9/mcp",
        ])?;
        let c = cli.config()?;
        assert_eq!(c.scenario, Scenario::Call2026);
        assert_eq!(c.stop, Stop::Requests(200));
        assert_eq!(c.rate, Some(50.0));
        assert!(c.fixed_id);
        assert_eq!(c.headers.len(), 1);
        assert!(Cli::try_parse_from(["mcp-bench", "-n", "1", "-d", "1s", "http://x/"]).is_err());
        assert!(Cli::try_parse_from(["mcp-bench", "--region", "eu-west-1", "http://x/"]).is_err());
        Ok(())
    }
}
