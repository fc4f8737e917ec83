"""Build step of the etcd_cpp_rs package: bundles the library's C API shared object.

``pip install python/`` (or ``pip wheel python/``) builds the C API alone of the Rust crate
(``cargo build --release --locked --lib --no-default-features --features capi``: no C++ bridge,
no libstdc++) and bundles the resulting cdylib as ``etcd_cpp_rs/libetcd-cpp-rs.so``. The wheel is
then retagged by ``auditwheel repair`` as a manylinux wheel for every Python 3
(``py3-none-manylinux_*``): the library does not use the Python ABI.

Nothing is written into the source tree: cargo builds in a temporary directory (removed
afterwards) unless ``CARGO_TARGET_DIR`` names one to keep, and setuptools' own build and metadata
directories are temporary too. Cargo's progress is shown on the terminal when there is one (and
is in ``pip install -v`` output otherwise).

The crate's sources are taken from the checkout that contains this directory, or from
``rust-src/`` inside an sdist, which carries them. Environment: ``ETCD_CPP_RS_LIBRARY`` bundles an
already built library instead, ``CARGO`` chooses the cargo binary, ``ETCD_CPP_RS_CARGO_FLAGS``
adds cargo arguments (e.g. ``--offline``), ``ETCD_CPP_RS_NO_AUDITWHEEL=1`` keeps the plain
``linux_*`` wheel.
"""

import atexit
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist
from setuptools.dist import Distribution

HERE = Path(__file__).resolve().parent
BUNDLED_NAME = "libetcd-cpp-rs.so"
# What the crate needs to build its C API, relative to the checkout; an sdist carries it in
# rust-src/.
RUST_SOURCES = ["Cargo.toml", "Cargo.lock", "build.rs", "LICENSE", "src"]
SDIST_RUST_DIR = "rust-src"


def log(message: str) -> None:
    print(f"etcd_cpp_rs: {message}", file=sys.stderr, flush=True)


def temporary_dir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, True)
    return path


def crate_dir() -> Path:
    for candidate in (HERE / SDIST_RUST_DIR, HERE.parent):
        if (candidate / "Cargo.toml").is_file() and (candidate / "src" / "capi").is_dir():
            return candidate
    raise SystemExit(
        f"etcd_cpp_rs: the crate's sources are neither in {HERE / SDIST_RUST_DIR} "
        f"nor in {HERE.parent}: build the package from the etcd-cpp-rs source tree "
        "or its sdist, or set ETCD_CPP_RS_LIBRARY to a built library."
    )


def find_cargo() -> str:
    for candidate in (
        os.environ.get("CARGO"),
        shutil.which("cargo"),
        str(Path.home() / ".cargo" / "bin" / "cargo"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    raise SystemExit(
        "etcd_cpp_rs: cargo not found. Building the package needs a Rust toolchain "
        "(https://rustup.rs) and protoc (Debian: protobuf-compiler); or set "
        "ETCD_CPP_RS_LIBRARY to a built library."
    )


def progress_stream():
    """Cargo's progress goes to the terminal, which pip does not capture; else to stderr."""
    try:
        return open("/dev/tty", "w")  # noqa: SIM115 (closed by the caller)
    except OSError:
        return None


def build_library(workdir: Path) -> Path:
    """The path of the shared library to bundle, building it with cargo if needed."""
    prebuilt = os.environ.get("ETCD_CPP_RS_LIBRARY")
    if prebuilt:
        path = Path(prebuilt)
        if not path.is_file():
            raise SystemExit(f"etcd_cpp_rs: ETCD_CPP_RS_LIBRARY={prebuilt} does not exist")
        return path
    crate = crate_dir()
    env = dict(os.environ)
    env.setdefault("CARGO_TARGET_DIR", str(workdir / "cargo-target"))
    # Only the dynamic symbol table matters in a shared library; no debug info, no symtab.
    env.setdefault("CARGO_PROFILE_RELEASE_STRIP", "symbols")
    command = [
        find_cargo(),
        "build",
        "--release",
        "--locked",
        "--lib",
        "--no-default-features",
        "--features",
        "capi",
        "--manifest-path",
        str(crate / "Cargo.toml"),
        "--message-format=json-render-diagnostics",
    ]
    command += shlex.split(os.environ.get("ETCD_CPP_RS_CARGO_FLAGS", ""))
    tty = progress_stream()
    log(" ".join(command[:-1]) + f"  (CARGO_TARGET_DIR={env['CARGO_TARGET_DIR']})")
    if tty:
        tty.write("etcd_cpp_rs: building the C API library with cargo (a few minutes)...\n")
        tty.flush()
    try:
        proc = subprocess.run(
            command,
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=tty or sys.stderr,
            check=False,
        )
    finally:
        if tty:
            tty.close()
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
        library = build_library(temporary_dir("etcd-cpp-rs-build-"))
        target = Path(self.build_lib) / "etcd_cpp_rs" / BUNDLED_NAME
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(library, target)
        os.chmod(target, 0o755)
        log(f"bundled {library} ({target.stat().st_size} bytes)")


class SdistWithRustSources(sdist):
    """The sdist carries the crate's sources (rust-src/), so that it builds on its own."""

    def make_release_tree(self, base_dir, files) -> None:
        super().make_release_tree(base_dir, files)
        crate = crate_dir()
        for name in RUST_SOURCES:
            source, target = crate / name, Path(base_dir) / SDIST_RUST_DIR / name
            if source.is_dir():
                shutil.copytree(
                    source, target, ignore=shutil.ignore_patterns("*.pyc", "__pycache__")
                )
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)


class BinaryDistribution(Distribution):
    """The package carries a native library, so its wheel is platform-specific."""

    def has_ext_modules(self) -> bool:
        return True


commands = {"build_py": BuildWithLibrary, "sdist": SdistWithRustSources}
try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70.1
    bdist_wheel = None
if bdist_wheel is not None:

    class ManylinuxWheel(bdist_wheel):
        """Tags the wheel py3-none-<platform>, then makes it a manylinux wheel with auditwheel."""

        def get_tag(self):
            return ("py3", "none") + tuple(super().get_tag()[2:])

        def run(self) -> None:
            dist_dir = Path(self.dist_dir)
            before = set(dist_dir.glob("*.whl")) if dist_dir.is_dir() else set()
            super().run()
            if os.environ.get("ETCD_CPP_RS_NO_AUDITWHEEL") or not sys.platform.startswith("linux"):
                return
            for wheel in sorted(set(dist_dir.glob("*.whl")) - before):
                if "-linux_" not in wheel.name:
                    continue
                repaired = temporary_dir("etcd-cpp-rs-wheel-")
                command = [
                    sys.executable,
                    "-m",
                    "auditwheel",
                    "repair",
                    "--wheel-dir",
                    str(repaired),
                    str(wheel),
                ]
                log(" ".join(command))
                subprocess.run(command, check=True, stdout=sys.stderr)
                for result in repaired.glob("*.whl"):
                    shutil.move(str(result), dist_dir / result.name)
                    log(f"manylinux wheel: {result.name}")
                wheel.unlink()

    commands["bdist_wheel"] = ManylinuxWheel

# Keep the source tree clean: setuptools' build and metadata directories are temporary.
_scratch = temporary_dir("etcd-cpp-rs-setuptools-")
setup(
    cmdclass=commands,
    distclass=BinaryDistribution,
    options={
        "egg_info": {"egg_base": str(_scratch)},
        "build": {"build_base": str(_scratch / "build")},
    },
)
