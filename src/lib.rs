//! etcd-cpp-rs: a drop-in replacement for the etcd-cpp-apiv3 C++ client with a Rust core.
//!
//! [`core`] is the library proper and has no FFI in it (it builds with
//! `--no-default-features`); the `cxx` feature adds the bridge that the C++ classes in `cpp/`
//! are built on.

pub mod core;

#[cfg(feature = "cxx")]
mod cxx;

#[cfg(feature = "capi")]
pub mod capi;
