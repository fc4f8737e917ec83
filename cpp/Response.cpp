// etcd::Response and etcdv3::Member accessors, and the conversion of the bridge's ResponseData.
#include "etcd/Response.hpp"

#include "etcd/v3/Member.hpp"
#include "internal.hpp"

namespace etcd {

// ------------------------------------------------------------------------------------------------
// Conversion from the bridge types.
// ------------------------------------------------------------------------------------------------

namespace detail {

Value ResponseBuilder::value(ffi::KvData const& kv) {
  Value v;
  v._key = to_string(kv.key);
  v.value = to_string(kv.value);
  v.created = kv.create_revision;
  v.modified = kv.mod_revision;
  v._version = kv.version;
  v._ttl = static_cast<int>(kv.ttl);
  v.leaseId = kv.lease;
  return v;
}

Event ResponseBuilder::event(ffi::EventData const& ev) {
  Event e;
  switch (ev.event_type) {
    case 0:
      e.event_type_ = Event::EventType::PUT;
      break;
    case 1:
      e.event_type_ = Event::EventType::DELETE_;
      break;
    default:
      e.event_type_ = Event::EventType::INVALID;
      break;
  }
  e._has_kv = ev.has_kv;
  e._has_prev_kv = ev.has_prev_kv;
  if (ev.has_kv) e._kv = value(ev.kv);
  if (ev.has_prev_kv) e._prev_kv = value(ev.prev_kv);
  return e;
}

Response ResponseBuilder::response(ffi::ResponseData const& data) {
  Response r;
  r._error_code = data.error_code;
  r._error_message = to_string(data.error_message);
  r._action = to_string(data.action);
  r._index = data.index;
  r._value = value(data.value);
  r._prev_value = value(data.prev_value);
  r._values.reserve(data.values.size());
  r._keys.reserve(data.values.size());
  for (ffi::KvData const& kv : data.values) {
    r._values.push_back(value(kv));
    r._keys.push_back(r._values.back().key());
  }
  r._events.reserve(data.events.size());
  for (ffi::EventData const& ev : data.events) r._events.push_back(event(ev));
  r._compact_revision = data.compact_revision;
  r._watch_id = data.watch_id;
  r._cluster_id = data.cluster_id;
  r._member_id = data.member_id;
  r._raft_term = data.raft_term;
  r._leases.assign(data.leases.begin(), data.leases.end());
  r._members.reserve(data.members.size());
  for (ffi::MemberData const& m : data.members) {
    etcdv3::Member member;
    member.set_id(m.id);
    member.set_name(to_string(m.name));
    std::vector<std::string> urls;
    for (rust::String const& url : m.peer_urls) urls.push_back(to_string(url));
    member.set_peerURLs(urls);
    urls.clear();
    for (rust::String const& url : m.client_urls) urls.push_back(to_string(url));
    member.set_clientURLs(urls);
    member.set_learner(m.is_learner);
    r._members.push_back(member);
  }
  r._lock_key = to_string(data.lock_key);
  r._name = to_string(data.name);
  r._duration = std::chrono::microseconds(data.duration_us);
  return r;
}

}  // namespace detail

// ------------------------------------------------------------------------------------------------
// Response.
// ------------------------------------------------------------------------------------------------

Response::Response()
    : _error_code(0),
      _index(0),
      _compact_revision(-1),
      _watch_id(-1),
      _duration(0),
      _cluster_id(0),
      _member_id(0),
      _raft_term(0) {}

bool Response::is_ok() const { return _error_code == 0; }

bool Response::is_network_unavailable() const {
  return _error_code == etcdv3::ERROR_GRPC_UNAVAILABLE;
}

bool Response::is_grpc_timeout() const {
  return _error_code == etcdv3::ERROR_GRPC_DEADLINE_EXCEEDED;
}

int Response::error_code() const { return _error_code; }

std::string const& Response::error_message() const { return _error_message; }

std::string const& Response::action() const { return _action; }

int64_t Response::index() const { return _index; }

Value const& Response::value() const { return _value; }

Value const& Response::prev_value() const { return _prev_value; }

Value const& Response::value(int index) const { return _values[index]; }

Values const& Response::values() const { return _values; }

Keys const& Response::keys() const { return _keys; }

std::string const& Response::key(int index) const { return _keys[index]; }

int64_t Response::compact_revision() const { return _compact_revision; }

int64_t Response::watch_id() const { return _watch_id; }

std::string const& Response::lock_key() const { return _lock_key; }

std::string const& Response::name() const { return _name; }

std::vector<Event> const& Response::events() const { return _events; }

std::chrono::microseconds const& Response::duration() const { return _duration; }

uint64_t Response::cluster_id() const { return _cluster_id; }

uint64_t Response::member_id() const { return _member_id; }

uint64_t Response::raft_term() const { return _raft_term; }

std::vector<int64_t> const& Response::leases() const { return _leases; }

std::vector<etcdv3::Member> const& Response::members() const { return _members; }

}  // namespace etcd

// ------------------------------------------------------------------------------------------------
// etcdv3::Member.
// ------------------------------------------------------------------------------------------------

namespace etcdv3 {

Member::Member() : id(0), isLearner(false) {}

void Member::set_id(std::uint64_t const& id) { this->id = id; }

std::uint64_t const& Member::get_id() const { return id; }

void Member::set_name(std::string const& name) { this->name = name; }

std::string const& Member::get_name() const { return name; }

void Member::set_peerURLs(std::vector<std::string> const& peerURLs) { this->peerURLs = peerURLs; }

std::vector<std::string> const& Member::get_peerURLs() const { return peerURLs; }

void Member::set_clientURLs(std::vector<std::string> const& clientURLs) {
  this->clientURLs = clientURLs;
}

std::vector<std::string> const& Member::get_clientURLs() const { return clientURLs; }

void Member::set_learner(bool isLearner) { this->isLearner = isLearner; }

bool Member::get_learner() const { return isLearner; }

}  // namespace etcdv3
