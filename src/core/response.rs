//! Plain result data mirroring `etcd::Response`, `etcd::Value`, `etcd::Event` and
//! `etcdv3::Member`, and the mapping of etcd-client results and errors onto it.

use std::time::Duration;

/// gRPC status codes as etcd-cpp-apiv3 reports them (`ERROR_GRPC_*`).
pub mod code {
    pub const OK: i32 = 0;
    pub const CANCELLED: i32 = 1;
    pub const UNKNOWN: i32 = 2;
    pub const INVALID_ARGUMENT: i32 = 3;
    pub const DEADLINE_EXCEEDED: i32 = 4;
    pub const NOT_FOUND: i32 = 5;
    pub const PERMISSION_DENIED: i32 = 7;
    pub const OUT_OF_RANGE: i32 = 11;
    pub const INTERNAL: i32 = 13;
    pub const UNAVAILABLE: i32 = 14;
    pub const UNAUTHENTICATED: i32 = 16;
    /// etcd-cpp-apiv3's own codes.
    pub const KEY_NOT_FOUND: i32 = 100;
    pub const COMPARE_FAILED: i32 = 101;
    pub const KEY_ALREADY_EXISTS: i32 = 105;
    pub const ACTION_CANCELLED: i32 = 106;
}

/// Messages etcd-cpp-apiv3 produces itself.
pub mod message {
    pub const KEY_NOT_FOUND: &str = "etcd-cpp-apiv3: key not found";
    pub const COMPARE_FAILED: &str = "etcd-cpp-apiv3: compare failed";
    pub const KEY_ALREADY_EXISTS: &str = "etcd-cpp-apiv3: key already exists";
    pub const TIMEOUT: &str = "gRPC timeout";
    pub const INVALID_TARGET: &str = "the target uri is not valid";
    pub const COMPACTED: &str = "required revision has been compacted";
}

/// Action strings (`etcdv3::*_ACTION`).
pub mod action {
    pub const CREATE: &str = "create";
    pub const UPDATE: &str = "update";
    pub const SET: &str = "set";
    pub const GET: &str = "get";
    pub const DELETE: &str = "delete";
    pub const COMPARE_SWAP: &str = "compareAndSwap";
    pub const COMPARE_DELETE: &str = "compareAndDelete";
    pub const WATCH: &str = "watch";
    pub const LEASE_GRANT: &str = "leasegrant";
    pub const LEASE_REVOKE: &str = "leaserevoke";
    pub const LEASE_TIME_TO_LIVE: &str = "leasetimetolive";
    pub const LEASE_LEASES: &str = "leaseleases";
    pub const LOCK: &str = "lock";
    pub const UNLOCK: &str = "unlock";
    pub const TXN: &str = "txn";
    pub const ADD_MEMBER: &str = "addmember";
    pub const LIST_MEMBER: &str = "listmember";
    pub const REMOVE_MEMBER: &str = "removemember";
    pub const CAMPAIGN: &str = "campaign";
    /// Spelled as etcd-cpp-apiv3 spells it.
    pub const PROCLAIM: &str = "preclaim";
    pub const LEADER: &str = "leader";
    /// Spelled as etcd-cpp-apiv3 spells it.
    pub const OBSERVE: &str = "obverse";
    pub const RESIGN: &str = "resign";
    /// Maintenance (an extension): see [`super::super::maintenance`].
    pub const STATUS: &str = "status";
    pub const COMPACT: &str = "compact";
    pub const DEFRAGMENT: &str = "defragment";
    /// `sync_endpoints()` (an extension): see [`super::super::cluster`].
    pub const SYNC_ENDPOINTS: &str = "syncendpoints";
}

/// The status of one member (etcd's `StatusResponse`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// The endpoint that answered (host:port).
    pub endpoint: String,
    /// etcd's version, e.g. "3.4.30".
    pub version: String,
    /// Size of the backend database file, in bytes.
    pub db_size: i64,
    /// Bytes of the database file in use (the rest is free space that defragmenting returns).
    pub db_size_in_use: i64,
    /// Member id of the current leader (0 while there is none).
    pub leader: u64,
    /// This member's id.
    pub member_id: u64,
    pub cluster_id: u64,
    pub raft_index: u64,
    pub raft_term: u64,
    pub raft_applied_index: u64,
    pub is_learner: bool,
    /// Alarms and errors the member reports (e.g. "NOSPACE").
    pub errors: Vec<String>,
}

/// A key-value pair (`etcd::Value`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Kv {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    pub create_revision: i64,
    pub mod_revision: i64,
    pub version: i64,
    pub lease: i64,
    /// Lease TTL for lease responses, 0 for plain kvs, -1 for kvs inside watch events.
    pub ttl: i64,
}

impl Kv {
    pub(crate) fn from_etcd(kv: &etcd_client::KeyValue) -> Kv {
        Kv {
            key: kv.key().to_vec(),
            value: kv.value().to_vec(),
            create_revision: kv.create_revision(),
            mod_revision: kv.mod_revision(),
            version: kv.version(),
            lease: kv.lease(),
            ttl: 0,
        }
    }

    /// Like [`Kv::from_etcd`], moving the key and value out instead of copying them.
    pub(crate) fn from_etcd_owned(kv: etcd_client::KeyValue) -> Kv {
        let (create_revision, mod_revision, version, lease) = (
            kv.create_revision(),
            kv.mod_revision(),
            kv.version(),
            kv.lease(),
        );
        let (key, value) = kv.into_key_value();
        Kv {
            key,
            value,
            create_revision,
            mod_revision,
            version,
            lease,
            ttl: 0,
        }
    }
}

/// Kind of a watch event (`etcd::Event::EventType`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EventType {
    #[default]
    Put,
    Delete,
    Invalid,
}

/// A watch event (`etcd::Event`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event {
    pub event_type: EventType,
    pub kv: Option<Kv>,
    pub prev_kv: Option<Kv>,
}

/// A cluster member (`etcdv3::Member`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Member {
    pub id: u64,
    pub name: String,
    pub peer_urls: Vec<String>,
    pub client_urls: Vec<String>,
    pub is_learner: bool,
}

/// A member as etcd-client reports it.
pub(crate) fn member(m: &etcd_client::Member) -> Member {
    Member {
        id: m.id(),
        name: m.name().to_string(),
        peer_urls: m.peer_urls().to_vec(),
        client_urls: m.client_urls().to_vec(),
        is_learner: m.is_learner(),
    }
}

/// The outcome of one operation (`etcd::Response`). Failures are data: `error_code` and
/// `error_message`, never a panic or an `Err`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub error_code: i32,
    pub error_message: String,
    pub action: String,
    /// The store revision from the response header.
    pub index: i64,
    pub value: Kv,
    pub prev_value: Kv,
    pub values: Vec<Kv>,
    pub events: Vec<Event>,
    pub compact_revision: i64,
    pub watch_id: i64,
    pub cluster_id: u64,
    pub member_id: u64,
    pub raft_term: u64,
    pub leases: Vec<i64>,
    pub members: Vec<Member>,
    pub lock_key: Vec<u8>,
    pub name: Vec<u8>,
    pub duration: Duration,
    /// The member status of a `status` request (an extension); for `defragment`, only the
    /// endpoint that was defragmented.
    pub status: Status,
}

impl Default for Response {
    fn default() -> Self {
        Response {
            error_code: 0,
            error_message: String::new(),
            action: String::new(),
            index: 0,
            value: Kv::default(),
            prev_value: Kv::default(),
            values: Vec::new(),
            events: Vec::new(),
            compact_revision: -1,
            watch_id: -1,
            cluster_id: 0,
            member_id: 0,
            raft_term: 0,
            leases: Vec::new(),
            members: Vec::new(),
            lock_key: Vec::new(),
            name: Vec::new(),
            duration: Duration::ZERO,
            status: Default::default(),
        }
    }
}

impl Response {
    /// A successful response with `action`.
    pub fn ok(action: &str) -> Response {
        Response {
            action: action.to_string(),
            ..Response::default()
        }
    }

    /// A failed response.
    pub fn error(code: i32, message: impl Into<String>) -> Response {
        Response {
            error_code: code,
            error_message: message.into(),
            ..Response::default()
        }
    }

    /// True when `error_code` is 0.
    pub fn is_ok(&self) -> bool {
        self.error_code == code::OK
    }

    pub(crate) fn with_header(mut self, header: Option<&etcd_client::ResponseHeader>) -> Response {
        if let Some(h) = header {
            self.index = h.revision();
        }
        self
    }

    pub(crate) fn fail(mut self, code: i32, message: &str) -> Response {
        self.error_code = code;
        self.error_message = message.to_string();
        self
    }
}

/// Maps an etcd-client error to etcd-cpp-apiv3's `(error_code, error_message)`: gRPC statuses
/// keep their code and etcd's message; transport failures are UNAVAILABLE.
pub fn error_to_response(err: &etcd_client::Error) -> Response {
    use etcd_client::Error as E;
    let (code, msg) = match err {
        E::GRpcStatus(s) => {
            let msg = status_message(s);
            if is_tls_failure(&msg) {
                (code::UNAVAILABLE, tls_message(&msg))
            } else if matches!(s.code(), tonic::Code::Cancelled | tonic::Code::Unknown)
                && is_broken_connection(&msg)
            {
                // The user cancels no unary call: a cancelled or unknown status carrying a
                // connection failure means the member went away mid-call. gRPC (and so the
                // peer) reports that as UNAVAILABLE, which is what retry logic looks for.
                (code::UNAVAILABLE, format!("{BROKEN}: {msg}"))
            } else {
                (s.code() as i32, msg)
            }
        }
        E::TransportError(e) => {
            let msg = transport_message(e);
            (
                code::UNAVAILABLE,
                if is_tls_failure(&msg) {
                    tls_message(&msg)
                } else {
                    msg
                },
            )
        }
        E::IoError(e) => (code::UNAVAILABLE, e.to_string()),
        E::InvalidArgs(m) => (code::INVALID_ARGUMENT, m.clone()),
        E::InvalidUri(e) => (code::INVALID_ARGUMENT, e.to_string()),
        E::EndpointError(m) => (code::UNAVAILABLE, m.clone()),
        E::WatchError(m) | E::LeaseKeepAliveError(m) | E::ElectError(m) => {
            (code::UNKNOWN, m.clone())
        }
        other => (code::UNKNOWN, other.to_string()),
    };
    Response::error(code, msg)
}

fn status_message(s: &tonic::Status) -> String {
    let msg = s.message();
    if msg.is_empty() && std::error::Error::source(s).is_none() {
        return format!("{:?}", s.code());
    }
    // tonic reports connection failures with terse messages; keep the causes.
    join_causes(msg, std::error::Error::source(s))
}

fn transport_message(e: &dyn std::error::Error) -> String {
    join_causes(&e.to_string(), e.source())
}

/// `first` and the texts of the error chain from `source`, joined with ": ", each said once:
/// a text already contained in an earlier one is left out, and so is the generic "transport
/// error" when something more specific is there.
fn join_causes(first: &str, source: Option<&(dyn std::error::Error + 'static)>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut add = |t: String| {
        let t = t.trim().to_string();
        if t.is_empty() || parts.iter().any(|p| p.contains(&t)) {
            return;
        }
        // A later, longer text that repeats an earlier one replaces it.
        parts.retain(|p| !t.contains(p.as_str()));
        parts.push(t);
    };
    add(first.to_string());
    let mut cur = source;
    while let Some(e) = cur {
        add(e.to_string());
        cur = e.source();
    }
    if parts.len() > 1 {
        parts.retain(|p| p != "transport error");
    }
    parts.join(": ")
}

/// True when `message` (an error's text with its causes) tells of a failed TLS handshake.
pub(crate) fn is_tls_failure(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "invalid peer certificate",
        "certificate required",
        "bad certificate",
        "unknown ca",
        "handshake failure",
        "tls handshake",
        "certificate unknown",
        "decrypt error",
        "speaks tls",
    ]
    .iter()
    .any(|p| m.contains(p))
}

/// True when `err` is a connection that broke (see [`error_to_response`]).
pub(crate) fn is_broken_connection_error(err: &etcd_client::Error) -> bool {
    let r = error_to_response(err);
    r.error_code == code::UNAVAILABLE && r.error_message.starts_with(BROKEN)
}

const BROKEN: &str = "the connection to the etcd server broke";

/// True when `message` tells of a connection that broke (reset, closed, HTTP/2 error).
fn is_broken_connection(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "operation was canceled",
        "connection closed",
        "connection reset",
        "broken pipe",
        "error reading a body",
        "h2 protocol error",
        "transport error",
        "connection error",
        "unexpected end of file",
        "stream no longer needed",
    ]
    .iter()
    .any(|p| m.contains(p))
}

/// A TLS failure's message, saying first that it is one.
fn tls_message(message: &str) -> String {
    let lower = message.to_ascii_lowercase();
    if lower.contains("tls handshake failed") || lower.contains("speaks tls") {
        message.to_string()
    } else {
        format!("TLS handshake failed: {message}")
    }
}
