//! The guards every entry point goes through: a panic boundary and NULL / byte-slice checks.
//!
//! A function body runs inside [`ffi_boundary`], which turns a panic into the return type's
//! [`Fallback::panicked`] value (`ETCD_STATUS_PANIC`, NULL, 0 or false) instead of unwinding into
//! C. Inside the body the `try_*!` macros check pointer arguments and return the return type's
//! [`Fallback::null`] value (`ETCD_STATUS_NULL_ARGUMENT`, or again NULL, 0 or false) when one is
//! NULL.

use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::status::etcd_status;
use super::types::etcd_bytes;

/// What an entry point returns when its body panicked or an argument was NULL.
pub(crate) trait Fallback {
    /// The value for a caught panic.
    fn panicked() -> Self;
    /// The value for a NULL argument.
    fn null() -> Self;
}

impl Fallback for etcd_status {
    fn panicked() -> Self {
        etcd_status::Panic
    }
    fn null() -> Self {
        etcd_status::NullArgument
    }
}

macro_rules! zero_fallback {
    ($($t:ty => $v:expr),* $(,)?) => {
        $(impl Fallback for $t {
            fn panicked() -> Self {
                $v
            }
            fn null() -> Self {
                $v
            }
        })*
    };
}

zero_fallback! {
    () => (),
    bool => false,
    i32 => 0,
    i64 => 0,
    u64 => 0,
    usize => 0,
    etcd_bytes => etcd_bytes::EMPTY,
}

impl<T> Fallback for *const T {
    fn panicked() -> Self {
        std::ptr::null()
    }
    fn null() -> Self {
        std::ptr::null()
    }
}

/// Runs `body`, returning [`Fallback::panicked`] if it panics.
pub(crate) fn ffi_boundary<T: Fallback>(body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| T::panicked())
}

/// Borrows `len` bytes at `data` as a vector; NULL is accepted only with length 0.
///
/// # Safety
/// A non-NULL `data` must point to `len` readable bytes.
pub(crate) unsafe fn bytes_arg(data: *const c_char, len: usize) -> Option<Vec<u8>> {
    if data.is_null() {
        return (len == 0).then(Vec::new);
    }
    // SAFETY: the caller promises `len` readable bytes at `data`.
    Some(unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) }.to_vec())
}

/// Borrows a NUL-terminated string argument; `None` for NULL, `Some(Err)` for invalid UTF-8.
///
/// # Safety
/// A non-NULL `s` must point to a NUL-terminated string.
pub(crate) unsafe fn str_arg<'a>(s: *const c_char) -> Option<Result<&'a str, std::str::Utf8Error>> {
    // SAFETY: the caller promises a NUL-terminated string.
    (!s.is_null()).then(|| unsafe { std::ffi::CStr::from_ptr(s) }.to_str())
}

/// `let x = try_ref!(ptr);` borrows the object behind a handle pointer, or returns the
/// function's NULL value.
macro_rules! try_ref {
    ($ptr:expr) => {
        // SAFETY: the C contract: a handle pointer is NULL or comes from this library.
        match unsafe { $crate::capi::handle::Handle::get($ptr) } {
            Some(r) => r,
            None => return $crate::capi::boundary::Fallback::null(),
        }
    };
}

/// `let key = try_bytes!(key, key_len);` copies a (pointer, length) argument, or returns the
/// function's NULL value when the pointer is NULL and the length is not 0.
macro_rules! try_bytes {
    ($ptr:expr, $len:expr) => {
        // SAFETY: the C contract: a non-NULL pointer has `len` readable bytes.
        match unsafe { $crate::capi::boundary::bytes_arg($ptr, $len) } {
            Some(v) => v,
            None => return $crate::capi::boundary::Fallback::null(),
        }
    };
}

/// `let out = try_out!(ptr);` borrows an output parameter mutably, or returns the function's
/// NULL value.
macro_rules! try_out {
    ($ptr:expr) => {
        // SAFETY: the C contract: a non-NULL output pointer is valid for writes.
        match unsafe { $ptr.as_mut() } {
            Some(r) => r,
            None => return $crate::capi::boundary::Fallback::null(),
        }
    };
}

/// `let f = try_callback!(cb);` unwraps a required function pointer, or returns the
/// function's NULL value.
macro_rules! try_callback {
    ($cb:expr) => {
        match $cb {
            Some(f) => f,
            None => return $crate::capi::boundary::Fallback::null(),
        }
    };
}

pub(crate) use {try_bytes, try_callback, try_out, try_ref};
