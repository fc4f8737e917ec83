"""Fixtures of the Python package tests: a real etcd (the one named by ETCD_ENDPOINTS, or a
throwaway one started with tests/etcd_harness.py), a client, and a key prefix per test.

The package is imported from the source tree (python/); its shared library is found as
python/etcd_cpp_rs/_native.py explains (ETCD_CPP_RS_LIBRARY, the bundled copy, or the cargo
build of this checkout).
"""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
if not os.environ.get("ETCD_CPP_RS_TEST_INSTALLED"):
    sys.path.insert(0, str(ROOT / "python"))

import etcd_cpp_rs  # noqa: E402
from etcd_harness import EtcdCluster, wait_until  # noqa: E402,F401


@pytest.fixture(scope="session")
def endpoints():
    """Comma-separated endpoints of the etcd the tests use."""
    given = os.environ.get("ETCD_ENDPOINTS")
    if given:
        yield given
        return
    with EtcdCluster() as cluster:
        yield cluster.endpoints_string


@pytest.fixture
def client(endpoints):
    with etcd_cpp_rs.Client(endpoints) as c:
        yield c


@pytest.fixture
def prefix(request):
    """A key prefix no other test uses: /py-tests/<pid>/<test name>/."""
    return f"/py-tests/{os.getpid()}/{request.node.name}/"
