/**
 * \file etcd/Value.hpp
 * \brief `etcd::Value` (one key-value pair) and `etcd::Event` (one watch event).
 */
#ifndef ETCD_VALUE_HPP
#define ETCD_VALUE_HPP

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace etcd {

class Value;
class Event;
class Response;
class Client;
class SyncClient;

namespace detail {
struct ResponseBuilder;
}  // namespace detail

/**
 * A key-value pair received from etcd. Only the library creates values; user code copies them.
 * Keys and values are raw bytes and may contain NUL characters.
 */
class Value {
 public:
  /// Always false (a leftover of the etcd v2 API).
  bool is_dir() const;

  /// The full key.
  std::string const& key() const;

  /// The value ("" for key-only listings and empty values).
  std::string const& as_string() const;

  /// The revision that created the key (for `campaign`: the leader revision).
  int64_t created_index() const;

  /// The revision of the last modification of the key.
  int64_t modified_index() const;

  /// The number of modifications since the key was created.
  int64_t version() const;

  /// The lease TTL for `leasegrant`/`leasetimetolive`; 0 for ordinary values; -1 in watch events.
  int ttl() const;

  /// The lease attached to the key (or the lease id of a lease/lock/campaign response).
  int64_t lease() const;

 protected:
  friend class Client;
  friend class SyncClient;
  friend class Response;
  friend class Event;
  friend struct detail::ResponseBuilder;

  Value();

  std::string _key;
  bool dir;
  std::string value;
  int64_t created;
  int64_t modified;
  int64_t _version;
  int _ttl;
  int64_t leaseId;
};

/// A list of values.
using Values = std::vector<Value>;

/// Prints `Event: {Key: k, Value: v, Created: c, Modified: m, Version: n, TTL: t, Lease: l, }`.
std::ostream& operator<<(std::ostream& os, const Value& value);

/**
 * One change reported by a watch: the kind of change, the key-value pair after it and, when etcd
 * sends it, the pair before it.
 */
class Event {
 public:
  /// The kind of change.
  enum class EventType {
    PUT,
    DELETE_,
    INVALID,
  };

  /// The kind of change.
  enum EventType event_type() const;

  /// True if the event carries the key-value pair after the change.
  bool has_kv() const;

  /// True if the event carries the key-value pair before the change (absent for creations).
  bool has_prev_kv() const;

  /// The key-value pair after the change (for a deletion: key and revisions only).
  const Value& kv() const;

  /// The key-value pair before the change.
  const Value& prev_kv() const;

 protected:
  friend class Response;
  friend struct detail::ResponseBuilder;

  Event();

 private:
  enum EventType event_type_;
  Value _kv, _prev_kv;
  bool _has_kv, _has_prev_kv;
};

/// A list of events.
using Events = std::vector<Event>;

/// Prints `PUT`, `DELETE` or `INVALID`.
std::ostream& operator<<(std::ostream& os, const Event::EventType& value);

/// Prints `Event type: T[, KV: <Value>][, Prev KV: <Value>]`.
std::ostream& operator<<(std::ostream& os, const Event& event);

}  // namespace etcd

#endif  // ETCD_VALUE_HPP
