/**
 * \file etcd/ServiceDiscovery.hpp
 * \brief `etcd::ServiceDiscovery`: a live, consistent view of a prefix (an extension of
 * etcd-cpp-rs, not part of etcd-cpp-apiv3).
 */
#ifndef ETCD_SERVICE_DISCOVERY_HPP
#define ETCD_SERVICE_DISCOVERY_HPP

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "etcd/Value.hpp"

namespace etcd {

class Client;
class SyncClient;

/**
 * Follows the keys under a prefix: lists them at a revision R, then watches from R + 1, so no
 * change is missed or reported twice. It resumes by itself after a disconnect; when the revision it
 * would resume from has been compacted, it lists the prefix again and reports the difference as
 * changes, so it never ends with error 11.
 *
 * The handlers run on a library thread, one change at a time, in order; the entries of the first
 * listing arrive as `added`. The destructor and `close()` return promptly even with the cluster
 * down; no handler runs after they return (unless called from inside a handler).
 */
class ServiceDiscovery {
 public:
  /// What to call for each change; any may be empty.
  struct Handlers {
    std::function<void(Value const& value)> added;
    std::function<void(Value const& value, Value const& previous)> updated;
    /// `previous` is the entry as it was before its removal.
    std::function<void(Value const& previous)> removed;
  };

  /// Starts following `prefix`; returns at once (see `wait_ready`).
  ServiceDiscovery(Client const& client, std::string const& prefix,
                   Handlers const& handlers = Handlers());
  ServiceDiscovery(SyncClient const& client, std::string const& prefix,
                   Handlers const& handlers = Handlers());
  /// Opens a connection of its own to `address`.
  ServiceDiscovery(std::string const& address, std::string const& prefix,
                   Handlers const& handlers = Handlers());
  ~ServiceDiscovery();

  ServiceDiscovery(ServiceDiscovery const&) = delete;
  ServiceDiscovery& operator=(ServiceDiscovery const&) = delete;

  /// Waits at most `timeout` for the first listing; returns whether it is in.
  bool wait_ready(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) const;

  /// The entries now: key -> value.
  std::map<std::string, std::string> snapshot() const;

  /// The entries now, sorted by key, with their revisions and leases.
  Values values() const;

  /// The revision the view is current at (0 before the first listing).
  int64_t revision() const;

  /// Stops following. Idempotent.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace etcd

#endif
