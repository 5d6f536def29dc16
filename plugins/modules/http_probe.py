#!/usr/bin/python
# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
module: http_probe
short_description: One request to a server, over a unix socket or TCP, as a given user, and what came back
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - Connects to an address on the host, a unix socket or a TCP port, optionally as another user (the socket's
    permissions are then those that user meets, as nginx's C(www-data) meets them), sends one request in HTTP or in
    uWSGI's own protocol, optionally over TLS with a server name, and returns what came back.
  - A failure to connect or to get an answer is not a failure of the module; it returns what failed
    (C(ECONNREFUSED), C(EACCES), C(ENOENT), a timeout, a TLS error), so that a playbook can say which layer broke.
  - It changes nothing on the host.
options:
  address:
    description: V(unix:/PATH) for a unix socket, or V(ADDRESS:PORT) (V([ADDRESS]:PORT) for IPv6).
    type: str
    required: true
  path:
    description: The request's target, a path with an optional query.
    type: str
    default: /
  method:
    description: The request's method.
    type: str
    choices: [GET, HEAD]
    default: GET
  headers:
    description: Request headers, such as C(Host) or C(X-Forwarded-Proto); C(Host) defaults to V(localhost).
    type: dict
    default: {}
  protocol:
    description: What the server speaks, V(http), or V(uwsgi) (uWSGI's own protocol, as C(uwsgi_pass) speaks it).
    type: str
    choices: [http, uwsgi]
    default: http
  tls:
    description: Speak TLS first, sending O(server_name) as the server name; the certificate is returned, not verified.
    type: bool
    default: false
  server_name:
    description: The name sent in the TLS handshake (SNI); defaults to the C(Host) header.
    type: str
  source:
    description:
      - The local address to connect from, for a TCP O(address) only; a server that admits only some addresses (an
        allow list that names the server's own listen address) then sees this one.
    type: str
  as_user:
    description:
      - Connect as this user, with its groups, as a process of that user would. Needs the module to run as root.
    type: str
  timeout:
    description: Seconds each step (connecting, the TLS handshake, sending, each read of the answer) may wait.
    type: float
    default: 10
  body_limit:
    description: Bytes of the body to return at most.
    type: int
    default: 4096
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - wsgi.stack.read_only
notes:
  - A request is sent with C(Connection close) and read to its end, up to O(body_limit) bytes of body.
  - The certificate is read with the Python library cryptography (C(python3-cryptography), which the nginx role
    installs with HTTPS); without it, its names are empty and its dates unknown.
requirements:
  - cryptography, for the certificate's names and dates
"""

EXAMPLES = """
- name: Ask the app server for its health path as nginx's user would
  wsgi.stack.http_probe:
    address: unix:/run/hello/gunicorn.sock
    path: /healthz
    headers: {Host: example.com}
    as_user: www-data
  register: app_server

- name: Say what failed
  ansible.builtin.debug:
    msg: "{{ app_server.error.errno | default('answered ' ~ app_server.status) }}"

- name: Ask nginx over HTTPS for the site's name, and read its certificate
  wsgi.stack.http_probe:
    address: 127.0.0.1:443
    tls: true
    headers: {Host: example.com}
  register: site
"""

RETURN = """
connected:
  description: Whether the connection was made.
  type: bool
  returned: always
error:
  description: What failed, or C(none) when an answer came back.
  type: dict
  returned: always
  contains:
    errno:
      description: The error's symbolic name (V(ECONNREFUSED), V(EACCES), V(ENOENT)...), V(timeout), V(tls) or V(protocol).
      type: str
    message:
      description: The error as the system or the TLS library words it.
      type: str
status:
  description: The answer's status, or C(none).
  type: int
  returned: always
reason:
  description: The answer's reason phrase.
  type: str
  returned: always
headers:
  description: The answer's headers, names in lowercase; a repeated header's values joined with C(, ).
  type: dict
  returned: always
body:
  description: The start of the answer's body, decoded as UTF-8 with replacement characters.
  type: str
  returned: always
elapsed:
  description: Seconds from the start of the connection to the end of the answer.
  type: float
  returned: always
certificate:
  description: The server's certificate, with O(tls) only, when the handshake succeeded.
  type: dict
  returned: when tls is true
  contains:
    names:
      description: Its DNS and IP address names.
      type: list
      elements: str
    not_after:
      description: When it expires, in ISO 8601.
      type: str
    days_left:
      description: Whole days until it expires; negative once it has.
      type: int
"""

import datetime
import errno as errno_names
import http.client
import json
import os
import pwd
import re
import select
import signal
import socket
import ssl
import struct
import time

from ansible.module_utils.basic import AnsibleModule

try:
    from cryptography import x509
except ImportError:
    x509 = None


def target(address):
    """(family, address) for socket.connect, from unix:/PATH or ADDRESS:PORT."""
    if address.startswith("unix:"):
        return socket.AF_UNIX, address[len("unix:"):]
    host, separator, port = address.rpartition(":")
    if not separator or not port.isdigit() or not host:
        raise ValueError(f"address must be unix:/PATH or ADDRESS:PORT; got {address!r}")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    return (socket.AF_INET6 if ":" in host else socket.AF_INET), (host, int(port))


def uwsgi_packet(method, path, headers):
    """The request as uWSGI's protocol carries it: a header (modifier 0) and the CGI variables, without a body."""
    route, _separator, query = path.partition("?")
    host = next(value for name, value in headers.items() if name.lower() == "host")
    variables = {"REQUEST_METHOD": method, "REQUEST_URI": path, "PATH_INFO": route, "QUERY_STRING": query,
                 "SERVER_PROTOCOL": "HTTP/1.1", "SERVER_NAME": host.split(":")[0], "SERVER_PORT": "80",
                 "REMOTE_ADDR": "127.0.0.1", "CONTENT_LENGTH": "0"}
    variables.update({"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()})
    payload = b"".join(struct.pack("<H", len(part)) + part
                       for key, value in variables.items() for part in (key.encode(), str(value).encode()))
    return struct.pack("<BHB", 0, len(payload), 0) + payload


def http_request(method, path, headers):
    lines = [f"{method} {path} HTTP/1.1"] + [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines + ["Connection: close", "", ""])).encode("latin-1")


def certificate_of(connection):
    """The names and expiry of the peer's certificate; the handshake did not verify it, so the standard library does
    not parse it, and cryptography (installed with HTTPS by the nginx role) does."""
    der = connection.getpeercert(binary_form=True)
    if not der or x509 is None:
        return {"names": [], "not_after": "", "days_left": None}
    certificate = x509.load_der_x509_certificate(der)
    try:
        alternative = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = alternative.get_values_for_type(x509.DNSName) + [str(ip) for ip in alternative.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        names = []
    not_after = getattr(certificate, "not_valid_after_utc", None) or certificate.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    days_left = (not_after - datetime.datetime.now(datetime.timezone.utc)).days
    return {"names": names, "not_after": not_after.isoformat(), "days_left": days_left}


def probe(params):
    result = {"connected": False, "error": None, "status": None, "reason": "", "headers": {}, "body": "",
              "elapsed": 0.0}
    headers = {str(name): str(value) for name, value in params["headers"].items()}
    if not any(name.lower() == "host" for name in headers):
        headers["Host"] = "localhost"
    host = next(value for name, value in headers.items() if name.lower() == "host")
    family, address = target(params["address"])
    started = time.monotonic()
    connection = socket.socket(family, socket.SOCK_STREAM)
    connection.settimeout(params["timeout"])
    try:
        try:
            if params["source"]:
                connection.bind((params["source"].strip("[]"), 0))
            connection.connect(address)
        except OSError as error:
            return fail(result, error, started)
        result["connected"] = True
        if params["tls"]:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            try:
                # The Host header's name, without its port or an IPv6 address's brackets.
                server_name = params["server_name"] or re.sub(r"^\[(.*)\]$|:\d+$", r"\1", host)
                connection = context.wrap_socket(connection, server_hostname=server_name)
            except (ssl.SSLError, OSError) as error:
                return fail(result, error, started, kind="tls")
            result["certificate"] = certificate_of(connection)
        request = (uwsgi_packet(params["method"], params["path"], headers) if params["protocol"] == "uwsgi"
                   else http_request(params["method"], params["path"], headers))
        try:
            connection.sendall(request)
            response = http.client.HTTPResponse(connection, method=params["method"])
            response.begin()
            body = response.read(params["body_limit"])
        except (OSError, http.client.HTTPException) as error:
            return fail(result, error, started, kind=None if isinstance(error, OSError) else "protocol")
        result.update(status=response.status, reason=response.reason, body=body.decode("utf-8", "replace"),
                      headers={name.lower(): ", ".join(response.headers.get_all(name)) for name in response.headers})
    finally:
        connection.close()
    result["elapsed"] = round(time.monotonic() - started, 3)
    return result


def fail(result, error, started, kind=None):
    if isinstance(error, (socket.timeout, TimeoutError)):
        kind = "timeout"
    elif isinstance(error, ssl.SSLError):
        kind = "tls"
    name = kind or errno_names.errorcode.get(getattr(error, "errno", None) or 0, "protocol")
    result.update(error={"errno": name, "message": str(error) or type(error).__name__},
                  elapsed=round(time.monotonic() - started, 3))
    return result


def probe_as(user, params):
    """Run the probe in a child process that holds the user's ids and groups only; return what it found."""
    account = pwd.getpwnam(user)
    groups = os.getgrouplist(user, account.pw_gid)
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(reader)
        try:
            try:
                os.setgroups(groups)
                os.setgid(account.pw_gid)
                os.setuid(account.pw_uid)
                found = probe(params)
            except BaseException as error:  # pylint: disable=broad-exception-caught
                found = {"child_error": f"{type(error).__name__}: {error}"}
            with os.fdopen(writer, "w") as pipe:
                json.dump(found, pipe)
        finally:
            os._exit(0)
    os.close(writer)
    # Connecting, sending and reading each wait at most the timeout; a child past all three is killed.
    deadline = time.monotonic() + 3 * params["timeout"] + 5
    output = b""
    with os.fdopen(reader, "rb") as pipe:
        while time.monotonic() < deadline:
            ready, _writable, _errors = select.select([pipe], [], [], max(deadline - time.monotonic(), 0))
            if not ready:
                break
            chunk = os.read(pipe.fileno(), 65536)
            if not chunk:
                break
            output += chunk
        else:
            output = b""
    if time.monotonic() >= deadline:
        os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
    try:
        return json.loads(output)
    except ValueError:
        return {"child_error": "the probe's process ended without an answer"}


def main():
    module = AnsibleModule(
        argument_spec={
            "address": {"type": "str", "required": True},
            "path": {"type": "str", "default": "/"},
            "method": {"type": "str", "choices": ["GET", "HEAD"], "default": "GET"},
            "headers": {"type": "dict", "default": {}},
            "protocol": {"type": "str", "choices": ["http", "uwsgi"], "default": "http"},
            "tls": {"type": "bool", "default": False},
            "server_name": {"type": "str"},
            "source": {"type": "str"},
            "as_user": {"type": "str"},
            "timeout": {"type": "float", "default": 10},
            "body_limit": {"type": "int", "default": 4096},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        target(params["address"])
    except ValueError as error:
        module.fail_json(msg=str(error))
    if params["source"] and params["address"].startswith("unix:"):
        module.fail_json(msg=f"source: only a TCP address has a source address; got address {params['address']!r}")
    if not params["path"].startswith("/") or any(character in params["path"] for character in " \r\n"):
        module.fail_json(msg=f"path must start with / and hold no space or line break; got {params['path']!r}")
    if any(any(character in f"{name}{value}" for character in "\r\n") for name, value in params["headers"].items()):
        module.fail_json(msg="headers: a name or value holds a line break")
    if params["as_user"] is not None:
        try:
            pwd.getpwnam(params["as_user"])
        except KeyError:
            module.fail_json(msg=f"as_user: no user {params['as_user']!r} on the host")
        if os.geteuid() != 0:
            module.fail_json(msg="as_user needs the module to run as root (become: true)")
        found = probe_as(params["as_user"], params)
        if "child_error" in found:
            module.fail_json(msg=f"the probe as {params['as_user']} failed: {found['child_error']}")
    else:
        found = probe(params)
    module.exit_json(changed=False, **found)


if __name__ == "__main__":
    main()
