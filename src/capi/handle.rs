//! Opaque handles: which Rust value each C handle type stands for, and the only casts between
//! the two. Each handle is declared as `pub struct etcd_x { _private: [u8; 0] }` (cbindgen makes
//! it an incomplete C type) next to an `impl Handle for etcd_x { type Rust = ...; }`.
//!
//! Every owned handle is a `Box` made by [`Handle::into_raw`] and released by
//! [`Handle::free`]; borrowed handles ([`Handle::borrow`]) point into an object the caller owns
//! (a value into its response) and are never freed.

/// A C handle type (`pub struct etcd_x { _private: [u8; 0] }`) and the Rust value behind it.
pub(crate) trait Handle: Sized {
    /// The Rust value a pointer to the handle points to.
    type Rust;

    /// Boxes `value` and hands out the pointer; the caller owns it until [`Handle::free`].
    fn into_raw(value: Self::Rust) -> *mut Self {
        Box::into_raw(Box::new(value)).cast()
    }

    /// A borrowed handle for `value`, valid as long as `value` is.
    fn borrow(value: &Self::Rust) -> *const Self {
        (value as *const Self::Rust).cast()
    }

    /// The value behind `ptr`, or `None` for NULL.
    ///
    /// # Safety
    /// A non-NULL `ptr` must come from [`Handle::into_raw`] or [`Handle::borrow`] and still be
    /// alive for `'a`.
    unsafe fn get<'a>(ptr: *const Self) -> Option<&'a Self::Rust> {
        // SAFETY: per the contract above, the pointer is NULL or points to a live `Self::Rust`.
        unsafe { ptr.cast::<Self::Rust>().as_ref() }
    }

    /// Drops the value behind `ptr`; NULL is a no-op.
    ///
    /// # Safety
    /// A non-NULL `ptr` must come from [`Handle::into_raw`] and not have been freed before.
    unsafe fn free(ptr: *mut Self) {
        if !ptr.is_null() {
            // SAFETY: per the contract above, `ptr` is an unfreed Box of `Self::Rust`.
            drop(unsafe { Box::from_raw(ptr.cast::<Self::Rust>()) });
        }
    }
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

pub(crate) use try_ref;
