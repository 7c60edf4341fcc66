//! Target `secret_ref`: any text as the value of `MCP_SECRET_<NAME>`, read
//! by `Secrets::builder().build()` as a deployment would (the parser of
//! `reference.rs` and the binding to a source).
//!
//! Parsing must not panic, and a refused reference is never echoed: the
//! secrets crate promises it because people paste the secret itself where
//! the reference belongs, and the error goes to logs. The property is
//! stated exactly: every error's text (`Display` and `Debug`) is one of the
//! fixed texts that the representative bad references below produce, so
//! it carries nothing of the input. A new kind of error fails here until
//! it is added to the list, after checking that it echoes nothing.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use mcp_handler_secrets::{ConfigError, Secrets};

const NAME: &str = "FUZZ_KEY";

/// One bad reference per kind of refusal (an empty value: none set).
const REPRESENTATIVES: [&str; 7] = ["", "hunter2", "vault:hunter2", "env:", "env:x#", "env:x?ttl", "env:x?zz=1"];

/// References to the AWS sources: refused when the crate is built without
/// them (as here), accepted where feature unification turns them on (the
/// tests package builds `aws-secrets`).
const FEATURE_GATED: [&str; 2] = ["aws-sm:x", "aws-ext:x"];

/// The only texts an error may have.
static KNOWN: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    let mut known = BTreeSet::new();
    for r in REPRESENTATIVES {
        let e = build(r).expect_err("a representative bad reference");
        known.extend([e.to_string(), format!("{e:?}")]);
    }
    for e in FEATURE_GATED.into_iter().filter_map(|r| build(r).err()) {
        known.extend([e.to_string(), format!("{e:?}")]);
    }
    known
});

fn build(reference: &str) -> Result<Secrets, ConfigError> {
    let var = mcp_handler_secrets::reference_var(NAME);
    let reference = reference.to_owned();
    Secrets::builder().required(NAME).with_env(move |v| (v == var).then(|| reference.clone())).build()
}

/// Panics when `data` breaks a property (see the module docs).
pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match build(&text) {
        Err(e) => {
            for shown in [e.to_string(), format!("{e:?}")] {
                assert!(
                    KNOWN.contains(&shown),
                    "an error text that is not a fixed one (does it echo the input?): {shown}"
                );
            }
        }
        Ok(secrets) => {
            let reference = secrets.reference(NAME).expect("a configured secret has its reference");
            let shown = reference.to_string();
            assert!(shown.starts_with(&format!("{}:", reference.scheme())), "{shown}");
        }
    }
}
