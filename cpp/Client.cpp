// etcd::Client: each operation builds a request, hands it to the Rust core with a sink, and returns
// a task completed by that sink. No thread waits for etcd; continuations run on library callback
// threads.
#include "etcd/Client.hpp"

#include <exception>
#include <functional>
#include <mutex>
#include <utility>

#include "etcd/KeepAlive.hpp"
#include "internal.hpp"

namespace etcd {

namespace req = detail::request;

namespace {

#ifndef ETCD_CPP_RS_USE_CPPREST_PPLX
// Runs pplx task bodies and continuations on the library's callback threads.
class DispatchScheduler : public pplx::scheduler_interface {
 public:
  void schedule(pplx::TaskProc_t proc, void* param) override {
    std::unique_ptr<ffi::Job> job(new ffi::Job([proc, param]() { proc(param); }));
    ffi::dispatch_submit(std::move(job));
  }
};
#endif

// Installed once by the first Client; cpprestsdk's own pplx keeps its thread pool.
void install_scheduler() {
#ifndef ETCD_CPP_RS_USE_CPPREST_PPLX
  static std::once_flag once;
  std::call_once(once,
                 []() { pplx::set_ambient_scheduler(std::make_shared<DispatchScheduler>()); });
#endif
}

// The task's completion only converts the answer and sets the event (waking get() and handing
// continuations to the scheduler), so it runs right on the runtime thread that got the answer.
pplx::task<Response> execute_async(detail::ClientHandle const& handle, req::Request request) {
  pplx::task_completion_event<Response> done;
  std::unique_ptr<ffi::ResponseSink> sink(
      new ffi::ResponseSink([done](ffi::ResponseData const& data) {
        try {
          done.set(detail::to_response(data));
        } catch (...) {
          done.set_exception(std::current_exception());
        }
      }));
  ffi::client_execute_completing(*handle.client, std::move(request), std::move(sink));
  return pplx::task<Response>(done);
}

}  // namespace

Client::Client(std::string const& etcd_url, std::string const& load_balancer)
    : client_(std::make_shared<SyncClient>(etcd_url, load_balancer)) {
  install_scheduler();
}

Client::Client(std::string const& etcd_url, ClientOptions const& options)
    : client_(std::make_shared<SyncClient>(etcd_url, options)) {
  install_scheduler();
}

Client::Client(std::string const& etcd_url, std::string const& username,
               std::string const& password, int const auth_token_ttl,
               std::string const& load_balancer)
    : client_(std::make_shared<SyncClient>(etcd_url, username, password, auth_token_ttl,
                                           load_balancer)) {
  install_scheduler();
}

Client::Client(std::string const& etcd_url, std::string const& username,
               std::string const& password, int const auth_token_ttl, ClientOptions const& options)
    : client_(std::make_shared<SyncClient>(etcd_url, username, password, auth_token_ttl, options)) {
  install_scheduler();
}

Client::Client(std::string const& etcd_url, std::string const& ca, std::string const& cert,
               std::string const& privkey, std::string const& target_name_override,
               std::string const& load_balancer)
    : client_(std::make_shared<SyncClient>(etcd_url, ca, cert, privkey, target_name_override,
                                           load_balancer)) {
  install_scheduler();
}

Client::Client(std::string const& etcd_url, std::string const& ca, std::string const& cert,
               std::string const& privkey, std::string const& target_name_override,
               ClientOptions const& options)
    : client_(std::make_shared<SyncClient>(etcd_url, ca, cert, privkey, target_name_override,
                                           options)) {
  install_scheduler();
}

Client::Client(SyncClient* client) : client_(client, [](SyncClient*) {}) { install_scheduler(); }

std::unique_ptr<Client> Client::WithNamespace(Client const& client, std::string const& prefix) {
  std::unique_ptr<Client> c(new Client(static_cast<SyncClient*>(nullptr)));
  c->client_ = std::shared_ptr<SyncClient>(SyncClient::WithNamespace(*client.client_, prefix));
  return c;
}

std::string Client::namespace_prefix() const { return client_->namespace_prefix(); }

Client* Client::WithUrl(std::string const& etcd_url, std::string const& load_balancer) {
  return new Client(etcd_url, load_balancer);
}

Client* Client::WithUrl(std::string const& etcd_url, ClientOptions const& options) {
  return new Client(etcd_url, options);
}

Client* Client::WithUser(std::string const& etcd_url, std::string const& username,
                         std::string const& password, int const auth_token_ttl,
                         std::string const& load_balancer) {
  return new Client(etcd_url, username, password, auth_token_ttl, load_balancer);
}

Client* Client::WithUser(std::string const& etcd_url, std::string const& username,
                         std::string const& password, int const auth_token_ttl,
                         ClientOptions const& options) {
  return new Client(etcd_url, username, password, auth_token_ttl, options);
}

Client* Client::WithSSL(std::string const& etcd_url, std::string const& ca, std::string const& cert,
                        std::string const& privkey, std::string const& target_name_override,
                        std::string const& load_balancer) {
  return new Client(etcd_url, ca, cert, privkey, target_name_override, load_balancer);
}

Client* Client::WithSSL(std::string const& etcd_url, ClientOptions const& options,
                        std::string const& ca, std::string const& cert, std::string const& privkey,
                        std::string const& target_name_override) {
  return new Client(etcd_url, ca, cert, privkey, target_name_override, options);
}

Client* Client::WithClient(SyncClient* client) { return new Client(client); }

pplx::task<Response> Client::head() { return execute_async(*client_->handle_, req::head()); }

pplx::task<Response> Client::get(std::string const& key) { return get(key, 0); }

pplx::task<Response> Client::get(std::string const& key, int64_t revision) {
  return execute_async(*client_->handle_, req::get(key, revision));
}

pplx::task<Response> Client::set(std::string const& key, std::string const& value,
                                 const int64_t leaseId) {
  return execute_async(*client_->handle_, req::write(ffi::Op::Set, key, value, leaseId));
}

pplx::task<Response> Client::add(std::string const& key, std::string const& value,
                                 const int64_t leaseId) {
  return execute_async(*client_->handle_, req::write(ffi::Op::Add, key, value, leaseId));
}

pplx::task<Response> Client::put(std::string const& key, std::string const& value) {
  return set(key, value, 0);
}

pplx::task<Response> Client::put(std::string const& key, std::string const& value,
                                 const int64_t leaseId) {
  return set(key, value, leaseId);
}

pplx::task<Response> Client::modify(std::string const& key, std::string const& value,
                                    const int64_t leaseId) {
  return execute_async(*client_->handle_, req::write(ffi::Op::Modify, key, value, leaseId));
}

pplx::task<Response> Client::modify_if(std::string const& key, std::string const& value,
                                       std::string const& old_value, const int64_t leaseId) {
  return execute_async(*client_->handle_, req::modify_if(key, value, old_value, leaseId));
}

pplx::task<Response> Client::modify_if(std::string const& key, std::string const& value,
                                       int64_t old_index, const int64_t leaseId) {
  return execute_async(*client_->handle_, req::modify_if(key, value, old_index, leaseId));
}

pplx::task<Response> Client::rm(std::string const& key) {
  return execute_async(*client_->handle_, req::rm(key));
}

pplx::task<Response> Client::rm_if(std::string const& key, std::string const& old_value) {
  return execute_async(*client_->handle_, req::rm_if(key, old_value));
}

pplx::task<Response> Client::rm_if(std::string const& key, int64_t old_index) {
  return execute_async(*client_->handle_, req::rm_if(key, old_index));
}

pplx::task<Response> Client::rmdir(std::string const& key, bool recursive) {
  return execute_async(*client_->handle_, req::rmdir(key, recursive));
}

pplx::task<Response> Client::rmdir(std::string const& key, const char* range_end) {
  return rmdir(key, req::c_string(range_end));
}

pplx::task<Response> Client::rmdir(std::string const& key, std::string const& range_end) {
  return execute_async(*client_->handle_, req::rmdir(key, range_end));
}

pplx::task<Response> Client::ls(std::string const& key) { return ls(key, 0, 0); }

pplx::task<Response> Client::ls(std::string const& key, size_t const limit) {
  return ls(key, limit, 0);
}

pplx::task<Response> Client::ls(std::string const& key, size_t const limit, int64_t revision) {
  return execute_async(*client_->handle_, req::ls(key, limit, revision, false));
}

pplx::task<Response> Client::ls(std::string const& key, std::string const& range_end) {
  return ls(key, range_end, 0, 0);
}

pplx::task<Response> Client::ls(std::string const& key, std::string const& range_end,
                                size_t const limit) {
  return ls(key, range_end, limit, 0);
}

pplx::task<Response> Client::ls(std::string const& key, std::string const& range_end,
                                size_t const limit, int64_t revision) {
  return execute_async(*client_->handle_, req::ls(key, range_end, limit, revision, false));
}

pplx::task<Response> Client::keys(std::string const& key) { return keys(key, 0, 0); }

pplx::task<Response> Client::keys(std::string const& key, size_t const limit) {
  return keys(key, limit, 0);
}

pplx::task<Response> Client::keys(std::string const& key, size_t const limit, int64_t revision) {
  return execute_async(*client_->handle_, req::ls(key, limit, revision, true));
}

pplx::task<Response> Client::keys(std::string const& key, std::string const& range_end) {
  return keys(key, range_end, 0, 0);
}

pplx::task<Response> Client::keys(std::string const& key, std::string const& range_end,
                                  size_t const limit) {
  return keys(key, range_end, limit, 0);
}

pplx::task<Response> Client::keys(std::string const& key, std::string const& range_end,
                                  size_t const limit, int64_t revision) {
  return execute_async(*client_->handle_, req::ls(key, range_end, limit, revision, true));
}

pplx::task<Response> Client::watch(std::string const& key, bool recursive) {
  return watch(key, static_cast<int64_t>(0), recursive);
}

pplx::task<Response> Client::watch(std::string const& key, int64_t fromIndex, bool recursive) {
  return execute_async(*client_->handle_, req::watch(key, fromIndex, recursive));
}

pplx::task<Response> Client::watch(std::string const& key, const char* range_end) {
  return watch(key, req::c_string(range_end), 0);
}

pplx::task<Response> Client::watch(std::string const& key, std::string const& range_end) {
  return watch(key, range_end, 0);
}

pplx::task<Response> Client::watch(std::string const& key, std::string const& range_end,
                                   int64_t fromIndex) {
  return execute_async(*client_->handle_, req::watch(key, range_end, fromIndex));
}

pplx::task<Response> Client::leasegrant(int ttl) {
  return execute_async(*client_->handle_, req::lease_grant(ttl));
}

pplx::task<std::shared_ptr<KeepAlive>> Client::leasekeepalive(int ttl) {
  pplx::task_completion_event<std::shared_ptr<KeepAlive>> done;
  // The KeepAlive grants its lease itself (once; when that fails it is failed from the start
  // and Check() throws why). The job holds the SyncClient, so it works even if this Client is
  // destroyed meanwhile; it runs on a library callback thread, never on the caller's.
  std::shared_ptr<SyncClient> client = client_;
  std::unique_ptr<ffi::Job> job(new ffi::Job([done, client, ttl]() {
    try {
      done.set(std::make_shared<KeepAlive>(*client, ttl));
    } catch (...) {
      done.set_exception(std::current_exception());
    }
  }));
  ffi::dispatch_submit(std::move(job));
  return pplx::task<std::shared_ptr<KeepAlive>>(done);
}

pplx::task<Response> Client::leaserevoke(int64_t lease_id) {
  return execute_async(*client_->handle_, req::lease_revoke(lease_id));
}

pplx::task<Response> Client::leasetimetolive(int64_t lease_id) {
  return execute_async(*client_->handle_, req::lease_time_to_live(lease_id));
}

pplx::task<Response> Client::leases() {
  return execute_async(*client_->handle_, req::lease_leases());
}

pplx::task<Response> Client::lock(std::string const& key) { return lock(key, 10); }

pplx::task<Response> Client::lock(std::string const& key, const bool sync) {
  return lock(key, 10, sync);
}

pplx::task<Response> Client::lock(std::string const& key, int lease_ttl) {
  return execute_async(*client_->handle_, req::lock(key, lease_ttl));
}

pplx::task<Response> Client::lock(std::string const& key, int lease_ttl, const bool sync) {
  if (sync) return pplx::task_from_result(client_->lock(key, lease_ttl));
  return lock(key, lease_ttl);
}

pplx::task<Response> Client::lock_with_lease(std::string const& key, int64_t lease_id) {
  return execute_async(*client_->handle_, req::lock_with_lease(key, lease_id));
}

pplx::task<Response> Client::lock_with_lease(std::string const& key, int64_t lease_id,
                                             const bool sync) {
  if (sync) return pplx::task_from_result(client_->lock_with_lease(key, lease_id));
  return lock_with_lease(key, lease_id);
}

pplx::task<Response> Client::unlock(std::string const& lock_key) {
  return execute_async(*client_->handle_, req::unlock(lock_key));
}

pplx::task<Response> Client::txn(etcdv3::Transaction const& txn) {
  return execute_async(*client_->handle_, req::txn(txn));
}

pplx::task<Response> Client::campaign(std::string const& name, int64_t lease_id,
                                      std::string const& value) {
  return execute_async(*client_->handle_, req::campaign(name, lease_id, value));
}

pplx::task<Response> Client::proclaim(std::string const& name, int64_t lease_id,
                                      std::string const& key, int64_t revision,
                                      std::string const& value) {
  return execute_async(*client_->handle_, req::proclaim(name, lease_id, key, revision, value));
}

pplx::task<Response> Client::leader(std::string const& name) {
  return execute_async(*client_->handle_, req::leader(name));
}

std::unique_ptr<Client::Observer> Client::observe(std::string const& name) {
  return client_->observe(name);
}

pplx::task<Response> Client::resign(std::string const& name, int64_t lease_id,
                                    std::string const& key, int64_t revision) {
  return execute_async(*client_->handle_, req::resign(name, lease_id, key, revision));
}

pplx::task<Response> Client::add_member(std::string const& peer_urls, bool is_learner) {
  return execute_async(*client_->handle_, req::member_add(peer_urls, is_learner));
}

pplx::task<Response> Client::list_member() {
  return execute_async(*client_->handle_, req::member_list());
}

pplx::task<Response> Client::remove_member(const uint64_t member_id) {
  return execute_async(*client_->handle_, req::member_remove(member_id));
}

pplx::task<Response> Client::sync_endpoints() {
  return execute_async(*client_->handle_, req::sync_endpoints());
}

std::vector<std::string> Client::endpoints() const { return client_->endpoints(); }

const std::string& Client::current_auth_token() const { return client_->current_auth_token(); }

SyncClient* Client::sync_client() const { return client_.get(); }

std::chrono::microseconds Client::get_grpc_timeout() const { return client_->get_grpc_timeout(); }

}  // namespace etcd
