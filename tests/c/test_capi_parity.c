/*
 * Tests of the C API's transactions, locks, elections, members, maintenance and log callback
 * against a real etcd named by ETCD_ENDPOINTS (a single member started for this program):
 *
 *   python3 tests/etcd_harness.py run -- build/etcd-capi-parity-test
 *
 * Plain C99 like test_capi.c: the last line reads "N passed, N failed" and the exit status is
 * non-zero when a check failed. Every test has its own key prefix and waits with timeouts.
 */
#define _GNU_SOURCE /* pthread_getname_np */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* "/c-parity/<pid>/<test>/<suffix>" */
static const char *key(char *buf, size_t size, const char *test, const char *suffix) {
  snprintf(buf, size, "/c-parity/%d/%s/%s", (int)getpid(), test, suffix);
  return buf;
}

static void copy_bytes(char *dst, size_t size, etcd_bytes b) {
  size_t n = b.len < size - 1 ? b.len : size - 1;
  memcpy(dst, b.data, n);
  dst[n] = '\0';
}

/* Runs `status`-returning expression that must succeed; the response it made, or NULL. */
#define OK(expr) (CHECK((expr) == ETCD_STATUS_OK) ? response : NULL)

static void put(etcd_client *c, const char *k, const char *v) {
  etcd_response *response = NULL;
  if (OK(etcd_client_put(c, S(k), S(v), 0, &response))) CHECK(etcd_response_is_ok(response));
  etcd_response_free(response);
}

static int get_is(etcd_client *c, const char *k, const char *v) {
  etcd_response *response = NULL;
  int same = 0;
  if (etcd_client_get(c, S(k), 0, &response) == ETCD_STATUS_OK) {
    same = v == NULL ? etcd_response_error_code(response) == ETCD_ERROR_KEY_NOT_FOUND
                     : etcd_response_is_ok(response) &&
                           bytes_is(etcd_value_value(etcd_response_value(response)), v);
  }
  etcd_response_free(response);
  return same;
}

/* Waits for a call to finish and takes its response (NULL if it did not in `seconds`). */
static etcd_response *finish(etcd_call *call, double seconds) {
  etcd_response *response = NULL;
  bool done = false;
  double deadline = now_s() + seconds;
  while (!done && now_s() < deadline) etcd_call_wait(call, 20, &done);
  if (!done || etcd_call_take_response(call, &response) != ETCD_STATUS_OK) response = NULL;
  etcd_call_free(call);
  return response;
}

/* ------------------------------------------------------------------------------------------ */

static void test_txn(etcd_client *c) {
  char a[128], b[128], n[128], end[128];
  etcd_txn *txn = NULL, *inner = NULL;
  etcd_response *response = NULL;
  etcd_call *call = NULL;
  int64_t a_mod;

  key(a, sizeof a, "txn", "a");
  key(b, sizeof b, "txn", "b");
  key(n, sizeof n, "txn", "nested");
  put(c, a, "1");
  put(c, b, "2");
  if (OK(etcd_client_get(c, S(a), 0, &response)) == NULL) return;
  a_mod = etcd_value_modified_index(etcd_response_value(response));
  etcd_response_free(response);

  /* Every comparison holds: the success branch runs (get, put with prev_kv, delete). */
  if (!CHECK(etcd_txn_new(&txn) == ETCD_STATUS_OK)) return;
  CHECK(etcd_txn_compare_value(txn, ETCD_COMPARE_EQUAL, S(a), NULL, 0, S("1")) == ETCD_STATUS_OK);
  CHECK(etcd_txn_compare_value(txn, ETCD_COMPARE_NOT_EQUAL, S(a), NULL, 0, S("x")) ==
        ETCD_STATUS_OK);
  CHECK(etcd_txn_compare_number(txn, ETCD_COMPARE_MOD, ETCD_COMPARE_EQUAL, S(a), NULL, 0, a_mod) ==
        ETCD_STATUS_OK);
  CHECK(etcd_txn_compare_number(txn, ETCD_COMPARE_VERSION, ETCD_COMPARE_GREATER, S(a), NULL, 0,
                                0) == ETCD_STATUS_OK);
  CHECK(etcd_txn_compare_number(txn, ETCD_COMPARE_CREATE, ETCD_COMPARE_LESS, S(a), NULL, 0,
                                a_mod + 1) == ETCD_STATUS_OK);
  CHECK(etcd_txn_compare_number(txn, ETCD_COMPARE_LEASE, ETCD_COMPARE_EQUAL, S(a), NULL, 0, 0) ==
        ETCD_STATUS_OK);
  CHECK(etcd_txn_get(txn, ETCD_TXN_SUCCESS, S(b), NULL, 0, 0) == ETCD_STATUS_OK);
  CHECK(etcd_txn_put(txn, ETCD_TXN_SUCCESS, S(a), S("10"), 0, true) == ETCD_STATUS_OK);
  CHECK(etcd_txn_delete(txn, ETCD_TXN_SUCCESS, S(b), NULL, 0, true) == ETCD_STATUS_OK);
  CHECK(etcd_txn_put(txn, ETCD_TXN_FAILURE, S(a), S("failure ran"), 0, false) == ETCD_STATUS_OK);
  /* A nested transaction in the success branch: puts `n` only if it does not exist. */
  CHECK(etcd_txn_new(&inner) == ETCD_STATUS_OK);
  CHECK(etcd_txn_compare_number(inner, ETCD_COMPARE_VERSION, ETCD_COMPARE_EQUAL, S(n), NULL, 0,
                                0) == ETCD_STATUS_OK);
  CHECK(etcd_txn_put(inner, ETCD_TXN_SUCCESS, S(n), S("made by the nested txn"), 0, false) ==
        ETCD_STATUS_OK);
  CHECK(etcd_txn_nest(txn, ETCD_TXN_SUCCESS, inner) == ETCD_STATUS_OK);
  etcd_txn_free(inner);

  if (OK(etcd_client_txn(c, txn, &response))) {
    CHECK(etcd_response_is_ok(response));
    CHECK(text_is(etcd_response_action(response), "txn"));
    /* Values: the get's key, then the deleted key. */
    CHECK(etcd_response_value_count(response) == 2);
    CHECK(bytes_is(etcd_value_key(etcd_response_value_at(response, 0)), b));
    CHECK(bytes_is(etcd_value_value(etcd_response_value_at(response, 0)), "2"));
    CHECK(bytes_is(etcd_value_value(etcd_response_prev_value(response)), "1"));
    etcd_response_free(response);
  }
  CHECK(get_is(c, a, "10"));
  CHECK(get_is(c, b, NULL));
  CHECK(get_is(c, n, "made by the nested txn"));

  /* Run again: the comparisons fail now (a is "10"): the failure branch runs, error 101. */
  if (OK(etcd_client_txn(c, txn, &response))) {
    CHECK(etcd_response_error_code(response) == ETCD_ERROR_COMPARE_FAILED);
    CHECK(text_is(etcd_response_action(response), "txn"));
    etcd_response_free(response);
  }
  CHECK(get_is(c, a, "failure ran"));
  etcd_txn_free(txn);

  /* Ranges: compare over [prefix, end), read the range in the failure branch, _start twin. */
  key(end, sizeof end, "txn", "z");
  put(c, b, "2");
  CHECK(etcd_txn_new(&txn) == ETCD_STATUS_OK);
  CHECK(etcd_txn_compare_number(txn, ETCD_COMPARE_VERSION, ETCD_COMPARE_GREATER, S(a), S(end), 5) ==
        ETCD_STATUS_OK);
  CHECK(etcd_txn_get(txn, ETCD_TXN_FAILURE, S(a), S(end), 2) == ETCD_STATUS_OK);
  if (CHECK(etcd_client_txn_start(c, txn, &call) == ETCD_STATUS_OK)) {
    etcd_txn_free(txn); /* the call keeps its own copy */
    txn = NULL;
    response = finish(call, 10);
    if (CHECK(response != NULL)) {
      CHECK(etcd_response_error_code(response) == ETCD_ERROR_COMPARE_FAILED);
      CHECK(etcd_response_value_count(response) == 2); /* a, b (limit 2 of a, b, nested) */
      CHECK(bytes_is(etcd_value_key(etcd_response_value_at(response, 0)), a));
      etcd_response_free(response);
    }
  }
  etcd_txn_free(txn);

  /* Bad input. */
  response = (etcd_response *)&passed;
  CHECK(etcd_txn_new(NULL) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_txn_new(&txn) == ETCD_STATUS_OK);
  CHECK(etcd_txn_compare_value(NULL, ETCD_COMPARE_EQUAL, S(a), NULL, 0, S("1")) ==
        ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_txn_compare_value(txn, 7, S(a), NULL, 0, S("1")) == ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_txn_compare_value(txn, ETCD_COMPARE_EQUAL, NULL, 3, NULL, 0, S("1")) ==
        ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_txn_compare_number(txn, ETCD_COMPARE_VALUE, ETCD_COMPARE_EQUAL, S(a), NULL, 0, 1) ==
        ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_txn_compare_number(txn, 99, ETCD_COMPARE_EQUAL, S(a), NULL, 0, 1) ==
        ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_txn_compare_number(txn, ETCD_COMPARE_MOD, 4, S(a), NULL, 0, 1) ==
        ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_txn_get(txn, 2, S(a), NULL, 0, 0) == ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_txn_get(txn, ETCD_TXN_SUCCESS, S(a), NULL, 0, -1) == ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_txn_put(txn, 2, S(a), S("v"), 0, false) == ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_txn_put(txn, ETCD_TXN_SUCCESS, S(a), NULL, 1, 0, false) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_txn_put(txn, ETCD_TXN_SUCCESS, S(a), (const char *)"v", SIZE_MAX, 0, false) ==
        ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_txn_delete(txn, 5, S(a), NULL, 0, false) == ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_txn_delete(NULL, ETCD_TXN_SUCCESS, S(a), NULL, 0, false) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_txn_nest(txn, ETCD_TXN_SUCCESS, txn) == ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_txn_nest(txn, ETCD_TXN_SUCCESS, NULL) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_txn(NULL, txn, &response) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_txn(c, NULL, &response) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_txn(c, txn, NULL) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_txn_start(c, NULL, &call) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(response == (etcd_response *)&passed);
  /* The refused operations added nothing: an empty transaction succeeds and returns nothing. */
  response = NULL;
  if (OK(etcd_client_txn(c, txn, &response))) {
    CHECK(etcd_response_is_ok(response));
    CHECK(etcd_response_value_count(response) == 0);
    etcd_response_free(response);
  }
  etcd_txn_free(txn);
  etcd_txn_free(NULL);
}

/* ------------------------------------------------------------------------------------------ */

static void test_lock(etcd_client *c) {
  char name[128], lock_key[256], k2[256];
  etcd_response *response = NULL, *lease = NULL;
  etcd_call *second = NULL;
  bool done = true;

  key(name, sizeof name, "lock", "mutex");
  if (!OK(etcd_client_lock(c, S(name), 10, &response))) return;
  CHECK(etcd_response_is_ok(response));
  CHECK(text_is(etcd_response_action(response), "lock"));
  copy_bytes(lock_key, sizeof lock_key, etcd_response_lock_key(response));
  CHECK(strncmp(lock_key, name, strlen(name)) == 0 && strlen(lock_key) > strlen(name));
  CHECK(etcd_value_lease(etcd_response_value(response)) != 0);
  etcd_response_free(response);

  /* A second locker waits while the lock is held... */
  CHECK(etcd_client_lock_start(c, S(name), 10, &second) == ETCD_STATUS_OK);
  CHECK(etcd_call_wait(second, 300, &done) == ETCD_STATUS_OK && !done);
  /* ...and gets it once it is released. */
  if (OK(etcd_client_unlock(c, S(lock_key), &response))) {
    CHECK(etcd_response_is_ok(response));
    CHECK(text_is(etcd_response_action(response), "unlock"));
    etcd_response_free(response);
  }
  response = finish(second, 10);
  if (CHECK(response != NULL)) {
    CHECK(etcd_response_is_ok(response));
    copy_bytes(k2, sizeof k2, etcd_response_lock_key(response));
    CHECK(strcmp(k2, lock_key) != 0);
    etcd_response_free(response);
    response = NULL;
    if (OK(etcd_client_unlock_start(c, S(k2), &second))) {
      response = finish(second, 10);
      CHECK(response != NULL && etcd_response_is_ok(response));
      etcd_response_free(response);
    }
  }

  /* With an existing lease. */
  if (OK(etcd_client_lease_grant(c, 30, &lease))) {
    int64_t id = etcd_value_lease(etcd_response_value(lease));
    response = NULL;
    if (OK(etcd_client_lock_with_lease(c, S(name), id, &response))) {
      CHECK(etcd_response_is_ok(response));
      CHECK(etcd_value_lease(etcd_response_value(response)) == id);
      copy_bytes(lock_key, sizeof lock_key, etcd_response_lock_key(response));
      etcd_response_free(response);
      response = NULL;
      CHECK(etcd_client_unlock(c, S(lock_key), &response) == ETCD_STATUS_OK);
      CHECK(response != NULL && etcd_response_is_ok(response));
      etcd_response_free(response);
    }
    if (OK(etcd_client_lock_with_lease_start(c, S(name), id, &second))) {
      response = finish(second, 10);
      CHECK(response != NULL && etcd_response_is_ok(response));
      etcd_response_free(response);
    }
    etcd_response_free(lease);
    /* A lease that does not exist: an error in the response. */
    response = NULL;
    if (OK(etcd_client_lock_with_lease(c, S(name), 0x7777777, &response))) {
      CHECK(!etcd_response_is_ok(response));
      etcd_response_free(response);
    }
  }

  /* Bad input. */
  response = (etcd_response *)&passed;
  CHECK(etcd_client_lock(c, S(name), 0, &response) == ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_client_lock(c, S(name), -5, &response) == ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_client_lock(NULL, S(name), 10, &response) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_lock(c, NULL, 4, 10, &response) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_lock(c, S(name), 10, NULL) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_lock_start(c, S(name), 0, &second) == ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_client_lock_with_lease(c, NULL, 1, 1, &response) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_unlock(c, NULL, 2, &response) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_unlock(NULL, S(name), &response) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(response == (etcd_response *)&passed);
  CHECK(etcd_response_lock_key(NULL).len == 0);
}

/* ------------------------------------------------------------------------------------------ */

static void test_election(etcd_client *c) {
  char name[128], leader_key[256];
  etcd_response *response = NULL, *lease = NULL;
  etcd_observer *observer = NULL;
  etcd_call *call = NULL;
  int64_t id, rev;

  key(name, sizeof name, "election", "e");
  if (!OK(etcd_client_lease_grant(c, 30, &lease))) return;
  id = etcd_value_lease(etcd_response_value(lease));
  etcd_response_free(lease);

  /* No leader yet. */
  if (OK(etcd_client_leader(c, S(name), &response))) {
    CHECK(!etcd_response_is_ok(response));
    CHECK(text_is(etcd_response_action(response), "leader"));
    etcd_response_free(response);
  }
  if (!CHECK(etcd_client_observe(c, S(name), &observer) == ETCD_STATUS_OK)) return;
  CHECK(etcd_observer_wait(observer, 0, &response) == ETCD_STATUS_PENDING);

  response = NULL;
  if (!OK(etcd_client_campaign(c, S(name), id, S("first"), &response))) return;
  CHECK(etcd_response_is_ok(response));
  CHECK(text_is(etcd_response_action(response), "campaign"));
  CHECK(bytes_is(etcd_response_name(response), name));
  copy_bytes(leader_key, sizeof leader_key, etcd_value_key(etcd_response_value(response)));
  rev = etcd_value_created_index(etcd_response_value(response));
  CHECK(etcd_value_lease(etcd_response_value(response)) == id);
  CHECK(rev > 0);
  etcd_response_free(response);

  /* The observer sees the leader. */
  response = NULL;
  if (CHECK(etcd_observer_wait(observer, 10000, &response) == ETCD_STATUS_OK)) {
    CHECK(etcd_response_is_ok(response));
    CHECK(text_is(etcd_response_action(response), "obverse"));
    CHECK(bytes_is(etcd_value_value(etcd_response_value(response)), "first"));
    etcd_response_free(response);
  }

  /* Proclaim a new value: leader() and the observer see it. */
  response = NULL;
  if (OK(etcd_client_proclaim(c, S(name), id, S(leader_key), rev, S("second"), &response))) {
    CHECK(etcd_response_is_ok(response));
    CHECK(text_is(etcd_response_action(response), "preclaim"));
    etcd_response_free(response);
  }
  response = NULL;
  if (OK(etcd_client_leader(c, S(name), &response))) {
    CHECK(etcd_response_is_ok(response));
    CHECK(bytes_is(etcd_value_value(etcd_response_value(response)), "second"));
    CHECK(bytes_is(etcd_value_key(etcd_response_value(response)), leader_key));
    etcd_response_free(response);
  }
  response = NULL;
  if (CHECK(etcd_observer_wait(observer, 10000, &response) == ETCD_STATUS_OK)) {
    CHECK(bytes_is(etcd_value_value(etcd_response_value(response)), "second"));
    etcd_response_free(response);
  }
  /* The _start twins. */
  if (OK(etcd_client_proclaim_start(c, S(name), id, S(leader_key), rev, S("third"), &call))) {
    response = finish(call, 10);
    CHECK(response != NULL && etcd_response_is_ok(response));
    etcd_response_free(response);
  }
  if (OK(etcd_client_leader_start(c, S(name), &call))) {
    response = finish(call, 10);
    CHECK(response != NULL && bytes_is(etcd_value_value(etcd_response_value(response)), "third"));
    etcd_response_free(response);
  }

  /* Resign: no leader any more; proclaiming with the old leadership fails. */
  response = NULL;
  if (OK(etcd_client_resign(c, S(name), id, S(leader_key), rev, &response))) {
    CHECK(etcd_response_is_ok(response));
    CHECK(text_is(etcd_response_action(response), "resign"));
    etcd_response_free(response);
  }
  response = NULL;
  if (OK(etcd_client_leader(c, S(name), &response))) {
    CHECK(!etcd_response_is_ok(response));
    etcd_response_free(response);
  }
  response = NULL;
  if (OK(etcd_client_proclaim(c, S(name), id, S(leader_key), rev, S("late"), &response))) {
    CHECK(!etcd_response_is_ok(response));
    etcd_response_free(response);
  }

  /* A campaign through the _start twin, then resign through its twin. */
  if (OK(etcd_client_campaign_start(c, S(name), id, S("again"), &call))) {
    response = finish(call, 10);
    if (CHECK(response != NULL && etcd_response_is_ok(response))) {
      copy_bytes(leader_key, sizeof leader_key, etcd_value_key(etcd_response_value(response)));
      rev = etcd_value_created_index(etcd_response_value(response));
    }
    etcd_response_free(response);
    if (OK(etcd_client_resign_start(c, S(name), id, S(leader_key), rev, &call))) {
      response = finish(call, 10);
      CHECK(response != NULL && etcd_response_is_ok(response));
      etcd_response_free(response);
    }
  }
  etcd_observer_free(observer);

  /* Bad input. */
  response = (etcd_response *)&passed;
  CHECK(etcd_client_campaign(NULL, S(name), id, S("v"), &response) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_campaign(c, NULL, 1, id, S("v"), &response) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_campaign(c, S(name), id, NULL, 1, &response) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_proclaim(c, S(name), id, NULL, 1, rev, S("v"), &response) ==
        ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_leader(c, S(name), NULL) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_resign(c, S(name), id, S(leader_key), rev, NULL) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_observe(c, S(name), NULL) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_observe(NULL, S(name), &observer) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_observer_wait(NULL, 0, &response) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(response == (etcd_response *)&passed);
  CHECK(etcd_response_name(NULL).len == 0);
  etcd_observer_free(NULL);
}

/* An observer on a client whose server is down: the wait reports the error, then ends. */
static void test_observer_unreachable(void) {
  etcd_client *client = NULL;
  etcd_client_options options = {0};
  etcd_observer *observer = NULL;
  etcd_response *response = NULL;
  options.connect_timeout_ms = 300;
  if (!CHECK(etcd_client_connect("http://127.0.0.1:1", &options, &client) == ETCD_STATUS_OK)) {
    return;
  }
  if (CHECK(etcd_client_observe(client, S("/e"), &observer) == ETCD_STATUS_OK)) {
    if (CHECK(etcd_observer_wait(observer, 10000, &response) == ETCD_STATUS_OK)) {
      CHECK(etcd_response_error_code(response) == ETCD_ERROR_GRPC_UNAVAILABLE);
      etcd_response_free(response);
    }
    response = NULL;
    if (CHECK(etcd_observer_wait(observer, 10000, &response) == ETCD_STATUS_OK)) {
      CHECK(!etcd_response_is_ok(response));
      etcd_response_free(response);
    }
    etcd_observer_free(observer);
  }
  etcd_client_free(client);
}

/* ------------------------------------------------------------------------------------------ */

static void test_members(etcd_client *c) {
  etcd_response *response = NULL;
  etcd_call *call = NULL;
  uint64_t added = 0, self = 0;
  size_t i, count;
  /* A learner does not count for the quorum: adding one to a single-member cluster is safe. */
  const char *peer = "http://127.0.0.1:1";

  if (!OK(etcd_client_member_list(c, &response))) return;
  CHECK(etcd_response_is_ok(response));
  CHECK(text_is(etcd_response_action(response), "listmember"));
  CHECK(etcd_response_member_count(response) == 1);
  if (etcd_response_member_count(response) >= 1) {
    const etcd_member *m = etcd_response_member_at(response, 0);
    self = etcd_member_id(m);
    CHECK(self != 0);
    CHECK(etcd_member_name(m).len > 0);
    CHECK(!etcd_member_is_learner(m));
    CHECK(etcd_member_peer_url_count(m) >= 1 && etcd_member_peer_url_at(m, 0).len > 0);
    CHECK(etcd_member_client_url_count(m) >= 1 && etcd_member_client_url_at(m, 0).len > 0);
    CHECK(etcd_member_peer_url_at(m, 99).len == 0);
    CHECK(etcd_member_client_url_at(m, 99).len == 0);
  }
  CHECK(etcd_response_member_at(response, 5) == NULL);
  etcd_response_free(response);

  response = NULL;
  if (OK(etcd_client_member_add(c, peer, true, &response))) {
    CHECK(etcd_response_is_ok(response));
    CHECK(text_is(etcd_response_action(response), "addmember"));
    if (CHECK(etcd_response_member_count(response) == 1)) {
      const etcd_member *m = etcd_response_member_at(response, 0);
      added = etcd_member_id(m);
      CHECK(etcd_member_is_learner(m));
      CHECK(bytes_is(etcd_member_peer_url_at(m, 0), peer));
    }
    etcd_response_free(response);
  }
  /* The same peer URL again: an error in the response. */
  if (OK(etcd_client_member_add_start(c, peer, true, &call))) {
    response = finish(call, 10);
    CHECK(response != NULL && !etcd_response_is_ok(response));
    etcd_response_free(response);
  }
  if (OK(etcd_client_member_list_start(c, &call))) {
    response = finish(call, 10);
    if (CHECK(response != NULL)) {
      int found = 0;
      count = etcd_response_member_count(response);
      CHECK(count == 2);
      for (i = 0; i < count; i++) {
        const etcd_member *m = etcd_response_member_at(response, i);
        if (etcd_member_id(m) == added) found = etcd_member_is_learner(m);
      }
      CHECK(found);
      etcd_response_free(response);
    }
  }
  response = NULL;
  if (added != 0 && OK(etcd_client_member_remove(c, added, &response))) {
    CHECK(etcd_response_is_ok(response));
    CHECK(text_is(etcd_response_action(response), "removemember"));
    etcd_response_free(response);
  }
  /* Removing it again: not found. */
  if (OK(etcd_client_member_remove_start(c, added, &call))) {
    response = finish(call, 10);
    CHECK(response != NULL && !etcd_response_is_ok(response));
    if (response != NULL) CHECK(strstr(etcd_response_error_message(response), "not found"));
    etcd_response_free(response);
  }

  /* Bad input. */
  response = (etcd_response *)&passed;
  CHECK(etcd_client_member_add(c, NULL, true, &response) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_member_add(c, " , ", true, &response) == ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_client_member_add(c, "\xff\xfe", true, &response) == ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_client_member_add(NULL, peer, true, &response) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_member_list(c, NULL) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_member_remove(NULL, 1, &response) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(response == (etcd_response *)&passed);
  CHECK(etcd_response_member_count(NULL) == 0);
  CHECK(etcd_member_id(NULL) == 0 && etcd_member_name(NULL).len == 0);
  CHECK(!etcd_member_is_learner(NULL) && etcd_member_peer_url_count(NULL) == 0);
}

/* ------------------------------------------------------------------------------------------ */

static void test_maintenance(etcd_client *c) {
  char k[128], authority[128];
  const char *ep = endpoints();
  const char *scheme_end = strstr(ep, "://");
  etcd_response *response = NULL;
  etcd_call *call = NULL;
  int64_t revision;
  int i;

  /* The first endpoint, as host:port. */
  snprintf(authority, sizeof authority, "%s", scheme_end ? scheme_end + 3 : ep);
  authority[strcspn(authority, ",;")] = '\0';

  if (OK(etcd_client_status(c, NULL, &response))) {
    CHECK(etcd_response_is_ok(response));
    CHECK(text_is(etcd_response_action(response), "status"));
    CHECK(etcd_response_status_version(response).len >= 5); /* "3.4.x" */
    CHECK(etcd_response_status_db_size(response) > 0);
    CHECK(etcd_response_status_db_size_in_use(response) > 0);
    CHECK(etcd_response_status_leader(response) != 0);
    CHECK(etcd_response_status_leader(response) == etcd_response_member_id(response));
    CHECK(etcd_response_status_raft_index(response) > 0);
    CHECK(etcd_response_raft_term(response) > 0);
    CHECK(etcd_response_cluster_id(response) != 0);
    CHECK(!etcd_response_status_is_learner(response));
    CHECK(etcd_response_status_error_count(response) == 0);
    CHECK(etcd_response_status_error_at(response, 0).len == 0);
    CHECK(bytes_is(etcd_response_status_endpoint(response), authority));
    etcd_response_free(response);
  }
  /* A named endpoint, with or without scheme; one the client does not have: error 3. */
  response = NULL;
  if (OK(etcd_client_status(c, authority, &response))) {
    CHECK(etcd_response_is_ok(response));
    CHECK(bytes_is(etcd_response_status_endpoint(response), authority));
    etcd_response_free(response);
  }
  response = NULL;
  if (OK(etcd_client_status(c, "http://127.0.0.1:4444", &response))) {
    CHECK(etcd_response_error_code(response) == ETCD_ERROR_GRPC_INVALID_ARGUMENT);
    CHECK(strstr(etcd_response_error_message(response), "not an endpoint of this client"));
    etcd_response_free(response);
  }
  if (OK(etcd_client_status_start(c, "", &call))) {
    response = finish(call, 10);
    CHECK(response != NULL && etcd_response_is_ok(response) &&
          etcd_response_status_raft_index(response) > 0);
    etcd_response_free(response);
  }

  /* Compaction: reading an old revision fails afterwards with error 11. */
  key(k, sizeof k, "maintenance", "k");
  for (i = 0; i < 5; i++) put(c, k, i % 2 ? "odd" : "even");
  response = NULL;
  if (!OK(etcd_client_get(c, S(k), 0, &response))) return;
  revision = etcd_value_modified_index(etcd_response_value(response));
  etcd_response_free(response);
  response = NULL;
  if (OK(etcd_client_compact(c, revision - 2, false, &response))) {
    CHECK(etcd_response_is_ok(response));
    CHECK(text_is(etcd_response_action(response), "compact"));
    CHECK(etcd_response_compact_revision(response) == revision - 2);
    etcd_response_free(response);
  }
  response = NULL;
  if (OK(etcd_client_get(c, S(k), revision - 3, &response))) {
    CHECK(etcd_response_error_code(response) == ETCD_ERROR_GRPC_OUT_OF_RANGE);
    etcd_response_free(response);
  }
  /* Again at the same revision, or a future one: error 11. */
  response = NULL;
  if (OK(etcd_client_compact(c, revision - 2, true, &response))) {
    CHECK(etcd_response_error_code(response) == ETCD_ERROR_GRPC_OUT_OF_RANGE);
    etcd_response_free(response);
  }
  if (OK(etcd_client_compact_start(c, revision + 1000, true, &call))) {
    response = finish(call, 10);
    CHECK(response != NULL && etcd_response_error_code(response) == ETCD_ERROR_GRPC_OUT_OF_RANGE);
    etcd_response_free(response);
  }
  if (OK(etcd_client_compact_start(c, revision, true, &call))) {
    response = finish(call, 10);
    CHECK(response != NULL && etcd_response_is_ok(response));
    etcd_response_free(response);
  }

  /* Defragmentation of the named endpoint and of any. */
  response = NULL;
  if (OK(etcd_client_defragment(c, ep, &response))) {
    CHECK(etcd_response_is_ok(response));
    CHECK(text_is(etcd_response_action(response), "defragment"));
    CHECK(bytes_is(etcd_response_status_endpoint(response), authority));
    etcd_response_free(response);
  }
  if (OK(etcd_client_defragment_start(c, NULL, &call))) {
    response = finish(call, 30);
    CHECK(response != NULL && etcd_response_is_ok(response));
    etcd_response_free(response);
  }
  response = NULL;
  if (OK(etcd_client_defragment(c, "nonsense", &response))) {
    CHECK(etcd_response_error_code(response) == ETCD_ERROR_GRPC_INVALID_ARGUMENT);
    etcd_response_free(response);
  }

  /* Bad input. */
  response = (etcd_response *)&passed;
  CHECK(etcd_client_status(NULL, NULL, &response) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_status(c, NULL, NULL) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_status(c, "\xff", &response) == ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_client_compact(NULL, 1, false, &response) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(etcd_client_defragment(c, "\xc3", &response) == ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_client_defragment(c, NULL, NULL) == ETCD_STATUS_NULL_ARGUMENT);
  CHECK(response == (etcd_response *)&passed);
  CHECK(etcd_response_status_db_size(NULL) == 0 && etcd_response_status_version(NULL).len == 0);
}

/* A server that is down: status and defragment report error 14, not a status. */
static void test_maintenance_unreachable(void) {
  etcd_client *client = NULL;
  etcd_client_options options = {0};
  etcd_response *response = NULL;
  options.connect_timeout_ms = 300;
  if (!CHECK(etcd_client_connect("http://127.0.0.1:1", &options, &client) == ETCD_STATUS_OK)) {
    return;
  }
  if (OK(etcd_client_status(client, "127.0.0.1:1", &response))) {
    CHECK(etcd_response_error_code(response) == ETCD_ERROR_GRPC_UNAVAILABLE);
    etcd_response_free(response);
  }
  response = NULL;
  if (OK(etcd_client_defragment(client, NULL, &response))) {
    CHECK(etcd_response_error_code(response) == ETCD_ERROR_GRPC_UNAVAILABLE);
    etcd_response_free(response);
  }
  response = NULL;
  if (OK(etcd_client_compact(client, 1, false, &response))) {
    CHECK(etcd_response_error_code(response) == ETCD_ERROR_GRPC_UNAVAILABLE);
    etcd_response_free(response);
  }
  etcd_client_free(client);
}

/* ------------------------------------------------------------------------------------------ */

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int messages;
  int failover_seen;
  int on_library_thread;
  int bad_level;
  int freed;
  int reentered;
  char last[512];
} log_record;

static void on_log(void *userdata, etcd_log_level level, const char *message) {
  log_record *r = (log_record *)userdata;
  char name[16] = {0};
  pthread_getname_np(pthread_self(), name, sizeof name);
  pthread_mutex_lock(&r->mu);
  r->messages++;
  if (level < ETCD_LOG_ERROR || level > ETCD_LOG_WARN) r->bad_level++;
  if (strcmp(name, "etcd-cb") == 0) r->on_library_thread++;
  if (strstr(message, "127.0.0.1:1 failed") != NULL && level == ETCD_LOG_WARN) {
    r->failover_seen++;
  }
  snprintf(r->last, sizeof r->last, "%s", message);
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

static void on_log_free(void *userdata) {
  log_record *r = (log_record *)userdata;
  pthread_mutex_lock(&r->mu);
  r->freed++;
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

/* Removes the log callback from inside itself. */
static void on_log_reenter(void *userdata, etcd_log_level level, const char *message) {
  log_record *r = (log_record *)userdata;
  (void)level;
  (void)message;
  etcd_set_log_callback(NULL, ETCD_LOG_DEBUG, NULL, NULL);
  pthread_mutex_lock(&r->mu);
  r->reentered++;
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

static int wait_for(log_record *r, const int *counter, int target, double seconds) {
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

/* Calls on a client whose first endpoint is down until a call fails over (round robin starts
 * at each endpoint in turn). */
static void fail_over_once(void) {
  char spec[512];
  etcd_client *client = NULL;
  etcd_client_options options = {0};
  int i;
  options.connect_timeout_ms = 300;
  snprintf(spec, sizeof spec, "http://127.0.0.1:1,%s", endpoints());
  if (!CHECK(etcd_client_connect(spec, &options, &client) == ETCD_STATUS_OK)) return;
  for (i = 0; i < 4; i++) {
    etcd_response *response = NULL;
    if (etcd_client_head(client, &response) == ETCD_STATUS_OK) {
      CHECK(etcd_response_is_ok(response));
    }
    etcd_response_free(response);
  }
  etcd_client_free(client);
}

static void test_log_callback(void) {
  log_record r;
  memset(&r, 0, sizeof r);
  pthread_mutex_init(&r.mu, NULL);
  pthread_cond_init(&r.cv, NULL);

  CHECK(etcd_set_log_callback(on_log, 0, &r, on_log_free) == ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(etcd_set_log_callback(on_log, 5, &r, on_log_free) == ETCD_STATUS_INVALID_ARGUMENT);
  CHECK(r.freed == 0);
  CHECK(ETCD_LOG_ERROR == 1 && ETCD_LOG_WARN == 2 && ETCD_LOG_INFO == 3 && ETCD_LOG_DEBUG == 4);

  /* A fail-over is logged as a warning, on a library thread. */
  CHECK(etcd_set_log_callback(on_log, ETCD_LOG_WARN, &r, on_log_free) == ETCD_STATUS_OK);
  fail_over_once();
  CHECK(wait_for(&r, &r.failover_seen, 1, 10));
  pthread_mutex_lock(&r.mu);
  CHECK(r.on_library_thread == r.messages && r.messages > 0);
  CHECK(r.bad_level == 0);
  if (r.failover_seen == 0) fprintf(stderr, "  last log message: %s\n", r.last);
  pthread_mutex_unlock(&r.mu);

  /* Removing it: the finalizer runs, no further message arrives. */
  CHECK(etcd_set_log_callback(NULL, ETCD_LOG_DEBUG, NULL, NULL) == ETCD_STATUS_OK);
  CHECK(wait_for(&r, &r.freed, 1, 10));
  pthread_mutex_lock(&r.mu);
  r.failover_seen = 0;
  pthread_mutex_unlock(&r.mu);
  fail_over_once();
  CHECK(r.failover_seen == 0);

  /* A callback may call the API, including this setter. */
  CHECK(etcd_set_log_callback(on_log_reenter, ETCD_LOG_DEBUG, &r, NULL) == ETCD_STATUS_OK);
  fail_over_once();
  CHECK(wait_for(&r, &r.reentered, 1, 10));
  CHECK(etcd_set_log_callback(NULL, ETCD_LOG_DEBUG, NULL, NULL) == ETCD_STATUS_OK);

  pthread_mutex_destroy(&r.mu);
  pthread_cond_destroy(&r.cv);
}

int main(void) {
  etcd_client *client = NULL;

  setvbuf(stdout, NULL, _IOLBF, 0);
  test_observer_unreachable();
  test_maintenance_unreachable();
  test_log_callback();
  if (CHECK(etcd_client_connect(endpoints(), NULL, &client) == ETCD_STATUS_OK)) {
    test_txn(client);
    test_lock(client);
    test_election(client);
    test_members(client);
    test_maintenance(client);
    etcd_client_free(client);
  }
  return check_summary();
}
