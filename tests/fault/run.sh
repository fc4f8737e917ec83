#!/usr/bin/env bash
# The fault suite: first the linearizability checker's own tests (known-bad histories must be
# reported), then the suite itself on a three-member cluster (tests/fault/main.rs).
#
# Usage: tests/fault/run.sh                 (about 60 s of faults, as in CI)
#        FAULT_SECONDS=300 tests/fault/run.sh   (five rounds of kills and freezes)
# Needs Go (on the PATH, in /usr/local/go/bin, or named by $GO); the checker's dependency
# (Porcupine) comes through the Go module proxy, pinned by go.sum.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [[ -z ${GO:-} ]]; then
  if command -v go >/dev/null 2>&1; then
    GO=$(command -v go)
  elif [[ -x /usr/local/go/bin/go ]]; then
    GO=/usr/local/go/bin/go
  else
    echo "fault suite: Go not found (install it, put it on the PATH, or set GO=/path/to/go)" >&2
    exit 1
  fi
fi
export GO
if [[ -d $HOME/.cargo/bin && :$PATH: != *:$HOME/.cargo/bin:* ]]; then
  PATH=$HOME/.cargo/bin:$PATH
fi

echo "fault suite: checker tests ($("$GO" version))"
(cd "$root/tests/fault/linearizability" && "$GO" test -count=1 ./...)

echo "fault suite: ${FAULT_SECONDS:-60} s of faults"
cd "$root"
cargo test --release --locked --test fault -- --nocapture
