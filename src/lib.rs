//! etcd-cpp-rs: a drop-in replacement for the etcd-cpp-apiv3 C++ client with a Rust core.
//!
//! [`core`] is the library proper and has no FFI in it (it builds with
//! `--no-default-features`); the `cxx` feature adds the bridge that the C++ classes in `cpp/`
//! are built on, and the `capi` feature the C API of `include/etcd/etcd.h` (for C programs and
//! Python's ctypes).

pub mod core;

#[cfg(feature = "cxx")]
mod cxx;

#[cfg(any(feature = "cxx", feature = "capi"))]
mod host;

#[cfg(feature = "capi")]
pub mod capi;
