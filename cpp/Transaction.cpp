// etcdv3::Transaction: a plain value (comparisons and two operation lists) flattened into the
// bridge's TxnData list when it is executed.
#include "etcd/v3/Transaction.hpp"

#include <utility>
#include <vector>

#include "internal.hpp"

namespace etcdv3 {

namespace {

struct CompareSpec {
  std::string key;
  std::string range_end;
  CompareTarget target;
  CompareResult result;
  std::string value;
  int64_t number;
};

// kind: 0 range, 1 put, 2 delete, 3 nested transaction (the bridge's numbering).
struct OpSpec {
  int kind = 0;
  std::string key;
  std::string range_end;
  bool recursive = false;
  std::string value;
  int64_t lease = 0;
  bool prev_kv = false;
  int64_t limit = 0;
  // A private copy taken when the nested transaction was added; never changed afterwards, so
  // copies of the parent may share it.
  std::shared_ptr<Transaction const> nested;
};

OpSpec range_op(std::string const& key, std::string const& range_end, bool recursive,
                int64_t limit) {
  OpSpec op;
  op.kind = 0;
  op.key = key;
  op.range_end = range_end;
  op.recursive = recursive;
  op.limit = limit;
  return op;
}

OpSpec put_op(std::string const& key, std::string const& value, int64_t lease, bool prev_kv) {
  OpSpec op;
  op.kind = 1;
  op.key = key;
  op.value = value;
  op.lease = lease;
  op.prev_kv = prev_kv;
  return op;
}

OpSpec delete_op(std::string const& key, std::string const& range_end, bool recursive,
                 bool prev_kv) {
  OpSpec op;
  op.kind = 2;
  op.key = key;
  op.range_end = range_end;
  op.recursive = recursive;
  op.prev_kv = prev_kv;
  return op;
}

}  // namespace

struct Transaction::Impl {
  std::vector<CompareSpec> compares;
  std::vector<OpSpec> success;
  std::vector<OpSpec> failure;

  void compare(std::string const& key, CompareTarget target, CompareResult result,
               std::string const& value, int64_t number, std::string const& range_end) {
    CompareSpec c;
    c.key = key;
    c.range_end = range_end;
    c.target = target;
    c.result = result;
    c.value = value;
    c.number = number;
    compares.push_back(std::move(c));
  }

  static void nested(std::vector<OpSpec>& ops, std::shared_ptr<Transaction> const& txn) {
    if (!txn) return;
    OpSpec op;
    op.kind = 3;
    op.nested = std::make_shared<Transaction const>(*txn);
    ops.push_back(std::move(op));
  }
};

// A moved-from transaction has no Impl; it behaves as an empty one and gets a new Impl when it
// is changed again.
Transaction::Transaction() : impl_(new Impl()) {}

Transaction::Transaction(Transaction const& other)
    : impl_(other.impl_ ? new Impl(*other.impl_) : new Impl()) {}

Transaction::Transaction(Transaction&& other) noexcept : impl_(std::move(other.impl_)) {}

Transaction& Transaction::operator=(Transaction const& other) {
  if (this != &other) {
    impl_.reset(other.impl_ ? new Impl(*other.impl_) : new Impl());
  }
  return *this;
}

Transaction& Transaction::operator=(Transaction&& other) noexcept {
  impl_ = std::move(other.impl_);
  return *this;
}

Transaction::~Transaction() {}

Transaction::Impl& Transaction::mutable_impl() {
  if (!impl_) impl_.reset(new Impl());
  return *impl_;
}

void Transaction::add_compare(std::string const& key, CompareTarget const& target,
                              CompareResult const& result, Value const& target_value,
                              std::string const& range_end) {
  switch (target) {
    case CompareTarget::VERSION:
      add_compare_version(key, result, target_value.version, range_end);
      break;
    case CompareTarget::CREATE:
      add_compare_create(key, result, target_value.create_revision, range_end);
      break;
    case CompareTarget::MOD:
      add_compare_mod(key, result, target_value.mod_revision, range_end);
      break;
    case CompareTarget::VALUE:
      add_compare_value(key, result, target_value.value, range_end);
      break;
    case CompareTarget::LEASE:
      add_compare_lease(key, result, target_value.lease, range_end);
      break;
  }
}

void Transaction::add_compare_version(std::string const& key, int64_t const& version,
                                      std::string const& range_end) {
  add_compare_version(key, CompareResult::EQUAL, version, range_end);
}

void Transaction::add_compare_version(std::string const& key, CompareResult const& result,
                                      int64_t const& version, std::string const& range_end) {
  mutable_impl().compare(key, CompareTarget::VERSION, result, std::string(), version, range_end);
}

void Transaction::add_compare_create(std::string const& key, int64_t const& create_revision,
                                     std::string const& range_end) {
  add_compare_create(key, CompareResult::EQUAL, create_revision, range_end);
}

void Transaction::add_compare_create(std::string const& key, CompareResult const& result,
                                     int64_t const& create_revision, std::string const& range_end) {
  mutable_impl().compare(key, CompareTarget::CREATE, result, std::string(), create_revision,
                         range_end);
}

void Transaction::add_compare_mod(std::string const& key, int64_t const& mod_revision,
                                  std::string const& range_end) {
  add_compare_mod(key, CompareResult::EQUAL, mod_revision, range_end);
}

void Transaction::add_compare_mod(std::string const& key, CompareResult const& result,
                                  int64_t const& mod_revision, std::string const& range_end) {
  mutable_impl().compare(key, CompareTarget::MOD, result, std::string(), mod_revision, range_end);
}

void Transaction::add_compare_value(std::string const& key, std::string const& value,
                                    std::string const& range_end) {
  add_compare_value(key, CompareResult::EQUAL, value, range_end);
}

void Transaction::add_compare_value(std::string const& key, CompareResult const& result,
                                    std::string const& value, std::string const& range_end) {
  mutable_impl().compare(key, CompareTarget::VALUE, result, value, 0, range_end);
}

void Transaction::add_compare_lease(std::string const& key, int64_t const& lease,
                                    std::string const& range_end) {
  add_compare_lease(key, CompareResult::EQUAL, lease, range_end);
}

void Transaction::add_compare_lease(std::string const& key, CompareResult const& result,
                                    int64_t const& lease, std::string const& range_end) {
  mutable_impl().compare(key, CompareTarget::LEASE, result, std::string(), lease, range_end);
}

void Transaction::add_success_range(std::string const& key, std::string const& range_end,
                                    bool const recursive, const int64_t limit) {
  mutable_impl().success.push_back(range_op(key, range_end, recursive, limit));
}

void Transaction::add_success_put(std::string const& key, std::string const& value,
                                  int64_t const leaseid, const bool prev_kv) {
  mutable_impl().success.push_back(put_op(key, value, leaseid, prev_kv));
}

void Transaction::add_success_delete(std::string const& key, std::string const& range_end,
                                     bool const recursive, const bool prev_kv) {
  mutable_impl().success.push_back(delete_op(key, range_end, recursive, prev_kv));
}

void Transaction::add_success_txn(const std::shared_ptr<Transaction> txn) {
  Impl::nested(mutable_impl().success, txn);
}

void Transaction::add_failure_range(std::string const& key, std::string const& range_end,
                                    bool const recursive, const int64_t limit) {
  mutable_impl().failure.push_back(range_op(key, range_end, recursive, limit));
}

void Transaction::add_failure_put(std::string const& key, std::string const& value,
                                  int64_t const leaseid, const bool prev_kv) {
  mutable_impl().failure.push_back(put_op(key, value, leaseid, prev_kv));
}

void Transaction::add_failure_delete(std::string const& key, std::string const& range_end,
                                     bool const recursive, const bool prev_kv) {
  mutable_impl().failure.push_back(delete_op(key, range_end, recursive, prev_kv));
}

void Transaction::add_failure_txn(const std::shared_ptr<Transaction> txn) {
  Impl::nested(mutable_impl().failure, txn);
}

// The helpers below follow etcd-cpp-apiv3: the compare, one success operation (puts without
// prev_kv, deletes with it), and a read of `key` as the failure branch.

void Transaction::setup_compare_and_create(std::string const& key, std::string const& prev_value,
                                           std::string const& create_key, std::string const& value,
                                           int64_t const leaseid) {
  add_compare_value(key, CompareResult::EQUAL, prev_value);
  add_success_put(create_key, value, leaseid);
  add_failure_range(key);
}

void Transaction::setup_compare_or_create(std::string const& key, std::string const& prev_value,
                                          std::string const& create_key, std::string const& value,
                                          int64_t const leaseid) {
  add_compare_value(key, CompareResult::NOT_EQUAL, prev_value);
  add_success_put(create_key, value, leaseid);
  add_failure_range(key);
}

void Transaction::setup_compare_and_swap(std::string const& key, std::string const& prev_value,
                                         std::string const& value, int64_t const leaseid) {
  add_compare_value(key, CompareResult::EQUAL, prev_value);
  add_success_put(key, value, leaseid);
  add_failure_range(key);
}

void Transaction::setup_compare_or_swap(std::string const& key, std::string const& prev_value,
                                        std::string const& value, int64_t const leaseid) {
  add_compare_value(key, CompareResult::NOT_EQUAL, prev_value);
  add_success_put(key, value, leaseid);
  add_failure_range(key);
}

void Transaction::setup_compare_and_delete(std::string const& key, std::string const& prev_value,
                                           std::string const& delete_key,
                                           std::string const& range_end, const bool recursive) {
  add_compare_value(key, CompareResult::EQUAL, prev_value);
  add_success_delete(delete_key, range_end, recursive, true);
  add_failure_range(key);
}

void Transaction::setup_compare_or_delete(std::string const& key, std::string const& prev_value,
                                          std::string const& delete_key,
                                          std::string const& range_end, const bool recursive) {
  add_compare_value(key, CompareResult::NOT_EQUAL, prev_value);
  add_success_delete(delete_key, range_end, recursive, true);
  add_failure_range(key);
}

void Transaction::setup_compare_and_create(std::string const& key, const int64_t prev_revision,
                                           std::string const& create_key, std::string const& value,
                                           int64_t const leaseid) {
  add_compare_mod(key, CompareResult::EQUAL, prev_revision);
  add_success_put(create_key, value, leaseid);
  add_failure_range(key);
}

void Transaction::setup_compare_or_create(std::string const& key, const int64_t prev_revision,
                                          std::string const& create_key, std::string const& value,
                                          int64_t const leaseid) {
  add_compare_mod(key, CompareResult::NOT_EQUAL, prev_revision);
  add_success_put(create_key, value, leaseid);
  add_failure_range(key);
}

void Transaction::setup_compare_and_swap(std::string const& key, const int64_t prev_revision,
                                         std::string const& value, int64_t const leaseid) {
  add_compare_mod(key, CompareResult::EQUAL, prev_revision);
  add_success_put(key, value, leaseid);
  add_failure_range(key);
}

void Transaction::setup_compare_or_swap(std::string const& key, const int64_t prev_revision,
                                        std::string const& value, int64_t const leaseid) {
  add_compare_mod(key, CompareResult::NOT_EQUAL, prev_revision);
  add_success_put(key, value, leaseid);
  add_failure_range(key);
}

void Transaction::setup_compare_and_delete(std::string const& key, const int64_t prev_revision,
                                           std::string const& delete_key,
                                           std::string const& range_end, const bool recursive) {
  add_compare_mod(key, CompareResult::EQUAL, prev_revision);
  add_success_delete(delete_key, range_end, recursive, true);
  add_failure_range(key);
}

void Transaction::setup_compare_or_delete(std::string const& key, const int64_t prev_revision,
                                          std::string const& delete_key,
                                          std::string const& range_end, const bool recursive) {
  add_compare_mod(key, CompareResult::NOT_EQUAL, prev_revision);
  add_success_delete(delete_key, range_end, recursive, true);
  add_failure_range(key);
}

void Transaction::setup_put(std::string const& key, std::string const& value) {
  add_success_put(key, value);
}

void Transaction::setup_delete(std::string const& key) { add_success_delete(key, "", false, true); }

void Transaction::setup_delete(std::string const& key, std::string const& range_end,
                               const bool recursive) {
  add_success_delete(key, range_end, recursive, true);
}

}  // namespace etcdv3

// ------------------------------------------------------------------------------------------------
// Flattening for the bridge: transaction 0 is the outermost one; a nested transaction always gets
// a larger index than the one containing it.
// ------------------------------------------------------------------------------------------------

namespace etcd {
namespace detail {

namespace {

ffi::TxnOpData op_data(etcdv3::OpSpec const& op) {
  ffi::TxnOpData d;
  d.kind = op.kind;
  d.key = to_bytes(op.key);
  d.range_end = to_bytes(op.range_end);
  d.recursive = op.recursive;
  d.value = to_bytes(op.value);
  d.lease = op.lease;
  d.prev_kv = op.prev_kv;
  d.limit = op.limit;
  d.txn_index = 0;
  return d;
}

}  // namespace

std::size_t TransactionAccess::flatten(etcdv3::Transaction const& txn,
                                       rust::Vec<ffi::TxnData>& out) {
  std::size_t const index = out.size();
  out.push_back(ffi::TxnData());
  ffi::TxnData data;
  if (txn.impl_) {
    etcdv3::Transaction::Impl const& impl = *txn.impl_;
    for (etcdv3::CompareSpec const& c : impl.compares) {
      ffi::TxnCompareData d;
      d.key = to_bytes(c.key);
      d.range_end = to_bytes(c.range_end);
      d.target = static_cast<std::int32_t>(c.target);
      d.result = static_cast<std::int32_t>(c.result);
      d.value = to_bytes(c.value);
      d.number = c.number;
      data.compares.push_back(std::move(d));
    }
    auto branch = [&out](std::vector<etcdv3::OpSpec> const& ops, rust::Vec<ffi::TxnOpData>& to) {
      for (etcdv3::OpSpec const& op : ops) {
        ffi::TxnOpData d = op_data(op);
        if (op.kind == 3) d.txn_index = flatten(*op.nested, out);
        to.push_back(std::move(d));
      }
    };
    branch(impl.success, data.success);
    branch(impl.failure, data.failure);
  }
  out[index] = std::move(data);
  return index;
}

}  // namespace detail
}  // namespace etcd
