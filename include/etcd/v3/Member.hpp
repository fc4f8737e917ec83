/**
 * \file etcd/v3/Member.hpp
 * \brief `etcdv3::Member`, one member of an etcd cluster (`etcd::Response::members()`).
 *
 * Like etcd-cpp-apiv3, this header puts `using namespace std;` at global scope, and existing code
 * relies on it. Define `ETCD_CPP_RS_NO_USING_NAMESPACE_STD` before including any etcd header to
 * leave it out.
 */
#ifndef ETCD_V3_MEMBER_HPP
#define ETCD_V3_MEMBER_HPP

#include <cstdint>
#include <string>
#include <vector>

#ifndef ETCD_CPP_RS_NO_USING_NAMESPACE_STD
using namespace std;
#endif

namespace etcdv3 {

/// One member of an etcd cluster.
class Member {
 public:
  /// An empty member (id 0, not a learner).
  Member();

  /// Sets the member id.
  void set_id(std::uint64_t const& id);
  /// The member id.
  std::uint64_t const& get_id() const;
  /// Sets the member name.
  void set_name(std::string const& name);
  /// The member name (empty for a member that has not started yet).
  std::string const& get_name() const;
  /// Sets the peer URLs.
  void set_peerURLs(std::vector<std::string> const& peerURLs);
  /// The URLs the member listens on for its peers.
  std::vector<std::string> const& get_peerURLs() const;
  /// Sets the client URLs.
  void set_clientURLs(std::vector<std::string> const& clientURLs);
  /// The URLs the member serves clients on.
  std::vector<std::string> const& get_clientURLs() const;
  /// Sets whether the member is a learner.
  void set_learner(bool isLearner);
  /// True if the member is a learner (non-voting).
  bool get_learner() const;

 private:
  std::uint64_t id;
  std::string name;
  std::vector<std::string> peerURLs;
  std::vector<std::string> clientURLs;
  bool isLearner;
};

}  // namespace etcdv3

#endif  // ETCD_V3_MEMBER_HPP
