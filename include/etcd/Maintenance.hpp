/**
 * \file etcd/Maintenance.hpp
 * \brief Maintenance operations: the status of a member, compaction, defragmentation.
 *
 * An extension of etcd-cpp-rs: etcd-cpp-apiv3 has no such API, so code using it does not
 * build against etcd-cpp-apiv3. Failures are reported in the results (`error_code()`,
 * `error_message()`), never as exceptions, like every other operation.
 */
#ifndef ETCD_MAINTENANCE_HPP
#define ETCD_MAINTENANCE_HPP

#include <cstdint>
#include <string>
#include <vector>

#include "etcd/Client.hpp"
#include "etcd/Response.hpp"
#include "etcd/SyncClient.hpp"
#include "pplx/pplxtasks.h"

namespace etcd {
namespace maintenance {

/// The status of one etcd member (etcd's `StatusResponse`).
struct MemberStatus {
  /// 0 on success, else a gRPC status code (14: the member could not be reached; 3: the
  /// endpoint is not one of the client's).
  int error_code = 0;
  std::string error_message;
  /// The endpoint (host:port) that answered.
  std::string endpoint;
  /// etcd's version, e.g. "3.4.30".
  std::string version;
  /// Size of the database file, and the part of it in use, in bytes.
  int64_t db_size = 0;
  int64_t db_size_in_use = 0;
  /// Member id of the cluster's leader (0 while there is none).
  uint64_t leader = 0;
  uint64_t member_id = 0;
  uint64_t cluster_id = 0;
  uint64_t raft_index = 0;
  uint64_t raft_term = 0;
  uint64_t raft_applied_index = 0;
  bool is_learner = false;
  /// Alarms and errors the member reports (e.g. "NOSPACE").
  std::vector<std::string> errors;

  bool is_ok() const { return error_code == 0; }
};

/// The status of the member at `endpoint`, one of the client's endpoints (`host:port`, with or
/// without `http://`); empty: any endpoint that answers.
MemberStatus status(SyncClient& client, std::string const& endpoint = std::string());
/// `status` without blocking.
pplx::task<MemberStatus> status(Client& client, std::string const& endpoint = std::string());

/// Compacts the key history up to `revision`: older revisions can no longer be read or watched
/// (error 11). With `physical`, returns once they are removed from the database. Action
/// "compact"; a revision already compacted or in the future gives error 11.
Response compact(SyncClient& client, int64_t revision, bool physical = false);
/// `compact` without blocking.
pplx::task<Response> compact(Client& client, int64_t revision, bool physical = false);

/// Defragments the database of the member at `endpoint` (empty: any that answers), returning
/// its free space to the file system; the member serves nothing else meanwhile. Action
/// "defragment".
Response defragment(SyncClient& client, std::string const& endpoint = std::string());
/// `defragment` without blocking.
pplx::task<Response> defragment(Client& client, std::string const& endpoint = std::string());

}  // namespace maintenance
}  // namespace etcd

#endif
