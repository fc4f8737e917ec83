#!/bin/sh
# Benchmark etcd-cpp-rs (examples/bench.cpp, CMake target etcd-bench) against the Rust
# etcd-client crate (examples/bench_etcd_client.rs) on one throwaway single-member etcd, and
# print the results side by side with cpp/rust ratios.
#
# Usage: examples/bench/run.sh [ROUNDS]      (default 3; rounds alternate the program order)
#
# Environment:
#   RUST_BENCH  the Rust program (default: target/release/examples/bench_etcd_client, built here)
#   CPP_BENCH   the C++ program (default: etcd-bench found under build/); without it only the
#               Rust side runs
#   BENCH_N, BENCH_ASYNC_N  passed on to both programs (sequential ops, async puts)
#   ETCD_BIN    etcd binary (default /usr/bin/etcd)
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ROUNDS=${1:-3}

if [ -z "${RUST_BENCH:-}" ]; then
    RUST_BENCH=$ROOT/target/release/examples/bench_etcd_client
    if ! (cd "$ROOT" && cargo build --release --example bench_etcd_client >&2); then
        [ -x "$RUST_BENCH" ] || { echo "run.sh: cannot build bench_etcd_client" >&2; exit 1; }
        echo "run.sh: build failed, using the existing $RUST_BENCH" >&2
    fi
fi

if [ -z "${CPP_BENCH:-}" ] && [ -d "$ROOT/build" ]; then
    CPP_BENCH=$(find "$ROOT/build" -name etcd-bench -type f -perm -u+x 2>/dev/null | head -n 1)
fi

set -- "rust=$RUST_BENCH"
if [ -n "${CPP_BENCH:-}" ]; then
    set -- "$@" "cpp=$CPP_BENCH"
else
    echo "run.sh: no etcd-bench found (configure with -DETCD_BUILD_EXAMPLES=ON and build it," \
        "or set CPP_BENCH); running the Rust side only" >&2
fi

exec python3 "$ROOT/tests/etcd_harness.py" run --quiet -- \
    python3 "$ROOT/examples/bench/compare.py" --rounds "$ROUNDS" "$@"
