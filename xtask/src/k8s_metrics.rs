//! The metrics side of the Kubernetes render: the custom resources in it
//! (the Prometheus Operator's ServiceMonitor), which kubernetes-validate
//! has no schema for and would only warn about, validated here against a
//! schema in `xtask/schemas/` that refuses unknown fields as `--strict`
//! does; and the rules that tie a scrape to the pods: the ServiceMonitor
//! selects a rendered Service, names one of its ports, that port reaches a
//! container port, and the server listens for metrics on exactly that port.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, bail, ensure};
use serde_json::Value;

/// Custom kinds the render may hold, with their schema file.
const CUSTOM: [(&str, &str, &str); 1] = [("monitoring.coreos.com/v1", "ServiceMonitor", "servicemonitor.json")];

/// Whether `doc` is one of the custom kinds (kept away from kubernetes-validate).
pub(crate) fn is_custom(doc: &Value) -> bool {
    CUSTOM.iter().any(|(api, kind, _)| doc["apiVersion"] == *api && doc["kind"] == *kind)
}

/// Validates every custom resource of `docs` against its schema with the
/// venv's jsonschema (a dependency of kubernetes-validate); returns how
/// many it validated. A custom kind without a schema here is an error.
pub(crate) fn validate(venv: &crate::pytools::Venv, docs: &[Value], work: &Path) -> anyhow::Result<usize> {
    const CHECK: &str = "import json, sys, jsonschema\n\
        bad = 0\n\
        for schema_file, doc in json.load(open(sys.argv[1])):\n\
        \x20   schema = json.load(open(schema_file))\n\
        \x20   jsonschema.Draft7Validator.check_schema(schema)\n\
        \x20   for e in jsonschema.Draft7Validator(schema).iter_errors(doc):\n\
        \x20       where = '/'.join(str(p) for p in e.absolute_path) or '(root)'\n\
        \x20       print(f\"{doc.get('kind')} {doc.get('metadata', {}).get('name')}: {where}: {e.message}\")\n\
        \x20       bad += 1\n\
        sys.exit(1 if bad else 0)";
    let schemas = crate::root().join("xtask").join("schemas");
    let mut items = Vec::new();
    for doc in docs.iter().filter(|d| d["apiVersion"].as_str().is_some_and(|a| !is_builtin_group(a))) {
        let Some((_, _, file)) = CUSTOM.iter().find(|(api, kind, _)| doc["apiVersion"] == *api && doc["kind"] == *kind)
        else {
            bail!(
                "{} {}: a custom kind with no schema in xtask/schemas (add one there)",
                doc["apiVersion"],
                doc["kind"]
            );
        };
        items.push(serde_json::json!([schemas.join(file), doc]));
    }
    if items.is_empty() {
        return Ok(0);
    }
    std::fs::create_dir_all(work).with_context(|| format!("creating {}", work.display()))?;
    let list = work.join("custom-resources.json");
    std::fs::write(&list, serde_json::to_vec(&items)?).with_context(|| format!("writing {}", list.display()))?;
    let out = venv.command("python").args(["-c", CHECK]).arg(&list).output().context("running python")?;
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    ensure!(out.status.success(), "custom resources do not match their schemas in xtask/schemas (above)");
    Ok(items.len())
}

/// API groups Kubernetes itself serves (kubernetes-validate has their
/// schemas): no dot in the group (`v1`, `apps/v1`), or a `*.k8s.io` one.
fn is_builtin_group(api_version: &str) -> bool {
    match api_version.rsplit_once('/') {
        None => true,
        Some((group, _)) => !group.contains('.') || group.ends_with(".k8s.io"),
    }
}

fn of_kind<'a>(docs: &'a [Value], kind: &'a str) -> impl Iterator<Item = &'a Value> {
    docs.iter().filter(move |d| d["kind"] == kind)
}

fn labels(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
        .unwrap_or_default()
}

/// Whether `have` carries every label of `want` (an empty `want` selects nothing here).
fn selects(want: &BTreeMap<String, String>, have: &BTreeMap<String, String>) -> bool {
    !want.is_empty() && want.iter().all(|(k, v)| have.get(k) == Some(v))
}

/// The port of an `ADDR:PORT` value.
fn bind_port(bind: &str) -> Option<u64> {
    bind.rsplit_once(':')?.1.parse().ok()
}

/// The metrics rules. `env` gives a container's plain environment.
pub(crate) fn rules(
    docs: &[Value],
    env: &dyn Fn(&Value) -> anyhow::Result<BTreeMap<String, String>>,
) -> anyhow::Result<()> {
    // MCP_METRICS_BIND must name a port the container declares.
    for dep in of_kind(docs, "Deployment") {
        for c in dep["spec"]["template"]["spec"]["containers"].as_array().into_iter().flatten() {
            let Some(bind) = env(c)?.get("MCP_METRICS_BIND").cloned() else { continue };
            let port = bind_port(&bind).with_context(|| format!("MCP_METRICS_BIND={bind} has no port"))?;
            let ports = c["ports"].as_array().into_iter().flatten();
            ensure!(
                ports.clone().any(|p| p["containerPort"] == port),
                "container {}: MCP_METRICS_BIND={bind}, but no containerPort {port} is declared",
                c["name"]
            );
        }
    }
    for sm in of_kind(docs, "ServiceMonitor") {
        let sm_name = sm["metadata"]["name"].as_str().unwrap_or("");
        let ns = &sm["metadata"]["namespace"];
        let want = labels(&sm["spec"]["selector"]["matchLabels"]);
        let services: Vec<&Value> = of_kind(docs, "Service")
            .filter(|s| s["metadata"]["namespace"] == *ns && selects(&want, &labels(&s["metadata"]["labels"])))
            .collect();
        ensure!(!services.is_empty(), "ServiceMonitor {sm_name}: its selector matches no Service of the render");
        for ep in sm["spec"]["endpoints"].as_array().into_iter().flatten() {
            for svc in &services {
                endpoint(docs, sm_name, ep, svc, env)?;
            }
            if let (Some(i), Some(t)) = (ep["interval"].as_str(), ep["scrapeTimeout"].as_str()) {
                ensure!(secs(t) <= secs(i), "ServiceMonitor {sm_name}: scrapeTimeout {t} exceeds interval {i}");
            }
        }
    }
    Ok(())
}

/// One endpoint of a ServiceMonitor against one Service it selects.
fn endpoint(
    docs: &[Value],
    sm: &str,
    ep: &Value,
    svc: &Value,
    env: &dyn Fn(&Value) -> anyhow::Result<BTreeMap<String, String>>,
) -> anyhow::Result<()> {
    let svc_name = svc["metadata"]["name"].as_str().unwrap_or("");
    let port = svc["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == ep["port"])
        .with_context(|| format!("ServiceMonitor {sm}: Service {svc_name} has no port named {}", ep["port"]))?;
    let target = &port["targetPort"];
    let pods = labels(&svc["spec"]["selector"]);
    let mut reached = 0;
    for dep in
        of_kind(docs, "Deployment").filter(|d| selects(&pods, &labels(&d["spec"]["template"]["metadata"]["labels"])))
    {
        for c in dep["spec"]["template"]["spec"]["containers"].as_array().into_iter().flatten() {
            let ports = c["ports"].as_array().into_iter().flatten();
            let Some(cp) = ports.clone().find(|p| p["name"] == *target || p["containerPort"] == *target) else {
                continue;
            };
            let bind = env(c)?.get("MCP_METRICS_BIND").cloned();
            ensure!(
                bind.as_deref().and_then(bind_port).is_some_and(|p| cp["containerPort"] == p),
                "ServiceMonitor {sm}: container {} port {} is scraped, but MCP_METRICS_BIND ({bind:?}) does not \
                 listen there",
                c["name"],
                cp["containerPort"]
            );
            reached += 1;
        }
    }
    ensure!(reached > 0, "ServiceMonitor {sm}: Service {svc_name} port {} reaches no container port", ep["port"]);
    Ok(())
}

/// Seconds of a Prometheus duration such as `15s`, `1m`, `500ms`.
fn secs(d: &str) -> f64 {
    let (mut total, mut num) = (0.0, String::new());
    let mut chars = d.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: f64 = num.parse().unwrap_or(0.0);
        num.clear();
        total += n * match (c, chars.peek()) {
            ('m', Some('s')) => {
                chars.next();
                0.001
            }
            ('s', _) => 1.0,
            ('m', _) => 60.0,
            ('h', _) => 3600.0,
            ('d', _) => 86_400.0,
            ('w', _) => 604_800.0,
            ('y', _) => 31_536_000.0,
            _ => 0.0,
        };
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(bind: &str, sm_port: &str) -> Vec<Value> {
        vec![
            json!({"kind": "Deployment", "spec": {"template": {"metadata": {"labels": {"app": "m"}}, "spec": {
                "containers": [{"name": "c", "ports": [{"name": "metrics", "containerPort": 9090}],
                    "env": [{"name": "MCP_METRICS_BIND", "value": bind}]}]}}}}),
            json!({"kind": "Service", "metadata": {"name": "s", "namespace": "n", "labels": {"app": "m"}},
                "spec": {"selector": {"app": "m"}, "ports": [{"name": "metrics", "targetPort": "metrics"}]}}),
            json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
                "metadata": {"name": "sm", "namespace": "n"},
                "spec": {"selector": {"matchLabels": {"app": "m"}},
                    "endpoints": [{"port": sm_port, "interval": "15s", "scrapeTimeout": "5s"}]}}),
        ]
    }

    fn env(c: &Value) -> anyhow::Result<BTreeMap<String, String>> {
        let pairs = c["env"].as_array().into_iter().flatten();
        Ok(pairs.map(|e| (e["name"].as_str().unwrap_or("").into(), e["value"].as_str().unwrap_or("").into())).collect())
    }

    #[test]
    fn a_scrape_must_reach_the_port_the_server_listens_on() {
        assert!(rules(&render("0.0.0.0:9090", "metrics"), &env).is_ok());
        let wrong_port = rules(&render("0.0.0.0:9091", "metrics"), &env).unwrap_err().to_string();
        assert!(wrong_port.contains("no containerPort 9091"), "{wrong_port}");
        let no_port = rules(&render("0.0.0.0:9090", "metric"), &env).unwrap_err().to_string();
        assert!(no_port.contains("no port named"), "{no_port}");
        assert_eq!((secs("1m30s"), secs("500ms"), secs("15s")), (90.0, 0.5, 15.0));
        assert!(is_custom(&render("", "")[2]) && !is_custom(&render("", "")[1]));
        assert!(is_builtin_group("v1") && is_builtin_group("autoscaling/v2"));
        assert!(is_builtin_group("networking.k8s.io/v1") && !is_builtin_group("monitoring.coreos.com/v1"));
    }
}
