//! Every example tool's `inputSchema` and `outputSchema` is a schema a strict
//! JSON Schema 2020-12 validator accepts: valid against the 2020-12
//! meta-schema, compilable with format assertion on and unknown formats
//! refused, and every `format` one that draft 2020-12 defines. Clients that
//! check formats (the TypeScript SDK) warn about any other.

// Helpers outside #[test] fns are test code too.
#![allow(clippy::unwrap_used)]

use jsonschema::Draft;
use mcp_handler::{EndpointConfig, McpService, RequestContext, Router, Tool};
use mcp_handler_tests::post_json;
use serde_json::{Value, json};

/// The formats draft 2020-12 defines (Validation, section 7.3).
const STANDARD_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

/// Every `format` value in schema positions (instance values under `const`,
/// `enum`, `default` and `examples` are data, not schemas).
fn formats(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(f)) = m.get("format") {
                out.push(f.clone());
            }
            for (k, x) in m {
                if !matches!(k.as_str(), "const" | "enum" | "default" | "examples") {
                    formats(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| formats(x, out)),
        _ => {}
    }
}

/// Why `schema` is not one every client accepts, if it is not.
fn strict_check(schema: &Value) -> Result<(), String> {
    jsonschema::draft202012::meta::validate(schema).map_err(|e| format!("not a 2020-12 schema: {e}"))?;
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .should_ignore_unknown_formats(false)
        .build(schema)
        .map_err(|e| format!("does not compile strictly: {e}"))?;
    let mut found = Vec::new();
    formats(schema, &mut found);
    match found.iter().find(|f| !STANDARD_FORMATS.contains(&f.as_str())) {
        Some(f) => Err(format!("non-standard format {f:?}")),
        None => Ok(()),
    }
}

/// Every tool of `router`, read through `tools/list` as a client reads it.
async fn listed_tools(router: Router) -> Vec<Value> {
    let svc = McpService::new(router, EndpointConfig::default());
    let (mut tools, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let params = cursor.map_or(json!({}), |c| json!({ "cursor": c }));
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": params });
        let r = post_json(&svc, &body.to_string(), &[("mcp-protocol-version", "2025-06-18")]).await;
        let result = &r.json()["result"];
        tools.extend(result["tools"].as_array().unwrap_or_else(|| panic!("no tools in {}", r.text())).clone());
        match result["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return tools,
        }
    }
}

/// The offences of every tool in `router`, one line each.
async fn offences(router: Router) -> Vec<String> {
    let mut out = Vec::new();
    for tool in listed_tools(router).await {
        let name = tool["name"].as_str().unwrap_or("?").to_owned();
        if tool["inputSchema"]["type"] != "object" {
            out.push(format!("{name}: inputSchema is not an object schema"));
        }
        for key in ["inputSchema", "outputSchema"] {
            if let Some(schema) = tool.get(key)
                && let Err(e) = strict_check(schema)
            {
                out.push(format!("{name}.{key}: {e}\n  {schema}"));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_example_tool_schema_passes_a_strict_2020_12_validator() {
    for (label, router) in [
        ("demo", mcp_handler_examples::demo::router().unwrap()),
        ("everything", mcp_handler_examples::everything::router().unwrap()),
    ] {
        let bad = offences(router).await;
        assert!(bad.is_empty(), "{label}:\n{}", bad.join("\n"));
    }
}

#[derive(serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
struct Counted {
    count: usize,
    nested: Vec<u32>,
}

#[test]
fn the_check_refuses_what_schemars_emits_for_a_usize() {
    let raw: Value =
        schemars::generate::SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<Counted>().into();
    let err = strict_check(&raw).unwrap_err();
    assert!(err.contains("uint"), "{err}");
}

#[tokio::test]
async fn a_usize_tool_is_listed_with_schemas_the_check_accepts() {
    let router = Router::builder("sized", "1")
        .tool(
            Tool::builder("sized")
                .description("echoes its sizes")
                .handler(|_c: RequestContext, a: Counted| async move { mcp_handler::Json(a) }),
        )
        .build()
        .unwrap();
    let tools = listed_tools(router.clone()).await;
    assert!(tools[0]["outputSchema"]["properties"]["count"]["minimum"] == 0, "{}", tools[0]);
    let bad = offences(router).await;
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
