#!/usr/bin/env bash
# Makes the Debian packages with 'cpack -G DEB', checks their contents and dependencies, installs
# them with dpkg (into /usr, next to Debian's libcpprest-dev when that is installed), builds the
# service-discovery article's get.cpp/put.cpp against them through find_package, a C++ program
# through pkg-config, and a cpprestsdk program, then removes the packages again.
#   check-deb.sh BUILD_DIR SOURCE_DIR WORK_DIR GENERATOR CXX
# Needs root and dpkg; prints SKIPPED otherwise.
set -euo pipefail
build=$1 source=$2 work=$3 generator=$4 cxx=$5
runtime=libetcd-cpp-rs dev=libetcd-cpp-rs-dev

if [[ $(id -u) -ne 0 ]] || ! command -v dpkg >/dev/null || ! command -v dpkg-shlibdeps >/dev/null; then
  echo "SKIPPED: installing Debian packages needs root, dpkg and dpkg-dev"
  exit 0
fi
for pkg in $runtime $dev; do
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    echo "SKIPPED: $pkg is already installed on this system; not replacing it"
    exit 0
  fi
done

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok:   $*"; }

rm -rf "$work"
mkdir -p "$work"
echo "+ cpack -G DEB"
(cd "$build" && cpack -G DEB -B "$work/packages" >"$work/cpack.log" 2>&1) \
  || { cat "$work/cpack.log"; echo "FAIL: cpack -G DEB"; exit 1; }
runtime_deb=$(ls "$work"/packages/${runtime}_*.deb)
dev_deb=$(ls "$work"/packages/${dev}_*.deb)
ok "made $(basename "$runtime_deb") ($(stat -c %s "$runtime_deb") bytes) and $(basename "$dev_deb") ($(stat -c %s "$dev_deb") bytes)"

contents() { dpkg-deb -c "$1" | awk '{print $6}' | sed 's|^\./|/|'; }
expect_file() {  # expect_file DEB REGEX WHAT
  if contents "$1" | grep -qE "$2"; then ok "$(basename "$1") has $3"; else fail "$(basename "$1") lacks $3"; fi
}
expect_file "$runtime_deb" '^/usr/lib/.*libetcd-cpp-api\.so\.rs[0-9]+$' "the libetcd-cpp-api SONAME link"
expect_file "$runtime_deb" '^/usr/lib/.*libetcd-cpp-rs\.so\.[0-9.]+$' "the C API library"
expect_file "$runtime_deb" '^/usr/share/doc/.*/LICENSE$' "LICENSE"
expect_file "$dev_deb" '^/usr/lib/.*libetcd-cpp-api\.so$' "the libetcd-cpp-api.so link"
expect_file "$dev_deb" '^/usr/include/etcd/Client\.hpp$' "etcd/Client.hpp"
expect_file "$dev_deb" '^/usr/include/etcd/etcd\.h$' "etcd/etcd.h"
expect_file "$dev_deb" '^/usr/include/etcd-cpp-rs/pplx/pplxtasks\.h$' "the bundled pplx under include/etcd-cpp-rs"
expect_file "$dev_deb" '^/usr/lib/.*cmake/etcd-cpp-api/etcd-cpp-api-config\.cmake$' "the CMake package"
expect_file "$dev_deb" '^/usr/lib/.*pkgconfig/etcd-cpp-api\.pc$' "etcd-cpp-api.pc"
expect_file "$dev_deb" '^/usr/lib/.*pkgconfig/etcd-cpp-rs\.pc$' "etcd-cpp-rs.pc"
expect_file "$dev_deb" '^/usr/share/doc/.*/LICENSE$' "LICENSE"
if contents "$runtime_deb" "$dev_deb" | grep -qE '^/usr/include/pplx/'; then
  fail "a package installs into /usr/include/pplx (cpprestsdk's directory)"
fi
if contents "$runtime_deb" | grep -qE '\.so$|/include/'; then
  fail "the runtime package carries development files"
fi
runtime_depends=$(dpkg-deb -f "$runtime_deb" Depends)
dev_depends=$(dpkg-deb -f "$dev_deb" Depends)
echo "     $runtime Depends: $runtime_depends"
echo "     $dev Depends: $dev_depends"
for lib in libc6 libstdc++6 libgcc-s1; do
  [[ $runtime_depends == *"$lib "* || $runtime_depends == *"$lib," || $runtime_depends == *"$lib" ]] \
    || fail "$runtime does not depend on $lib"
done
version=$(dpkg-deb -f "$runtime_deb" Version)
[[ $dev_depends == *"$runtime (= $version)"* ]] && ok "$dev depends on $runtime (= $version)" \
  || fail "$dev does not depend on $runtime (= $version)"

cleanup() { dpkg --purge "$dev" "$runtime" >"$work/dpkg-remove.log" 2>&1 || cat "$work/dpkg-remove.log"; }
trap cleanup EXIT
echo "+ dpkg -i"
dpkg -i "$runtime_deb" "$dev_deb" >"$work/dpkg-install.log" 2>&1 \
  || { cat "$work/dpkg-install.log"; echo "FAIL: dpkg -i"; exit 1; }
ok "dpkg -i $runtime $dev"

if dpkg-query -W -f='${Status}' libcpprest-dev 2>/dev/null | grep -q 'install ok installed'; then
  owner=$(dpkg -S /usr/include/pplx/pplxtasks.h 2>/dev/null | cut -d: -f1)
  [[ $owner == libcpprest-dev ]] && ok "/usr/include/pplx/pplxtasks.h still belongs to libcpprest-dev" \
    || fail "/usr/include/pplx/pplxtasks.h belongs to '$owner'"
  if cmake -S "$source/tests/package/cpprest-consumer" -B "$work/cpprest" -G "$generator" \
       -DCMAKE_BUILD_TYPE=Release >"$work/cpprest.log" 2>&1 \
     && cmake --build "$work/cpprest" >>"$work/cpprest.log" 2>&1 \
     && "$work/cpprest/cpprest-consumer"; then
    ok "a cpprestsdk program builds and runs next to the installed packages"
  else
    cat "$work/cpprest.log"
    fail "the cpprestsdk program"
  fi
else
  echo "note: libcpprest-dev is not installed (tests/install-deps.sh installs it); the" \
       "cpprestsdk side of the shared prefix is not checked"
fi

# The article's programs through find_package(etcd-cpp-api), from /usr, nothing else given.
if cmake -S "$source/tests/article" -B "$work/article" -G "$generator" -DCMAKE_BUILD_TYPE=Release \
     -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$work/article.log" 2>&1 \
   && cmake --build "$work/article" >>"$work/article.log" 2>&1; then
  ok "tests/article get.cpp and put.cpp build against the packages"
  grep -E 'etcd-cpp-api_DIR|etcd-cpp-api.*found' "$work/article/CMakeCache.txt" | head -n1 || true
  resolved=$(ldd "$work/article/get" | awk '/libetcd-cpp-api/ {print $3}')
  packaged=$(dpkg -L "$runtime" | grep -E '/libetcd-cpp-api\.so\.rs[0-9]+$' | head -n1)
  if [[ -n $resolved && $(readlink -f "$resolved") == "$(readlink -f "$packaged")" ]]; then
    ok "get loads $resolved, the packaged $packaged"
  else
    fail "get loads '$resolved', not the packaged '$packaged'"
  fi
else
  cat "$work/article.log"
  fail "building tests/article against the packages"
fi

# A C++ program through pkg-config.
# shellcheck disable=SC2046
if "$cxx" -std=c++11 "$source/tests/consumer/main.cpp" $(pkg-config --cflags --libs etcd-cpp-api) \
     -o "$work/pc-consumer" && "$work/pc-consumer" >"$work/pc-consumer.out"; then
  ok "a program built with pkg-config etcd-cpp-api runs"
else
  fail "the program built with pkg-config etcd-cpp-api"
fi

if ((failures)); then
  echo "$failures check(s) failed"
  exit 1
fi
