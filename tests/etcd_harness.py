#!/usr/bin/env python3
"""Throwaway etcd servers on loopback for tests and demos (Python 3 standard library only).

Command line::

    python3 tests/etcd_harness.py run [--members N] [--etcd PATH] -- command args...

starts one etcd member (or an N-member cluster) on free 127.0.0.1 ports with a temporary data
directory, waits until every member answers, runs the command with
``ETCD_ENDPOINTS=http://127.0.0.1:p1,...`` in its environment, stops etcd, removes the data and
exits with the command's exit code.

``python3 tests/etcd_harness.py check-endpoints`` checks the cluster named by ETCD_ENDPOINTS: every
member is healthy and a key written through the first endpoint is read back through every one.

As a module::

    from etcd_harness import EtcdCluster

    with EtcdCluster(members=3) as cluster:
        run_tests(cluster.endpoints_string)

Besides start/stop/endpoints, EtcdCluster offers put/get_prefix/delete_prefix through etcd's
JSON gateway, so tests can prepare and inspect data without a client library.
"""

import argparse
import base64
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

DEFAULT_ETCD = "/usr/bin/etcd"
HOST = "127.0.0.1"


def wait_until(predicate, timeout, interval=0.05):
    """Calls predicate() until it returns a true value or timeout seconds pass; returns its last
    result."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result or time.monotonic() >= deadline:
            return result
        time.sleep(interval)


def free_port(host=HOST):
    """A TCP port that was free on host a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode("ascii")


def _prefix_end(prefix):
    """The range end covering every key that starts with prefix (etcd's prefix rule)."""
    if isinstance(prefix, str):
        prefix = prefix.encode()
    end = bytearray(prefix)
    while end and end[-1] == 0xFF:
        end.pop()
    if not end:
        return b"\0"
    end[-1] += 1
    return bytes(end)


def _exit_with_parent():
    """Child-side setup: SIGKILL this process when the harness dies, so no etcd outlives it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


class EtcdError(RuntimeError):
    """etcd could not be started, or a gateway request failed."""


class EtcdCluster:
    """One etcd member or an N-member cluster on loopback, with a temporary data directory.

    client_ports / peer_ports pin the ports (e.g. [2379] / [2380]); by default free ports are
    picked, and picked again if a member fails to bind.
    """

    def __init__(
        self,
        members=1,
        etcd=None,
        host=HOST,
        client_ports=None,
        peer_ports=None,
        start_timeout=30.0,
        log_level="error",
    ):
        if members < 1:
            raise ValueError("members must be at least 1")
        for ports in (client_ports, peer_ports):
            if ports is not None and len(ports) != members:
                raise ValueError("need one port per member")
        self.members = members
        self.etcd = etcd or os.environ.get("ETCD_BIN") or DEFAULT_ETCD
        self.host = host
        self.start_timeout = start_timeout
        self.log_level = log_level
        self._fixed_client_ports = client_ports
        self._fixed_peer_ports = peer_ports
        self.client_ports = []
        self.peer_ports = []
        self.data_dir = None
        self._procs = []
        self._logs = []

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self):
        """Starts the members and waits until each one reports healthy."""
        if self._procs:
            raise EtcdError("already started")
        if not os.access(self.etcd, os.X_OK):
            raise EtcdError(f"etcd not found at {self.etcd} (install etcd-server, or set ETCD_BIN)")
        self.data_dir = tempfile.mkdtemp(prefix="etcd-harness-")
        fixed = self._fixed_client_ports is not None or self._fixed_peer_ports is not None
        attempts = 1 if fixed else 3
        try:
            for attempt in range(1, attempts + 1):
                self._pick_ports()
                self._spawn(attempt)
                failure = self._wait_ready()
                if failure is None:
                    return self
                self._kill_all()
                if attempt == attempts:
                    raise EtcdError(failure)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout=3.0):
        """Stops every member (SIGTERM, then SIGKILL after timeout) and removes the data."""
        for proc in self._procs:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + timeout
        for proc in self._procs:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._procs = []
        for log in self._logs:
            log.close()
        self._logs = []
        if self.data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None

    def kill(self, index):
        """SIGKILLs member ``index``; the others keep running (stop() still cleans up)."""
        proc = self._procs[index]
        if proc.poll() is None:
            proc.kill()
        proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- addresses -------------------------------------------------------------------------------

    @property
    def endpoints(self):
        """Client URLs, one per member."""
        return [f"http://{self.host}:{port}" for port in self.client_ports]

    @property
    def endpoints_string(self):
        """The endpoints as etcd-cpp-apiv3 takes them: comma-separated."""
        return ",".join(self.endpoints)

    # -- data via the JSON gateway (/v3/kv/...) ------------------------------------------------

    def put(self, key, value, endpoint=None):
        self._gateway("/v3/kv/put", {"key": _b64(key), "value": _b64(value)}, endpoint)

    def get_prefix(self, prefix, endpoint=None):
        """[(key, value)] for every key under prefix, as str (UTF-8, undecodable bytes escaped)."""
        reply = self._gateway(
            "/v3/kv/range", {"key": _b64(prefix), "range_end": _b64(_prefix_end(prefix))}, endpoint
        )

        def decode(text):
            return base64.b64decode(text or "").decode("utf-8", "backslashreplace")

        return [(decode(kv.get("key")), decode(kv.get("value"))) for kv in reply.get("kvs", [])]

    def delete_prefix(self, prefix, endpoint=None):
        self._gateway(
            "/v3/kv/deleterange",
            {"key": _b64(prefix), "range_end": _b64(_prefix_end(prefix))},
            endpoint,
        )

    def healthy(self, endpoint):
        try:
            with urllib.request.urlopen(endpoint + "/health", timeout=2) as reply:
                return json.loads(reply.read().decode()).get("health") in ("true", True)
        except (OSError, ValueError):
            return False

    # -- internals -------------------------------------------------------------------------------

    def _gateway(self, path, body, endpoint=None):
        return gateway_request(endpoint or self.endpoints[0], path, body)

    def _pick_ports(self):
        taken = set()

        def pick():
            while True:
                port = free_port(self.host)
                if port not in taken:
                    taken.add(port)
                    return port

        self.client_ports = list(self._fixed_client_ports or [pick() for _ in range(self.members)])
        self.peer_ports = list(self._fixed_peer_ports or [pick() for _ in range(self.members)])

    def _spawn(self, attempt):
        names = [f"m{i}" for i in range(self.members)]
        initial_cluster = ",".join(
            f"{name}=http://{self.host}:{port}" for name, port in zip(names, self.peer_ports)
        )
        token = f"harness-{os.getpid()}-{attempt}-{time.monotonic_ns()}"
        # etcd reads ETCD_* variables as flags; the ones meant for the command must not reach it.
        env = {k: v for k, v in os.environ.items() if not k.startswith("ETCD")}
        for i, name in enumerate(names):
            member_dir = os.path.join(self.data_dir, f"{name}-{attempt}")
            log_path = os.path.join(self.data_dir, f"{name}-{attempt}.log")
            client_url = f"http://{self.host}:{self.client_ports[i]}"
            peer_url = f"http://{self.host}:{self.peer_ports[i]}"
            args = [
                self.etcd,
                "--name",
                name,
                "--data-dir",
                member_dir,
                "--listen-client-urls",
                client_url,
                "--advertise-client-urls",
                client_url,
                "--listen-peer-urls",
                peer_url,
                "--initial-advertise-peer-urls",
                peer_url,
                "--initial-cluster",
                initial_cluster,
                "--initial-cluster-state",
                "new",
                "--initial-cluster-token",
                token,
                "--logger",
                "zap",
                "--log-level",
                self.log_level,
                "--log-outputs",
                "stderr",
            ]
            log = open(log_path, "wb")
            self._logs.append(log)
            self._procs.append(
                subprocess.Popen(
                    args,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    preexec_fn=_exit_with_parent,
                )
            )

    def _wait_ready(self):
        """None when every member is healthy, else a description of what went wrong."""
        deadline = time.monotonic() + self.start_timeout
        pending = list(zip(self.endpoints, self._procs, self._logs))
        while pending:
            endpoint, proc, log = pending[0]
            if proc.poll() is not None:
                return (
                    f"etcd member for {endpoint} exited with code {proc.returncode}:\n"
                    + self._log_tail(log.name)
                )
            if self.healthy(endpoint):
                pending.pop(0)
                continue
            if time.monotonic() >= deadline:
                return (
                    f"etcd at {endpoint} not healthy after {self.start_timeout:.0f} s:\n"
                    + self._log_tail(log.name)
                )
            time.sleep(0.05)
        return None

    def _kill_all(self):
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        self._procs = []
        for log in self._logs:
            log.close()
        self._logs = []

    @staticmethod
    def _log_tail(path, lines=20):
        try:
            with open(path, "rb") as log:
                tail = log.read().decode("utf-8", "replace").splitlines()[-lines:]
        except OSError:
            return "(no log)"
        return "\n".join(tail) or "(empty log)"


def gateway_request(endpoint, path, body, timeout=5.0):
    """POSTs body as JSON to etcd's gRPC gateway and returns the decoded reply."""
    request = urllib.request.Request(
        endpoint + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return json.loads(reply.read().decode() or "{}")
    except urllib.error.HTTPError as err:
        raise EtcdError(
            f"{path} on {endpoint}: HTTP {err.code} {err.read().decode(errors='replace')}"
        ) from err
    except OSError as err:
        raise EtcdError(f"{path} on {endpoint}: {err}") from err


# -- command line -----------------------------------------------------------------------------


def _run(args):
    command = args.command
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        print(
            "etcd_harness.py run: no command given (usage: run [--members N] -- cmd args...)",
            file=sys.stderr,
        )
        return 2

    cluster = EtcdCluster(
        members=args.members,
        etcd=args.etcd,
        client_ports=[args.client_port] if args.client_port else None,
        peer_ports=[args.peer_port] if args.peer_port else None,
        start_timeout=args.start_timeout,
    )
    child = None

    def forward(signum, _frame):
        # Pass INT/TERM on to the command; cleanup happens when it has exited.
        if child is not None and child.poll() is None:
            child.send_signal(signum)
        else:
            raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            cluster.start()
        except (EtcdError, KeyboardInterrupt) as err:
            print(f"etcd_harness.py: could not start etcd: {err}", file=sys.stderr)
            return 1
        env = dict(os.environ, ETCD_ENDPOINTS=cluster.endpoints_string)
        if not args.quiet:
            print(
                f"etcd_harness.py: etcd ({args.members} member(s)) at {cluster.endpoints_string}",
                file=sys.stderr,
                flush=True,
            )
        try:
            child = subprocess.Popen(command, env=env)
        except OSError as err:
            print(f"etcd_harness.py: cannot run {command[0]}: {err}", file=sys.stderr)
            return 127
        while True:
            try:
                code = child.wait()
                break
            except KeyboardInterrupt:
                continue
        return 128 - code if code < 0 else code
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        cluster.stop()


def _check_endpoints(_args):
    endpoints = [e for e in os.environ.get("ETCD_ENDPOINTS", "").split(",") if e]
    if not endpoints:
        print("ETCD_ENDPOINTS is not set", file=sys.stderr)
        return 1
    probe = EtcdCluster()
    for endpoint in endpoints:
        if not probe.healthy(endpoint):
            print(f"{endpoint}: not healthy", file=sys.stderr)
            return 1
    key = f"/harness-check/{os.getpid()}"
    gateway_request(endpoints[0], "/v3/kv/put", {"key": _b64(key), "value": _b64("ok")})
    for endpoint in endpoints:
        reply = gateway_request(endpoint, "/v3/kv/range", {"key": _b64(key)})
        values = [base64.b64decode(kv["value"]).decode() for kv in reply.get("kvs", [])]
        if values != ["ok"]:
            print(f"{endpoint}: read {values!r}, expected ['ok']", file=sys.stderr)
            return 1
    print(f"{len(endpoints)} endpoint(s) healthy and consistent: {','.join(endpoints)}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="run a command against a throwaway etcd")
    run.add_argument("--members", type=int, default=1, help="cluster size (default 1)")
    run.add_argument(
        "--etcd", default=None, help=f"etcd binary (default $ETCD_BIN or {DEFAULT_ETCD})"
    )
    run.add_argument(
        "--client-port",
        type=int,
        default=0,
        help="fixed client port (single member only; default: a free port)",
    )
    run.add_argument(
        "--peer-port",
        type=int,
        default=0,
        help="fixed peer port (single member only; default: a free port)",
    )
    run.add_argument(
        "--start-timeout",
        type=float,
        default=30.0,
        help="seconds to wait for etcd to become healthy (default 30)",
    )
    run.add_argument("--quiet", action="store_true", help="do not print the endpoints")
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- command args...")
    sub.add_parser("check-endpoints", help="check the cluster named by ETCD_ENDPOINTS")
    args = parser.parse_args(argv)
    if args.action == "run":
        if (args.client_port or args.peer_port) and args.members != 1:
            parser.error("--client-port/--peer-port need --members 1")
        return _run(args)
    return _check_endpoints(args)


if __name__ == "__main__":
    sys.exit(main())
