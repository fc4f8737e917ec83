/*
 * Tests of etcd_registry_* and etcd_discovery_* (include/etcd/etcd.h) against a real etcd named by
 * ETCD_ENDPOINTS:
 *
 *   python3 tests/etcd_harness.py run -- build/etcd-capi-registry-test
 *
 * Plain C99, as tests/c/test_capi.c: the last line reads "N passed, N failed" and the exit status
 * is non-zero when a check failed.
 */
#define _GNU_SOURCE /* pthread_getname_np */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static void pause_ms(int ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  nanosleep(&ts, NULL);
}

/* Number of keys under `prefix` in etcd. */
static size_t count(etcd_client *client, const char *prefix) {
  etcd_response *r = NULL;
  size_t n = 0;
  if (etcd_client_ls(client, S(prefix), 0, 0, &r) == ETCD_STATUS_OK) {
    n = etcd_response_value_count(r);
  }
  etcd_response_free(r);
  return n;
}

/* Waits up to `seconds` until `prefix` holds `n` keys. */
static int wait_count(etcd_client *client, const char *prefix, size_t n, double seconds) {
  double end = now_s() + seconds;
  while (count(client, prefix) != n) {
    if (now_s() > end) return 0;
    pause_ms(10);
  }
  return 1;
}

typedef struct {
  pthread_mutex_t mutex;
  int64_t old_lease;
  int64_t new_lease;
  int calls;
  char thread[32];
  char log[4096];
} state;

static void on_reregistered(void *userdata, int64_t old_lease, int64_t new_lease) {
  state *s = (state *)userdata;
  pthread_mutex_lock(&s->mutex);
  s->old_lease = old_lease;
  s->new_lease = new_lease;
  s->calls++;
  pthread_getname_np(pthread_self(), s->thread, sizeof s->thread);
  pthread_mutex_unlock(&s->mutex);
}

static void on_change(void *userdata, etcd_change_kind kind, const etcd_value *value,
                      const etcd_value *prev) {
  state *s = (state *)userdata;
  etcd_bytes v = etcd_value_value(kind == ETCD_CHANGE_KIND_REMOVED ? prev : value);
  char line[128];
  snprintf(line, sizeof line, "%c%.*s%s;",
           kind == ETCD_CHANGE_KIND_ADDED     ? '+'
           : kind == ETCD_CHANGE_KIND_UPDATED ? '~'
                                              : '-',
           (int)v.len, v.data, prev != NULL && kind == ETCD_CHANGE_KIND_UPDATED ? "^" : "");
  pthread_mutex_lock(&s->mutex);
  strncat(s->log, line, sizeof s->log - strlen(s->log) - 1);
  s->calls++;
  pthread_mutex_unlock(&s->mutex);
}

static int calls_of(state *s) {
  int n;
  pthread_mutex_lock(&s->mutex);
  n = s->calls;
  pthread_mutex_unlock(&s->mutex);
  return n;
}

static void test_bad_arguments(etcd_client *client) {
  etcd_registry *reg = NULL;
  etcd_discovery *d = NULL;
  etcd_response *r = NULL;
  CHECK(etcd_registry_new(NULL, 5, true, NULL, NULL, NULL, &reg) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_registry_new(client, 0, true, NULL, NULL, NULL, &reg) == ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_registry_new(client, 5, true, NULL, NULL, NULL, NULL) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_registry_add(NULL, S("k"), S("v"), &r) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_registry_lease(NULL) == 0);
  CHECK(etcd_discovery_new(client, NULL, 3, NULL, NULL, NULL, &d) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_discovery_wait_ready(NULL, 10) == false);
  CHECK(etcd_discovery_snapshot(NULL, &r) == ETCD_STATUS_NULL_ARGUMENT);
  etcd_registry_free(NULL);
  etcd_discovery_free(NULL);
}

static void test_register_discover_revoke(etcd_client *client) {
  char prefix[128];
  etcd_registry *reg = NULL;
  etcd_discovery *d = NULL;
  etcd_response *r = NULL;
  state rs, ds;
  int64_t old;
  double t0, took;
  memset(&rs, 0, sizeof rs);
  memset(&ds, 0, sizeof ds);
  pthread_mutex_init(&rs.mutex, NULL);
  pthread_mutex_init(&ds.mutex, NULL);
  snprintf(prefix, sizeof prefix, "/c-registry/%d/", (int)getpid());

  if (!CHECK(etcd_discovery_new(client, S(prefix), on_change, &ds, NULL, &d) == ETCD_STATUS_OK))
    return;
  CHECK(etcd_discovery_wait_ready(d, 5000));
  if (!CHECK(etcd_registry_new(client, 30, true, on_reregistered, &rs, NULL, &reg) ==
             ETCD_STATUS_OK))
    return;
  CHECK(etcd_registry_lease(reg) != 0);
  {
    char k[160];
    snprintf(k, sizeof k, "%sa", prefix);
    CHECK(etcd_registry_add(reg, S(k), S("A1"), &r) == ETCD_STATUS_OK && etcd_response_is_ok(r));
    etcd_response_free(r);
    CHECK(etcd_registry_add(reg, S(k), S("A2"), &r) == ETCD_STATUS_OK && etcd_response_is_ok(r));
    etcd_response_free(r);
    snprintf(k, sizeof k, "%sb", prefix);
    CHECK(etcd_registry_add(reg, S(k), S("B1"), &r) == ETCD_STATUS_OK && etcd_response_is_ok(r));
    etcd_response_free(r);
    CHECK(etcd_registry_remove(reg, S(k), &r) == ETCD_STATUS_OK && etcd_response_is_ok(r));
    etcd_response_free(r);
  }
  {
    double end = now_s() + 5;
    while (calls_of(&ds) < 4 && now_s() < end) pause_ms(10);
  }
  pthread_mutex_lock(&ds.mutex);
  CHECK(strcmp(ds.log, "+A1;~A2^;+B1;-B1;") == 0);
  if (strcmp(ds.log, "+A1;~A2^;+B1;-B1;") != 0) fprintf(stderr, "  log: %s\n", ds.log);
  pthread_mutex_unlock(&ds.mutex);

  /* An operator revokes the lease: the entry is written again under a new one. */
  old = etcd_registry_lease(reg);
  t0 = now_s();
  CHECK(etcd_client_lease_revoke(client, old, &r) == ETCD_STATUS_OK);
  etcd_response_free(r);
  /* The revocation has deleted the entry; the registry notices and grants a new lease. */
  double renewed_by = now_s() + 5;
  while (etcd_registry_lease(reg) == old && now_s() < renewed_by) pause_ms(10);
  CHECK(etcd_registry_lease(reg) != old);
  CHECK(wait_count(client, prefix, 1, 5));
  took = now_s() - t0;
  printf("registered again %.0f ms after the revocation\n", took * 1000);
  CHECK(took < 1.0);
  {
    double end = now_s() + 2;
    while (calls_of(&rs) < 1 && now_s() < end) pause_ms(10);
  }
  pthread_mutex_lock(&rs.mutex);
  CHECK(rs.calls == 1 && rs.old_lease == old && rs.new_lease == etcd_registry_lease(reg));
  CHECK(strcmp(rs.thread, "etcd-cb") == 0);
  pthread_mutex_unlock(&rs.mutex);

  CHECK(etcd_discovery_snapshot(d, &r) == ETCD_STATUS_OK);
  CHECK(etcd_response_value_count(r) == 1 && etcd_response_index(r) > 0);
  etcd_response_free(r);

  /* Closing revokes the lease: the entry is gone at once, and the view sees it. */
  CHECK(etcd_registry_close(reg) == ETCD_STATUS_OK);
  CHECK(count(client, prefix) == 0);
  CHECK(etcd_registry_add(reg, S("/x"), S("y"), &r) == ETCD_STATUS_OK &&
        etcd_response_error_code(r) == 1);
  etcd_response_free(r);
  etcd_registry_free(reg);
  {
    double end = now_s() + 5;
    int empty = 0;
    while (!empty && now_s() < end) {
      CHECK(etcd_discovery_snapshot(d, &r) == ETCD_STATUS_OK);
      empty = etcd_response_value_count(r) == 0;
      etcd_response_free(r);
      if (!empty) pause_ms(10);
    }
    CHECK(empty);
  }
  etcd_discovery_free(d);
}

static void test_unreachable(void) {
  etcd_client *client = NULL;
  etcd_discovery *d = NULL;
  double t0;
  if (!CHECK(etcd_client_connect("http://127.0.0.1:1", NULL, &client) == ETCD_STATUS_OK)) return;
  CHECK(etcd_discovery_new(client, S("/none/"), NULL, NULL, NULL, &d) == ETCD_STATUS_OK);
  CHECK(!etcd_discovery_wait_ready(d, 200));
  t0 = now_s();
  etcd_discovery_free(d);
  CHECK(now_s() - t0 < 1.0);
  etcd_client_free(client);
}

int main(void) {
  etcd_client *client = NULL;
  setvbuf(stdout, NULL, _IOLBF, 0);
  test_unreachable();
  if (CHECK(etcd_client_connect(endpoints(), NULL, &client) == ETCD_STATUS_OK)) {
    test_bad_arguments(client);
    test_register_discover_revoke(client);
    etcd_client_free(client);
  }
  return check_summary();
}
