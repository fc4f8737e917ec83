// etcd/Maintenance.hpp: requests for the core's maintenance operations (an extension).
#include "etcd/Maintenance.hpp"

#include <exception>
#include <memory>
#include <utility>

#include "internal.hpp"

namespace etcd {
namespace maintenance {

namespace {

detail::request::Request request(ffi::Op op, std::string const& endpoint) {
  detail::request::Request r = detail::request::make(op);
  r->set_endpoint(detail::as_slice(endpoint));
  return r;
}

detail::request::Request compact_request(int64_t revision, bool physical) {
  detail::request::Request r = detail::request::make(ffi::Op::Compact);
  r->set_revision(revision);
  r->set_physical(physical);
  return r;
}

MemberStatus to_status(ffi::ResponseData const& data) {
  MemberStatus s;
  s.error_code = data.error_code;
  s.error_message = detail::to_string(data.error_message);
  ffi::StatusData const& d = data.status;
  s.endpoint = detail::to_string(d.endpoint);
  s.version = detail::to_string(d.version);
  s.db_size = d.db_size;
  s.db_size_in_use = d.db_size_in_use;
  s.leader = d.leader;
  s.member_id = d.member_id;
  s.cluster_id = d.cluster_id;
  s.raft_index = d.raft_index;
  s.raft_term = d.raft_term;
  s.raft_applied_index = d.raft_applied_index;
  s.is_learner = d.is_learner;
  for (auto const& e : d.errors) s.errors.push_back(detail::to_string(e));
  return s;
}

// Completes a task with `convert(answer)` right on the runtime thread that got the answer.
template <class T, class Convert>
pplx::task<T> execute_async(Client& client, detail::request::Request request, Convert convert) {
  pplx::task_completion_event<T> done;
  std::unique_ptr<ffi::ResponseSink> sink(
      new ffi::ResponseSink([done, convert](ffi::ResponseData const& data) {
        try {
          done.set(convert(data));
        } catch (...) {
          done.set_exception(std::current_exception());
        }
      }));
  ffi::client_execute_completing(*detail::HandleAccess::of(client)->client, std::move(request),
                                 std::move(sink));
  return pplx::task<T>(done);
}

Response to_response(ffi::ResponseData const& data) { return detail::to_response(data); }

}  // namespace

MemberStatus status(SyncClient& client, std::string const& endpoint) {
  return to_status(ffi::client_execute(*detail::HandleAccess::of(client)->client,
                                       request(ffi::Op::Status, endpoint)));
}

pplx::task<MemberStatus> status(Client& client, std::string const& endpoint) {
  return execute_async<MemberStatus>(client, request(ffi::Op::Status, endpoint), to_status);
}

Response compact(SyncClient& client, int64_t revision, bool physical) {
  return detail::execute(*detail::HandleAccess::of(client), compact_request(revision, physical));
}

pplx::task<Response> compact(Client& client, int64_t revision, bool physical) {
  return execute_async<Response>(client, compact_request(revision, physical), to_response);
}

Response defragment(SyncClient& client, std::string const& endpoint) {
  return detail::execute(*detail::HandleAccess::of(client), request(ffi::Op::Defragment, endpoint));
}

pplx::task<Response> defragment(Client& client, std::string const& endpoint) {
  return execute_async<Response>(client, request(ffi::Op::Defragment, endpoint), to_response);
}

}  // namespace maintenance
}  // namespace etcd
