/**
 * \file etcd/v3/Transaction.hpp
 * \brief `etcdv3::Transaction`, an etcd transaction for `etcd::SyncClient::txn` and
 * `etcd::Client::txn`.
 */
#ifndef ETCD_V3_TRANSACTION_HPP
#define ETCD_V3_TRANSACTION_HPP

#include <cstdint>
#include <memory>
#include <string>

namespace etcd {
namespace detail {
struct TransactionAccess;
}  // namespace detail
}  // namespace etcd

namespace etcdv3 {

/// How a comparison compares (the values are those of etcd's protocol).
enum class CompareResult {
  EQUAL = 0,
  GREATER = 1,
  LESS = 2,
  NOT_EQUAL = 3,
};

/// What a comparison looks at (the values are those of etcd's protocol).
enum class CompareTarget {
  VERSION = 0,
  CREATE = 1,
  MOD = 2,
  VALUE = 3,
  LEASE = 4,
};

/**
 * An etcd transaction: comparisons, the operations run when all of them hold (the success
 * branch) and the operations run otherwise (the failure branch), executed atomically by
 * `txn()`.
 *
 * The response of `txn()` has action "txn"; `values()` holds, in order, the key-value pairs read
 * by the range operations and deleted by the delete operations of the branch that ran;
 * `prev_value()` is the first previous pair reported by a put (empty unless `prev_kv` was asked
 * for) or delete. When the comparisons fail, the code is 101 ("etcd-cpp-apiv3: compare failed")
 * and the failure branch's results are still there: after a failed `setup_compare_and_swap`,
 * `value()` is the key's current value.
 *
 * @code
 * etcdv3::Transaction txn;
 * txn.setup_compare_and_swap("/counter", "41", "42");
 * etcd::Response r = client.txn(txn);
 * if (r.error_code() == etcd::ERROR_COMPARE_FAILED) std::cout << r.value().as_string();
 * @endcode
 *
 * A `Transaction` is a value: a copy is independent of the original (in etcd-cpp-apiv3, copies
 * shared one request, so changing a copy changed the original too). Several threads may run the
 * same transaction at once (`txn()` only reads it); changing a transaction while another thread
 * uses it needs the caller's own locking, as for any standard container.
 *
 * Ranges: with `recursive`, an operation covers every key starting with `key` ("" = all keys);
 * a non-empty `range_end` makes it cover [key, range_end) instead. etcd-cpp-apiv3's public
 * `txn_request` member (a protobuf message) does not exist here.
 */
class Transaction {
 public:
  /// The compared quantity of `add_compare`: the member matching the target is used.
  /// (etcd-cpp-apiv3 declared this as a union holding a `std::string`, which could not be
  /// constructed; here it is a plain struct.)
  struct Value {
    std::int64_t version = 0;
    std::int64_t create_revision = 0;
    std::int64_t mod_revision = 0;
    std::string value;
    std::int64_t lease = 0;
  };

  /// An empty transaction (no comparisons, so the success branch runs).
  Transaction();
  Transaction(Transaction const& other);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction const& other);
  Transaction& operator=(Transaction&& other) noexcept;
  ~Transaction();

  /// Adds a comparison of `target` with the matching member of `target_value`.
  void add_compare(std::string const& key, CompareTarget const& target, CompareResult const& result,
                   Value const& target_value, std::string const& range_end = "");

  /// Compares the version (number of changes since creation; 0 if absent) for equality.
  void add_compare_version(std::string const& key, int64_t const& version,
                           std::string const& range_end = "");
  /// Compares the version.
  void add_compare_version(std::string const& key, CompareResult const& result,
                           int64_t const& version, std::string const& range_end = "");

  /// Compares the creation revision for equality.
  void add_compare_create(std::string const& key, int64_t const& create_revision,
                          std::string const& range_end = "");
  /// Compares the creation revision.
  void add_compare_create(std::string const& key, CompareResult const& result,
                          int64_t const& create_revision, std::string const& range_end = "");

  /// Compares the modification revision for equality (0 means "the key does not exist").
  void add_compare_mod(std::string const& key, int64_t const& mod_revision,
                       std::string const& range_end = "");
  /// Compares the modification revision.
  void add_compare_mod(std::string const& key, CompareResult const& result,
                       int64_t const& mod_revision, std::string const& range_end = "");

  /// Compares the value for equality.
  void add_compare_value(std::string const& key, std::string const& value,
                         std::string const& range_end = "");
  /// Compares the value (bytes, lexicographically).
  void add_compare_value(std::string const& key, CompareResult const& result,
                         std::string const& value, std::string const& range_end = "");

  /// Compares the attached lease for equality (0: no lease).
  void add_compare_lease(std::string const& key, int64_t const& lease,
                         std::string const& range_end = "");
  /// Compares the attached lease.
  void add_compare_lease(std::string const& key, CompareResult const& result, int64_t const& lease,
                         std::string const& range_end = "");

  /// Success branch: reads a key or range (`limit` 0: all).
  void add_success_range(std::string const& key, std::string const& range_end = "",
                         bool const recursive = false, const int64_t limit = 0);
  /// Success branch: writes a key (with `prev_kv`, the previous pair is reported).
  void add_success_put(std::string const& key, std::string const& value, int64_t const leaseid = 0,
                       const bool prev_kv = false);
  /// Success branch: deletes a key or range (with `prev_kv`, the deleted pairs are reported).
  void add_success_delete(std::string const& key, std::string const& range_end = "",
                          bool const recursive = false, const bool prev_kv = false);
  /// Success branch: runs a copy of `txn` (taken now) as a nested transaction; its results are
  /// not reported. A null pointer adds nothing.
  void add_success_txn(const std::shared_ptr<Transaction> txn);

  /// Failure branch: reads a key or range (`limit` 0: all).
  void add_failure_range(std::string const& key, std::string const& range_end = "",
                         bool const recursive = false, const int64_t limit = 0);
  /// Failure branch: writes a key.
  void add_failure_put(std::string const& key, std::string const& value, int64_t const leaseid = 0,
                       const bool prev_kv = false);
  /// Failure branch: deletes a key or range.
  void add_failure_delete(std::string const& key, std::string const& range_end = "",
                          bool const recursive = false, const bool prev_kv = false);
  /// Failure branch: runs a copy of `txn` (taken now) as a nested transaction.
  void add_failure_txn(const std::shared_ptr<Transaction> txn);

  /// If `key`'s value is `prev_value`, writes `value` to `create_key`; otherwise reads `key`.
  void setup_compare_and_create(std::string const& key, std::string const& prev_value,
                                std::string const& create_key, std::string const& value,
                                int64_t const leaseid = 0);

  /// If `key`'s value is not `prev_value`, writes `value` to `create_key`; otherwise reads `key`.
  void setup_compare_or_create(std::string const& key, std::string const& prev_value,
                               std::string const& create_key, std::string const& value,
                               int64_t const leaseid = 0);

  /// If `key`'s value is `prev_value`, replaces it with `value`; otherwise reads `key` (so a
  /// failed swap reports the current value).
  void setup_compare_and_swap(std::string const& key, std::string const& prev_value,
                              std::string const& value, int64_t const leaseid = 0);

  /// If `key`'s value is not `prev_value`, replaces it with `value`; otherwise reads `key`.
  void setup_compare_or_swap(std::string const& key, std::string const& prev_value,
                             std::string const& value, int64_t const leaseid = 0);

  /// If `key`'s value is `prev_value`, deletes `delete_key` (or its range) reporting the deleted
  /// pairs; otherwise reads `key`.
  void setup_compare_and_delete(std::string const& key, std::string const& prev_value,
                                std::string const& delete_key, std::string const& range_end = "",
                                const bool recursive = false);

  /// If `key`'s value is not `prev_value`, deletes `delete_key`; otherwise reads `key`.
  void setup_compare_or_delete(std::string const& key, std::string const& prev_value,
                               std::string const& delete_key, std::string const& range_end = "",
                               const bool recursive = false);

  /// Like `setup_compare_and_create`, comparing `key`'s modification revision with
  /// `prev_revision`.
  void setup_compare_and_create(std::string const& key, const int64_t prev_revision,
                                std::string const& create_key, std::string const& value,
                                int64_t const leaseid = 0);

  /// Like `setup_compare_or_create`, comparing the modification revision.
  void setup_compare_or_create(std::string const& key, const int64_t prev_revision,
                               std::string const& create_key, std::string const& value,
                               int64_t const leaseid = 0);

  /// Like `setup_compare_and_swap`, comparing the modification revision.
  void setup_compare_and_swap(std::string const& key, const int64_t prev_revision,
                              std::string const& value, int64_t const leaseid = 0);

  /// Like `setup_compare_or_swap`, comparing the modification revision.
  void setup_compare_or_swap(std::string const& key, const int64_t prev_revision,
                             std::string const& value, int64_t const leaseid = 0);

  /// Like `setup_compare_and_delete`, comparing the modification revision.
  void setup_compare_and_delete(std::string const& key, const int64_t prev_revision,
                                std::string const& delete_key, std::string const& range_end = "",
                                const bool recursive = false);

  /// Like `setup_compare_or_delete`, comparing the modification revision.
  void setup_compare_or_delete(std::string const& key, const int64_t prev_revision,
                               std::string const& delete_key, std::string const& range_end = "",
                               const bool recursive = false);

  /// Success branch: writes a key (without reporting the previous pair).
  void setup_put(std::string const& key, std::string const& value);

  /// Success branch: deletes a key, reporting the deleted pair.
  void setup_delete(std::string const& key);

  /// Success branch: deletes a key or range, reporting the deleted pairs.
  void setup_delete(std::string const& key, std::string const& range_end,
                    const bool recursive = false);

 private:
  struct Impl;
  Impl& mutable_impl();
  std::unique_ptr<Impl> impl_;

  friend struct etcd::detail::TransactionAccess;
};

}  // namespace etcdv3

#endif  // ETCD_V3_TRANSACTION_HPP
