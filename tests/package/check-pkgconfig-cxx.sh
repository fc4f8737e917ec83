#!/usr/bin/env bash
# Builds a program against an installed libetcd-cpp-api by hand, the ways the README documents,
# and runs it:
#   shared:  c++ app.cpp $(pkg-config --cflags --libs etcd-cpp-api)
#   static:  c++ app.cpp $(pkg-config --cflags --libs --static etcd-cpp-api), and the same link
#            line written out: -letcd-cpp-api -letcd-cpp-api-rust -lpthread -ldl -lm -lrt
# and, for a Release static build, that the installed Rust archive carries no debug information.
#   check-pkgconfig-cxx.sh PREFIX shared|static SOURCE CXX WORKDIR [BUILD_TYPE]
set -euo pipefail
prefix=$1 mode=$2 source=$3 cxx=$4 work=$5 build_type=${6:-}

if ! command -v pkg-config >/dev/null; then
  echo "SKIPPED: pkg-config not found"
  exit 0
fi
pc=$(find "$prefix" -name etcd-cpp-api.pc | head -n1)
[[ -n $pc ]] || { echo "FAIL: no etcd-cpp-api.pc under $prefix"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
libdir=$(pkg-config --variable=libdir etcd-cpp-api)
rm -rf "$work"
mkdir -p "$work"

build_and_run() {  # build_and_run NAME FLAGS...
  local name=$1
  shift
  echo "+ $cxx -std=c++11 $(basename "$source") $* -o $name"
  "$cxx" -std=c++11 -Wall -Wextra -Werror "$source" "$@" -o "$work/$name"
  "$work/$name" >"$work/$name.out" || { cat "$work/$name.out"; echo "FAIL: $name failed"; exit 1; }
  echo "ok:   $name built and ran"
}

case $mode in
  shared)
    # shellcheck disable=SC2046
    build_and_run pc-shared $(pkg-config --cflags --libs etcd-cpp-api) "-Wl,-rpath,$libdir"
    ;;
  static)
    [[ -f $libdir/libetcd-cpp-api.a && -f $libdir/libetcd-cpp-api-rust.a ]] \
      || { echo "FAIL: $libdir lacks libetcd-cpp-api.a or libetcd-cpp-api-rust.a"; exit 1; }
    # shellcheck disable=SC2046
    build_and_run pc-static $(pkg-config --cflags --libs --static etcd-cpp-api)
    build_and_run by-hand-static "-I$prefix/include" "-I$prefix/include/etcd-cpp-rs" \
      "-L$libdir" -letcd-cpp-api -letcd-cpp-api-rust -lpthread -ldl -lm -lrt
    for program in pc-static by-hand-static; do
      if readelf -d "$work/$program" | grep -q 'NEEDED.*libetcd'; then
        echo "FAIL: $program links libetcd dynamically"
        exit 1
      fi
    done
    echo "ok:   the static programs need no libetcd shared library"
    if [[ $build_type == Release || $build_type == MinSizeRel ]]; then
      debug=$(readelf -S -W "$libdir/libetcd-cpp-api-rust.a" | grep -cE '\] +\.z?debug_' || true)
      if ((debug)); then
        echo "FAIL: libetcd-cpp-api-rust.a has $debug debug sections"
        exit 1
      fi
      echo "ok:   libetcd-cpp-api-rust.a has no debug information ($(stat -c %s "$libdir/libetcd-cpp-api-rust.a") bytes)"
    fi
    ;;
  *) echo "unknown mode $mode"; exit 2 ;;
esac
