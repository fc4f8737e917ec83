/*
 * Tests of etcd_client_namespace (include/etcd/etcd.h) against a real etcd named by
 * ETCD_ENDPOINTS:
 *
 *   python3 tests/etcd_harness.py run -- build/etcd-capi-namespace-test
 *
 * A client inside a namespace stores its keys under the prefix and sees them without it, in
 * responses, transactions, watch events, locks, registries and discovery views; two namespaces
 * do not see each other. Plain C99, as tests/c/test_capi.c: the last line reads "N passed, N
 * failed" and the exit status is non-zero when a check failed.
 */
#define _POSIX_C_SOURCE 200809L
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

static char base[128];

/* `base` followed by `suffix`. */
static const char *at(char *buf, size_t size, const char *suffix) {
  snprintf(buf, size, "%s%s", base, suffix);
  return buf;
}

/* The keys of `r`'s values joined by ',' into `out`. */
static const char *keys_of(const etcd_response *r, char *out, size_t size) {
  size_t i, n = etcd_response_value_count(r);
  out[0] = '\0';
  for (i = 0; i < n; i++) {
    etcd_bytes k = etcd_response_key_at(r, i);
    size_t used = strlen(out);
    snprintf(out + used, size - used, "%s%.*s", i ? "," : "", (int)k.len, (const char *)k.data);
  }
  return out;
}

/* The keys under `prefix` as the plain client sees them, joined by ','. */
static const char *stored(etcd_client *plain, const char *prefix, char *out, size_t size) {
  etcd_response *r = NULL;
  out[0] = '\0';
  if (etcd_client_ls(plain, S(prefix), 0, 0, &r) == ETCD_STATUS_OK) keys_of(r, out, size);
  etcd_response_free(r);
  return out;
}

static void test_bad_arguments(etcd_client *plain) {
  etcd_client *ns = NULL;
  CHECK(etcd_client_namespace(NULL, S("/x"), &ns) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_namespace(plain, NULL, 3, &ns) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_namespace(plain, S("/x"), NULL) == ETCD_STATUS_NULL_ARGUMENT);
}

static void test_keys_and_isolation(etcd_client *plain) {
  char pa[160], pb[160], buf[512], want[512];
  etcd_client *a = NULL, *b = NULL, *sub = NULL;
  etcd_response *r = NULL;
  if (!CHECK(etcd_client_namespace(plain, S(at(pa, sizeof pa, "a")), &a) == ETCD_STATUS_OK)) return;
  CHECK(etcd_client_namespace(plain, S(at(pb, sizeof pb, "b")), &b) == ETCD_STATUS_OK);

  CHECK(etcd_client_put(a, S("/k1"), S("a0"), 0, &r) == ETCD_STATUS_OK && etcd_response_is_ok(r));
  etcd_response_free(r);
  CHECK(etcd_client_put(a, S("/k1"), S("a1"), 0, &r) == ETCD_STATUS_OK && etcd_response_is_ok(r));
  CHECK(bytes_is(etcd_value_key(etcd_response_prev_value(r)), "/k1"));
  CHECK(bytes_is(etcd_value_value(etcd_response_prev_value(r)), "a0"));
  etcd_response_free(r);
  CHECK(etcd_client_put(a, S("/k2"), S("a2"), 0, &r) == ETCD_STATUS_OK && etcd_response_is_ok(r));
  etcd_response_free(r);
  CHECK(etcd_client_put(b, S("/k1"), S("b1"), 0, &r) == ETCD_STATUS_OK && etcd_response_is_ok(r));
  etcd_response_free(r);

  CHECK(etcd_client_get(a, S("/k1"), 0, &r) == ETCD_STATUS_OK && etcd_response_is_ok(r));
  CHECK(bytes_is(etcd_value_key(etcd_response_value(r)), "/k1"));
  CHECK(bytes_is(etcd_value_value(etcd_response_value(r)), "a1"));
  etcd_response_free(r);
  CHECK(etcd_client_get(b, S("/k1"), 0, &r) == ETCD_STATUS_OK);
  CHECK(bytes_is(etcd_value_value(etcd_response_value(r)), "b1"));
  etcd_response_free(r);
  CHECK(etcd_client_get(b, S("/k2"), 0, &r) == ETCD_STATUS_OK);
  CHECK(etcd_response_error_code(r) == ETCD_ERROR_KEY_NOT_FOUND);
  etcd_response_free(r);

  /* ls inside: without the prefix; outside: the stored keys. */
  CHECK(etcd_client_ls(a, S("/"), 0, 0, &r) == ETCD_STATUS_OK && etcd_response_is_ok(r));
  CHECK(text_is(keys_of(r, buf, sizeof buf), "/k1,/k2"));
  etcd_response_free(r);
  CHECK(etcd_client_ls(b, S(""), 0, 0, &r) == ETCD_STATUS_OK && etcd_response_is_ok(r));
  CHECK(text_is(keys_of(r, buf, sizeof buf), "/k1"));
  etcd_response_free(r);
  snprintf(want, sizeof want, "%sa/k1,%sa/k2,%sb/k1", base, base, base);
  CHECK(text_is(stored(plain, base, buf, sizeof buf), want));

  /* An empty key is refused, naming the operation. */
  CHECK(etcd_client_get(a, "", 0, 0, &r) == ETCD_STATUS_OK);
  CHECK(etcd_response_error_code(r) == ETCD_ERROR_GRPC_INVALID_ARGUMENT);
  CHECK(strstr(etcd_response_error_message(r), "get") != NULL);
  etcd_response_free(r);

  /* Nested namespaces add up. */
  CHECK(etcd_client_namespace(a, S("/k"), &sub) == ETCD_STATUS_OK);
  CHECK(etcd_client_get(sub, S("2"), 0, &r) == ETCD_STATUS_OK && etcd_response_is_ok(r));
  CHECK(bytes_is(etcd_value_key(etcd_response_value(r)), "2"));
  CHECK(bytes_is(etcd_value_value(etcd_response_value(r)), "a2"));
  etcd_response_free(r);
  etcd_client_free(sub);

  /* rmdir of the whole of b leaves a alone. */
  CHECK(etcd_client_rmdir(b, S("/"), true, &r) == ETCD_STATUS_OK && etcd_response_is_ok(r));
  CHECK(text_is(keys_of(r, buf, sizeof buf), "/k1"));
  etcd_response_free(r);
  snprintf(want, sizeof want, "%sa/k1,%sa/k2", base, base);
  CHECK(text_is(stored(plain, base, buf, sizeof buf), want));

  /* The client it was made from may be freed first. */
  etcd_client_free(b);
  CHECK(etcd_client_rmdir(a, S("/"), true, &r) == ETCD_STATUS_OK && etcd_response_is_ok(r));
  etcd_response_free(r);
  etcd_client_free(a);
  CHECK(text_is(stored(plain, base, buf, sizeof buf), ""));
}

static void test_txn(etcd_client *plain) {
  char p[160], outside[160];
  etcd_client *ns = NULL;
  etcd_txn *txn = NULL, *nested = NULL;
  etcd_response *r = NULL;
  if (!CHECK(etcd_client_namespace(plain, S(at(p, sizeof p, "t")), &ns) == ETCD_STATUS_OK)) return;
  CHECK(etcd_client_put(ns, S("/counter"), S("1"), 0, &r) == ETCD_STATUS_OK);
  etcd_response_free(r);
  CHECK(etcd_client_put(plain, S(at(outside, sizeof outside, "counter")), S("outside"), 0, &r) ==
        ETCD_STATUS_OK);
  etcd_response_free(r);

  CHECK(etcd_txn_new(&txn) == ETCD_STATUS_OK);
  CHECK(etcd_txn_new(&nested) == ETCD_STATUS_OK);
  CHECK(etcd_txn_compare_value(txn, ETCD_COMPARE_EQUAL, S("/counter"), NULL, 0, S("1")) ==
        ETCD_STATUS_OK);
  CHECK(etcd_txn_put(txn, ETCD_TXN_SUCCESS, S("/counter"), S("2"), 0, false) == ETCD_STATUS_OK);
  CHECK(etcd_txn_get(nested, ETCD_TXN_SUCCESS, S("/counter"), NULL, 0, 0) == ETCD_STATUS_OK);
  CHECK(etcd_txn_nest(txn, ETCD_TXN_SUCCESS, nested) == ETCD_STATUS_OK);
  CHECK(etcd_txn_get(txn, ETCD_TXN_FAILURE, S("/counter"), NULL, 0, 0) == ETCD_STATUS_OK);
  CHECK(etcd_client_txn(ns, txn, &r) == ETCD_STATUS_OK && etcd_response_is_ok(r));
  etcd_response_free(r);
  /* Stored inside the namespace; the key of the same name outside is untouched. */
  CHECK(etcd_client_get(plain, S(at(outside, sizeof outside, "t/counter")), 0, &r) ==
        ETCD_STATUS_OK);
  CHECK(bytes_is(etcd_value_value(etcd_response_value(r)), "2"));
  etcd_response_free(r);
  CHECK(etcd_client_get(plain, S(at(outside, sizeof outside, "counter")), 0, &r) == ETCD_STATUS_OK);
  CHECK(bytes_is(etcd_value_value(etcd_response_value(r)), "outside"));
  etcd_response_free(r);
  /* Run again: the comparison fails, the failure branch reads the key without the prefix. */
  CHECK(etcd_client_txn(ns, txn, &r) == ETCD_STATUS_OK);
  CHECK(etcd_response_error_code(r) == ETCD_ERROR_COMPARE_FAILED);
  CHECK(etcd_response_value_count(r) == 1);
  CHECK(bytes_is(etcd_response_key_at(r, 0), "/counter"));
  CHECK(bytes_is(etcd_value_value(etcd_response_value(r)), "2"));
  etcd_response_free(r);
  etcd_txn_free(nested);
  etcd_txn_free(txn);

  /* A lock named inside the namespace. */
  CHECK(etcd_client_lock(ns, S("/lock"), 10, &r) == ETCD_STATUS_OK && etcd_response_is_ok(r));
  {
    etcd_bytes k = etcd_response_lock_key(r);
    etcd_response *u = NULL;
    CHECK(k.len > 6 && memcmp(k.data, "/lock/", 6) == 0);
    CHECK(etcd_client_unlock(ns, k.data, k.len, &u) == ETCD_STATUS_OK && etcd_response_is_ok(u));
    etcd_response_free(u);
  }
  etcd_response_free(r);
  etcd_client_free(ns);
}

typedef struct {
  pthread_mutex_t mutex;
  char log[1024];
  int events;
} watch_log;

static void on_watch(void *userdata, const etcd_response *response) {
  watch_log *w = (watch_log *)userdata;
  size_t i, n = etcd_response_event_count(response);
  pthread_mutex_lock(&w->mutex);
  for (i = 0; i < n; i++) {
    const etcd_event *e = etcd_response_event_at(response, i);
    etcd_bytes k = etcd_value_key(etcd_event_kv(e));
    size_t used = strlen(w->log);
    snprintf(w->log + used, sizeof w->log - used, "%s %.*s;",
             etcd_event_get_type(e) == ETCD_EVENT_TYPE_PUT ? "put" : "delete", (int)k.len,
             (const char *)k.data);
    w->events++;
  }
  pthread_mutex_unlock(&w->mutex);
}

static int events_of(watch_log *w) {
  int n;
  pthread_mutex_lock(&w->mutex);
  n = w->events;
  pthread_mutex_unlock(&w->mutex);
  return n;
}

static void test_watch(etcd_client *plain) {
  char p[160], outside[160];
  etcd_client *ns = NULL;
  etcd_watcher *w = NULL;
  etcd_response *r = NULL;
  watch_log log;
  double end;
  memset(&log, 0, sizeof log);
  pthread_mutex_init(&log.mutex, NULL);
  if (!CHECK(etcd_client_namespace(plain, S(at(p, sizeof p, "w")), &ns) == ETCD_STATUS_OK)) return;
  if (!CHECK(etcd_watcher_new(ns, S("/"), true, 0, on_watch, &log, NULL, &w) == ETCD_STATUS_OK)) {
    etcd_client_free(ns);
    return;
  }
  CHECK(etcd_client_put(plain, S(at(outside, sizeof outside, "outside")), S("1"), 0, &r) ==
        ETCD_STATUS_OK);
  etcd_response_free(r);
  CHECK(etcd_client_put(ns, S("/x"), S("1"), 0, &r) == ETCD_STATUS_OK);
  etcd_response_free(r);
  CHECK(etcd_client_rm(ns, S("/x"), &r) == ETCD_STATUS_OK);
  etcd_response_free(r);
  end = now_s() + 5;
  while (events_of(&log) < 2 && now_s() < end) pause_ms(10);
  pthread_mutex_lock(&log.mutex);
  CHECK(text_is(log.log, "put /x;delete /x;"));
  if (!text_is(log.log, "put /x;delete /x;")) fprintf(stderr, "  log: %s\n", log.log);
  pthread_mutex_unlock(&log.mutex);
  etcd_watcher_free(w);
  etcd_client_free(ns);
}

/* The keys of a discovery snapshot joined by ','. */
static const char *view(etcd_discovery *d, char *out, size_t size) {
  etcd_response *r = NULL;
  out[0] = '\0';
  if (etcd_discovery_snapshot(d, &r) == ETCD_STATUS_OK) keys_of(r, out, size);
  etcd_response_free(r);
  return out;
}

static int wait_view(etcd_discovery *d, const char *want) {
  char buf[256];
  double end = now_s() + 5;
  while (!text_is(view(d, buf, sizeof buf), want)) {
    if (now_s() > end) {
      fprintf(stderr, "  view: %s, want %s\n", buf, want);
      return 0;
    }
    pause_ms(10);
  }
  return 1;
}

static void test_registry_and_discovery(etcd_client *plain) {
  char pa[160], pb[160], buf[512], want[512];
  etcd_client *a = NULL, *b = NULL;
  etcd_registry *ra = NULL, *rb = NULL;
  etcd_discovery *da = NULL, *db = NULL;
  etcd_response *r = NULL;
  if (!CHECK(etcd_client_namespace(plain, S(at(pa, sizeof pa, "ra")), &a) == ETCD_STATUS_OK) ||
      !CHECK(etcd_client_namespace(plain, S(at(pb, sizeof pb, "rb")), &b) == ETCD_STATUS_OK))
    return;
  CHECK(etcd_discovery_new(a, S("/svc/"), NULL, NULL, NULL, &da) == ETCD_STATUS_OK);
  CHECK(etcd_discovery_new(b, S("/svc/"), NULL, NULL, NULL, &db) == ETCD_STATUS_OK);
  CHECK(etcd_discovery_wait_ready(da, 5000) && etcd_discovery_wait_ready(db, 5000));
  CHECK(etcd_registry_new(a, 30, true, NULL, NULL, NULL, &ra) == ETCD_STATUS_OK);
  CHECK(etcd_registry_new(b, 30, true, NULL, NULL, NULL, &rb) == ETCD_STATUS_OK);
  CHECK(etcd_registry_add(ra, S("/svc/1"), S("10.0.0.1:80"), &r) == ETCD_STATUS_OK &&
        etcd_response_is_ok(r));
  etcd_response_free(r);
  CHECK(etcd_registry_add(rb, S("/svc/2"), S("10.0.0.2:80"), &r) == ETCD_STATUS_OK &&
        etcd_response_is_ok(r));
  etcd_response_free(r);
  CHECK(wait_view(da, "/svc/1"));
  CHECK(wait_view(db, "/svc/2"));
  snprintf(want, sizeof want, "%sra/svc/1,%srb/svc/2", base, base);
  CHECK(text_is(stored(plain, at(pa, sizeof pa, "r"), buf, sizeof buf), want));
  /* Closing revokes each lease: both views empty again. */
  etcd_registry_free(ra);
  etcd_registry_free(rb);
  CHECK(wait_view(da, ""));
  CHECK(wait_view(db, ""));
  etcd_discovery_free(da);
  etcd_discovery_free(db);
  etcd_client_free(a);
  etcd_client_free(b);
}

int main(void) {
  etcd_client *plain = NULL;
  setvbuf(stdout, NULL, _IOLBF, 0);
  snprintf(base, sizeof base, "/c-namespace/%d/", (int)getpid());
  if (CHECK(etcd_client_connect(endpoints(), NULL, &plain) == ETCD_STATUS_OK)) {
    test_bad_arguments(plain);
    test_keys_and_isolation(plain);
    test_txn(plain);
    test_watch(plain);
    test_registry_and_discovery(plain);
    etcd_client_free(plain);
  }
  return check_summary();
}
