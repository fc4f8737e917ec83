#!/usr/bin/env bash
# Builds and tests everything: the Rust tests (which start their own etcd; release, then debug
# with debug assertions and overflow checks), the fault suite
# (tests/fault/run.sh, needs Go), then the CMake build with the C++ tests and examples under CTest.
#
# Usage: tests/run-all.sh [build-dir]     (default: build; or set BUILD_DIR)
# Extra CTest arguments can be given in CTEST_ARGS, e.g. CTEST_ARGS="-j2 -L package".
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-${BUILD_DIR:-build}}
[[ $build_dir = /* ]] || build_dir=$root/$build_dir
if [[ -d $HOME/.cargo/bin && :$PATH: != *:$HOME/.cargo/bin:* ]]; then
  PATH=$HOME/.cargo/bin:$PATH
fi
cd "$root"

passed=()
failed=()
step() {
  local name=$1
  shift
  printf '\n==> %s: %s\n' "$name" "$*"
  if "$@"; then
    passed+=("$name")
  else
    printf '==> %s FAILED (exit %s)\n' "$name" "$?"
    failed+=("$name")
    return 1
  fi
}

run_ctest() {
  # shellcheck disable=SC2086
  (cd "$build_dir" && ctest --output-on-failure ${CTEST_ARGS:--j2})
}

summary() {
  echo
  if ((${#failed[@]})); then
    echo "run-all: FAILED: ${failed[*]} (passed: ${passed[*]:-none})"
    exit 1
  fi
  echo "run-all: PASSED: ${passed[*]}"
  exit 0
}

step install-deps bash tests/install-deps.sh || summary
# cargo builds once: 'cargo test' uses the CMake build's cargo target directory and profile
# (release, --locked), so the CMake build below reuses the Rust core it compiled.
export CARGO_TARGET_DIR=$build_dir/cargo-target
# Style first (rustfmt, clippy, clang-format, ruff): about a minute, and it fails fast.
step lint bash tests/lint.sh "$build_dir"
step cargo-test cargo test --release --locked
# The same tests in the debug profile (same target directory, its own debug/ subdirectory), so
# that debug assertions and integer overflow checks run too: about 2.7 min (debug build ~100 s,
# tests ~60 s). The fault suite is not part of 'cargo test' (test = false) and stays release-only.
step cargo-test-debug cargo test --locked
# The fault suite (three-member cluster, kills and freezes, Go linearizability checker): ~2 min.
step fault-suite bash tests/fault/run.sh
if step configure cmake -S . -B "$build_dir" -G Ninja \
    -DETCD_BUILD_TESTS=ON -DETCD_BUILD_EXAMPLES=ON -DCMAKE_BUILD_TYPE=Release \
    -DETCD_CARGO_TARGET_DIR="$CARGO_TARGET_DIR"; then
  if step build cmake --build "$build_dir"; then
    step ctest run_ctest
  fi
fi
summary
