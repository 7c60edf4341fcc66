//! Lambda Managed Instances in the cost model: the function runs on EC2
//! instances of a capacity provider, many invocations at once in one
//! execution environment. AWS bills the instances by the hour at the EC2
//! on-demand price plus a management fee (a share of that price), and
//! Lambda's request price per call; there is no GB-second duration charge.
//! One Rust process serves many invocations at once, as a Fargate task does,
//! so an instance serves the measured throughput per vCPU × its vCPUs × the
//! target utilisation, and the instance count steps up like the task count,
//! from a minimum of instances spread over the Availability Zones.

use super::cost::{self, FrontDoor, Model};
use super::prices::Arch;

impl Model<'_> {
    /// Requests/s one instance serves at the target utilisation.
    pub(crate) fn instance_capacity(&self, arch: Arch) -> Option<f64> {
        let vcpus = f64::from(self.prices.managed_instance(arch).vcpus);
        Some(self.rps_per_vcpu? * vcpus * self.params.utilisation)
    }

    /// Instances needed at a steady rate, never fewer than the minimum.
    pub(crate) fn managed_instances(&self, arch: Arch, rate: f64) -> Option<u64> {
        let capacity = self.instance_capacity(arch)?;
        if capacity <= 0.0 {
            return None;
        }
        let min = u64::from(self.prices.managed_instances.min_instances);
        Some(((rate / capacity).ceil() as u64).max(min))
    }

    /// Dollars an hour for one instance: the EC2 price plus the management fee.
    pub(crate) fn instance_hourly(&self, arch: Arch) -> f64 {
        self.prices.managed_instance(arch).hour * (1.0 + self.prices.managed_instances.management_fee)
    }

    /// Dollars a month on Lambda Managed Instances for a monthly volume at a
    /// steady rate: the instances, plus the request price of every call (the
    /// Function URL in front adds its own price, nothing at list prices).
    /// `None` when the throughput was not measured.
    pub(crate) fn managed_monthly(&self, arch: Arch, monthly_requests: f64) -> Option<f64> {
        let instances = self.managed_instances(arch, self.rate(monthly_requests))? as f64;
        let per_million = self.prices.lambda.request_per_million + self.prices.function_url.per_million;
        Some(
            instances * self.instance_hourly(arch) * self.prices.assumptions.hours_per_month
                + monthly_requests * per_million / 1e6,
        )
    }

    /// The monthly volume where classic Lambda behind `door` costs what
    /// Managed Instances do (see [`cost::break_even`]); with the minimum of
    /// instances it is I₀ / (l − r): the instances' month over Lambda's price
    /// per call less the request price both pay.
    pub(crate) fn managed_break_even(&self, lambda_arch: Arch, door: FrontDoor, managed_arch: Arch) -> Option<f64> {
        cost::break_even(|v| self.lambda_monthly(lambda_arch, door, v), |v| self.managed_monthly(managed_arch, v))
    }
}

#[cfg(test)]
mod tests {
    use super::super::cost::CostParams;
    use super::super::cost::tests::{close, model};
    use super::super::prices::Prices;
    use super::*;

    #[test]
    fn instances_start_at_three_and_step_up() {
        let prices = Prices::embedded(&[]).expect("prices");
        let params = CostParams::default();
        let m = model(&prices, &params);
        // One m7g.large: 2 vCPU × 20 000 rps/vCPU × 60 % = 24 000 rps.
        assert_eq!(m.instance_capacity(Arch::Arm64), Some(24_000.0));
        // Three instances (three AZs) carry up to 3 × 24 000 = 72 000 rps.
        assert_eq!(m.managed_instances(Arch::Arm64, 0.0), Some(3));
        assert_eq!(m.managed_instances(Arch::Arm64, 100.0), Some(3));
        assert_eq!(m.managed_instances(Arch::Arm64, 72_000.0), Some(3));
        assert_eq!(m.managed_instances(Arch::Arm64, 72_000.1), Some(4));
        // 100 000 / 24 000 = 4.17 → 5.
        assert_eq!(m.managed_instances(Arch::X86_64, 100_000.0), Some(5));
    }

    #[test]
    fn monthly_cost_at_a_steady_rate() {
        let prices = Prices::embedded(&[]).expect("prices");
        let params = CostParams::default();
        let m = model(&prices, &params);
        // arm64: 0.0816 × 1.15 = 0.09384 $/h; x86_64: 0.1008 × 1.15 = 0.11592 $/h.
        assert!(close(m.instance_hourly(Arch::Arm64), 0.09384));
        assert!(close(m.instance_hourly(Arch::X86_64), 0.11592));
        // 100 rps: 262.8 M requests a month, three instances.
        // arm64: 3 × 0.09384 × 730 = 205.5096, + 262.8 × $0.20 = 52.56 → 258.0696.
        let v = m.volume(100.0);
        let arm = m.managed_monthly(Arch::Arm64, v).expect("arm64");
        assert!(close(arm, 258.0696), "{arm}");
        // x86_64: 3 × 0.11592 × 730 = 253.8648, + 52.56 → 306.4248.
        let x86 = m.managed_monthly(Arch::X86_64, v).expect("x86_64");
        assert!(close(x86, 306.4248), "{x86}");
        // 100 000 rps: 262 800 M requests, five instances:
        // 5 × 0.09384 × 730 = 342.516, + 262 800 × 0.20 = 52 560 → 52 902.516.
        let big = m.managed_monthly(Arch::Arm64, m.volume(100_000.0)).expect("big");
        assert!(close(big, 52_902.516), "{big}");
    }

    #[test]
    fn min_instances_can_be_set_for_a_test_setup() {
        let prices = Prices::embedded(&["managed_instances.min_instances=1".to_owned()]).expect("prices");
        let params = CostParams::default();
        let m = model(&prices, &params);
        assert_eq!(m.managed_instances(Arch::Arm64, 1.0), Some(1));
        // 1 rps: 1 × 0.09384 × 730 = 68.5032, + 2.628 M × $0.20 = 0.5256 → 69.0288.
        let monthly = m.managed_monthly(Arch::Arm64, m.volume(1.0)).expect("monthly");
        assert!(close(monthly, 69.0288), "{monthly}");
    }

    #[test]
    fn break_even_with_classic_lambda_matches_the_closed_form() {
        let prices = Prices::embedded(&[]).expect("prices");
        let params = CostParams::default();
        let m = model(&prices, &params);
        // Classic Lambda arm64 behind a Function URL: l = 0.2066667e-6 $/call;
        // Managed Instances: I₀ = 205.5096 $/month + r = 0.2e-6 $/call.
        // V* = 205.5096 / (0.2066667e-6 − 0.2e-6) ≈ 30.83 G a month, 11 730 rps:
        // below the three instances' 72 000 rps, so three is right. A 1 ms call
        // leaves Managed Instances only the GB-second charge to save.
        let expected = 205.5096 / (0.2066667e-6 - 0.2e-6);
        let found = m.managed_break_even(Arch::Arm64, FrontDoor::FunctionUrl, Arch::Arm64).expect("a break-even");
        assert!((found - expected).abs() / expected < 1e-9, "{found} vs {expected}");
        assert!((3.08e10..3.09e10).contains(&found), "{found}");
        assert_eq!(m.managed_instances(Arch::Arm64, m.rate(found)), Some(3));
    }

    #[test]
    fn unmeasured_throughput_gives_no_figures() {
        let prices = Prices::embedded(&[]).expect("prices");
        let params = CostParams::default();
        let m = Model { prices: &prices, params: &params, billed_ms: Some(1.0), rps_per_vcpu: None };
        assert_eq!(m.instance_capacity(Arch::Arm64), None);
        assert_eq!(m.managed_instances(Arch::Arm64, 100.0), None);
        assert_eq!(m.managed_monthly(Arch::Arm64, 1e6), None);
        assert_eq!(m.managed_break_even(Arch::Arm64, FrontDoor::FunctionUrl, Arch::Arm64), None);
        // Throughput without a Lambda duration: Managed Instances priced, no break-even.
        let m = Model { prices: &prices, params: &params, billed_ms: None, rps_per_vcpu: Some(20_000.0) };
        assert!(m.managed_monthly(Arch::Arm64, 1e6).is_some());
        assert_eq!(m.managed_break_even(Arch::Arm64, FrontDoor::FunctionUrl, Arch::Arm64), None);
    }
}
