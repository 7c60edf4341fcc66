//! `cargo xtask infra ecs`: lints the ECS Fargate templates in `infra/ecs`
//! (cfn-lint, checkov) and reads the `mcp` container of the task definition
//! back from the template, so the image test can run the image exactly as
//! the template states it, and a drift between the two fails a test.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context as _, anyhow, bail};
use serde_json::Value;

const CFN_LINT: &str = "cfn-lint==1.58.0";
const CHECKOV: &str = "checkov==3.3.30";

/// The task definition's `mcp` container, every intrinsic resolved.
#[derive(Debug)]
pub(crate) struct ContainerSpec {
    pub(crate) image: String,
    pub(crate) port: u16,
    pub(crate) env: Vec<(String, String)>,
    /// Name -> resolved `valueFrom`.
    pub(crate) secrets: Vec<(String, String)>,
    pub(crate) read_only: bool,
    pub(crate) user: String,
    pub(crate) drop_caps: Vec<String>,
    /// Without the leading `CMD`.
    pub(crate) health_cmd: Vec<String>,
    pub(crate) health_interval_s: u32,
    pub(crate) health_timeout_s: u32,
    pub(crate) health_retries: u32,
    pub(crate) health_start_period_s: u32,
    pub(crate) stop_timeout_s: u32,
}

fn ecs_dir() -> PathBuf {
    crate::root().join("infra").join("ecs")
}

/// cfn-lint's venv, installed when missing.
pub(crate) fn cfn_lint_venv() -> anyhow::Result<crate::pytools::Venv> {
    crate::pytools::ensure("cfnlint", &[CFN_LINT], &["cfn-lint"])
}

pub(crate) fn check() -> anyhow::Result<()> {
    let cfn = cfn_lint_venv()?;
    let mut lint = cfn.command("cfn-lint");
    // cfn-lint expands the glob itself; any finding, informational included, fails.
    lint.arg("infra/ecs/*.yaml").current_dir(crate::root());
    crate::run::step("cfn-lint (infra/ecs)", lint)?;
    checkov()?;
    let spec = container_spec(&example_values())?;
    print_spec(&spec);
    Ok(())
}

/// Runs checkov on the templates, prints its counts and every failed or
/// skipped check, and fails on any failed check (or on nothing checked).
fn checkov() -> anyhow::Result<()> {
    let venv = crate::pytools::ensure("checkov", &[CHECKOV], &["checkov"])?;
    let mut cmd = venv.command("checkov");
    cmd.args(["--directory", "infra/ecs", "--framework", "cloudformation", "--output", "json", "--compact"]);
    cmd.arg("--skip-download").current_dir(crate::root()).env("PATH", venv.path_env());
    println!("\n==> checkov (infra/ecs): {}", crate::run::describe(&cmd));
    let out = cmd.output().context("starting checkov")?;
    let report: Value = serde_json::from_slice(&out.stdout).with_context(|| {
        format!("checkov printed no JSON report (exit {}): {}", out.status, String::from_utf8_lossy(&out.stderr))
    })?;
    // One framework gives one report object; several give a list of them.
    let reports = if let Value::Array(list) = report { list } else { vec![report] };
    let count = |key: &str| reports.iter().map(|r| r["summary"][key].as_u64().unwrap_or(0)).sum::<u64>();
    let (passed, failed, skipped) = (count("passed"), count("failed"), count("skipped"));
    for (r, kind) in reports.iter().flat_map(|r| [(r, "skipped"), (r, "failed")]) {
        for c in r["results"][format!("{kind}_checks")].as_array().into_iter().flatten() {
            let why = &c["check_result"]["suppress_comment"];
            println!(
                "    {kind} {} {} on {} (line {}): {why}",
                c["check_id"], c["check_name"], c["resource"], c["file_line_range"]
            );
        }
    }
    println!("==> checkov: {passed} passed, {failed} failed, {skipped} skipped");
    if failed > 0 {
        bail!("checkov: {failed} failed check(s) in infra/ecs: fix them or skip them in the template with a reason");
    }
    if passed == 0 || count("parsing_errors") > 0 {
        bail!("checkov could not parse or check infra/ecs (exit {})", out.status);
    }
    Ok(())
}

/// Values for the template's required parameters and the attributes that
/// only exist once deployed, as a deployment would give them.
fn example_values() -> Vec<(&'static str, &'static str)> {
    vec![
        ("ImageUri", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp-server:1.0.0"),
        ("SecretArn", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/mcp-AbCdEf"),
        ("LoadBalancer.DNSName", "mcp-1234567890.eu-west-1.elb.amazonaws.com"),
    ]
}

/// Prints the resolved container, one field a line, to eyeball.
pub(crate) fn print_spec(spec: &ContainerSpec) {
    println!("\n==> the template's mcp container (example values):");
    println!("    image       {} (port {}/tcp)", spec.image, spec.port);
    println!("    user        {}  read-only root: {}  drop: {:?}", spec.user, spec.read_only, spec.drop_caps);
    spec.env.iter().for_each(|(k, v)| println!("    env         {k}={v}"));
    spec.secrets.iter().for_each(|(k, v)| println!("    secret      {k} <- {v}"));
    println!(
        "    health      {:?} every {}s, timeout {}s, {} retries, start period {}s",
        spec.health_cmd, spec.health_interval_s, spec.health_timeout_s, spec.health_retries, spec.health_start_period_s
    );
    println!("    stop        SIGKILL {}s after SIGTERM", spec.stop_timeout_s);
}

/// Reads the `mcp` container of the task definition from
/// `infra/ecs/service.yaml`, resolving `Ref`, `Fn::Sub`, `Fn::If`,
/// `Fn::GetAtt`, `Fn::Join`, `Fn::Select`, `Fn::Split` and conditions
/// from `values` (parameter names, pseudo parameters such as `AWS::Region`,
/// `Resource.Attribute` for `GetAtt`, or a resource's name for its `Ref`),
/// then parameter defaults; anything else is an error.
pub(crate) fn container_spec(values: &[(&str, &str)]) -> anyhow::Result<ContainerSpec> {
    let tpl = load(&ecs_dir().join("service.yaml"))?;
    Resolver::new(&tpl, values).mcp().context("reading the mcp container of infra/ecs/service.yaml")
}

/// The template as JSON, through cfn-lint's own loader (YAML with the short
/// intrinsic tags such as `!Sub` becomes `{"Fn::Sub": ..}`).
fn load(path: &std::path::Path) -> anyhow::Result<Value> {
    // Tests run in parallel: one installs the venv while the others wait
    // (`pytools::install_lock`).
    let venv = cfn_lint_venv()?;
    const SCRIPT: &str = "import json, sys\n\
        from cfnlint.decode import decode\n\
        tpl, errors = decode(sys.argv[1])\n\
        if errors or tpl is None:\n    sys.exit('\\n'.join(str(e) for e in errors) or 'empty template')\n\
        json.dump(tpl, sys.stdout)\n";
    let out =
        venv.command("python").args(["-c", SCRIPT]).arg(path).output().context("starting the cfnlint venv's python")?;
    if !out.status.success() {
        bail!("cannot decode {}: {}", path.display(), String::from_utf8_lossy(&out.stderr).trim());
    }
    serde_json::from_slice(&out.stdout).context("cfn-lint's decoder printed no JSON")
}

/// Resolves intrinsic functions against given values and defaults.
struct Resolver<'a> {
    tpl: &'a Value,
    values: HashMap<&'a str, &'a str>,
}

impl<'a> Resolver<'a> {
    fn new(tpl: &'a Value, values: &'a [(&'a str, &'a str)]) -> Self {
        Self { tpl, values: values.iter().copied().collect() }
    }

    /// Finds the `mcp` container and resolves only the fields the spec has,
    /// so values that do not matter to a local run (log group, Region) need
    /// not be given.
    fn mcp(&self) -> anyhow::Result<ContainerSpec> {
        let resources = self.tpl["Resources"].as_object().ok_or_else(|| anyhow!("no Resources"))?;
        let task_def = resources.values().find(|r| r["Type"] == "AWS::ECS::TaskDefinition");
        let td = task_def.ok_or_else(|| anyhow!("no AWS::ECS::TaskDefinition"))?;
        let defs = self.chosen(&td["Properties"]["ContainerDefinitions"])?;
        let mut found = None;
        for def in defs.and_then(Value::as_array).ok_or_else(|| anyhow!("ContainerDefinitions is not a list"))? {
            let Some(def) = self.chosen(def)? else { continue };
            if self.string(def, "Name")? == "mcp" {
                found = Some(def);
            }
        }
        let c = found.ok_or_else(|| anyhow!("no container named mcp"))?;
        let ports = self.field(c, "PortMappings")?.ok_or_else(|| anyhow!("no PortMappings"))?;
        let port = ports.get(0).map(|p| number(&p["ContainerPort"])).ok_or_else(|| anyhow!("no port mapping"))??;
        let health = self.field(c, "HealthCheck")?.ok_or_else(|| anyhow!("no HealthCheck"))?;
        let mut cmd = strings(&health["Command"]).context("HealthCheck.Command")?;
        if cmd.first().map(String::as_str) != Some("CMD") {
            bail!("HealthCheck.Command must be exec form [\"CMD\", ..] (the image has no shell): {cmd:?}");
        }
        cmd.remove(0);
        // Absent numbers take ECS's defaults, as ECS would.
        let or = |v: &Value, default: u32| if v.is_null() { Ok(default) } else { number(v) };
        let caps = self.field(c, "LinuxParameters")?.unwrap_or(Value::Null);
        Ok(ContainerSpec {
            image: self.string(c, "Image")?,
            port: u16::try_from(port).context("ContainerPort")?,
            env: pairs(self.field(c, "Environment")?, "Value").context("Environment")?,
            secrets: pairs(self.field(c, "Secrets")?, "ValueFrom").context("Secrets")?,
            read_only: self.field(c, "ReadonlyRootFilesystem")?.is_some_and(|v| scalar(&v).is_ok_and(|b| b == "true")),
            user: self.string(c, "User")?,
            drop_caps: strings(&caps["Capabilities"]["Drop"]).context("Capabilities.Drop")?,
            health_cmd: cmd,
            health_interval_s: or(&health["Interval"], 30)?,
            health_timeout_s: or(&health["Timeout"], 5)?,
            health_retries: or(&health["Retries"], 3)?,
            health_start_period_s: or(&health["StartPeriod"], 0)?,
            stop_timeout_s: or(&self.field(c, "StopTimeout")?.unwrap_or(Value::Null), 30)?,
        })
    }

    /// A property of `obj`, resolved (`None` when absent or `AWS::NoValue`).
    fn field(&self, obj: &Value, key: &str) -> anyhow::Result<Option<Value>> {
        obj.get(key).map_or(Ok(None), |v| self.resolve(v).with_context(|| format!("resolving {key}")))
    }

    fn string(&self, obj: &Value, key: &str) -> anyhow::Result<String> {
        let v = self.field(obj, key)?.ok_or_else(|| anyhow!("{key} is not set"))?;
        scalar(&v).with_context(|| key.to_owned())
    }

    /// Follows `Fn::If` branches without resolving inside the result.
    fn chosen<'v>(&self, mut v: &'v Value) -> anyhow::Result<Option<&'v Value>> {
        loop {
            match intrinsic(v) {
                Some(("Fn::If", arg)) => v = self.branch(arg)?,
                Some(("Ref", Value::String(r))) if r == "AWS::NoValue" => return Ok(None),
                _ => return Ok(Some(v)),
            }
        }
    }

    fn branch<'v>(&self, arg: &'v Value) -> anyhow::Result<&'v Value> {
        let [cond, yes, no] = arg.as_array().map(Vec::as_slice).unwrap_or_default() else {
            bail!("Fn::If needs [condition, then, else]: {arg}");
        };
        let name = cond.as_str().ok_or_else(|| anyhow!("Fn::If condition is not a name: {cond}"))?;
        Ok(if self.condition(name, 0)? { yes } else { no })
    }

    fn condition(&self, name: &str, depth: usize) -> anyhow::Result<bool> {
        let c = self.tpl["Conditions"].get(name).ok_or_else(|| anyhow!("unknown condition {name}"))?;
        self.test(c, depth + 1).with_context(|| format!("condition {name}"))
    }

    fn test(&self, v: &Value, depth: usize) -> anyhow::Result<bool> {
        if depth > 32 {
            bail!("conditions nest too deep (a cycle?)");
        }
        let list = |arg: &Value| arg.as_array().cloned().ok_or_else(|| anyhow!("expected a list: {arg}"));
        match v.as_object().filter(|m| m.len() == 1).and_then(|m| m.iter().next()) {
            Some((k, arg)) if k == "Fn::Equals" => {
                let [a, b] = list(arg)?.try_into().map_err(|_| anyhow!("Fn::Equals needs two values"))?;
                let side = |x: &Value| {
                    self.resolve(x)?.as_ref().map(scalar).ok_or_else(|| anyhow!("AWS::NoValue in Fn::Equals"))?
                };
                Ok(side(&a)? == side(&b)?)
            }
            Some((k, arg)) if k == "Fn::Not" => {
                let [c] = list(arg)?.try_into().map_err(|_| anyhow!("Fn::Not needs one condition"))?;
                Ok(!self.test(&c, depth + 1)?)
            }
            Some((k, arg)) if k == "Fn::And" || k == "Fn::Or" => {
                let results = list(arg)?.iter().map(|c| self.test(c, depth + 1)).collect::<anyhow::Result<Vec<_>>>()?;
                Ok(if k == "Fn::And" { results.iter().all(|b| *b) } else { results.iter().any(|b| *b) })
            }
            Some((k, Value::String(name))) if k == "Condition" => self.condition(name, depth),
            _ => bail!("unsupported condition {v}"),
        }
    }

    /// Resolves every intrinsic in `v`; `None` is `AWS::NoValue`, which
    /// drops the list item or property holding it.
    fn resolve(&self, v: &Value) -> anyhow::Result<Option<Value>> {
        if let Some((name, arg)) = intrinsic(v) {
            return self.function(name, arg).with_context(|| format!("{name} {arg}"));
        }
        Ok(Some(match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter_map(|(k, x)| self.resolve(x).map(|r| r.map(|r| (k.clone(), r))).transpose())
                    .collect::<anyhow::Result<_>>()?,
            ),
            Value::Array(a) => Value::Array(
                a.iter().map(|x| self.resolve(x)).filter_map(Result::transpose).collect::<anyhow::Result<_>>()?,
            ),
            other => other.clone(),
        }))
    }

    fn function(&self, name: &str, arg: &Value) -> anyhow::Result<Option<Value>> {
        let text = |x: &Value| -> anyhow::Result<String> {
            scalar(&self.resolve(x)?.ok_or_else(|| anyhow!("AWS::NoValue where a value is needed"))?)
        };
        let items = |x: &Value| -> anyhow::Result<Vec<Value>> {
            self.resolve(x)?.and_then(|v| v.as_array().cloned()).ok_or_else(|| anyhow!("expected a list: {x}"))
        };
        let two = |x: &Value| -> anyhow::Result<(Value, Value)> {
            let [a, b] =
                x.as_array().cloned().unwrap_or_default().try_into().map_err(|_| anyhow!("expected two arguments"))?;
            Ok((a, b))
        };
        Ok(Some(match name {
            "Ref" => return self.reference(arg.as_str().ok_or_else(|| anyhow!("Ref of a non-name"))?),
            "Fn::If" => return self.resolve(self.branch(arg)?),
            "Fn::GetAtt" => {
                let path = arg.as_str().map_or_else(|| strings(arg).map(|s| s.join(".")), |s| Ok(s.to_owned()))?;
                Value::String(self.attribute(&path)?)
            }
            "Fn::Sub" => Value::String(match arg {
                Value::String(s) => self.sub(s, &serde_json::Map::new())?,
                other => {
                    let (s, vars) = two(other)?;
                    let vars = vars.as_object().cloned().ok_or_else(|| anyhow!("Fn::Sub variables are not a map"))?;
                    self.sub(s.as_str().ok_or_else(|| anyhow!("Fn::Sub string"))?, &vars)?
                }
            }),
            "Fn::Join" => {
                let (sep, list) = two(arg)?;
                let parts = items(&list)?.iter().map(scalar).collect::<anyhow::Result<Vec<_>>>()?;
                Value::String(parts.join(&text(&sep)?))
            }
            "Fn::Select" => {
                let (index, list) = two(arg)?;
                let i: usize = text(&index)?.parse().context("Fn::Select index")?;
                items(&list)?.get(i).cloned().ok_or_else(|| anyhow!("Fn::Select index {i} out of range"))?
            }
            "Fn::Split" => {
                let (sep, s) = two(arg)?;
                Value::Array(text(&s)?.split(text(&sep)?.as_str()).map(|p| Value::String(p.into())).collect())
            }
            other => bail!("unsupported intrinsic {other}"),
        }))
    }

    /// `Ref`: a given value, else a parameter's default.
    fn reference(&self, name: &str) -> anyhow::Result<Option<Value>> {
        if name == "AWS::NoValue" {
            return Ok(None);
        }
        if let Some(v) = self.values.get(name) {
            return Ok(Some(Value::String((*v).into())));
        }
        if let Some(p) = self.tpl["Parameters"].get(name) {
            let default =
                p.get("Default").ok_or_else(|| anyhow!("parameter {name} has no default: pass a value for it"))?;
            return Ok(Some(Value::String(scalar(default)?)));
        }
        if self.tpl["Resources"].get(name).is_some() {
            bail!("Ref {name} names a resource: pass its value as (\"{name}\", ..)");
        }
        bail!("Ref {name}: no such parameter or resource (pass pseudo parameters such as AWS::Region)")
    }

    fn attribute(&self, path: &str) -> anyhow::Result<String> {
        let v = self.values.get(path).ok_or_else(|| anyhow!("Fn::GetAtt {path}: pass a value as (\"{path}\", ..)"))?;
        Ok((*v).into())
    }

    /// `Fn::Sub`: `${Var}` from `vars`, a parameter or pseudo parameter,
    /// `${Res.Attr}` for `GetAtt`, `${!Literal}` for a literal `${Literal}`.
    fn sub(&self, s: &str, vars: &serde_json::Map<String, Value>) -> anyhow::Result<String> {
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or_else(|| anyhow!("unclosed ${{ in {s:?}"))?;
            let var = &after[..end];
            if let Some(literal) = var.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(v) = vars.get(var) {
                out.push_str(&scalar(&self.resolve(v)?.ok_or_else(|| anyhow!("${{{var}}} is AWS::NoValue"))?)?);
            } else if var.contains('.') {
                out.push_str(&self.attribute(var)?);
            } else {
                let v = self.reference(var)?.ok_or_else(|| anyhow!("${{{var}}} is AWS::NoValue"))?;
                out.push_str(&scalar(&v)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// `{"Ref": ..}` or `{"Fn::X": ..}`: the function's name and argument.
fn intrinsic(v: &Value) -> Option<(&str, &Value)> {
    let m = v.as_object().filter(|m| m.len() == 1)?;
    let (k, arg) = m.iter().next()?;
    (k == "Ref" || k.starts_with("Fn::")).then_some((k.as_str(), arg))
}

fn scalar(v: &Value) -> anyhow::Result<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => bail!("expected a scalar, got {other}"),
    }
}

fn number(v: &Value) -> anyhow::Result<u32> {
    scalar(v)?.parse().with_context(|| format!("expected a whole number, got {v}"))
}

/// A list of scalars (absent = empty).
fn strings(v: &Value) -> anyhow::Result<Vec<String>> {
    if v.is_null() {
        return Ok(Vec::new());
    }
    v.as_array().ok_or_else(|| anyhow!("expected a list, got {v}"))?.iter().map(scalar).collect()
}

/// `[{Name, <value_key>}]` as pairs (absent = none).
fn pairs(list: Option<Value>, value_key: &str) -> anyhow::Result<Vec<(String, String)>> {
    let Some(list) = list else { return Ok(Vec::new()) };
    let items = list.as_array().ok_or_else(|| anyhow!("expected a list, got {list}"))?;
    items
        .iter()
        .map(|i| Ok((scalar(&i["Name"]).context("Name")?, scalar(&i[value_key]).context(value_key.to_owned())?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ARN: &str = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/mcp-AbCdEf";

    fn env<'s>(spec: &'s ContainerSpec, name: &str) -> Option<&'s str> {
        spec.env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// What the image test and the server rely on; a template edit that
    /// breaks one of them fails here.
    #[test]
    fn the_template_runs_the_container_as_expected() {
        let spec = container_spec(&example_values()).unwrap();
        assert_eq!(spec.user, "65532:65532");
        assert_eq!(spec.drop_caps, ["ALL"]);
        assert!(spec.read_only);
        assert_eq!(spec.port, 8080);
        assert_eq!(spec.health_cmd, ["/usr/local/bin/mcp-server", "healthcheck", "--deep"]);
        assert!(spec.health_timeout_s < spec.health_interval_s);
        assert!(spec.stop_timeout_s > 25 && spec.stop_timeout_s <= 120, "drain 25 s < stop timeout <= ECS's 120 s");
        assert_eq!(env(&spec, "MCP_BIND"), Some("0.0.0.0:8080"));
        assert_eq!(env(&spec, "MCP_DRAIN_TIMEOUT_SECS"), Some("25"));
        assert_eq!(env(&spec, "MCP_LOG_FORMAT"), Some("json"));
        assert_eq!(env(&spec, "MCP_ALLOWED_HOSTS"), Some("mcp-1234567890.eu-west-1.elb.amazonaws.com"));
        assert_eq!(env(&spec, "MCP_SECRET_AUTH_TOKEN"), Some(format!("aws-sm:{ARN}#auth_token").as_str()));
        assert_eq!(spec.secrets, [("MCP_REQUEST_STATE_KEY".to_owned(), format!("{ARN}:request_state_key::"))]);
    }

    #[test]
    fn the_sidecar_and_the_domain_change_what_they_should() {
        let mut values = example_values();
        values.extend([("SecretsAgentImage", "example/secrets-agent:2.0.0"), ("DomainName", "mcp.example.com")]);
        let spec = container_spec(&values).unwrap();
        assert_eq!(env(&spec, "MCP_SECRET_AUTH_TOKEN"), Some(format!("aws-ext:{ARN}#auth_token").as_str()));
        assert!(spec.secrets.contains(&("AWS_TOKEN".to_owned(), format!("{ARN}:agent_token::"))));
        assert_eq!(env(&spec, "MCP_ALLOWED_HOSTS"), Some("mcp.example.com"));
    }

    #[test]
    fn missing_values_fail_naming_them() {
        let all = example_values();
        for missing in ["ImageUri", "SecretArn", "LoadBalancer.DNSName"] {
            let values: Vec<_> = all.iter().copied().filter(|(k, _)| *k != missing).collect();
            let err = format!("{:#}", container_spec(&values).unwrap_err());
            assert!(err.contains(missing), "{err}");
        }
    }

    #[test]
    fn the_resolver_handles_each_intrinsic() {
        let tpl = json!({
            "Parameters": { "Stage": { "Default": "prod" }, "Size": { "Default": "512-1024" }, "Bare": {} },
            "Conditions": {
                "IsProd": { "Fn::Equals": [{ "Ref": "Stage" }, "prod"] },
                "NotProd": { "Fn::Not": [{ "Condition": "IsProd" }] },
                "Either": { "Fn::Or": [{ "Condition": "NotProd" }, { "Fn::And": [{ "Condition": "IsProd" }] }] }
            },
            "Resources": { "Lb": {} }
        });
        let values = [("AWS::Region", "eu-west-1"), ("Lb.DNSName", "lb.example")];
        let r = Resolver::new(&tpl, &values);
        let v = json!({
            "a": { "Fn::Sub": "${Stage}-${AWS::Region}-${Lb.DNSName}-${!Literal}" },
            "b": { "Fn::If": ["NotProd", "x", { "Ref": "AWS::NoValue" }] },
            "c": [{ "Fn::Join": [",", [{ "Ref": "Stage" }, { "Fn::GetAtt": ["Lb", "DNSName"] }]] },
                  { "Fn::Select": [1, { "Fn::Split": ["-", { "Ref": "Size" }] }] },
                  { "Fn::If": ["Either", "y", "z"] }],
            "d": { "Fn::Sub": ["${X}!", { "X": { "Ref": "Stage" } }] }
        });
        let want =
            json!({ "a": "prod-eu-west-1-lb.example-${Literal}", "c": ["prod,lb.example", "1024", "y"], "d": "prod!" });
        assert_eq!(r.resolve(&v).unwrap(), Some(want));
        let bad = json!([{ "Ref": "AWS::AccountId" }, { "Ref": "Bare" }, { "Ref": "Lb" }, { "Fn::GetAtt": "Lb.Arn" },
                         { "Fn::ImportValue": "x" }, { "Fn::If": ["Nope", 1, 2] }, { "Fn::Sub": "${Lb" }]);
        for b in bad.as_array().unwrap() {
            assert!(r.resolve(b).is_err(), "{b} resolved");
        }
    }
}
