// etcd::KeepAlive: a Rust keep-alive; failures reach the user handler through an ErrorSink.
#include "etcd/KeepAlive.hpp"

#include <stdexcept>
#include <utility>

#include "etcd/Client.hpp"
#include "internal.hpp"

namespace etcd {

namespace {

// The exception for a keep-alive failure (`kind` 2: the lease has expired).
std::exception_ptr to_exception(ffi::KeepAliveErrorData const& error) {
  std::string message = detail::to_string(error.message);
  if (error.kind == 2) return std::make_exception_ptr(std::out_of_range(message));
  return std::make_exception_ptr(std::runtime_error(message));
}

}  // namespace

struct KeepAlive::Impl {
  // Members are destroyed in reverse order: the keep-alive before its connection handle.
  std::shared_ptr<detail::ClientHandle> client;
  rust::Box<ffi::KeepAlive> keepalive;

  Impl(std::shared_ptr<detail::ClientHandle> c, rust::Box<ffi::KeepAlive> k)
      : client(std::move(c)), keepalive(std::move(k)) {}

  ~Impl() { ffi::keepalive_cancel(*keepalive); }

  // An empty `handler` gives an empty sink: failures are then only kept for Check().
  template <class Source>
  static std::unique_ptr<Impl> start(Source const& source,
                                     std::function<void(std::exception_ptr)> const& handler,
                                     int ttl, int64_t lease_id) {
    std::shared_ptr<detail::ClientHandle> client = detail::HandleAccess::of(source);
    std::unique_ptr<ffi::ErrorSink> sink;
    if (handler) {
      sink.reset(new ffi::ErrorSink(
          [handler](ffi::KeepAliveErrorData const& error) { handler(to_exception(error)); }));
    } else {
      sink.reset(new ffi::ErrorSink());
    }
    return std::unique_ptr<Impl>(
        new Impl(client, ffi::keepalive_new(*client->client, ttl, lease_id, std::move(sink))));
  }
};

KeepAlive::KeepAlive(Client const& client, int ttl, int64_t lease_id)
    : impl_(Impl::start(client, nullptr, ttl, lease_id)),
      lease_id(ffi::keepalive_lease(*impl_->keepalive)) {}

KeepAlive::KeepAlive(SyncClient const& client, int ttl, int64_t lease_id)
    : impl_(Impl::start(client, nullptr, ttl, lease_id)),
      lease_id(ffi::keepalive_lease(*impl_->keepalive)) {}

KeepAlive::KeepAlive(std::string const& address, int ttl, int64_t lease_id)
    : impl_(Impl::start(address, nullptr, ttl, lease_id)),
      lease_id(ffi::keepalive_lease(*impl_->keepalive)) {}

KeepAlive::KeepAlive(Client const& client, std::function<void(std::exception_ptr)> const& handler,
                     int ttl, int64_t lease_id)
    : impl_(Impl::start(client, handler, ttl, lease_id)),
      lease_id(ffi::keepalive_lease(*impl_->keepalive)) {}

KeepAlive::KeepAlive(SyncClient const& client,
                     std::function<void(std::exception_ptr)> const& handler, int ttl,
                     int64_t lease_id)
    : impl_(Impl::start(client, handler, ttl, lease_id)),
      lease_id(ffi::keepalive_lease(*impl_->keepalive)) {}

KeepAlive::KeepAlive(std::string const& address,
                     std::function<void(std::exception_ptr)> const& handler, int ttl,
                     int64_t lease_id)
    : impl_(Impl::start(address, handler, ttl, lease_id)),
      lease_id(ffi::keepalive_lease(*impl_->keepalive)) {}

KeepAlive::KeepAlive(std::string const& address, std::string const& username,
                     std::string const& password, int ttl, int64_t lease_id,
                     int const auth_token_ttl)
    : impl_(Impl::start(
          detail::new_client_handle(
              address, detail::user_options(username, password, auth_token_ttl, "round_robin")),
          nullptr, ttl, lease_id)),
      lease_id(ffi::keepalive_lease(*impl_->keepalive)) {}

KeepAlive::KeepAlive(std::string const& address, ClientOptions const& options, int ttl,
                     int64_t lease_id)
    : impl_(Impl::start(detail::new_client_handle(address, options), nullptr, ttl, lease_id)),
      lease_id(ffi::keepalive_lease(*impl_->keepalive)) {}

KeepAlive::KeepAlive(std::string const& address, std::string const& username,
                     std::string const& password,
                     std::function<void(std::exception_ptr)> const& handler, int ttl,
                     int64_t lease_id, int const auth_token_ttl)
    : impl_(Impl::start(
          detail::new_client_handle(
              address, detail::user_options(username, password, auth_token_ttl, "round_robin")),
          handler, ttl, lease_id)),
      lease_id(ffi::keepalive_lease(*impl_->keepalive)) {}

KeepAlive::KeepAlive(std::string const& address, std::string const& ca, std::string const& cert,
                     std::string const& privkey,
                     std::function<void(std::exception_ptr)> const& handler, int ttl,
                     int64_t lease_id, std::string const& target_name_override)
    : impl_(Impl::start(
          detail::new_client_handle(
              address, detail::tls_options(ca, cert, privkey, target_name_override, "round_robin")),
          handler, ttl, lease_id)),
      lease_id(ffi::keepalive_lease(*impl_->keepalive)) {}

KeepAlive::KeepAlive(std::string const& address, ClientOptions const& options,
                     std::function<void(std::exception_ptr)> const& handler, int ttl,
                     int64_t lease_id)
    : impl_(Impl::start(detail::new_client_handle(address, options), handler, ttl, lease_id)),
      lease_id(ffi::keepalive_lease(*impl_->keepalive)) {}

KeepAlive::~KeepAlive() {}

void KeepAlive::Cancel() { ffi::keepalive_cancel(*impl_->keepalive); }

void KeepAlive::Check() {
  ffi::KeepAliveErrorData error = ffi::keepalive_check(*impl_->keepalive);
  if (error.kind != 0) std::rethrow_exception(to_exception(error));
}

void KeepAlive::set_grpc_timeout_ms(int64_t ms) {
  ffi::keepalive_set_timeout_ms(*impl_->keepalive, ms < 1 ? 0 : ms);
}

std::chrono::microseconds KeepAlive::get_grpc_timeout() const {
  return std::chrono::milliseconds(ffi::keepalive_timeout_ms(*impl_->keepalive));
}

}  // namespace etcd
