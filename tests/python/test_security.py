"""Password authentication and TLS through the Python package (and so through the C API's
connection options), each against its own etcd."""

import base64
import os
import shutil
import subprocess
import sys
import threading

import pytest
from conftest import wait_until

from etcd_cpp_rs import Client, EventType
from etcd_harness import DEFAULT_ETCD, EtcdCluster, free_port, gateway_request

TIMEOUT = 15


def b64(text):
    return base64.b64encode(text.encode()).decode()


@pytest.fixture(scope="module")
def auth_endpoints():
    """An etcd with authentication on: root/rootpw, and app/apppw allowed under /app/ only."""
    with EtcdCluster() as cluster:
        ep = cluster.endpoints[0]
        for path, body in [
            ("/v3/auth/user/add", {"name": "root", "password": "rootpw"}),
            ("/v3/auth/user/grant", {"user": "root", "role": "root"}),
            ("/v3/auth/role/add", {"name": "app"}),
            (
                "/v3/auth/role/grant",
                {
                    "name": "app",
                    "perm": {
                        "permType": "READWRITE",
                        "key": b64("/app/"),
                        "range_end": b64("/app0"),
                    },
                },
            ),
            ("/v3/auth/user/add", {"name": "app", "password": "apppw"}),
            ("/v3/auth/user/grant", {"user": "app", "role": "app"}),
            ("/v3/auth/enable", {}),
        ]:
            gateway_request(ep, path, body)
        yield cluster.endpoints_string


def test_password_authentication(auth_endpoints):
    app = Client(auth_endpoints, user="app", password="apppw")
    assert app.put("/app/k", "v").is_ok
    assert app.get("/app/k").value.value == b"v"
    denied = app.put("/other", "v")
    assert denied.error_code == 7, denied  # gRPC PERMISSION_DENIED

    seen = []
    start = app.get("/app/k").index + 1  # (head() reads a key outside /app/)
    with app.watch("/app/", lambda r: seen.extend(r.events), recursive=True, from_revision=start):
        app.put("/app/w", "1")
        assert wait_until(lambda: seen, TIMEOUT)
    assert seen[0].event_type == EventType.PUT and seen[0].kv.key == b"/app/w"

    wrong = Client(auth_endpoints, user="app", password="nope")
    refused = wrong.get("/app/k")
    assert refused.error_code == 3 and "authentication failed" in refused.error_message
    assert not Client(auth_endpoints).get("/app/k").is_ok


def make_certs(directory):
    """A CA, a server certificate for the name etcd-server.test only, a client certificate."""

    def run(*args):
        subprocess.run(
            ["openssl", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    path = lambda name: os.path.join(directory, name)  # noqa: E731
    with open(path("server.ext"), "w") as f:
        f.write("subjectAltName=DNS:etcd-server.test\nextendedKeyUsage=serverAuth,clientAuth\n")
    with open(path("client.ext"), "w") as f:
        f.write("extendedKeyUsage=clientAuth\n")
    run(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
        "-keyout",
        path("ca.key"),
        "-out",
        path("ca.crt"),
    )
    for who in ("server", "client"):
        run(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            f"/CN={who}",
            "-keyout",
            path(f"{who}.key"),
            "-out",
            path(f"{who}.csr"),
        )
        run(
            "x509",
            "-req",
            "-in",
            path(f"{who}.csr"),
            "-CA",
            path("ca.crt"),
            "-CAkey",
            path("ca.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            path(f"{who}.ext"),
            "-out",
            path(f"{who}.crt"),
        )
    return path


def start_tls_etcd(tmp_path, path, client_cert_auth):
    """Starts an etcd serving clients over TLS with the certificates of ``make_certs`` (asking
    for client certificates if ``client_cert_auth``); returns the process and its client port."""
    port, peer = free_port(), free_port()
    url = f"https://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ETCD")}
    client_auth = (
        ["--client-cert-auth", "--trusted-ca-file", path("ca.crt")] if client_cert_auth else []
    )
    with open(tmp_path / "etcd.log", "wb") as log:
        etcd = subprocess.Popen(
            [
                os.environ.get("ETCD_BIN") or DEFAULT_ETCD,
                "--name",
                "tls",
                "--data-dir",
                str(tmp_path / "data"),
                "--listen-client-urls",
                url,
                "--advertise-client-urls",
                url,
                "--listen-peer-urls",
                f"http://127.0.0.1:{peer}",
                "--initial-advertise-peer-urls",
                f"http://127.0.0.1:{peer}",
                "--initial-cluster",
                f"tls=http://127.0.0.1:{peer}",
                "--cert-file",
                path("server.crt"),
                "--key-file",
                path("server.key"),
                *client_auth,
                "--log-level",
                "error",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    return etcd, port


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_tls_with_client_certificates(tmp_path):
    path = make_certs(str(tmp_path))
    etcd, port = start_tls_etcd(tmp_path, path, client_cert_auth=True)
    try:
        tls = dict(
            ca=path("ca.crt"),
            cert=path("client.crt"),
            key=path("client.key"),
            target_name_override="etcd-server.test",
        )
        client = Client(f"127.0.0.1:{port}", **tls)
        assert wait_until(lambda: client.head().is_ok or etcd.poll() is not None, 30), (
            tmp_path / "etcd.log"
        ).read_text()
        assert client.put("/tls/k", "v").is_ok
        assert client.get("/tls/k").value.value == b"v"

        got = threading.Event()
        start = client.head().index + 1
        with client.watch("/tls/k", lambda r: got.set(), from_revision=start):
            client.put("/tls/k", "v2")
            assert got.wait(TIMEOUT)

        # Without the client certificate the server refuses the connection.
        anonymous = Client(
            f"127.0.0.1:{port}",
            ca=path("ca.crt"),
            target_name_override="etcd-server.test",
            connect_timeout=2,
        )
        assert not anonymous.head().is_ok
        # Without the name override the certificate does not match 127.0.0.1.
        mismatch = Client(
            f"127.0.0.1:{port}",
            ca=path("ca.crt"),
            cert=path("client.crt"),
            key=path("client.key"),
            connect_timeout=2,
        )
        assert not mismatch.head().is_ok
    finally:
        etcd.kill()
        etcd.wait()


CHECK_TRUST = """
import sys
from etcd_cpp_rs import Client
client = Client(sys.argv[1], tls=True, target_name_override="etcd-server.test", connect_timeout=2,
                timeout=5)
response = client.head()
print(response.error_code, response.error_message)
sys.exit(0 if response.is_ok else 3)
"""


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_tls_without_ca_file_uses_the_system_trust_store(tmp_path):
    """TLS without a CA file trusts what the system trusts. The trust store is a throwaway one
    (SSL_CERT_FILE, read by the library like OpenSSL does) in a child process."""
    path = make_certs(str(tmp_path))
    other = tmp_path / "other"
    other.mkdir()
    make_certs(str(other))  # an unrelated CA
    etcd, port = start_tls_etcd(tmp_path, path, client_cert_auth=False)
    try:

        def check(trust_store):
            child_env = dict(
                os.environ, SSL_CERT_FILE=trust_store, SSL_CERT_DIR=str(tmp_path / "none")
            )
            return subprocess.run(
                [sys.executable, "-c", CHECK_TRUST, f"127.0.0.1:{port}"],
                env=child_env,
                capture_output=True,
                text=True,
                timeout=60,
            )

        # The server's CA in the trust store: verified (retried until etcd is up).
        trusted = None

        def connects():
            nonlocal trusted
            trusted = check(path("ca.crt"))
            return trusted.returncode == 0 or etcd.poll() is not None

        assert wait_until(connects, 30), (
            trusted.stdout,
            trusted.stderr,
            (tmp_path / "etcd.log").read_text(),
        )
        assert trusted.returncode == 0, (trusted.stdout, trusted.stderr)
        # Only another CA in the trust store: the same server is refused.
        untrusted = check(str(other / "ca.crt"))
        assert untrusted.returncode == 3, (untrusted.stdout, untrusted.stderr)
    finally:
        etcd.kill()
        etcd.wait()
