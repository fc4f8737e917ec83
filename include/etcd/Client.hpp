/**
 * \file etcd/Client.hpp
 * \brief `etcd::Client`, the asynchronous etcd client returning `pplx::task`s.
 */
#ifndef ETCD_CLIENT_HPP
#define ETCD_CLIENT_HPP

// Some of these are not needed here: etcd-cpp-apiv3's header makes them reachable, and programs
// written for it rely on that.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <ratio>
#include <string>

#include "etcd/ClientOptions.hpp"
#include "etcd/Response.hpp"
#include "etcd/SyncClient.hpp"
#include "etcd/v3/Transaction.hpp"
#include "etcd/v3/action_constants.hpp"
#include "pplx/pplxtasks.h"

namespace etcd {

class KeepAlive;
class Watcher;

/**
 * An asynchronous etcd client: every operation is sent at once and returns a `pplx::task` that
 * completes when etcd answers, without occupying a thread while it waits. Failures are reported in
 * the `Response`, not as exceptions. Continuations (`then`) run on library callback threads.
 *
 * Copies share the same connection. A `Client` may be used from several threads at once.
 *
 * @code
 * etcd::Client etcd("http://127.0.0.1:2379");
 * etcd.put("/foo", "bar").then([](etcd::Response r) { std::cout << r.index() << std::endl; });
 * etcd::Response r = etcd.get("/foo").get();
 * @endcode
 */
class Client {
 public:
  /**
   * Creates a client with its own connection. Never throws: when no endpoint can be used, every
   * operation fails with code 13 ("the target uri is not valid").
   *
   * @param etcd_url one or more endpoints separated by ',' or ';', like
   *                 "http://127.0.0.1:2379,127.0.0.1:2380" (the scheme is ignored).
   * @param load_balancer the load balancing policy name ("round_robin" or "pick_first").
   */
  Client(std::string const& etcd_url, std::string const& load_balancer = "round_robin");

  /// Creates a client with the given connection settings, see `SyncClient(url, options)`.
  Client(std::string const& etcd_url, ClientOptions const& options);

  /// Creates a client that logs in with a user name and password, see `SyncClient`.
  Client(std::string const& etcd_url, std::string const& username, std::string const& password,
         int const auth_token_ttl = 300, std::string const& load_balancer = "round_robin");

  /// Creates a client that logs in with a user name and password, with further settings.
  Client(std::string const& etcd_url, std::string const& username, std::string const& password,
         int const auth_token_ttl, ClientOptions const& options);

  /// Creates a client that connects with TLS (PEM file paths), see `SyncClient`.
  Client(std::string const& etcd_url, std::string const& ca, std::string const& cert,
         std::string const& privkey, std::string const& target_name_override,
         std::string const& load_balancer = "round_robin");

  /// Creates a client that connects with TLS, with further settings.
  Client(std::string const& etcd_url, std::string const& ca, std::string const& cert,
         std::string const& privkey, std::string const& target_name_override,
         ClientOptions const& options);

  /// Wraps an existing `SyncClient`, which must outlive this client and is not deleted by it.
  Client(SyncClient* client);

  /// Same as the constructor; the caller owns the returned object.
  static Client* WithUrl(std::string const& etcd_url,
                         std::string const& load_balancer = "round_robin");

  /// Same as the constructor; the caller owns the returned object.
  static Client* WithUrl(std::string const& etcd_url, ClientOptions const& options);

  /// Same as the user/password constructor; the caller owns the returned object.
  static Client* WithUser(std::string const& etcd_url, std::string const& username,
                          std::string const& password, int const auth_token_ttl = 300,
                          std::string const& load_balancer = "round_robin");

  /// Same as the user/password constructor with options; the caller owns the returned object.
  static Client* WithUser(std::string const& etcd_url, std::string const& username,
                          std::string const& password, int const auth_token_ttl,
                          ClientOptions const& options);

  /// Same as the TLS constructor; the caller owns the returned object.
  static Client* WithSSL(std::string const& etcd_url, std::string const& ca,
                         std::string const& cert = "", std::string const& privkey = "",
                         std::string const& target_name_override = "",
                         std::string const& load_balancer = "round_robin");

  /// Same as the TLS constructor with options; the caller owns the returned object.
  static Client* WithSSL(std::string const& etcd_url, ClientOptions const& options,
                         std::string const& ca, std::string const& cert = "",
                         std::string const& privkey = "",
                         std::string const& target_name_override = "");

  /// Same as `Client(SyncClient*)`; the caller owns the returned object (not `client`).
  static Client* WithClient(SyncClient* client);

  /**
   * A client whose keys live under `prefix`, sharing the connection and settings of `client` (an
   * extension, as Go's `clientv3/namespace`); see `SyncClient::WithNamespace`. Watchers,
   * `ServiceRegistry` and `ServiceDiscovery` made from it work inside the namespace.
   *
   * @code
   * etcd::Client etcd("http://127.0.0.1:2379");
   * std::unique_ptr<etcd::Client> tenant = etcd::Client::WithNamespace(etcd, "/tenant-a");
   * tenant->put("/config", "x").get();  // stored as "/tenant-a/config"
   * @endcode
   */
  static std::unique_ptr<Client> WithNamespace(Client const& client, std::string const& prefix);

  /// The prefix of this client's keys ("" outside a namespace), see `WithNamespace`.
  std::string namespace_prefix() const;

  /// Head revision and cluster identity, see `SyncClient::head`.
  pplx::task<Response> head();

  /// Reads one key, see `SyncClient::get`.
  pplx::task<Response> get(std::string const& key);

  /// Reads one key at a revision, see `SyncClient::get`.
  pplx::task<Response> get(std::string const& key, int64_t revision);

  /// Creates or replaces a key, see `SyncClient::set`.
  pplx::task<Response> set(std::string const& key, std::string const& value,
                           const int64_t leaseId = 0);

  /// Creates a key, see `SyncClient::add`.
  pplx::task<Response> add(std::string const& key, std::string const& value,
                           const int64_t leaseId = 0);

  /// Creates or replaces a key, see `SyncClient::put`.
  pplx::task<Response> put(std::string const& key, std::string const& value);

  /// Creates or replaces a key attached to a lease, see `SyncClient::put`.
  pplx::task<Response> put(std::string const& key, std::string const& value, const int64_t leaseId);

  /// Replaces an existing key, see `SyncClient::modify`.
  pplx::task<Response> modify(std::string const& key, std::string const& value,
                              const int64_t leaseId = 0);

  /// Replaces a key holding `old_value`, see `SyncClient::modify_if`.
  pplx::task<Response> modify_if(std::string const& key, std::string const& value,
                                 std::string const& old_value, const int64_t leaseId = 0);

  /// Replaces a key last modified at `old_index`, see `SyncClient::modify_if`.
  pplx::task<Response> modify_if(std::string const& key, std::string const& value,
                                 int64_t old_index, const int64_t leaseId = 0);

  /// Deletes one key, see `SyncClient::rm`.
  pplx::task<Response> rm(std::string const& key);

  /// Deletes a key holding `old_value`, see `SyncClient::rm_if`.
  pplx::task<Response> rm_if(std::string const& key, std::string const& old_value);

  /// Deletes a key last modified at `old_index`, see `SyncClient::rm_if`.
  pplx::task<Response> rm_if(std::string const& key, int64_t old_index);

  /// Deletes a key or a prefix, see `SyncClient::rmdir`.
  pplx::task<Response> rmdir(std::string const& key, bool recursive = false);

  /// Deletes the keys in [key, range_end), see `SyncClient::rmdir`.
  pplx::task<Response> rmdir(std::string const& key, const char* range_end);

  /// Deletes the keys in [key, range_end), see `SyncClient::rmdir`.
  pplx::task<Response> rmdir(std::string const& key, std::string const& range_end);

  /// Lists the keys starting with `key`, see `SyncClient::ls`.
  pplx::task<Response> ls(std::string const& key);

  /// Lists at most `limit` keys starting with `key`, see `SyncClient::ls`.
  pplx::task<Response> ls(std::string const& key, size_t const limit);

  /// Lists at most `limit` keys starting with `key` at a revision, see `SyncClient::ls`.
  pplx::task<Response> ls(std::string const& key, size_t const limit, int64_t revision);

  /// Lists the keys in [key, range_end), see `SyncClient::ls`.
  pplx::task<Response> ls(std::string const& key, std::string const& range_end);

  /// Lists at most `limit` keys in [key, range_end), see `SyncClient::ls`.
  pplx::task<Response> ls(std::string const& key, std::string const& range_end, size_t const limit);

  /// Lists at most `limit` keys in [key, range_end) at a revision, see `SyncClient::ls`.
  pplx::task<Response> ls(std::string const& key, std::string const& range_end, size_t const limit,
                          int64_t revision);

  /// Like `ls(key)`, but values are left empty.
  pplx::task<Response> keys(std::string const& key);

  /// Like `ls(key, limit)`, but values are left empty.
  pplx::task<Response> keys(std::string const& key, size_t const limit);

  /// Like `ls(key, limit, revision)`, but values are left empty.
  pplx::task<Response> keys(std::string const& key, size_t const limit, int64_t revision);

  /// Like `ls(key, range_end)`, but values are left empty.
  pplx::task<Response> keys(std::string const& key, std::string const& range_end);

  /// Like `ls(key, range_end, limit)`, but values are left empty.
  pplx::task<Response> keys(std::string const& key, std::string const& range_end,
                            size_t const limit);

  /// Like `ls(key, range_end, limit, revision)`, but values are left empty.
  pplx::task<Response> keys(std::string const& key, std::string const& range_end,
                            size_t const limit, int64_t revision);

  /// Completes with the next change of `key` (or of its prefix), see `SyncClient::watch`.
  pplx::task<Response> watch(std::string const& key, bool recursive = false);

  /// Completes with the first change at or after `fromIndex`, see `SyncClient::watch`.
  pplx::task<Response> watch(std::string const& key, int64_t fromIndex, bool recursive = false);

  /// Completes with the next change in [key, range_end), see `SyncClient::watch`.
  pplx::task<Response> watch(std::string const& key, const char* range_end);

  /// Completes with the next change in [key, range_end), see `SyncClient::watch`.
  pplx::task<Response> watch(std::string const& key, std::string const& range_end);

  /// Completes with the first change in [key, range_end) at or after `fromIndex`.
  pplx::task<Response> watch(std::string const& key, std::string const& range_end,
                             int64_t fromIndex);

  /// Grants a lease, see `SyncClient::leasegrant`.
  pplx::task<Response> leasegrant(int ttl);

  /// Grants a lease of `ttl` seconds and completes with a `KeepAlive` refreshing it (include
  /// "etcd/KeepAlive.hpp" to use it).
  pplx::task<std::shared_ptr<KeepAlive>> leasekeepalive(int ttl);

  /// Revokes a lease, see `SyncClient::leaserevoke`.
  pplx::task<Response> leaserevoke(int64_t lease_id);

  /// The remaining TTL of a lease, see `SyncClient::leasetimetolive`.
  pplx::task<Response> leasetimetolive(int64_t lease_id);

  /// Lists the ids of all leases, see `SyncClient::leases`.
  pplx::task<Response> leases();

  /// Takes a lock with a 10-second lease kept alive by the library, see `SyncClient::lock`.
  pplx::task<Response> lock(std::string const& key);

  /**
   * Takes a lock with a 10-second lease. With `sync`, waits for the lock on the calling thread
   * and returns a completed task (etcd-cpp-apiv3 offered this to spare its thread pool; here no
   * thread waits in either case).
   */
  pplx::task<Response> lock(std::string const& key, const bool sync);

  /// Takes a lock with a lease of `lease_ttl` seconds, see `SyncClient::lock`.
  pplx::task<Response> lock(std::string const& key, int lease_ttl);

  /// Takes a lock with a lease of `lease_ttl` seconds; with `sync`, on the calling thread.
  pplx::task<Response> lock(std::string const& key, int lease_ttl, const bool sync);

  /// Takes a lock with the caller's lease, see `SyncClient::lock_with_lease`.
  pplx::task<Response> lock_with_lease(std::string const& key, int64_t lease_id);

  /// Takes a lock with the caller's lease; with `sync`, on the calling thread.
  pplx::task<Response> lock_with_lease(std::string const& key, int64_t lease_id, const bool sync);

  /// Releases a lock (`lock_key()` of the lock response), see `SyncClient::unlock`.
  pplx::task<Response> unlock(std::string const& lock_key);

  /// Runs a transaction, see `SyncClient::txn`. The transaction is copied when this is called.
  pplx::task<Response> txn(etcdv3::Transaction const& txn);

  /// Campaigns in an election, completing when elected, see `SyncClient::campaign`.
  pplx::task<Response> campaign(std::string const& name, int64_t lease_id,
                                std::string const& value);

  /// Announces a new value as leader, see `SyncClient::proclaim`.
  pplx::task<Response> proclaim(std::string const& name, int64_t lease_id, std::string const& key,
                                int64_t revision, std::string const& value);

  /// The current leader's announcement, see `SyncClient::leader`.
  pplx::task<Response> leader(std::string const& name);

  /// Reports the leader announcements of an election, see `SyncClient::Observer`.
  using Observer = SyncClient::Observer;

  /// Starts observing the leaders of election `name` (returns at once).
  std::unique_ptr<Observer> observe(std::string const& name);

  /// Gives up leadership, see `SyncClient::resign`.
  pplx::task<Response> resign(std::string const& name, int64_t lease_id, std::string const& key,
                              int64_t revision);

  /// Adds a cluster member, see `SyncClient::add_member`.
  pplx::task<Response> add_member(std::string const& peer_urls, bool is_learner = false);

  /// Lists the cluster members, see `SyncClient::list_member`.
  pplx::task<Response> list_member();

  /// Removes a cluster member, see `SyncClient::remove_member`.
  pplx::task<Response> remove_member(const uint64_t member_id);

  /// Refreshes the endpoints from the member list now, see `SyncClient::sync_endpoints`.
  pplx::task<Response> sync_endpoints();

  /// The client's current endpoints, see `SyncClient::endpoints`.
  std::vector<std::string> endpoints() const;

  /// The authentication token ("" without authentication), see `SyncClient`.
  const std::string& current_auth_token() const;

  /// The underlying blocking client (owned by this client unless it was passed in).
  SyncClient* sync_client() const;

  /// Sets the time limit of each operation, see `SyncClient::set_grpc_timeout`.
  template <typename Period = std::micro>
  void set_grpc_timeout(
      std::chrono::duration<std::chrono::microseconds::rep, Period> const& timeout) {
    client_->set_grpc_timeout(timeout);
  }

  /// The time limit of each operation (0 = none).
  std::chrono::microseconds get_grpc_timeout() const;

 private:
  std::shared_ptr<SyncClient> client_;

  friend struct detail::HandleAccess;
};

}  // namespace etcd

#endif  // ETCD_CLIENT_HPP
