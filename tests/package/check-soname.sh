#!/usr/bin/env bash
# Checks the installed shared libraries as the dynamic loader and a distribution see them:
# libetcd-cpp-api has its own versioned SONAME (never the unversioned name of etcd-cpp-apiv3's
# library) with the usual symlinks, a program linked against it records that SONAME, and Release
# libraries carry no debug information.
#   check-soname.sh PREFIX SOVERSION CONSUMER_PROGRAM BUILD_TYPE
set -euo pipefail
prefix=$1 soversion=$2 consumer=$3 build_type=$4
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok:   $*"; }

libdir=$(dirname "$(find "$prefix" -name 'libetcd-cpp-api.so' | head -n1)")
[[ -d $libdir ]] || { echo "FAIL: no libetcd-cpp-api.so under $prefix"; exit 1; }
soname=libetcd-cpp-api.so.$soversion

read_soname() { readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'; }
actual=$(read_soname "$libdir/libetcd-cpp-api.so")
[[ $actual == "$soname" ]] && ok "SONAME of libetcd-cpp-api.so is $actual" \
  || fail "SONAME of libetcd-cpp-api.so is '$actual', expected $soname"

# libetcd-cpp-api.so -> .so.<abi> -> the real file.
link1=$(readlink "$libdir/libetcd-cpp-api.so" || true)
[[ $link1 == "$soname" ]] && ok "libetcd-cpp-api.so -> $link1" \
  || fail "libetcd-cpp-api.so links to '$link1', expected $soname"
real=$(readlink "$libdir/$soname" || true)
if [[ -n $real && -f $libdir/$real && ! -L $libdir/$real ]]; then
  ok "$soname -> $real"
else
  fail "$soname should be a symlink to the real library file, is '$real'"
fi

needed=$(readelf -d "$consumer" | sed -n 's/.*(NEEDED).*\[\(libetcd-cpp-api[^]]*\)\]/\1/p')
[[ $needed == "$soname" ]] && ok "a consumer records NEEDED $needed" \
  || fail "the consumer $consumer needs '$needed', expected $soname"

c_lib=$(find "$libdir" -maxdepth 1 -name 'libetcd-cpp-rs.so.*' -type f | head -n1)
c_soname=$(read_soname "$c_lib")
[[ $c_soname == libetcd-cpp-rs.so.* ]] && ok "SONAME of the C API library is $c_soname" \
  || fail "SONAME of $c_lib is '$c_soname'"

if [[ $build_type == Release || $build_type == MinSizeRel ]]; then
  for lib in "$libdir/$real" "$c_lib"; do
    debug=$(readelf -S -W "$lib" | grep -cE '\] +\.(z?debug_|symtab )' || true)
    size=$(stat -c %s "$lib")
    ((debug == 0)) && ok "$(basename "$lib") is stripped ($size bytes)" \
      || fail "$(basename "$lib") has $debug debug/symbol-table sections ($size bytes)"
  done
fi

if ((failures)); then
  echo "$failures check(s) failed"
  exit 1
fi
