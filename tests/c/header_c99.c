/*
 * The C API header on its own under -std=c99 -Wall -Wextra -Wpedantic -Werror: it compiles,
 * its include guard works, and its types are usable from plain C.
 */
#include "etcd/etcd.h"

int etcd_header_check_c99(void);

static void ignore_response(void *userdata, const etcd_response *response) {
  (void)userdata;
  (void)response;
}

int etcd_header_check_c99(void) {
  etcd_client_options options = {0};
  etcd_bytes bytes = {0, 0};
  etcd_watch_callback on_watch = ignore_response;
  etcd_keepalive_error_callback on_error = 0;
  etcd_free_callback on_free = 0;
  etcd_status status = ETCD_STATUS_OK;
  etcd_event_type type = ETCD_EVENT_TYPE_DELETE;
  (void)options;
  return (int)bytes.len + (on_watch != 0) + (on_error == 0) + (on_free == 0) + (int)status +
         (int)type + ETCD_ERROR_KEY_NOT_FOUND;
}
