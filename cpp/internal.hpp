// Private to the library: the state behind the public classes, conversions between the bridge
// types and the public ones, and the request builders shared by SyncClient and Client.
#ifndef ETCD_CPP_RS_INTERNAL_HPP
#define ETCD_CPP_RS_INTERNAL_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "etcd-cpp-rs/src/cxx/bridge.rs.h"
#include "etcd/Response.hpp"
#include "etcd/SyncClient.hpp"
#include "etcd/Value.hpp"
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
  // Returned by current_auth_token(); stays empty until authentication exists.
  std::string auth_token;
};

// Never throws for a bad endpoint string: the Rust side answers every call of such a client with
// 13 "the target uri is not valid". A string that is not UTF-8 cannot name a host and is passed on
// as empty, which gives the same result.
inline std::shared_ptr<ClientHandle> new_client_handle(std::string const& endpoints,
                                                       std::string const& load_balancer) {
  auto utf8_or_empty = [](std::string const& s) -> rust::Str {
    try {
      return rust::Str(s);
    } catch (std::invalid_argument const&) {
      return rust::Str();
    }
  };
  ffi::ClientOptionsData options;
  return std::make_shared<ClientHandle>(
      ffi::client_new(utf8_or_empty(endpoints), utf8_or_empty(load_balancer), options));
}

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
inline ffi::RequestData ls(std::string const& key, size_t limit, int64_t revision,
                           bool keys_only) {
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

// `const char*` range ends are read up to their first NUL, as std::string construction does.
inline std::string c_string(char const* s) { return s != nullptr ? std::string(s) : std::string(); }

}  // namespace request

}  // namespace detail
}  // namespace etcd

#endif  // ETCD_CPP_RS_INTERNAL_HPP
