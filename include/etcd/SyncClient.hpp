/**
 * \file etcd/SyncClient.hpp
 * \brief `etcd::SyncClient`, the blocking etcd client.
 */
#ifndef ETCD_SYNC_CLIENT_HPP
#define ETCD_SYNC_CLIENT_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <ratio>
#include <string>

#include "etcd/Response.hpp"
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

  /// Same as the constructor; the caller owns the returned object.
  static SyncClient* WithUrl(std::string const& etcd_url,
                             std::string const& load_balancer = "round_robin");

  SyncClient(SyncClient const&) = delete;
  SyncClient& operator=(SyncClient const&) = delete;

  /// Closes this handle on the connection (watchers and keep-alives made from it keep working).
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
  Response modify_if(std::string const& key, std::string const& value,
                     std::string const& old_value, const int64_t leaseId = 0);

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

  /// The authentication token ("" without authentication).
  const std::string& current_auth_token() const;

  /**
   * Sets the time limit of each operation (0, the default, means none). The limit is kept in
   * whole milliseconds: anything below 1 ms disables it. Watches and `leaserevoke` have no limit.
   */
  template <typename Period = std::micro>
  void set_grpc_timeout(
      std::chrono::duration<std::chrono::microseconds::rep, Period> const& timeout) {
    set_grpc_timeout_ms(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count());
  }

  /// The time limit of each operation (0 = none).
  std::chrono::microseconds get_grpc_timeout() const;

 private:
  void set_grpc_timeout_ms(int64_t ms);

  std::shared_ptr<detail::ClientHandle> handle_;

  friend class KeepAlive;
  friend class Watcher;
  friend class Client;
};

}  // namespace etcd

#endif  // ETCD_SYNC_CLIENT_HPP
