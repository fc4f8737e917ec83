/*
 * Tests of the C API (include/etcd/etcd.h) against a real etcd named by ETCD_ENDPOINTS:
 *
 *   python3 tests/etcd_harness.py run -- build/etcd-capi-test
 *
 * Plain C99 with no test framework: every CHECK counts, the last line reads "N passed, N failed"
 * and the exit status is non-zero when a check failed. Each test works under its own key prefix
 * and waits for conditions with timeouts, never for fixed delays.
 */
#define _GNU_SOURCE /* pthread_getname_np */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* "/c-tests/<pid>/<test>/<suffix>" */
static const char *key(char *buf, size_t size, const char *test, const char *suffix) {
  snprintf(buf, size, "/c-tests/%d/%s/%s", (int)getpid(), test, suffix);
  return buf;
}

/* Runs a call that must succeed and returns its response (NULL if it did not). */
static etcd_response *ok_call(etcd_status status, etcd_response *response, const char *what) {
  if (!check(status == ETCD_STATUS_OK, what, __FILE__, __LINE__)) {
    fprintf(stderr, "  status %u: %s\n", (unsigned)status, etcd_status_str(status));
    return NULL;
  }
  return response;
}

#define CALL(expr) (status = (expr), ok_call(status, response, #expr))

/* ------------------------------------------------------------------------------------------ */

static void test_status_and_connect(void) {
  etcd_client *client = (etcd_client *)&passed; /* a sentinel the library must not overwrite */
  etcd_client_options options;

  CHECK(text_is(etcd_status_str(ETCD_STATUS_OK), "success"));
  CHECK(text_is(etcd_status_str(ETCD_STATUS_NULL_ARGUMENT), "a required argument was NULL"));
  CHECK(text_is(etcd_status_str(12345), "unknown status"));
  CHECK(strlen(etcd_version()) > 0);
  CHECK(ETCD_STATUS_OK == 0 && ETCD_STATUS_NULL_ARGUMENT == 1 && ETCD_STATUS_PANIC == 3);

  CHECK(etcd_client_connect(NULL, NULL, &client) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_connect(endpoints(), NULL, NULL) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_connect("not an endpoint", NULL, &client) == ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(client == (etcd_client *)&passed);

  /* TLS files are read when the client is made; a missing one is reported by every call. */
  memset(&options, 0, sizeof options);
  options.ca_file = "/nonexistent/ca.pem";
  if (CHECK(etcd_client_connect(endpoints(), &options, &client) == ETCD_STATUS_OK)) {
    etcd_response *response = NULL;
    if (CHECK(etcd_client_head(client, &response) == ETCD_STATUS_OK)) {
      CHECK(etcd_response_error_code(response) == ETCD_ERROR_GRPC_INVALID_ARGUMENT);
      CHECK(strstr(etcd_response_error_message(response), "/nonexistent/ca.pem") != NULL);
      etcd_response_free(response);
    }
    etcd_client_free(client);
  }

  etcd_client_free(NULL);
  etcd_response_free(NULL);
  etcd_watcher_free(NULL);
  etcd_keepalive_free(NULL);
}

static void test_unreachable(void) {
  etcd_client *client = NULL;
  etcd_response *response = NULL;
  etcd_status status;
  etcd_client_options options = {0};
  options.connect_timeout_ms = 500;
  /* Port 1 on loopback: nothing listens there. */
  if (!CHECK(etcd_client_connect("http://127.0.0.1:1", &options, &client) == ETCD_STATUS_OK)) {
    return;
  }
  if (CALL(etcd_client_get(client, S("/k"), 0, &response))) {
    CHECK(!etcd_response_is_ok(response));
    CHECK(etcd_response_error_code(response) == ETCD_ERROR_GRPC_UNAVAILABLE);
    CHECK(strlen(etcd_response_error_message(response)) > 0);
    etcd_response_free(response);
  }
  etcd_client_free(client);
}

static void test_put_get(etcd_client *c) {
  char k[256], other[256];
  etcd_response *response = NULL;
  etcd_status status;
  int64_t first_index = 0;

  key(k, sizeof k, "put_get", "k");
  if (CALL(etcd_client_put(c, S(k), S("v1"), 0, &response))) {
    CHECK(etcd_response_is_ok(response));
    CHECK(etcd_response_error_code(response) == 0);
    CHECK(text_is(etcd_response_error_message(response), ""));
    CHECK(text_is(etcd_response_action(response), "set"));
    CHECK(etcd_response_index(response) > 0);
    CHECK(etcd_value_key(etcd_response_prev_value(response)).len == 0);
    first_index = etcd_response_index(response);
    etcd_response_free(response);
  }
  if (CALL(etcd_client_put(c, S(k), S("v2"), 0, &response))) {
    CHECK(bytes_is(etcd_value_value(etcd_response_prev_value(response)), "v1"));
    CHECK(etcd_response_index(response) == first_index + 1);
    etcd_response_free(response);
  }
  if (CALL(etcd_client_get(c, S(k), 0, &response))) {
    const etcd_value *v = etcd_response_value(response);
    CHECK(text_is(etcd_response_action(response), "get"));
    CHECK(bytes_is(etcd_value_key(v), k));
    CHECK(bytes_is(etcd_value_value(v), "v2"));
    CHECK(etcd_value_version(v) == 2);
    CHECK(etcd_value_created_index(v) == first_index);
    CHECK(etcd_value_modified_index(v) == first_index + 1);
    CHECK(etcd_value_lease(v) == 0);
    CHECK(etcd_response_value_count(response) == 0);
    etcd_response_free(response);
  }
  /* get at a revision */
  if (CALL(etcd_client_get(c, S(k), first_index, &response))) {
    CHECK(bytes_is(etcd_value_value(etcd_response_value(response)), "v1"));
    etcd_response_free(response);
  }
  /* a missing key is an error inside the response, as etcd-cpp-apiv3 reports it */
  key(other, sizeof other, "put_get", "missing");
  if (CALL(etcd_client_get(c, S(other), 0, &response))) {
    CHECK(!etcd_response_is_ok(response));
    CHECK(etcd_response_error_code(response) == ETCD_ERROR_KEY_NOT_FOUND);
    CHECK(text_is(etcd_response_error_message(response), "etcd-cpp-apiv3: key not found"));
    etcd_response_free(response);
  }
  /* rm */
  if (CALL(etcd_client_rm(c, S(k), &response))) {
    CHECK(text_is(etcd_response_action(response), "delete"));
    CHECK(bytes_is(etcd_value_value(etcd_response_prev_value(response)), "v2"));
    etcd_response_free(response);
  }
  if (CALL(etcd_client_rm(c, S(k), &response))) {
    CHECK(etcd_response_error_code(response) == ETCD_ERROR_KEY_NOT_FOUND);
    etcd_response_free(response);
  }
  /* outputs untouched on a NULL argument */
  response = (etcd_response *)&passed;
  CHECK(etcd_client_get(NULL, S(k), 0, &response) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_get(c, NULL, 3, 0, &response) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_put(c, S(k), NULL, 1, 0, &response) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_get(c, S(k), 0, NULL) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(response == (etcd_response *)&passed);
}

static void test_binary(etcd_client *c) {
  char prefix[256];
  char k[300];
  static const char value[] = {'\0', 'x', '\0', (char)0xff};
  etcd_response *response = NULL;
  etcd_status status;
  size_t n;

  key(prefix, sizeof prefix, "binary", "");
  n = strlen(prefix);
  memcpy(k, prefix, n);
  memcpy(k + n, "a\0b\xff", 4);
  n += 4;
  if (CALL(etcd_client_put(c, k, n, value, sizeof value, 0, &response))) {
    etcd_response_free(response);
  }
  if (CALL(etcd_client_get(c, k, n, 0, &response))) {
    CHECK(bytes_eq(etcd_value_key(etcd_response_value(response)), k, n));
    CHECK(bytes_eq(etcd_value_value(etcd_response_value(response)), value, sizeof value));
    etcd_response_free(response);
  }
  /* the key without its last bytes is another key */
  if (CALL(etcd_client_get(c, k, n - 2, 0, &response))) {
    CHECK(etcd_response_error_code(response) == ETCD_ERROR_KEY_NOT_FOUND);
    etcd_response_free(response);
  }
  /* an empty value is a value */
  if (CALL(etcd_client_put(c, k, n, NULL, 0, 0, &response))) etcd_response_free(response);
  if (CALL(etcd_client_get(c, k, n, 0, &response))) {
    CHECK(etcd_response_is_ok(response));
    CHECK(etcd_value_value(etcd_response_value(response)).len == 0);
    etcd_response_free(response);
  }
}

static void test_add_modify_cas(etcd_client *c) {
  char k[256], missing[256];
  etcd_response *response = NULL;
  etcd_status status;
  int64_t index = 0;

  key(k, sizeof k, "cas", "k");
  key(missing, sizeof missing, "cas", "missing");
  if (CALL(etcd_client_add(c, S(k), S("1"), 0, &response))) {
    CHECK(etcd_response_is_ok(response));
    CHECK(text_is(etcd_response_action(response), "create"));
    CHECK(bytes_is(etcd_value_value(etcd_response_value(response)), "1"));
    etcd_response_free(response);
  }
  if (CALL(etcd_client_add(c, S(k), S("2"), 0, &response))) {
    CHECK(etcd_response_error_code(response) == ETCD_ERROR_KEY_ALREADY_EXISTS);
    CHECK(text_is(etcd_response_error_message(response), "etcd-cpp-apiv3: key already exists"));
    CHECK(bytes_is(etcd_value_value(etcd_response_value(response)), "1"));
    etcd_response_free(response);
  }
  if (CALL(etcd_client_modify(c, S(k), S("2"), 0, &response))) {
    CHECK(text_is(etcd_response_action(response), "update"));
    CHECK(bytes_is(etcd_value_value(etcd_response_value(response)), "2"));
    CHECK(bytes_is(etcd_value_value(etcd_response_prev_value(response)), "1"));
    etcd_response_free(response);
  }
  if (CALL(etcd_client_modify(c, S(missing), S("x"), 0, &response))) {
    CHECK(etcd_response_error_code(response) == ETCD_ERROR_KEY_NOT_FOUND);
    etcd_response_free(response);
  }
  if (CALL(etcd_client_modify_if_value(c, S(k), S("3"), S("2"), 0, &response))) {
    CHECK(etcd_response_is_ok(response));
    CHECK(text_is(etcd_response_action(response), "compareAndSwap"));
    index = etcd_value_modified_index(etcd_response_value(response));
    etcd_response_free(response);
  }
  if (CALL(etcd_client_modify_if_value(c, S(k), S("4"), S("2"), 0, &response))) {
    CHECK(etcd_response_error_code(response) == ETCD_ERROR_COMPARE_FAILED);
    CHECK(text_is(etcd_response_error_message(response), "etcd-cpp-apiv3: compare failed"));
    CHECK(bytes_is(etcd_value_value(etcd_response_value(response)), "3"));
    etcd_response_free(response);
  }
  if (CALL(etcd_client_modify_if_index(c, S(k), S("5"), index, 0, &response))) {
    CHECK(etcd_response_is_ok(response));
    index = etcd_value_modified_index(etcd_response_value(response));
    etcd_response_free(response);
  }
  if (CALL(etcd_client_modify_if_index(c, S(k), S("6"), index - 1, 0, &response))) {
    CHECK(etcd_response_error_code(response) == ETCD_ERROR_COMPARE_FAILED);
    etcd_response_free(response);
  }
  if (CALL(etcd_client_rm_if_value(c, S(k), S("nope"), &response))) {
    CHECK(etcd_response_error_code(response) == ETCD_ERROR_COMPARE_FAILED);
    CHECK(text_is(etcd_response_action(response), "compareAndDelete"));
    etcd_response_free(response);
  }
  if (CALL(etcd_client_rm_if_index(c, S(k), index, &response))) {
    CHECK(etcd_response_is_ok(response));
    CHECK(bytes_is(etcd_value_value(etcd_response_prev_value(response)), "5"));
    etcd_response_free(response);
  }
  if (CALL(etcd_client_add(c, S(k), S("again"), 0, &response))) etcd_response_free(response);
  if (CALL(etcd_client_rm_if_value(c, S(k), S("again"), &response))) {
    CHECK(etcd_response_is_ok(response));
    etcd_response_free(response);
  }
}

static void test_ls_keys_rmdir(etcd_client *c) {
  char prefix[256], k[256], end[256];
  const char *names[] = {"a", "b", "c", "d"};
  etcd_response *response = NULL;
  etcd_status status;
  int64_t revision = 0;
  size_t i;

  key(prefix, sizeof prefix, "ls", "");
  for (i = 0; i < 4; i++) {
    if (CALL(etcd_client_put(c, S(key(k, sizeof k, "ls", names[i])), S(names[i]), 0, &response))) {
      if (i == 1) revision = etcd_response_index(response);
      etcd_response_free(response);
    }
  }
  if (CALL(etcd_client_ls(c, S(prefix), 0, 0, &response))) {
    CHECK(etcd_response_is_ok(response));
    CHECK(etcd_response_value_count(response) == 4);
    key(k, sizeof k, "ls", "a");
    CHECK(bytes_is(etcd_value_key(etcd_response_value_at(response, 0)), k));
    CHECK(bytes_is(etcd_value_value(etcd_response_value_at(response, 3)), "d"));
    CHECK(bytes_is(etcd_response_key_at(response, 2), key(k, sizeof k, "ls", "c")));
    CHECK(etcd_response_value_at(response, 4) == NULL);
    CHECK(etcd_response_key_at(response, 4).len == 0);
    etcd_response_free(response);
  }
  if (CALL(etcd_client_ls(c, S(prefix), 2, 0, &response))) {
    CHECK(etcd_response_value_count(response) == 2);
    etcd_response_free(response);
  }
  if (CALL(etcd_client_ls(c, S(prefix), 0, revision, &response))) {
    CHECK(etcd_response_value_count(response) == 2);
    etcd_response_free(response);
  }
  key(k, sizeof k, "ls", "b");
  key(end, sizeof end, "ls", "d");
  if (CALL(etcd_client_ls_range(c, S(k), S(end), 0, 0, &response))) {
    CHECK(etcd_response_value_count(response) == 2);
    CHECK(bytes_is(etcd_value_value(etcd_response_value_at(response, 1)), "c"));
    etcd_response_free(response);
  }
  if (CALL(etcd_client_keys(c, S(prefix), 0, 0, &response))) {
    CHECK(etcd_response_value_count(response) == 4);
    CHECK(bytes_is(etcd_response_key_at(response, 1), k));
    CHECK(etcd_value_value(etcd_response_value_at(response, 1)).len == 0);
    etcd_response_free(response);
  }
  if (CALL(etcd_client_keys_range(c, S(k), S(end), 1, 0, &response))) {
    CHECK(etcd_response_value_count(response) == 1);
    etcd_response_free(response);
  }
  /* rmdir of a single key, of a range, then of the prefix */
  if (CALL(etcd_client_rmdir(c, S(key(k, sizeof k, "ls", "a")), false, &response))) {
    CHECK(etcd_response_value_count(response) == 1);
    etcd_response_free(response);
  }
  key(k, sizeof k, "ls", "b");
  if (CALL(etcd_client_rmdir_range(c, S(k), S(end), &response))) {
    CHECK(etcd_response_value_count(response) == 2);
    CHECK(text_is(etcd_response_action(response), "delete"));
    etcd_response_free(response);
  }
  if (CALL(etcd_client_rmdir(c, S(prefix), true, &response))) {
    CHECK(etcd_response_value_count(response) == 1);
    CHECK(bytes_is(etcd_value_value(etcd_response_value_at(response, 0)), "d"));
    etcd_response_free(response);
  }
  if (CALL(etcd_client_ls(c, S(prefix), 0, 0, &response))) {
    CHECK(etcd_response_is_ok(response));
    CHECK(etcd_response_value_count(response) == 0);
    etcd_response_free(response);
  }
  if (CALL(etcd_client_rmdir(c, S(prefix), true, &response))) {
    CHECK(etcd_response_error_code(response) == ETCD_ERROR_KEY_NOT_FOUND);
    etcd_response_free(response);
  }
}

static int bytes_same(etcd_bytes a, etcd_bytes b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

/* The view of a value holds what the accessors of that value give. */
static int value_view_matches(const etcd_value *v, const etcd_value_view *view) {
  return bytes_same(view->key, etcd_value_key(v)) && bytes_same(view->value, etcd_value_value(v)) &&
         view->created_index == etcd_value_created_index(v) &&
         view->modified_index == etcd_value_modified_index(v) &&
         view->version == etcd_value_version(v) && view->lease == etcd_value_lease(v) &&
         view->ttl == etcd_value_ttl(v);
}

/* etcd_response_read / etcd_value_read / etcd_response_values_read give, in one call, what the
 * separate accessors give. */
static void test_views(etcd_client *c) {
  char prefix[256], k[256];
  etcd_response *response = NULL;
  etcd_status status;
  etcd_response_view view;
  etcd_value_view values[3], one;
  size_t i;

  key(prefix, sizeof prefix, "views", "");
  if (CALL(etcd_client_put(c, S(key(k, sizeof k, "views", "a")), S("1"), 0, &response))) {
    etcd_response_free(response);
  }
  if (CALL(etcd_client_put(c, S(key(k, sizeof k, "views", "b")), S("2"), 0, &response))) {
    etcd_response_free(response);
  }
  /* a put that overwrites: the previous value is in the view */
  if (CALL(etcd_client_put(c, S(k), S("3"), 0, &response))) {
    CHECK(etcd_response_read(response, &view) == ETCD_STATUS_OK);
    CHECK(view.error_code == 0 && view.error_message.len == 0);
    CHECK(bytes_is(view.action, "set"));
    CHECK(view.index == etcd_response_index(response));
    CHECK(bytes_is(view.prev_value.value, "2") && bytes_is(view.prev_value.key, k));
    CHECK(value_view_matches(etcd_response_prev_value(response), &view.prev_value));
    CHECK(view.value_count == 0 && view.event_count == 0 && view.lease_count == 0);
    CHECK(view.compact_revision == -1 && view.watch_id == -1);
    etcd_response_free(response);
  }
  if (CALL(etcd_client_get(c, S(k), 0, &response))) {
    CHECK(etcd_response_read(response, &view) == ETCD_STATUS_OK);
    CHECK(bytes_is(view.action, "get") && bytes_is(view.value.value, "3"));
    CHECK(value_view_matches(etcd_response_value(response), &view.value));
    CHECK(view.value.version == 2 && view.prev_value.key.len == 0);
    CHECK(etcd_value_read(etcd_response_value(response), &one) == ETCD_STATUS_OK);
    CHECK(bytes_is(one.key, k) && one.modified_index == view.value.modified_index);
    etcd_response_free(response);
  }
  /* an error response */
  if (CALL(etcd_client_get(c, S(key(k, sizeof k, "views", "missing")), 0, &response))) {
    CHECK(etcd_response_read(response, &view) == ETCD_STATUS_OK);
    CHECK(view.error_code == ETCD_ERROR_KEY_NOT_FOUND);
    CHECK(bytes_is(view.error_message, "etcd-cpp-apiv3: key not found"));
    etcd_response_free(response);
  }
  /* a listing: every value at once, or from an offset */
  if (CALL(etcd_client_ls(c, S(prefix), 0, 0, &response))) {
    CHECK(etcd_response_read(response, &view) == ETCD_STATUS_OK && view.value_count == 2);
    CHECK(etcd_response_values_read(response, 0, values, 3) == 2);
    for (i = 0; i < 2; i++) {
      CHECK(value_view_matches(etcd_response_value_at(response, i), &values[i]));
    }
    CHECK(bytes_is(values[1].value, "3"));
    CHECK(etcd_response_values_read(response, 1, values, 3) == 1 && bytes_is(values[0].value, "3"));
    CHECK(etcd_response_values_read(response, 2, values, 3) == 0);
    CHECK(etcd_response_values_read(response, 0, values, 0) == 0);
    CHECK(etcd_response_values_read(response, 0, NULL, 3) == 0);
    CHECK(etcd_response_events_read(response, 0, NULL, 1) == 0);
    etcd_response_free(response);
  }
  /* NULL arguments */
  CHECK(etcd_response_read(NULL, &view) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_value_read(NULL, &one) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_response_values_read(NULL, 0, values, 3) == 0);
  if (CALL(etcd_client_rmdir(c, S(prefix), true, &response))) {
    CHECK(etcd_response_read(response, NULL) == ETCD_STATUS_NULL_ARGUMENT);
    etcd_response_free(response);
  }
}

static void test_leases(etcd_client *c) {
  char k[256];
  etcd_response *response = NULL;
  etcd_status status;
  int64_t lease = 0;
  size_t i;
  int listed = 0;

  if (CALL(etcd_client_lease_grant(c, 30, &response))) {
    CHECK(etcd_response_is_ok(response));
    CHECK(text_is(etcd_response_action(response), "leasegrant"));
    lease = etcd_value_lease(etcd_response_value(response));
    CHECK(lease != 0);
    CHECK(etcd_value_ttl(etcd_response_value(response)) == 30);
    etcd_response_free(response);
  }
  key(k, sizeof k, "leases", "k");
  if (CALL(etcd_client_put(c, S(k), S("v"), lease, &response))) etcd_response_free(response);
  if (CALL(etcd_client_get(c, S(k), 0, &response))) {
    CHECK(etcd_value_lease(etcd_response_value(response)) == lease);
    etcd_response_free(response);
  }
  if (CALL(etcd_client_lease_time_to_live(c, lease, &response))) {
    int64_t ttl = etcd_value_ttl(etcd_response_value(response));
    CHECK(ttl > 0 && ttl <= 30);
    CHECK(etcd_value_lease(etcd_response_value(response)) == lease);
    etcd_response_free(response);
  }
  if (CALL(etcd_client_lease_list(c, &response))) {
    for (i = 0; i < etcd_response_lease_count(response); i++) {
      if (etcd_response_lease_at(response, i) == lease) listed = 1;
    }
    CHECK(listed);
    etcd_response_free(response);
  }
  if (CALL(etcd_client_lease_revoke(c, lease, &response))) {
    CHECK(etcd_response_is_ok(response));
    etcd_response_free(response);
  }
  /* revoking a lease deletes its keys */
  if (CALL(etcd_client_get(c, S(k), 0, &response))) {
    CHECK(etcd_response_error_code(response) == ETCD_ERROR_KEY_NOT_FOUND);
    etcd_response_free(response);
  }
  if (CALL(etcd_client_lease_revoke(c, lease, &response))) {
    CHECK(etcd_response_error_code(response) == ETCD_ERROR_GRPC_NOT_FOUND);
    etcd_response_free(response);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Callback plumbing: a mutex-protected record of what callbacks saw, and a timed wait on it. */

typedef struct {
  int type;
  char key[128];
  char value[64];
  char prev[64];
  int has_prev;
} seen_event;

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  const etcd_client *client;
  int responses;
  int errors;
  int last_error_code;
  int n;
  seen_event events[32];
  int on_callback_thread;
  int off_callback_thread;
  int nested_get_ok;
  etcd_response *kept; /* a clone of the first response */
  int view_mismatches; /* events whose etcd_response_events_read view differs from the accessors */
  int finalized;
  etcd_status keepalive_status;
  char keepalive_message[256];
} recorder;

static void recorder_init(recorder *r, const etcd_client *client) {
  memset(r, 0, sizeof *r);
  pthread_mutex_init(&r->mu, NULL);
  pthread_cond_init(&r->cv, NULL);
  r->client = client;
}

static void recorder_destroy(recorder *r) {
  etcd_response_free(r->kept);
  pthread_mutex_destroy(&r->mu);
  pthread_cond_destroy(&r->cv);
}

static void copy_bytes(char *dst, size_t size, etcd_bytes b) {
  size_t n = b.len < size - 1 ? b.len : size - 1;
  memcpy(dst, b.data, n);
  dst[n] = '\0';
}

static int on_library_thread(void) {
  char name[16] = {0};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return strcmp(name, "etcd-cb") == 0;
}

/* Event i read by etcd_response_events_read agrees with etcd_response_event_at's accessors. */
static int event_view_matches(const etcd_response *response, size_t i, etcd_event_view *view) {
  const etcd_event *e = etcd_response_event_at(response, i);
  const etcd_value *kv = etcd_event_kv(e), *prev = etcd_event_prev_kv(e);
  if (etcd_response_events_read(response, i, view, 1) != 1) return 0;
  if (view->event_type != etcd_event_get_type(e)) return 0;
  if (view->has_kv != (kv != NULL) || view->has_prev_kv != (prev != NULL)) return 0;
  if (kv != NULL && !value_view_matches(kv, &view->kv)) return 0;
  if (prev != NULL && !value_view_matches(prev, &view->prev_kv)) return 0;
  return 1;
}

static void on_watch(void *userdata, const etcd_response *response) {
  recorder *r = (recorder *)userdata;
  size_t i;
  int nested_ok = -1;
  etcd_response *copy = NULL;

  /* A callback may use the blocking API (it never runs on the network threads). */
  if (r->responses == 0) {
    etcd_response *got = NULL;
    nested_ok = etcd_client_head(r->client, &got) == ETCD_STATUS_OK && etcd_response_is_ok(got);
    etcd_response_free(got);
    if (etcd_response_clone(response, &copy) != ETCD_STATUS_OK) copy = NULL;
  }
  pthread_mutex_lock(&r->mu);
  if (nested_ok >= 0) r->nested_get_ok = nested_ok;
  if (copy != NULL) r->kept = copy;
  if (on_library_thread()) {
    r->on_callback_thread++;
  } else {
    r->off_callback_thread++;
  }
  r->responses++;
  if (!etcd_response_is_ok(response)) {
    r->errors++;
    r->last_error_code = etcd_response_error_code(response);
  }
  for (i = 0; i < etcd_response_event_count(response); i++) {
    etcd_event_view view;
    if (!event_view_matches(response, i, &view)) r->view_mismatches++;
  }
  for (i = 0; i < etcd_response_event_count(response) && r->n < 32; i++) {
    const etcd_event *e = etcd_response_event_at(response, i);
    seen_event *s = &r->events[r->n++];
    s->type = (int)etcd_event_get_type(e);
    copy_bytes(s->key, sizeof s->key, etcd_value_key(etcd_event_kv(e)));
    copy_bytes(s->value, sizeof s->value, etcd_value_value(etcd_event_kv(e)));
    s->has_prev = etcd_event_prev_kv(e) != NULL;
    copy_bytes(s->prev, sizeof s->prev, etcd_value_value(etcd_event_prev_kv(e)));
  }
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

static void on_keepalive_error(void *userdata, etcd_status status, const char *message) {
  recorder *r = (recorder *)userdata;
  pthread_mutex_lock(&r->mu);
  r->keepalive_status = status;
  snprintf(r->keepalive_message, sizeof r->keepalive_message, "%s", message);
  r->errors++;
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

static void on_free(void *userdata) {
  recorder *r = (recorder *)userdata;
  pthread_mutex_lock(&r->mu);
  r->finalized++;
  pthread_mutex_unlock(&r->mu);
}

/* Waits until *counter >= target (read under the recorder's lock) or `seconds` pass. */
static int wait_count(recorder *r, const int *counter, int target, double seconds) {
  struct timespec deadline;
  int reached;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += (time_t)seconds;
  pthread_mutex_lock(&r->mu);
  while (*counter < target) {
    if (pthread_cond_timedwait(&r->cv, &r->mu, &deadline) == ETIMEDOUT) break;
  }
  reached = *counter >= target;
  pthread_mutex_unlock(&r->mu);
  return reached;
}

static int64_t current_revision(etcd_client *c) {
  etcd_response *response = NULL;
  int64_t revision = 0;
  if (etcd_client_head(c, &response) == ETCD_STATUS_OK) revision = etcd_response_index(response);
  etcd_response_free(response);
  return revision;
}

static void put(etcd_client *c, const char *k, const char *v) {
  etcd_response *response = NULL;
  CHECK(etcd_client_put(c, S(k), S(v), 0, &response) == ETCD_STATUS_OK &&
        etcd_response_is_ok(response));
  etcd_response_free(response);
}

static void test_watcher(etcd_client *c) {
  char prefix[256], k[256];
  recorder r;
  etcd_watcher *w = NULL;
  etcd_response *response = NULL;
  int64_t from;
  bool cancelled = false;
  int responses_after_cancel;
  etcd_status status;

  recorder_init(&r, c);
  key(prefix, sizeof prefix, "watch", "");
  key(k, sizeof k, "watch", "a");
  /* From the revision after now: nothing put after this line can be missed. */
  from = current_revision(c) + 1;
  status = etcd_watcher_new(c, S(prefix), true, from, on_watch, &r, on_free, &w);
  if (!CHECK(status == ETCD_STATUS_OK)) {
    recorder_destroy(&r);
    return;
  }
  put(c, k, "1");
  put(c, k, "2");
  if (CHECK(etcd_client_rm(c, S(k), &response) == ETCD_STATUS_OK)) etcd_response_free(response);

  CHECK(wait_count(&r, &r.n, 3, 15));
  pthread_mutex_lock(&r.mu);
  CHECK(r.n == 3);
  CHECK(r.events[0].type == ETCD_EVENT_TYPE_PUT && strcmp(r.events[0].key, k) == 0);
  CHECK(strcmp(r.events[0].value, "1") == 0 && !r.events[0].has_prev);
  CHECK(r.events[1].type == ETCD_EVENT_TYPE_PUT && strcmp(r.events[1].value, "2") == 0);
  CHECK(r.events[1].has_prev && strcmp(r.events[1].prev, "1") == 0);
  CHECK(r.events[2].type == ETCD_EVENT_TYPE_DELETE && strcmp(r.events[2].key, k) == 0);
  CHECK(r.events[2].has_prev && strcmp(r.events[2].prev, "2") == 0);
  CHECK(r.on_callback_thread > 0 && r.off_callback_thread == 0);
  CHECK(r.nested_get_ok == 1);
  CHECK(r.errors == 0);
  CHECK(r.kept != NULL && etcd_response_event_count(r.kept) >= 1);
  CHECK(r.view_mismatches == 0);
  pthread_mutex_unlock(&r.mu);

  CHECK(!etcd_watcher_ended(w));
  CHECK(etcd_watcher_cancel(w) == ETCD_STATUS_OK);
  CHECK(etcd_watcher_wait(w, &cancelled) == ETCD_STATUS_OK && cancelled);
  CHECK(etcd_watcher_ended(w));
  pthread_mutex_lock(&r.mu);
  responses_after_cancel = r.responses;
  pthread_mutex_unlock(&r.mu);
  put(c, k, "after cancel");
  pthread_mutex_lock(&r.mu);
  CHECK(r.responses == responses_after_cancel);
  CHECK(r.finalized == 0);
  pthread_mutex_unlock(&r.mu);
  etcd_watcher_free(w);
  CHECK(r.finalized == 1);
  recorder_destroy(&r);
}

static void test_watcher_history_and_range(etcd_client *c) {
  char a[256], b[256], cc[256];
  recorder r, single;
  etcd_watcher *w = NULL, *w_single = NULL;
  etcd_response *response = NULL;
  etcd_status status;
  int64_t first = 0;

  key(a, sizeof a, "watch_range", "a");
  key(b, sizeof b, "watch_range", "b");
  key(cc, sizeof cc, "watch_range", "c");
  if (CHECK(etcd_client_put(c, S(a), S("1"), 0, &response) == ETCD_STATUS_OK)) {
    first = etcd_response_index(response);
    etcd_response_free(response);
  }
  put(c, b, "1");
  put(c, cc, "1");

  /* [a, c) from the first revision: history first (a, b), then live events, c never. */
  recorder_init(&r, c);
  recorder_init(&single, c);
  status = etcd_watcher_new_range(c, S(a), S(cc), first, on_watch, &r, NULL, &w);
  if (!CHECK(status == ETCD_STATUS_OK)) {
    recorder_destroy(&r);
    recorder_destroy(&single);
    return;
  }
  status = etcd_watcher_new(c, S(b), false, first, on_watch, &single, on_free, &w_single);
  CHECK(status == ETCD_STATUS_OK);
  CHECK(wait_count(&r, &r.n, 2, 15));
  CHECK(wait_count(&single, &single.n, 1, 15));
  put(c, cc, "2");
  put(c, b, "2");
  CHECK(wait_count(&r, &r.n, 3, 15));
  CHECK(wait_count(&single, &single.n, 2, 15));
  pthread_mutex_lock(&r.mu);
  CHECK(r.n == 3);
  CHECK(strcmp(r.events[0].key, a) == 0 && strcmp(r.events[1].key, b) == 0);
  CHECK(strcmp(r.events[2].key, b) == 0 && strcmp(r.events[2].value, "2") == 0);
  pthread_mutex_unlock(&r.mu);
  pthread_mutex_lock(&single.mu);
  CHECK(single.n == 2 && strcmp(single.events[0].key, b) == 0);
  CHECK(strcmp(single.events[1].key, b) == 0);
  pthread_mutex_unlock(&single.mu);

  etcd_watcher_free(w); /* free without cancel: it cancels */
  etcd_watcher_free(w_single);
  CHECK(single.finalized == 1);
  recorder_destroy(&r);
  recorder_destroy(&single);
}

static void test_keepalive(etcd_client *c) {
  char k[256];
  recorder r, expired;
  etcd_keepalive *ka = NULL, *ka2 = NULL;
  etcd_response *response = NULL;
  etcd_status status;
  int64_t lease, lease2 = 0;
  int alive = 1;
  double start, gone_by;

  recorder_init(&r, c);
  recorder_init(&expired, c);
  key(k, sizeof k, "keepalive", "k");

  /* Null and invalid arguments leave the output alone. */
  ka = (etcd_keepalive *)&passed;
  CHECK(etcd_keepalive_new(NULL, 2, 0, NULL, NULL, NULL, &ka) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_keepalive_new(c, 0, 0, NULL, NULL, NULL, &ka) == ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(ka == (etcd_keepalive *)&passed);

  /* A 2 s lease granted by the keep-alive outlives twice its TTL. */
  if (!CHECK(etcd_keepalive_new(c, 2, 0, on_keepalive_error, &r, on_free, &ka) == ETCD_STATUS_OK)) {
    recorder_destroy(&r);
    recorder_destroy(&expired);
    return;
  }
  lease = etcd_keepalive_lease(ka);
  CHECK(lease != 0);
  if (CALL(etcd_client_put(c, S(k), S("v"), lease, &response))) etcd_response_free(response);
  start = now_s();
  while (now_s() - start < 4.5 && alive) {
    etcd_response *got = NULL;
    alive = etcd_client_get(c, S(k), 0, &got) == ETCD_STATUS_OK && etcd_response_is_ok(got);
    etcd_response_free(got);
    if (alive) usleep(100 * 1000); /* polling interval while time passes, not a synchronisation */
  }
  CHECK(alive);
  CHECK(etcd_keepalive_check(ka) == ETCD_STATUS_OK);
  CHECK(etcd_keepalive_error_message(ka) == NULL);

  /* Freed without revoking: the key goes once the lease expires. */
  etcd_keepalive_free(ka);
  CHECK(r.finalized == 1 && r.errors == 0);
  gone_by = now_s() + 15;
  do {
    etcd_response *got = NULL;
    alive = etcd_client_get(c, S(k), 0, &got) == ETCD_STATUS_OK && etcd_response_is_ok(got);
    etcd_response_free(got);
    if (alive) usleep(100 * 1000);
  } while (alive && now_s() < gone_by);
  CHECK(!alive);

  /* A revoked lease: Check() reports it expired, and the error callback gets it. */
  if (CALL(etcd_client_lease_grant(c, 10, &response))) {
    lease2 = etcd_value_lease(etcd_response_value(response));
    etcd_response_free(response);
  }
  status = etcd_keepalive_new(c, 10, lease2, on_keepalive_error, &expired, on_free, &ka2);
  CHECK(status == ETCD_STATUS_OK);
  CHECK(etcd_keepalive_lease(ka2) == lease2);
  if (CALL(etcd_client_lease_revoke(c, lease2, &response))) etcd_response_free(response);
  CHECK(etcd_keepalive_check(ka2) == ETCD_STATUS_LEASE_EXPIRED);
  CHECK(etcd_keepalive_error_message(ka2) != NULL &&
        strstr(etcd_keepalive_error_message(ka2), "expiration") != NULL);
  CHECK(etcd_keepalive_check(ka2) == ETCD_STATUS_LEASE_EXPIRED);
  CHECK(wait_count(&expired, &expired.errors, 1, 15));
  pthread_mutex_lock(&expired.mu);
  CHECK(expired.errors == 1);
  CHECK(expired.keepalive_status == ETCD_STATUS_LEASE_EXPIRED);
  CHECK(strstr(expired.keepalive_message, "expiration") != NULL);
  pthread_mutex_unlock(&expired.mu);
  CHECK(etcd_keepalive_cancel(ka2) == ETCD_STATUS_OK);
  etcd_keepalive_free(ka2);
  CHECK(expired.finalized == 1);
  recorder_destroy(&r);
  recorder_destroy(&expired);
}

static void count_events(void *userdata, const etcd_response *response) {
  __atomic_add_fetch((int *)userdata, (int)etcd_response_event_count(response), __ATOMIC_SEQ_CST);
}

/* A write made as soon as etcd_watcher_new returned reaches the watcher: the constructor returns
 * only once etcd has confirmed the watch. */
static void test_write_right_after_watcher_creation(etcd_client *c) {
  enum { ROUNDS = 500 };
  int missed = 0, i;
  for (i = 0; i < ROUNDS; ++i) {
    char k[256], suffix[32];
    int seen = 0;
    double deadline;
    etcd_watcher *w = NULL;
    snprintf(suffix, sizeof suffix, "%d", i);
    key(k, sizeof k, "create_then_write", suffix);
    if (!CHECK(etcd_watcher_new(c, S(k), false, 0, count_events, &seen, NULL, &w) ==
               ETCD_STATUS_OK)) {
      return;
    }
    put(c, k, "v");
    deadline = now_s() + 5;
    while (__atomic_load_n(&seen, __ATOMIC_SEQ_CST) == 0 && now_s() < deadline) {
      usleep(1000); /* polling for the callback, bounded by the deadline */
    }
    if (__atomic_load_n(&seen, __ATOMIC_SEQ_CST) == 0) ++missed;
    etcd_watcher_free(w);
  }
  if (!CHECK(missed == 0)) printf("  %d of %d writes missed\n", missed, ROUNDS);
}

/* A keep-alive whose lease cannot be granted is failed from the start and says why. */
static void test_keepalive_without_cluster(void) {
  etcd_client *client = NULL;
  etcd_keepalive *ka = NULL;
  etcd_client_options options = {0};
  recorder r;
  options.connect_timeout_ms = 300;
  if (!CHECK(etcd_client_connect("http://127.0.0.1:1", &options, &client) == ETCD_STATUS_OK)) {
    return;
  }
  recorder_init(&r, client);
  if (CHECK(etcd_keepalive_new(client, 3, 0, on_keepalive_error, &r, on_free, &ka) ==
            ETCD_STATUS_OK)) {
    CHECK(etcd_keepalive_lease(ka) == 0);
    CHECK(etcd_keepalive_check(ka) == ETCD_STATUS_KEEPALIVE_FAILED);
    CHECK(etcd_keepalive_error_message(ka) != NULL &&
          strstr(etcd_keepalive_error_message(ka), "Failed to grant the lease: error code: 14") ==
              etcd_keepalive_error_message(ka));
    CHECK(wait_count(&r, &r.errors, 1, 10));
    CHECK(etcd_keepalive_check(ka) == ETCD_STATUS_KEEPALIVE_FAILED);
    pthread_mutex_lock(&r.mu);
    CHECK(r.errors == 1 && r.keepalive_status == ETCD_STATUS_KEEPALIVE_FAILED);
    pthread_mutex_unlock(&r.mu);
    etcd_keepalive_free(ka);
  }
  recorder_destroy(&r);
  etcd_client_free(client);
}

/* ------------------------------------------------------------------------------------------ */
/* Pending calls: an operation started with its _start twin, waited for in slices. */

struct call_done {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int called;
  int freed;
  int took_ok;
  char thread[32];
  etcd_call *call;
};

static void on_call_done(void *userdata) {
  struct call_done *d = userdata;
  etcd_response *response = NULL;
  int ok = etcd_call_take_response(d->call, &response) == ETCD_STATUS_OK &&
           etcd_response_is_ok(response);
  etcd_response_free(response);
  pthread_mutex_lock(&d->mu);
  d->called++;
  d->took_ok = ok;
  pthread_getname_np(pthread_self(), d->thread, sizeof d->thread);
  pthread_cond_broadcast(&d->cv);
  pthread_mutex_unlock(&d->mu);
}

static void free_call_done(void *userdata) { ((struct call_done *)userdata)->freed++; }

static void test_pending_calls(etcd_client *c) {
  etcd_call *call = NULL;
  etcd_response *response = NULL;
  struct call_done d;
  bool done = false;
  double deadline = now_s() + 10;
  char k[128];

  key(k, sizeof k, "calls", "k");
  if (!CHECK(etcd_client_put_start(c, S(k), S("v1"), 0, &call) == ETCD_STATUS_OK)) return;
  while (!done && now_s() < deadline) {
    CHECK(etcd_call_wait(call, 20, &done) == ETCD_STATUS_OK);
  }
  CHECK(done && etcd_call_done(call));
  if (CHECK(etcd_call_take_response(call, &response) == ETCD_STATUS_OK)) {
    CHECK(etcd_response_is_ok(response));
    CHECK(text_is(etcd_response_action(response), "set"));
    etcd_response_free(response);
  }
  CHECK(etcd_call_take_response(call, &response) == ETCD_STATUS_INVALID_ARGUMENT);
  etcd_call_free(call);

  /* The same answer as the blocking function. */
  if (CHECK(etcd_client_get_start(c, S(k), 0, &call) == ETCD_STATUS_OK)) {
    CHECK(etcd_call_wait(call, -1, &done) == ETCD_STATUS_OK && done);
    if (CHECK(etcd_call_take_response(call, &response) == ETCD_STATUS_OK)) {
      CHECK(bytes_is(etcd_value_value(etcd_response_value(response)), "v1"));
      etcd_response_free(response);
    }
    etcd_call_free(call);
  }

  /* A completion callback on a library thread, which takes the response itself. */
  memset(&d, 0, sizeof d);
  pthread_mutex_init(&d.mu, NULL);
  pthread_cond_init(&d.cv, NULL);
  if (CHECK(etcd_client_head_start(c, &d.call) == ETCD_STATUS_OK)) {
    CHECK(etcd_call_on_done(d.call, on_call_done, &d, free_call_done) == ETCD_STATUS_OK);
    pthread_mutex_lock(&d.mu);
    while (d.called == 0 && now_s() < deadline) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_nsec += 20 * 1000 * 1000;
      if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
      }
      pthread_cond_timedwait(&d.cv, &d.mu, &ts);
    }
    CHECK(d.called == 1 && d.took_ok);
    CHECK(strcmp(d.thread, "etcd-cb") == 0);
    pthread_mutex_unlock(&d.mu);
    CHECK(d.freed == 0);
    etcd_call_free(d.call);
    CHECK(d.freed == 1);
  }
  pthread_cond_destroy(&d.cv);
  pthread_mutex_destroy(&d.mu);
}

/* ------------------------------------------------------------------------------------------ */
/* The boundary is quiet: refused arguments give a status and print nothing on stderr. */

/* fd 2 goes into a pipe between stderr_begin and stderr_end, which returns what was written. */
struct stderr_capture {
  int saved;
  int pipe_fds[2];
  char text[4096];
};

static int stderr_begin(struct stderr_capture *c) {
  fflush(stderr);
  if (pipe(c->pipe_fds) != 0) return 0;
  c->saved = dup(2);
  dup2(c->pipe_fds[1], 2);
  return 1;
}

static const char *stderr_end(struct stderr_capture *c) {
  ssize_t n;
  size_t used = 0;
  fflush(stderr);
  dup2(c->saved, 2);
  close(c->saved);
  close(c->pipe_fds[1]);
  while (used + 1 < sizeof c->text &&
         (n = read(c->pipe_fds[0], c->text + used, sizeof c->text - 1 - used)) > 0) {
    used += (size_t)n;
  }
  c->text[used] = '\0';
  close(c->pipe_fds[0]);
  return c->text;
}

static void test_quiet_boundary(etcd_client *c) {
  struct stderr_capture capture;
  etcd_status status;
  etcd_response *response = (etcd_response *)&passed; /* must stay untouched */
  etcd_watcher *watcher = (etcd_watcher *)&passed;
  const size_t too_long = (size_t)PTRDIFF_MAX + 1;
  const char *printed;
  char k[128];

  key(k, sizeof k, "quiet", "k");
  if (!CHECK(stderr_begin(&capture))) return;
  CHECK(etcd_client_get(c, k, SIZE_MAX, 0, &response) == ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_client_put(c, S(k), "v", too_long, 0, &response) == ETCD_STATUS_INVALID_ARGUMENT);
  /* At most PTRDIFF_MAX, but more than can be allocated: refused before reading. */
  CHECK(etcd_client_put(c, S(k), "v", (size_t)PTRDIFF_MAX, 0, &response) ==
        ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_client_rmdir_range(c, S(k), k, SIZE_MAX, &response) == ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_watcher_new(c, k, SIZE_MAX, false, 0, NULL, NULL, NULL, &watcher) ==
        ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_client_get(c, NULL, 3, 0, &response) == ETCD_STATUS_NULL_ARGUMENT);
  printed = stderr_end(&capture);
  CHECK(printed[0] == '\0');
  if (printed[0] != '\0') fprintf(stderr, "  printed: %s\n", printed);
  CHECK(response == (etcd_response *)&passed);
  CHECK(watcher == (etcd_watcher *)&passed);
  /* The reason is kept for the caller instead. */
  CHECK(etcd_client_get(c, k, SIZE_MAX, 0, &response) == ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(etcd_status_detail(), "larger than any object") != NULL);
  /* And the client is still fine. */
  if (CALL(etcd_client_put(c, S(k), S("v"), 0, &response))) {
    CHECK(etcd_response_is_ok(response));
    etcd_response_free(response);
  }
}

/* The keep-alive and message size options reach the connection: with 1 KiB limits, a small
 * value still goes both ways, a larger one can neither be sent nor received. */
static void test_options_limits(etcd_client *plain) {
  etcd_client *client = NULL;
  etcd_response *response = NULL;
  etcd_status status;
  etcd_client_options options = {0};
  char k[256];
  static char big[4096];
  memset(big, 'x', sizeof big);
  key(k, sizeof k, "options_limits", "big");

  /* Stored by a client without limits, so that reading it back tests the receive limit. */
  if (CALL(etcd_client_put(plain, S(k), big, sizeof big, 0, &response))) {
    CHECK(etcd_response_is_ok(response));
    etcd_response_free(response);
  }

  options.keepalive_time_ms = 10000;
  options.keepalive_timeout_ms = 2000;
  options.max_receive_message_size = 1024;
  options.max_send_message_size = 1024;
  if (!CHECK(etcd_client_connect(endpoints(), &options, &client) == ETCD_STATUS_OK)) {
    return;
  }
  key(k, sizeof k, "options_limits", "small");
  if (CALL(etcd_client_put(client, S(k), S("v"), 0, &response))) {
    CHECK(etcd_response_is_ok(response));
    etcd_response_free(response);
  }
  if (CALL(etcd_client_get(client, S(k), 0, &response))) {
    CHECK(etcd_response_is_ok(response));
    CHECK(bytes_is(etcd_value_value(etcd_response_value(response)), "v"));
    etcd_response_free(response);
  }
  /* Too large to send. */
  if (CALL(etcd_client_put(client, S(k), big, sizeof big, 0, &response))) {
    CHECK(!etcd_response_is_ok(response));
    CHECK(etcd_response_error_code(response) != 0);
    etcd_response_free(response);
  }
  /* Too large to receive. */
  key(k, sizeof k, "options_limits", "big");
  if (CALL(etcd_client_get(client, S(k), 0, &response))) {
    CHECK(!etcd_response_is_ok(response));
    CHECK(etcd_response_error_code(response) != 0);
    etcd_response_free(response);
  }
  etcd_client_free(client);
}

int main(void) {
  etcd_client *client = NULL;

  setvbuf(stdout, NULL, _IOLBF, 0);
  test_status_and_connect();
  test_unreachable();
  test_keepalive_without_cluster();
  if (CHECK(etcd_client_connect(endpoints(), NULL, &client) == ETCD_STATUS_OK)) {
    test_put_get(client);
    test_binary(client);
    test_add_modify_cas(client);
    test_ls_keys_rmdir(client);
    test_views(client);
    test_leases(client);
    test_watcher(client);
    test_watcher_history_and_range(client);
    test_keepalive(client);
    test_write_right_after_watcher_creation(client);
    test_pending_calls(client);
    test_quiet_boundary(client);
    test_options_limits(client);
    etcd_client_free(client);
  }
  return check_summary();
}
