/**
 * \file etcd/ServiceRegistry.hpp
 * \brief `etcd::ServiceRegistry`: entries kept registered under a lease (an extension of
 * etcd-cpp-rs, not part of etcd-cpp-apiv3).
 */
#ifndef ETCD_SERVICE_REGISTRY_HPP
#define ETCD_SERVICE_REGISTRY_HPP

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "etcd/Response.hpp"

namespace etcd {

class Client;
class SyncClient;

/**
 * Keeps entries (`/service/<name>` -> `host:port`, say) registered under one lease that it keeps
 * alive.
 *
 * When etcd says the lease is gone (it expired during a partition longer than the TTL, or an
 * operator revoked it) the registry grants a new lease and writes every entry again, within a
 * second of noticing, and then calls the optional handler (old lease, new lease) on a library
 * thread. A cluster that cannot be reached is not a loss: the registry waits for it.
 *
 * The destructor and `close()` stop the keep-alive and, unless `revoke_on_close` is false, revoke
 * the lease so that watchers see the DELETEs at once instead of after the TTL. They return within
 * about a second even with the cluster down; the handler does not run after they return.
 */
class ServiceRegistry {
 public:
  /// Called after the entries were written again under a new lease.
  using Handler = std::function<void(int64_t old_lease, int64_t new_lease)>;

  /// Grants the first lease (blocking, bounded by the client's timeout).
  ServiceRegistry(Client const& client, int ttl = 10, Handler const& handler = nullptr,
                  bool revoke_on_close = true);
  ServiceRegistry(SyncClient const& client, int ttl = 10, Handler const& handler = nullptr,
                  bool revoke_on_close = true);
  /// Opens a connection of its own to `address` (one endpoint or several, as for `Client`).
  ServiceRegistry(std::string const& address, int ttl = 10, Handler const& handler = nullptr,
                  bool revoke_on_close = true);
  ~ServiceRegistry();

  ServiceRegistry(ServiceRegistry const&) = delete;
  ServiceRegistry& operator=(ServiceRegistry const&) = delete;

  /**
   * Registers `key` = `value` under the lease and writes it now; returns the write's response.
   * While no lease is held (cluster unreachable, lease being replaced) the response is error 14
   * and the entry is written as soon as a lease is granted. After `close()`: error 1.
   */
  Response add(std::string const& key, std::string const& value);

  /// Unregisters `key` and deletes it from etcd.
  Response remove(std::string const& key);

  /// The current lease (0 while none is granted).
  int64_t lease() const;

  /// Stops the registry (see the class description). Idempotent.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace etcd

#endif
