//! Transactions (`etcdv3::Transaction` + `txn()`): comparisons and nested operations, executed
//! as one etcd Txn and read back the way etcd-cpp-apiv3 does (peer-api.md §8).

use etcd_client::{
    Compare as EtcdCompare, CompareOp, DeleteOptions, GetOptions, PutOptions, Txn, TxnOp,
};

use super::client::Client;
use super::request::KeyRange;
use super::response::{action, code, error_to_response, message, Response};

/// What a comparison looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareTarget {
    Version,
    Create,
    Mod,
    Value,
    Lease,
}

/// How it compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareResult {
    Equal,
    Greater,
    Less,
    NotEqual,
}

/// One comparison of a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnCompare {
    pub range: KeyRange,
    pub target: CompareTarget,
    pub result: CompareResult,
    /// For [`CompareTarget::Value`].
    pub value: Vec<u8>,
    /// For the other targets.
    pub number: i64,
}

/// One operation of a transaction branch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxnOperation {
    Range {
        range: KeyRange,
        limit: i64,
    },
    Put {
        key: Vec<u8>,
        value: Vec<u8>,
        lease: i64,
        prev_kv: bool,
    },
    Delete {
        range: KeyRange,
        prev_kv: bool,
    },
    Txn(Box<Transaction>),
}

/// A transaction: if every comparison holds, the success branch runs, else the failure branch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transaction {
    pub compares: Vec<TxnCompare>,
    pub success: Vec<TxnOperation>,
    pub failure: Vec<TxnOperation>,
}

impl Transaction {
    fn to_etcd(&self) -> Txn {
        // etcd-client asserts that when/and_then/or_else are called once each, in this order.
        Txn::new()
            .when(self.compares.iter().map(compare).collect::<Vec<_>>())
            .and_then(self.success.iter().map(operation).collect::<Vec<_>>())
            .or_else(self.failure.iter().map(operation).collect::<Vec<_>>())
    }

    /// True when every operation, nested ones included, only reads.
    fn is_read_only(&self) -> bool {
        self.success.iter().chain(&self.failure).all(|op| match op {
            TxnOperation::Range { .. } => true,
            TxnOperation::Txn(t) => t.is_read_only(),
            _ => false,
        })
    }
}

fn compare(c: &TxnCompare) -> EtcdCompare {
    let op = match c.result {
        CompareResult::Equal => CompareOp::Equal,
        CompareResult::Greater => CompareOp::Greater,
        CompareResult::Less => CompareOp::Less,
        CompareResult::NotEqual => CompareOp::NotEqual,
    };
    let key = c.range.key.clone();
    let cmp = match c.target {
        CompareTarget::Version => EtcdCompare::version(key, op, c.number),
        CompareTarget::Create => EtcdCompare::create_revision(key, op, c.number),
        CompareTarget::Mod => EtcdCompare::mod_revision(key, op, c.number),
        CompareTarget::Value => EtcdCompare::value(key, op, c.value.clone()),
        CompareTarget::Lease => EtcdCompare::lease(key, op, c.number),
    };
    if c.range.is_single_key() {
        cmp
    } else {
        cmp.with_range(c.range.range_end.clone())
    }
}

fn operation(op: &TxnOperation) -> TxnOp {
    match op {
        TxnOperation::Range { range, limit } => {
            let mut o = GetOptions::new().with_limit(*limit);
            if !range.is_single_key() {
                o = o.with_range(range.range_end.clone());
            }
            TxnOp::get(range.key.clone(), Some(o))
        }
        TxnOperation::Put {
            key,
            value,
            lease,
            prev_kv,
        } => {
            let mut o = PutOptions::new().with_lease(*lease);
            if *prev_kv {
                o = o.with_prev_key();
            }
            TxnOp::put(key.clone(), value.clone(), Some(o))
        }
        TxnOperation::Delete { range, prev_kv } => {
            let mut o = DeleteOptions::new();
            if *prev_kv {
                o = o.with_prev_key();
            }
            if !range.is_single_key() {
                o = o.with_range(range.range_end.clone());
            }
            TxnOp::delete(range.key.clone(), Some(o))
        }
        TxnOperation::Txn(t) => TxnOp::txn(t.to_etcd()),
    }
}

/// `txn()`: action "txn"; the executed branch's results in `values` / `prev_value`; a false
/// comparison gives 101 with the failure branch's results still there.
pub(crate) async fn run(client: &Client, t: Transaction) -> Response {
    let etcd_txn = t.to_etcd();
    let res = client
        .with_failover(t.is_read_only(), |c| {
            let mut kv = super::ops::kv(client, c);
            let txn = etcd_txn.clone();
            async move { kv.txn(txn).await }
        })
        .await;
    match res {
        Ok(r) => {
            let (values, prev_values) = super::ops::txn_results(&r.op_responses());
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
