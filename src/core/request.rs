//! What a caller can ask of the cluster: one [`Request`] per etcd-cpp-apiv3 operation.

pub use super::keys::{string_plus_one, KeyRange};
use super::response::action as a;
use super::txn::Transaction;

/// The condition of `modify_if` / `rm_if`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Compare {
    /// The key's current value equals this.
    Value(Vec<u8>),
    /// The key's mod revision equals this (0 = the key does not exist).
    ModRevision(i64),
}

/// One operation, named after the etcd-cpp-apiv3 method it implements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// `head()`: cluster id, member id, raft term and current revision.
    Head,
    /// `get(key[, revision])`; `revision <= 0` reads the latest.
    Get { key: Vec<u8>, revision: i64 },
    /// `set` / `put`: unconditional put returning the previous value.
    Put {
        key: Vec<u8>,
        value: Vec<u8>,
        lease: i64,
    },
    /// `add`: create only if absent.
    Add {
        key: Vec<u8>,
        value: Vec<u8>,
        lease: i64,
    },
    /// `modify`: update only if present.
    Modify {
        key: Vec<u8>,
        value: Vec<u8>,
        lease: i64,
    },
    /// `modify_if`: compare-and-swap.
    ModifyIf {
        key: Vec<u8>,
        value: Vec<u8>,
        compare: Compare,
        lease: i64,
    },
    /// `rm`: delete one key.
    Rm { key: Vec<u8> },
    /// `rm_if`: compare-and-delete.
    RmIf { key: Vec<u8>, compare: Compare },
    /// `rmdir`: delete a key, a prefix or a range.
    Rmdir { range: KeyRange },
    /// `ls` / `keys`: read a prefix or a range; `limit` 0 = unlimited.
    Range {
        range: KeyRange,
        limit: i64,
        revision: i64,
        keys_only: bool,
    },
    /// One-shot `watch`: the first batch of events from `from_revision` (<= 0: from now).
    Watch { range: KeyRange, from_revision: i64 },
    /// `leasegrant(ttl)`.
    LeaseGrant { ttl: i64 },
    /// `leaserevoke(id)`.
    LeaseRevoke { id: i64 },
    /// `leasetimetolive(id)`.
    LeaseTimeToLive { id: i64 },
    /// `leases()`.
    LeaseLeases,
    /// `txn(transaction)`.
    Txn(Transaction),
    /// `lock(name[, ttl])`: with a lease of `ttl` seconds kept alive until `unlock`.
    Lock { name: Vec<u8>, ttl: i64 },
    /// `lock_with_lease(name, lease)`.
    LockWithLease { name: Vec<u8>, lease: i64 },
    /// `unlock(lock_key)`.
    Unlock { key: Vec<u8> },
    /// `campaign(name, lease, value)`.
    Campaign {
        name: Vec<u8>,
        lease: i64,
        value: Vec<u8>,
    },
    /// `proclaim(name, lease, key, revision, value)`.
    Proclaim {
        name: Vec<u8>,
        lease: i64,
        key: Vec<u8>,
        revision: i64,
        value: Vec<u8>,
    },
    /// `leader(name)`.
    Leader { name: Vec<u8> },
    /// `resign(name, lease, key, revision)`.
    Resign {
        name: Vec<u8>,
        lease: i64,
        key: Vec<u8>,
        revision: i64,
    },
    /// `add_member(peer_urls, is_learner)`.
    MemberAdd {
        peer_urls: Vec<String>,
        learner: bool,
    },
    /// `list_member()`.
    MemberList,
    /// `remove_member(id)`.
    MemberRemove { id: u64 },
    /// `sync_endpoints()`: makes the members' client URLs the client's endpoint list now. An
    /// extension.
    SyncEndpoints,
    /// Status of the member at `endpoint` (one of the client's; empty: any). An extension.
    Status { endpoint: String },
    /// Compacts the key history up to `revision`; `physical` waits until it is removed from
    /// the database. An extension.
    Compact { revision: i64, physical: bool },
    /// Defragments the database of the member at `endpoint` (empty: any). An extension.
    Defragment { endpoint: String },
}

impl Request {
    /// The action string of this request's responses (`etcd::Response::action()`), also carried
    /// by its error responses, as etcd-cpp-apiv3 does.
    pub fn action(&self) -> &'static str {
        match self {
            Request::Head | Request::Get { .. } | Request::Range { .. } => a::GET,
            Request::Put { .. } => a::SET,
            Request::Add { .. } => a::CREATE,
            Request::Modify { .. } => a::UPDATE,
            Request::ModifyIf { .. } => a::COMPARE_SWAP,
            Request::Rm { .. } | Request::Rmdir { .. } => a::DELETE,
            Request::RmIf { .. } => a::COMPARE_DELETE,
            Request::Watch { .. } => a::WATCH,
            Request::LeaseGrant { .. } => a::LEASE_GRANT,
            Request::LeaseRevoke { .. } => a::LEASE_REVOKE,
            Request::LeaseTimeToLive { .. } => a::LEASE_TIME_TO_LIVE,
            Request::LeaseLeases => a::LEASE_LEASES,
            Request::Txn(_) => a::TXN,
            Request::Lock { .. } | Request::LockWithLease { .. } => a::LOCK,
            Request::Unlock { .. } => a::UNLOCK,
            Request::Campaign { .. } => a::CAMPAIGN,
            Request::Proclaim { .. } => a::PROCLAIM,
            Request::Leader { .. } => a::LEADER,
            Request::Resign { .. } => a::RESIGN,
            Request::MemberAdd { .. } => a::ADD_MEMBER,
            Request::MemberList => a::LIST_MEMBER,
            Request::MemberRemove { .. } => a::REMOVE_MEMBER,
            Request::SyncEndpoints => a::SYNC_ENDPOINTS,
            Request::Status { .. } => a::STATUS,
            Request::Compact { .. } => a::COMPACT,
            Request::Defragment { .. } => a::DEFRAGMENT,
        }
    }

    /// True when sending the request twice has the same effect as sending it once, so that it
    /// may be retried on another endpoint after a failure that happened once it was sent.
    pub fn is_idempotent(&self) -> bool {
        matches!(
            self,
            Request::Head
                | Request::Get { .. }
                | Request::Range { .. }
                | Request::Watch { .. }
                | Request::LeaseTimeToLive { .. }
                | Request::LeaseLeases
                | Request::LeaseRevoke { .. }
                | Request::Leader { .. }
                | Request::MemberList
                | Request::SyncEndpoints
                | Request::Status { .. }
                | Request::Defragment { .. }
        )
    }
}
