#!/usr/bin/env python3
"""Runs the C++ examples against the etcd named by ETCD_ENDPOINTS and checks what they print.

Meant to run under the test harness, which provides a throwaway etcd:

    python3 tests/etcd_harness.py run -- python3 examples/check_examples.py kv build/examples/kv

Scenarios:
  kv BIN                          put/get/ls/rm output
  watch BIN                       the three events and the cancel
  discovery REGISTRAR DISCOVERER  registrar first; the discoverer lists both services, then sees
                                  both DELETE events (with the previous values) once the
                                  registrar has stopped and its lease has expired
  discovery-live REGISTRAR DISCOVERER
                                  discoverer first; it sees both registrations as PUT events,
                                  then both DELETE events
  registry REGISTER DISCOVER      the ServiceRegistry / ServiceDiscovery pair: the view is ready
                                  (empty), sees the registration, and sees the removal as soon
                                  as the registering program ends (its lease is revoked, not left
                                  to expire)
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time

TIMEOUT = 30.0


def wait_until(predicate, timeout=TIMEOUT, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result or time.monotonic() >= deadline:
            return result
        time.sleep(interval)


class Program:
    """A running example whose output goes to a file that can be inspected while it runs."""

    def __init__(self, name, args, stdin=subprocess.DEVNULL):
        self.name = name
        self.out = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdin=stdin, stdout=self.out, stderr=subprocess.STDOUT)

    def output(self):
        self.out.seek(0)
        return self.out.read().decode("utf-8", "backslashreplace")

    def printed(self, pattern):
        return re.search(pattern, self.output(), re.MULTILINE) is not None

    def wait(self, timeout=TIMEOUT):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class CheckFailed(Exception):
    pass


def expect_output(program, expected_lines):
    """The whole output must match expected_lines (one regular expression per line)."""
    actual = program.output().splitlines()
    mismatch = len(actual) != len(expected_lines) or any(
        re.fullmatch(pattern, line) is None for pattern, line in zip(expected_lines, actual)
    )
    if mismatch:
        raise CheckFailed(
            f"{program.name} printed something else. Expected (regular expressions):\n"
            + "\n".join(expected_lines)
        )


def run_to_completion(name, args, expected_lines):
    program = Program(name, args)
    try:
        code = program.wait()
        print(f"--- {name} output:\n{program.output()}", end="")
        if code is None:
            raise CheckFailed(f"{name} did not exit within {TIMEOUT:.0f} s")
        if code != 0:
            raise CheckFailed(f"{name} exited with code {code}")
        expect_output(program, expected_lines)
    finally:
        program.stop()


def check_kv(binary):
    run_to_completion(
        "kv",
        [binary],
        [
            r"put /examples/kv/color = blue: ok",
            r"get /examples/kv/color: blue \(version 1\)",
            r"then: put /examples/kv/shape = circle: ok",
            r"put /examples/kv/size = large: ok",
            r"ls /examples/kv/: 3 keys",
            r"  /examples/kv/color = blue",
            r"  /examples/kv/shape = circle",
            r"  /examples/kv/size = large",
            r"rm /examples/kv/color: ok",
            r"  previous value: blue",
            r"get /examples/kv/color: error 100 \(etcd-cpp-apiv3: key not found\)",
            r"rmdir /examples/kv/ \(recursive\): ok",
            r"  removed 2 keys",
        ],
    )


def check_watch(binary):
    run_to_completion(
        "watch",
        [binary],
        [
            r"watching /examples/watch/",
            r"PUT    /examples/watch/greeting = hello",
            r"PUT    /examples/watch/greeting = hello again \(was hello\)",
            r"DELETE /examples/watch/greeting \(was hello again\)",
            r"cancelled: true",
        ],
    )


SERVICES = ["user=127.0.0.1:8080", "friend=127.0.0.1:9090"]
DELETES = [
    r"DELETE /service/friend \(was 127\.0\.0\.1:9090\)",
    r"DELETE /service/user \(was 127\.0\.0\.1:8080\)",
]


def check_discovery(registrar_bin, discoverer_bin, discoverer_first):
    registrar = discoverer = None
    try:
        if discoverer_first:
            discoverer = Program("discoverer", [discoverer_bin, "--events", "4"])
            if not wait_until(lambda: discoverer.printed(r"^watching ")):
                raise CheckFailed("the discoverer did not start watching")
        registrar = Program("registrar", [registrar_bin, "--ttl", "2"] + SERVICES)
        if not wait_until(
            lambda: registrar.printed(r"^lease ") or registrar.proc.poll() is not None
        ) or not registrar.printed(r"^lease "):
            raise CheckFailed("the registrar did not register the services")
        if not discoverer_first:
            discoverer = Program("discoverer", [discoverer_bin, "--events", "2"])
            if not wait_until(
                lambda: discoverer.printed(r"^watching ") or discoverer.proc.poll() is not None
            ):
                raise CheckFailed("the discoverer did not start watching")
        else:
            if not wait_until(lambda: discoverer.printed(r"^PUT    /service/friend")):
                raise CheckFailed("the discoverer did not see the registrations")

        # The registrar stops without revoking its lease: the entries expire after the TTL.
        registrar.proc.send_signal(signal.SIGTERM)
        if registrar.wait() != 0:
            raise CheckFailed(f"the registrar exited with code {registrar.proc.returncode}")
        code = discoverer.wait()
        if code is None:
            raise CheckFailed("the discoverer did not see the DELETE events")
        if code != 0:
            raise CheckFailed(f"the discoverer exited with code {code}")

        expect_output(
            registrar,
            [
                r"registered /service/user -> 127\.0\.0\.1:8080",
                r"registered /service/friend -> 127\.0\.0\.1:9090",
                r"lease [0-9a-f]+ \(ttl 2 s\) kept alive until stopped",
                r"stopping; the registrations expire within 2 s",
            ],
        )
        if discoverer_first:
            listing = [r"services under /service/: 0"]
            events = [
                r"PUT    /service/user -> 127\.0\.0\.1:8080 \(new\)",
                r"PUT    /service/friend -> 127\.0\.0\.1:9090 \(new\)",
            ] + DELETES
        else:
            listing = [
                r"services under /service/: 2",
                r"  /service/friend -> 127\.0\.0\.1:9090",
                r"  /service/user -> 127\.0\.0\.1:8080",
            ]
            events = DELETES
        expect_output(
            discoverer,
            listing
            + [r"watching /service/ from revision \d+"]
            + events
            + [rf"stopped after {len(events)} events"],
        )
    finally:
        for program in (registrar, discoverer):
            if program is not None:
                program.stop()
                print(f"--- {program.name} output:\n{program.output()}", end="")


def check_registry(register_bin, discover_bin):
    register = discover = None
    try:
        discover = Program("discover", [discover_bin, "2"])
        if not wait_until(
            lambda: discover.printed(r"^ready: ") or discover.proc.poll() is not None
        ):
            raise CheckFailed("the discovery view did not get ready")
        register = Program(
            "register", [register_bin, "demo", "127.0.0.1:8080"], stdin=subprocess.PIPE
        )
        if not wait_until(lambda: discover.printed(r"^added /service/demo")):
            raise CheckFailed("the discovery view did not see the registration")
        register.proc.stdin.close()
        if register.wait() != 0:
            raise CheckFailed(f"register exited with code {register.proc.returncode}")
        # The lease is revoked on exit, so the removal arrives long before the 5 s TTL.
        started = time.monotonic()
        if discover.wait(3) != 0:
            raise CheckFailed("the discovery view did not see the removal within 3 s")
        print(f"removal seen {time.monotonic() - started:.3f} s after register exited")
        expect_output(register, [r"registered /service/demo -> 127\.0\.0\.1:8080: 0"])
        expect_output(
            discover,
            [
                r"ready: 0 services",
                r"added /service/demo -> 127\.0\.0\.1:8080",
                r"removed /service/demo \(was 127\.0\.0\.1:8080\)",
            ],
        )
    finally:
        for program in (register, discover):
            if program is not None:
                program.stop()
                print(f"--- {program.name} output:\n{program.output()}", end="")


def main(argv):
    if "ETCD_ENDPOINTS" not in os.environ:
        print(
            "ETCD_ENDPOINTS is not set; run this under tests/etcd_harness.py run", file=sys.stderr
        )
        return 2
    scenarios = {
        "kv": (1, check_kv),
        "watch": (1, check_watch),
        "discovery": (2, lambda r, d: check_discovery(r, d, discoverer_first=False)),
        "discovery-live": (2, lambda r, d: check_discovery(r, d, discoverer_first=True)),
        "registry": (2, check_registry),
    }
    if len(argv) < 2 or argv[1] not in scenarios or len(argv) != 2 + scenarios[argv[1]][0]:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        scenarios[argv[1]][1](*argv[2:])
    except CheckFailed as failure:
        print(f"FAILED: {failure}")
        return 1
    print(f"{argv[1]}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
