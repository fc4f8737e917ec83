//! Locks and elections (etcd's v3lock and v3election services), with etcd-cpp-apiv3's response
//! shapes and action strings (typos included: "preclaim", "obverse").

use std::sync::{Arc, Mutex};

use etcd_client::{LeaderKey, LockOptions, ProclaimOptions, ResignOptions};

use super::client::Client;
use super::keepalive::KeepAlive;
use super::response::{action, error_to_response, Kv, Response};
use super::runtime;

/// `lock(name, ttl)`: grants a lease of `ttl` seconds, keeps it alive (a task, not a thread) and
/// waits for the lock. The keep-alive is kept by the client until `unlock(lock_key)`.
pub(crate) async fn lock(client: &Client, name: Vec<u8>, ttl: i64) -> Response {
    let grant = super::ops::lease_grant(client, ttl).await;
    if !grant.is_ok() {
        return Response {
            action: action::LOCK.into(),
            ..grant
        };
    }
    let lease = grant.value.lease;
    // Dropped (and the lease left to expire) if the wait below fails or is abandoned.
    let keepalive = KeepAlive::new(client, ttl, lease, None);
    let resp = lock_with_lease(client, name, lease).await;
    if resp.is_ok() {
        client.hold_lock(resp.lock_key.clone(), keepalive);
    }
    resp
}

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
    if let Some(ka) = client.release_lock(&key) {
        let lease = ka.lease();
        drop(ka);
        super::ops::lease_revoke(client, lease, true).await;
    }
    match res {
        Ok(r) => Response::ok(action::UNLOCK).with_header(r.header()),
        Err(e) => Response {
            action: action::UNLOCK.into(),
            ..error_to_response(&e)
        },
    }
}

fn leader_key(name: &[u8], key: &[u8], revision: i64, lease: i64) -> LeaderKey {
    LeaderKey::new()
        .with_name(name.to_vec())
        .with_key(key.to_vec())
        .with_rev(revision)
        .with_lease(lease)
}

/// `campaign(name, lease, value)`: waits until elected.
pub(crate) async fn campaign(
    client: &Client,
    name: Vec<u8>,
    lease: i64,
    value: Vec<u8>,
) -> Response {
    let res = client
        .with_failover_waiting(false, |c| {
            let mut e = c.election_client();
            let (name, value) = (name.clone(), value.clone());
            async move { e.campaign(name, value, lease).await }
        })
        .await;
    match res {
        Ok(r) => {
            let resp = Response::ok(action::CAMPAIGN).with_header(r.header());
            match r.leader() {
                Some(l) => Response {
                    name: l.name().to_vec(),
                    value: Kv {
                        key: l.key().to_vec(),
                        value: value.clone(),
                        create_revision: l.rev(),
                        lease: l.lease(),
                        ..Kv::default()
                    },
                    ..resp
                },
                None => resp,
            }
        }
        Err(e) => Response {
            action: action::CAMPAIGN.into(),
            ..error_to_response(&e)
        },
    }
}

/// `proclaim(name, lease, key, revision, value)`.
pub(crate) async fn proclaim(
    client: &Client,
    name: Vec<u8>,
    lease: i64,
    key: Vec<u8>,
    revision: i64,
    value: Vec<u8>,
) -> Response {
    let leader = leader_key(&name, &key, revision, lease);
    let res = client
        .with_failover(false, |c| {
            let mut e = c.election_client();
            let (value, leader) = (value.clone(), leader.clone());
            async move {
                e.proclaim(value, Some(ProclaimOptions::new().with_leader(leader)))
                    .await
            }
        })
        .await;
    match res {
        Ok(r) => Response::ok(action::PROCLAIM).with_header(r.header()),
        Err(e) => Response {
            action: action::PROCLAIM.into(),
            ..error_to_response(&e)
        },
    }
}

/// `leader(name)`.
pub(crate) async fn leader(client: &Client, name: Vec<u8>) -> Response {
    let res = client
        .with_failover(true, |c| {
            let mut e = c.election_client();
            let name = name.clone();
            async move { e.leader(name).await }
        })
        .await;
    match res {
        Ok(r) => Response {
            value: r.kv().map(Kv::from_etcd).unwrap_or_default(),
            ..Response::ok(action::LEADER).with_header(r.header())
        },
        Err(e) => Response {
            action: action::LEADER.into(),
            ..error_to_response(&e)
        },
    }
}

/// `resign(name, lease, key, revision)`.
pub(crate) async fn resign(
    client: &Client,
    name: Vec<u8>,
    lease: i64,
    key: Vec<u8>,
    revision: i64,
) -> Response {
    let leader = leader_key(&name, &key, revision, lease);
    let res = client
        .with_failover(true, |c| {
            let mut e = c.election_client();
            let leader = leader.clone();
            async move {
                e.resign(Some(ResignOptions::new().with_leader(leader)))
                    .await
            }
        })
        .await;
    match res {
        Ok(r) => Response::ok(action::RESIGN).with_header(r.header()),
        Err(e) => Response {
            action: action::RESIGN.into(),
            ..error_to_response(&e)
        },
    }
}

/// `observe(name)`: a stream of leader announcements (`SyncClient::Observer`).
pub struct Observer {
    rx: Mutex<std::sync::mpsc::Receiver<Response>>,
    task: tokio::task::AbortHandle,
}

impl Observer {
    /// Starts observing election `name`; the first message is the current leader, if any.
    pub fn new(client: &Client, name: Vec<u8>) -> Observer {
        let (tx, rx) = std::sync::mpsc::channel();
        let c = client.clone();
        let task = runtime::spawn(async move {
            let stream = c
                .with_failover(true, |cl| {
                    let mut e = cl.election_client();
                    let name = name.clone();
                    async move { e.observe(name).await }
                })
                .await;
            let mut stream = match stream {
                Ok(s) => s,
                Err(e) => {
                    let _ = tx.send(Response {
                        action: action::OBSERVE.into(),
                        ..error_to_response(&e)
                    });
                    return;
                }
            };
            loop {
                let msg = match stream.message().await {
                    Ok(Some(r)) => Response {
                        value: r.kv().map(Kv::from_etcd).unwrap_or_default(),
                        ..Response::ok(action::OBSERVE).with_header(r.header())
                    },
                    Ok(None) => Response {
                        action: action::OBSERVE.into(),
                        ..Response::error(super::response::code::CANCELLED, "observe stream ended")
                    },
                    Err(e) => Response {
                        action: action::OBSERVE.into(),
                        ..error_to_response(&e)
                    },
                };
                let last = !msg.is_ok();
                if tx.send(msg).is_err() || last {
                    return;
                }
            }
        });
        Observer {
            rx: Mutex::new(rx),
            task: task.abort_handle(),
        }
    }

    /// Waits at most `timeout` (`None`: no limit) for the next leader announcement (or the
    /// error that ended the stream); `None` when none came in time.
    pub fn wait_for(&self, timeout: Option<std::time::Duration>) -> Option<Response> {
        let Some(timeout) = timeout else {
            return Some(self.wait_once());
        };
        let rx = self.rx.lock().unwrap_or_else(|e| e.into_inner());
        match rx.recv_timeout(timeout) {
            Ok(r) => Some(r),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Some(Response {
                action: action::OBSERVE.into(),
                ..Response::error(super::response::code::CANCELLED, "observer ended")
            }),
        }
    }

    /// Blocks until the next leader announcement (or the error that ended the stream).
    pub fn wait_once(&self) -> Response {
        let rx = self.rx.lock().unwrap_or_else(|e| e.into_inner());
        rx.recv().unwrap_or_else(|_| Response {
            action: action::OBSERVE.into(),
            ..Response::error(super::response::code::CANCELLED, "observer ended")
        })
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Keeps lock keep-alives for the client (see [`lock`]).
#[derive(Default)]
pub(crate) struct Locks(Mutex<Vec<(Vec<u8>, Arc<KeepAlive>)>>);

impl Locks {
    pub(crate) fn hold(&self, key: Vec<u8>, ka: KeepAlive) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((key, Arc::new(ka)));
    }

    pub(crate) fn release(&self, key: &[u8]) -> Option<Arc<KeepAlive>> {
        let mut v = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let i = v.iter().position(|(k, _)| k == key)?;
        Some(v.swap_remove(i).1)
    }

    pub(crate) fn clear(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}
