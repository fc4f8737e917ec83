/**
 * \file etcd/SyncClient.hpp
 * \brief `etcd::SyncClient`, the blocking etcd client.
 */
#ifndef ETCD_SYNC_CLIENT_HPP
#define ETCD_SYNC_CLIENT_HPP

// Some of these are not needed here: etcd-cpp-apiv3's header makes them reachable, and programs
// written for it rely on that.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <ratio>
#include <string>
#include <unordered_map>
#include <vector>

#include "etcd/ClientOptions.hpp"
#include "etcd/Response.hpp"
#include "etcd/v3/Transaction.hpp"
#include "etcd/v3/action_constants.hpp"

namespace etcdv3 {
namespace detail {

/// The end of the range of all keys starting with `value`: trailing 0xff bytes are dropped and the
/// last byte is incremented; an empty or all-0xff prefix gives "\0" (every key).
std::string string_plus_one(std::string const& value);

/// The value of the environment variable `ETCD_ENDPOINTS` if it is set, else `default_endpoints`.
std::string resolve_etcd_endpoints(std::string const& default_endpoints);

}  // namespace detail
}  // namespace etcdv3

namespace etcd {

class KeepAlive;
class Watcher;
class Client;

namespace detail {
struct ClientHandle;
struct HandleAccess;
}  // namespace detail

/**
 * A blocking etcd client: every operation waits for its result. Operations never throw; failures
 * are reported in the returned `Response`. A `SyncClient` may be used from several threads at once.
 *
 * @code
 * etcd::SyncClient etcd("http://127.0.0.1:2379");
 * etcd.put("/foo", "bar");
 * std::cout << etcd.get("/foo").value().as_string() << std::endl;
 * @endcode
 *
 * Connections are plain, log in with a user name and password, use TLS, or combine these and
 * further settings through `ClientOptions` (the constructors and the `WithUrl`, `WithUser` and
 * `WithSSL` factories). This library has no gRPC dependency: etcd-cpp-apiv3's overloads taking
 * `grpc::ChannelArguments` and `grpc_channel()` do not exist; `ClientOptions` carries the
 * settings instead.
 */
class SyncClient {
 public:
  /**
   * Creates a client. Never throws: when no endpoint can be used, every operation fails with
   * code 13 ("the target uri is not valid").
   *
   * @param etcd_url one or more endpoints separated by ',' or ';', like
   *                 "http://127.0.0.1:2379,127.0.0.1:2380" (the scheme is ignored).
   * @param load_balancer the load balancing policy name ("round_robin" or "pick_first").
   */
  SyncClient(std::string const& etcd_url, std::string const& load_balancer = "round_robin");

  /**
   * Creates a client with the given connection settings (TLS, credentials, timeouts, keep-alive,
   * message sizes, load balancing; see `ClientOptions`). This takes the place of
   * etcd-cpp-apiv3's `grpc::ChannelArguments` constructor.
   */
  SyncClient(std::string const& etcd_url, ClientOptions const& options);

  /**
   * Creates a client that logs in with a user name and password (both non-empty; otherwise no
   * authentication is used). Never throws: a failed login is reported by every operation
   * (code 3, "etcdserver: authentication failed, invalid user ID or password").
   *
   * @param auth_token_ttl etcd's `--auth-token-ttl` in seconds; the token is renewed before
   *                       it runs out (and whenever etcd refuses it).
   */
  SyncClient(std::string const& etcd_url, std::string const& username, std::string const& password,
             int const auth_token_ttl = 300, std::string const& load_balancer = "round_robin");

  /// Like the user/password constructor, with further settings from `options` (its user,
  /// password and auth_token_ttl are replaced by the arguments).
  SyncClient(std::string const& etcd_url, std::string const& username, std::string const& password,
             int const auth_token_ttl, ClientOptions const& options);

  /**
   * Creates a client that connects with TLS. The files are read when the client is created; a
   * file that cannot be read makes every operation fail with code 3 and a message naming it.
   *
   * @param ca PEM file of the CA certificate(s) ("": the system's roots).
   * @param cert PEM file of the client certificate ("" for none).
   * @param privkey PEM file of the client certificate's private key ("" for none).
   * @param target_name_override the name the server certificate must carry when it is not the
   *                             endpoint's host (e.g. the endpoints are IP addresses); "" for none.
   */
  SyncClient(std::string const& etcd_url, std::string const& ca, std::string const& cert,
             std::string const& privkey, std::string const& target_name_override,
             std::string const& load_balancer = "round_robin");

  /// Like the TLS constructor, with further settings from `options` (its TLS fields are replaced
  /// by the arguments; its user and password, if set, are used as well).
  SyncClient(std::string const& etcd_url, std::string const& ca, std::string const& cert,
             std::string const& privkey, std::string const& target_name_override,
             ClientOptions const& options);

  /// Same as the constructor; the caller owns the returned object.
  static SyncClient* WithUrl(std::string const& etcd_url,
                             std::string const& load_balancer = "round_robin");

  /// Same as the constructor; the caller owns the returned object.
  static SyncClient* WithUrl(std::string const& etcd_url, ClientOptions const& options);

  /// Same as the user/password constructor; the caller owns the returned object.
  static SyncClient* WithUser(std::string const& etcd_url, std::string const& username,
                              std::string const& password, int const auth_token_ttl = 300,
                              std::string const& load_balancer = "round_robin");

  /// Same as the user/password constructor with options; the caller owns the returned object.
  static SyncClient* WithUser(std::string const& etcd_url, std::string const& username,
                              std::string const& password, int const auth_token_ttl,
                              ClientOptions const& options);

  /// Same as the TLS constructor; the caller owns the returned object.
  static SyncClient* WithSSL(std::string const& etcd_url, std::string const& ca,
                             std::string const& cert = "", std::string const& privkey = "",
                             std::string const& target_name_override = "",
                             std::string const& load_balancer = "round_robin");

  /// Same as the TLS constructor with options (which come second, as in etcd-cpp-apiv3's
  /// `grpc::ChannelArguments` variant); the caller owns the returned object.
  static SyncClient* WithSSL(std::string const& etcd_url, ClientOptions const& options,
                             std::string const& ca, std::string const& cert = "",
                             std::string const& privkey = "",
                             std::string const& target_name_override = "");

  /**
   * A client whose keys live under `prefix` (an extension, as Go's `clientv3/namespace`), sharing
   * the connection and settings of `client`: every key and range it is given gets the prefix
   * (those of transactions, lock and election names too), and every key in its responses, watch
   * events and leader announcements comes back without it. Watchers, `ServiceRegistry` and
   * `ServiceDiscovery` made from it work inside the namespace. Leases, cluster membership and
   * maintenance are the connection's and unchanged; an empty key is refused with code 3
   * (`INVALID_ARGUMENT`). Made from a client already inside a namespace, `prefix` is added to
   * that client's. `client` may be destroyed first; locks taken through the new client end with
   * it.
   *
   * @code
   * etcd::SyncClient etcd("http://127.0.0.1:2379");
   * std::unique_ptr<etcd::SyncClient> tenant = etcd::SyncClient::WithNamespace(etcd, "/tenant-a");
   * tenant->put("/config", "x");  // stored as "/tenant-a/config"
   * @endcode
   */
  static std::unique_ptr<SyncClient> WithNamespace(SyncClient const& client,
                                                   std::string const& prefix);

  /// The prefix of this client's keys ("" outside a namespace), see `WithNamespace`.
  std::string namespace_prefix() const;

  SyncClient(SyncClient const&) = delete;
  SyncClient& operator=(SyncClient const&) = delete;

  /// Closes this handle on the connection. Watchers and keep-alives made from it keep working;
  /// locks taken with `lock()` and not unlocked stop being kept alive (their leases expire).
  ~SyncClient();

  /// The current revision and cluster identity (`index()`, `cluster_id()`, `member_id()`,
  /// `raft_term()`).
  Response head();

  /// Reads one key; code 100 if it does not exist.
  Response get(std::string const& key);

  /// Reads one key at the given revision (0 or less: the latest).
  Response get(std::string const& key, int64_t revision);

  /// Creates or replaces a key (same as `put`); `prev_value()` is the previous pair.
  Response set(std::string const& key, std::string const& value, const int64_t leaseId = 0);

  /// Creates a key; code 105 with `value()` the existing pair if it already exists.
  Response add(std::string const& key, std::string const& value, const int64_t leaseId = 0);

  /// Creates or replaces a key.
  Response put(std::string const& key, std::string const& value);

  /// Creates or replaces a key attached to a lease.
  Response put(std::string const& key, std::string const& value, const int64_t leaseId);

  /// Replaces an existing key; code 100 if it does not exist.
  Response modify(std::string const& key, std::string const& value, const int64_t leaseId = 0);

  /// Replaces a key if its current value is `old_value`; code 101 otherwise.
  Response modify_if(std::string const& key, std::string const& value, std::string const& old_value,
                     const int64_t leaseId = 0);

  /// Replaces a key if its modification revision is `old_index`; code 101 otherwise.
  Response modify_if(std::string const& key, std::string const& value, int64_t old_index,
                     const int64_t leaseId = 0);

  /// Deletes one key; code 100 if it does not exist.
  Response rm(std::string const& key);

  /// Deletes a key if its current value is `old_value`; code 101 otherwise.
  Response rm_if(std::string const& key, std::string const& old_value);

  /// Deletes a key if its modification revision is `old_index`; code 101 otherwise.
  Response rm_if(std::string const& key, int64_t old_index);

  /// Deletes `key` alone, or with `recursive` every key starting with `key` ("" = all keys);
  /// code 100 if nothing was deleted.
  Response rmdir(std::string const& key, bool recursive = false);

  /// Deletes the keys in [key, range_end); code 100 if nothing was deleted.
  Response rmdir(std::string const& key, const char* range_end);

  /// Deletes the keys in [key, range_end); code 100 if nothing was deleted.
  Response rmdir(std::string const& key, std::string const& range_end);

  /// Lists the keys starting with `key` ("" = all keys), in key order.
  Response ls(std::string const& key);

  /// Lists at most `limit` keys starting with `key` (0 = no limit).
  Response ls(std::string const& key, size_t const limit);

  /// Lists at most `limit` keys starting with `key`, at the given revision.
  Response ls(std::string const& key, size_t const limit, int64_t revision);

  /// Lists the keys in [key, range_end).
  Response ls(std::string const& key, std::string const& range_end);

  /// Lists at most `limit` keys in [key, range_end) (0 = no limit).
  Response ls(std::string const& key, std::string const& range_end, size_t const limit);

  /// Lists at most `limit` keys in [key, range_end), at the given revision.
  Response ls(std::string const& key, std::string const& range_end, size_t const limit,
              int64_t revision);

  /// Like `ls(key)`, but values are left empty.
  Response keys(std::string const& key);

  /// Like `ls(key, limit)`, but values are left empty.
  Response keys(std::string const& key, size_t const limit);

  /// Like `ls(key, limit, revision)`, but values are left empty.
  Response keys(std::string const& key, size_t const limit, int64_t revision);

  /// Like `ls(key, range_end)`, but values are left empty.
  Response keys(std::string const& key, std::string const& range_end);

  /// Like `ls(key, range_end, limit)`, but values are left empty.
  Response keys(std::string const& key, std::string const& range_end, size_t const limit);

  /// Like `ls(key, range_end, limit, revision)`, but values are left empty.
  Response keys(std::string const& key, std::string const& range_end, size_t const limit,
                int64_t revision);

  /// Waits for the next change of `key` (with `recursive`, of any key starting with `key`).
  Response watch(std::string const& key, bool recursive = false);

  /// Waits for the first change of `key` at or after revision `fromIndex` (may be in the past).
  Response watch(std::string const& key, int64_t fromIndex, bool recursive = false);

  /// Waits for the next change of a key in [key, range_end).
  Response watch(std::string const& key, const char* range_end);

  /// Waits for the next change of a key in [key, range_end).
  Response watch(std::string const& key, std::string const& range_end);

  /// Waits for the first change of a key in [key, range_end) at or after revision `fromIndex`.
  Response watch(std::string const& key, std::string const& range_end, int64_t fromIndex);

  /// Grants a lease of `ttl` seconds; `value().lease()` is its id, `value().ttl()` its TTL.
  Response leasegrant(int ttl);

  /// Grants a lease of `ttl` seconds and keeps it alive until the returned object is destroyed.
  std::shared_ptr<KeepAlive> leasekeepalive(int ttl);

  /// Revokes a lease (and deletes the keys attached to it).
  Response leaserevoke(int64_t lease_id);

  /// The remaining TTL of a lease in `value().ttl()` (-1 if it has expired or does not exist).
  Response leasetimetolive(int64_t lease_id);

  /// Lists the ids of all leases in `leases()`.
  Response leases();

  /**
   * Takes the lock `key`, waiting as long as another holder has it, with a new lease of 10
   * seconds kept alive by the library until `unlock()` (or until this client is destroyed).
   * `lock_key()` of the response is the key to pass to `unlock()`; `value().lease()` the lease.
   * With `set_grpc_timeout`, waiting longer gives code 4 ("gRPC timeout").
   */
  Response lock(std::string const& key);

  /// Like `lock(key)`, with a lease of `lease_ttl` seconds.
  Response lock(std::string const& key, int lease_ttl);

  /// Takes the lock `key` with the caller's lease, which the caller keeps alive.
  Response lock_with_lease(std::string const& key, int64_t lease_id);

  /// Releases a lock; `lock_key` is `lock_key()` of the lock response (not the lock's name). For
  /// a lock taken with `lock()`, its lease is revoked.
  Response unlock(std::string const& lock_key);

  /// Runs a transaction atomically (see `etcdv3::Transaction`); code 101 when its comparisons
  /// fail, with the failure branch's results.
  Response txn(etcdv3::Transaction const& txn);

  /**
   * Campaigns in election `name` with a lease kept alive by the caller, waiting until elected.
   * On success `name()` is the election, `value().key()` the leader key, `value().created_index()`
   * its revision and `value().lease()` the lease: pass them to `proclaim` and `resign`. With
   * `set_grpc_timeout`, waiting longer gives code 4.
   */
  Response campaign(std::string const& name, int64_t lease_id, std::string const& value);

  /// As leader (`key` and `revision` from `campaign`), announces a new value (action "preclaim").
  Response proclaim(std::string const& name, int64_t lease_id, std::string const& key,
                    int64_t revision, std::string const& value);

  /// The current leader's announcement in `value()` (an error when there is no leader).
  Response leader(std::string const& name);

  /**
   * Reports the leader announcements of an election, one per `WaitOnce()`. Stops observing when
   * destroyed. It keeps its connection alive by itself, so it may outlive the client; one thread
   * at a time may call `WaitOnce()`.
   */
  class Observer {
   public:
    ~Observer();

    Observer(Observer const&) = delete;
    Observer& operator=(Observer const&) = delete;

    /**
     * Blocks until the next announcement (the first one is the current leader's, if there is
     * one): action "obverse", `value()` the leader's key-value pair. When observing fails or
     * ends, returns the error; every later call returns an error at once.
     */
    Response WaitOnce();

   private:
    struct Impl;
    explicit Observer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;

    friend class SyncClient;
  };

  /// Starts observing the leaders of election `name`.
  std::unique_ptr<Observer> observe(std::string const& name);

  /// Gives up leadership (`key` and `revision` from `campaign`).
  Response resign(std::string const& name, int64_t lease_id, std::string const& key,
                  int64_t revision);

  /// Adds a cluster member listening for peers on `peer_urls` (several separated by ','),
  /// as a non-voting learner if `is_learner`. `members()` holds the new member (etcd-cpp-apiv3
  /// reported nothing and printed a line to standard output instead).
  Response add_member(std::string const& peer_urls, bool is_learner = false);

  /// Lists the cluster members in `members()`.
  Response list_member();

  /// Removes a cluster member (`etcdv3::Member::get_id()`).
  Response remove_member(const uint64_t member_id);

  /// Extension: makes the client URLs of the cluster's started voting members the client's
  /// endpoint list now (what `ClientOptions::auto_sync_interval` does periodically); the
  /// response lists the members in `members()`. On an error the list stays as it was; a member
  /// list without client URLs leaves it too, so it is never empty.
  Response sync_endpoints();

  /// Extension: the client's endpoints (`host:port`), as given or as the last endpoint sync
  /// learned them.
  std::vector<std::string> endpoints() const;

  /// The authentication token ("" without authentication, or while logging in fails). The
  /// reference stays valid at least until the token has been renewed a few times.
  const std::string& current_auth_token() const;

  /**
   * Sets the time limit of each operation (0, the default, means none). The limit is kept in
   * whole milliseconds: anything below 1 ms disables it. Watches, observers and `leaserevoke`
   * have no limit. A timed-out operation returns code 4 ("gRPC timeout",
   * `Response::is_grpc_timeout()`).
   */
  template <typename Period = std::micro>
  void set_grpc_timeout(
      std::chrono::duration<std::chrono::microseconds::rep, Period> const& timeout) {
    set_grpc_timeout_ms(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count());
  }

  /// The time limit of each operation (0 = none).
  std::chrono::microseconds get_grpc_timeout() const;

 private:
  explicit SyncClient(std::shared_ptr<detail::ClientHandle> handle);

  void set_grpc_timeout_ms(int64_t ms);

  std::shared_ptr<detail::ClientHandle> handle_;

  friend class Client;
  friend struct detail::HandleAccess;
};

}  // namespace etcd

#endif  // ETCD_SYNC_CLIENT_HPP
