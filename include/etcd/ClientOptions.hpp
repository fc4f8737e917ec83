/**
 * \file etcd/ClientOptions.hpp
 * \brief `etcd::ClientOptions`, the connection settings accepted by every client constructor.
 *
 * etcd-cpp-apiv3 takes connection settings as `grpc::ChannelArguments`, a gRPC type. This library
 * has no gRPC dependency, so the settings that matter to an etcd client are plain fields here:
 * keep-alive pings, message size limits, connect and request timeouts, load balancing, TLS and
 * password authentication. Unlike etcd-cpp-apiv3, TLS and a user/password can be used together.
 *
 * @code
 * etcd::ClientOptions options;
 * options.connect_timeout = std::chrono::seconds(2);
 * options.request_timeout = std::chrono::seconds(5);
 * options.with_tls("ca.pem", "client.pem", "client-key.pem", "etcd.example")
 *        .with_user("root", "secret");
 * etcd::SyncClient client("https://10.0.0.1:2379,https://10.0.0.2:2379", options);
 * @endcode
 */
#ifndef ETCD_CLIENT_OPTIONS_HPP
#define ETCD_CLIENT_OPTIONS_HPP

#include <chrono>
#include <cstdint>
#include <string>

namespace etcd {

/**
 * Connection settings. A default-constructed value gives the same client as
 * `SyncClient(url)`: plain HTTP/2, no credentials, round-robin load balancing, no request timeout.
 * Durations of zero (and sizes of zero) mean "the library default".
 */
struct ClientOptions {
  /// Interval of HTTP/2 keep-alive pings (0: 6 s). etcd refuses pings more frequent than every 5 s.
  std::chrono::milliseconds keepalive_time{0};

  /// How long to wait for a ping's answer before the connection counts as broken (0: 4 s).
  std::chrono::milliseconds keepalive_timeout{0};

  /// Largest request sent, in bytes (0: unlimited, like etcd-cpp-apiv3's INT_MAX).
  std::int64_t max_send_message_size{0};

  /// Largest response accepted, in bytes (0: unlimited, like etcd-cpp-apiv3's INT_MAX).
  std::int64_t max_receive_message_size{0};

  /// Time limit for establishing a connection to one endpoint (0: 3 s).
  std::chrono::milliseconds connect_timeout{0};

  /// Time limit of each operation, the initial value of `set_grpc_timeout` (0: none). Kept in
  /// whole milliseconds; watches and `leaserevoke` have no limit.
  std::chrono::milliseconds request_timeout{0};

  /// Endpoint auto-sync (opt-in, like etcd's Go client `AutoSyncInterval`): how often the
  /// endpoint list is replaced by the client URLs of the cluster's members, so that a client
  /// given one endpoint learns the others and drops removed members (0, the default: never; the
  /// endpoints stay as given). The first refresh runs as soon as the client is created; a
  /// failed one keeps the list. See also `SyncClient::sync_endpoints`.
  std::chrono::milliseconds auto_sync_interval{0};

  /// Load balancing policy: "round_robin" (the default) or "pick_first".
  std::string load_balancer{"round_robin"};

  /// Use TLS. It is also used when any of `ca`, `cert` or `key` is set.
  bool tls{false};

  /// PEM file of the CA certificate(s) that sign the server certificate ("": system roots).
  std::string ca;

  /// PEM file of the client certificate, for client-certificate authentication (with `key`).
  std::string cert;

  /// PEM file of the client certificate's private key.
  std::string key;

  /// Name the server certificate is checked against instead of the endpoint's host name; needed
  /// when the endpoints are IP addresses that the certificate does not name.
  std::string target_name_override;

  /// User name for password authentication (used when both `user` and `password` are set).
  std::string user;

  /// Password for password authentication.
  std::string password;

  /// Lifetime of authentication tokens on the server in seconds (etcd's `--auth-token-ttl`);
  /// tokens are renewed a little before it runs out.
  int auth_token_ttl{300};

  /// Sets `user`, `password` and `auth_token_ttl`.
  ClientOptions& with_user(std::string const& user_name, std::string const& user_password,
                           int token_ttl = 300) {
    user = user_name;
    password = user_password;
    auth_token_ttl = token_ttl;
    return *this;
  }

  /// Turns TLS on with the given files (any may be empty) and target name override.
  ClientOptions& with_tls(std::string const& ca_file, std::string const& cert_file = "",
                          std::string const& key_file = "", std::string const& target_name = "") {
    tls = true;
    ca = ca_file;
    cert = cert_file;
    key = key_file;
    target_name_override = target_name;
    return *this;
  }

  /// True if connections use TLS.
  bool uses_tls() const { return tls || !ca.empty() || !cert.empty() || !key.empty(); }
};

}  // namespace etcd

#endif  // ETCD_CLIENT_OPTIONS_HPP
