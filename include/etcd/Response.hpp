/**
 * \file etcd/Response.hpp
 * \brief `etcd::Response`, the result of every etcd operation.
 */
#ifndef ETCD_RESPONSE_HPP
#define ETCD_RESPONSE_HPP

// Some of these are not needed here: etcd-cpp-apiv3's header makes them reachable, and programs
// written for it rely on that.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "etcd/Value.hpp"
#include "etcd/v3/Member.hpp"

namespace etcd {

class Client;
class SyncClient;

namespace detail {
struct ResponseBuilder;

/// Microseconds elapsed since `start`.
inline std::chrono::microseconds duration_till_now(
    std::chrono::high_resolution_clock::time_point const& start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::high_resolution_clock::now() - start);
}
}  // namespace detail

/// A list of keys.
typedef std::vector<std::string> Keys;

/**
 * The result of an etcd operation. Failures are reported here (`error_code()`,
 * `error_message()`), never as exceptions: 0 is success, 1-16 are gRPC status codes, 100/101/105
 * are the library codes of `etcd/v3/action_constants.hpp`.
 */
class Response {
 public:
  /// A successful, empty response (users default-construct and assign).
  Response();

  /// True if `error_code()` is 0.
  bool is_ok() const;

  /// True if etcd could not be reached (gRPC code 14, UNAVAILABLE).
  bool is_network_unavailable() const;

  /// True if the operation timed out (gRPC code 4, DEADLINE_EXCEEDED).
  bool is_grpc_timeout() const;

  /// 0 on success, otherwise a gRPC status code or a library code (100, 101, 105).
  int error_code() const;

  /// The error message ("" on success).
  std::string const& error_message() const;

  /// The action name of the operation (see `etcd/v3/action_constants.hpp`).
  std::string const& action() const;

  /// The etcd revision in the response header (0 for client-side errors).
  int64_t index() const;

  /// The key-value pair of a single-key operation; the first one of a range.
  Value const& value() const;

  /// The key-value pair before the change, for operations that report it.
  Value const& prev_value() const;

  /// `values()[index]`, without bounds check.
  Value const& value(int index) const;

  /// All key-value pairs of a range or delete operation, in key order.
  Values const& values() const;

  /// The keys of `values()`, in the same order.
  Keys const& keys() const;

  /// `keys()[index]`, without bounds check.
  std::string const& key(int index) const;

  /// The compaction revision when a watch was cancelled by compaction; -1 otherwise.
  int64_t compact_revision() const;

  /// The id of the watch that produced this response; -1 for other responses.
  int64_t watch_id() const;

  /// The key of a held lock (lock responses only).
  std::string const& lock_key() const;

  /// The election name (campaign responses only).
  std::string const& name() const;

  /// The events of a watch response.
  std::vector<Event> const& events() const;

  /// Time from issuing the request to receiving the response.
  std::chrono::microseconds const& duration() const;

  /// The cluster id (set by `head()`; 0 otherwise).
  uint64_t cluster_id() const;

  /// The id of the member that answered (set by `head()`; 0 otherwise).
  uint64_t member_id() const;

  /// The raft term (set by `head()`; 0 otherwise).
  uint64_t raft_term() const;

  /// The lease ids listed by `leases()`.
  std::vector<int64_t> const& leases() const;

  /// The members listed by a member-list operation.
  std::vector<etcdv3::Member> const& members() const;

 protected:
  friend class Client;
  friend class SyncClient;
  friend struct detail::ResponseBuilder;

  int _error_code;
  std::string _error_message;
  int64_t _index;
  std::string _action;
  Value _value;
  Value _prev_value;
  Values _values;
  Keys _keys;
  int64_t _compact_revision;
  int64_t _watch_id;
  std::string _lock_key;
  std::string _name;
  std::vector<Event> _events;
  std::chrono::microseconds _duration;
  uint64_t _cluster_id;
  uint64_t _member_id;
  uint64_t _raft_term;
  std::vector<int64_t> _leases;
  std::vector<etcdv3::Member> _members;
};

}  // namespace etcd

#endif  // ETCD_RESPONSE_HPP
