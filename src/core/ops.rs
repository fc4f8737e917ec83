//! The unary operations, with etcd-cpp-apiv3's response shapes: which action string, which
//! error code, and what `value()`, `prev_value()` and `values()` hold (peer-api.md §1.4).

use etcd_client::{
    Compare as EtcdCompare, CompareOp, DeleteOptions, GetOptions, PutOptions, Txn, TxnOp,
    TxnOpResponse,
};

use super::client::Client;
use super::concurrency;
use super::request::{Compare, KeyRange, Request};
use super::response::{action, code, error_to_response, message, Kv, Member, Response};

/// Runs one request (without timeout handling, see [`Client::execute`]).
pub(crate) async fn run(client: &Client, req: Request) -> Response {
    let idempotent = req.is_idempotent();
    match req {
        Request::Head => head(client).await,
        Request::Get { key, revision } => get(client, key, revision).await,
        Request::Put { key, value, lease } => put(client, key, value, lease).await,
        Request::Add { key, value, lease } => add(client, key, value, lease).await,
        Request::Modify { key, value, lease } => modify(client, key, value, lease).await,
        Request::ModifyIf {
            key,
            value,
            compare,
            lease,
        } => modify_if(client, key, value, compare, lease).await,
        Request::Rm { key } => delete(client, KeyRange::key(key)).await,
        Request::RmIf { key, compare } => rm_if(client, key, compare).await,
        Request::Rmdir { range } => delete(client, range).await,
        Request::Range {
            range,
            limit,
            revision,
            keys_only,
        } => ls(client, range, limit, revision, keys_only).await,
        Request::Watch {
            range,
            from_revision,
        } => super::watch::watch_once(client, range, from_revision).await,
        Request::LeaseGrant { ttl } => lease_grant(client, ttl).await,
        Request::LeaseRevoke { id } => lease_revoke(client, id, idempotent).await,
        Request::LeaseTimeToLive { id } => lease_time_to_live(client, id).await,
        Request::LeaseLeases => lease_leases(client).await,
        Request::Txn(t) => super::txn::run(client, t).await,
        Request::Lock { name, ttl } => concurrency::lock(client, name, ttl).await,
        Request::LockWithLease { name, lease } => {
            concurrency::lock_with_lease(client, name, lease).await
        }
        Request::Unlock { key } => concurrency::unlock(client, key).await,
        Request::Campaign { name, lease, value } => {
            concurrency::campaign(client, name, lease, value).await
        }
        Request::Proclaim {
            name,
            lease,
            key,
            revision,
            value,
        } => concurrency::proclaim(client, name, lease, key, revision, value).await,
        Request::Leader { name } => concurrency::leader(client, name).await,
        Request::Resign {
            name,
            lease,
            key,
            revision,
        } => concurrency::resign(client, name, lease, key, revision).await,
        Request::MemberAdd { peer_urls, learner } => member_add(client, peer_urls, learner).await,
        Request::MemberList => member_list(client).await,
        Request::MemberRemove { id } => member_remove(client, id).await,
        r @ (Request::Status { .. } | Request::Compact { .. } | Request::Defragment { .. }) => {
            super::maintenance::run(client, r).await
        }
    }
}

fn range_options(range: &KeyRange) -> GetOptions {
    let opts = GetOptions::new();
    if range.is_single_key() {
        opts
    } else {
        opts.with_range(range.range_end.clone())
    }
}

async fn head(client: &Client) -> Response {
    let res = client
        .with_failover(true, |c| {
            let mut kv = kv(client, c);
            async move {
                kv.get(vec![0u8], Some(GetOptions::new().with_limit(1)))
                    .await
            }
        })
        .await;
    match res {
        Ok(r) => {
            let mut resp = Response::ok(action::GET).with_header(r.header());
            if let Some(h) = r.header() {
                resp.cluster_id = h.cluster_id();
                resp.member_id = h.member_id();
                resp.raft_term = h.raft_term();
            }
            resp
        }
        Err(e) => error_to_response(&e),
    }
}

async fn get(client: &Client, key: Vec<u8>, revision: i64) -> Response {
    let res = client
        .with_failover(true, |c| {
            let mut kv = kv(client, c);
            let key = key.clone();
            let mut opts = GetOptions::new();
            if revision > 0 {
                opts = opts.with_revision(revision);
            }
            async move { kv.get(key, Some(opts)).await }
        })
        .await;
    match res {
        Ok(r) => {
            let resp = Response::ok(action::GET).with_header(r.header());
            match r.kvs().first() {
                Some(kv) => Response {
                    value: Kv::from_etcd(kv),
                    ..resp
                },
                None => resp.fail(code::KEY_NOT_FOUND, message::KEY_NOT_FOUND),
            }
        }
        Err(e) => error_to_response(&e),
    }
}

async fn put(client: &Client, key: Vec<u8>, value: Vec<u8>, lease: i64) -> Response {
    let res = client
        .with_failover(false, |c| {
            let mut kv = kv(client, c);
            let (key, value) = (key.clone(), value.clone());
            async move {
                kv.put(
                    key,
                    value,
                    Some(PutOptions::new().with_prev_key().with_lease(lease)),
                )
                .await
            }
        })
        .await;
    match res {
        Ok(r) => Response {
            prev_value: r.prev_key().map(Kv::from_etcd).unwrap_or_default(),
            ..Response::ok(action::SET).with_header(r.header())
        },
        Err(e) => error_to_response(&e),
    }
}

/// Runs a transaction and returns the response (with the executed branch's results as
/// `values` / `prev_value`) and whether the comparison held.
async fn txn(client: &Client, act: &str, txn: Txn) -> Result<(Response, bool), Response> {
    let res = client
        .with_failover(false, |c| {
            let mut kv = kv(client, c);
            let t = txn.clone();
            async move { kv.txn(t).await }
        })
        .await;
    match res {
        Ok(r) => {
            let (values, prev_values) = txn_results(&r.op_responses());
            let resp = Response {
                value: values.first().cloned().unwrap_or_default(),
                prev_value: prev_values.first().cloned().unwrap_or_default(),
                values,
                ..Response::ok(act).with_header(r.header())
            };
            Ok((resp, r.succeeded()))
        }
        Err(e) => Err(error_to_response(&e)),
    }
}

/// The peer's reading of a transaction's results: ranges add their kvs to `values`; puts add
/// their previous kv (empty when not asked for) to the previous values; deletes add the deleted
/// kvs to both; nested transactions are skipped.
pub(crate) fn txn_results(ops: &[TxnOpResponse]) -> (Vec<Kv>, Vec<Kv>) {
    let mut values = Vec::new();
    let mut prev = Vec::new();
    for op in ops {
        match op {
            TxnOpResponse::Get(g) => values.extend(g.kvs().iter().map(Kv::from_etcd)),
            TxnOpResponse::Put(p) => prev.push(p.prev_key().map(Kv::from_etcd).unwrap_or_default()),
            TxnOpResponse::Delete(d) => {
                for kv in d.prev_kvs() {
                    values.push(Kv::from_etcd(kv));
                    prev.push(Kv::from_etcd(kv));
                }
            }
            TxnOpResponse::Txn(_) => {}
        }
    }
    (values, prev)
}

fn put_op(key: &[u8], value: &[u8], lease: i64, prev_kv: bool) -> TxnOp {
    let mut opts = PutOptions::new().with_lease(lease);
    if prev_kv {
        opts = opts.with_prev_key();
    }
    TxnOp::put(key.to_vec(), value.to_vec(), Some(opts))
}

fn get_op(key: &[u8]) -> TxnOp {
    TxnOp::get(key.to_vec(), None)
}

fn compare_op(key: &[u8], compare: &Compare) -> EtcdCompare {
    match compare {
        Compare::Value(v) => EtcdCompare::value(key.to_vec(), CompareOp::Equal, v.clone()),
        Compare::ModRevision(r) => EtcdCompare::mod_revision(key.to_vec(), CompareOp::Equal, *r),
    }
}

async fn add(client: &Client, key: Vec<u8>, value: Vec<u8>, lease: i64) -> Response {
    let t = Txn::new()
        .when([EtcdCompare::mod_revision(key.clone(), CompareOp::Equal, 0)])
        .and_then([put_op(&key, &value, lease, false), get_op(&key)])
        .or_else([get_op(&key)]);
    match txn(client, action::CREATE, t).await {
        Ok((resp, true)) => resp,
        Ok((resp, false)) => resp.fail(code::KEY_ALREADY_EXISTS, message::KEY_ALREADY_EXISTS),
        Err(e) => e,
    }
}

async fn modify(client: &Client, key: Vec<u8>, value: Vec<u8>, lease: i64) -> Response {
    let t = Txn::new()
        .when([EtcdCompare::version(key.clone(), CompareOp::Greater, 0)])
        .and_then([put_op(&key, &value, lease, true), get_op(&key)])
        .or_else([get_op(&key)]);
    match txn(client, action::UPDATE, t).await {
        Ok((resp, true)) => resp,
        // As the peer: a missing key gives no action and no index.
        Ok((_, false)) => Response::error(code::KEY_NOT_FOUND, message::KEY_NOT_FOUND),
        Err(e) => e,
    }
}

async fn modify_if(
    client: &Client,
    key: Vec<u8>,
    value: Vec<u8>,
    compare: Compare,
    lease: i64,
) -> Response {
    let t = Txn::new()
        .when([compare_op(&key, &compare)])
        .and_then([put_op(&key, &value, lease, false), get_op(&key)])
        .or_else([get_op(&key)]);
    match txn(client, action::COMPARE_SWAP, t).await {
        Ok((resp, true)) => resp,
        Ok((resp, false)) => resp.fail(code::COMPARE_FAILED, message::COMPARE_FAILED),
        Err(e) => e,
    }
}

async fn rm_if(client: &Client, key: Vec<u8>, compare: Compare) -> Response {
    let t = Txn::new()
        .when([compare_op(&key, &compare)])
        .and_then([TxnOp::delete(
            key.clone(),
            Some(DeleteOptions::new().with_prev_key()),
        )])
        .or_else([get_op(&key)]);
    match txn(client, action::COMPARE_DELETE, t).await {
        Ok((resp, true)) => resp,
        Ok((resp, false)) => resp.fail(code::COMPARE_FAILED, message::COMPARE_FAILED),
        Err(e) => e,
    }
}

async fn delete(client: &Client, range: KeyRange) -> Response {
    let res = client
        .with_failover(false, |c| {
            let mut kv = kv(client, c);
            let key = range.key.clone();
            let mut opts = DeleteOptions::new().with_prev_key();
            if !range.is_single_key() {
                opts = opts.with_range(range.range_end.clone());
            }
            async move { kv.delete(key, Some(opts)).await }
        })
        .await;
    match res {
        Ok(r) => {
            let values: Vec<Kv> = r.prev_kvs().iter().map(Kv::from_etcd).collect();
            let resp = Response::ok(action::DELETE).with_header(r.header());
            if values.is_empty() {
                return resp.fail(code::KEY_NOT_FOUND, message::KEY_NOT_FOUND);
            }
            Response {
                value: values[0].clone(),
                prev_value: values[0].clone(),
                values,
                ..resp
            }
        }
        Err(e) => error_to_response(&e),
    }
}

async fn ls(
    client: &Client,
    range: KeyRange,
    limit: i64,
    revision: i64,
    keys_only: bool,
) -> Response {
    let res = client
        .with_failover(true, |c| {
            let mut kv = kv(client, c);
            let key = range.key.clone();
            let mut opts = range_options(&range).with_limit(limit.max(0));
            if revision > 0 {
                opts = opts.with_revision(revision);
            }
            if keys_only {
                opts = opts.with_keys_only();
            }
            async move { kv.get(key, Some(opts)).await }
        })
        .await;
    match res {
        Ok(r) => {
            let values: Vec<Kv> = r.kvs().iter().map(Kv::from_etcd).collect();
            Response {
                value: values.first().cloned().unwrap_or_default(),
                values,
                ..Response::ok(action::GET).with_header(r.header())
            }
        }
        Err(e) => error_to_response(&e),
    }
}

pub(crate) async fn lease_grant(client: &Client, ttl: i64) -> Response {
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

pub(crate) async fn lease_revoke(client: &Client, id: i64, idempotent: bool) -> Response {
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

async fn lease_time_to_live(client: &Client, id: i64) -> Response {
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

async fn lease_leases(client: &Client) -> Response {
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

fn member(m: &etcd_client::Member) -> Member {
    Member {
        id: m.id(),
        name: m.name().to_string(),
        peer_urls: m.peer_urls().to_vec(),
        client_urls: m.client_urls().to_vec(),
        is_learner: m.is_learner(),
    }
}

/// `add_member`: the peer reports nothing about the new member; here `members()` holds it.
async fn member_add(client: &Client, peer_urls: Vec<String>, learner: bool) -> Response {
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

async fn member_list(client: &Client) -> Response {
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

async fn member_remove(client: &Client, id: u64) -> Response {
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

/// A KV client with the connection's message size limits.
pub(crate) fn kv(client: &Client, c: &etcd_client::Client) -> etcd_client::KvClient {
    let (rx, tx) = client.message_limits();
    c.kv_client()
        .max_decoding_message_size(rx)
        .max_encoding_message_size(tx)
}
