//! Maintenance operations (etcd's Maintenance service and KV compaction), an extension: not
//! part of etcd-cpp-apiv3's API. `status` and `defragment` address one member, given by its
//! client endpoint (one of the client's endpoints; empty: whichever answers first); `compact`
//! applies to the whole cluster. Results are [`Response`]s with errors as data, like every
//! other operation; a status is in [`Response::status`].

use etcd_client::CompactionOptions;

use super::client::Client;
use super::request::Request;
use super::response::{code, error_to_response, Response};

pub use super::response::Status;

/// Action strings of the maintenance responses (kept with the other actions in
/// [`super::response::action`]).
pub mod action {
    pub use super::super::response::action::{COMPACT, DEFRAGMENT, STATUS};
}

/// Runs a maintenance request (see [`Request::Status`], [`Request::Compact`],
/// [`Request::Defragment`]).
pub(crate) async fn run(client: &Client, req: Request) -> Response {
    match req {
        Request::Status { endpoint } => status(client, &endpoint).await,
        Request::Compact { revision, physical } => compact(client, revision, physical).await,
        Request::Defragment { endpoint } => defragment(client, &endpoint).await,
        other => Response::error(
            code::INTERNAL,
            format!("not a maintenance request: {}", other.action()),
        ),
    }
}

/// The id and host:port of the client's endpoint named by `endpoint` (`host:port`, with or
/// without a scheme). `Err` is the response to give when it is not one of them (boxed: a
/// Response is large).
fn endpoint_index(client: &Client, endpoint: &str) -> Result<(usize, String), Box<Response>> {
    let wanted = super::endpoints::parse(endpoint).0;
    match wanted.as_slice() {
        [one] => client
            .endpoint_id(&one.authority())
            .map(|id| (id, one.authority()))
            .ok_or_else(|| {
                let known = client.endpoints();
                Box::new(Response::error(
                    code::INVALID_ARGUMENT,
                    format!(
                        "'{endpoint}' is not an endpoint of this client (its endpoints: {})",
                        known.join(", ")
                    ),
                ))
            }),
        _ => Err(Box::new(Response::error(
            code::INVALID_ARGUMENT,
            format!("'{endpoint}' is not one host:port endpoint"),
        ))),
    }
}

/// Runs `attempt` on `endpoint`, or with fail-over when it is empty; returns the result and
/// the endpoint that answered.
async fn on<T, F, Fut>(
    client: &Client,
    endpoint: &str,
    idempotent: bool,
    mut attempt: F,
) -> Result<(T, String), Response>
where
    F: FnMut(&etcd_client::Client) -> Fut,
    Fut: std::future::Future<Output = Result<T, etcd_client::Error>>,
{
    if endpoint.trim().is_empty() {
        return client
            .with_failover_tracked(idempotent, attempt)
            .await
            .map_err(|e| error_to_response(&e));
    }
    let (i, authority) = endpoint_index(client, endpoint).map_err(|e| *e)?;
    client
        .on_endpoint(i, &mut attempt)
        .await
        .map(|v| (v, authority))
        .map_err(|e| error_to_response(&e))
}

async fn status(client: &Client, endpoint: &str) -> Response {
    let res = on(client, endpoint, true, |c| {
        let mut m = c.maintenance_client();
        async move { m.status().await }
    })
    .await;
    match res {
        Ok((r, endpoint)) => {
            let h = r.header();
            Response {
                status: Status {
                    endpoint,
                    version: r.version().to_string(),
                    db_size: r.db_size(),
                    db_size_in_use: r.raft_used_db_size(),
                    leader: r.leader(),
                    member_id: h.map_or(0, |h| h.member_id()),
                    cluster_id: h.map_or(0, |h| h.cluster_id()),
                    raft_index: r.raft_index(),
                    raft_term: r.raft_term(),
                    raft_applied_index: r.raft_applied_index(),
                    is_learner: r.is_learner(),
                    errors: r.errors().to_vec(),
                },
                member_id: h.map_or(0, |h| h.member_id()),
                cluster_id: h.map_or(0, |h| h.cluster_id()),
                raft_term: r.raft_term(),
                ..Response::ok(action::STATUS).with_header(h)
            }
        }
        Err(e) => e,
    }
}

async fn compact(client: &Client, revision: i64, physical: bool) -> Response {
    let res = on(client, "", false, |c| {
        let mut kv = super::kv::kv(client, c);
        let opts = physical.then(|| CompactionOptions::new().with_physical());
        async move { kv.compact(revision, opts).await }
    })
    .await;
    match res {
        Ok((r, _)) => Response {
            compact_revision: revision,
            ..Response::ok(action::COMPACT).with_header(r.header())
        },
        Err(e) => e,
    }
}

async fn defragment(client: &Client, endpoint: &str) -> Response {
    let res = on(client, endpoint, true, |c| {
        let mut m = c.maintenance_client();
        async move { m.defragment().await }
    })
    .await;
    match res {
        Ok((r, endpoint)) => Response {
            status: Status {
                endpoint,
                ..Status::default()
            },
            ..Response::ok(action::DEFRAGMENT).with_header(r.header())
        },
        Err(e) => e,
    }
}
