/**
 * \file etcd/KeepAlive.hpp
 * \brief `etcd::KeepAlive`, a lease refreshed in the background.
 */
#ifndef ETCD_KEEPALIVE_HPP
#define ETCD_KEEPALIVE_HPP

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <ratio>
#include <string>
#include <thread>

#include "etcd/ClientOptions.hpp"
#include "etcd/Response.hpp"
#include "etcd/SyncClient.hpp"

namespace etcd {

class Client;

/**
 * Keeps a lease alive until it is cancelled or destroyed (cancelling does not revoke the lease; it
 * expires after its TTL).
 *
 * With `lease_id` 0 and `ttl` > 0 the constructor grants a new lease of `ttl` seconds (read its id
 * with `Lease()`); otherwise it refreshes the given lease, `ttl` only setting the refresh period.
 * When the lease cannot be granted (no endpoint answers, wrong credentials or certificates), the
 * keep-alive is failed from the start: `Lease()` is 0, `Check()` throws `std::runtime_error`
 * ("Failed to grant the lease: error code: <n>, message: <why>") and the handler is called once.
 *
 * A broken connection or an unavailable cluster is retried by itself. When etcd answers that the
 * lease is gone (`std::out_of_range`) or a refresh fails in a way retrying cannot fix (credentials,
 * permissions, certificates: `std::runtime_error`), the keep-alive stops; the error is kept for
 * `Check()` and, for the constructors taking a `handler`, passed once to the handler on a library
 * thread. The handler must not destroy its own `KeepAlive`.
 *
 * The keep-alive keeps its connection alive by itself and may outlive the client it was made from.
 * The constructors taking an address open a connection of their own: plain, logging in with a
 * user name and password, with TLS (PEM file paths as for `SyncClient`), or with any
 * `ClientOptions`.
 */
class KeepAlive {
 public:
  /// Keeps a lease alive through `client`.
  KeepAlive(Client const& client, int ttl, int64_t lease_id = 0);

  /// Keeps a lease alive through `client`.
  KeepAlive(SyncClient const& client, int ttl, int64_t lease_id = 0);

  /// Keeps a lease alive over a new connection to `address`.
  KeepAlive(std::string const& address, int ttl, int64_t lease_id = 0);

  /// Keeps a lease alive over a new connection that logs in as `username`.
  KeepAlive(std::string const& address, std::string const& username, std::string const& password,
            int ttl, int64_t lease_id = 0, int const auth_token_ttl = 300);

  /// Keeps a lease alive over a new connection with the given settings (TLS, credentials...).
  KeepAlive(std::string const& address, ClientOptions const& options, int ttl,
            int64_t lease_id = 0);

  /// Keeps a lease alive through `client`; refresh failures are passed to `handler`.
  KeepAlive(Client const& client, std::function<void(std::exception_ptr)> const& handler, int ttl,
            int64_t lease_id = 0);

  /// Keeps a lease alive through `client`; refresh failures are passed to `handler`.
  KeepAlive(SyncClient const& client, std::function<void(std::exception_ptr)> const& handler,
            int ttl, int64_t lease_id = 0);

  /// Keeps a lease alive over a new connection; refresh failures are passed to `handler`.
  KeepAlive(std::string const& address, std::function<void(std::exception_ptr)> const& handler,
            int ttl, int64_t lease_id = 0);

  /// Keeps a lease alive over a new connection that logs in as `username`; refresh failures
  /// are passed to `handler`.
  KeepAlive(std::string const& address, std::string const& username, std::string const& password,
            std::function<void(std::exception_ptr)> const& handler, int ttl, int64_t lease_id = 0,
            int const auth_token_ttl = 300);

  /// Keeps a lease alive over a new TLS connection (PEM file paths, see `SyncClient`'s TLS
  /// constructor); refresh failures are passed to `handler`.
  KeepAlive(std::string const& address, std::string const& ca, std::string const& cert,
            std::string const& privkey, std::function<void(std::exception_ptr)> const& handler,
            int ttl, int64_t lease_id = 0, std::string const& target_name_override = "");

  /// Keeps a lease alive over a new connection with the given settings; refresh failures are
  /// passed to `handler`.
  KeepAlive(std::string const& address, ClientOptions const& options,
            std::function<void(std::exception_ptr)> const& handler, int ttl, int64_t lease_id = 0);

  KeepAlive(KeepAlive const&) = delete;
  KeepAlive(KeepAlive&&) = delete;

  /// The id of the lease kept alive.
  int64_t Lease() const { return lease_id; }

  /// Stops refreshing the lease (it is not revoked). Idempotent.
  void Cancel();

  /**
   * Returns if the lease is still kept alive. Otherwise throws the stored error
   * (`std::runtime_error` or `std::out_of_range`). Without a stored error it refreshes the lease
   * once, at once; a failure there is stored, stops the keep-alive, is passed to the handler and
   * thrown. After `Cancel()` it never throws.
   */
  void Check();

  /// Sets the time limit of each refresh (kept in whole milliseconds; 0 = none).
  template <typename Rep = std::micro>
  void set_grpc_timeout(std::chrono::duration<Rep> const& timeout) {
    set_grpc_timeout_ms(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count());
  }

  /// The time limit of each refresh (0 = none); initially the client's.
  std::chrono::microseconds get_grpc_timeout() const;

  /// Stops refreshing the lease (`Cancel()`).
  ~KeepAlive();

 private:
  struct Impl;

  void set_grpc_timeout_ms(int64_t ms);

  std::unique_ptr<Impl> impl_;
  int64_t lease_id;
};

}  // namespace etcd

#endif  // ETCD_KEEPALIVE_HPP
