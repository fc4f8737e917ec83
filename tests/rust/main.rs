//! Integration tests of the Rust core against real etcd servers started by [`etcd`].

mod etcd;

mod autosync;
mod cluster;
mod concurrency;
mod keepalive;
mod kv;
mod registry;
mod registry_fault;
mod runtime;
mod security;
mod trust;
mod watch;

use std::sync::OnceLock;

use etcd_cpp_rs::core::{Client, Request, Response};

/// The single-member server shared by the tests of this binary (each uses its own prefix).
pub fn single() -> &'static etcd::Cluster {
    static SINGLE: OnceLock<etcd::Cluster> = OnceLock::new();
    SINGLE.get_or_init(|| etcd::Cluster::start(1))
}

/// A client of [`single`].
pub fn client() -> Client {
    Client::new(&single().endpoints(), Default::default())
}

/// A key prefix unique to the calling test.
pub fn prefix(test: &str) -> String {
    format!("/rust-tests/{}/{}/", std::process::id(), test)
}

/// Shorthand for a blocking call.
pub fn call(c: &Client, r: Request) -> Response {
    c.execute_blocking(r)
}

/// Bytes of a str.
pub fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}
