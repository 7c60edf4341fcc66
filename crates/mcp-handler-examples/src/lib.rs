//! Example routers, shared by the binaries and the end-to-end tests.

pub mod demo;
pub mod everything;

/// The static musl binaries of the container image allocate with mimalloc:
/// musl's own allocator takes one lock for every allocation, which costs a
/// multi-threaded server a tenth of its throughput on one core and more on
/// several. Without transparent huge pages (the `no_thp` feature): with
/// them an idle server holds 2 MiB pages it barely touches. Do the same in
/// your own binary when you build it for musl.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
