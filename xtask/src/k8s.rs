//! `cargo xtask infra k8s`: the Kubernetes manifests (`infra/k8s`), checked
//! offline. Each kustomize overlay is rendered with `kubectl kustomize`,
//! held to the rules that span resources and that no schema sees (drain
//! time against the grace period, Ingress hosts against the Host
//! allow-list, secret references against the mounted Secret, the HPA
//! against a fixed replica count), validated against the schemas of one
//! Kubernetes version with unknown fields refused, and scanned with checkov.
//!
//! The overlays are rendered from a copy under the target dir in which the
//! secret files are made from the committed `*.example`s: a fresh clone has
//! none, and a developer's real ones never leave `infra/k8s`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, bail, ensure};
use serde_json::Value;

/// The Kubernetes version the rendered manifests must be valid for.
const KUBERNETES_VERSION: &str = "1.32.0";
/// The schema validator and the YAML reader used to check the rendered
/// output (PyYAML is what kubernetes-validate reads with, too).
const VALIDATE: &[&str] = &["kubernetes-validate==1.37.0", "PyYAML==6.0.3"];
/// The same venv and pin as the ECS and Dockerfile checks.
const CHECKOV: &[&str] = &["checkov==3.3.30"];

/// kubernetes-validate's and checkov's venvs, installed when missing.
pub(crate) fn venvs() -> anyhow::Result<(crate::pytools::Venv, crate::pytools::Venv)> {
    let k8s = crate::pytools::ensure("k8s", VALIDATE, &["kubernetes-validate", "python"])?;
    Ok((k8s, crate::pytools::ensure("checkov", CHECKOV, &["checkov"])?))
}

pub(crate) fn check() -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    ensure_kubectl()?;
    let (k8s, checkov) = venvs()?;

    let work = crate::target_dir().join("infra-k8s");
    if work.exists() {
        std::fs::remove_dir_all(&work).with_context(|| format!("removing {}", work.display()))?;
    }
    let src = work.join("src");
    let rendered = work.join("rendered");
    stage(&crate::root().join("infra").join("k8s"), &src)?;
    std::fs::create_dir_all(&rendered)?;

    let builtin = work.join("builtin");
    std::fs::create_dir_all(&builtin)?;
    let mut files = Vec::new();
    let mut summary = Vec::new();
    for overlay in overlays(&src)? {
        let yaml = render(&src.join("overlays").join(&overlay))?;
        let file = rendered.join(format!("{overlay}.yaml"));
        std::fs::write(&file, yaml).with_context(|| format!("writing {}", file.display()))?;
        let docs = load(&k8s, &file)?;
        rules(&docs).with_context(|| format!("overlay {overlay}"))?;
        crate::k8s_metrics::rules(&docs, &|c| environment(&docs, c)).with_context(|| format!("overlay {overlay}"))?;
        let custom = crate::k8s_metrics::validate(&k8s, &docs, &builtin.join(&overlay))
            .with_context(|| format!("overlay {overlay}"))?;
        summary.push(format!("{overlay}: {} ({custom} custom, checked against xtask/schemas)", count(&docs)));
        // kubernetes-validate gets the built-in kinds only: it has no
        // schema for a custom one, and would merely warn.
        let kept: Vec<String> =
            docs.iter().filter(|d| !crate::k8s_metrics::is_custom(d)).map(Value::to_string).collect();
        let file = builtin.join(format!("{overlay}.yaml"));
        std::fs::write(&file, kept.join("\n---\n")).with_context(|| format!("writing {}", file.display()))?;
        files.push(file);
    }

    let mut validate = k8s.command("kubernetes-validate");
    validate.args(["--strict", "--quiet", "--kubernetes-version", KUBERNETES_VERSION]).args(&files);
    let what = format!("kubernetes-validate (Kubernetes {KUBERNETES_VERSION}, strict)");
    println!("\n==> {what}: {}", crate::run::describe(&validate));
    let out = validate.output().context("running kubernetes-validate")?;
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    print!("{said}");
    ensure!(out.status.success(), "{what} failed ({})", out.status);
    // A kind it has no schema for is only a warning there: a failure here.
    ensure!(!said.contains("Couldn't find schema"), "{what}: a resource was not validated (above)");

    scan(&checkov, &rendered)?;

    println!("\n==> infra k8s: ok in {:.1?}", started.elapsed());
    for line in summary {
        println!("    {line}");
    }
    Ok(())
}

/// `kubectl` (which carries kustomize) must be there: the render is the
/// point of the check, so its absence is a failure, not a skip.
fn ensure_kubectl() -> anyhow::Result<()> {
    let out = Command::new("kubectl").args(["version", "--client"]).output();
    match out {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            println!("==> kubectl: {}", text.split_whitespace().collect::<Vec<_>>().join(" "));
            Ok(())
        }
        Ok(o) => {
            bail!("`kubectl version --client` failed ({}): {}", o.status, String::from_utf8_lossy(&o.stderr).trim())
        }
        Err(e) => bail!(
            "kubectl is required to render infra/k8s ({e}). Install kubectl >= 1.30 (it includes kustomize): \
             `apt-get install kubectl` from the Kubernetes apt repository, or the binary described at \
             https://kubernetes.io/docs/tasks/tools/ placed on PATH"
        ),
    }
}

/// Copies `from` to `to`, leaving out every file in a `secrets/` folder
/// except `.gitignore` and the `*.example`s, then writes each example to
/// the name without `.example`: what kustomize needs to render, and never
/// a real value.
fn stage(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    let in_secrets = from.file_name().is_some_and(|n| n == "secrets");
    let mut entries: Vec<_> =
        std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        let kind = entry.file_type()?;
        let target = to.join(&name);
        if kind.is_dir() {
            stage(&entry.path(), &target)?;
        } else if kind.is_file() {
            let name = name.to_string_lossy();
            if in_secrets && name != ".gitignore" && !name.ends_with(".example") {
                continue;
            }
            std::fs::copy(entry.path(), &target).with_context(|| format!("copying {}", entry.path().display()))?;
            if let Some(stem) = name.strip_suffix(".example").filter(|_| in_secrets) {
                std::fs::copy(entry.path(), to.join(stem))?;
            }
        } else {
            bail!("{}: only plain files and folders belong in infra/k8s", entry.path().display());
        }
    }
    Ok(())
}

/// The overlay folders, in name order; there must be some.
fn overlays(src: &Path) -> anyhow::Result<Vec<String>> {
    let dir = src.join("overlays");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    ensure!(!names.is_empty(), "no overlays in infra/k8s/overlays");
    Ok(names)
}

/// `kubectl kustomize DIR`: the manifests `kubectl apply -k` would send.
fn render(dir: &Path) -> anyhow::Result<Vec<u8>> {
    let mut cmd = Command::new("kubectl");
    cmd.arg("kustomize").arg(dir);
    println!("\n==> render: {}", crate::run::describe(&cmd));
    let out = cmd.output().context("running kubectl kustomize")?;
    if !out.status.success() {
        bail!("kubectl kustomize {} failed ({}):\n{}", dir.display(), out.status, String::from_utf8_lossy(&out.stderr));
    }
    ensure!(!out.stdout.is_empty(), "kubectl kustomize {} rendered nothing", dir.display());
    Ok(out.stdout)
}

/// The rendered documents as JSON, read with PyYAML (no YAML crate here).
fn load(venv: &crate::pytools::Venv, file: &Path) -> anyhow::Result<Vec<Value>> {
    const TO_JSON: &str = "import json, sys, yaml\n\
        with open(sys.argv[1]) as f:\n    docs = [d for d in yaml.safe_load_all(f) if d is not None]\n\
        json.dump(docs, sys.stdout)";
    let out = venv.command("python").args(["-c", TO_JSON]).arg(file).output().context("running python")?;
    if !out.status.success() {
        bail!("reading {}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
    }
    let docs: Vec<Value> = serde_json::from_slice(&out.stdout).context("parsing the rendered manifests")?;
    ensure!(!docs.is_empty(), "{} holds no resources", file.display());
    Ok(docs)
}

/// "11 resources (ConfigMap 1, Deployment 1, ...)".
fn count(docs: &[Value]) -> String {
    let mut kinds = BTreeMap::<&str, usize>::new();
    for d in docs {
        *kinds.entry(d["kind"].as_str().unwrap_or("?")).or_default() += 1;
    }
    let list: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    format!("{} resources ({})", docs.len(), list.join(", "))
}

fn of_kind<'a>(docs: &'a [Value], kind: &'a str) -> impl Iterator<Item = &'a Value> {
    docs.iter().filter(move |d| d["kind"] == kind)
}

fn name(doc: &Value) -> &str {
    doc["metadata"]["name"].as_str().unwrap_or("")
}

/// The cross-resource rules, for every Deployment of the overlay.
fn rules(docs: &[Value]) -> anyhow::Result<()> {
    let deployments: Vec<&Value> = of_kind(docs, "Deployment").collect();
    ensure!(!deployments.is_empty(), "no Deployment rendered");
    for dep in deployments {
        let dep_name = name(dep);
        let pod = &dep["spec"]["template"]["spec"];
        let containers = pod["containers"].as_array().map(Vec::as_slice).unwrap_or_default();
        ensure!(!containers.is_empty(), "Deployment {dep_name} has no containers");

        // An autoscaler and a fixed count fight: `kubectl apply` resets the
        // count the HPA chose; without an HPA the count must be explicit.
        let hpa = of_kind(docs, "HorizontalPodAutoscaler").any(|h| {
            h["spec"]["scaleTargetRef"]["kind"] == "Deployment" && h["spec"]["scaleTargetRef"]["name"] == dep_name
        });
        let replicas = dep["spec"].get("replicas").is_some();
        ensure!(
            hpa != replicas,
            "Deployment {dep_name}: {}",
            if hpa {
                "an HPA scales it, so it must not set spec.replicas"
            } else {
                "no HPA scales it: set spec.replicas"
            }
        );

        for c in containers {
            let cname = c["name"].as_str().unwrap_or("");
            let env = environment(docs, c)?;
            // The kubelet's SIGKILL must not cut a request that is still
            // within the server's drain time.
            let grace = pod["terminationGracePeriodSeconds"].as_u64().unwrap_or(30);
            let sleep = c["lifecycle"]["preStop"]["sleep"]["seconds"].as_u64().unwrap_or(0);
            let drain: u64 = env.get("MCP_DRAIN_TIMEOUT_SECS").map_or(Ok(25), |v| v.parse()).with_context(|| {
                format!("container {cname}: MCP_DRAIN_TIMEOUT_SECS is not a whole number of seconds")
            })?;
            ensure!(
                grace > sleep + drain,
                "Deployment {dep_name}: terminationGracePeriodSeconds {grace} must exceed the preStop sleep {sleep} s \
                 plus MCP_DRAIN_TIMEOUT_SECS {drain}"
            );
            hosts(docs, &env).with_context(|| format!("Deployment {dep_name}, container {cname}"))?;
            secret_files(docs, pod, c, &env).with_context(|| format!("Deployment {dep_name}, container {cname}"))?;
        }
    }
    Ok(())
}

/// The container's plain environment: ConfigMaps named by `envFrom`
/// (which must be in the render), then `env` values.
fn environment(docs: &[Value], c: &Value) -> anyhow::Result<BTreeMap<String, String>> {
    let mut env = BTreeMap::new();
    for from in c["envFrom"].as_array().into_iter().flatten() {
        if let Some(cm) = from["configMapRef"]["name"].as_str() {
            let map = of_kind(docs, "ConfigMap")
                .find(|d| name(d) == cm)
                .with_context(|| format!("envFrom names ConfigMap {cm}, which the overlay does not render"))?;
            for (k, v) in map["data"].as_object().into_iter().flatten() {
                env.insert(k.clone(), v.as_str().unwrap_or("").to_owned());
            }
        }
    }
    for e in c["env"].as_array().into_iter().flatten() {
        if let (Some(k), Some(v)) = (e["name"].as_str(), e["value"].as_str()) {
            env.insert(k.to_owned(), v.to_owned());
        }
    }
    Ok(env)
}

/// A Host allow-list must admit every Ingress host (the Ingress passes the
/// client's Host through; a missing one is refused with 403). The deep
/// check needs nothing more: it sends the list's first name.
fn hosts(docs: &[Value], env: &BTreeMap<String, String>) -> anyhow::Result<()> {
    let Some(list) = env.get("MCP_ALLOWED_HOSTS").filter(|v| v.trim() != "*") else { return Ok(()) };
    let allowed: Vec<&str> = list.split(',').map(str::trim).collect();
    let admits = |h: &str| allowed.iter().any(|a| a.eq_ignore_ascii_case(h));
    for ing in of_kind(docs, "Ingress") {
        let spec = &ing["spec"];
        let rule_hosts = spec["rules"].as_array().into_iter().flatten().map(|r| &r["host"]);
        let tls_hosts =
            spec["tls"].as_array().into_iter().flatten().flat_map(|t| t["hosts"].as_array().into_iter().flatten());
        for h in rule_hosts.chain(tls_hosts).filter_map(Value::as_str) {
            ensure!(admits(h), "Ingress {} serves host {h}, which MCP_ALLOWED_HOSTS ({list}) does not list", name(ing));
        }
    }
    Ok(())
}

/// Every `MCP_SECRET_*=file:PATH` must name a key of a Secret that the
/// overlay renders, mounted read-only as a whole directory (a `subPath`
/// mount is never updated, which would silently stop rotation).
fn secret_files(docs: &[Value], pod: &Value, c: &Value, env: &BTreeMap<String, String>) -> anyhow::Result<()> {
    let mounts = c["volumeMounts"].as_array().map(Vec::as_slice).unwrap_or_default();
    let volumes = pod["volumes"].as_array().map(Vec::as_slice).unwrap_or_default();
    let mut seen = 0;
    for (var, path) in env.iter().filter(|(k, _)| k.starts_with("MCP_SECRET_")) {
        let Some(path) = path.strip_prefix("file:") else { continue };
        let (dir, key) = path.rsplit_once('/').with_context(|| format!("{var}: {path} is not an absolute path"))?;
        let mount = mounts
            .iter()
            .find(|m| m["mountPath"].as_str().is_some_and(|p| p.trim_end_matches('/') == dir))
            .with_context(|| format!("{var}: nothing is mounted at {dir}"))?;
        ensure!(mount["readOnly"] == true, "{var}: the mount at {dir} must be readOnly");
        ensure!(mount.get("subPath").is_none(), "{var}: the mount at {dir} uses subPath, which never sees rotations");
        let volume = volumes
            .iter()
            .find(|v| v["name"] == mount["name"])
            .with_context(|| format!("{var}: no volume {} for the mount at {dir}", mount["name"]))?;
        let secret_name = volume["secret"]["secretName"]
            .as_str()
            .with_context(|| format!("{var}: the volume at {dir} is not a Secret"))?;
        let secret = of_kind(docs, "Secret")
            .find(|s| name(s) == secret_name)
            .with_context(|| format!("{var}: Secret {secret_name} is not part of the overlay"))?;
        let has_key = [&secret["data"], &secret["stringData"]].iter().any(|m| m.get(key).is_some());
        ensure!(has_key, "{var}: Secret {secret_name} has no key {key}");
        seen += 1;
    }
    ensure!(seen > 0, "no MCP_SECRET_*=file: reference: the endpoint would run without its token guard");
    Ok(())
}

/// checkov on the rendered manifests. Its summary is read back, so a scan
/// that parsed nothing (and so passed nothing) fails too.
fn scan(venv: &crate::pytools::Venv, dir: &Path) -> anyhow::Result<()> {
    let mut cmd = venv.command("checkov");
    cmd.arg("--directory").arg(dir);
    // --skip-download: the policy metadata comes from a remote API that
    // offline machines cannot reach; the built-in checks need none of it.
    cmd.args(["--framework", "kubernetes", "--compact", "--quiet", "--skip-download"]);
    cmd.env("PATH", venv.path_env());
    println!("\n==> checkov: {}", crate::run::describe(&cmd));
    let out = cmd.output().context("running checkov")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    ensure!(out.status.success(), "checkov found failed checks ({}): fix them, or skip one with a reason", out.status);
    let passed = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("Passed checks: "))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.trim().parse::<u32>().ok());
    ensure!(
        passed.is_some_and(|n| n > 0),
        "checkov reported no passed checks: it scanned nothing in {}",
        dir.display()
    );
    Ok(())
}
