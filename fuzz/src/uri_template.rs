//! Target `uri_template`: a resource template on the first line, a URI on
//! the rest (`test://template/{id}/data\ntest://template/42/data`).
//!
//! Compiling and matching must not panic; a match binds exactly the
//! template's variables, each to a non-empty value; and where the URI has
//! no percent escapes (so each value is the very text it matched), putting
//! the values back into the template gives the URI again: the matcher
//! splits a URI the way the template builds it.

use mcp_handler_core::fuzz_api::UriTemplate;

/// Panics when `data` breaks a property (see the module docs).
pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (template_text, uri) = text.split_once('\n').unwrap_or((&text, ""));
    let Ok(template) = UriTemplate::parse(template_text) else { return };
    let names = template.variables();
    let Some(vars) = template.matches(uri) else { return };
    let mut bound: Vec<&String> = vars.keys().collect();
    bound.sort();
    let mut wanted: Vec<&String> = names.iter().collect();
    wanted.sort();
    wanted.dedup();
    assert_eq!(bound, wanted, "a match binds other names than the template's");
    assert!(vars.values().all(|v| !v.is_empty()), "a variable matched empty text: {vars:?}");
    if !uri.contains('%') {
        let rebuilt = expand(template_text, |name| vars[name].as_str());
        assert_eq!(rebuilt, uri, "the values {vars:?} do not rebuild the URI they came from");
    }
}

/// The template with each `{name}` / `{+name}` replaced by `value(name)`
/// (the template is known to compile, so every brace is closed).
fn expand<'a>(template: &str, value: impl Fn(&str) -> &'a str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = open + rest[open..].find('}').expect("a compiled template closes its braces");
        let expr = &rest[open + 1..close];
        out.push_str(value(expr.strip_prefix('+').unwrap_or(expr)));
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}
