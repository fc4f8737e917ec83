// etcd::ServiceRegistry and etcd::ServiceDiscovery over the Rust core's registry and discovery.
#include "etcd/ServiceRegistry.hpp"

#include <utility>

#include "etcd/Client.hpp"
#include "etcd/ServiceDiscovery.hpp"
#include "internal.hpp"

namespace etcd {

struct ServiceRegistry::Impl {
  // Destroyed in reverse order: the registry before its connection handle.
  std::shared_ptr<detail::ClientHandle> client;
  rust::Box<ffi::ServiceRegistry> registry;

  Impl(std::shared_ptr<detail::ClientHandle> c, rust::Box<ffi::ServiceRegistry> r)
      : client(std::move(c)), registry(std::move(r)) {}

  ~Impl() { ffi::registry_close(*registry); }

  static std::unique_ptr<Impl> start(std::shared_ptr<detail::ClientHandle> client, int ttl,
                                     Handler const& handler, bool revoke_on_close) {
    std::unique_ptr<ffi::ResponseSink> sink;
    if (handler) {
      Handler h = handler;
      sink.reset(new ffi::ResponseSink(
          [h](ffi::ResponseData const& r) { h(r.prev_value.lease, r.value.lease); },
          "service registry handler"));
    }
    auto registry = ffi::registry_new(*client->client, ttl, revoke_on_close, std::move(sink));
    return std::unique_ptr<Impl>(new Impl(std::move(client), std::move(registry)));
  }
};

ServiceRegistry::ServiceRegistry(Client const& client, int ttl, Handler const& handler,
                                 bool revoke_on_close)
    : impl_(Impl::start(detail::HandleAccess::of(client), ttl, handler, revoke_on_close)) {}

ServiceRegistry::ServiceRegistry(SyncClient const& client, int ttl, Handler const& handler,
                                 bool revoke_on_close)
    : impl_(Impl::start(detail::HandleAccess::of(client), ttl, handler, revoke_on_close)) {}

ServiceRegistry::ServiceRegistry(std::string const& address, int ttl, Handler const& handler,
                                 bool revoke_on_close)
    : impl_(Impl::start(detail::HandleAccess::of(address), ttl, handler, revoke_on_close)) {}

ServiceRegistry::~ServiceRegistry() {}

Response ServiceRegistry::add(std::string const& key, std::string const& value) {
  return detail::to_response(
      ffi::registry_add(*impl_->registry, detail::as_slice(key), detail::as_slice(value)));
}

Response ServiceRegistry::remove(std::string const& key) {
  return detail::to_response(ffi::registry_remove(*impl_->registry, detail::as_slice(key)));
}

int64_t ServiceRegistry::lease() const { return ffi::registry_lease(*impl_->registry); }

void ServiceRegistry::close() { ffi::registry_close(*impl_->registry); }

struct ServiceDiscovery::Impl {
  std::shared_ptr<detail::ClientHandle> client;
  rust::Box<ffi::ServiceDiscovery> discovery;

  Impl(std::shared_ptr<detail::ClientHandle> c, rust::Box<ffi::ServiceDiscovery> d)
      : client(std::move(c)), discovery(std::move(d)) {}

  ~Impl() { ffi::discovery_close(*discovery); }

  static std::unique_ptr<Impl> start(std::shared_ptr<detail::ClientHandle> client,
                                     std::string const& prefix, Handlers const& handlers) {
    std::unique_ptr<ffi::ResponseSink> sink;
    if (handlers.added || handlers.updated || handlers.removed) {
      Handlers h = handlers;
      sink.reset(new ffi::ResponseSink(
          [h](ffi::ResponseData const& r) {
            std::string action = detail::to_string(r.action);
            if (action == "added") {
              if (h.added) h.added(detail::ResponseBuilder::value(r.value));
            } else if (action == "updated") {
              if (h.updated)
                h.updated(detail::ResponseBuilder::value(r.value),
                          detail::ResponseBuilder::value(r.prev_value));
            } else if (h.removed) {
              h.removed(detail::ResponseBuilder::value(r.prev_value));
            }
          },
          "service discovery handler"));
    }
    auto d = ffi::discovery_new(*client->client, detail::as_slice(prefix), std::move(sink));
    return std::unique_ptr<Impl>(new Impl(std::move(client), std::move(d)));
  }
};

ServiceDiscovery::ServiceDiscovery(Client const& client, std::string const& prefix,
                                   Handlers const& handlers)
    : impl_(Impl::start(detail::HandleAccess::of(client), prefix, handlers)) {}

ServiceDiscovery::ServiceDiscovery(SyncClient const& client, std::string const& prefix,
                                   Handlers const& handlers)
    : impl_(Impl::start(detail::HandleAccess::of(client), prefix, handlers)) {}

ServiceDiscovery::ServiceDiscovery(std::string const& address, std::string const& prefix,
                                   Handlers const& handlers)
    : impl_(Impl::start(detail::HandleAccess::of(address), prefix, handlers)) {}

ServiceDiscovery::~ServiceDiscovery() {}

bool ServiceDiscovery::wait_ready(std::chrono::milliseconds timeout) const {
  return ffi::discovery_wait_ready(*impl_->discovery, timeout.count());
}

std::map<std::string, std::string> ServiceDiscovery::snapshot() const {
  ffi::ResponseData r = ffi::discovery_snapshot(*impl_->discovery);
  std::map<std::string, std::string> out;
  for (auto const& kv : r.values) out[detail::to_string(kv.key)] = detail::to_string(kv.value);
  return out;
}

Values ServiceDiscovery::values() const {
  ffi::ResponseData r = ffi::discovery_snapshot(*impl_->discovery);
  Values out;
  for (auto const& kv : r.values) out.push_back(detail::ResponseBuilder::value(kv));
  return out;
}

int64_t ServiceDiscovery::revision() const {
  return ffi::discovery_snapshot(*impl_->discovery).index;
}

void ServiceDiscovery::close() { ffi::discovery_close(*impl_->discovery); }

}  // namespace etcd
