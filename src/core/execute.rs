//! Running a [`Request`]: the top of the core. [`Client::execute`] and its blocking and
//! asynchronous forms hand each request to its service module (kv, lease, cluster, lock,
//! election) or stream (a one-shot watch), under the connection's timeout and fail-over rules.
//! Requests that combine services live here too: `lock(name, ttl)` and grant-then-keep-alive.

use std::future::Future;
use std::pin::Pin;

use super::client::Client;
use super::keepalive::{Handler, KeepAlive};
use super::keys::KeyRange;
use super::request::Request;
use super::response::{action, Response};
use super::{cluster, election, kv, lease, lock, runtime, watch};

impl Client {
    /// Runs `req` and returns its response; waits for the result without occupying a thread.
    pub async fn execute(&self, req: Request) -> Response {
        let Some(ns) = self.namespace() else {
            return self.execute_raw(req).await;
        };
        match ns.request(req) {
            Ok(req) => ns.strip_response(self.execute_raw(req).await),
            Err(refused) => *refused,
        }
    }

    /// [`Client::execute`] of a request whose keys are already those stored in etcd.
    async fn execute_raw(&self, req: Request) -> Response {
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

/// A request's operation on its service, on the heap with its own size.
type Operation<'a> = Pin<Box<dyn Future<Output = Response> + Send + 'a>>;

/// Runs one request on its service (without timeout handling, see [`Client::execute`]).
///
/// Each operation's future is boxed with its own size: as one `async` match, every call would
/// carry the largest operation's state (a one-shot watch, about twice a get's), and each of
/// 10,000 calls in flight about 25 KiB instead of a get's or put's 6 KiB.
fn run(client: &Client, req: Request) -> Operation<'_> {
    let idempotent = req.is_idempotent();
    match req {
        Request::Head => Box::pin(kv::head(client)),
        Request::Get { key, revision } => Box::pin(kv::get(client, key, revision)),
        Request::Put { key, value, lease } => Box::pin(kv::put(client, key, value, lease)),
        Request::Add { key, value, lease } => Box::pin(kv::add(client, key, value, lease)),
        Request::Modify { key, value, lease } => Box::pin(kv::modify(client, key, value, lease)),
        Request::ModifyIf {
            key,
            value,
            compare,
            lease,
        } => Box::pin(kv::modify_if(client, key, value, compare, lease)),
        Request::Rm { key } => Box::pin(kv::delete(client, KeyRange::key(key))),
        Request::RmIf { key, compare } => Box::pin(kv::rm_if(client, key, compare)),
        Request::Rmdir { range } => Box::pin(kv::delete(client, range)),
        Request::Range {
            range,
            limit,
            revision,
            keys_only,
        } => Box::pin(kv::ls(client, range, limit, revision, keys_only)),
        Request::Watch {
            range,
            from_revision,
        } => Box::pin(watch::watch_once(client, range, from_revision)),
        Request::LeaseGrant { ttl } => Box::pin(lease::grant(client, ttl)),
        Request::LeaseRevoke { id } => Box::pin(lease::revoke(client, id, idempotent)),
        Request::LeaseTimeToLive { id } => Box::pin(lease::time_to_live(client, id)),
        Request::LeaseLeases => Box::pin(lease::leases(client)),
        Request::Txn(t) => Box::pin(kv::txn(client, t)),
        Request::Lock { name, ttl } => Box::pin(lock_with_ttl(client, name, ttl)),
        Request::LockWithLease { name, lease } => {
            Box::pin(lock::lock_with_lease(client, name, lease))
        }
        Request::Unlock { key } => Box::pin(lock::unlock(client, key)),
        Request::Campaign { name, lease, value } => {
            Box::pin(election::campaign(client, name, lease, value))
        }
        Request::Proclaim {
            name,
            lease,
            key,
            revision,
            value,
        } => Box::pin(election::proclaim(
            client, name, lease, key, revision, value,
        )),
        Request::Leader { name } => Box::pin(election::leader(client, name)),
        Request::Resign {
            name,
            lease,
            key,
            revision,
        } => Box::pin(election::resign(client, name, lease, key, revision)),
        Request::MemberAdd { peer_urls, learner } => {
            Box::pin(cluster::member_add(client, peer_urls, learner))
        }
        Request::MemberList => Box::pin(cluster::member_list(client)),
        Request::MemberRemove { id } => Box::pin(cluster::member_remove(client, id)),
        Request::SyncEndpoints => Box::pin(cluster::sync_endpoints(client)),
        r @ (Request::Status { .. } | Request::Compact { .. } | Request::Defragment { .. }) => {
            Box::pin(super::maintenance::run(client, r))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Each call in flight holds its future: 10,000 async puts once held 25 KiB each (every
    /// call carried the largest operation's state, twice). The call's own state must stay
    /// small and a get's or put's boxed operation well under that.
    #[test]
    fn call_state_stays_small() {
        let c = Client::new("http://127.0.0.1:1", Default::default());
        let get = Request::Get {
            key: b"k".to_vec(),
            revision: 0,
        };
        let call = c.execute(get.clone());
        assert!(
            std::mem::size_of_val(&call) <= 1024,
            "{}",
            std::mem::size_of_val(&call)
        );
        let op = run(&c, get);
        assert!(
            std::mem::size_of_val(&*op) <= 8192,
            "{}",
            std::mem::size_of_val(&*op)
        );
        let put = run(
            &c,
            Request::Put {
                key: b"k".to_vec(),
                value: b"v".to_vec(),
                lease: 0,
            },
        );
        assert!(
            std::mem::size_of_val(&*put) <= 8192,
            "{}",
            std::mem::size_of_val(&*put)
        );
    }
}
