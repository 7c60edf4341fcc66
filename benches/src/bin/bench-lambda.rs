//! `bench-lambda`: times a Lambda function against a local stand-in of the
//! AWS Lambda Runtime API (see `--help` and `mcp_handler_benches::lambda`).

use std::process::ExitCode;

use mcp_handler_benches::lambda::{self, Options};
use mcp_handler_benches::results::LambdaRun;

fn main() -> ExitCode {
    let options = match Options::parse(std::env::args_os().skip(1)) {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{}", lambda::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("bench-lambda: {e:#}\n(see bench-lambda --help)");
            return ExitCode::from(2);
        }
    };
    // One thread: the stand-in should take as little of the machine as it
    // can from the function it times.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bench-lambda: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(lambda::measure(&options)) {
        Ok(run) if options.json => match serde_json::to_string(&run) {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("bench-lambda: {e}");
                ExitCode::FAILURE
            }
        },
        Ok(run) => {
            print!("{}", text_report(&run, options.event.name()));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench-lambda: FAILED: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn text_report(run: &LambdaRun, event: &str) -> String {
    let w = &run.warm_us;
    let rss = run.rss_hwm_kb.map_or_else(|| "unknown".to_owned(), |kb| format!("{kb} KiB"));
    format!(
        "bench-lambda: {} ({} mode, {event} events) against the Runtime API stand-in\n\
         \x20 init              {:>9.2} ms   process start -> first GET /next\n\
         \x20 first invocation  {:>9.3} ms   event handed out -> response read\n\
         \x20 warm ({:>6})     p50 {:.1} µs  p90 {:.1}  p99 {:.1}  p99.9 {:.1}  max {:.1}  mean {:.1}\n\
         \x20 VmHWM             {rss}\n",
        run.system,
        run.mode,
        run.init_ms,
        run.first_invoke_ms,
        run.invocations,
        w.p50,
        w.p90,
        w.p99,
        w.p999,
        w.max,
        w.mean
    )
}
