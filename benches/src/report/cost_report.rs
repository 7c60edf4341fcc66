//! The cost section of `report.md` and the `cost` object of `results.json`:
//! every input shown, the formulas in words, then the figures.

use serde::Serialize;

use super::cost::{CostParams, FrontDoor, Inputs, Model, STEADY_RATES};
use super::format::{self, Table};
use super::prices::{Arch, Prices};

/// Memory at which Lambda gives a function one full vCPU (AWS documentation).
const FULL_VCPU_MB: f64 = 1769.0;

/// Lambda's price of one million calls for one architecture and front door.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct LambdaLine {
    pub(crate) arch: Arch,
    pub(crate) front_door: FrontDoor,
    pub(crate) per_million_usd: Option<f64>,
}

/// Fargate, Lambda Managed Instances and Lambda at one steady request rate
/// (each pair: arm64, x86_64).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct SteadyRow {
    pub(crate) rate_rps: f64,
    pub(crate) monthly_requests: f64,
    pub(crate) fargate_tasks: Option<u64>,
    pub(crate) fargate_monthly_usd: [Option<f64>; 2],
    pub(crate) lambda_furl_monthly_usd: [Option<f64>; 2],
    pub(crate) managed_instances: [Option<u64>; 2],
    pub(crate) managed_monthly_usd: [Option<f64>; 2],
}

/// The volume where a Lambda setup costs what a Fargate one does.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct BreakEvenLine {
    pub(crate) lambda_arch: Arch,
    pub(crate) front_door: FrontDoor,
    pub(crate) fargate_arch: Arch,
    pub(crate) monthly_requests: Option<f64>,
}

/// The volume where classic Lambda costs what Lambda Managed Instances do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ManagedBreakEvenLine {
    pub(crate) lambda_arch: Arch,
    pub(crate) front_door: FrontDoor,
    pub(crate) managed_arch: Arch,
    pub(crate) monthly_requests: Option<f64>,
}

/// The `cost` object of `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct CostSummary {
    pub(crate) prices_as_of: String,
    pub(crate) region: String,
    pub(crate) memory_mb: u32,
    pub(crate) utilisation: f64,
    pub(crate) task_vcpu: f64,
    pub(crate) task_memory_gb: f64,
    pub(crate) min_tasks: u32,
    pub(crate) inputs: Inputs,
    pub(crate) billed_ms: Option<f64>,
    pub(crate) rps_per_vcpu: Option<f64>,
    pub(crate) lambda_per_million: Vec<LambdaLine>,
    pub(crate) steady: Vec<SteadyRow>,
    pub(crate) break_even: Vec<BreakEvenLine>,
    pub(crate) managed_break_even: Vec<ManagedBreakEvenLine>,
    /// The prices the figures used (after `--prices`/`--set`).
    pub(crate) prices: Prices,
}

/// The break-evens the report and the chart show.
pub(crate) const BREAK_EVENS: [(Arch, FrontDoor, Arch); 3] = [
    (Arch::Arm64, FrontDoor::FunctionUrl, Arch::Arm64),
    (Arch::X86_64, FrontDoor::FunctionUrl, Arch::X86_64),
    (Arch::Arm64, FrontDoor::HttpApi, Arch::Arm64),
];

/// Classic Lambda against Managed Instances: the break-evens the report and the chart show.
pub(crate) const MANAGED_BREAK_EVENS: [(Arch, FrontDoor, Arch); 1] =
    [(Arch::Arm64, FrontDoor::FunctionUrl, Arch::Arm64)];

/// Computes every figure of the cost section.
pub(crate) fn summarise(model: &Model<'_>, inputs: Inputs, params: &CostParams) -> CostSummary {
    let doors = [FrontDoor::FunctionUrl, FrontDoor::HttpApi];
    let lambda_per_million = Arch::ALL
        .iter()
        .flat_map(|&arch| {
            doors.iter().map(move |&door| LambdaLine {
                arch,
                front_door: door,
                per_million_usd: model.lambda_per_million(arch, door),
            })
        })
        .collect();
    let steady = STEADY_RATES
        .iter()
        .map(|&rate| {
            let v = model.volume(rate);
            SteadyRow {
                rate_rps: rate,
                monthly_requests: v,
                fargate_tasks: model.tasks(rate),
                fargate_monthly_usd: Arch::ALL.map(|a| model.fargate_monthly(a, v)),
                lambda_furl_monthly_usd: Arch::ALL.map(|a| model.lambda_monthly(a, FrontDoor::FunctionUrl, v)),
                managed_instances: Arch::ALL.map(|a| model.managed_instances(a, rate)),
                managed_monthly_usd: Arch::ALL.map(|a| model.managed_monthly(a, v)),
            }
        })
        .collect();
    let break_even = BREAK_EVENS
        .iter()
        .map(|&(lambda_arch, front_door, fargate_arch)| BreakEvenLine {
            lambda_arch,
            front_door,
            fargate_arch,
            monthly_requests: model.break_even(lambda_arch, front_door, fargate_arch),
        })
        .collect();
    let managed_break_even = MANAGED_BREAK_EVENS
        .iter()
        .map(|&(lambda_arch, front_door, managed_arch)| ManagedBreakEvenLine {
            lambda_arch,
            front_door,
            managed_arch,
            monthly_requests: model.managed_break_even(lambda_arch, front_door, managed_arch),
        })
        .collect();
    CostSummary {
        prices_as_of: model.prices.as_of.clone(),
        region: model.prices.region.clone(),
        memory_mb: params.memory_mb,
        utilisation: params.utilisation,
        task_vcpu: params.task_vcpu,
        task_memory_gb: params.task_memory_gb,
        min_tasks: params.min_tasks,
        inputs,
        billed_ms: model.billed_ms,
        rps_per_vcpu: model.rps_per_vcpu,
        lambda_per_million,
        steady,
        break_even,
        managed_break_even,
        prices: model.prices.clone(),
    }
}

fn money(v: Option<f64>) -> String {
    v.map_or_else(|| format::MISSING.to_owned(), format::usd)
}

/// The cost section of `report.md`.
pub(crate) fn markdown(s: &CostSummary, model: &Model<'_>, notes: &mut Vec<String>) -> String {
    let p = &s.prices;
    let mut out = format!(
        "## Cost model\n\nMeasured figures in, dollars out. Prices: `benches/data/prices.toml`, as of \
         **{}**, {} on-demand list prices in {} (first tier; no free tier, Savings Plans, data \
         transfer, public IPv4 or NAT). Override with `--prices FILE` or `--set key=value`.\n\n",
        p.as_of, p.region, p.currency
    );
    let mut t = Table::new(&["input", "value", "from"]).text(&[2]);
    let measured_ms = s.inputs.measured_mean_ms.map(|v| format!("{v:.3} ms"));
    t.row(vec![
        "Lambda warm duration (mean)".into(),
        measured_ms.unwrap_or_else(|| format::MISSING.into()),
        s.inputs.lambda_run.clone().map_or_else(|| "not measured".into(), |r| format!("stand-in, `{r}`")),
    ]);
    t.row(vec![
        "billed duration".into(),
        s.billed_ms.map_or_else(|| format::MISSING.into(), |b| format!("{b:.0} ms")),
        "rounded up to 1 ms".into(),
    ]);
    t.row(vec![
        "Lambda memory".into(),
        format!("{} MB ({} GB)", s.memory_mb, f64::from(s.memory_mb) / 1024.0),
        "`--memory-mb`".into(),
    ]);
    t.row(vec!["Lambda arm64 per GB-s".into(), format::price(p.lambda.arm64.gb_second), p.lambda.arm64.source.clone()]);
    t.row(vec![
        "Lambda x86_64 per GB-s".into(),
        format::price(p.lambda.x86_64.gb_second),
        p.lambda.x86_64.source.clone(),
    ]);
    t.row(vec![
        "Lambda requests per 1M".into(),
        format::price(p.lambda.request_per_million),
        p.lambda.request_source.clone(),
    ]);
    t.row(vec!["Function URL per 1M".into(), format::price(p.function_url.per_million), p.function_url.source.clone()]);
    t.row(vec![
        "API Gateway HTTP API per 1M".into(),
        format::price(p.api_gateway.http_api_per_million),
        p.api_gateway.source.clone(),
    ]);
    t.row(vec![
        "API Gateway REST API per 1M (reference)".into(),
        format::price(p.api_gateway.rest_api_per_million),
        p.api_gateway.source.clone(),
    ]);
    t.row(vec![
        "throughput per vCPU".into(),
        s.rps_per_vcpu.map_or_else(|| format::MISSING.into(), |r| format!("{r:.0} requests/s")),
        s.inputs.load_run.clone().unwrap_or_else(|| "not measured".into()),
    ]);
    t.row(vec![
        "Fargate task".into(),
        format!("{} vCPU, {} GB", s.task_vcpu, s.task_memory_gb),
        "`--task-vcpu`, `--task-gb`".into(),
    ]);
    t.row(vec!["target utilisation".into(), format!("{:.0}%", s.utilisation * 100.0), "`--utilisation`".into()]);
    t.row(vec![
        "minimum tasks".into(),
        s.min_tasks.to_string(),
        "`--min-tasks` (1: cheapest always-on; 2 for two AZs)".into(),
    ]);
    for arch in Arch::ALL {
        let f = p.fargate(arch);
        t.row(vec![
            format!("Fargate {} per vCPU-h / GB-h", arch.name()),
            format!("{} / {}", format::price(f.vcpu_hour), format::price(f.gb_hour)),
            f.source.clone(),
        ]);
    }
    t.row(vec![
        "ALB per hour / per LCU-hour".into(),
        format!("{} / {}", format::price(p.alb.hour), format::price(p.alb.lcu_hour)),
        p.alb.source.clone(),
    ]);
    let mi = &p.managed_instances;
    for arch in Arch::ALL {
        let i = p.managed_instance(arch);
        t.row(vec![
            format!("Managed Instances {} instance, per hour", arch.name()),
            format!("{} ({} vCPU, {} GB): {}", i.instance, i.vcpus, i.memory_gb, format::price(i.hour)),
            i.source.clone(),
        ]);
    }
    t.row(vec![
        "Managed Instances management fee".into(),
        format!("{}% of the EC2 price", mi.management_fee * 100.0),
        mi.source.clone(),
    ]);
    t.row(vec![
        "Managed Instances minimum".into(),
        format!("{} instances", mi.min_instances),
        "`--set managed_instances.min_instances=N` (3: three AZs)".into(),
    ]);
    let a = &p.assumptions;
    t.row(vec!["ALB bytes per request".into(), format!("{}", a.alb_bytes_per_request), "assumption".into()]);
    t.row(vec!["requests per connection".into(), format!("{}", a.alb_requests_per_connection), "assumption".into()]);
    t.row(vec!["hours a month".into(), format!("{}", a.hours_per_month), "AWS's billing month".into()]);
    out.push_str(&t.render());

    out.push_str("### Formulas\n\n");
    out.push_str(&formulas(s, model));

    out.push_str("### Lambda: cost of 1M tools/calls\n\n");
    let mut t = Table::new(&["architecture", FrontDoor::FunctionUrl.name(), FrontDoor::HttpApi.name()]);
    for arch in Arch::ALL {
        let pick = |door| {
            s.lambda_per_million.iter().find(|l| l.arch == arch && l.front_door == door).and_then(|l| l.per_million_usd)
        };
        t.row(vec![arch.name().to_owned(), money(pick(FrontDoor::FunctionUrl)), money(pick(FrontDoor::HttpApi))]);
    }
    out.push_str(&t.render());

    out.push_str(
        "### Fargate (+ ALB) and Lambda Managed Instances at a steady rate, against Lambda behind a Function URL\n\n",
    );
    let mut t = Table::new(&[
        "rate",
        "calls a month",
        "tasks",
        "Fargate arm64 a month",
        "per 1M calls",
        "Fargate x86_64 a month",
        "per 1M calls",
        "instances",
        "Managed Instances arm64 a month",
        "per 1M calls",
        "Managed Instances x86_64 a month",
        "per 1M calls",
        "Lambda arm64 a month",
        "Lambda x86_64 a month",
    ]);
    for r in &s.steady {
        let per_m = |v: Option<f64>| money(v.map(|v| v / r.monthly_requests * 1e6));
        t.row(vec![
            format!("{} req/s", r.rate_rps),
            format::count(r.monthly_requests),
            r.fargate_tasks.map_or_else(|| format::MISSING.into(), |n| n.to_string()),
            money(r.fargate_monthly_usd[0]),
            per_m(r.fargate_monthly_usd[0]),
            money(r.fargate_monthly_usd[1]),
            per_m(r.fargate_monthly_usd[1]),
            match r.managed_instances {
                [Some(a), Some(x)] if a != x => format!("{a} / {x}"),
                [n, _] => n.map_or_else(|| format::MISSING.into(), |n| n.to_string()),
            },
            money(r.managed_monthly_usd[0]),
            per_m(r.managed_monthly_usd[0]),
            money(r.managed_monthly_usd[1]),
            per_m(r.managed_monthly_usd[1]),
            money(r.lambda_furl_monthly_usd[0]),
            money(r.lambda_furl_monthly_usd[1]),
        ]);
    }
    out.push_str(&t.render());

    out.push_str("### Break-even\n\n");
    let mut t = Table::new(&["Lambda", "Fargate", "calls a month", "steady rate", "Fargate tasks there"]).text(&[1]);
    for b in &s.break_even {
        let lambda = format!("{} + {}", b.lambda_arch.name(), b.front_door.name());
        let fargate = format!("{} + ALB", b.fargate_arch.name());
        match b.monthly_requests {
            Some(v) => {
                let rate = model.rate(v);
                let tasks = model.tasks(rate).map_or_else(|| format::MISSING.into(), |n| n.to_string());
                t.row(vec![lambda, fargate, format::count(v), format!("{rate:.1} req/s"), tasks]);
            }
            None => t.row(vec![lambda, fargate, "none".into()]),
        }
    }
    out.push_str(&t.render());
    out.push_str("Below the break-even volume Lambda costs less; above it the always-on Fargate service does.\n\n");
    let mut t =
        Table::new(&["Lambda", "Managed Instances", "calls a month", "steady rate", "instances there"]).text(&[1]);
    for b in &s.managed_break_even {
        let lambda = format!("{} + {}", b.lambda_arch.name(), b.front_door.name());
        let managed = format!("{} ({})", b.managed_arch.name(), p.managed_instance(b.managed_arch).instance);
        match b.monthly_requests {
            Some(v) => {
                let rate = model.rate(v);
                let n = model.managed_instances(b.managed_arch, rate);
                let n = n.map_or_else(|| format::MISSING.into(), |n| n.to_string());
                t.row(vec![lambda, managed, format::count(v), format!("{rate:.1} req/s"), n]);
            }
            None => t.row(vec![lambda, managed, "none".into()]),
        }
    }
    out.push_str(&t.render());
    out.push_str(
        "Below this volume classic Lambda costs less; above it Lambda Managed Instances do. Both pay the \
         request price, so the instances, always on, are set against the GB-second duration charge alone.\n\n",
    );

    if s.billed_ms.is_none() {
        notes.push("Lambda cost not computed: results.json holds no mcp-handler Lambda run.".to_owned());
    }
    if s.rps_per_vcpu.is_none() {
        notes.push(
            "Fargate and Managed Instances cost not computed: results.json holds no mcp-handler `call` run at \
             50 connections."
                .to_owned(),
        );
    }
    notes.push(
        "Cost model: both Lambda architectures use the same measured duration (the stand-in ran on this \
         machine's architecture only; no per-architecture figure exists). API Gateway is priced at its \
         first tier throughout (above 300 M calls a month it is $0.90 per 1M, so the top of the chart \
         overstates it by up to 10%)."
            .to_owned(),
    );
    if s.rps_per_vcpu.is_some() {
        notes.push(
            "Cost model: Lambda Managed Instances use the same measured throughput per vCPU and utilisation as \
             Fargate (one process serves many invocations at once); a Graviton vCPU is a core, an Intel one a \
             hardware thread, so x86_64 may serve less per vCPU. On-demand EC2 prices: Savings Plans and \
             Reserved Instances, which apply to these instances, are left out."
                .to_owned(),
        );
    }
    if let (Some(per_vcpu), Some(b)) = (s.rps_per_vcpu, s.break_even.first().and_then(|b| b.monthly_requests)) {
        let busy = model.rate(b) / (per_vcpu * s.task_vcpu * f64::from(s.min_tasks)) * 100.0;
        notes.push(format!(
            "Cost model: the throughput per vCPU is one pinned core of this machine; a Fargate vCPU is one \
             hardware thread and may serve less. At the arm64 break-even the tasks are {busy:.1}% busy, so that \
             figure rests on the minimum task count and the fixed ALB charge, not on throughput; \
             throughput sets the cost only once more than the minimum of tasks is needed.",
        ));
    }
    out
}

/// The Managed Instances formula, with its inputs filled in.
fn managed_formula(s: &CostSummary, model: &Model<'_>) -> String {
    let p = &s.prices;
    let mi = &p.managed_instances;
    let (arm, x86) = (p.managed_instance(Arch::Arm64), p.managed_instance(Arch::X86_64));
    let hours = p.assumptions.hours_per_month;
    let count = match (s.rps_per_vcpu, model.instance_capacity(Arch::Arm64)) {
        (Some(r), Some(cap)) => format!(
            "the larger of {} (minimum, three AZs) and ⌈R ÷ (throughput per vCPU × vCPUs per instance × \
             utilisation)⌉ = ⌈R ÷ ({r:.0} × {} × {})⌉ = ⌈R ÷ {cap:.0}⌉ for {}",
            mi.min_instances, arm.vcpus, s.utilisation, arm.instance
        ),
        _ => "not computed (no measured throughput)".to_owned(),
    };
    format!(
        "- **Lambda Managed Instances a month** = instances × {hours} h × EC2 price per hour × (1 + {} \
         management fee) + calls × {} per 1M requests ÷ 10⁶ (Function URL: {}; no GB-second charge); \
         instances at a steady rate R = {count}. One {}: {hours} × {} × {} = {}; the floor of {}: {}; one {}: {}.\n",
        mi.management_fee,
        format::price(p.lambda.request_per_million),
        format::price(p.function_url.per_million),
        arm.instance,
        format::price(arm.hour),
        1.0 + mi.management_fee,
        format::usd(model.instance_hourly(Arch::Arm64) * hours),
        mi.min_instances,
        format::usd(model.instance_hourly(Arch::Arm64) * hours * f64::from(mi.min_instances)),
        x86.instance,
        format::usd(model.instance_hourly(Arch::X86_64) * hours),
    )
}

/// The formulas in words, each with its inputs filled in.
fn formulas(s: &CostSummary, model: &Model<'_>) -> String {
    let p = &s.prices;
    let gb = f64::from(s.memory_mb) / 1024.0;
    let mut out = String::new();
    match (s.billed_ms, model.lambda_per_million(Arch::Arm64, FrontDoor::FunctionUrl)) {
        (Some(b), Some(total)) => out.push_str(&format!(
            "- **Lambda, per 1M calls** = 1 000 000 × billed duration (s) × memory (GB) × price per GB-s \
             + request price per 1M + front-door price per 1M. arm64 behind a Function URL: \
             1 000 000 × {:.3} s × {gb} GB × {} + {} + {} = **{}**.\n",
            b / 1000.0,
            format::price(p.lambda.arm64.gb_second),
            format::price(p.lambda.request_per_million),
            format::price(p.function_url.per_million),
            format::usd(total),
        )),
        _ => out.push_str("- **Lambda, per 1M calls**: not computed (no measured duration).\n"),
    }
    match (s.rps_per_vcpu, model.task_capacity()) {
        (Some(r), Some(cap)) => out.push_str(&format!(
            "- **Fargate tasks** at a steady rate R = the larger of {} (minimum) and ⌈R ÷ (throughput per vCPU \
             × vCPU per task × utilisation)⌉ = ⌈R ÷ ({r:.0} × {} × {})⌉ = ⌈R ÷ {cap:.0}⌉.\n",
            s.min_tasks, s.task_vcpu, s.utilisation
        )),
        _ => out.push_str("- **Fargate tasks**: not computed (no measured throughput).\n"),
    }
    let hours = p.assumptions.hours_per_month;
    out.push_str(&format!(
        "- **Fargate a month** = tasks × {hours} h × (vCPU × price per vCPU-h + GB × price per GB-h) + ALB. \
         One arm64 task: {hours} × ({} × {} + {} × {}) = {}; x86_64: {}.\n",
        s.task_vcpu,
        format::price(p.fargate.arm64.vcpu_hour),
        s.task_memory_gb,
        format::price(p.fargate.arm64.gb_hour),
        format::usd(model.task_hourly(Arch::Arm64) * hours),
        format::usd(model.task_hourly(Arch::X86_64) * hours),
    ));
    out.push_str(&managed_formula(s, model));
    out.push_str(&format!(
        "- **ALB a month** = {hours} h × ({} + {} × LCUs); LCUs = the larger of R × {} bytes × 3600 ÷ 10⁹ \
         (processed bytes) and R ÷ {} ÷ 25 (new connections). Idle: {}.\n",
        format::price(p.alb.hour),
        format::price(p.alb.lcu_hour),
        p.assumptions.alb_bytes_per_request,
        p.assumptions.alb_requests_per_connection,
        format::usd(model.alb_monthly(0.0)),
    ));
    out.push_str(&format!(
        "- **Calls a month** at a steady rate R = R × {hours} h × 3600 s. **Cost of 1M calls** on Fargate = \
         the month's cost ÷ the month's calls × 10⁶.\n\
         - **Break-even** = the monthly volume where Lambda's cost equals Fargate's (found numerically; \
         while the minimum of tasks suffices it is (tasks + ALB hours a month) ÷ (Lambda per call − ALB \
         per call)).\n"
    ));
    if let (Some(mean), Some(billed)) = (s.inputs.measured_mean_ms, s.billed_ms) {
        let scaled = mean * (FULL_VCPU_MB / f64::from(s.memory_mb)).max(1.0);
        let scaled_billed = super::cost::billed_ms(scaled * 1000.0);
        let effect = if scaled_billed > billed {
            format!("billed {scaled_billed:.0} ms instead of {billed:.0} ms")
        } else {
            format!("still billed {billed:.0} ms")
        };
        out.push_str(&format!(
            "- **Sensitivity**: Lambda gives {} MB about {:.2} of a vCPU (a full one at {FULL_VCPU_MB} MB). \
             If the call is CPU-bound, {mean:.3} ms measured on a full core becomes about {scaled:.3} ms \
             there: {effect}.\n",
            s.memory_mb,
            (f64::from(s.memory_mb) / FULL_VCPU_MB).min(1.0),
        ));
    }
    out.push('\n');
    out
}
