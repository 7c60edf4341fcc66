//! Handlers as a user writes them: extractors in any order, state checked
//! when the router is built, typed prompt arguments, plain return values.
//! Each is called through the endpoint in-process, as a client would.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::Arc;

use mcp_handler::{
    Args, BuildError, Call, Cancellation, EndpointConfig, FromCall, Headers, McpError, McpService, Needs, Platform,
    Prompt, Rejection, RequestContext, Resource, ResourceRequest, ResourceTemplate, Router, RouterBuilder, State, Tool,
};
use mcp_handler_tests::post_json;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize, schemars::JsonSchema)]
struct Add {
    a: i64,
    b: i64,
}

/// Shared with handlers through `RouterBuilder::state`.
#[derive(Clone)]
struct Offset(i64);

#[derive(Clone)]
struct NeverGiven;

fn service(b: RouterBuilder) -> McpService {
    McpService::new(b.build().unwrap(), EndpointConfig::default())
}

async fn rpc(svc: &McpService, method: &str, params: Value) -> Value {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }).to_string();
    post_json(svc, &body, &[("x-trace", "abc")]).await.json()
}

async fn call_tool(svc: &McpService, name: &str, arguments: Value) -> Value {
    rpc(svc, "tools/call", json!({ "name": name, "arguments": arguments })).await["result"].clone()
}

#[tokio::test]
async fn extractors_come_in_any_order_and_any_subset() {
    let svc = service(
        Router::builder("s", "1")
            .state(Offset(100))
            .tool(Tool::builder("state_first").description("d").handler(
                |State(o): State<Offset>, Args(x): Args<Add>, _ctx: RequestContext| async move {
                    (x.a + x.b + o.0).to_string()
                },
            ))
            .tool(Tool::builder("args_last").description("d").handler(
                |h: Headers, c: Cancellation, p: Platform, State(o): State<Offset>, x: Add| async move {
                    let trace = h.get("x-trace").and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
                    format!("{} {trace} cancelled={} platform={}", x.a + x.b + o.0, c.is_cancelled(), p.is_some())
                },
            ))
            .tool(Tool::builder("nothing").description("d").handler(|| async { "none needed" }))
            // The first form, unchanged: the context, then the arguments struct.
            .tool(
                Tool::builder("classic")
                    .description("d")
                    .handler(|_ctx: RequestContext, x: Add| async move { (x.a * x.b).to_string() }),
            ),
    );
    let text = |r: Value| r["content"][0]["text"].as_str().unwrap().to_owned();
    assert_eq!(text(call_tool(&svc, "state_first", json!({ "a": 1, "b": 2 })).await), "103");
    assert_eq!(
        text(call_tool(&svc, "args_last", json!({ "a": 1, "b": 2 })).await),
        "103 abc cancelled=false platform=false"
    );
    assert_eq!(text(call_tool(&svc, "nothing", json!({})).await), "none needed");
    assert_eq!(text(call_tool(&svc, "classic", json!({ "a": 3, "b": 4 })).await), "12");

    let tools = rpc(&svc, "tools/list", json!({})).await;
    let schema = |name: &str| {
        tools["result"]["tools"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap()["inputSchema"].clone()
    };
    assert_eq!(schema("state_first")["required"], json!(["a", "b"]), "Args<T> gives the inputSchema");
    assert_eq!(schema("args_last"), schema("state_first"), "a bare T anywhere in the list does too");
    assert_eq!(schema("nothing"), json!({ "type": "object", "properties": {} }), "no arguments: an empty object");
}

#[tokio::test]
async fn bad_arguments_are_told_to_the_model_as_before() {
    let svc = service(
        Router::builder("s", "1").state(Offset(0)).tool(
            Tool::builder("add")
                .description("d")
                .handler(|State(_): State<Offset>, Args(x): Args<Add>| async move { (x.a + x.b).to_string() }),
        ),
    );
    let r = call_tool(&svc, "add", json!({ "a": "one", "b": 2 })).await;
    assert_eq!(r["isError"], true);
    let text = r["content"][0]["text"].as_str().unwrap();
    assert!(text.starts_with("Invalid arguments for tool 'add': invalid type: string \"one\", expected i64"), "{text}");
}

#[test]
fn a_missing_state_fails_the_build_naming_the_type() {
    let err = Router::builder("s", "1")
        .state(Offset(1))
        .tool(Tool::builder("t").description("d").handler(|State(_): State<NeverGiven>| async { "x" }))
        .build()
        .unwrap_err();
    assert!(matches!(&err, BuildError::MissingState { kind: "tool", name, .. } if name == "t"), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("handlers::NeverGiven") && msg.contains("RouterBuilder::state"), "{msg}");

    let err = Router::builder("s", "1")
        .prompt(Prompt::builder("p").get(|State(_): State<Offset>| async { "x" }))
        .build()
        .unwrap_err();
    assert!(err.to_string().starts_with("prompt \"p\" extracts State<handlers::Offset>"), "{err}");
    let err = Router::builder("s", "1")
        .resource(Resource::builder("r://x", "x").read(|State(_): State<Offset>| async { "x" }))
        .build()
        .unwrap_err();
    assert!(matches!(err, BuildError::MissingState { kind: "resource", .. }), "{err:?}");
}

#[test]
fn parameters_a_handler_cannot_be_given_fail_the_build() {
    let two_args = Router::builder("s", "1")
        .tool(Tool::builder("t").description("d").handler(|_a: Args<Add>, _b: Add| async { "x" }))
        .build()
        .unwrap_err();
    assert!(matches!(two_args, BuildError::InvalidHandler { kind: "tool", .. }), "{two_args:?}");
    let request_in_tool = Router::builder("s", "1")
        .tool(Tool::builder("t").description("d").handler(|_r: ResourceRequest| async { "x" }))
        .build()
        .unwrap_err();
    assert!(request_in_tool.to_string().contains("only given to resource handlers"), "{request_in_tool}");
}

/// The prompt's arguments: the listing is derived from these fields.
#[derive(Deserialize, schemars::JsonSchema)]
struct Summarize {
    /// The text to summarize.
    text: String,
    /// brief or detailed
    style: Option<String>,
    /// Whom the summary is for.
    #[serde(rename = "forAudience")]
    audience: Option<String>,
}

#[tokio::test]
async fn typed_prompt_arguments_give_the_listed_arguments_and_reach_the_handler() {
    let svc =
        service(
            Router::builder("s", "1")
                .prompt(Prompt::builder("summarize").description("d").get(|Args(a): Args<Summarize>| async move {
                    format!(
                        "{} ({}, for {})",
                        a.text,
                        a.style.as_deref().unwrap_or("brief"),
                        a.audience.unwrap_or_default()
                    )
                }))
                // The map form still works, with arguments declared by hand.
                .prompt(Prompt::builder("map").argument("x", "an x", true).get(
                    |args: HashMap<String, String>, _ctx: RequestContext| async move { format!("x={}", args["x"]) },
                )),
        );
    let list = rpc(&svc, "prompts/list", json!({})).await;
    assert_eq!(
        list["result"]["prompts"][0]["arguments"],
        json!([
            { "name": "text", "description": "The text to summarize.", "required": true },
            { "name": "style", "description": "brief or detailed" },
            { "name": "forAudience", "description": "Whom the summary is for." },
        ]),
        "declaration order, doc comments, Option = optional, serde names"
    );
    let got =
        rpc(&svc, "prompts/get", json!({ "name": "summarize", "arguments": { "text": "hi", "forAudience": "kids" } }))
            .await;
    assert_eq!(
        got["result"]["messages"],
        json!([{ "role": "user", "content": { "type": "text", "text": "hi (brief, for kids)" } }])
    );
    let missing = rpc(&svc, "prompts/get", json!({ "name": "summarize", "arguments": {} })).await;
    assert_eq!(missing["error"]["message"], "Missing required argument: text", "checked before the handler, as before");
    let map = rpc(&svc, "prompts/get", json!({ "name": "map", "arguments": { "x": "1" } })).await;
    assert_eq!(map["result"]["messages"][0]["content"]["text"], "x=1");
}

#[tokio::test]
async fn resource_and_prompt_handlers_return_plain_values() {
    let svc = service(
        Router::builder("s", "1")
            .resource(Resource::builder("docs://readme", "readme").mime_type("text/markdown").read(|| async { "# Hi" }))
            .resource(
                Resource::builder("docs://fails", "fails")
                    .read(|| async { Err::<String, _>(McpError::invalid_params("not today")) }),
            )
            .resource_template(ResourceTemplate::builder("users://{id}", "user").read(
                |r: ResourceRequest, State(o): State<Offset>| async move {
                    // A literal is sent as is; a run-time `String` would
                    // read "Internal error" (its text may carry internals).
                    let id: i64 = r.params["id"].parse().map_err(|_| "id is not a number")?;
                    Ok::<_, &'static str>(format!("user {}", id + o.0))
                },
            ))
            .state(Offset(1))
            .prompt(Prompt::builder("hello").get(|| async { "Say hello" })),
    );
    let read = |uri: &str| rpc(&svc, "resources/read", json!({ "uri": uri }));
    assert_eq!(
        read("docs://readme").await["result"]["contents"],
        json!([{ "uri": "docs://readme", "mimeType": "text/markdown", "text": "# Hi" }]),
        "bare text: contents at the URI read, with the declared MIME type"
    );
    assert_eq!(read("users://41").await["result"]["contents"], json!([{ "uri": "users://41", "text": "user 42" }]));
    let failed = read("users://x").await;
    assert_eq!(
        (failed["error"]["code"].as_i64(), &failed["error"]["message"]),
        (Some(-32603), &json!("id is not a number"))
    );
    assert_eq!(read("docs://fails").await["error"]["code"], -32602);
    let hello = rpc(&svc, "prompts/get", json!({ "name": "hello" })).await;
    assert_eq!(
        hello["result"]["messages"][0],
        json!({ "role": "user", "content": { "type": "text", "text": "Say hello" } })
    );
}

#[test]
fn finished_things_have_plain_names_and_the_old_ones_still_work() {
    let tool: Tool = Tool::builder("t").description("d").handler(|| async { "x" });
    assert_eq!(tool.name(), "t");
    #[allow(deprecated)]
    let old: mcp_handler::ToolDef =
        Tool::new("u").description("d").handler(|_c: RequestContext, _: mcp_handler::NoArgs| async { "x" });
    let router = Router::builder("s", "1").tool(tool).tool(old).build().unwrap();
    assert_eq!(router.tool_names().collect::<Vec<_>>(), ["t", "u"]);
    let _shared: Arc<Router> = Arc::new(router);
}

/// An extractor written outside the library: the request id as text, and a
/// declared need for the router's `Offset`.
struct RequestIdText(String);

impl FromCall for RequestIdText {
    fn from_call(call: &mut Call<'_>) -> Result<Self, Rejection> {
        let offset = call.context().state::<Offset>().map_or(0, |o| o.0);
        Ok(Self(format!("{}+{offset}", call.context().request_id())))
    }
    fn describe(needs: &mut Needs) {
        needs.state::<Offset>();
    }
}

#[tokio::test]
async fn users_write_their_own_extractors() {
    let tool = || Tool::builder("id").description("d").handler(|RequestIdText(id): RequestIdText| async move { id });
    let svc = service(Router::builder("s", "1").state(Offset(5)).tool(tool()));
    assert_eq!(call_tool(&svc, "id", json!({})).await["content"][0]["text"], "1+5");
    let err = Router::builder("s", "1").tool(tool()).build().unwrap_err();
    assert!(matches!(err, BuildError::MissingState { .. }), "its declared need is checked too: {err:?}");
}
