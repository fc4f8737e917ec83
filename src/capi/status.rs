//! `etcd_status`, the result of every fallible call, and its text.

use std::ffi::{c_char, CStr};

use super::boundary::{ffi_boundary, with_detail, Fallback};

/// Result of a fallible call. The numbers are fixed: a value is never renumbered or reused.
///
/// A status says whether the library could carry out the call. Errors reported by the etcd
/// server or the network (key not found, compare failed, unavailable, timeout...) are not
/// statuses: the call succeeds and the response carries them (`etcd_response_error_code`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum etcd_status {
    /// Success; output parameters were written.
    Ok = 0,
    /// A required pointer argument was NULL (or a (pointer, length) pair was NULL with a
    /// non-zero length).
    NullArgument = 1,
    /// An argument had an invalid value (no usable endpoint, text that is not UTF-8, a TTL that
    /// is not positive...).
    InvalidArgument = 2,
    /// An internal error (a Rust panic) was caught; the library stays usable. Nothing is
    /// printed: `etcd_status_detail` has the message.
    Panic = 3,
    /// `etcd_keepalive_check`: the lease has expired or was revoked.
    LeaseExpired = 4,
    /// `etcd_keepalive_check`: refreshing the lease failed with a server error.
    KeepaliveFailed = 5,
    /// `etcd_call_take_response`: the call has not finished yet.
    Pending = 6,
}

impl etcd_status {
    /// The text of this status.
    pub fn text(self) -> &'static CStr {
        match self {
            etcd_status::Ok => c"success",
            etcd_status::NullArgument => c"a required argument was NULL",
            etcd_status::InvalidArgument => c"invalid argument",
            etcd_status::Panic => c"internal error in the etcd client library",
            etcd_status::LeaseExpired => c"the lease has expired or was revoked",
            etcd_status::KeepaliveFailed => c"refreshing the lease failed",
            etcd_status::Pending => c"the call has not finished yet",
        }
    }

    /// The status with number `n`, if there is one.
    pub fn from_u32(n: u32) -> Option<etcd_status> {
        use etcd_status::*;
        [
            Ok,
            NullArgument,
            InvalidArgument,
            Panic,
            LeaseExpired,
            KeepaliveFailed,
            Pending,
        ]
        .into_iter()
        .find(|s| *s as u32 == n)
    }
}

/// What an entry point returning a status gives for a panic, a NULL argument or an invalid
/// one (see [`super::boundary`]).
impl Fallback for etcd_status {
    fn panicked() -> Self {
        etcd_status::Panic
    }
    fn null() -> Self {
        etcd_status::NullArgument
    }
    fn invalid() -> Self {
        etcd_status::InvalidArgument
    }
}

/// The text of `status` (an `etcd_status` value): a static, NUL-terminated English string that
/// must not be freed. Unknown numbers give "unknown status".
#[no_mangle]
pub extern "C" fn etcd_status_str(status: u32) -> *const c_char {
    ffi_boundary(|| {
        etcd_status::from_u32(status)
            .map_or(c"unknown status", etcd_status::text)
            .as_ptr()
    })
}

/// More about the last `ETCD_STATUS_PANIC` (the internal error's message) or
/// `ETCD_STATUS_INVALID_ARGUMENT` for a length (which one, and why) returned on the calling
/// thread: a NUL-terminated string owned by the library, valid on this thread until the next
/// such status; empty if there was none. The library never prints these on stderr.
#[no_mangle]
pub extern "C" fn etcd_status_detail() -> *const c_char {
    ffi_boundary(|| with_detail(|d| d.as_ptr()))
}

/// The library version ("0.15.4"): a static, NUL-terminated string that must not be freed.
#[no_mangle]
pub extern "C" fn etcd_version() -> *const c_char {
    ffi_boundary(|| concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast())
}
