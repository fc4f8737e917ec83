// etcd::SyncClient: each operation builds a request and runs it on the Rust core, blocking.
#include "etcd/SyncClient.hpp"

#include <cstdlib>

#include "etcd/KeepAlive.hpp"
#include "internal.hpp"

namespace etcdv3 {
namespace detail {

std::string string_plus_one(std::string const& value) {
  return etcd::detail::to_string(etcd::ffi::string_plus_one(etcd::detail::as_slice(value)));
}

std::string resolve_etcd_endpoints(std::string const& default_endpoints) {
  char const* endpoints = std::getenv("ETCD_ENDPOINTS");
  return endpoints != nullptr ? std::string(endpoints) : default_endpoints;
}

}  // namespace detail
}  // namespace etcdv3

namespace etcd {

namespace req = detail::request;

SyncClient::SyncClient(std::string const& etcd_url, std::string const& load_balancer)
    : handle_(detail::new_client_handle(etcd_url, load_balancer)) {}

SyncClient::SyncClient(std::string const& etcd_url, ClientOptions const& options)
    : handle_(detail::new_client_handle(etcd_url, options)) {}

SyncClient::SyncClient(std::string const& etcd_url, std::string const& username,
                       std::string const& password, int const auth_token_ttl,
                       std::string const& load_balancer)
    : handle_(detail::new_client_handle(
          etcd_url, detail::user_options(username, password, auth_token_ttl, load_balancer))) {}

SyncClient::SyncClient(std::string const& etcd_url, std::string const& username,
                       std::string const& password, int const auth_token_ttl,
                       ClientOptions const& options)
    : handle_(detail::new_client_handle(
          etcd_url, detail::user_options(options, username, password, auth_token_ttl))) {}

SyncClient::SyncClient(std::string const& etcd_url, std::string const& ca, std::string const& cert,
                       std::string const& privkey, std::string const& target_name_override,
                       std::string const& load_balancer)
    : handle_(detail::new_client_handle(
          etcd_url, detail::tls_options(ca, cert, privkey, target_name_override, load_balancer))) {}

SyncClient::SyncClient(std::string const& etcd_url, std::string const& ca, std::string const& cert,
                       std::string const& privkey, std::string const& target_name_override,
                       ClientOptions const& options)
    : handle_(detail::new_client_handle(
          etcd_url, detail::tls_options(options, ca, cert, privkey, target_name_override))) {}

SyncClient* SyncClient::WithUrl(std::string const& etcd_url, std::string const& load_balancer) {
  return new SyncClient(etcd_url, load_balancer);
}

SyncClient* SyncClient::WithUrl(std::string const& etcd_url, ClientOptions const& options) {
  return new SyncClient(etcd_url, options);
}

SyncClient* SyncClient::WithUser(std::string const& etcd_url, std::string const& username,
                                 std::string const& password, int const auth_token_ttl,
                                 std::string const& load_balancer) {
  return new SyncClient(etcd_url, username, password, auth_token_ttl, load_balancer);
}

SyncClient* SyncClient::WithUser(std::string const& etcd_url, std::string const& username,
                                 std::string const& password, int const auth_token_ttl,
                                 ClientOptions const& options) {
  return new SyncClient(etcd_url, username, password, auth_token_ttl, options);
}

SyncClient* SyncClient::WithSSL(std::string const& etcd_url, std::string const& ca,
                                std::string const& cert, std::string const& privkey,
                                std::string const& target_name_override,
                                std::string const& load_balancer) {
  return new SyncClient(etcd_url, ca, cert, privkey, target_name_override, load_balancer);
}

SyncClient* SyncClient::WithSSL(std::string const& etcd_url, ClientOptions const& options,
                                std::string const& ca, std::string const& cert,
                                std::string const& privkey,
                                std::string const& target_name_override) {
  return new SyncClient(etcd_url, ca, cert, privkey, target_name_override, options);
}

SyncClient::SyncClient(std::shared_ptr<detail::ClientHandle> handle) : handle_(std::move(handle)) {}

std::unique_ptr<SyncClient> SyncClient::WithNamespace(SyncClient const& client,
                                                      std::string const& prefix) {
  return std::unique_ptr<SyncClient>(new SyncClient(std::make_shared<detail::ClientHandle>(
      ffi::client_with_namespace(*client.handle_->client, detail::as_slice(prefix)))));
}

std::string SyncClient::namespace_prefix() const {
  return detail::to_string(ffi::client_namespace_prefix(*handle_->client));
}

// Locks taken with lock() are kept alive by the connection, which Watchers and KeepAlives made
// from this client may keep open: as in etcd-cpp-apiv3, they end with the client that took them.
SyncClient::~SyncClient() { ffi::client_release_locks(*handle_->client); }

Response SyncClient::head() { return detail::execute(*handle_, req::head()); }

Response SyncClient::get(std::string const& key) { return get(key, 0); }

Response SyncClient::get(std::string const& key, int64_t revision) {
  return detail::execute(*handle_, req::get(key, revision));
}

Response SyncClient::set(std::string const& key, std::string const& value, const int64_t leaseId) {
  return detail::execute(*handle_, req::write(ffi::Op::Set, key, value, leaseId));
}

Response SyncClient::add(std::string const& key, std::string const& value, const int64_t leaseId) {
  return detail::execute(*handle_, req::write(ffi::Op::Add, key, value, leaseId));
}

Response SyncClient::put(std::string const& key, std::string const& value) {
  return set(key, value, 0);
}

Response SyncClient::put(std::string const& key, std::string const& value, const int64_t leaseId) {
  return set(key, value, leaseId);
}

Response SyncClient::modify(std::string const& key, std::string const& value,
                            const int64_t leaseId) {
  return detail::execute(*handle_, req::write(ffi::Op::Modify, key, value, leaseId));
}

Response SyncClient::modify_if(std::string const& key, std::string const& value,
                               std::string const& old_value, const int64_t leaseId) {
  return detail::execute(*handle_, req::modify_if(key, value, old_value, leaseId));
}

Response SyncClient::modify_if(std::string const& key, std::string const& value, int64_t old_index,
                               const int64_t leaseId) {
  return detail::execute(*handle_, req::modify_if(key, value, old_index, leaseId));
}

Response SyncClient::rm(std::string const& key) { return detail::execute(*handle_, req::rm(key)); }

Response SyncClient::rm_if(std::string const& key, std::string const& old_value) {
  return detail::execute(*handle_, req::rm_if(key, old_value));
}

Response SyncClient::rm_if(std::string const& key, int64_t old_index) {
  return detail::execute(*handle_, req::rm_if(key, old_index));
}

Response SyncClient::rmdir(std::string const& key, bool recursive) {
  return detail::execute(*handle_, req::rmdir(key, recursive));
}

Response SyncClient::rmdir(std::string const& key, const char* range_end) {
  return rmdir(key, req::c_string(range_end));
}

Response SyncClient::rmdir(std::string const& key, std::string const& range_end) {
  return detail::execute(*handle_, req::rmdir(key, range_end));
}

Response SyncClient::ls(std::string const& key) { return ls(key, 0, 0); }

Response SyncClient::ls(std::string const& key, size_t const limit) { return ls(key, limit, 0); }

Response SyncClient::ls(std::string const& key, size_t const limit, int64_t revision) {
  return detail::execute(*handle_, req::ls(key, limit, revision, false));
}

Response SyncClient::ls(std::string const& key, std::string const& range_end) {
  return ls(key, range_end, 0, 0);
}

Response SyncClient::ls(std::string const& key, std::string const& range_end, size_t const limit) {
  return ls(key, range_end, limit, 0);
}

Response SyncClient::ls(std::string const& key, std::string const& range_end, size_t const limit,
                        int64_t revision) {
  return detail::execute(*handle_, req::ls(key, range_end, limit, revision, false));
}

Response SyncClient::keys(std::string const& key) { return keys(key, 0, 0); }

Response SyncClient::keys(std::string const& key, size_t const limit) {
  return keys(key, limit, 0);
}

Response SyncClient::keys(std::string const& key, size_t const limit, int64_t revision) {
  return detail::execute(*handle_, req::ls(key, limit, revision, true));
}

Response SyncClient::keys(std::string const& key, std::string const& range_end) {
  return keys(key, range_end, 0, 0);
}

Response SyncClient::keys(std::string const& key, std::string const& range_end,
                          size_t const limit) {
  return keys(key, range_end, limit, 0);
}

Response SyncClient::keys(std::string const& key, std::string const& range_end, size_t const limit,
                          int64_t revision) {
  return detail::execute(*handle_, req::ls(key, range_end, limit, revision, true));
}

Response SyncClient::watch(std::string const& key, bool recursive) {
  return watch(key, 0, recursive);
}

Response SyncClient::watch(std::string const& key, int64_t fromIndex, bool recursive) {
  return detail::execute(*handle_, req::watch(key, fromIndex, recursive));
}

Response SyncClient::watch(std::string const& key, const char* range_end) {
  return watch(key, req::c_string(range_end), 0);
}

Response SyncClient::watch(std::string const& key, std::string const& range_end) {
  return watch(key, range_end, 0);
}

Response SyncClient::watch(std::string const& key, std::string const& range_end,
                           int64_t fromIndex) {
  return detail::execute(*handle_, req::watch(key, range_end, fromIndex));
}

Response SyncClient::leasegrant(int ttl) {
  return detail::execute(*handle_, req::lease_grant(ttl));
}

std::shared_ptr<KeepAlive> SyncClient::leasekeepalive(int ttl) {
  // The KeepAlive grants the lease; if that fails, it is failed from the start (Check() throws).
  return std::make_shared<KeepAlive>(*this, ttl);
}

Response SyncClient::leaserevoke(int64_t lease_id) {
  return detail::execute(*handle_, req::lease_revoke(lease_id));
}

Response SyncClient::leasetimetolive(int64_t lease_id) {
  return detail::execute(*handle_, req::lease_time_to_live(lease_id));
}

Response SyncClient::leases() { return detail::execute(*handle_, req::lease_leases()); }

Response SyncClient::lock(std::string const& key) { return lock(key, 10); }

Response SyncClient::lock(std::string const& key, int lease_ttl) {
  return detail::execute(*handle_, req::lock(key, lease_ttl));
}

Response SyncClient::lock_with_lease(std::string const& key, int64_t lease_id) {
  return detail::execute(*handle_, req::lock_with_lease(key, lease_id));
}

Response SyncClient::unlock(std::string const& lock_key) {
  return detail::execute(*handle_, req::unlock(lock_key));
}

Response SyncClient::txn(etcdv3::Transaction const& txn) {
  return detail::execute(*handle_, req::txn(txn));
}

Response SyncClient::campaign(std::string const& name, int64_t lease_id, std::string const& value) {
  return detail::execute(*handle_, req::campaign(name, lease_id, value));
}

Response SyncClient::proclaim(std::string const& name, int64_t lease_id, std::string const& key,
                              int64_t revision, std::string const& value) {
  return detail::execute(*handle_, req::proclaim(name, lease_id, key, revision, value));
}

Response SyncClient::leader(std::string const& name) {
  return detail::execute(*handle_, req::leader(name));
}

Response SyncClient::resign(std::string const& name, int64_t lease_id, std::string const& key,
                            int64_t revision) {
  return detail::execute(*handle_, req::resign(name, lease_id, key, revision));
}

// ------------------------------------------------------------------------------------------------
// Observer. It holds the connection, so it stays usable after the client is gone.
// ------------------------------------------------------------------------------------------------

struct SyncClient::Observer::Impl {
  // Members are destroyed in reverse order: the observer before its connection handle.
  std::shared_ptr<detail::ClientHandle> client;
  rust::Box<ffi::Observer> observer;

  Impl(std::shared_ptr<detail::ClientHandle> c, rust::Box<ffi::Observer> o)
      : client(std::move(c)), observer(std::move(o)) {}
};

SyncClient::Observer::Observer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SyncClient::Observer::~Observer() {}

Response SyncClient::Observer::WaitOnce() {
  if (!impl_) return Response();
  return detail::to_response(ffi::observer_wait_once(*impl_->observer));
}

std::unique_ptr<SyncClient::Observer> SyncClient::observe(std::string const& name) {
  std::unique_ptr<Observer::Impl> impl(
      new Observer::Impl(handle_, ffi::observer_new(*handle_->client, detail::as_slice(name))));
  return std::unique_ptr<Observer>(new Observer(std::move(impl)));
}

// ------------------------------------------------------------------------------------------------
// Members.
// ------------------------------------------------------------------------------------------------

Response SyncClient::add_member(std::string const& peer_urls, bool is_learner) {
  return detail::execute(*handle_, req::member_add(peer_urls, is_learner));
}

Response SyncClient::list_member() { return detail::execute(*handle_, req::member_list()); }

Response SyncClient::remove_member(const uint64_t member_id) {
  return detail::execute(*handle_, req::member_remove(member_id));
}

Response SyncClient::sync_endpoints() { return detail::execute(*handle_, req::sync_endpoints()); }

std::vector<std::string> SyncClient::endpoints() const {
  std::vector<std::string> out;
  for (auto const& e : ffi::client_endpoints(*handle_->client)) {
    out.emplace_back(e.data(), e.size());
  }
  return out;
}

const std::string& SyncClient::current_auth_token() const { return handle_->auth_token(); }

void SyncClient::set_grpc_timeout_ms(int64_t ms) {
  ffi::client_set_timeout_ms(*handle_->client, ms < 1 ? 0 : ms);
}

std::chrono::microseconds SyncClient::get_grpc_timeout() const {
  return std::chrono::milliseconds(ffi::client_timeout_ms(*handle_->client));
}

}  // namespace etcd
