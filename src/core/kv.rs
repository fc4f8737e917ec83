//! The KV service: reads, writes, deletes and transactions, with etcd-cpp-apiv3's response
//! shapes: which action string, which error code, and what `value()`, `prev_value()` and
//! `values()` hold (peer-api.md §1.4, §8).

use etcd_client::{
    Compare as EtcdCompare, CompareOp, DeleteOptions, GetOptions, PutOptions, Txn, TxnOp,
    TxnOpResponse,
};

use super::client::{no_value_left, Client};
use super::keys::KeyRange;
use super::request::Compare;
use super::response::{action, code, error_to_response, message, Kv, Response};
use super::txn::Transaction;

fn range_options(range: &KeyRange) -> GetOptions {
    let opts = GetOptions::new();
    if range.is_single_key() {
        opts
    } else {
        opts.with_range(range.range_end.clone())
    }
}

pub(crate) async fn head(client: &Client) -> Response {
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

pub(crate) async fn get(client: &Client, key: Vec<u8>, revision: i64) -> Response {
    let mut key = client.per_attempt(key);
    let res = client
        .with_failover(true, |c| {
            let mut kv = kv(client, c);
            let key = key.next();
            let mut opts = GetOptions::new();
            if revision > 0 {
                opts = opts.with_revision(revision);
            }
            async move {
                match key {
                    Some(key) => kv.get(key, Some(opts)).await,
                    None => Err(no_value_left()),
                }
            }
        })
        .await;
    match res {
        Ok(mut r) => {
            let resp = Response::ok(action::GET).with_header(r.header());
            match r.take_kvs().into_iter().next() {
                Some(kv) => Response {
                    value: Kv::from_etcd_owned(kv),
                    ..resp
                },
                None => resp.fail(code::KEY_NOT_FOUND, message::KEY_NOT_FOUND),
            }
        }
        Err(e) => error_to_response(&e),
    }
}

pub(crate) async fn put(client: &Client, key: Vec<u8>, value: Vec<u8>, lease: i64) -> Response {
    let mut pair = client.per_attempt((key, value));
    let res = client
        .with_failover(false, |c| {
            let mut kv = kv(client, c);
            let pair = pair.next();
            async move {
                let Some((key, value)) = pair else {
                    return Err(no_value_left());
                };
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
        Ok(mut r) => Response {
            prev_value: r
                .take_prev_key()
                .map(Kv::from_etcd_owned)
                .unwrap_or_default(),
            ..Response::ok(action::SET).with_header(r.header())
        },
        Err(e) => error_to_response(&e),
    }
}

/// Runs a transaction and returns the response (with the executed branch's results as
/// `values` / `prev_value`) and whether the comparison held.
async fn conditional(client: &Client, act: &str, txn: Txn) -> Result<(Response, bool), Response> {
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

pub(crate) async fn add(client: &Client, key: Vec<u8>, value: Vec<u8>, lease: i64) -> Response {
    let t = Txn::new()
        .when([EtcdCompare::mod_revision(key.clone(), CompareOp::Equal, 0)])
        .and_then([put_op(&key, &value, lease, false), get_op(&key)])
        .or_else([get_op(&key)]);
    match conditional(client, action::CREATE, t).await {
        Ok((resp, true)) => resp,
        Ok((resp, false)) => resp.fail(code::KEY_ALREADY_EXISTS, message::KEY_ALREADY_EXISTS),
        Err(e) => e,
    }
}

pub(crate) async fn modify(client: &Client, key: Vec<u8>, value: Vec<u8>, lease: i64) -> Response {
    let t = Txn::new()
        .when([EtcdCompare::version(key.clone(), CompareOp::Greater, 0)])
        .and_then([put_op(&key, &value, lease, true), get_op(&key)])
        .or_else([get_op(&key)]);
    match conditional(client, action::UPDATE, t).await {
        Ok((resp, true)) => resp,
        // As the peer: a missing key gives no action and no index.
        Ok((_, false)) => Response::error(code::KEY_NOT_FOUND, message::KEY_NOT_FOUND),
        Err(e) => e,
    }
}

pub(crate) async fn modify_if(
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
    match conditional(client, action::COMPARE_SWAP, t).await {
        Ok((resp, true)) => resp,
        Ok((resp, false)) => resp.fail(code::COMPARE_FAILED, message::COMPARE_FAILED),
        Err(e) => e,
    }
}

pub(crate) async fn rm_if(client: &Client, key: Vec<u8>, compare: Compare) -> Response {
    let t = Txn::new()
        .when([compare_op(&key, &compare)])
        .and_then([TxnOp::delete(
            key.clone(),
            Some(DeleteOptions::new().with_prev_key()),
        )])
        .or_else([get_op(&key)]);
    match conditional(client, action::COMPARE_DELETE, t).await {
        Ok((resp, true)) => resp,
        Ok((resp, false)) => resp.fail(code::COMPARE_FAILED, message::COMPARE_FAILED),
        Err(e) => e,
    }
}

pub(crate) async fn delete(client: &Client, range: KeyRange) -> Response {
    let single = range.is_single_key();
    let mut range = client.per_attempt((range.key, range.range_end));
    let res = client
        .with_failover(false, |c| {
            let mut kv = kv(client, c);
            let range = range.next();
            async move {
                let Some((key, range_end)) = range else {
                    return Err(no_value_left());
                };
                let mut opts = DeleteOptions::new().with_prev_key();
                if !single {
                    opts = opts.with_range(range_end);
                }
                kv.delete(key, Some(opts)).await
            }
        })
        .await;
    match res {
        Ok(mut r) => {
            let values: Vec<Kv> = r
                .take_prev_kvs()
                .into_iter()
                .map(Kv::from_etcd_owned)
                .collect();
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

pub(crate) async fn ls(
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
        Ok(mut r) => {
            let values: Vec<Kv> = r.take_kvs().into_iter().map(Kv::from_etcd_owned).collect();
            Response {
                value: values.first().cloned().unwrap_or_default(),
                values,
                ..Response::ok(action::GET).with_header(r.header())
            }
        }
        Err(e) => error_to_response(&e),
    }
}

/// `txn()`: action "txn"; the executed branch's results in `values` / `prev_value`; a false
/// comparison gives 101 with the failure branch's results still there.
pub(crate) async fn txn(client: &Client, t: Transaction) -> Response {
    let etcd_txn = t.to_etcd();
    let res = client
        .with_failover(t.is_read_only(), |c| {
            let mut kv = kv(client, c);
            let txn = etcd_txn.clone();
            async move { kv.txn(txn).await }
        })
        .await;
    match res {
        Ok(r) => {
            let (values, prev_values) = txn_results(&r.op_responses());
            let resp = Response {
                value: values.first().cloned().unwrap_or_default(),
                prev_value: prev_values.first().cloned().unwrap_or_default(),
                values,
                ..Response::ok(action::TXN).with_header(r.header())
            };
            if r.succeeded() {
                resp
            } else {
                resp.fail(code::COMPARE_FAILED, message::COMPARE_FAILED)
            }
        }
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
