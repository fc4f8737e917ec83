// etcd::Watcher: a Rust watcher whose sink converts each response and calls the user callback.
#include "etcd/Watcher.hpp"

#include <utility>

#include "etcd/Client.hpp"
#include "etcd/SyncClient.hpp"
#include "internal.hpp"

namespace etcd {

namespace {

ffi::WatchSpecData key_spec(std::string const& key, int64_t from_index, bool recursive) {
  ffi::WatchSpecData spec;
  spec.key = detail::to_bytes(key);
  spec.recursive = recursive;
  spec.from_revision = from_index;
  return spec;
}

ffi::WatchSpecData range_spec(std::string const& key, std::string const& range_end,
                              int64_t from_index) {
  ffi::WatchSpecData spec = key_spec(key, from_index, false);
  spec.range_end = detail::to_bytes(range_end);
  spec.has_range_end = true;
  return spec;
}

}  // namespace

struct Watcher::Impl {
  // Members are destroyed in reverse order: the watcher before its connection handle.
  std::shared_ptr<detail::ClientHandle> client;
  rust::Box<ffi::Watcher> watcher;

  Impl(std::shared_ptr<detail::ClientHandle> c, rust::Box<ffi::Watcher> w)
      : client(std::move(c)), watcher(std::move(w)) {}

  ~Impl() { ffi::watcher_cancel(*watcher); }

  template <class Source>
  static std::unique_ptr<Impl> start(Source const& source, ffi::WatchSpecData const& spec,
                                     std::function<void(Response)> callback,
                                     std::function<void(bool)> wait_callback) {
    std::shared_ptr<detail::ClientHandle> client = detail::HandleAccess::of(source);
    std::unique_ptr<ffi::ResponseSink> sink(new ffi::ResponseSink(
        [callback](ffi::ResponseData const& data) {
          if (callback) callback(detail::to_response(data));
        },
        "watch callback"));
    std::unique_ptr<Impl> impl(
        new Impl(client, ffi::watcher_new(*client->client, spec, std::move(sink))));
    if (wait_callback) impl->set_wait_callback(std::move(wait_callback));
    return impl;
  }

  bool set_wait_callback(std::function<void(bool)> wait_callback) {
    std::unique_ptr<ffi::BoolSink> sink(new ffi::BoolSink([wait_callback](bool cancelled) {
      if (wait_callback) wait_callback(cancelled);
    }));
    return ffi::watcher_set_wait_callback(*watcher, std::move(sink));
  }
};

// ------------------------------------------------------------------------------------------------
// Without wait callback.
// ------------------------------------------------------------------------------------------------

Watcher::Watcher(Client const& client, std::string const& key,
                 std::function<void(Response)> callback, bool recursive)
    : impl_(Impl::start(client, key_spec(key, 0, recursive), std::move(callback), nullptr)) {}

Watcher::Watcher(SyncClient const& client, std::string const& key,
                 std::function<void(Response)> callback, bool recursive)
    : impl_(Impl::start(client, key_spec(key, 0, recursive), std::move(callback), nullptr)) {}

Watcher::Watcher(Client const& client, std::string const& key, std::string const& range_end,
                 std::function<void(Response)> callback)
    : impl_(Impl::start(client, range_spec(key, range_end, 0), std::move(callback), nullptr)) {}

Watcher::Watcher(SyncClient const& client, std::string const& key, std::string const& range_end,
                 std::function<void(Response)> callback)
    : impl_(Impl::start(client, range_spec(key, range_end, 0), std::move(callback), nullptr)) {}

Watcher::Watcher(Client const& client, std::string const& key, int64_t fromIndex,
                 std::function<void(Response)> callback, bool recursive)
    : impl_(
          Impl::start(client, key_spec(key, fromIndex, recursive), std::move(callback), nullptr)) {}

Watcher::Watcher(SyncClient const& client, std::string const& key, int64_t fromIndex,
                 std::function<void(Response)> callback, bool recursive)
    : impl_(
          Impl::start(client, key_spec(key, fromIndex, recursive), std::move(callback), nullptr)) {}

Watcher::Watcher(Client const& client, std::string const& key, std::string const& range_end,
                 int64_t fromIndex, std::function<void(Response)> callback)
    : impl_(Impl::start(client, range_spec(key, range_end, fromIndex), std::move(callback),
                        nullptr)) {}

Watcher::Watcher(SyncClient const& client, std::string const& key, std::string const& range_end,
                 int64_t fromIndex, std::function<void(Response)> callback)
    : impl_(Impl::start(client, range_spec(key, range_end, fromIndex), std::move(callback),
                        nullptr)) {}

Watcher::Watcher(std::string const& address, std::string const& key,
                 std::function<void(Response)> callback, bool recursive)
    : impl_(Impl::start(address, key_spec(key, 0, recursive), std::move(callback), nullptr)) {}

Watcher::Watcher(std::string const& address, std::string const& key, std::string const& range_end,
                 std::function<void(Response)> callback)
    : impl_(Impl::start(address, range_spec(key, range_end, 0), std::move(callback), nullptr)) {}

Watcher::Watcher(std::string const& address, std::string const& key, int64_t fromIndex,
                 std::function<void(Response)> callback, bool recursive)
    : impl_(Impl::start(address, key_spec(key, fromIndex, recursive), std::move(callback),
                        nullptr)) {}

Watcher::Watcher(std::string const& address, std::string const& key, std::string const& range_end,
                 int64_t fromIndex, std::function<void(Response)> callback)
    : impl_(Impl::start(address, range_spec(key, range_end, fromIndex), std::move(callback),
                        nullptr)) {}

// ------------------------------------------------------------------------------------------------
// Over a new connection with credentials, TLS or options.
// ------------------------------------------------------------------------------------------------

namespace {

std::shared_ptr<detail::ClientHandle> user_connection(std::string const& address,
                                                      std::string const& username,
                                                      std::string const& password,
                                                      int auth_token_ttl) {
  return detail::new_client_handle(
      address, detail::user_options(username, password, auth_token_ttl, "round_robin"));
}

std::shared_ptr<detail::ClientHandle> tls_connection(std::string const& address,
                                                     std::string const& ca, std::string const& cert,
                                                     std::string const& privkey,
                                                     std::string const& target_name_override) {
  return detail::new_client_handle(
      address, detail::tls_options(ca, cert, privkey, target_name_override, "round_robin"));
}

}  // namespace

Watcher::Watcher(std::string const& address, std::string const& username,
                 std::string const& password, std::string const& key,
                 std::function<void(Response)> callback, bool recursive, int const auth_token_ttl)
    : impl_(Impl::start(user_connection(address, username, password, auth_token_ttl),
                        key_spec(key, 0, recursive), std::move(callback), nullptr)) {}

Watcher::Watcher(std::string const& address, std::string const& username,
                 std::string const& password, std::string const& key, std::string const& range_end,
                 std::function<void(Response)> callback, int const auth_token_ttl)
    : impl_(Impl::start(user_connection(address, username, password, auth_token_ttl),
                        range_spec(key, range_end, 0), std::move(callback), nullptr)) {}

Watcher::Watcher(std::string const& address, std::string const& username,
                 std::string const& password, std::string const& key, int64_t fromIndex,
                 std::function<void(Response)> callback, bool recursive, int const auth_token_ttl)
    : impl_(Impl::start(user_connection(address, username, password, auth_token_ttl),
                        key_spec(key, fromIndex, recursive), std::move(callback), nullptr)) {}

Watcher::Watcher(std::string const& address, std::string const& username,
                 std::string const& password, std::string const& key, std::string const& range_end,
                 int64_t fromIndex, std::function<void(Response)> callback,
                 int const auth_token_ttl)
    : impl_(Impl::start(user_connection(address, username, password, auth_token_ttl),
                        range_spec(key, range_end, fromIndex), std::move(callback), nullptr)) {}

Watcher::Watcher(std::string const& address, std::string const& ca, std::string const& cert,
                 std::string const& privkey, std::string const& key, int64_t fromIndex,
                 std::function<void(Response)> callback, bool recursive,
                 std::string const& target_name_override)
    : impl_(Impl::start(tls_connection(address, ca, cert, privkey, target_name_override),
                        key_spec(key, fromIndex, recursive), std::move(callback), nullptr)) {}

Watcher::Watcher(std::string const& address, std::string const& ca, std::string const& cert,
                 std::string const& privkey, std::string const& key, std::string const& range_end,
                 int64_t fromIndex, std::function<void(Response)> callback,
                 std::string const& target_name_override)
    : impl_(Impl::start(tls_connection(address, ca, cert, privkey, target_name_override),
                        range_spec(key, range_end, fromIndex), std::move(callback), nullptr)) {}

Watcher::Watcher(std::string const& address, std::string const& username,
                 std::string const& password, std::string const& key,
                 std::function<void(Response)> callback, std::function<void(bool)> wait_callback,
                 bool recursive, int const auth_token_ttl)
    : impl_(Impl::start(user_connection(address, username, password, auth_token_ttl),
                        key_spec(key, 0, recursive), std::move(callback),
                        std::move(wait_callback))) {}

Watcher::Watcher(std::string const& address, std::string const& username,
                 std::string const& password, std::string const& key, std::string const& range_end,
                 std::function<void(Response)> callback, std::function<void(bool)> wait_callback,
                 int const auth_token_ttl)
    : impl_(Impl::start(user_connection(address, username, password, auth_token_ttl),
                        range_spec(key, range_end, 0), std::move(callback),
                        std::move(wait_callback))) {}

Watcher::Watcher(std::string const& address, std::string const& username,
                 std::string const& password, std::string const& key, int64_t fromIndex,
                 std::function<void(Response)> callback, std::function<void(bool)> wait_callback,
                 bool recursive, int const auth_token_ttl)
    : impl_(Impl::start(user_connection(address, username, password, auth_token_ttl),
                        key_spec(key, fromIndex, recursive), std::move(callback),
                        std::move(wait_callback))) {}

Watcher::Watcher(std::string const& address, std::string const& username,
                 std::string const& password, std::string const& key, std::string const& range_end,
                 int64_t fromIndex, std::function<void(Response)> callback,
                 std::function<void(bool)> wait_callback, int const auth_token_ttl)
    : impl_(Impl::start(user_connection(address, username, password, auth_token_ttl),
                        range_spec(key, range_end, fromIndex), std::move(callback),
                        std::move(wait_callback))) {}

Watcher::Watcher(std::string const& address, std::string const& ca, std::string const& cert,
                 std::string const& privkey, std::string const& key, int64_t fromIndex,
                 std::function<void(Response)> callback, std::function<void(bool)> wait_callback,
                 bool recursive, std::string const& target_name_override)
    : impl_(Impl::start(tls_connection(address, ca, cert, privkey, target_name_override),
                        key_spec(key, fromIndex, recursive), std::move(callback),
                        std::move(wait_callback))) {}

Watcher::Watcher(std::string const& address, std::string const& ca, std::string const& cert,
                 std::string const& privkey, std::string const& key, std::string const& range_end,
                 int64_t fromIndex, std::function<void(Response)> callback,
                 std::function<void(bool)> wait_callback, std::string const& target_name_override)
    : impl_(Impl::start(tls_connection(address, ca, cert, privkey, target_name_override),
                        range_spec(key, range_end, fromIndex), std::move(callback),
                        std::move(wait_callback))) {}

Watcher::Watcher(std::string const& address, ClientOptions const& options, std::string const& key,
                 int64_t fromIndex, std::function<void(Response)> callback,
                 std::function<void(bool)> wait_callback, bool recursive)
    : impl_(Impl::start(detail::new_client_handle(address, options),
                        key_spec(key, fromIndex, recursive), std::move(callback),
                        std::move(wait_callback))) {}

Watcher::Watcher(std::string const& address, ClientOptions const& options, std::string const& key,
                 std::string const& range_end, int64_t fromIndex,
                 std::function<void(Response)> callback, std::function<void(bool)> wait_callback)
    : impl_(Impl::start(detail::new_client_handle(address, options),
                        range_spec(key, range_end, fromIndex), std::move(callback),
                        std::move(wait_callback))) {}

// ------------------------------------------------------------------------------------------------
// With wait callback.
// ------------------------------------------------------------------------------------------------

Watcher::Watcher(Client const& client, std::string const& key,
                 std::function<void(Response)> callback, std::function<void(bool)> wait_callback,
                 bool recursive)
    : impl_(Impl::start(client, key_spec(key, 0, recursive), std::move(callback),
                        std::move(wait_callback))) {}

Watcher::Watcher(SyncClient const& client, std::string const& key,
                 std::function<void(Response)> callback, std::function<void(bool)> wait_callback,
                 bool recursive)
    : impl_(Impl::start(client, key_spec(key, 0, recursive), std::move(callback),
                        std::move(wait_callback))) {}

Watcher::Watcher(Client const& client, std::string const& key, std::string const& range_end,
                 std::function<void(Response)> callback, std::function<void(bool)> wait_callback)
    : impl_(Impl::start(client, range_spec(key, range_end, 0), std::move(callback),
                        std::move(wait_callback))) {}

Watcher::Watcher(SyncClient const& client, std::string const& key, std::string const& range_end,
                 std::function<void(Response)> callback, std::function<void(bool)> wait_callback)
    : impl_(Impl::start(client, range_spec(key, range_end, 0), std::move(callback),
                        std::move(wait_callback))) {}

Watcher::Watcher(Client const& client, std::string const& key, int64_t fromIndex,
                 std::function<void(Response)> callback, std::function<void(bool)> wait_callback,
                 bool recursive)
    : impl_(Impl::start(client, key_spec(key, fromIndex, recursive), std::move(callback),
                        std::move(wait_callback))) {}

Watcher::Watcher(SyncClient const& client, std::string const& key, int64_t fromIndex,
                 std::function<void(Response)> callback, std::function<void(bool)> wait_callback,
                 bool recursive)
    : impl_(Impl::start(client, key_spec(key, fromIndex, recursive), std::move(callback),
                        std::move(wait_callback))) {}

Watcher::Watcher(Client const& client, std::string const& key, std::string const& range_end,
                 int64_t fromIndex, std::function<void(Response)> callback,
                 std::function<void(bool)> wait_callback)
    : impl_(Impl::start(client, range_spec(key, range_end, fromIndex), std::move(callback),
                        std::move(wait_callback))) {}

Watcher::Watcher(SyncClient const& client, std::string const& key, std::string const& range_end,
                 int64_t fromIndex, std::function<void(Response)> callback,
                 std::function<void(bool)> wait_callback)
    : impl_(Impl::start(client, range_spec(key, range_end, fromIndex), std::move(callback),
                        std::move(wait_callback))) {}

Watcher::Watcher(std::string const& address, std::string const& key,
                 std::function<void(Response)> callback, std::function<void(bool)> wait_callback,
                 bool recursive)
    : impl_(Impl::start(address, key_spec(key, 0, recursive), std::move(callback),
                        std::move(wait_callback))) {}

Watcher::Watcher(std::string const& address, std::string const& key, std::string const& range_end,
                 std::function<void(Response)> callback, std::function<void(bool)> wait_callback)
    : impl_(Impl::start(address, range_spec(key, range_end, 0), std::move(callback),
                        std::move(wait_callback))) {}

Watcher::Watcher(std::string const& address, std::string const& key, int64_t fromIndex,
                 std::function<void(Response)> callback, std::function<void(bool)> wait_callback,
                 bool recursive)
    : impl_(Impl::start(address, key_spec(key, fromIndex, recursive), std::move(callback),
                        std::move(wait_callback))) {}

Watcher::Watcher(std::string const& address, std::string const& key, std::string const& range_end,
                 int64_t fromIndex, std::function<void(Response)> callback,
                 std::function<void(bool)> wait_callback)
    : impl_(Impl::start(address, range_spec(key, range_end, fromIndex), std::move(callback),
                        std::move(wait_callback))) {}

// ------------------------------------------------------------------------------------------------
// Lifetime and control. A moved-from watcher behaves as a cancelled one.
// ------------------------------------------------------------------------------------------------

Watcher::Watcher(Watcher&& other) noexcept = default;

Watcher& Watcher::operator=(Watcher&& other) noexcept = default;

Watcher::~Watcher() {}

bool Watcher::Wait() { return impl_ ? ffi::watcher_wait(*impl_->watcher) : true; }

bool Watcher::Wait(std::function<void(bool)> callback) {
  return impl_ ? impl_->set_wait_callback(std::move(callback)) : false;
}

bool Watcher::Cancel() { return impl_ ? ffi::watcher_cancel(*impl_->watcher) : true; }

bool Watcher::Cancelled() const { return impl_ ? ffi::watcher_cancelled(*impl_->watcher) : true; }

}  // namespace etcd
