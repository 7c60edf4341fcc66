//! Example routers, shared by the binaries and the end-to-end tests.

pub mod demo;
pub mod everything;
