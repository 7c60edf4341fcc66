//! The ECS task definition's `mcp` container run under podman exactly as
//! `infra/ecs/service.yaml` states it: every value (environment, secrets,
//! read-only root, user, dropped capabilities, health check command and
//! timings, stop timeout, port) is read from the template by
//! `ecs::container_spec`, so the template and this run cannot drift.
//!
//! What ECS provides and podman does not is replaced, and named here:
//! - the image: this run's amd64 `demo` image (Fargate runs the arm64 one
//!   of the same Dockerfile; `image.rs` runs that one under qemu);
//! - AWS Secrets Manager: a local `moto_server`, reached from the container
//!   through slirp4netns's host-loopback address, holding the JSON secret
//!   the template's `SecretArn` names (its ARN is moto's);
//! - the task role's credentials: dummy keys in the environment;
//! - ECS's injection of `Secrets` at task start: their values, read from
//!   that secret by this test, passed as environment variables;
//! - the ALB: a client sending the `Host` the load balancer would forward.

use std::time::Duration;

use anyhow::{Context as _, ensure};

use crate::containers::Container;
use crate::moto::Moto;

/// The address of the host's loopback as slirp4netns shows it.
const HOST_LOOPBACK: &str = "10.0.2.2";
const ALB_DNS: &str = "mcp-xtask-1234567890.us-east-1.elb.amazonaws.com";

/// Runs the check; the amd64 demo image must have been built.
pub(crate) fn check() -> anyhow::Result<()> {
    let moto = Moto::start("ecs")?;
    let auth_token = format!("ecs-token-{}", std::process::id());
    let state_key = "ZWNzLXJ1bi1yZXF1ZXN0LXN0YXRlLWtleS0zMi1ieXRlcyE=";
    let secret_json = serde_json::json!({ "auth_token": auth_token, "request_state_key": state_key }).to_string();
    let create = serde_json::json!({ "Name": "prod/mcp", "SecretString": secret_json }).to_string();
    let (status, body) = moto.call_body("CreateSecret", &create).context("moto did not answer CreateSecret")?;
    ensure!(status == 200, "moto refused CreateSecret: {status} {body}");
    let answer: serde_json::Value = serde_json::from_str(&body).context("CreateSecret answered no JSON")?;
    let arn = answer["ARN"].as_str().context("CreateSecret answered no ARN")?.to_owned();
    let image = crate::image::tag("demo", "amd64");
    let spec = crate::ecs::container_spec(&[
        ("ImageUri", image.as_str()),
        ("SecretArn", arn.as_str()),
        ("LoadBalancer.DNSName", ALB_DNS),
    ])?;
    crate::ecs::print_spec(&spec);
    let mut args: Vec<String> = vec!["--network".into(), "slirp4netns:allow_host_loopback=true".into()];
    let port = crate::run::free_port()?;
    args.extend(["-p".into(), format!("127.0.0.1:{port}:{}/tcp", spec.port)]);
    if spec.read_only {
        args.push("--read-only".into());
    }
    args.extend(["--user".into(), spec.user.clone()]);
    for cap in &spec.drop_caps {
        args.push(format!("--cap-drop={cap}"));
    }
    args.extend(["--health-cmd".into(), serde_json::to_string(&spec.health_cmd)?]);
    args.extend(["--health-interval".into(), format!("{}s", spec.health_interval_s)]);
    args.extend(["--health-timeout".into(), format!("{}s", spec.health_timeout_s)]);
    args.extend(["--health-retries".into(), spec.health_retries.to_string()]);
    args.extend(["--health-start-period".into(), format!("{}s", spec.health_start_period_s)]);
    args.extend(["--stop-timeout".into(), spec.stop_timeout_s.to_string()]);
    for (k, v) in &spec.env {
        args.extend(["--env".into(), format!("{k}={v}")]);
    }
    // ECS resolves `valueFrom: <arn>:<json-key>::` at task start.
    for (name, value_from) in &spec.secrets {
        let key = value_from
            .strip_prefix(&format!("{arn}:"))
            .and_then(|rest| rest.strip_suffix("::"))
            .with_context(|| format!("secret {name}: valueFrom {value_from} is not <SecretArn>:<key>::"))?;
        let value = serde_json::from_str::<serde_json::Value>(&secret_json)?[key]
            .as_str()
            .with_context(|| format!("secret {name}: the JSON secret has no key {key}"))?
            .to_owned();
        args.extend(["--env".into(), format!("{name}={value}")]);
    }
    for (k, v) in [
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER", format!("http://{HOST_LOOPBACK}:{}", moto.addr.port())),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
    ] {
        args.extend(["--env".into(), format!("{k}={v}")]);
    }
    args.push(spec.image.clone());
    let c = Container::run("mcp-handler-ecs", &args)?;
    let limit = Duration::from_secs(u64::from(spec.health_start_period_s.max(10) + 20));
    crate::image::wait_healthy(&c, limit)?;
    let addr = ([127, 0, 0, 1], port).into();
    let alb = |headers: &str| crate::image::call_demo_as(addr, ALB_DNS, headers);
    let authorized = alb(&format!("Authorization: Bearer {auth_token}\r\n"))?;
    let anonymous = alb("")?;
    let other_host = crate::image::call_demo(addr, &format!("Authorization: Bearer {auth_token}\r\n"))?;
    println!(
        "==> ECS container under podman: healthy (template's deep check), via ALB host: token {authorized}, \
         none {anonymous}; other Host {other_host}"
    );
    ensure!(
        (authorized, anonymous, other_host) == (200, 401, 403),
        "expected 200/401/403 (token from Secrets Manager; Host allow-list = the ALB's name)\n{}",
        c.logs()
    );
    let logs = c.logs();
    ensure!(!logs.contains(&auth_token) && !logs.contains(state_key), "a secret value appeared in the log");
    crate::image::stop_drained(&c, spec.stop_timeout_s)
}
