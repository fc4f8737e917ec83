//! The lease service: grant, revoke, time to live, list.

use super::client::Client;
use super::response::{action, error_to_response, Kv, Response};

/// `leasegrant(ttl)` as a request of its own: the client's timeout applies, as through
/// [`Client::execute`].
pub(crate) async fn grant_request(client: Client, ttl: i64) -> Response {
    client
        .run_request(action::LEASE_GRANT, true, grant(&client, ttl))
        .await
}

pub(crate) async fn grant(client: &Client, ttl: i64) -> Response {
    let res = client
        .with_failover(false, |c| {
            let mut lease = c.lease_client();
            async move { lease.grant(ttl, None).await }
        })
        .await;
    match res {
        Ok(r) => Response {
            value: Kv {
                lease: r.id(),
                ttl: r.ttl(),
                ..Kv::default()
            },
            error_message: r.error().to_string(),
            ..Response::ok(action::LEASE_GRANT).with_header(r.header())
        },
        Err(e) => error_to_response(&e),
    }
}

pub(crate) async fn revoke(client: &Client, id: i64, idempotent: bool) -> Response {
    let res = client
        .with_failover(idempotent, |c| {
            let mut lease = c.lease_client();
            async move { lease.revoke(id).await }
        })
        .await;
    match res {
        Ok(r) => Response::ok(action::LEASE_REVOKE).with_header(r.header()),
        Err(e) => error_to_response(&e),
    }
}

pub(crate) async fn time_to_live(client: &Client, id: i64) -> Response {
    let res = client
        .with_failover(true, |c| {
            let mut lease = c.lease_client();
            async move { lease.time_to_live(id, None).await }
        })
        .await;
    match res {
        Ok(r) => Response {
            value: Kv {
                lease: r.id(),
                ttl: r.ttl(),
                ..Kv::default()
            },
            ..Response::ok(action::LEASE_TIME_TO_LIVE).with_header(r.header())
        },
        Err(e) => error_to_response(&e),
    }
}

pub(crate) async fn leases(client: &Client) -> Response {
    let res = client
        .with_failover(true, |c| {
            let mut lease = c.lease_client();
            async move { lease.leases().await }
        })
        .await;
    match res {
        Ok(r) => Response {
            leases: r.leases().iter().map(|l| l.id()).collect(),
            ..Response::ok(action::LEASE_LEASES).with_header(r.header())
        },
        Err(e) => error_to_response(&e),
    }
}
