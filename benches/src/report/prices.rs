//! The dated price list (`benches/data/prices.toml`) and its overrides.

use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// The price list compiled into the binary, so `bench-report` works from any
/// directory; `--prices FILE` replaces it.
const EMBEDDED: &str = include_str!("../../data/prices.toml");

/// A price file larger than this is not a price file.
const MAX_PRICE_FILE: u64 = 1024 * 1024;

/// List prices and the model's assumptions, as of one date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    pub(crate) as_of: String,
    pub(crate) region: String,
    pub(crate) currency: String,
    pub(crate) lambda: LambdaPrices,
    pub(crate) function_url: FrontDoorPrice,
    pub(crate) api_gateway: ApiGatewayPrices,
    pub(crate) fargate: FargatePrices,
    pub(crate) alb: AlbPrices,
    pub(crate) managed_instances: ManagedInstancesPrices,
    pub(crate) assumptions: Assumptions,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LambdaPrices {
    pub(crate) request_per_million: f64,
    pub(crate) request_source: String,
    pub(crate) arm64: LambdaArch,
    pub(crate) x86_64: LambdaArch,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LambdaArch {
    pub(crate) gb_second: f64,
    pub(crate) source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FrontDoorPrice {
    pub(crate) per_million: f64,
    pub(crate) source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApiGatewayPrices {
    pub(crate) http_api_per_million: f64,
    pub(crate) rest_api_per_million: f64,
    pub(crate) source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FargatePrices {
    pub(crate) arm64: FargateArch,
    pub(crate) x86_64: FargateArch,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FargateArch {
    pub(crate) vcpu_hour: f64,
    pub(crate) gb_hour: f64,
    pub(crate) source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AlbPrices {
    pub(crate) hour: f64,
    pub(crate) lcu_hour: f64,
    pub(crate) source: String,
}

/// Lambda Managed Instances: EC2 instances plus a management fee on their price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ManagedInstancesPrices {
    /// The management fee as a share of the EC2 price (0.15 = 15%).
    pub(crate) management_fee: f64,
    /// Instances that run however low the load (three Availability Zones).
    pub(crate) min_instances: u32,
    pub(crate) source: String,
    pub(crate) arm64: ManagedInstance,
    pub(crate) x86_64: ManagedInstance,
}

/// One EC2 instance type of a capacity provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ManagedInstance {
    pub(crate) instance: String,
    pub(crate) vcpus: u32,
    pub(crate) memory_gb: f64,
    /// On-demand EC2 price per hour, without the management fee.
    pub(crate) hour: f64,
    pub(crate) source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Assumptions {
    pub(crate) hours_per_month: f64,
    pub(crate) alb_bytes_per_request: f64,
    pub(crate) alb_requests_per_connection: f64,
}

/// A CPU architecture both Lambda and Fargate price separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub(crate) enum Arch {
    #[serde(rename = "arm64")]
    Arm64,
    #[serde(rename = "x86_64")]
    X86_64,
}

impl Arch {
    pub(crate) const ALL: [Arch; 2] = [Arch::Arm64, Arch::X86_64];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Arch::Arm64 => "arm64",
            Arch::X86_64 => "x86_64",
        }
    }
}

impl Prices {
    /// The list compiled in from `benches/data/prices.toml`, with overrides.
    pub fn embedded(sets: &[String]) -> anyhow::Result<Self> {
        Self::from_toml(EMBEDDED, sets).context("the compiled-in benches/data/prices.toml")
    }

    /// A price file from disk, with overrides.
    pub fn load(path: &Path, sets: &[String]) -> anyhow::Result<Self> {
        let len = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?.len();
        if len > MAX_PRICE_FILE {
            bail!("{} is {len} bytes; a price file is at most {MAX_PRICE_FILE}", path.display());
        }
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::from_toml(&text, sets).with_context(|| format!("in {}", path.display()))
    }

    /// Parses a price list and applies `key.path=value` overrides. Only keys
    /// the file already has can be set, so a typo is an error, not a silent
    /// no-op; a price must stay a finite number that is not negative.
    pub fn from_toml(text: &str, sets: &[String]) -> anyhow::Result<Self> {
        let mut table: toml::Table = toml::from_str(text).context("parsing the price list")?;
        for set in sets {
            apply_set(&mut table, set)?;
        }
        let prices: Prices = toml::Value::Table(table).try_into().context("reading the price list")?;
        prices.validate()?;
        Ok(prices)
    }

    pub(crate) fn lambda_gb_second(&self, arch: Arch) -> f64 {
        match arch {
            Arch::Arm64 => self.lambda.arm64.gb_second,
            Arch::X86_64 => self.lambda.x86_64.gb_second,
        }
    }

    pub(crate) fn fargate(&self, arch: Arch) -> &FargateArch {
        match arch {
            Arch::Arm64 => &self.fargate.arm64,
            Arch::X86_64 => &self.fargate.x86_64,
        }
    }

    pub(crate) fn managed_instance(&self, arch: Arch) -> &ManagedInstance {
        match arch {
            Arch::Arm64 => &self.managed_instances.arm64,
            Arch::X86_64 => &self.managed_instances.x86_64,
        }
    }

    fn validate(&self) -> anyhow::Result<()> {
        let numbers = [
            ("lambda.request_per_million", self.lambda.request_per_million),
            ("lambda.arm64.gb_second", self.lambda.arm64.gb_second),
            ("lambda.x86_64.gb_second", self.lambda.x86_64.gb_second),
            ("function_url.per_million", self.function_url.per_million),
            ("api_gateway.http_api_per_million", self.api_gateway.http_api_per_million),
            ("api_gateway.rest_api_per_million", self.api_gateway.rest_api_per_million),
            ("fargate.arm64.vcpu_hour", self.fargate.arm64.vcpu_hour),
            ("fargate.arm64.gb_hour", self.fargate.arm64.gb_hour),
            ("fargate.x86_64.vcpu_hour", self.fargate.x86_64.vcpu_hour),
            ("fargate.x86_64.gb_hour", self.fargate.x86_64.gb_hour),
            ("alb.hour", self.alb.hour),
            ("alb.lcu_hour", self.alb.lcu_hour),
            ("managed_instances.management_fee", self.managed_instances.management_fee),
            ("managed_instances.arm64.hour", self.managed_instances.arm64.hour),
            ("managed_instances.arm64.memory_gb", self.managed_instances.arm64.memory_gb),
            ("managed_instances.x86_64.hour", self.managed_instances.x86_64.hour),
            ("managed_instances.x86_64.memory_gb", self.managed_instances.x86_64.memory_gb),
            ("assumptions.alb_bytes_per_request", self.assumptions.alb_bytes_per_request),
        ];
        for (key, value) in numbers {
            if !value.is_finite() || value < 0.0 {
                bail!("{key} = {value}: a price must be a finite number ≥ 0");
            }
        }
        if !(self.assumptions.hours_per_month > 0.0 && self.assumptions.hours_per_month <= 744.0) {
            bail!("assumptions.hours_per_month = {}: must be in (0, 744]", self.assumptions.hours_per_month);
        }
        let mi = &self.managed_instances;
        if !(1..=1000).contains(&mi.min_instances) {
            bail!("managed_instances.min_instances = {}: must be 1–1000", mi.min_instances);
        }
        for (key, vcpus) in [("arm64", mi.arm64.vcpus), ("x86_64", mi.x86_64.vcpus)] {
            if !(1..=192).contains(&vcpus) {
                bail!("managed_instances.{key}.vcpus = {vcpus}: must be 1–192");
            }
        }
        let per_connection = self.assumptions.alb_requests_per_connection;
        if per_connection.is_nan() || per_connection < 1.0 {
            bail!("assumptions.alb_requests_per_connection must be ≥ 1");
        }
        Ok(())
    }
}

fn apply_set(table: &mut toml::Table, set: &str) -> anyhow::Result<()> {
    let Some((path, raw)) = set.split_once('=') else {
        bail!("--set {set:?}: expected key.path=value");
    };
    let mut keys: Vec<&str> = path.trim().split('.').collect();
    let Some(last) = keys.pop() else {
        bail!("--set {set:?}: empty key");
    };
    let mut here = &mut *table;
    for key in keys {
        here = match here.get_mut(key) {
            Some(toml::Value::Table(inner)) => inner,
            _ => bail!("--set {set:?}: the price list has no table {key:?}"),
        };
    }
    let raw = raw.trim();
    let slot = here.get_mut(last).with_context(|| format!("--set {set:?}: the price list has no key {path:?}"))?;
    *slot = match slot {
        toml::Value::String(_) => toml::Value::String(raw.to_owned()),
        // A whole number stays an integer, so an integer key (a count) can be set;
        // a float key reads an integer as well.
        toml::Value::Integer(_) | toml::Value::Float(_) => match raw.parse::<i64>() {
            Ok(whole) => toml::Value::Integer(whole),
            Err(_) => {
                let number: f64 = raw.parse().with_context(|| format!("--set {set:?}: {raw:?} is not a number"))?;
                toml::Value::Float(number)
            }
        },
        _ => bail!("--set {set:?}: {path:?} is a table, not a value"),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_list_parses_and_is_dated() {
        let prices = Prices::embedded(&[]).expect("the embedded prices");
        assert_eq!(prices.as_of, "2026-11-22");
        assert_eq!(prices.region, "us-east-1");
        assert_eq!(prices.lambda.arm64.gb_second, 0.0000133334);
        assert_eq!(prices.fargate.x86_64.vcpu_hour, 0.04048);
        assert_eq!(prices.assumptions.hours_per_month, 730.0);
    }

    #[test]
    fn set_overrides_a_price_and_an_integer_key() {
        let sets = ["lambda.arm64.gb_second=0.00001".to_owned(), "assumptions.hours_per_month=720".to_owned()];
        let prices = Prices::embedded(&sets).expect("overridden prices");
        assert_eq!(prices.lambda.arm64.gb_second, 0.00001);
        assert_eq!(prices.assumptions.hours_per_month, 720.0);
        assert_eq!(prices.lambda.x86_64.gb_second, 0.0000166667);
    }

    #[test]
    fn managed_instances_are_listed_and_their_minimum_can_be_set() {
        let prices = Prices::embedded(&[]).expect("the embedded prices");
        let mi = &prices.managed_instances;
        assert_eq!((mi.management_fee, mi.min_instances), (0.15, 3));
        assert_eq!(prices.managed_instance(Arch::Arm64).instance, "m7g.large");
        assert_eq!(prices.managed_instance(Arch::Arm64).hour, 0.0816);
        assert_eq!((mi.x86_64.vcpus, mi.x86_64.memory_gb, mi.x86_64.hour), (2, 8.0, 0.1008));
        let one = Prices::embedded(&["managed_instances.min_instances=1".to_owned()]).expect("a test setup");
        assert_eq!(one.managed_instances.min_instances, 1);
        // A count is whole and at least one; a price key still takes a float.
        for bad in ["managed_instances.min_instances=0", "managed_instances.min_instances=1.5"] {
            assert!(Prices::embedded(&[bad.to_owned()]).is_err(), "{bad} was accepted");
        }
        let fee = Prices::embedded(&["managed_instances.management_fee=0".to_owned()]).expect("fee");
        assert_eq!(fee.managed_instances.management_fee, 0.0);
    }

    #[test]
    fn set_rejects_unknown_keys_bad_numbers_and_negative_prices() {
        for bad in ["lambda.arm64.gb_secnd=1", "lambda.arm64.gb_second=cheap", "lambda=1", "nothing", "alb.hour=-1"] {
            assert!(Prices::embedded(&[bad.to_owned()]).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn a_file_with_an_unknown_field_is_rejected() {
        let text = format!("{EMBEDDED}\n[extra]\nx = 1\n");
        assert!(Prices::from_toml(&text, &[]).is_err());
    }
}
