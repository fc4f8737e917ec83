//! The cluster service: adding, listing and removing members, and refreshing the client's
//! endpoints from the member list.

use super::client::Client;
use super::response::{action, error_to_response, member, Response};

/// `add_member`: the peer reports nothing about the new member; here `members()` holds it.
pub(crate) async fn member_add(client: &Client, peer_urls: Vec<String>, learner: bool) -> Response {
    let res = client
        .with_failover(false, |c| {
            let mut cl = c.cluster_client();
            let urls = peer_urls.clone();
            let opts = if learner {
                etcd_client::MemberAddOptions::new().with_is_learner()
            } else {
                etcd_client::MemberAddOptions::new()
            };
            async move { cl.member_add(urls, Some(opts)).await }
        })
        .await;
    match res {
        Ok(r) => Response {
            members: r.member().map(member).into_iter().collect(),
            ..Response::ok(action::ADD_MEMBER).with_header(r.header())
        },
        Err(e) => error_to_response(&e),
    }
}

pub(crate) async fn member_list(client: &Client) -> Response {
    let res = client
        .with_failover(true, |c| {
            let mut cl = c.cluster_client();
            async move { cl.member_list().await }
        })
        .await;
    match res {
        Ok(r) => Response {
            members: r.members().iter().map(member).collect(),
            ..Response::ok(action::LIST_MEMBER).with_header(r.header())
        },
        Err(e) => error_to_response(&e),
    }
}

pub(crate) async fn member_remove(client: &Client, id: u64) -> Response {
    let res = client
        .with_failover(false, |c| {
            let mut cl = c.cluster_client();
            async move { cl.member_remove(id).await }
        })
        .await;
    match res {
        Ok(r) => Response::ok(action::REMOVE_MEMBER).with_header(r.header()),
        Err(e) => error_to_response(&e),
    }
}

/// `sync_endpoints()` (an extension): refreshes the client's endpoint list from the member list
/// now (see [`Client::endpoints`]); the response lists the members. On an error the list stays
/// as it was.
pub(crate) async fn sync_endpoints(client: &Client) -> Response {
    match client.sync_members().await {
        Ok(r) => Response {
            members: r.members().iter().map(member).collect(),
            ..Response::ok(action::SYNC_ENDPOINTS).with_header(r.header())
        },
        Err(e) => error_to_response(&e),
    }
}
