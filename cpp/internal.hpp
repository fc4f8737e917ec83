// Private to the library: the state behind the public classes, conversions between the bridge
// types and the public ones, and the request builders shared by SyncClient and Client.
#ifndef ETCD_CPP_RS_INTERNAL_HPP
#define ETCD_CPP_RS_INTERNAL_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "etcd-cpp-rs/src/cxx/bridge.rs.h"
#include "etcd/Client.hpp"
#include "etcd/ClientOptions.hpp"
#include "etcd/Response.hpp"
#include "etcd/SyncClient.hpp"
#include "etcd/Value.hpp"
#include "etcd/v3/Transaction.hpp"
#include "rust/cxx.h"

namespace etcd {
namespace detail {

// ------------------------------------------------------------------------------------------------
// Byte conversions. Keys and values are raw bytes: embedded NULs survive both directions.
// ------------------------------------------------------------------------------------------------

inline rust::Vec<std::uint8_t> to_bytes(std::string const& s) {
  if (s.empty()) return rust::Vec<std::uint8_t>();
  return ffi::bytes_from(
      rust::Slice<std::uint8_t const>(reinterpret_cast<std::uint8_t const*>(s.data()), s.size()));
}

inline std::string to_string(rust::Vec<std::uint8_t> const& bytes) {
  return std::string(reinterpret_cast<char const*>(bytes.data()), bytes.size());
}

inline std::string to_string(rust::String const& s) { return std::string(s.data(), s.size()); }

inline rust::Slice<std::uint8_t const> as_slice(std::string const& s) {
  return rust::Slice<std::uint8_t const>(reinterpret_cast<std::uint8_t const*>(s.data()), s.size());
}

// ------------------------------------------------------------------------------------------------
// The connection shared by a SyncClient, the Clients wrapping it, and the Watchers and KeepAlives
// made from them.
// ------------------------------------------------------------------------------------------------

struct ClientHandle {
  explicit ClientHandle(rust::Box<ffi::Client> c) : client(std::move(c)) {}
  ClientHandle(ClientHandle const&) = delete;
  ClientHandle& operator=(ClientHandle const&) = delete;

  rust::Box<ffi::Client> client;

  // current_auth_token() returns a reference, so the tokens it handed out are kept here. Only a
  // few are kept: a reference stays valid until the token has been renewed that many times.
  // std::deque never moves its elements when adding at the back or removing at the front.
  std::string const& auth_token() {
    std::string token = to_string(ffi::client_auth_token(*client));
    std::lock_guard<std::mutex> lock(token_mutex);
    if (tokens.empty() || tokens.back() != token) {
      tokens.push_back(std::move(token));
      if (tokens.size() > kKeptTokens) tokens.pop_front();
    }
    return tokens.back();
  }

 private:
  static constexpr std::size_t kKeptTokens = 8;
  std::mutex token_mutex;
  std::deque<std::string> tokens;
};

// Strings that name hosts, users or files cross the bridge as Rust strings, which must be UTF-8.
// Endpoints that are not UTF-8 cannot name a host and are passed on as empty (every call then
// answers 13 "the target uri is not valid"); other strings are converted with replacement
// characters.
inline rust::Str utf8_or_empty(std::string const& s) {
  try {
    return rust::Str(s);
  } catch (std::invalid_argument const&) {
    return rust::Str();
  }
}

inline std::int64_t whole_ms(std::chrono::milliseconds d) { return d.count() < 1 ? 0 : d.count(); }

inline ffi::ClientOptionsData options_data(ClientOptions const& o) {
  ffi::ClientOptionsData d;
  d.request_timeout_ms = whole_ms(o.request_timeout);
  d.connect_timeout_ms = whole_ms(o.connect_timeout);
  d.keepalive_time_ms = whole_ms(o.keepalive_time);
  d.keepalive_timeout_ms = whole_ms(o.keepalive_timeout);
  d.user = rust::String::lossy(o.user);
  d.password = rust::String::lossy(o.password);
  d.auth_token_ttl = o.auth_token_ttl;
  d.tls = o.uses_tls();
  d.ca = rust::String::lossy(o.ca);
  d.cert = rust::String::lossy(o.cert);
  d.key = rust::String::lossy(o.key);
  d.target_name_override = rust::String::lossy(o.target_name_override);
  d.max_receive_message_size = o.max_receive_message_size < 0 ? 0 : o.max_receive_message_size;
  d.max_send_message_size = o.max_send_message_size < 0 ? 0 : o.max_send_message_size;
  d.auto_sync_interval_ms = whole_ms(o.auto_sync_interval);
  return d;
}

// Never throws for a bad endpoint string or unreadable TLS files: the Rust side answers every
// call of such a client with the error.
inline std::shared_ptr<ClientHandle> new_client_handle(std::string const& endpoints,
                                                       ClientOptions const& options) {
  ffi::ClientOptionsData data = options_data(options);
  return std::make_shared<ClientHandle>(
      ffi::client_new(utf8_or_empty(endpoints), utf8_or_empty(options.load_balancer), data));
}

inline std::shared_ptr<ClientHandle> new_client_handle(std::string const& endpoints,
                                                       std::string const& load_balancer) {
  ClientOptions options;
  options.load_balancer = load_balancer;
  return new_client_handle(endpoints, options);
}

// The connection a Watcher or KeepAlive runs on: its client's (shared, so it may outlive the
// client object), or a new one for an address.
struct HandleAccess {
  static std::shared_ptr<ClientHandle> of(Client const& client) { return client.client_->handle_; }
  static std::shared_ptr<ClientHandle> of(SyncClient const& client) { return client.handle_; }
  static std::shared_ptr<ClientHandle> of(std::string const& address) {
    return new_client_handle(address, "round_robin");
  }
  static std::shared_ptr<ClientHandle> of(std::shared_ptr<ClientHandle> const& handle) {
    return handle;
  }
};

// The options of the user/password constructors.
inline ClientOptions user_options(ClientOptions options, std::string const& username,
                                  std::string const& password, int auth_token_ttl) {
  options.user = username;
  options.password = password;
  options.auth_token_ttl = auth_token_ttl;
  return options;
}

inline ClientOptions user_options(std::string const& username, std::string const& password,
                                  int auth_token_ttl, std::string const& load_balancer) {
  ClientOptions options;
  options.load_balancer = load_balancer;
  return user_options(options, username, password, auth_token_ttl);
}

// The options of the TLS constructors.
inline ClientOptions tls_options(ClientOptions options, std::string const& ca,
                                 std::string const& cert, std::string const& privkey,
                                 std::string const& target_name_override) {
  options.with_tls(ca, cert, privkey, target_name_override);
  return options;
}

inline ClientOptions tls_options(std::string const& ca, std::string const& cert,
                                 std::string const& privkey,
                                 std::string const& target_name_override,
                                 std::string const& load_balancer) {
  ClientOptions options;
  options.load_balancer = load_balancer;
  return tls_options(options, ca, cert, privkey, target_name_override);
}

// A Transaction's content for the bridge (defined in Transaction.cpp, a friend of Transaction):
// appends `txn` and the transactions nested in it to `out`, returning the index of `txn`.
struct TransactionAccess {
  static std::size_t flatten(etcdv3::Transaction const& txn, rust::Vec<ffi::TxnData>& out);
};

// ------------------------------------------------------------------------------------------------
// ResponseData -> etcd::Response (defined in Response.cpp; the friend of Value, Event, Response).
// ------------------------------------------------------------------------------------------------

struct ResponseBuilder {
  static Value value(ffi::KvData const& kv);
  static Event event(ffi::EventData const& ev);
  static Response response(ffi::ResponseData const& data);
};

inline Response to_response(ffi::ResponseData const& data) {
  return ResponseBuilder::response(data);
}

// Blocking execution on a connection.
inline Response execute(ClientHandle const& handle, ffi::RequestData const& request) {
  return to_response(ffi::client_execute(*handle.client, request));
}

// ------------------------------------------------------------------------------------------------
// Request builders: one per operation family; the Rust core gives them their meaning.
// ------------------------------------------------------------------------------------------------

namespace request {

inline ffi::RequestData make(ffi::Op op) {
  ffi::RequestData r;
  r.op = op;
  return r;
}

inline ffi::RequestData make(ffi::Op op, std::string const& key) {
  ffi::RequestData r = make(op);
  r.key = to_bytes(key);
  return r;
}

inline ffi::RequestData head() { return make(ffi::Op::Head); }

inline ffi::RequestData get(std::string const& key, int64_t revision) {
  ffi::RequestData r = make(ffi::Op::Get, key);
  r.revision = revision;
  return r;
}

// Set (also `put`), Add and Modify.
inline ffi::RequestData write(ffi::Op op, std::string const& key, std::string const& value,
                              int64_t lease) {
  ffi::RequestData r = make(op, key);
  r.value = to_bytes(value);
  r.lease = lease;
  return r;
}

inline ffi::RequestData modify_if(std::string const& key, std::string const& value,
                                  std::string const& old_value, int64_t lease) {
  ffi::RequestData r = write(ffi::Op::ModifyIfValue, key, value, lease);
  r.old_value = to_bytes(old_value);
  return r;
}

inline ffi::RequestData modify_if(std::string const& key, std::string const& value,
                                  int64_t old_index, int64_t lease) {
  ffi::RequestData r = write(ffi::Op::ModifyIfIndex, key, value, lease);
  r.old_index = old_index;
  return r;
}

inline ffi::RequestData rm(std::string const& key) { return make(ffi::Op::Rm, key); }

inline ffi::RequestData rm_if(std::string const& key, std::string const& old_value) {
  ffi::RequestData r = make(ffi::Op::RmIfValue, key);
  r.old_value = to_bytes(old_value);
  return r;
}

inline ffi::RequestData rm_if(std::string const& key, int64_t old_index) {
  ffi::RequestData r = make(ffi::Op::RmIfIndex, key);
  r.old_index = old_index;
  return r;
}

inline ffi::RequestData rmdir(std::string const& key, bool recursive) {
  ffi::RequestData r = make(ffi::Op::Rmdir, key);
  r.recursive = recursive;
  return r;
}

inline ffi::RequestData rmdir(std::string const& key, std::string const& range_end) {
  ffi::RequestData r = make(ffi::Op::Rmdir, key);
  r.range_end = to_bytes(range_end);
  r.has_range_end = true;
  return r;
}

// `ls` / `keys` over the prefix `key`.
inline ffi::RequestData ls(std::string const& key, size_t limit, int64_t revision, bool keys_only) {
  ffi::RequestData r = make(ffi::Op::Ls, key);
  r.recursive = true;
  r.limit = static_cast<int64_t>(limit);
  r.revision = revision;
  r.keys_only = keys_only;
  return r;
}

// `ls` / `keys` over [key, range_end).
inline ffi::RequestData ls(std::string const& key, std::string const& range_end, size_t limit,
                           int64_t revision, bool keys_only) {
  ffi::RequestData r = ls(key, limit, revision, keys_only);
  r.recursive = false;
  r.range_end = to_bytes(range_end);
  r.has_range_end = true;
  return r;
}

inline ffi::RequestData watch(std::string const& key, int64_t from_index, bool recursive) {
  ffi::RequestData r = make(ffi::Op::Watch, key);
  r.revision = from_index;
  r.recursive = recursive;
  return r;
}

inline ffi::RequestData watch(std::string const& key, std::string const& range_end,
                              int64_t from_index) {
  ffi::RequestData r = make(ffi::Op::Watch, key);
  r.range_end = to_bytes(range_end);
  r.has_range_end = true;
  r.revision = from_index;
  return r;
}

inline ffi::RequestData lease_grant(int ttl) {
  ffi::RequestData r = make(ffi::Op::LeaseGrant);
  r.ttl = ttl;
  return r;
}

inline ffi::RequestData lease_revoke(int64_t lease_id) {
  ffi::RequestData r = make(ffi::Op::LeaseRevoke);
  r.lease = lease_id;
  return r;
}

inline ffi::RequestData lease_time_to_live(int64_t lease_id) {
  ffi::RequestData r = make(ffi::Op::LeaseTimeToLive);
  r.lease = lease_id;
  return r;
}

inline ffi::RequestData lease_leases() { return make(ffi::Op::LeaseLeases); }

inline ffi::RequestData txn(etcdv3::Transaction const& transaction) {
  ffi::RequestData r = make(ffi::Op::Txn);
  TransactionAccess::flatten(transaction, r.txns);
  return r;
}

inline ffi::RequestData lock(std::string const& name, int lease_ttl) {
  ffi::RequestData r = make(ffi::Op::Lock, name);
  r.ttl = lease_ttl;
  return r;
}

inline ffi::RequestData lock_with_lease(std::string const& name, int64_t lease_id) {
  ffi::RequestData r = make(ffi::Op::LockWithLease, name);
  r.lease = lease_id;
  return r;
}

inline ffi::RequestData unlock(std::string const& lock_key) {
  return make(ffi::Op::Unlock, lock_key);
}

// Elections: `name` is the election; `key` and `revision` the leader key from campaign().
inline ffi::RequestData election(ffi::Op op, std::string const& name, int64_t lease_id) {
  ffi::RequestData r = make(op);
  r.name = to_bytes(name);
  r.lease = lease_id;
  return r;
}

inline ffi::RequestData campaign(std::string const& name, int64_t lease_id,
                                 std::string const& value) {
  ffi::RequestData r = election(ffi::Op::Campaign, name, lease_id);
  r.value = to_bytes(value);
  return r;
}

inline ffi::RequestData proclaim(std::string const& name, int64_t lease_id, std::string const& key,
                                 int64_t revision, std::string const& value) {
  ffi::RequestData r = election(ffi::Op::Proclaim, name, lease_id);
  r.key = to_bytes(key);
  r.revision = revision;
  r.value = to_bytes(value);
  return r;
}

inline ffi::RequestData leader(std::string const& name) {
  return election(ffi::Op::Leader, name, 0);
}

inline ffi::RequestData resign(std::string const& name, int64_t lease_id, std::string const& key,
                               int64_t revision) {
  ffi::RequestData r = election(ffi::Op::Resign, name, lease_id);
  r.key = to_bytes(key);
  r.revision = revision;
  return r;
}

// `peer_urls` is split on ',' as etcd-cpp-apiv3 does; empty pieces are dropped.
inline ffi::RequestData member_add(std::string const& peer_urls, bool is_learner) {
  ffi::RequestData r = make(ffi::Op::MemberAdd);
  std::size_t start = 0;
  while (start <= peer_urls.size()) {
    std::size_t end = peer_urls.find(',', start);
    if (end == std::string::npos) end = peer_urls.size();
    if (end > start) {
      r.peer_urls.push_back(rust::String::lossy(peer_urls.substr(start, end - start)));
    }
    start = end + 1;
  }
  r.is_learner = is_learner;
  return r;
}

inline ffi::RequestData member_list() { return make(ffi::Op::MemberList); }

inline ffi::RequestData sync_endpoints() { return make(ffi::Op::SyncEndpoints); }

inline ffi::RequestData member_remove(std::uint64_t member_id) {
  ffi::RequestData r = make(ffi::Op::MemberRemove);
  r.member_id = member_id;
  return r;
}

// `const char*` range ends are read up to their first NUL, as std::string construction does.
inline std::string c_string(char const* s) { return s != nullptr ? std::string(s) : std::string(); }

}  // namespace request

}  // namespace detail
}  // namespace etcd

#endif  // ETCD_CPP_RS_INTERNAL_HPP
