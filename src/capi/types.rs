//! Plain data shared with C: byte views and the user data that callbacks get. The callback
//! types are declared with their objects (`watcher.rs`, `keepalive.rs`, `call.rs`).

use std::ffi::{c_char, c_void};

use super::boundary::Fallback;

/// A borrowed byte string: `len` bytes at `data`, not NUL-terminated, possibly containing NUL
/// bytes. Valid only as long as the object it was read from (see each accessor).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct etcd_bytes {
    /// First byte; never NULL when returned by the library (an empty string points to a
    /// static empty buffer).
    pub data: *const c_char,
    /// Number of bytes.
    pub len: usize,
}

impl etcd_bytes {
    /// The empty byte string.
    pub const EMPTY: etcd_bytes = etcd_bytes {
        data: c"".as_ptr(),
        len: 0,
    };

    /// A view of `bytes`, valid as long as they are.
    pub fn of(bytes: &[u8]) -> etcd_bytes {
        if bytes.is_empty() {
            return etcd_bytes::EMPTY;
        }
        etcd_bytes {
            data: bytes.as_ptr().cast(),
            len: bytes.len(),
        }
    }
}

/// An empty view, for a panic or a NULL argument (see [`super::boundary`]).
impl Fallback for etcd_bytes {
    fn panicked() -> Self {
        etcd_bytes::EMPTY
    }
    fn null() -> Self {
        etcd_bytes::EMPTY
    }
}

/// Releases `userdata` once the library no longer uses it.
pub type etcd_free_callback = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

/// A user's `userdata` pointer with its finalizer, which runs when this is dropped.
pub(crate) struct UserData {
    ptr: *mut c_void,
    free: etcd_free_callback,
}

// SAFETY: the C contract says userdata is used from library threads, one callback at a time
// per object; the library itself never dereferences it.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

impl UserData {
    pub(crate) fn new(ptr: *mut c_void, free: etcd_free_callback) -> UserData {
        UserData { ptr, free }
    }

    /// The raw pointer, to pass to a callback.
    pub(crate) fn ptr(&self) -> *mut c_void {
        self.ptr
    }

    /// The pointer alone (no finalizer), for a callback closure to carry.
    pub(crate) fn borrowed(&self) -> UserData {
        UserData {
            ptr: self.ptr,
            free: None,
        }
    }
}

impl Drop for UserData {
    fn drop(&mut self) {
        if let Some(free) = self.free {
            // SAFETY: the finalizer the caller registered for this pointer, run exactly once.
            unsafe { free(self.ptr) };
        }
    }
}
