/*
 * What the C test programs share: the check counters and CHECK, byte and text comparisons, a
 * monotonic clock and the endpoint the harness started (ETCD_ENDPOINTS). Each program includes
 * it once and ends with `return check_summary();`, whose last line reads "N passed, N failed".
 */
#ifndef ETCD_TESTS_C_CHECK_H
#define ETCD_TESTS_C_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "etcd/etcd.h"

static int passed;
static int failed;

static inline int check(int ok, const char *what, const char *file, int line) {
  if (ok) {
    passed++;
  } else {
    failed++;
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
  }
  return ok;
}

#define CHECK(cond) check((cond) ? 1 : 0, #cond, __FILE__, __LINE__)

/* A NUL-terminated string as a (pointer, length) argument pair. */
#define S(s) (s), strlen(s)

static inline int bytes_eq(etcd_bytes b, const char *data, size_t len) {
  return b.len == len && (len == 0 || memcmp(b.data, data, len) == 0);
}

static inline int bytes_is(etcd_bytes b, const char *s) { return bytes_eq(b, s, strlen(s)); }

static inline int text_is(const char *text, const char *expected) {
  return text != NULL && strcmp(text, expected) == 0;
}

static inline double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline const char *endpoints(void) {
  const char *e = getenv("ETCD_ENDPOINTS");
  return e != NULL ? e : "http://127.0.0.1:2379";
}

/* Prints the counts and gives the program's exit status. */
static inline int check_summary(void) {
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

#endif
