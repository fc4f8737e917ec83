//! The lock service (etcd's v3lock), with etcd-cpp-apiv3's response shapes.

use etcd_client::LockOptions;

use super::client::Client;
use super::lease;
use super::response::{action, error_to_response, Kv, Response};

/// `lock_with_lease(name, lease)`: the caller keeps the lease alive.
pub(crate) async fn lock_with_lease(client: &Client, name: Vec<u8>, lease: i64) -> Response {
    // Asking again with the same lease waits on the same key, so a retry is safe.
    let res = client
        .with_failover_waiting(true, |c| {
            let mut l = c.lock_client();
            let name = name.clone();
            async move {
                l.lock(name, Some(LockOptions::new().with_lease(lease)))
                    .await
            }
        })
        .await;
    match res {
        Ok(r) => Response {
            lock_key: r.key().to_vec(),
            value: Kv {
                key: r.key().to_vec(),
                lease,
                ..Kv::default()
            },
            ..Response::ok(action::LOCK).with_header(r.header())
        },
        Err(e) => Response {
            action: action::LOCK.into(),
            ..error_to_response(&e)
        },
    }
}

/// `unlock(lock_key)`: releases the lock and, for `lock(name, ttl)` locks, stops the keep-alive
/// and revokes the lease.
pub(crate) async fn unlock(client: &Client, key: Vec<u8>) -> Response {
    let res = client
        .with_failover(true, |c| {
            let mut l = c.lock_client();
            let key = key.clone();
            async move { l.unlock(key).await }
        })
        .await;
    if let Some(lease) = client.release_lock(&key) {
        lease::revoke(client, lease, true).await;
    }
    match res {
        Ok(r) => Response::ok(action::UNLOCK).with_header(r.header()),
        Err(e) => Response {
            action: action::UNLOCK.into(),
            ..error_to_response(&e)
        },
    }
}
