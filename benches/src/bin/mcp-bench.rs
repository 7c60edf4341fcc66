//! `mcp-bench`: a load tool for any MCP URL. See `mcp-bench --help` and
//! `docs/mcp-bench.md`; the engine is [`mcp_handler_benches::load`].

use std::process::ExitCode;

use clap::Parser;
use mcp_handler_benches::load::{self, Cli};

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let outcome = load::run(&cli.config()?)?;
    if cli.json {
        println!("{}", serde_json::to_string(&outcome.run)?);
        if !cli.quiet {
            eprint!("{outcome}");
        }
    } else {
        print!("{outcome}");
    }
    Ok(if outcome.run.ok > 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
