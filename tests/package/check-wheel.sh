#!/usr/bin/env bash
# The Python wheel as a user gets it: built by 'pip wheel python/' (unless a wheel is given),
# tagged py3-none-manylinux_*, installed into a fresh virtual environment whose PATH has no Rust
# toolchain, where the service-discovery example (examples/python) runs against a throwaway etcd.
#   check-wheel.sh SOURCE_DIR WORK_DIR [WHEEL]
set -euo pipefail
source=$1 work=$2 wheel=${3:-}
python=${PYTHON:-python3}

rm -rf "$work"
mkdir -p "$work"
if [[ -z $wheel ]]; then
  start=$SECONDS
  "$python" -m pip wheel --no-deps -w "$work/dist" "$source/python"
  wheel=$(ls "$work"/dist/etcd_cpp_rs-*.whl)
  echo "ok:   pip wheel took $((SECONDS - start)) s"
fi
name=$(basename "$wheel")
echo "wheel: $name, $(stat -c %s "$wheel") bytes"
if [[ $name != etcd_cpp_rs-*-py3-none-manylinux_*.whl ]]; then
  echo "FAIL: $name is not tagged py3-none-manylinux_*"
  exit 1
fi
"$python" - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
assert "etcd_cpp_rs/libetcd-cpp-rs.so" in names, names
assert any(n.endswith("licenses/LICENSE") for n in names), names
meta = [n for n in names if n.endswith(".dist-info/METADATA")][0]
text = zipfile.ZipFile(sys.argv[1]).read(meta).decode()
assert "License-Expression: BSD-3-Clause" in text, text
print("ok:   the wheel holds the library, LICENSE and License-Expression: BSD-3-Clause")
PY

"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --no-index "$wheel"
# No Rust, no compiler: the venv, the system directories and etcd only.
clean_path="$work/venv/bin:/usr/bin:/bin"
if env PATH="$clean_path" sh -c 'command -v cargo || command -v rustc'; then
  echo "note: a Rust toolchain is in /usr/bin; the check still uses only the installed wheel"
fi
for example in registrar discoverer; do
  printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$work/venv/bin/python" \
    "$source/examples/python/$example.py" >"$work/$example"
  chmod +x "$work/$example"
done
cd "$work"
env -u PYTHONPATH -u ETCD_CPP_RS_LIBRARY PATH="$clean_path" HOME="$work" \
  "$work/venv/bin/python" -c 'import etcd_cpp_rs, os; print("ok:   imports", os.path.dirname(etcd_cpp_rs.__file__))'
env -u PYTHONPATH -u ETCD_CPP_RS_LIBRARY PATH="$clean_path" HOME="$work" \
  "$work/venv/bin/python" "$source/tests/etcd_harness.py" run --quiet -- \
  "$work/venv/bin/python" "$source/examples/check_examples.py" discovery \
  "$work/registrar" "$work/discoverer"
echo "ok:   the service-discovery example runs from the wheel"
