#!/usr/bin/env bash
# From a fresh checkout to a running service-discovery demo:
#   1. installs the build dependencies (tests/install-deps.sh),
#   2. builds the library in build/ and installs it into build/local-prefix,
#   3. builds the examples against that installed package, as an application would,
#   4. starts a throwaway etcd on loopback and runs the registrar (for about 6 s) and the
#      discoverer side by side: the discoverer lists the registered services, watches, and
#      reports both entries as deleted once the registrar has stopped and its lease has expired.
#
# Usage: examples/setup-and-demo.sh [--no-deps]     (BUILD_DIR overrides build/)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Step 4 runs inside the etcd harness, which calls this script again with --demo.
if [[ ${1:-} == --demo ]]; then
  bin=$2
  logs=$(mktemp -d)
  pids=()
  trap 'kill "${pids[@]}" 2>/dev/null || true; wait; rm -rf "$logs"' EXIT

  wait_for() {  # wait_for FILE PATTERN SECONDS
    local deadline=$((SECONDS + $3))
    until grep -q "$2" "$1" 2>/dev/null; do
      if ((SECONDS >= deadline)); then
        echo "demo: timed out waiting for '$2'" >&2
        return 1
      fi
      sleep 0.1
    done
  }
  start() {  # start NAME ARGS...: runs bin/NAME in the background, its output shown as [NAME]
    local name=$1
    shift
    : >"$logs/$name"  # exists before tail opens it
    "$bin/$name" "$@" >>"$logs/$name" 2>&1 &
    pids+=($!)
    tail -n +1 -f --pid=$! "$logs/$name" | sed -u "s/^/[$name] /" &
  }

  echo "demo: etcd at $ETCD_ENDPOINTS"
  start registrar --for 6 --ttl 2 user=127.0.0.1:8080 friend=127.0.0.1:9090
  registrar=${pids[0]}
  wait_for "$logs/registrar" '^lease ' 15

  start discoverer --events 2
  discoverer=${pids[1]}

  wait "$registrar" || true
  echo "demo: the registrar has stopped; its lease expires in about 2 s"
  wait_for "$logs/discoverer" '^stopped after' 30 || kill "$discoverer" 2>/dev/null || true
  wait "$discoverer" || true
  wait  # for the output followers
  echo "demo: done"
  exit 0
fi

if [[ ${1:-} != --no-deps ]]; then
  bash "$root/tests/install-deps.sh"
fi
if [[ -d $HOME/.cargo/bin && :$PATH: != *:$HOME/.cargo/bin:* ]]; then
  PATH=$HOME/.cargo/bin:$PATH
fi

build=${BUILD_DIR:-$root/build}
prefix=$build/local-prefix
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)

echo "==> building the library in $build"
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build"   # libetcd-cpp-api and libetcd-cpp-rs (the C API), both installed below
echo "==> installing it into $prefix"
cmake --install "$build" --prefix "$prefix"

echo "==> building the examples against the installed package"
cmake -S "$root/examples" -B "$build/examples-standalone" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix"
cmake --build "$build/examples-standalone"

echo "==> running the demo"
exec python3 "$root/tests/etcd_harness.py" run -- \
  bash "$root/examples/setup-and-demo.sh" --demo "$build/examples-standalone"
