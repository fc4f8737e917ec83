"""Build step of the etcd_cpp_rs package: bundles the library's C API shared object.

``pip install python/`` runs ``cargo build --release --lib`` in the etcd-cpp-rs checkout that
contains this directory and copies the resulting cdylib into the package as
``etcd_cpp_rs/libetcd-cpp-rs.so``. Set ``ETCD_CPP_RS_LIBRARY`` to bundle an already built
library instead, and ``CARGO`` to choose the cargo binary.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent
BUNDLED_NAME = "libetcd-cpp-rs.so"


def find_cargo() -> str:
    for candidate in (os.environ.get("CARGO"), shutil.which("cargo"),
                      str(Path.home() / ".cargo" / "bin" / "cargo")):
        if candidate and Path(candidate).is_file():
            return candidate
    raise SystemExit("etcd_cpp_rs: cargo not found. Building the package needs a Rust toolchain "
                     "(https://rustup.rs); or set ETCD_CPP_RS_LIBRARY to a built library.")


def build_library() -> Path:
    """The path of the shared library to bundle, building it with cargo if needed."""
    prebuilt = os.environ.get("ETCD_CPP_RS_LIBRARY")
    if prebuilt:
        path = Path(prebuilt)
        if not path.is_file():
            raise SystemExit(f"etcd_cpp_rs: ETCD_CPP_RS_LIBRARY={prebuilt} does not exist")
        return path
    if not (CHECKOUT / "Cargo.toml").is_file():
        raise SystemExit(f"etcd_cpp_rs: no Cargo.toml in {CHECKOUT}: build the package from the "
                         "etcd-cpp-rs source tree, or set ETCD_CPP_RS_LIBRARY.")
    command = [find_cargo(), "build", "--release", "--lib", "--message-format=json-render-diagnostics"]
    print("etcd_cpp_rs: " + " ".join(command), flush=True)
    proc = subprocess.run(command, cwd=CHECKOUT, stdout=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"etcd_cpp_rs: cargo build failed (exit {proc.returncode})")
    for line in proc.stdout.decode().splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("reason") == "compiler-artifact" and "cdylib" in message["target"]["kind"]:
            for name in message["filenames"]:
                if name.endswith(".so"):
                    return Path(name)
    raise SystemExit("etcd_cpp_rs: cargo did not report the cdylib it built")


class BuildWithLibrary(build_py):
    """build_py that also puts the shared library into the package."""

    def run(self) -> None:
        super().run()
        library = build_library()
        target = Path(self.build_lib) / "etcd_cpp_rs" / BUNDLED_NAME
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(library, target)
        os.chmod(target, 0o755)
        print(f"etcd_cpp_rs: bundled {library} as {target}", flush=True)


class BinaryDistribution(Distribution):
    """The package carries a native library, so its wheel is platform-specific."""

    def has_ext_modules(self) -> bool:
        return True


commands = {"build_py": BuildWithLibrary}
try:  # The library does not depend on the Python ABI: tag the wheel py3-none-<platform>.
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70.1
    bdist_wheel = None
if bdist_wheel is not None:
    class PlatformWheel(bdist_wheel):
        def get_tag(self):
            return ("py3", "none") + tuple(super().get_tag()[2:])

    commands["bdist_wheel"] = PlatformWheel

# Keep the source tree clean: setuptools' metadata goes under build/ with the other build output.
(HERE / "build").mkdir(exist_ok=True)
setup(cmdclass=commands, distclass=BinaryDistribution, options={"egg_info": {"egg_base": "build"}})
