//! The C API: a thin `extern "C"` layer over [`crate::core`], declared in the committed header
//! `include/etcd/etcd.h` (generated from this module by cbindgen, see `cbindgen.toml`).
//!
//! Conventions (the same for every function):
//!
//! - Names are `etcd_<object>_<verb>`; objects are opaque handles (`etcd_client`,
//!   `etcd_watcher`, `etcd_keepalive`, `etcd_response`) created by one function and released by
//!   exactly one `etcd_<object>_free`, which accepts NULL and must not be called twice.
//!   `etcd_value` and `etcd_event` are borrowed from their response and never freed.
//! - Parameters: the handle first, then the inputs, then the outputs (suffix `_out`).
//! - Keys and values are (pointer, length) pairs, so they may hold any bytes including NUL; a
//!   NULL pointer is accepted only with length 0. Texts (endpoints, messages) are
//!   NUL-terminated UTF-8.
//! - Fallible functions return an `etcd_status` with fixed numbers; outputs are written only
//!   when it is `ETCD_STATUS_OK`. Errors of the etcd server or the network are not statuses:
//!   they travel inside the response, with etcd-cpp-apiv3's error codes and messages.
//! - Every entry point checks its pointers (NULL gives `ETCD_STATUS_NULL_ARGUMENT`, or NULL / 0
//!   / false for accessors), refuses lengths above `PTRDIFF_MAX` or too large to copy
//!   (`ETCD_STATUS_INVALID_ARGUMENT`) and catches panics (`ETCD_STATUS_PANIC`, or NULL / 0 /
//!   false). None of these prints anything; `etcd_status_detail` tells more.
//! - Every blocking operation `etcd_client_<op>` has a twin `etcd_client_<op>_start` that returns
//!   at once with an `etcd_call` to wait for in slices, poll or be called back about (see
//!   `call.rs`).
//! - Callbacks take `void *userdata` first, come with an optional `free_userdata` finalizer,
//!   and run on the library's callback threads (named "etcd-cb"), never on a thread of its
//!   network runtime, so a callback may call the blocking functions of this API.
//!
//! Each function body only checks its arguments, calls the core and converts the result; all
//! behaviour (requests, fail-over, watch resumption, keep-alive) is the core's, shared with the
//! C++ API.

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)] // One contract for all functions: the conventions above.
#![deny(unsafe_op_in_unsafe_fn)]

pub(crate) mod boundary;
pub(crate) mod handle;

pub mod call;
pub mod client;
pub mod keepalive;
pub mod lock;
pub mod log;
pub mod maintenance;
pub mod member;
pub mod registry;
pub mod response;
pub mod status;
pub mod thread;
pub mod txn;
pub mod types;
pub mod watcher;

#[cfg(test)]
mod tests;

pub use call::*;
pub use client::*;
pub use keepalive::*;
pub use lock::*;
pub use log::*;
pub use maintenance::*;
pub use member::*;
pub use registry::*;
pub use response::*;
pub use status::*;
pub use thread::*;
pub use txn::*;
pub use types::*;
pub use watcher::*;
