//! `bench-lambda`'s parts: a local stand-in of the AWS Lambda Runtime API
//! ([`runtime_api`]) that times a function process from its start to its
//! first `GET /next` (init), its first invocation and its warm ones, with
//! Function URL events ([`event`]) whose every answer is checked
//! ([`check`]), buffered or streamed.
//!
//! The stand-in exists because no real Lambda sandbox runs here; it speaks
//! the protocol the official runtime clients (`lambda_runtime`,
//! `awslambdaric`) speak, so the same function binary runs unchanged on it
//! and on Lambda. What it cannot show: the platform's own sandbox start
//! (Firecracker, the code download), which comes before any of this.

pub mod ack;
pub mod check;
pub mod event;
pub mod function;
pub mod options;
pub mod run;
pub mod runtime_api;

pub use ack::AckPolicy;
pub use options::{Options, USAGE};
pub use run::measure;
