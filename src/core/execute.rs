//! Running a [`Request`]: the top of the core. [`Client::execute`] and its blocking and
//! asynchronous forms hand each request to its service module (kv, lease, cluster, lock,
//! election) or stream (a one-shot watch), under the connection's timeout and fail-over rules.
//! Requests that combine services live here too: `lock(name, ttl)` and grant-then-keep-alive.

use super::client::Client;
use super::keepalive::{Handler, KeepAlive};
use super::keys::KeyRange;
use super::request::Request;
use super::response::{action, Response};
use super::{cluster, election, kv, lease, lock, runtime, watch};

impl Client {
    /// Runs `req` and returns its response; waits for the result without occupying a thread.
    pub async fn execute(&self, req: Request) -> Response {
        // Like etcd-cpp-apiv3, the timeout does not apply to revoking a lease or to watches.
        let timed = !matches!(req, Request::LeaseRevoke { .. } | Request::Watch { .. });
        self.run_request(req.action(), timed, run(self, req)).await
    }

    /// Runs `req` and blocks the calling thread until its response.
    pub fn execute_blocking(&self, req: Request) -> Response {
        let c = self.clone();
        runtime::block_on(async move { c.execute(req).await })
    }

    /// Runs `req` in the background; `done` gets the response on a callback thread.
    pub fn execute_async(&self, req: Request, done: impl FnOnce(Response) + Send + 'static) {
        let c = self.clone();
        runtime::spawn(async move {
            let resp = c.execute(req).await;
            runtime::submit(Box::new(move || done(resp)));
        });
    }

    /// Like [`Client::execute_async`], but `done` runs on the runtime thread that finished the
    /// call, saving a thread hand-off. For completions that only store the result and wake a
    /// waiter (a `pplx::task_completion_event`); `done` must never block or run user code.
    pub fn execute_then(&self, req: Request, done: impl FnOnce(Response) + Send + 'static) {
        let c = self.clone();
        runtime::spawn(async move { done(c.execute(req).await) });
    }
}

/// Runs one request on its service (without timeout handling, see [`Client::execute`]).
async fn run(client: &Client, req: Request) -> Response {
    let idempotent = req.is_idempotent();
    match req {
        Request::Head => kv::head(client).await,
        Request::Get { key, revision } => kv::get(client, key, revision).await,
        Request::Put { key, value, lease } => kv::put(client, key, value, lease).await,
        Request::Add { key, value, lease } => kv::add(client, key, value, lease).await,
        Request::Modify { key, value, lease } => kv::modify(client, key, value, lease).await,
        Request::ModifyIf {
            key,
            value,
            compare,
            lease,
        } => kv::modify_if(client, key, value, compare, lease).await,
        Request::Rm { key } => kv::delete(client, KeyRange::key(key)).await,
        Request::RmIf { key, compare } => kv::rm_if(client, key, compare).await,
        Request::Rmdir { range } => kv::delete(client, range).await,
        Request::Range {
            range,
            limit,
            revision,
            keys_only,
        } => kv::ls(client, range, limit, revision, keys_only).await,
        Request::Watch {
            range,
            from_revision,
        } => watch::watch_once(client, range, from_revision).await,
        Request::LeaseGrant { ttl } => lease::grant(client, ttl).await,
        Request::LeaseRevoke { id } => lease::revoke(client, id, idempotent).await,
        Request::LeaseTimeToLive { id } => lease::time_to_live(client, id).await,
        Request::LeaseLeases => lease::leases(client).await,
        Request::Txn(t) => kv::txn(client, t).await,
        Request::Lock { name, ttl } => lock_with_ttl(client, name, ttl).await,
        Request::LockWithLease { name, lease } => lock::lock_with_lease(client, name, lease).await,
        Request::Unlock { key } => lock::unlock(client, key).await,
        Request::Campaign { name, lease, value } => {
            election::campaign(client, name, lease, value).await
        }
        Request::Proclaim {
            name,
            lease,
            key,
            revision,
            value,
        } => election::proclaim(client, name, lease, key, revision, value).await,
        Request::Leader { name } => election::leader(client, name).await,
        Request::Resign {
            name,
            lease,
            key,
            revision,
        } => election::resign(client, name, lease, key, revision).await,
        Request::MemberAdd { peer_urls, learner } => {
            cluster::member_add(client, peer_urls, learner).await
        }
        Request::MemberList => cluster::member_list(client).await,
        Request::MemberRemove { id } => cluster::member_remove(client, id).await,
        Request::SyncEndpoints => cluster::sync_endpoints(client).await,
        r @ (Request::Status { .. } | Request::Compact { .. } | Request::Defragment { .. }) => {
            super::maintenance::run(client, r).await
        }
    }
}

/// Grants a lease of `ttl` seconds and keeps it alive in the background (a task, not a
/// thread); `handler` gets the error that ends the keep-alive. A failed grant gives its
/// response. Waits without occupying a thread, so it may run anywhere but a callback must
/// not block on it.
pub(crate) async fn grant_and_keep_alive(
    client: &Client,
    ttl: i64,
    handler: Option<Handler>,
) -> Result<KeepAlive, Response> {
    let grant = lease::grant(client, ttl).await;
    if !grant.is_ok() {
        return Err(grant);
    }
    Ok(KeepAlive::new(client, ttl, grant.value.lease, handler))
}

/// `lock(name, ttl)`: grants a lease of `ttl` seconds, keeps it alive and waits for the lock.
/// The keep-alive is kept by the client until `unlock(lock_key)`.
async fn lock_with_ttl(client: &Client, name: Vec<u8>, ttl: i64) -> Response {
    // Dropped (and the lease left to expire) if the wait below fails or is abandoned.
    let keepalive = match grant_and_keep_alive(client, ttl, None).await {
        Ok(k) => k,
        Err(grant) => {
            return Response {
                action: action::LOCK.into(),
                ..grant
            }
        }
    };
    let lease = keepalive.lease();
    let resp = lock::lock_with_lease(client, name, lease).await;
    if resp.is_ok() {
        client.hold_lock(resp.lock_key.clone(), lease, keepalive);
    }
    resp
}
