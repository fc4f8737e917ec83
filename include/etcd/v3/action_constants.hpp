/**
 * \file etcd/v3/action_constants.hpp
 * \brief Action names reported by `etcd::Response::action()` and the error codes reported by
 * `etcd::Response::error_code()`.
 *
 * The action names and internal tag strings are `extern` objects defined in the library, as in
 * etcd-cpp-apiv3. The error codes are `constexpr int` here (the original declared them `extern
 * const int`), so they can also be used in constant expressions such as `case` labels.
 */
#ifndef ETCD_V3_ACTION_CONSTANTS_HPP
#define ETCD_V3_ACTION_CONSTANTS_HPP

#include <string>

namespace etcdv3 {

// Action names (`etcd::Response::action()`).
extern char const* CREATE_ACTION;         ///< "create": `add`, or a watch event creating a key.
extern char const* UPDATE_ACTION;         ///< "update": `modify`.
extern char const* SET_ACTION;            ///< "set": `set`/`put`, or a watch event updating a key.
extern char const* GET_ACTION;            ///< "get": `head`, `get`, `ls`, `keys`.
extern char const* PUT_ACTION;            ///< "set": alias of SET_ACTION.
extern char const* DELETE_ACTION;         ///< "delete": `rm`, `rmdir`, or a delete watch event.
extern char const* COMPARESWAP_ACTION;    ///< "compareAndSwap": `modify_if`.
extern char const* COMPAREDELETE_ACTION;  ///< "compareAndDelete": `rm_if`.
extern char const* LOCK_ACTION;           ///< "lock".
extern char const* UNLOCK_ACTION;         ///< "unlock".
extern char const* TXN_ACTION;            ///< "txn".
extern char const* WATCH_ACTION;          ///< "watch".
extern char const* LEASEGRANT;            ///< "leasegrant".
extern char const* LEASEREVOKE;           ///< "leaserevoke".
extern char const* LEASEKEEPALIVE;        ///< "leasekeepalive".
extern char const* LEASETIMETOLIVE;       ///< "leasetimetolive".
extern char const* LEASELEASES;           ///< "leaseleases".
extern char const* ADDMEMBER;             ///< "addmember".
extern char const* LISTMEMBER;            ///< "listmember".
extern char const* REMOVEMEMBER;          ///< "removemember".
extern char const* CAMPAIGN_ACTION;       ///< "campaign".
extern char const* PROCLAIM_ACTION;       ///< "preclaim" (spelled as in etcd-cpp-apiv3).
extern char const* LEADER_ACTION;         ///< "leader".
extern char const* OBSERVE_ACTION;        ///< "obverse" (spelled as in etcd-cpp-apiv3).
extern char const* RESIGN_ACTION;         ///< "resign".

/// A string holding one NUL byte: the range end meaning "every key" in etcd.
extern std::string const NUL;

// Internal stream tags of etcd-cpp-apiv3, kept for source compatibility only.
extern char const* KEEPALIVE_CREATE;         ///< "keepalive create".
extern char const* KEEPALIVE_WRITE;          ///< "keepalive write".
extern char const* KEEPALIVE_READ;           ///< "keepalive read".
extern char const* KEEPALIVE_DONE;           ///< "keepalive done".
extern char const* KEEPALIVE_FINISH;         ///< "keepalive finish".
extern char const* WATCH_CREATE;             ///< "watch create".
extern char const* WATCH_WRITE;              ///< "watch write".
extern char const* WATCH_WRITE_CANCEL;       ///< "watch write cancel".
extern char const* WATCH_WRITES_DONE;        ///< "watch writes done".
extern char const* WATCH_FINISH;             ///< "watch finish".
extern char const* ELECTION_OBSERVE_CREATE;  ///< "observe create".
extern char const* ELECTION_OBSERVE_FINISH;  ///< "observe finish".

// gRPC status codes, passed through unchanged in `etcd::Response::error_code()`.
constexpr int ERROR_GRPC_OK = 0;                   ///< Success.
constexpr int ERROR_GRPC_CANCELLED = 1;            ///< Cancelled.
constexpr int ERROR_GRPC_UNKNOWN = 2;              ///< Unknown.
constexpr int ERROR_GRPC_INVALID_ARGUMENT = 3;     ///< Invalid argument.
constexpr int ERROR_GRPC_DEADLINE_EXCEEDED = 4;    ///< Deadline exceeded ("gRPC timeout").
constexpr int ERROR_GRPC_NOT_FOUND = 5;            ///< Not found (e.g. unknown lease).
constexpr int ERROR_GRPC_ALREADY_EXISTS = 6;       ///< Already exists.
constexpr int ERROR_GRPC_PERMISSION_DENIED = 7;    ///< Permission denied.
constexpr int ERROR_GRPC_RESOURCE_EXHAUSTED = 8;   ///< Resource exhausted.
constexpr int ERROR_GRPC_FAILED_PRECONDITION = 9;  ///< Failed precondition.
constexpr int ERROR_GRPC_ABORTED = 10;             ///< Aborted.
constexpr int ERROR_GRPC_OUT_OF_RANGE = 11;        ///< Out of range (compacted/future revision).
constexpr int ERROR_GRPC_UNIMPLEMENTED = 12;       ///< Unimplemented.
constexpr int ERROR_GRPC_INTERNAL = 13;            ///< Internal.
constexpr int ERROR_GRPC_UNAVAILABLE = 14;         ///< Unavailable (network).
constexpr int ERROR_GRPC_DATA_LOSS = 15;           ///< Data loss.
constexpr int ERROR_GRPC_UNAUTHENTICATED = 16;     ///< Unauthenticated.

// Library error codes.
constexpr int ERROR_KEY_NOT_FOUND = 100;       ///< "etcd-cpp-apiv3: key not found".
constexpr int ERROR_COMPARE_FAILED = 101;      ///< "etcd-cpp-apiv3: compare failed".
constexpr int ERROR_KEY_ALREADY_EXISTS = 105;  ///< "etcd-cpp-apiv3: key already exists".
constexpr int ERROR_ACTION_CANCELLED = 106;    ///< Defined for compatibility; never reported.

}  // namespace etcdv3

namespace etcd {
using etcdv3::ERROR_ACTION_CANCELLED;
using etcdv3::ERROR_COMPARE_FAILED;
using etcdv3::ERROR_KEY_ALREADY_EXISTS;
using etcdv3::ERROR_KEY_NOT_FOUND;
}  // namespace etcd

#endif  // ETCD_V3_ACTION_CONSTANTS_HPP
