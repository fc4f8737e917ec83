// The values etcd-cpp-apiv3 programs compare against: error codes, action names and a
// default-constructed Response. Needs no etcd.
#include <gtest/gtest.h>

#include <string>

#include "etcd/Response.hpp"
#include "etcd/v3/action_constants.hpp"

namespace {

TEST(Constants, ErrorCodeConstants) {
  EXPECT_EQ(100, etcd::ERROR_KEY_NOT_FOUND);
  EXPECT_EQ(101, etcd::ERROR_COMPARE_FAILED);
  EXPECT_EQ(105, etcd::ERROR_KEY_ALREADY_EXISTS);
  EXPECT_EQ(106, etcd::ERROR_ACTION_CANCELLED);
  EXPECT_EQ(100, etcdv3::ERROR_KEY_NOT_FOUND);
  EXPECT_EQ(101, etcdv3::ERROR_COMPARE_FAILED);
  EXPECT_EQ(105, etcdv3::ERROR_KEY_ALREADY_EXISTS);
  EXPECT_EQ(106, etcdv3::ERROR_ACTION_CANCELLED);
  const int grpc[] = {
      etcdv3::ERROR_GRPC_OK,
      etcdv3::ERROR_GRPC_CANCELLED,
      etcdv3::ERROR_GRPC_UNKNOWN,
      etcdv3::ERROR_GRPC_INVALID_ARGUMENT,
      etcdv3::ERROR_GRPC_DEADLINE_EXCEEDED,
      etcdv3::ERROR_GRPC_NOT_FOUND,
      etcdv3::ERROR_GRPC_ALREADY_EXISTS,
      etcdv3::ERROR_GRPC_PERMISSION_DENIED,
      etcdv3::ERROR_GRPC_RESOURCE_EXHAUSTED,
      etcdv3::ERROR_GRPC_FAILED_PRECONDITION,
      etcdv3::ERROR_GRPC_ABORTED,
      etcdv3::ERROR_GRPC_OUT_OF_RANGE,
      etcdv3::ERROR_GRPC_UNIMPLEMENTED,
      etcdv3::ERROR_GRPC_INTERNAL,
      etcdv3::ERROR_GRPC_UNAVAILABLE,
      etcdv3::ERROR_GRPC_DATA_LOSS,
      etcdv3::ERROR_GRPC_UNAUTHENTICATED,
  };
  for (int i = 0; i <= 16; ++i) {
    EXPECT_EQ(i, grpc[i]);
  }
}

TEST(Constants, ActionConstants) {
  EXPECT_STREQ("create", etcdv3::CREATE_ACTION);
  EXPECT_STREQ("update", etcdv3::UPDATE_ACTION);
  EXPECT_STREQ("set", etcdv3::SET_ACTION);
  EXPECT_STREQ("get", etcdv3::GET_ACTION);
  EXPECT_STREQ("set", etcdv3::PUT_ACTION);
  EXPECT_STREQ("delete", etcdv3::DELETE_ACTION);
  EXPECT_STREQ("compareAndSwap", etcdv3::COMPARESWAP_ACTION);
  EXPECT_STREQ("compareAndDelete", etcdv3::COMPAREDELETE_ACTION);
  EXPECT_STREQ("lock", etcdv3::LOCK_ACTION);
  EXPECT_STREQ("unlock", etcdv3::UNLOCK_ACTION);
  EXPECT_STREQ("txn", etcdv3::TXN_ACTION);
  EXPECT_STREQ("watch", etcdv3::WATCH_ACTION);
  EXPECT_STREQ("leasegrant", etcdv3::LEASEGRANT);
  EXPECT_STREQ("leaserevoke", etcdv3::LEASEREVOKE);
  EXPECT_STREQ("leasekeepalive", etcdv3::LEASEKEEPALIVE);
  EXPECT_STREQ("leasetimetolive", etcdv3::LEASETIMETOLIVE);
  EXPECT_STREQ("leaseleases", etcdv3::LEASELEASES);
  EXPECT_STREQ("addmember", etcdv3::ADDMEMBER);
  EXPECT_STREQ("listmember", etcdv3::LISTMEMBER);
  EXPECT_STREQ("removemember", etcdv3::REMOVEMEMBER);
  EXPECT_STREQ("campaign", etcdv3::CAMPAIGN_ACTION);
  EXPECT_STREQ("preclaim", etcdv3::PROCLAIM_ACTION);
  EXPECT_STREQ("leader", etcdv3::LEADER_ACTION);
  EXPECT_STREQ("obverse", etcdv3::OBSERVE_ACTION);
  EXPECT_STREQ("resign", etcdv3::RESIGN_ACTION);
  EXPECT_EQ(std::string(1, '\0'), etcdv3::NUL);
}

TEST(Constants, DefaultResponse) {
  etcd::Response r;
  EXPECT_EQ(0, r.error_code());
  EXPECT_TRUE(r.is_ok());
  EXPECT_FALSE(r.is_network_unavailable());
  EXPECT_FALSE(r.is_grpc_timeout());
  EXPECT_EQ("", r.error_message());
  EXPECT_EQ("", r.action());
  EXPECT_EQ(0, r.index());
  EXPECT_TRUE(r.values().empty());
  EXPECT_TRUE(r.keys().empty());
  EXPECT_TRUE(r.events().empty());
  EXPECT_TRUE(r.leases().empty());
  EXPECT_EQ("", r.value().key());
  EXPECT_EQ("", r.prev_value().as_string());
  etcd::Response copy = r;
  EXPECT_TRUE(copy.is_ok());
}

}  // namespace
