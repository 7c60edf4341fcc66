//! `bench-lambda`'s command line.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};

use super::ack::AckPolicy;
use super::event::EventKind;
use super::function::Launch;

/// The usage text (`--help`).
pub const USAGE: &str = "\
bench-lambda: times a Lambda function against a local stand-in of the AWS Lambda Runtime API

usage: bench-lambda --system NAME --mode buffered|streaming --invocations N [OPTIONS] -- PROGRAM [ARGS...]

Starts the stand-in on 127.0.0.1, starts PROGRAM as a Lambda sandbox would (the Lambda
environment, AWS_LAMBDA_RUNTIME_API pointing at the stand-in, MCP_LAMBDA_RESPONSE_MODE set to
the mode), and hands it Function URL events POSTing an MCP tools/call of `echo`, one at a
time, each the moment the function asks. Every answer is checked (status 200, JSON-RPC id 1,
the echoed text); a wrong answer or an error posted by the function fails the run (exit 1).

Figures: init (process start -> first GET /next), first invocation (event handed out ->
response read whole), N warm invocations (the same, HDR percentiles), VmHWM of the process.

options:
  --system NAME        label of the function in the report (required)
  --mode MODE          buffered or streaming (required)
  --invocations N      warm invocations after the first (required)
  --event KIND         call (2025-06-18 shape, default) or call-2026
  --env K=V            extra environment for the function (repeatable)
  --log PATH           where the end of the function's output (its last 256 KiB) is
                       written once it stops; the output itself is drained from pipes, as
                       Lambda's log pipeline drains it (default: a temporary file,
                       removed after a successful run)
  --timeout SECS       bound on init and on each invocation (default 30)
  --quick-ack          the stand-in acknowledges every TCP segment at once (TCP_QUICKACK):
                       without it a streamed response from a client that leaves Nagle on
                       (lambda_runtime's) waits ~40 ms for a delayed ACK; the run's mode is
                       then reported as MODE-quickack
  --json               print one LambdaRun JSON object instead of the text report
  -h, --help           this text
";

/// A parsed command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// The system's label.
    pub system: String,
    /// The event's shape.
    pub event: EventKind,
    /// Warm invocations after the first.
    pub invocations: u64,
    /// Bound on init and on each invocation.
    pub timeout: Duration,
    /// Print JSON.
    pub json: bool,
    /// How the stand-in acknowledges segments.
    pub ack: AckPolicy,
    /// Whether `launch.log` was chosen by the user (kept) or is temporary.
    pub keep_log: bool,
    /// The function to start.
    pub launch: Launch,
}

impl Options {
    /// Parses the arguments after the program name; `Ok(None)` for `--help`.
    pub fn parse(args: impl IntoIterator<Item = OsString>) -> anyhow::Result<Option<Self>> {
        let mut args = args.into_iter();
        let (mut system, mut mode, mut invocations, mut log) = (None, None, None, None);
        let (mut event, mut timeout, mut json, mut env) = (EventKind::Call, Duration::from_secs(30), false, Vec::new());
        let mut ack = AckPolicy::Delayed;
        let mut command = Vec::new();
        while let Some(arg) = args.next() {
            let arg = arg.into_string().map_err(|a| anyhow::anyhow!("argument {a:?} is not UTF-8"))?;
            let mut value = || -> anyhow::Result<String> {
                let v = args.next().with_context(|| format!("{arg} needs a value"))?;
                v.into_string().map_err(|v| anyhow::anyhow!("the value of {arg} ({v:?}) is not UTF-8"))
            };
            match arg.as_str() {
                "-h" | "--help" => return Ok(None),
                "--system" => system = Some(value()?),
                "--mode" => match value()?.as_str() {
                    m @ ("buffered" | "streaming") => mode = Some(m.to_owned()),
                    m => bail!("--mode must be buffered or streaming, got {m:?}"),
                },
                "--invocations" => {
                    let v = value()?;
                    invocations = Some(v.parse::<u64>().with_context(|| format!("--invocations {v:?}"))?);
                }
                "--event" => {
                    let v = value()?;
                    event = EventKind::parse(&v)
                        .with_context(|| format!("--event must be call or call-2026, got {v:?}"))?;
                }
                "--env" => {
                    let v = value()?;
                    let (k, val) = v.split_once('=').with_context(|| format!("--env wants K=V, got {v:?}"))?;
                    env.push((k.to_owned(), val.to_owned()));
                }
                "--log" => log = Some(PathBuf::from(value()?)),
                "--timeout" => {
                    let v = value()?;
                    let secs: f64 = v.parse().with_context(|| format!("--timeout {v:?}"))?;
                    timeout = Duration::try_from_secs_f64(secs)
                        .ok()
                        .filter(|d| !d.is_zero())
                        .with_context(|| format!("--timeout must be a positive number of seconds, got {v:?}"))?;
                }
                "--json" => json = true,
                "--quick-ack" => ack = AckPolicy::Quick,
                "--" => {
                    command.extend(args.by_ref());
                    break;
                }
                other => bail!("unknown argument {other:?} (see --help)"),
            }
        }
        let mut command = command.into_iter();
        let program = PathBuf::from(command.next().context("no function program after `--`")?);
        let keep_log = log.is_some();
        let log = log.unwrap_or_else(|| std::env::temp_dir().join(format!("bench-lambda-{}.log", std::process::id())));
        Ok(Some(Self {
            system: system.context("--system is required")?,
            event,
            invocations: invocations.context("--invocations is required")?,
            timeout,
            json,
            ack,
            keep_log,
            launch: Launch { program, args: command.collect(), env, mode: mode.context("--mode is required")?, log },
        }))
    }
}

impl Options {
    /// The mode as reported: `buffered` or `streaming`, with `-quickack`
    /// when the stand-in acknowledged at once (those figures lack the
    /// delayed-ACK wait and must not be compared with the plain ones).
    pub fn mode_label(&self) -> String {
        match self.ack {
            AckPolicy::Delayed => self.launch.mode.clone(),
            AckPolicy::Quick => format!("{}-quickack", self.launch.mode),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> anyhow::Result<Option<Options>> {
        Options::parse(s.split_whitespace().map(OsString::from))
    }

    #[test]
    fn a_full_command_line_parses() {
        let o = parse("--system s --mode streaming --invocations 5 --event call-2026 --env A=b=c --timeout 2.5 --json -- prog --flag x")
            .unwrap()
            .unwrap();
        assert_eq!((o.system.as_str(), o.launch.mode.as_str(), o.invocations), ("s", "streaming", 5));
        assert_eq!(o.event, EventKind::Call2026);
        assert_eq!(o.launch.env, vec![("A".to_owned(), "b=c".to_owned())]);
        assert_eq!(o.timeout, Duration::from_millis(2500));
        assert!(o.json && !o.keep_log);
        assert_eq!((o.ack, o.mode_label().as_str()), (AckPolicy::Delayed, "streaming"));
        assert_eq!(o.launch.program, PathBuf::from("prog"));
        assert_eq!(o.launch.args, vec![OsString::from("--flag"), OsString::from("x")]);
        let o = parse("--system s --mode streaming --invocations 5 --quick-ack -- prog").unwrap().unwrap();
        assert_eq!((o.ack, o.mode_label().as_str()), (AckPolicy::Quick, "streaming-quickack"));
    }

    #[test]
    fn mistakes_are_named() {
        let err = |s: &str| parse(s).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err("--mode buffered --invocations 1 -- p").contains("--system"));
        assert!(err("--system s --mode fast --invocations 1 -- p").contains("buffered or streaming"));
        assert!(err("--system s --mode buffered --invocations 1").contains("after `--`"));
        assert!(err("--system s --mode buffered --invocations x -- p").contains("--invocations"));
        assert!(err("--system s --mode buffered --invocations 1 --timeout 0 -- p").contains("positive"));
        assert!(parse("--help").unwrap().is_none());
    }
}
