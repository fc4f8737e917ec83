#!/usr/bin/env python3
"""Runs the service-discovery article's put and get and compares get's output with the article's.

Both programs hard-code http://127.0.0.1:2379, so they run in a private network namespace
(``unshare -n``, or ``unshare -r -n`` without root) with a throwaway etcd on 127.0.0.1:2379 there;
the host's loopback is left alone. The steps follow the article: put registers /service/user and
/service/friend under a 3 s lease and keeps it alive for 10 s; get lists both services and then
watches /service; after put exits the lease expires and get prints two DELETE events.

Exits 0 when get's output matches expected-get.txt exactly, 1 on a mismatch or failure, and 77
(a CTest skip) when no network namespace can be created.

Usage: run_article.py --get BUILD/get --put BUILD/put --expected tests/article/expected-get.txt
"""

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
from etcd_harness import EtcdCluster, EtcdError, _exit_with_parent, wait_until  # noqa: E402

SKIP = 77
SERVICE_KEYS = ["/service/friend", "/service/user"]


def find_ip():
    return shutil.which("ip") or shutil.which("ip", path="/usr/sbin:/sbin:/usr/bin:/bin")


def enter_namespace(args):
    """Re-runs this script inside a new network namespace; returns an exit code if it cannot."""
    ip = find_ip()
    unshare = shutil.which("unshare")
    if not ip or not unshare:
        print(
            "SKIP: 'unshare' (util-linux) and 'ip' (iproute2) are needed for a private network "
            "namespace"
        )
        return SKIP
    reasons = []
    for prefix in ([unshare, "-n"], [unshare, "-r", "-n"]):
        probe = subprocess.run(
            prefix + [ip, "link", "set", "lo", "up"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        if probe.returncode == 0:
            sys.stdout.flush()
            os.execv(
                unshare,
                prefix
                + [
                    sys.executable,
                    os.path.abspath(__file__),
                    "--inside",
                    "--get",
                    args.get,
                    "--put",
                    args.put,
                    "--expected",
                    args.expected,
                    "--timeout",
                    str(args.timeout),
                ],
            )
        reasons.append(
            "unshare " + " ".join(prefix[1:]) + ": " + probe.stdout.decode(errors="replace").strip()
        )
    print(
        "SKIP: cannot create a private network namespace, which the article's programs need "
        "to have 127.0.0.1:2379 to themselves (" + "; ".join(reasons) + ")"
    )
    return SKIP


def read_text(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "backslashreplace")


def line_count(path):
    return read_text(path).count("\n")


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def scenario(args, workdir):
    """Returns (ok, message)."""
    timeout = args.timeout
    expected = read_text(args.expected)
    files = {
        name: os.path.join(workdir, name) for name in ("put.out", "put.err", "get.out", "get.err")
    }
    handles = {name: open(path, "wb") for name, path in files.items()}

    def launch(binary, name):
        return subprocess.Popen(
            [binary],
            stdin=subprocess.DEVNULL,
            stdout=handles[name + ".out"],
            stderr=handles[name + ".err"],
            preexec_fn=_exit_with_parent,
        )

    def report(message):
        details = [message]
        for name, path in files.items():
            text = read_text(path)
            if text:
                details.append(f"--- {name}:\n{text.rstrip()}")
        return False, "\n".join(details)

    with EtcdCluster(client_ports=[2379], peer_ports=[2380]) as etcd:
        put = launch(args.put, "put")
        get = None
        try:

            def registered():
                return sorted(key for key, _ in etcd.get_prefix("/service/")) == SERVICE_KEYS

            if (
                not wait_until(lambda: registered() or put.poll() is not None, timeout)
                or not registered()
            ):
                return report(
                    f"put did not register {SERVICE_KEYS} within {timeout} s "
                    f"(exit code {put.poll()}); etcd has "
                    f"{etcd.get_prefix('/service/')}"
                )
            print("put registered both services; starting get", flush=True)

            get = launch(args.get, "get")
            if (
                not wait_until(
                    lambda: line_count(files["get.out"]) >= 2 or get.poll() is not None, timeout
                )
                or get.poll() is not None
            ):
                return report(
                    f"get did not list the services within {timeout} s (exit code {get.poll()})"
                )
            print("get listed the services; waiting for put to exit", flush=True)

            try:
                put_code = put.wait(timeout + 10)
            except subprocess.TimeoutExpired:
                return report("put did not exit")
            if put_code != 0:
                return report(f"put exited with code {put_code}")
            print("put exited; waiting for the lease to expire", flush=True)

            expected_lines = expected.count("\n")
            if not wait_until(
                lambda: line_count(files["get.out"]) >= expected_lines or get.poll() is not None,
                timeout,
            ):
                return report(
                    f"get did not print the two DELETE events within {timeout} s after put exited"
                )
            if get.poll() is not None:
                return report(f"get exited early with code {get.returncode}")
        finally:
            if get is not None:
                stop(get)
            stop(put)
            for handle in handles.values():
                handle.close()

    actual = read_text(files["get.out"])
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(True),
                actual.splitlines(True),
                "article (expected)",
                "get (actual)",
            )
        )
        return report("get's output differs from the article's:\n" + diff)
    return True, "get's output matches the article:\n" + actual.rstrip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--get", required=True)
    parser.add_argument("--put", required=True)
    parser.add_argument("--expected", required=True)
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for each step (default 30)"
    )
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    for path in (args.get, args.put):
        if not os.access(path, os.X_OK):
            print(f"not an executable: {path}")
            return 1

    if not args.inside:
        return enter_namespace(args)

    subprocess.run([find_ip(), "link", "set", "lo", "up"], check=True)
    workdir = tempfile.mkdtemp(prefix="etcd-article-")
    try:
        started = time.monotonic()
        ok, message = scenario(args, workdir)
    except EtcdError as err:
        ok, message = False, f"etcd: {err}"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(message)
    if ok:
        print(f"article scenario passed in {time.monotonic() - started:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
