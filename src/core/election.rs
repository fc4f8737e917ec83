//! The election service (etcd's v3election), with etcd-cpp-apiv3's response shapes and action
//! strings (typos included: "preclaim"). Observing an election is a stream: see
//! [`super::observer`].

use etcd_client::{LeaderKey, ProclaimOptions, ResignOptions};

use super::client::Client;
use super::response::{action, error_to_response, Kv, Response};

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
