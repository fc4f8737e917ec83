#!/bin/sh
# Benchmark etcd-cpp-rs (examples/bench.cpp, CMake target etcd-bench) against the official Go
# client (shared/bench/go-clientv3) and optionally the Rust etcd-client crate
# (examples/bench_etcd_client.rs), against etcd 3.4 and etcd 3.6 in one run: each program gets a
# fresh etcd, rounds alternate the program order, and the table shows medians and cpp/go ratios.
#
# Usage: examples/bench/run.sh [ROUNDS]      (default 3)
#
# Environment:
#   CPP_BENCH    the C++ program (default: etcd-bench found under build/)
#   GO_BENCH     the Go client's program (default: built from $BENCH_SRC/go-clientv3 into
#                build/bench-bin/ when `go` is present; without it the Go column is left out)
#   RUST_BENCH   the Rust etcd-client program; BENCH_RUST=1 builds it (cargo, release)
#   ETCD_34      etcd 3.4 (default /usr/bin/etcd)
#   ETCD_36      etcd 3.6 (default: build/bench-bin/etcd-3.6 or /tmp/etcd-3.6, else built from
#                $BENCH_SRC/etcd-modern when `go` is present; without it only 3.4 runs)
#   BENCH_SRC    the reference programs' sources (default: ../shared/bench beside the repository)
#   BENCH_N, BENCH_ASYNC_N  sequential operations (default 2000) and async puts (default 10000)
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ROUNDS=${1:-3}
BIN=$ROOT/build/bench-bin
BENCH_SRC=${BENCH_SRC:-$ROOT/../shared/bench}

if [ -z "${CPP_BENCH:-}" ] && [ -d "$ROOT/build" ]; then
    CPP_BENCH=$(find "$ROOT/build" -name etcd-bench -type f -perm -u+x 2>/dev/null | head -n 1)
fi
if [ -z "${CPP_BENCH:-}" ]; then
    echo "run.sh: no etcd-bench found (configure with -DETCD_BUILD_EXAMPLES=ON and build it," \
        "or set CPP_BENCH)" >&2
    exit 1
fi

# go_build DIR OUT: builds the Go program in DIR into OUT unless OUT exists.
go_build() {
    [ -x "$2" ] && return 0
    command -v go >/dev/null 2>&1 || return 1
    [ -f "$1/go.mod" ] || return 1
    mkdir -p "$(dirname "$2")"
    echo "run.sh: building $1 (go build)" >&2
    (cd "$1" && go build -o "$2" .) >&2
}

if [ -z "${GO_BENCH:-}" ]; then
    if go_build "$BENCH_SRC/go-clientv3" "$BIN/go-clientv3-bench"; then
        GO_BENCH=$BIN/go-clientv3-bench
    else
        echo "run.sh: no Go toolchain or no $BENCH_SRC/go-clientv3: Go column left out" >&2
    fi
fi

ETCD_34=${ETCD_34:-/usr/bin/etcd}
if [ -z "${ETCD_36:-}" ]; then
    if [ -x "$BIN/etcd-3.6" ]; then
        ETCD_36=$BIN/etcd-3.6
    elif [ -x /tmp/etcd-3.6 ]; then
        ETCD_36=/tmp/etcd-3.6
    elif go_build "$BENCH_SRC/etcd-modern" "$BIN/etcd-3.6"; then
        ETCD_36=$BIN/etcd-3.6
    else
        echo "run.sh: no etcd 3.6 (set ETCD_36): running against etcd 3.4 only" >&2
    fi
fi

if [ -z "${RUST_BENCH:-}" ] && [ "${BENCH_RUST:-0}" = 1 ]; then
    (cd "$ROOT" && cargo build --release --example bench_etcd_client >&2)
    RUST_BENCH=$ROOT/target/release/examples/bench_etcd_client
fi

set -- --rounds "$ROUNDS" --n "${BENCH_N:-2000}" --async-n "${BENCH_ASYNC_N:-10000}"
set -- "$@" --server "3.4=$ETCD_34"
[ -n "${ETCD_36:-}" ] && set -- "$@" --server "3.6=$ETCD_36"
set -- "$@" "cpp=$CPP_BENCH"
[ -n "${GO_BENCH:-}" ] && set -- "$@" "go=$GO_BENCH"
[ -n "${RUST_BENCH:-}" ] && set -- "$@" "rust=$RUST_BENCH"

exec python3 "$ROOT/examples/bench/compare.py" "$@"
