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

SyncClient* SyncClient::WithUrl(std::string const& etcd_url, std::string const& load_balancer) {
  return new SyncClient(etcd_url, load_balancer);
}

SyncClient::~SyncClient() {}

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

Response SyncClient::modify_if(std::string const& key, std::string const& value,
                               int64_t old_index, const int64_t leaseId) {
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

Response SyncClient::ls(std::string const& key, std::string const& range_end,
                        size_t const limit) {
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

Response SyncClient::keys(std::string const& key, std::string const& range_end,
                          size_t const limit, int64_t revision) {
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
  Response granted = leasegrant(ttl);
  return std::make_shared<KeepAlive>(*this, ttl, granted.value().lease());
}

Response SyncClient::leaserevoke(int64_t lease_id) {
  return detail::execute(*handle_, req::lease_revoke(lease_id));
}

Response SyncClient::leasetimetolive(int64_t lease_id) {
  return detail::execute(*handle_, req::lease_time_to_live(lease_id));
}

Response SyncClient::leases() { return detail::execute(*handle_, req::lease_leases()); }

const std::string& SyncClient::current_auth_token() const { return handle_->auth_token; }

void SyncClient::set_grpc_timeout_ms(int64_t ms) {
  ffi::client_set_timeout_ms(*handle_->client, ms < 1 ? 0 : ms);
}

std::chrono::microseconds SyncClient::get_grpc_timeout() const {
  return std::chrono::milliseconds(ffi::client_timeout_ms(*handle_->client));
}

}  // namespace etcd
