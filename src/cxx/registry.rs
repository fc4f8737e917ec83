//! The C++ side of `etcd::ServiceRegistry` and `etcd::ServiceDiscovery`.

use std::time::Duration;

use cxx::UniquePtr;

use super::bridge::ffi;
use super::{guard, kv_data, panic_response, response_data, Client};
use crate::core::{self, ChangeKind};

/// `etcd::ffi::ServiceRegistry`.
pub struct ServiceRegistry(core::ServiceRegistry);
/// `etcd::ffi::ServiceDiscovery`.
pub struct ServiceDiscovery(core::ServiceDiscovery);

pub(super) fn registry_new(
    client: &Client,
    ttl: i64,
    revoke_on_close: bool,
    sink: UniquePtr<ffi::ResponseSink>,
) -> Box<ServiceRegistry> {
    let callback: Option<core::registry::ReregisterCallback> = if sink.is_null() {
        None
    } else {
        Some(Box::new(move |old, new| {
            if let Some(s) = sink.as_ref() {
                let mut r = ffi::ResponseData {
                    action: "reregistered".into(),
                    ..Default::default()
                };
                r.prev_value.lease = old;
                r.value.lease = new;
                let _ = s.call(&r);
            }
        }))
    };
    let options = core::RegistryOptions {
        ttl,
        revoke_on_close,
        ..Default::default()
    };
    Box::new(ServiceRegistry(core::ServiceRegistry::new(
        &client.0, options, callback,
    )))
}

pub(super) fn registry_add(
    registry: &ServiceRegistry,
    key: &[u8],
    value: &[u8],
) -> ffi::ResponseData {
    guard(panic_response, || response_data(registry.0.add(key, value)))
}

pub(super) fn registry_remove(registry: &ServiceRegistry, key: &[u8]) -> ffi::ResponseData {
    guard(panic_response, || response_data(registry.0.remove(key)))
}

pub(super) fn registry_lease(registry: &ServiceRegistry) -> i64 {
    registry.0.lease()
}

pub(super) fn registry_close(registry: &ServiceRegistry) {
    guard(|| (), || registry.0.close())
}

fn change_data(c: &core::Change) -> ffi::ResponseData {
    ffi::ResponseData {
        action: match c.kind {
            ChangeKind::Added => "added",
            ChangeKind::Updated => "updated",
            ChangeKind::Removed => "removed",
        }
        .into(),
        index: c.value.mod_revision,
        value: kv_data(c.value.clone()),
        prev_value: c.prev.clone().map(kv_data).unwrap_or_default(),
        ..Default::default()
    }
}

pub(super) fn discovery_new(
    client: &Client,
    prefix: &[u8],
    sink: UniquePtr<ffi::ResponseSink>,
) -> Box<ServiceDiscovery> {
    let listener: Option<core::discovery::Listener> = if sink.is_null() {
        None
    } else {
        Some(Box::new(move |c: &core::Change| {
            if let Some(s) = sink.as_ref() {
                let _ = s.call(&change_data(c));
            }
        }))
    };
    Box::new(ServiceDiscovery(core::ServiceDiscovery::new(
        &client.0, prefix, listener,
    )))
}

pub(super) fn discovery_wait_ready(discovery: &ServiceDiscovery, timeout_ms: i64) -> bool {
    let t = if timeout_ms < 0 {
        Duration::MAX
    } else {
        Duration::from_millis(timeout_ms as u64)
    };
    discovery.0.wait_ready(t)
}

pub(super) fn discovery_snapshot(discovery: &ServiceDiscovery) -> ffi::ResponseData {
    let (revision, values) = discovery.0.snapshot();
    ffi::ResponseData {
        action: "get".into(),
        index: revision,
        values: values.into_iter().map(kv_data).collect(),
        ..Default::default()
    }
}

pub(super) fn discovery_close(discovery: &ServiceDiscovery) {
    guard(|| (), || discovery.0.close())
}
