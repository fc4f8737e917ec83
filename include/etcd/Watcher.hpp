/**
 * \file etcd/Watcher.hpp
 * \brief `etcd::Watcher`, a long-lived watch delivering changes to a callback.
 */
#ifndef ETCD_WATCHER_HPP
#define ETCD_WATCHER_HPP

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "etcd/ClientOptions.hpp"
#include "etcd/Response.hpp"

namespace etcd {

class Client;
class SyncClient;

/**
 * Watches a key, a prefix or a range and calls `callback` once for every etcd watch response that
 * carries events, in order, on a library thread (never two calls at once). `events()` holds all
 * events of the response; `action()`, `value()` and `prev_value()` describe the first one.
 *
 * When the connection breaks, the watch is re-established by itself from the revision after the
 * last delivered event, so no event is lost or repeated. The callback receives the error that ends
 * a watch: code 11 when the revision to watch from has been compacted (`compact_revision()` tells
 * the compaction revision), 13 when no endpoint could be used, or the error sent by the server.
 *
 * The watcher keeps its connection alive by itself and may outlive the client it was made from.
 * The callback may cancel its own watcher but must not destroy it.
 *
 * @code
 * etcd::Watcher watcher(client, "/config", [](etcd::Response r) {
 *   for (auto const& ev : r.events()) std::cout << ev << std::endl;
 * }, true);
 * ...
 * watcher.Cancel();
 * @endcode
 *
 * `fromIndex` is a revision to start from (0 or less: from now); `recursive` watches every key
 * starting with `key`; `range_end` watches [key, range_end). The constructors taking a
 * `wait_callback` call it once when the watch ends, with true if it was cancelled.
 *
 * The constructors taking an address open a connection of their own: plain, logging in with a
 * user name and password, with TLS (PEM file paths as for `SyncClient`), or with any
 * `ClientOptions` (TLS and a password together, timeouts...). As in etcd-cpp-apiv3, a call with
 * user, password, key, range end and `fromIndex` but no `auth_token_ttl` is ambiguous with the
 * TLS constructor; pass `auth_token_ttl` (300 is the default) to select the former.
 */
class Watcher {
 public:
  /// Watches `key` (or its prefix) through `client`.
  Watcher(Client const& client, std::string const& key, std::function<void(Response)> callback,
          bool recursive = false);

  /// Watches `key` (or its prefix) through `client`.
  Watcher(SyncClient const& client, std::string const& key, std::function<void(Response)> callback,
          bool recursive = false);

  /// Watches [key, range_end) through `client`.
  Watcher(Client const& client, std::string const& key, std::string const& range_end,
          std::function<void(Response)> callback);

  /// Watches [key, range_end) through `client`.
  Watcher(SyncClient const& client, std::string const& key, std::string const& range_end,
          std::function<void(Response)> callback);

  /// Watches `key` (or its prefix) from revision `fromIndex` through `client`.
  Watcher(Client const& client, std::string const& key, int64_t fromIndex,
          std::function<void(Response)> callback, bool recursive = false);

  /// Watches `key` (or its prefix) from revision `fromIndex` through `client`.
  Watcher(SyncClient const& client, std::string const& key, int64_t fromIndex,
          std::function<void(Response)> callback, bool recursive = false);

  /// Watches [key, range_end) from revision `fromIndex` through `client`.
  Watcher(Client const& client, std::string const& key, std::string const& range_end,
          int64_t fromIndex, std::function<void(Response)> callback);

  /// Watches [key, range_end) from revision `fromIndex` through `client`.
  Watcher(SyncClient const& client, std::string const& key, std::string const& range_end,
          int64_t fromIndex, std::function<void(Response)> callback);

  /// Watches `key` (or its prefix) over a new connection to `address`.
  Watcher(std::string const& address, std::string const& key,
          std::function<void(Response)> callback, bool recursive = false);

  /// Watches [key, range_end) over a new connection to `address`.
  Watcher(std::string const& address, std::string const& key, std::string const& range_end,
          std::function<void(Response)> callback);

  /// Watches `key` (or its prefix) from revision `fromIndex` over a new connection to `address`.
  Watcher(std::string const& address, std::string const& key, int64_t fromIndex,
          std::function<void(Response)> callback, bool recursive = false);

  /// Watches [key, range_end) from revision `fromIndex` over a new connection to `address`.
  Watcher(std::string const& address, std::string const& key, std::string const& range_end,
          int64_t fromIndex, std::function<void(Response)> callback);

  /// Watches `key` (or its prefix) over a new connection that logs in as `username`.
  Watcher(std::string const& address, std::string const& username, std::string const& password,
          std::string const& key, std::function<void(Response)> callback, bool recursive = false,
          int const auth_token_ttl = 300);

  /// Watches [key, range_end) over a new connection that logs in as `username`.
  Watcher(std::string const& address, std::string const& username, std::string const& password,
          std::string const& key, std::string const& range_end,
          std::function<void(Response)> callback, int const auth_token_ttl = 300);

  /// Watches `key` (or its prefix) from `fromIndex` over a new connection that logs in.
  Watcher(std::string const& address, std::string const& username, std::string const& password,
          std::string const& key, int64_t fromIndex, std::function<void(Response)> callback,
          bool recursive = false, int const auth_token_ttl = 300);

  /// Watches [key, range_end) from `fromIndex` over a new connection that logs in.
  Watcher(std::string const& address, std::string const& username, std::string const& password,
          std::string const& key, std::string const& range_end, int64_t fromIndex,
          std::function<void(Response)> callback, int const auth_token_ttl = 300);

  /// Watches `key` (or its prefix) from `fromIndex` over a new TLS connection (PEM file paths,
  /// see `SyncClient`'s TLS constructor).
  Watcher(std::string const& address, std::string const& ca, std::string const& cert,
          std::string const& privkey, std::string const& key, int64_t fromIndex,
          std::function<void(Response)> callback, bool recursive = false,
          std::string const& target_name_override = "");

  /// Watches [key, range_end) from `fromIndex` over a new TLS connection.
  Watcher(std::string const& address, std::string const& ca, std::string const& cert,
          std::string const& privkey, std::string const& key, std::string const& range_end,
          int64_t fromIndex, std::function<void(Response)> callback,
          std::string const& target_name_override = "");

  /// Watches `key` (or its prefix) through `client`; `wait_callback` runs when the watch ends.
  Watcher(Client const& client, std::string const& key, std::function<void(Response)> callback,
          std::function<void(bool)> wait_callback, bool recursive = false);

  /// Watches `key` (or its prefix) through `client`; `wait_callback` runs when the watch ends.
  Watcher(SyncClient const& client, std::string const& key, std::function<void(Response)> callback,
          std::function<void(bool)> wait_callback, bool recursive = false);

  /// Watches [key, range_end) through `client`; `wait_callback` runs when the watch ends.
  Watcher(Client const& client, std::string const& key, std::string const& range_end,
          std::function<void(Response)> callback, std::function<void(bool)> wait_callback);

  /// Watches [key, range_end) through `client`; `wait_callback` runs when the watch ends.
  Watcher(SyncClient const& client, std::string const& key, std::string const& range_end,
          std::function<void(Response)> callback, std::function<void(bool)> wait_callback);

  /// Watches `key` (or its prefix) from `fromIndex` through `client`; see `wait_callback` above.
  Watcher(Client const& client, std::string const& key, int64_t fromIndex,
          std::function<void(Response)> callback, std::function<void(bool)> wait_callback,
          bool recursive = false);

  /// Watches `key` (or its prefix) from `fromIndex` through `client`; see `wait_callback` above.
  Watcher(SyncClient const& client, std::string const& key, int64_t fromIndex,
          std::function<void(Response)> callback, std::function<void(bool)> wait_callback,
          bool recursive = false);

  /// Watches [key, range_end) from `fromIndex` through `client`; see `wait_callback` above.
  Watcher(Client const& client, std::string const& key, std::string const& range_end,
          int64_t fromIndex, std::function<void(Response)> callback,
          std::function<void(bool)> wait_callback);

  /// Watches [key, range_end) from `fromIndex` through `client`; see `wait_callback` above.
  Watcher(SyncClient const& client, std::string const& key, std::string const& range_end,
          int64_t fromIndex, std::function<void(Response)> callback,
          std::function<void(bool)> wait_callback);

  /// Watches `key` (or its prefix) over a new connection; see `wait_callback` above.
  Watcher(std::string const& address, std::string const& key,
          std::function<void(Response)> callback, std::function<void(bool)> wait_callback,
          bool recursive = false);

  /// Watches [key, range_end) over a new connection; see `wait_callback` above.
  Watcher(std::string const& address, std::string const& key, std::string const& range_end,
          std::function<void(Response)> callback, std::function<void(bool)> wait_callback);

  /// Watches `key` (or its prefix) from `fromIndex` over a new connection; see above.
  Watcher(std::string const& address, std::string const& key, int64_t fromIndex,
          std::function<void(Response)> callback, std::function<void(bool)> wait_callback,
          bool recursive = false);

  /// Watches [key, range_end) from `fromIndex` over a new connection; see above.
  Watcher(std::string const& address, std::string const& key, std::string const& range_end,
          int64_t fromIndex, std::function<void(Response)> callback,
          std::function<void(bool)> wait_callback);

  /// Like the user/password constructor above; `wait_callback` runs when the watch ends.
  Watcher(std::string const& address, std::string const& username, std::string const& password,
          std::string const& key, std::function<void(Response)> callback,
          std::function<void(bool)> wait_callback, bool recursive = false,
          int const auth_token_ttl = 300);

  /// Like the user/password constructor above; `wait_callback` runs when the watch ends.
  Watcher(std::string const& address, std::string const& username, std::string const& password,
          std::string const& key, std::string const& range_end,
          std::function<void(Response)> callback, std::function<void(bool)> wait_callback,
          int const auth_token_ttl = 300);

  /// Like the user/password constructor above; `wait_callback` runs when the watch ends.
  Watcher(std::string const& address, std::string const& username, std::string const& password,
          std::string const& key, int64_t fromIndex, std::function<void(Response)> callback,
          std::function<void(bool)> wait_callback, bool recursive = false,
          int const auth_token_ttl = 300);

  /// Like the user/password constructor above; `wait_callback` runs when the watch ends.
  Watcher(std::string const& address, std::string const& username, std::string const& password,
          std::string const& key, std::string const& range_end, int64_t fromIndex,
          std::function<void(Response)> callback, std::function<void(bool)> wait_callback,
          int const auth_token_ttl = 300);

  /// Like the TLS constructor above; `wait_callback` runs when the watch ends.
  Watcher(std::string const& address, std::string const& ca, std::string const& cert,
          std::string const& privkey, std::string const& key, int64_t fromIndex,
          std::function<void(Response)> callback, std::function<void(bool)> wait_callback,
          bool recursive = false, std::string const& target_name_override = "");

  /// Like the TLS constructor above; `wait_callback` runs when the watch ends.
  Watcher(std::string const& address, std::string const& ca, std::string const& cert,
          std::string const& privkey, std::string const& key, std::string const& range_end,
          int64_t fromIndex, std::function<void(Response)> callback,
          std::function<void(bool)> wait_callback, std::string const& target_name_override = "");

  /// Watches `key` (or its prefix) from `fromIndex` (0: from now) over a new connection with
  /// the given settings (TLS and a user/password may be combined). A `SyncClient` made with
  /// the same options serves as well, through the constructors taking a client.
  Watcher(std::string const& address, ClientOptions const& options, std::string const& key,
          int64_t fromIndex, std::function<void(Response)> callback,
          std::function<void(bool)> wait_callback = nullptr, bool recursive = false);

  /// Watches [key, range_end) from `fromIndex` (0: from now) over a new connection with the
  /// given settings.
  Watcher(std::string const& address, ClientOptions const& options, std::string const& key,
          std::string const& range_end, int64_t fromIndex, std::function<void(Response)> callback,
          std::function<void(bool)> wait_callback = nullptr);

  Watcher(Watcher const&) = delete;
  Watcher& operator=(Watcher const&) = delete;

  /// Takes over the watch of `other`, which is left empty (as if cancelled).
  Watcher(Watcher&& other) noexcept;

  /// Cancels this watch, then takes over the watch of `other`.
  Watcher& operator=(Watcher&& other) noexcept;

  /// Cancels the watch (`Cancel()`).
  ~Watcher();

  /**
   * Blocks until the watch ends (cancelled, compacted, or ended by the server). Returns true if
   * it was cancelled, false otherwise.
   */
  bool Wait();

  /**
   * Sets the callback run once, on a library thread, when the watch ends, with the same flag as
   * `Wait()`. Returns false (and keeps the old one) if a wait callback was already set.
   */
  bool Wait(std::function<void(bool)> callback);

  /// Cancels the watch without waiting for the server; no callback runs after it returns (when
  /// called from the watcher's own callback: after that callback returns). Idempotent. Returns
  /// like `Wait()`.
  bool Cancel();

  /// True once the watch was cancelled or `Wait()` was called, or if it could not be created.
  bool Cancelled() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace etcd

#endif  // ETCD_WATCHER_HPP
