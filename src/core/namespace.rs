//! [`Namespace`]: a view of a client in which every key is under a fixed prefix, as Go's
//! `clientv3/namespace`: requests get the prefix added to their keys and ranges, responses and
//! events get it removed, so code written for a whole keyspace runs unchanged inside a part of it.

use super::client::Client;
use super::request::{string_plus_one, KeyRange, Request};
use super::response::{code, Kv, Response};
use super::watch::Watcher;

/// A client whose keys live under `prefix`.
#[derive(Clone)]
pub struct Namespace {
    client: Client,
    prefix: Vec<u8>,
}

impl Namespace {
    /// The keys of `client` under `prefix` (for example `b"/tenant-a"`).
    pub fn new(client: &Client, prefix: &[u8]) -> Namespace {
        Namespace {
            client: client.clone(),
            prefix: prefix.to_vec(),
        }
    }

    /// The underlying client.
    pub fn client(&self) -> &Client {
        &self.client
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

    /// `key` with the prefix removed (unchanged if it lacks the prefix).
    pub fn strip<'a>(&self, key: &'a [u8]) -> &'a [u8] {
        key.strip_prefix(self.prefix.as_slice()).unwrap_or(key)
    }

    fn strip_kv(&self, kv: &mut Kv) {
        if !kv.key.is_empty() {
            kv.key = self.strip(&kv.key).to_vec();
        }
    }

    /// `resp` with the prefix removed from every key it carries.
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
        resp
    }

    /// `req` with its keys moved into the namespace; None for requests that have no meaning in
    /// one (transactions, locks, elections, cluster membership).
    pub fn request(&self, req: Request) -> Option<Request> {
        Some(match req {
            Request::Get { key, revision } => Request::Get {
                key: self.key(&key),
                revision,
            },
            Request::Put { key, value, lease } => Request::Put {
                key: self.key(&key),
                value,
                lease,
            },
            Request::Add { key, value, lease } => Request::Add {
                key: self.key(&key),
                value,
                lease,
            },
            Request::Modify { key, value, lease } => Request::Modify {
                key: self.key(&key),
                value,
                lease,
            },
            Request::ModifyIf {
                key,
                value,
                compare,
                lease,
            } => Request::ModifyIf {
                key: self.key(&key),
                value,
                compare,
                lease,
            },
            Request::Rm { key } => Request::Rm {
                key: self.key(&key),
            },
            Request::RmIf { key, compare } => Request::RmIf {
                key: self.key(&key),
                compare,
            },
            Request::Rmdir { range } => Request::Rmdir {
                range: self.range(&range),
            },
            Request::Range {
                range,
                limit,
                revision,
                keys_only,
            } => Request::Range {
                range: self.range(&range),
                limit,
                revision,
                keys_only,
            },
            Request::Watch {
                range,
                from_revision,
            } => Request::Watch {
                range: self.range(&range),
                from_revision,
            },
            r @ (Request::Head
            | Request::LeaseGrant { .. }
            | Request::LeaseRevoke { .. }
            | Request::LeaseTimeToLive { .. }
            | Request::LeaseLeases) => r,
            _ => return None,
        })
    }

    /// Runs `req` inside the namespace (blocking).
    pub fn execute_blocking(&self, req: Request) -> Response {
        let act = req.action();
        match self.request(req) {
            Some(r) => self.strip_response(self.client.execute_blocking(r)),
            None => Response {
                action: act.to_string(),
                ..Response::error(
                    code::INVALID_ARGUMENT,
                    "etcd-cpp-rs: this operation is not available in a namespace",
                )
            },
        }
    }

    /// Runs `req` inside the namespace.
    pub async fn execute(&self, req: Request) -> Response {
        let act = req.action();
        match self.request(req) {
            Some(r) => self.strip_response(self.client.execute(r).await),
            None => Response {
                action: act.to_string(),
                ..Response::error(
                    code::INVALID_ARGUMENT,
                    "etcd-cpp-rs: this operation is not available in a namespace",
                )
            },
        }
    }

    /// A [`Watcher`] of `range` inside the namespace, whose events carry keys without the prefix.
    pub fn watcher(
        &self,
        range: KeyRange,
        from_revision: i64,
        callback: impl Fn(Response) + Send + Sync + 'static,
    ) -> Watcher {
        let ns = self.clone();
        Watcher::new(&self.client, self.range(&range), from_revision, move |r| {
            callback(ns.strip_response(r))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(prefix: &str) -> Namespace {
        Namespace::new(&Client::new("", Default::default()), prefix.as_bytes())
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
    fn unsupported_requests_are_refused() {
        let n = ns("/t/");
        assert!(n.request(Request::MemberList).is_none());
        assert_eq!(
            n.request(Request::Rm { key: b"k".to_vec() }),
            Some(Request::Rm {
                key: b"/t/k".to_vec()
            })
        );
    }
}
