//! The 2026-07-28 generation: per-request `_meta`, routing headers, and
//! input-required results (MRTR) with integrity-protected request state.
//!
//! The generation of a request is decided once, in the HTTP endpoint
//! (`http::generation`); everything here runs only for stateless requests.

pub(crate) mod headers;
pub(crate) mod meta;
pub(crate) mod mrtr;
pub(crate) mod state;

pub use state::{Principal, RequestStateKey, RequestStateKeyError};
