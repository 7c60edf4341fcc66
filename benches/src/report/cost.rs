//! The cost model: measured duration and throughput in, dollars out.
//!
//! Lambda bills each call's duration (rounded up to 1 ms) times its memory
//! in GB-seconds, plus a price per request, plus whatever front door carries
//! the HTTP request (a Function URL adds nothing, API Gateway its own price
//! per request). Fargate bills the tasks that run, by the hour, whether busy
//! or not, plus the load balancer in front of them. So Lambda's cost grows
//! with the volume from zero and Fargate's starts at a floor and grows in
//! steps; the break-even is the volume where the two are equal. Lambda
//! Managed Instances (`cost_managed`) bill EC2 instances the same way, in
//! steps from a floor, plus Lambda's request price.

use serde::Serialize;

use super::aggregate::{Aggregated, MAIN_CONNECTIONS, OURS, STATIC};
use super::prices::{Arch, Prices};

/// One ALB LCU covers this many processed bytes an hour (1 GB).
const LCU_BYTES_PER_HOUR: f64 = 1e9;
/// One ALB LCU covers this many new connections a second.
const LCU_NEW_CONNECTIONS_PER_SECOND: f64 = 25.0;
/// The steady request rates the Fargate table is computed at, per second.
pub(crate) const STEADY_RATES: [f64; 5] = [1.0, 10.0, 100.0, 1000.0, 10_000.0];

/// The model's choices that are not prices: Lambda memory, Fargate task size,
/// utilisation and the always-on minimum of tasks.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CostParams {
    /// Lambda memory, MB (128–10240). Default 512.
    pub memory_mb: u32,
    /// The share of a task's measured capacity it is run at (0–1]. Default 0.6.
    pub utilisation: f64,
    /// vCPUs per Fargate task. Default 0.25.
    pub task_vcpu: f64,
    /// Memory per Fargate task, GB. Default 0.5.
    pub task_memory_gb: f64,
    /// Tasks that run however low the load. Default 1: the cheapest
    /// always-on service; 2 spreads it over two availability zones.
    pub min_tasks: u32,
}

impl Default for CostParams {
    fn default() -> Self {
        Self { memory_mb: 512, utilisation: 0.6, task_vcpu: 0.25, task_memory_gb: 0.5, min_tasks: 1 }
    }
}

impl CostParams {
    /// Lambda memory in MB.
    pub fn with_memory_mb(mut self, memory_mb: u32) -> Self {
        self.memory_mb = memory_mb;
        self
    }

    /// Target utilisation of a Fargate task's measured capacity.
    pub fn with_utilisation(mut self, utilisation: f64) -> Self {
        self.utilisation = utilisation;
        self
    }

    /// Fargate task size.
    pub fn with_task(mut self, vcpu: f64, memory_gb: f64) -> Self {
        self.task_vcpu = vcpu;
        self.task_memory_gb = memory_gb;
        self
    }

    /// The always-on minimum of Fargate tasks.
    pub fn with_min_tasks(mut self, min_tasks: u32) -> Self {
        self.min_tasks = min_tasks;
        self
    }

    /// Rejects values no deployment can have.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!((128..=10_240).contains(&self.memory_mb), "Lambda memory must be 128–10240 MB");
        anyhow::ensure!(self.utilisation > 0.0 && self.utilisation <= 1.0, "utilisation must be in (0, 1]");
        anyhow::ensure!(self.task_vcpu > 0.0 && self.task_vcpu <= 16.0, "task vCPU must be in (0, 16]");
        anyhow::ensure!(
            self.task_memory_gb > 0.0 && self.task_memory_gb <= 120.0,
            "task memory must be in (0, 120] GB"
        );
        anyhow::ensure!((1..=1000).contains(&self.min_tasks), "minimum tasks must be 1–1000");
        Ok(())
    }
}

/// What carries the HTTP request to the Lambda function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum FrontDoor {
    #[serde(rename = "function-url")]
    FunctionUrl,
    #[serde(rename = "api-gateway-http")]
    HttpApi,
}

impl FrontDoor {
    pub(crate) fn name(self) -> &'static str {
        match self {
            FrontDoor::FunctionUrl => "Function URL",
            FrontDoor::HttpApi => "API Gateway HTTP API",
        }
    }
}

/// The measured inputs with the prices and choices: every cost is a method.
pub(crate) struct Model<'a> {
    pub(crate) prices: &'a Prices,
    pub(crate) params: &'a CostParams,
    /// Billed Lambda duration of one call, ms; `None` when not measured.
    pub(crate) billed_ms: Option<f64>,
    /// Measured `call` requests/s of one core; `None` when not measured.
    pub(crate) rps_per_vcpu: Option<f64>,
}

/// Lambda bills duration rounded up to the next millisecond, at least 1 ms.
pub(crate) fn billed_ms(mean_us: f64) -> f64 {
    (mean_us / 1000.0).ceil().max(1.0)
}

impl Model<'_> {
    fn memory_gb(&self) -> f64 {
        f64::from(self.params.memory_mb) / 1024.0
    }

    fn seconds_per_month(&self) -> f64 {
        self.prices.assumptions.hours_per_month * 3600.0
    }

    /// The steady rate (requests/s) a monthly volume means.
    pub(crate) fn rate(&self, monthly_requests: f64) -> f64 {
        monthly_requests / self.seconds_per_month()
    }

    /// The monthly volume a steady rate means.
    pub(crate) fn volume(&self, rate: f64) -> f64 {
        rate * self.seconds_per_month()
    }

    /// Dollars per million calls on Lambda.
    pub(crate) fn lambda_per_million(&self, arch: Arch, door: FrontDoor) -> Option<f64> {
        let gb_seconds = 1e6 * self.billed_ms? / 1000.0 * self.memory_gb();
        let door_price = match door {
            FrontDoor::FunctionUrl => self.prices.function_url.per_million,
            FrontDoor::HttpApi => self.prices.api_gateway.http_api_per_million,
        };
        Some(gb_seconds * self.prices.lambda_gb_second(arch) + self.prices.lambda.request_per_million + door_price)
    }

    /// Dollars a month on Lambda for a monthly volume.
    pub(crate) fn lambda_monthly(&self, arch: Arch, door: FrontDoor, monthly_requests: f64) -> Option<f64> {
        Some(self.lambda_per_million(arch, door)? * monthly_requests / 1e6)
    }

    /// Requests/s one task serves at the target utilisation.
    pub(crate) fn task_capacity(&self) -> Option<f64> {
        Some(self.rps_per_vcpu? * self.params.task_vcpu * self.params.utilisation)
    }

    /// Tasks needed at a steady rate, never fewer than the minimum.
    pub(crate) fn tasks(&self, rate: f64) -> Option<u64> {
        let capacity = self.task_capacity()?;
        if capacity <= 0.0 {
            return None;
        }
        Some(((rate / capacity).ceil() as u64).max(u64::from(self.params.min_tasks)))
    }

    /// Dollars an hour for one running task.
    pub(crate) fn task_hourly(&self, arch: Arch) -> f64 {
        let p = self.prices.fargate(arch);
        self.params.task_vcpu * p.vcpu_hour + self.params.task_memory_gb * p.gb_hour
    }

    /// LCUs an ALB consumes at a steady rate: the larger of the processed-bytes
    /// and the new-connections dimensions (the other two stay below one LCU
    /// for short requests with at most ten rules).
    pub(crate) fn alb_lcus(&self, rate: f64) -> f64 {
        let a = &self.prices.assumptions;
        let bytes = rate * a.alb_bytes_per_request * 3600.0 / LCU_BYTES_PER_HOUR;
        let connections = rate / a.alb_requests_per_connection / LCU_NEW_CONNECTIONS_PER_SECOND;
        bytes.max(connections)
    }

    /// Dollars a month for the ALB at a steady rate.
    pub(crate) fn alb_monthly(&self, rate: f64) -> f64 {
        (self.prices.alb.hour + self.prices.alb.lcu_hour * self.alb_lcus(rate))
            * self.prices.assumptions.hours_per_month
    }

    /// Dollars a month on Fargate (tasks + ALB) for a monthly volume at a steady rate.
    pub(crate) fn fargate_monthly(&self, arch: Arch, monthly_requests: f64) -> Option<f64> {
        let rate = self.rate(monthly_requests);
        let tasks = self.tasks(rate)? as f64;
        Some(tasks * self.task_hourly(arch) * self.prices.assumptions.hours_per_month + self.alb_monthly(rate))
    }

    /// The monthly volume where Lambda behind `door` costs what Fargate does
    /// (see [`break_even`]; with the minimum task count it is F₀ / (l − a),
    /// see the tests).
    pub(crate) fn break_even(&self, lambda_arch: Arch, door: FrontDoor, fargate_arch: Arch) -> Option<f64> {
        break_even(|v| self.lambda_monthly(lambda_arch, door, v), |v| self.fargate_monthly(fargate_arch, v))
    }
}

/// The monthly volume where `per_call` (a cost growing from zero with the
/// volume) reaches `always_on` (a floor that grows in steps), found on a log
/// grid from one request a month and refined by bisection: the steps leave no
/// closed form in general. `None` when either is not priced, or when
/// `per_call` stays cheaper up to 10¹⁵ requests a month.
pub(crate) fn break_even(per_call: impl Fn(f64) -> Option<f64>, always_on: impl Fn(f64) -> Option<f64>) -> Option<f64> {
    let gap = |v: f64| -> Option<f64> { Some(per_call(v)? - always_on(v)?) };
    let mut low = 1.0;
    if gap(low)? >= 0.0 {
        return Some(low);
    }
    for step in 1..=150 {
        let high = 10f64.powf(f64::from(step) / 10.0);
        if gap(high)? >= 0.0 {
            let mut high = high;
            for _ in 0..100 {
                let mid = (low * high).sqrt();
                if gap(mid)? >= 0.0 { high = mid } else { low = mid }
            }
            return Some(high);
        }
        low = high;
    }
    None
}

/// Where the measured inputs came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Inputs {
    /// The Lambda run the duration is read from (`system mode`).
    pub(crate) lambda_run: Option<String>,
    /// Its warm mean duration, ms.
    pub(crate) measured_mean_ms: Option<f64>,
    /// The load run the throughput per vCPU is read from.
    pub(crate) load_run: Option<String>,
}

/// Picks the measured inputs: mcp-handler's warm mean Lambda duration
/// (buffered mode first) and its `call` throughput on one core, of the
/// container image's build where it ran (that is what Fargate runs), else
/// of the glibc build.
pub(crate) fn measured_inputs(agg: &Aggregated) -> (Inputs, Option<f64>, Option<f64>) {
    let mut lambda = None;
    'found: for system in [OURS, "mcp-handler-no-sdk"] {
        for mode in ["buffered", "streaming"] {
            if let Some(cell) = agg.lambda(system, mode) {
                lambda = Some((format!("{system} {mode}"), cell.warm_us.mean));
                break 'found;
            }
        }
    }
    // One core measured: that is a vCPU's throughput. Otherwise the fewest
    // cores measured, divided by their count (assumes linear scaling).
    let mut load = None;
    'load: for system in [STATIC, OURS] {
        for cores in agg.core_counts() {
            if let Some(cell) = agg.closed(system, "call", cores, MAIN_CONNECTIONS) {
                let label = format!("{system} call, {cores} core(s), {MAIN_CONNECTIONS} connections");
                load = Some((label, cell.rps / f64::from(cores)));
                break 'load;
            }
        }
    }
    let inputs = Inputs {
        lambda_run: lambda.as_ref().map(|l| l.0.clone()),
        measured_mean_ms: lambda.as_ref().map(|l| l.1 / 1000.0),
        load_run: load.as_ref().map(|l| l.0.clone()),
    };
    (inputs, lambda.map(|l| billed_ms(l.1)), load.map(|l| l.1))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A model with 1 ms billed and 20 000 req/s per vCPU (the cost tests' inputs).
    pub(in crate::report) fn model<'a>(prices: &'a Prices, params: &'a CostParams) -> Model<'a> {
        Model { prices, params, billed_ms: Some(1.0), rps_per_vcpu: Some(20_000.0) }
    }

    /// Equal to a relative 10⁻⁹.
    pub(in crate::report) fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1e-12)
    }

    #[test]
    fn billed_duration_rounds_up_to_whole_milliseconds() {
        assert_eq!(billed_ms(180.0), 1.0);
        assert_eq!(billed_ms(1000.0), 1.0);
        assert_eq!(billed_ms(1000.5), 2.0);
        assert_eq!(billed_ms(0.0), 1.0);
    }

    #[test]
    fn lambda_cost_of_a_million_calls() {
        let prices = Prices::embedded(&[]).expect("prices");
        let params = CostParams::default();
        let m = model(&prices, &params);
        // 1e6 calls × 0.001 s × 512/1024 GB = 500 GB-s.
        // arm64: 500 × 0.0000133334 = 0.0066667, + $0.20 requests = 0.2066667.
        let arm = m.lambda_per_million(Arch::Arm64, FrontDoor::FunctionUrl).expect("arm64");
        assert!(close(arm, 0.2066667), "{arm}");
        // x86_64: 500 × 0.0000166667 = 0.00833335, + 0.20 = 0.20833335.
        let x86 = m.lambda_per_million(Arch::X86_64, FrontDoor::FunctionUrl).expect("x86");
        assert!(close(x86, 0.20833335), "{x86}");
        // Behind API Gateway HTTP API: + $1.00 = 1.2066667.
        let apigw = m.lambda_per_million(Arch::Arm64, FrontDoor::HttpApi).expect("apigw");
        assert!(close(apigw, 1.2066667), "{apigw}");
        // 1024 MB doubles the GB-s: 1000 × 0.0000133334 = 0.0133334, + 0.20.
        let big = CostParams::default().with_memory_mb(1024);
        let m = model(&prices, &big);
        assert!(close(m.lambda_per_million(Arch::Arm64, FrontDoor::FunctionUrl).expect("1 GB"), 0.2133334));
    }

    #[test]
    fn fargate_tasks_and_monthly_cost() {
        let prices = Prices::embedded(&[]).expect("prices");
        let params = CostParams::default();
        let m = model(&prices, &params);
        // One 0.25 vCPU task at 60 % of 20 000 rps/vCPU serves 3000 rps.
        assert_eq!(m.task_capacity(), Some(3000.0));
        assert_eq!(m.tasks(0.0), Some(1));
        assert_eq!(m.tasks(3000.0), Some(1));
        assert_eq!(m.tasks(3000.1), Some(2));
        assert_eq!(m.tasks(10_000.0), Some(4));
        // arm64 task: 0.25 × 0.03238 + 0.5 × 0.00356 = 0.009875 $/h.
        assert!(close(m.task_hourly(Arch::Arm64), 0.009875));
        // 100 rps for a month: 100 × 730 × 3600 = 262.8 M requests; one task,
        // 730 h × 0.009875 = 7.20875; ALB bytes: 100 × 1024 × 3600 / 1e9 =
        // 0.36864 LCU (connections: 100 / 100 / 25 = 0.04), so ALB =
        // (0.0225 + 0.008 × 0.36864) × 730 = 18.5778576. Total 25.7866076.
        let v = m.volume(100.0);
        assert!(close(v, 262_800_000.0));
        assert!(close(m.alb_lcus(100.0), 0.36864));
        let monthly = m.fargate_monthly(Arch::Arm64, v).expect("monthly");
        assert!(close(monthly, 25.7866076), "{monthly}");
    }

    #[test]
    fn min_tasks_raises_the_floor() {
        let prices = Prices::embedded(&[]).expect("prices");
        let params = CostParams::default().with_min_tasks(2);
        let m = model(&prices, &params);
        assert_eq!(m.tasks(1.0), Some(2));
        // Two x86 tasks: 2 × (0.25 × 0.04048 + 0.5 × 0.004445) × 730 = 18.02005,
        // + an idle ALB 0.0225 × 730 = 16.425 → 34.44505 (no LCUs at 0 requests).
        let monthly = m.fargate_monthly(Arch::X86_64, 0.0).expect("monthly");
        assert!(close(monthly, 34.44505), "{monthly}");
    }

    #[test]
    fn break_even_matches_the_closed_form() {
        let prices = Prices::embedded(&[]).expect("prices");
        let params = CostParams::default();
        let m = model(&prices, &params);
        // With one task the whole way: Lambda(V) = l·V, Fargate(V) = F₀ + a·V.
        // l = 0.2066667e-6 $/request (arm64, Function URL);
        // F₀ = 7.20875 (task) + 16.425 (ALB hours) = 23.63375 $/month;
        // a = 0.008 $/LCU-h × 1024 B / 1e9 B = 8.192e-9 $/request.
        // V* = 23.63375 / (0.2066667e-6 − 8.192e-9) = 119 076 890 a month, 45 rps,
        // far below the task's 3000 rps, so one task is right.
        let expected = 23.63375 / (0.2066667e-6 - 8.192e-9);
        let found = m.break_even(Arch::Arm64, FrontDoor::FunctionUrl, Arch::Arm64).expect("a break-even");
        assert!((found - expected).abs() / expected < 1e-9, "{found} vs {expected}");
        assert!((1.19e8..1.20e8).contains(&found));
        // Behind API Gateway Lambda costs ~6× more a call, so it breaks even earlier.
        let apigw = m.break_even(Arch::Arm64, FrontDoor::HttpApi, Arch::Arm64).expect("apigw");
        assert!(apigw < found / 5.0);
    }

    #[test]
    fn no_break_even_when_lambda_is_free_per_call() {
        let sets = ["lambda.request_per_million=0".to_owned(), "lambda.arm64.gb_second=0".to_owned()];
        let prices = Prices::embedded(&sets).expect("prices");
        let params = CostParams::default();
        assert_eq!(model(&prices, &params).break_even(Arch::Arm64, FrontDoor::FunctionUrl, Arch::Arm64), None);
    }

    #[test]
    fn unmeasured_inputs_give_no_figures() {
        let prices = Prices::embedded(&[]).expect("prices");
        let params = CostParams::default();
        let m = Model { prices: &prices, params: &params, billed_ms: None, rps_per_vcpu: None };
        assert_eq!(m.lambda_per_million(Arch::Arm64, FrontDoor::FunctionUrl), None);
        assert_eq!(m.fargate_monthly(Arch::Arm64, 1e6), None);
        assert_eq!(m.break_even(Arch::Arm64, FrontDoor::FunctionUrl, Arch::Arm64), None);
    }

    #[test]
    fn fargate_throughput_is_the_container_builds_where_it_ran() {
        use crate::report::aggregate::tests::run;
        use crate::results::Results;
        let glibc = run(OURS, 1, 100_000.0, 1.0, None);
        let only_glibc = Results { load: vec![glibc.clone()], ..Results::default() };
        let (inputs, _, rps) = measured_inputs(&Aggregated::from_results(&only_glibc));
        assert_eq!(rps, Some(100_000.0));
        assert_eq!(inputs.load_run.as_deref(), Some("mcp-handler call, 1 core(s), 50 connections"));
        let both = Results { load: vec![glibc, run(STATIC, 1, 90_000.0, 1.0, None)], ..Results::default() };
        let (inputs, _, rps) = measured_inputs(&Aggregated::from_results(&both));
        assert_eq!(rps, Some(90_000.0));
        assert_eq!(inputs.load_run.as_deref(), Some("mcp-handler-static call, 1 core(s), 50 connections"));
    }

    #[test]
    fn params_reject_impossible_values() {
        assert!(CostParams::default().validate().is_ok());
        assert!(CostParams::default().with_memory_mb(64).validate().is_err());
        assert!(CostParams::default().with_utilisation(0.0).validate().is_err());
        assert!(CostParams::default().with_utilisation(1.5).validate().is_err());
        assert!(CostParams::default().with_task(0.0, 0.5).validate().is_err());
        assert!(CostParams::default().with_min_tasks(0).validate().is_err());
    }
}
