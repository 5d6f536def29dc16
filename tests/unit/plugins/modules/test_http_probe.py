"""http_probe sends one request to a real server on a unix socket or a port, as root or as another user, in HTTP or
uWSGI's protocol, over TLS or not, and names what failed instead of failing."""
import contextlib
import datetime
import http.server
import json
import os
import pwd
import shutil
import socket
import socketserver
import ssl
import struct
import tempfile
import threading
import time
from pathlib import Path

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.wsgi.stack.plugins.modules import http_probe

x509 = pytest.importorskip("cryptography.x509")


def run(capsys, **args):
    with patch_module_args({**args, "_ansible_check_mode": True}), pytest.raises(SystemExit):
        http_probe.main()
    return json.loads(capsys.readouterr().out)


class Echo(http.server.BaseHTTPRequestHandler):
    """Answers with what it was asked and who asked (the peer's uid, over a unix socket)."""

    def do_GET(self):  # noqa: N802 (the standard library's name)
        peer_uid = None
        if self.server.address_family == socket.AF_UNIX:
            peer_uid = struct.unpack("3i", self.request.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[1]
        body = json.dumps({"path": self.path, "headers": dict(self.headers), "peer_uid": peer_uid,
                           "hosts": self.headers.get_all("Host"),
                           "peer": self.client_address[0] if self.client_address else None}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Seen", "one")
        self.send_header("X-Seen", "two")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class TCPServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def serve(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def unix_server():
    # A directory any user may pass through (pytest's own are root's alone), as /run/APP is to nginx's user.
    directory = Path(tempfile.mkdtemp(prefix="http-probe-"))
    directory.chmod(0o755)
    path = directory / "app.sock"
    server = serve(UnixServer(str(path), Echo))
    yield path
    server.shutdown()
    server.server_close()
    shutil.rmtree(directory)


@pytest.fixture
def tcp_server():
    server = serve(TCPServer(("127.0.0.1", 0), Echo))
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_http_over_a_unix_socket_returns_the_answer_with_its_headers(unix_server, capsys):
    found = run(capsys, address=f"unix:{unix_server}", path="/healthz?full=1", headers={"Host": "example.com"})
    assert (found["changed"], found["connected"], found["error"], found["status"]) == (False, True, None, 201)
    assert found["headers"]["x-seen"] == "one, two"
    body = json.loads(found["body"])
    assert body["path"] == "/healthz?full=1" and body["headers"]["Host"] == "example.com"
    assert body["headers"]["Connection"] == "close"


def test_a_host_header_in_any_case_is_the_one_sent(tcp_server, capsys):
    found = run(capsys, address=f"127.0.0.1:{tcp_server}", headers={"host": "example.com"})
    assert json.loads(found["body"])["hosts"] == ["example.com"]
    assert json.loads(run(capsys, address=f"127.0.0.1:{tcp_server}")["body"])["hosts"] == ["localhost"]


def test_a_source_address_is_the_one_the_server_sees(tcp_server, capsys):
    assert json.loads(run(capsys, address=f"127.0.0.1:{tcp_server}")["body"])["peer"] == "127.0.0.1"
    found = run(capsys, address=f"127.0.0.1:{tcp_server}", source="127.0.0.2")
    assert json.loads(found["body"])["peer"] == "127.0.0.2"


def test_http_over_tcp_and_the_body_cut_at_its_limit(tcp_server, capsys):
    found = run(capsys, address=f"127.0.0.1:{tcp_server}", body_limit=10)
    assert found["status"] == 201 and len(found["body"]) == 10
    assert found["elapsed"] >= 0


@pytest.mark.skipif(os.geteuid() != 0, reason="changing user needs root")
def test_as_another_user_the_socket_s_permissions_are_that_user_s(unix_server, capsys):
    nobody = pwd.getpwnam("nobody")
    os.chmod(unix_server, 0o666)
    reached = run(capsys, address=f"unix:{unix_server}", as_user="nobody")
    assert reached["status"] == 201 and json.loads(reached["body"])["peer_uid"] == nobody.pw_uid
    os.chmod(unix_server, 0o600)
    refused = run(capsys, address=f"unix:{unix_server}", as_user="nobody")
    assert (refused["connected"], refused["error"]["errno"], refused["status"]) == (False, "EACCES", None)
    assert "Permission denied" in refused["error"]["message"]
    # The same socket, as root.
    assert run(capsys, address=f"unix:{unix_server}")["status"] == 201


def test_nothing_listening_is_named_not_failed(tmp_path, capsys):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    refused = run(capsys, address=f"127.0.0.1:{port}")
    assert not refused.get("failed")
    assert (refused["connected"], refused["error"]["errno"]) == (False, "ECONNREFUSED")
    missing = run(capsys, address=f"unix:{tmp_path}/no.sock")
    assert missing["error"]["errno"] == "ENOENT"


def test_a_server_that_never_answers_is_a_timeout(capsys):
    with one_connection(lambda connection: connection.recv(4096) and time.sleep(1)) as port:
        found = run(capsys, address=f"127.0.0.1:{port}", timeout=0.3)
    assert (found["connected"], found["error"]["errno"], found["status"]) == (True, "timeout", None)


@contextlib.contextmanager
def one_connection(answer):
    """A port whose server takes one connection and hands it to `answer`, then closes it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve_one():
        connection, _address = listener.accept()
        with connection:
            answer(connection)

    threading.Thread(target=serve_one, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def test_an_answer_that_is_not_http_is_a_protocol_error(capsys):
    def nonsense(connection):
        connection.recv(4096)
        connection.sendall(b"\x00\x01 not http\r\n\r\n")

    with one_connection(nonsense) as port:
        found = run(capsys, address=f"127.0.0.1:{port}")
    assert found["error"]["errno"] == "protocol" and found["status"] is None


def test_uwsgi_s_protocol_carries_the_request_as_cgi_variables(capsys):
    def uwsgi_server(connection):
        modifier1, size, modifier2 = struct.unpack("<BHB", connection.recv(4, socket.MSG_WAITALL))
        payload = connection.recv(size, socket.MSG_WAITALL)
        variables, offset = {}, 0
        while offset < len(payload):
            parts = []
            for _part in range(2):
                length = struct.unpack_from("<H", payload, offset)[0]
                parts.append(payload[offset + 2:offset + 2 + length].decode())
                offset += 2 + length
            variables[parts[0]] = parts[1]
        body = json.dumps({"modifiers": [modifier1, modifier2], "vars": variables}).encode()
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + body)

    with one_connection(uwsgi_server) as port:
        found = run(capsys, address=f"127.0.0.1:{port}", protocol="uwsgi", path="/whoami?x=1",
                    headers={"Host": "example.com", "X-Forwarded-Proto": "https"})
    seen = json.loads(found["body"])
    assert seen["modifiers"] == [0, 0]
    expected = {"REQUEST_METHOD": "GET", "PATH_INFO": "/whoami", "QUERY_STRING": "x=1", "REQUEST_URI": "/whoami?x=1",
                "HTTP_HOST": "example.com", "HTTP_X_FORWARDED_PROTO": "https"}
    assert {key: seen["vars"][key] for key in expected} == expected


@pytest.fixture
def tls_server(tmp_path):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "app.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=30, hours=1))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("app.test"), x509.DNSName("www.app.test")]),
                                  critical=False)
                   .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    names = []
    context.sni_callback = lambda connection, server_name, context: names.append(server_name)
    server = TCPServer(("127.0.0.1", 0), Echo)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    serve(server)
    yield server.server_address[1], names
    server.shutdown()
    server.server_close()


def test_over_tls_the_server_name_is_sent_and_the_certificate_returned(tls_server, capsys):
    port, names = tls_server
    found = run(capsys, address=f"127.0.0.1:{port}", tls=True, headers={"Host": "www.app.test"})
    assert found["status"] == 201 and names == ["www.app.test"]
    assert found["certificate"]["names"] == ["app.test", "www.app.test"]
    assert found["certificate"]["days_left"] == 30
    assert run(capsys, address=f"127.0.0.1:{port}", tls=True, server_name="app.test")["status"] == 201
    assert names[-1] == "app.test"
    # The Host header's port is no part of the name.
    assert run(capsys, address=f"127.0.0.1:{port}", tls=True, headers={"host": "www.app.test:8443"})["status"] == 201
    assert names[-1] == "www.app.test"


def test_tls_to_a_server_that_speaks_plain_http_is_a_tls_error(tcp_server, capsys):
    found = run(capsys, address=f"127.0.0.1:{tcp_server}", tls=True)
    assert (found["connected"], found["error"]["errno"]) == (True, "tls")


@pytest.mark.parametrize(("args", "message"), [
    ({"address": "example.com"}, "address must be unix:/PATH or ADDRESS:PORT"),
    ({"address": "127.0.0.1:80", "path": "/a b"}, "path must start with /"),
    ({"address": "127.0.0.1:80", "path": "healthz"}, "path must start with /"),
    ({"address": "127.0.0.1:80", "headers": {"Host": "a\r\nX-Evil: 1"}}, "a name or value holds a line break"),
    ({"address": "127.0.0.1:80", "as_user": "no-such-user-here"}, "as_user: no user"),
    ({"address": "unix:/run/app.sock", "source": "127.0.0.1"}, "source: only a TCP address"),
])
def test_bad_input_fails_naming_the_option(capsys, args, message):
    found = run(capsys, **args)
    assert found["failed"] and message in found["msg"], found
