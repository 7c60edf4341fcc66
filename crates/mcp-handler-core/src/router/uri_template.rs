//! Matching URIs against RFC 6570 templates, the subset resource templates
//! use: `{var}` (one segment, no `/`), `{+var}` (reserved: may span `/`)
//! and `{var1,var2}` is rejected at build time.

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    Var { name: String, reserved: bool },
}

/// A compiled URI template.
#[derive(Debug, Clone)]
pub(crate) struct UriTemplate {
    parts: Vec<Part>,
}

impl UriTemplate {
    pub(crate) fn parse(template: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_owned()));
            }
            let close = rest[open..].find('}').ok_or_else(|| format!("unclosed '{{' in URI template {template:?}"))?;
            let expr = &rest[open + 1..open + close];
            let (reserved, name) = match expr.strip_prefix('+') {
                Some(n) => (true, n),
                None => (false, expr),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("unsupported expression {{{expr}}} in URI template {template:?}"));
            }
            if matches!(parts.last(), Some(Part::Var { .. })) {
                return Err(format!("two adjacent variables in URI template {template:?} cannot be matched"));
            }
            parts.push(Part::Var { name: name.to_owned(), reserved });
            rest = &rest[open + close + 1..];
        }
        if rest.contains('}') {
            return Err(format!("stray '}}' in URI template {template:?}"));
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        Ok(Self { parts })
    }

    /// The variable names, in order.
    pub(crate) fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var { name, .. } => Some(name.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// Matches `uri`, returning the (percent-decoded) variable values.
    pub(crate) fn matches(&self, uri: &str) -> Option<HashMap<String, String>> {
        let mut vars = HashMap::new();
        let mut rest = uri;
        let mut i = 0;
        while i < self.parts.len() {
            match &self.parts[i] {
                Part::Literal(lit) => rest = rest.strip_prefix(lit.as_str())?,
                Part::Var { name, reserved } => {
                    // A variable runs to the next literal (or the end).
                    let end = match self.parts.get(i + 1) {
                        Some(Part::Literal(next)) => rest.find(next.as_str())?,
                        _ => rest.len(),
                    };
                    let value = &rest[..end];
                    if value.is_empty() || (!reserved && value.contains('/')) {
                        return None;
                    }
                    let value = percent_decode(value)?;
                    // A variable named twice must match the same text twice
                    // (RFC 6570 expands both from one value); otherwise the
                    // last would silently win (found by fuzzing).
                    if vars.get(name).is_some_and(|seen| *seen != value) {
                        return None;
                    }
                    vars.insert(name.clone(), value);
                    rest = &rest[end..];
                }
            }
            i += 1;
        }
        rest.is_empty().then_some(vars)
    }
}

fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_variables_match_one_segment() {
        let t = UriTemplate::parse("test://template/{id}/data").unwrap();
        assert_eq!(t.matches("test://template/123/data").unwrap()["id"], "123");
        assert!(t.matches("test://template/1/2/data").is_none());
        assert!(t.matches("test://template//data").is_none());
        assert!(t.matches("test://template/123/datax").is_none());
        assert_eq!(t.matches("test://template/a%20b/data").unwrap()["id"], "a b");
    }

    #[test]
    fn reserved_variables_span_slashes() {
        let t = UriTemplate::parse("file:///{+path}").unwrap();
        assert_eq!(t.matches("file:///etc/hosts").unwrap()["path"], "etc/hosts");
        let two = UriTemplate::parse("db://{table}/rows/{row}").unwrap();
        let m = two.matches("db://users/rows/42").unwrap();
        assert_eq!((m["table"].as_str(), m["row"].as_str()), ("users", "42"));
    }

    #[test]
    fn a_repeated_variable_matches_one_value() {
        let t = UriTemplate::parse("x://{a}/{a}").unwrap();
        assert_eq!(t.matches("x://1/1").unwrap()["a"], "1");
        assert!(t.matches("x://1/2").is_none());
    }

    #[test]
    fn malformed_templates_are_refused() {
        assert!(UriTemplate::parse("x://{a").is_err());
        assert!(UriTemplate::parse("x://{a}{b}").is_err());
        assert!(UriTemplate::parse("x://{a,b}").is_err());
        assert!(UriTemplate::parse("x://a}").is_err());
    }
}
