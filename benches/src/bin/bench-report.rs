//! `bench-report`: reads the suite's `results.json`, computes the cost model
//! and the issue's target ratios, and writes `report.md`, `results.json`
//! (with `cost` and `ratios`) and SVG charts.
//!
//! ```text
//! bench-report [--results target/bench-report/results.json] [--out target/bench-report]
//!              [--prices FILE] [--set key.path=value ...] [--memory-mb 512]
//!              [--utilisation 0.6] [--task-vcpu 0.25] [--task-gb 0.5] [--min-tasks 1]
//! ```

use std::io::Read as _;
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{Context, bail};
use mcp_handler_benches::report::{self, CostParams, Prices};
use mcp_handler_benches::results::Results;

/// A results document larger than this is not one the suite wrote.
const MAX_RESULTS_BYTES: u64 = 64 * 1024 * 1024;
/// More overrides than this is a mistake, not a price list.
const MAX_SETS: usize = 64;

const USAGE: &str = "\
usage: bench-report [options]
  --results FILE      results document to read (default target/bench-report/results.json)
  --out DIR           where report.md, results.json and the charts go (default target/bench-report)
  --prices FILE       price list (default: the compiled-in benches/data/prices.toml)
  --set KEY=VALUE     override one price or assumption, e.g. lambda.arm64.gb_second=0.0000133334
                      or managed_instances.min_instances=1
  --memory-mb N       Lambda memory, MB (default 512)
  --utilisation F     share of a Fargate task's (and a managed instance's) measured capacity to
                      plan for, (0, 1] (default 0.6)
  --task-vcpu F       vCPUs per Fargate task (default 0.25)
  --task-gb F         memory per Fargate task, GB (default 0.5)
  --min-tasks N       always-on minimum of Fargate tasks (default 1; 2 for two availability zones)";

struct Args {
    results: PathBuf,
    out: PathBuf,
    prices: Option<PathBuf>,
    sets: Vec<String>,
    params: CostParams,
}

fn value<T: FromStr>(flag: &str, raw: Option<String>) -> anyhow::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let raw = raw.with_context(|| format!("{flag} needs a value"))?;
    raw.parse().with_context(|| format!("{flag} {raw:?}"))
}

fn parse(mut argv: impl Iterator<Item = String>) -> anyhow::Result<Option<Args>> {
    let mut args = Args {
        results: PathBuf::from("target/bench-report/results.json"),
        out: PathBuf::from("target/bench-report"),
        prices: None,
        sets: Vec::new(),
        params: CostParams::default(),
    };
    let (mut vcpu, mut gb) = (args.params.task_vcpu, args.params.task_memory_gb);
    while let Some(flag) = argv.next() {
        let (flag, inline) = match flag.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (flag, None),
        };
        let next = inline.or_else(|| argv.next());
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--results" => args.results = value("--results", next)?,
            "--out" => args.out = value("--out", next)?,
            "--prices" => args.prices = Some(value("--prices", next)?),
            "--set" => {
                args.sets.push(value("--set", next)?);
                if args.sets.len() > MAX_SETS {
                    bail!("more than {MAX_SETS} --set overrides");
                }
            }
            "--memory-mb" => args.params = args.params.with_memory_mb(value("--memory-mb", next)?),
            "--utilisation" => args.params = args.params.with_utilisation(value("--utilisation", next)?),
            "--task-vcpu" => vcpu = value("--task-vcpu", next)?,
            "--task-gb" => gb = value("--task-gb", next)?,
            "--min-tasks" => args.params = args.params.with_min_tasks(value("--min-tasks", next)?),
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    args.params = args.params.with_task(vcpu, gb);
    args.params.validate()?;
    Ok(Some(args))
}

fn read_results(path: &std::path::Path) -> anyhow::Result<Results> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut text = String::new();
    file.take(MAX_RESULTS_BYTES + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("reading {}", path.display()))?;
    if text.len() as u64 > MAX_RESULTS_BYTES {
        bail!("{} is larger than {MAX_RESULTS_BYTES} bytes", path.display());
    }
    serde_json::from_str(&text).with_context(|| format!("{} is not a results document", path.display()))
}

fn main() -> anyhow::Result<()> {
    let Some(args) = parse(std::env::args().skip(1))? else {
        println!("{USAGE}");
        return Ok(());
    };
    let results = read_results(&args.results)?;
    let prices = match &args.prices {
        Some(path) => Prices::load(path, &args.sets)?,
        None => Prices::embedded(&args.sets)?,
    };
    let written = report::write_report(&results, &prices, &args.params, &args.out)?;
    for line in &written.targets {
        println!("{line}");
    }
    for file in &written.files {
        println!("wrote {}", file.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> anyhow::Result<Option<Args>> {
        parse(list.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn flags_set_the_cost_parameters() {
        let a = args(&[
            "--memory-mb",
            "1024",
            "--utilisation=0.5",
            "--task-vcpu",
            "0.5",
            "--task-gb",
            "1",
            "--min-tasks",
            "2",
        ])
        .expect("parses")
        .expect("not help");
        assert_eq!(
            a.params,
            CostParams::default().with_memory_mb(1024).with_utilisation(0.5).with_task(0.5, 1.0).with_min_tasks(2)
        );
    }

    #[test]
    fn bad_flags_are_errors_not_panics() {
        for bad in [
            &["--memory-mb"][..],
            &["--memory-mb", "lots"],
            &["--utilisation", "2"],
            &["--bogus"],
            &["--min-tasks", "0"],
        ] {
            assert!(args(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(args(&["--help"]).expect("help").is_none());
    }
}
