//! What a caller can ask of the cluster: one [`Request`] per etcd-cpp-apiv3 operation.

/// A key, a key range or a prefix, as etcd's `[key, range_end)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyRange {
    /// First key.
    pub key: Vec<u8>,
    /// End of the range (exclusive); empty for the single key `key`.
    pub range_end: Vec<u8>,
}

impl KeyRange {
    /// Exactly `key`.
    pub fn key(key: impl Into<Vec<u8>>) -> Self {
        KeyRange {
            key: key.into(),
            range_end: Vec::new(),
        }
    }

    /// Every key starting with `prefix`; the empty prefix means every key.
    pub fn prefix(prefix: impl Into<Vec<u8>>) -> Self {
        let prefix = prefix.into();
        if prefix.is_empty() {
            return KeyRange {
                key: vec![0],
                range_end: vec![0],
            };
        }
        let range_end = string_plus_one(&prefix);
        KeyRange {
            key: prefix,
            range_end,
        }
    }

    /// `[key, range_end)`.
    pub fn range(key: impl Into<Vec<u8>>, range_end: impl Into<Vec<u8>>) -> Self {
        KeyRange {
            key: key.into(),
            range_end: range_end.into(),
        }
    }

    /// True when the range is a single key.
    pub fn is_single_key(&self) -> bool {
        self.range_end.is_empty()
    }
}

/// The smallest key greater than every key with this prefix (etcd-cpp-apiv3's
/// `etcdv3::detail::string_plus_one`): trailing 0xff bytes are dropped and the last byte is
/// incremented; an empty or all-0xff key gives `"\0"` (the end of the keyspace).
pub fn string_plus_one(key: &[u8]) -> Vec<u8> {
    let mut end = key.to_vec();
    while let Some(&last) = end.last() {
        if last == 0xff {
            end.pop();
        } else {
            *end.last_mut().expect("non-empty") += 1;
            return end;
        }
    }
    vec![0]
}

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
    Txn(super::txn::Transaction),
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
        use super::response::action as a;
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
            Request::Status { .. } => super::maintenance::action::STATUS,
            Request::Compact { .. } => super::maintenance::action::COMPACT,
            Request::Defragment { .. } => super::maintenance::action::DEFRAGMENT,
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
                | Request::Status { .. }
                | Request::Defragment { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_one() {
        assert_eq!(string_plus_one(b"/a"), b"/b");
        assert_eq!(string_plus_one(b"a\xff\xff"), b"b");
        assert_eq!(string_plus_one(b"\xff"), b"\0");
        assert_eq!(string_plus_one(b""), b"\0");
        assert_eq!(string_plus_one(b"a\0"), b"a\x01");
    }

    #[test]
    fn ranges() {
        assert_eq!(KeyRange::prefix(""), KeyRange::range(vec![0], vec![0]));
        assert_eq!(KeyRange::prefix("/x"), KeyRange::range("/x", "/y"));
        assert!(KeyRange::key("k").is_single_key());
    }
}
