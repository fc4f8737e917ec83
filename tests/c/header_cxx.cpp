// The C API header compiled as C++ (C++11, strict warnings): it declares its functions
// extern "C" and its enums with a fixed underlying type.
#include <type_traits>

#include "etcd/etcd.h"

static_assert(std::is_same<std::underlying_type<etcd_status>::type, uint32_t>::value,
              "etcd_status is a 32-bit enum");
static_assert(sizeof(etcd_event_type) == 4, "etcd_event_type is a 32-bit enum");

int etcd_header_check_cxx();

int etcd_header_check_cxx() {
  etcd_client_options options{};
  etcd_bytes bytes{nullptr, 0};
  etcd_status (*connect)(const char *, const etcd_client_options *, etcd_client **) =
      etcd_client_connect;
  (void)options;
  return static_cast<int>(bytes.len) + (connect != nullptr) + ETCD_STATUS_OK;
}
