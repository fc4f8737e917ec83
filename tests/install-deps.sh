#!/usr/bin/env bash
# Installs what building and testing etcd-cpp-rs needs on Debian/Ubuntu, and checks for Rust.
# Safe to run repeatedly: apt is only used when a package is missing.
set -euo pipefail

packages=(
  cmake g++ make ninja-build pkg-config protobuf-compiler libprotobuf-dev dpkg-dev binutils
  etcd-server etcd-client libgtest-dev clang-format
  python3 python3-pytest python3-venv iproute2 util-linux openssl
  libcpprest-dev  # only for the test that installs cpprestsdk and this library side by side
)
min_rust="1.88"

log() { printf 'install-deps: %s\n' "$*"; }

if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  if ((${#missing[@]})); then
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then
      if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
      else
        log "missing packages: ${missing[*]}; run this script as root or install them yourself"
        exit 1
      fi
    fi
    log "installing: ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y --no-install-recommends "${missing[@]}"
  else
    log "all packages present"
  fi
else
  log "not a Debian-like system (no apt-get/dpkg-query); install the equivalents of:"
  log "  ${packages[*]}"
  for tool in cmake c++ ninja etcd python3; do
    command -v "$tool" >/dev/null 2>&1 || log "  (not found: $tool)"
  done
fi

# Rust is not taken from apt: Debian's packaged toolchain is older than this crate needs.
cargo=$(command -v cargo 2>/dev/null || true)
if [[ -z $cargo && -x $HOME/.cargo/bin/cargo ]]; then
  cargo=$HOME/.cargo/bin/cargo
fi
if [[ -z $cargo ]]; then
  cat >&2 <<EOF
install-deps: Rust (cargo) was not found.
  etcd-cpp-rs needs Rust $min_rust or newer. Install it with rustup:
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh
  (see https://rustup.rs), then open a new shell or run: . "\$HOME/.cargo/env"
EOF
  exit 1
fi
rustc=$(dirname "$cargo")/rustc
[[ -x $rustc ]] || rustc=$(command -v rustc || true)
version=$("$rustc" --version 2>/dev/null | awk '{print $2}')
if [[ -z $version ]] || [[ $(printf '%s\n%s\n' "$min_rust" "${version%%-*}" | sort -V | head -n1) != "$min_rust" ]]; then
  echo "install-deps: rustc ${version:-?} at $rustc is older than $min_rust; update it (rustup update)" >&2
  exit 1
fi
log "cargo: $cargo (rustc $version)"
# The style checks (tests/lint.sh) need rustfmt and clippy; rustup installs them when they are absent.
for component in rustfmt clippy; do
  if ! "$(dirname "$cargo")/rustup" component list --installed 2>/dev/null | grep -q "^$component"; then
    if command -v rustup >/dev/null 2>&1 || [[ -x $(dirname "$cargo")/rustup ]]; then
      log "installing the Rust component $component"
      "$(dirname "$cargo")/rustup" component add "$component" || log "could not add $component"
    fi
  fi
done
