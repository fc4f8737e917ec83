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
inline Response execute(ClientHandle const& handle, rust::Box<ffi::Request> request) {
  return to_response(ffi::client_execute(*handle.client, std::move(request)));
}

// ------------------------------------------------------------------------------------------------
// Request builders: one per operation family; the Rust core gives them their meaning.
// ------------------------------------------------------------------------------------------------

namespace request {

using Request = rust::Box<ffi::Request>;

inline Request make(ffi::Op op) { return ffi::request_new(op); }

inline Request make(ffi::Op op, std::string const& key) {
  Request r = make(op);
  r->set_key(as_slice(key));
  return r;
}

inline Request head() { return make(ffi::Op::Head); }

inline Request get(std::string const& key, int64_t revision) {
  Request r = make(ffi::Op::Get, key);
  r->set_revision(revision);
  return r;
}

// Set (also `put`), Add and Modify.
inline Request write(ffi::Op op, std::string const& key, std::string const& value, int64_t lease) {
  Request r = make(op, key);
  r->set_value(as_slice(value));
  r->set_lease(lease);
  return r;
}

inline Request modify_if(std::string const& key, std::string const& value,
                         std::string const& old_value, int64_t lease) {
  Request r = write(ffi::Op::ModifyIfValue, key, value, lease);
  r->set_old_value(as_slice(old_value));
  return r;
}

inline Request modify_if(std::string const& key, std::string const& value, int64_t old_index,
                         int64_t lease) {
  Request r = write(ffi::Op::ModifyIfIndex, key, value, lease);
  r->set_old_index(old_index);
  return r;
}

inline Request rm(std::string const& key) { return make(ffi::Op::Rm, key); }

inline Request rm_if(std::string const& key, std::string const& old_value) {
  Request r = make(ffi::Op::RmIfValue, key);
  r->set_old_value(as_slice(old_value));
  return r;
}

inline Request rm_if(std::string const& key, int64_t old_index) {
  Request r = make(ffi::Op::RmIfIndex, key);
  r->set_old_index(old_index);
  return r;
}

inline Request rmdir(std::string const& key, bool recursive) {
  Request r = make(ffi::Op::Rmdir, key);
  r->set_recursive(recursive);
  return r;
}

inline Request rmdir(std::string const& key, std::string const& range_end) {
  Request r = make(ffi::Op::Rmdir, key);
  r->set_range_end(as_slice(range_end));
  return r;
}

// `ls` / `keys` over the prefix `key`.
inline Request ls(std::string const& key, size_t limit, int64_t revision, bool keys_only) {
  Request r = make(ffi::Op::Ls, key);
  r->set_recursive(true);
  r->set_limit(static_cast<int64_t>(limit));
  r->set_revision(revision);
  r->set_keys_only(keys_only);
  return r;
}

// `ls` / `keys` over [key, range_end).
inline Request ls(std::string const& key, std::string const& range_end, size_t limit,
                  int64_t revision, bool keys_only) {
  Request r = ls(key, limit, revision, keys_only);
  r->set_recursive(false);
  r->set_range_end(as_slice(range_end));
  return r;
}

inline Request watch(std::string const& key, int64_t from_index, bool recursive) {
  Request r = make(ffi::Op::Watch, key);
  r->set_revision(from_index);
  r->set_recursive(recursive);
  return r;
}

inline Request watch(std::string const& key, std::string const& range_end, int64_t from_index) {
  Request r = make(ffi::Op::Watch, key);
  r->set_range_end(as_slice(range_end));
  r->set_revision(from_index);
  return r;
}

inline Request lease_grant(int ttl) {
  Request r = make(ffi::Op::LeaseGrant);
  r->set_ttl(ttl);
  return r;
}

inline Request lease_revoke(int64_t lease_id) {
  Request r = make(ffi::Op::LeaseRevoke);
  r->set_lease(lease_id);
  return r;
}

inline Request lease_time_to_live(int64_t lease_id) {
  Request r = make(ffi::Op::LeaseTimeToLive);
  r->set_lease(lease_id);
  return r;
}

inline Request lease_leases() { return make(ffi::Op::LeaseLeases); }

inline Request txn(etcdv3::Transaction const& transaction) {
  Request r = make(ffi::Op::Txn);
  rust::Vec<ffi::TxnData> txns;
  TransactionAccess::flatten(transaction, txns);
  r->set_txns(std::move(txns));
  return r;
}

inline Request lock(std::string const& name, int lease_ttl) {
  Request r = make(ffi::Op::Lock, name);
  r->set_ttl(lease_ttl);
  return r;
}

inline Request lock_with_lease(std::string const& name, int64_t lease_id) {
  Request r = make(ffi::Op::LockWithLease, name);
  r->set_lease(lease_id);
  return r;
}

inline Request unlock(std::string const& lock_key) { return make(ffi::Op::Unlock, lock_key); }

// Elections: `name` is the election; `key` and `revision` the leader key from campaign().
inline Request election(ffi::Op op, std::string const& name, int64_t lease_id) {
  Request r = make(op);
  r->set_name(as_slice(name));
  r->set_lease(lease_id);
  return r;
}

inline Request campaign(std::string const& name, int64_t lease_id, std::string const& value) {
  Request r = election(ffi::Op::Campaign, name, lease_id);
  r->set_value(as_slice(value));
  return r;
}

inline Request proclaim(std::string const& name, int64_t lease_id, std::string const& key,
                        int64_t revision, std::string const& value) {
  Request r = election(ffi::Op::Proclaim, name, lease_id);
  r->set_key(as_slice(key));
  r->set_revision(revision);
  r->set_value(as_slice(value));
  return r;
}

inline Request leader(std::string const& name) { return election(ffi::Op::Leader, name, 0); }

inline Request resign(std::string const& name, int64_t lease_id, std::string const& key,
                      int64_t revision) {
  Request r = election(ffi::Op::Resign, name, lease_id);
  r->set_key(as_slice(key));
  r->set_revision(revision);
  return r;
}

// `peer_urls` is split on ',' as etcd-cpp-apiv3 does; empty pieces are dropped.
inline Request member_add(std::string const& peer_urls, bool is_learner) {
  Request r = make(ffi::Op::MemberAdd);
  std::size_t start = 0;
  while (start <= peer_urls.size()) {
    std::size_t end = peer_urls.find(',', start);
    if (end == std::string::npos) end = peer_urls.size();
    if (end > start) {
      r->add_peer_url(rust::Slice<std::uint8_t const>(
          reinterpret_cast<std::uint8_t const*>(peer_urls.data()) + start, end - start));
    }
    start = end + 1;
  }
  r->set_is_learner(is_learner);
  return r;
}

inline Request member_list() { return make(ffi::Op::MemberList); }

inline Request sync_endpoints() { return make(ffi::Op::SyncEndpoints); }

inline Request member_remove(std::uint64_t member_id) {
  Request r = make(ffi::Op::MemberRemove);
  r->set_member_id(member_id);
  return r;
}

// `const char*` range ends are read up to their first NUL, as std::string construction does.
inline std::string c_string(char const* s) { return s != nullptr ? std::string(s) : std::string(); }

}  // namespace request

}  // namespace detail
}  // namespace etcd

#endif  // ETCD_CPP_RS_INTERNAL_HPP
