//! Transactions (`etcdv3::Transaction`): comparisons and nested operations, as plain data, and
//! their translation into one etcd Txn. Running one is the KV service's (`kv::txn`), which
//! reads the results back the way etcd-cpp-apiv3 does (peer-api.md §8).

use etcd_client::{
    Compare as EtcdCompare, CompareOp, DeleteOptions, GetOptions, PutOptions, Txn, TxnOp,
};

use super::keys::KeyRange;

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
    pub(crate) fn to_etcd(&self) -> Txn {
        // etcd-client asserts that when/and_then/or_else are called once each, in this order.
        Txn::new()
            .when(self.compares.iter().map(compare).collect::<Vec<_>>())
            .and_then(self.success.iter().map(operation).collect::<Vec<_>>())
            .or_else(self.failure.iter().map(operation).collect::<Vec<_>>())
    }

    /// True when every operation, nested ones included, only reads.
    pub(crate) fn is_read_only(&self) -> bool {
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
