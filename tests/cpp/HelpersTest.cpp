// The helpers etcd/SyncClient.hpp declares in etcdv3::detail: the end of a prefix range
// (string_plus_one) and the ETCD_ENDPOINTS override of the default endpoints. Needs no etcd.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "etcd/SyncClient.hpp"

namespace {

TEST(Helpers, StringPlusOne) {
  using etcdv3::detail::string_plus_one;
  EXPECT_EQ("abd", string_plus_one("abc"));
  EXPECT_EQ("/a0", string_plus_one("/a/"));
  EXPECT_EQ("b", string_plus_one("a\xff"));
  EXPECT_EQ("b", string_plus_one("a\xff\xff"));
  EXPECT_EQ(std::string("a\x01", 2), string_plus_one(std::string("a\0", 2)));
  EXPECT_EQ(std::string(1, '\0'), string_plus_one(""));
  EXPECT_EQ(std::string(1, '\0'), string_plus_one("\xff"));
  EXPECT_EQ(std::string(1, '\0'), string_plus_one("\xff\xff"));
  EXPECT_EQ("\xff", string_plus_one("\xfe"));
}

TEST(Helpers, ResolveEtcdEndpoints) {
  const char* saved = std::getenv("ETCD_ENDPOINTS");
  std::string saved_value = saved ? saved : "";
  unsetenv("ETCD_ENDPOINTS");
  EXPECT_EQ("http://127.0.0.1:2379",
            etcdv3::detail::resolve_etcd_endpoints("http://127.0.0.1:2379"));
  setenv("ETCD_ENDPOINTS", "http://127.0.0.1:4001,http://127.0.0.1:4002", 1);
  EXPECT_EQ("http://127.0.0.1:4001,http://127.0.0.1:4002",
            etcdv3::detail::resolve_etcd_endpoints("http://127.0.0.1:2379"));
  if (saved) {
    setenv("ETCD_ENDPOINTS", saved_value.c_str(), 1);
  } else {
    unsetenv("ETCD_ENDPOINTS");
  }
}

}  // namespace
