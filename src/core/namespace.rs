//! [`Namespace`]: the key translation of a client view whose keys live under a fixed prefix, as
//! Go's `clientv3/namespace`: requests get the prefix added to their keys and ranges (those of
//! transactions, nested ones included, and the names of locks and elections too), responses and
//! events get it removed, so code written for a whole keyspace runs unchanged inside a part of
//! it. [`Client::with_namespace`](super::client::Client::with_namespace) makes such a view;
//! plain data here, applied by the client's `execute`, its watchers and its observers.

use super::request::{string_plus_one, KeyRange, Request};
use super::response::{code, Kv, Response};
use super::txn::{Transaction, TxnCompare, TxnOperation};

/// The prefix of a namespace and the translation of keys into and out of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    prefix: Vec<u8>,
}

/// Why a request cannot run inside a namespace.
const EMPTY_KEY: &str = "key is not provided";

impl Namespace {
    /// The namespace of the keys under `prefix` (for example `b"/tenant-a/"`).
    pub fn new(prefix: &[u8]) -> Namespace {
        Namespace {
            prefix: prefix.to_vec(),
        }
    }

    /// The prefix.
    pub fn prefix(&self) -> &[u8] {
        &self.prefix
    }

    /// `key` as stored in etcd.
    pub fn key(&self, key: &[u8]) -> Vec<u8> {
        let mut k = self.prefix.clone();
        k.extend_from_slice(key);
        k
    }

    /// A single `key` as stored in etcd; the empty key is refused (in the namespace it would
    /// name the prefix itself, while etcd refuses it outside one), as Go's namespace does.
    fn single_key(&self, key: &[u8]) -> Result<Vec<u8>, &'static str> {
        if key.is_empty() {
            Err(EMPTY_KEY)
        } else {
            Ok(self.key(key))
        }
    }

    /// `range` as stored in etcd: the whole keyspace becomes the whole namespace, and a range
    /// open at its end ("\0") ends at the end of the namespace.
    pub fn range(&self, range: &KeyRange) -> KeyRange {
        if self.prefix.is_empty() {
            return range.clone();
        }
        let end_of_namespace = string_plus_one(&self.prefix);
        let key = if range.key == [0] && range.range_end == [0] {
            self.prefix.clone()
        } else {
            self.key(&range.key)
        };
        let range_end = match range.range_end.as_slice() {
            [] => Vec::new(),
            [0] => end_of_namespace,
            end => self.key(end),
        };
        KeyRange { key, range_end }
    }

    /// As [`Namespace::range`], refusing the empty single key.
    fn checked_range(&self, range: &KeyRange) -> Result<KeyRange, &'static str> {
        if range.key.is_empty() && range.range_end.is_empty() {
            Err(EMPTY_KEY)
        } else {
            Ok(self.range(range))
        }
    }

    /// `key` with the prefix removed (unchanged if it lacks the prefix).
    pub fn strip<'a>(&self, key: &'a [u8]) -> &'a [u8] {
        key.strip_prefix(self.prefix.as_slice()).unwrap_or(key)
    }

    fn strip_vec(&self, key: &mut Vec<u8>) {
        if !key.is_empty() && key.starts_with(&self.prefix) {
            key.drain(..self.prefix.len());
        }
    }

    fn strip_kv(&self, kv: &mut Kv) {
        self.strip_vec(&mut kv.key);
    }

    /// `resp` with the prefix removed from every key it carries: values, previous values,
    /// watch events, lock keys and election names.
    pub fn strip_response(&self, mut resp: Response) -> Response {
        self.strip_kv(&mut resp.value);
        self.strip_kv(&mut resp.prev_value);
        for kv in &mut resp.values {
            self.strip_kv(kv);
        }
        for e in &mut resp.events {
            if let Some(kv) = e.kv.as_mut() {
                self.strip_kv(kv);
            }
            if let Some(kv) = e.prev_kv.as_mut() {
                self.strip_kv(kv);
            }
        }
        self.strip_vec(&mut resp.lock_key);
        self.strip_vec(&mut resp.name);
        resp
    }

    /// `txn` with every key inside the namespace: the comparisons' and the operations' keys and
    /// ranges, nested transactions included.
    pub fn transaction(&self, txn: &Transaction) -> Result<Transaction, &'static str> {
        let compares = txn
            .compares
            .iter()
            .map(|c| {
                Ok(TxnCompare {
                    range: self.checked_range(&c.range)?,
                    ..c.clone()
                })
            })
            .collect::<Result<Vec<_>, &'static str>>()?;
        let ops = |ops: &[TxnOperation]| {
            ops.iter()
                .map(|op| self.operation(op))
                .collect::<Result<Vec<_>, &'static str>>()
        };
        Ok(Transaction {
            compares,
            success: ops(&txn.success)?,
            failure: ops(&txn.failure)?,
        })
    }

    fn operation(&self, op: &TxnOperation) -> Result<TxnOperation, &'static str> {
        Ok(match op {
            TxnOperation::Range { range, limit } => TxnOperation::Range {
                range: self.checked_range(range)?,
                limit: *limit,
            },
            TxnOperation::Put {
                key,
                value,
                lease,
                prev_kv,
            } => TxnOperation::Put {
                key: self.single_key(key)?,
                value: value.clone(),
                lease: *lease,
                prev_kv: *prev_kv,
            },
            TxnOperation::Delete { range, prev_kv } => TxnOperation::Delete {
                range: self.checked_range(range)?,
                prev_kv: *prev_kv,
            },
            TxnOperation::Txn(t) => TxnOperation::Txn(Box::new(self.transaction(t)?)),
        })
    }

    /// `req` with its keys, ranges and lock and election names moved into the namespace; the
    /// error response (code 3, naming the operation) for a request with an empty key. Requests
    /// without keys (leases, cluster membership, maintenance) are the connection's and pass
    /// unchanged, as in Go, where the namespace wraps only the KV, Watcher and Lease APIs.
    pub fn request(&self, req: Request) -> Result<Request, Box<Response>> {
        let act = req.action();
        self.translate(req).map_err(|why| {
            Box::new(Response {
                action: act.to_string(),
                ..Response::error(
                    code::INVALID_ARGUMENT,
                    format!("etcd-cpp-rs: {act} in a namespace: {why}"),
                )
            })
        })
    }

    fn translate(&self, req: Request) -> Result<Request, &'static str> {
        Ok(match req {
            Request::Get { key, revision } => Request::Get {
                key: self.single_key(&key)?,
                revision,
            },
            Request::Put { key, value, lease } => Request::Put {
                key: self.single_key(&key)?,
                value,
                lease,
            },
            Request::Add { key, value, lease } => Request::Add {
                key: self.single_key(&key)?,
                value,
                lease,
            },
            Request::Modify { key, value, lease } => Request::Modify {
                key: self.single_key(&key)?,
                value,
                lease,
            },
            Request::ModifyIf {
                key,
                value,
                compare,
                lease,
            } => Request::ModifyIf {
                key: self.single_key(&key)?,
                value,
                compare,
                lease,
            },
            Request::Rm { key } => Request::Rm {
                key: self.single_key(&key)?,
            },
            Request::RmIf { key, compare } => Request::RmIf {
                key: self.single_key(&key)?,
                compare,
            },
            Request::Rmdir { range } => Request::Rmdir {
                range: self.checked_range(&range)?,
            },
            Request::Range {
                range,
                limit,
                revision,
                keys_only,
            } => Request::Range {
                range: self.checked_range(&range)?,
                limit,
                revision,
                keys_only,
            },
            Request::Watch {
                range,
                from_revision,
            } => Request::Watch {
                range: self.checked_range(&range)?,
                from_revision,
            },
            Request::Txn(t) => Request::Txn(self.transaction(&t)?),
            Request::Lock { name, ttl } => Request::Lock {
                name: self.single_key(&name)?,
                ttl,
            },
            Request::LockWithLease { name, lease } => Request::LockWithLease {
                name: self.single_key(&name)?,
                lease,
            },
            Request::Unlock { key } => Request::Unlock {
                key: self.single_key(&key)?,
            },
            Request::Campaign { name, lease, value } => Request::Campaign {
                name: self.single_key(&name)?,
                lease,
                value,
            },
            Request::Proclaim {
                name,
                lease,
                key,
                revision,
                value,
            } => Request::Proclaim {
                name: self.single_key(&name)?,
                lease,
                key: self.key(&key),
                revision,
                value,
            },
            Request::Leader { name } => Request::Leader {
                name: self.single_key(&name)?,
            },
            Request::Resign {
                name,
                lease,
                key,
                revision,
            } => Request::Resign {
                name: self.single_key(&name)?,
                lease,
                key: self.key(&key),
                revision,
            },
            r @ (Request::Head
            | Request::LeaseGrant { .. }
            | Request::LeaseRevoke { .. }
            | Request::LeaseTimeToLive { .. }
            | Request::LeaseLeases
            | Request::MemberAdd { .. }
            | Request::MemberList
            | Request::SyncEndpoints
            | Request::MemberRemove { .. }
            | Request::Status { .. }
            | Request::Compact { .. }
            | Request::Defragment { .. }) => r,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::txn::{CompareResult, CompareTarget};

    fn ns(prefix: &str) -> Namespace {
        Namespace::new(prefix.as_bytes())
    }

    #[test]
    fn ranges() {
        let n = ns("/t/");
        assert_eq!(n.range(&KeyRange::key("a")), KeyRange::key("/t/a"));
        assert_eq!(
            n.range(&KeyRange::prefix("a")),
            KeyRange::range("/t/a", "/t/b")
        );
        assert_eq!(
            n.range(&KeyRange::prefix("")),
            KeyRange::range("/t/", "/t0")
        );
        assert_eq!(
            n.range(&KeyRange::range("a", vec![0])),
            KeyRange::range("/t/a", "/t0")
        );
        assert_eq!(n.strip(b"/t/a"), b"a");
        assert_eq!(n.strip(b"/u/a"), b"/u/a");
    }

    #[test]
    fn keyless_requests_pass_and_keyed_ones_are_prefixed() {
        let n = ns("/t/");
        assert_eq!(n.request(Request::MemberList), Ok(Request::MemberList));
        assert_eq!(
            n.request(Request::LeaseGrant { ttl: 5 }),
            Ok(Request::LeaseGrant { ttl: 5 })
        );
        assert_eq!(
            n.request(Request::Rm { key: b"k".to_vec() }),
            Ok(Request::Rm {
                key: b"/t/k".to_vec()
            })
        );
        assert_eq!(
            n.request(Request::Lock {
                name: b"l".to_vec(),
                ttl: 3
            }),
            Ok(Request::Lock {
                name: b"/t/l".to_vec(),
                ttl: 3
            })
        );
        assert_eq!(
            n.request(Request::Resign {
                name: b"e".to_vec(),
                lease: 7,
                key: b"e/7".to_vec(),
                revision: 9
            }),
            Ok(Request::Resign {
                name: b"/t/e".to_vec(),
                lease: 7,
                key: b"/t/e/7".to_vec(),
                revision: 9
            })
        );
    }

    #[test]
    fn empty_keys_are_refused_naming_the_operation() {
        let n = ns("/t/");
        let r = n
            .request(Request::Get {
                key: Vec::new(),
                revision: 0,
            })
            .unwrap_err();
        assert_eq!(r.error_code, code::INVALID_ARGUMENT);
        assert_eq!(r.action, "get");
        assert!(r.error_message.contains("get in a namespace"), "{r:?}");
        let t = Transaction {
            success: vec![TxnOperation::Txn(Box::new(Transaction {
                success: vec![TxnOperation::Put {
                    key: Vec::new(),
                    value: b"v".to_vec(),
                    lease: 0,
                    prev_kv: false,
                }],
                ..Default::default()
            }))],
            ..Default::default()
        };
        let r = n.request(Request::Txn(t)).unwrap_err();
        assert_eq!(r.error_code, code::INVALID_ARGUMENT);
        assert!(r.error_message.contains("txn in a namespace"), "{r:?}");
        // The whole keyspace is the whole namespace, not an empty key.
        assert!(n
            .request(Request::Range {
                range: KeyRange::prefix(""),
                limit: 0,
                revision: 0,
                keys_only: false
            })
            .is_ok());
    }

    #[test]
    fn transactions_are_prefixed_throughout() {
        let n = ns("/t/");
        let inner = Transaction {
            compares: vec![TxnCompare {
                range: KeyRange::prefix("p"),
                target: CompareTarget::Version,
                result: CompareResult::Greater,
                value: Vec::new(),
                number: 0,
            }],
            success: vec![TxnOperation::Delete {
                range: KeyRange::range("a", vec![0]),
                prev_kv: true,
            }],
            failure: vec![TxnOperation::Range {
                range: KeyRange::prefix(""),
                limit: 3,
            }],
        };
        let t = Transaction {
            compares: vec![TxnCompare {
                range: KeyRange::key("k"),
                target: CompareTarget::Value,
                result: CompareResult::Equal,
                value: b"v".to_vec(),
                number: 0,
            }],
            success: vec![
                TxnOperation::Put {
                    key: b"k".to_vec(),
                    value: b"w".to_vec(),
                    lease: 4,
                    prev_kv: true,
                },
                TxnOperation::Txn(Box::new(inner)),
            ],
            failure: vec![TxnOperation::Range {
                range: KeyRange::key("k"),
                limit: 0,
            }],
        };
        let Ok(Request::Txn(got)) = n.request(Request::Txn(t)) else {
            panic!("refused")
        };
        assert_eq!(got.compares[0].range, KeyRange::key("/t/k"));
        assert_eq!(got.compares[0].value, b"v");
        assert_eq!(
            got.success[0],
            TxnOperation::Put {
                key: b"/t/k".to_vec(),
                value: b"w".to_vec(),
                lease: 4,
                prev_kv: true,
            }
        );
        let TxnOperation::Txn(nested) = &got.success[1] else {
            panic!("not nested")
        };
        assert_eq!(nested.compares[0].range, KeyRange::range("/t/p", "/t/q"));
        assert_eq!(
            nested.success[0],
            TxnOperation::Delete {
                range: KeyRange::range("/t/a", "/t0"),
                prev_kv: true
            }
        );
        assert_eq!(
            nested.failure[0],
            TxnOperation::Range {
                range: KeyRange::range("/t/", "/t0"),
                limit: 3
            }
        );
        assert_eq!(
            got.failure[0],
            TxnOperation::Range {
                range: KeyRange::key("/t/k"),
                limit: 0
            }
        );
    }

    #[test]
    fn responses_lose_the_prefix() {
        let n = ns("/t/");
        let kv = |k: &str| Kv {
            key: k.as_bytes().to_vec(),
            ..Kv::default()
        };
        let resp = Response {
            value: kv("/t/a"),
            prev_value: kv("/t/b"),
            values: vec![kv("/t/c"), kv("/other")],
            events: vec![crate::core::Event {
                kv: Some(kv("/t/d")),
                prev_kv: Some(kv("/t/e")),
                ..Default::default()
            }],
            lock_key: b"/t/l/1".to_vec(),
            name: b"/t/n".to_vec(),
            ..Response::default()
        };
        let r = n.strip_response(resp);
        assert_eq!(r.value.key, b"a");
        assert_eq!(r.prev_value.key, b"b");
        assert_eq!(r.values[0].key, b"c");
        assert_eq!(r.values[1].key, b"/other");
        assert_eq!(r.events[0].kv.as_ref().unwrap().key, b"d");
        assert_eq!(r.events[0].prev_kv.as_ref().unwrap().key, b"e");
        assert_eq!(r.lock_key, b"l/1");
        assert_eq!(r.name, b"n");
    }
}
