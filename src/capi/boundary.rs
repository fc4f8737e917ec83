//! The guards every entry point goes through: a panic boundary and NULL / byte-slice checks.
//!
//! A function body runs inside [`ffi_boundary`], which turns a panic into the return type's
//! [`Fallback::panicked`] value (`ETCD_STATUS_PANIC`, NULL, 0 or false) instead of unwinding into
//! C. Inside the body the `try_*!` macros check pointer arguments and return the return type's
//! [`Fallback::null`] value (`ETCD_STATUS_NULL_ARGUMENT`, or again NULL, 0 or false) when one is
//! NULL, and [`Fallback::invalid`] (`ETCD_STATUS_INVALID_ARGUMENT`) for a length no object can
//! have. Neither prints anything: a caught panic's message, like the reason for a refused
//! argument, is kept for `etcd_status_detail`.

use std::cell::RefCell;
use std::ffi::{c_char, CString};

/// What an entry point returns when its body panicked or an argument was NULL.
pub(crate) trait Fallback: Sized {
    /// The value for a caught panic.
    fn panicked() -> Self;
    /// The value for a NULL argument.
    fn null() -> Self;
    /// The value for an argument with an impossible value (e.g. a length above `isize::MAX`).
    fn invalid() -> Self {
        Self::null()
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
}

impl<T> Fallback for *const T {
    fn panicked() -> Self {
        std::ptr::null()
    }
    fn null() -> Self {
        std::ptr::null()
    }
}

thread_local! {
    /// What `etcd_status_detail` returns on this thread.
    static DETAIL: RefCell<CString> = RefCell::new(CString::default());
}

/// Keeps `text` as the detail of the status about to be returned on this thread.
pub(crate) fn set_detail(text: &str) {
    let text = CString::new(text.replace('\0', " ")).unwrap_or_default();
    let _ = DETAIL.try_with(|d| *d.borrow_mut() = text);
}

/// Calls `f` with the detail kept on this thread.
pub(crate) fn with_detail<R>(f: impl FnOnce(&CString) -> R) -> R {
    DETAIL.with(|d| f(&d.borrow()))
}

/// Runs `body`, returning [`Fallback::panicked`] if it panics. Prints nothing; the panic's
/// message becomes the thread's status detail.
pub(crate) fn ffi_boundary<T: Fallback>(body: impl FnOnce() -> T) -> T {
    crate::core::panic::catch(body).unwrap_or_else(|message| {
        set_detail(&format!("internal error: {message}"));
        T::panicked()
    })
}

/// Why a (pointer, length) argument was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum BytesError {
    /// NULL with a non-zero length.
    Null,
    /// A length no object can have, or more bytes than can be allocated.
    TooLong,
}

/// Copies `len` bytes at `data` into a vector; NULL is accepted only with length 0.
///
/// # Safety
/// A non-NULL `data` must point to `len` readable bytes.
pub(crate) unsafe fn bytes_arg(data: *const c_char, len: usize) -> Result<Vec<u8>, BytesError> {
    if data.is_null() {
        return if len == 0 {
            Ok(Vec::new())
        } else {
            Err(BytesError::Null)
        };
    }
    // No object is larger than isize::MAX bytes: such a length is a caller's mistake (often a
    // negative number converted to size_t), refused before the pointer is read.
    if len > isize::MAX as usize {
        set_detail(&format!(
            "a length of {len} bytes is larger than any object"
        ));
        return Err(BytesError::TooLong);
    }
    let mut v = Vec::new();
    if v.try_reserve_exact(len).is_err() {
        set_detail(&format!("cannot allocate {len} bytes for an argument"));
        return Err(BytesError::TooLong);
    }
    // SAFETY: the caller promises `len` readable bytes at `data`; len <= isize::MAX.
    v.extend_from_slice(unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) });
    Ok(v)
}

/// Borrows a NUL-terminated string argument; `None` for NULL, `Some(Err)` for invalid UTF-8.
///
/// # Safety
/// A non-NULL `s` must point to a NUL-terminated string.
pub(crate) unsafe fn str_arg<'a>(s: *const c_char) -> Option<Result<&'a str, std::str::Utf8Error>> {
    // SAFETY: the caller promises a NUL-terminated string.
    (!s.is_null()).then(|| unsafe { std::ffi::CStr::from_ptr(s) }.to_str())
}

/// `let key = try_bytes!(key, key_len);` copies a (pointer, length) argument, or returns the
/// function's NULL value when the pointer is NULL and the length is not 0, and its invalid value
/// for a length above `isize::MAX`.
macro_rules! try_bytes {
    ($ptr:expr, $len:expr) => {
        // SAFETY: the C contract: a non-NULL pointer has `len` readable bytes.
        match unsafe { $crate::capi::boundary::bytes_arg($ptr, $len) } {
            Ok(v) => v,
            Err($crate::capi::boundary::BytesError::Null) => {
                return $crate::capi::boundary::Fallback::null()
            }
            Err($crate::capi::boundary::BytesError::TooLong) => {
                return $crate::capi::boundary::Fallback::invalid()
            }
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

pub(crate) use {try_bytes, try_callback, try_out};
