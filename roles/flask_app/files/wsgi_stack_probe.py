"""Health probe of a Flask release, with the standard library only.

release RELEASE_DIR PATH STATUS
    Import the release's WSGI entry as the app server would, serve it on a free loopback port and request PATH.
server LISTEN PROTOCOL PATH STATUS
    Request PATH from a running app server at LISTEN (unix:/run/NAME.sock or ADDRESS:PORT), over http or uwsgi.
workers UNIT LINK
    Check that every worker of UNIT's main process started after LINK (the live release's link) was switched, so
    that each one serves the release it points to: a graceful reload replaces workers one by one.

Exits 0 when the answer has STATUS (for workers: when no worker is older than the switch); otherwise prints what went
wrong (the app's own traceback when it cannot even be imported) and exits 1.
"""
import http.client
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback
from wsgiref.simple_server import WSGIRequestHandler, make_server

TIMEOUT = 20


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def probe_release(release, path):
    sys.path.insert(0, release)
    try:
        from wsgi_stack_entry import application
    except BaseException:  # the app's own error, whatever it is, is the message
        traceback.print_exc()
        sys.exit(1)
    server = make_server("127.0.0.1", 0, application, handler_class=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=TIMEOUT)
    return http_get(connection, path)


def http_get(connection, path):
    connection.request("GET", path, headers={"Host": "localhost"})
    response = connection.getresponse()
    return response.status, response.read(2000)


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=TIMEOUT)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(self.unix_path)


def uwsgi_get(sock, path):
    """One request in uWSGI's binary protocol, as nginx's uwsgi_pass sends it."""
    variables = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "REQUEST_URI": path, "QUERY_STRING": "",
        "SERVER_NAME": "localhost", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "localhost",
        "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
    }
    body = b"".join(
        struct.pack("<H", len(key)) + key.encode() + struct.pack("<H", len(value)) + value.encode()
        for key, value in variables.items()
    )
    sock.sendall(struct.pack("<BHB", 0, len(body), 0) + body)
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
    status_line = answer.split(b"\r\n", 1)[0].split()
    return int(status_line[1]), answer.split(b"\r\n\r\n", 1)[-1][:2000]


def probe_server(listen, protocol, path):
    unix = listen.startswith("unix:")
    if protocol == "http":
        if unix:
            connection = UnixHTTPConnection(listen[len("unix:"):])
        else:
            host, port = listen.rsplit(":", 1)
            # From the listen address itself, which flask_app_listen_allow always lets in.
            connection = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=TIMEOUT,
                                                    source_address=(host.strip("[]"), 0))
        return http_get(connection, path)
    if unix:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(TIMEOUT)
        sock.connect(listen[len("unix:"):])
    else:
        host, port = listen.rsplit(":", 1)
        sock = socket.create_connection((host.strip("[]"), int(port)), timeout=TIMEOUT,
                                        source_address=(host.strip("[]"), 0))
    with sock:
        return uwsgi_get(sock, path)


def children(pid):
    pids = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as listing:
            pids += [int(child) for child in listing.read().split()]
    return pids


def started_at(pid):
    """The wall-clock time a process started, from its start in clock ticks since boot."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
    age = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    return time.time() - age


def workers_older_than(master, since):
    """The master's workers that started before `since`; None when it has no worker at all."""
    workers = children(master)
    if not workers:
        return None
    return [pid for pid in workers if started_at(pid) < since]


def check_workers(unit, link):
    master = int(subprocess.run(["systemctl", "show", "--property", "MainPID", "--value", unit],
                                capture_output=True, text=True, check=True).stdout)
    if master == 0:
        print(f"{unit} is not running", file=sys.stderr)
        return 1
    old = workers_older_than(master, os.lstat(link).st_mtime)
    if old is None:
        print(f"{unit} has no worker yet", file=sys.stderr)
        return 1
    if old:
        print(f"{len(old)} worker(s) of {unit} still run the release before the switch: {old}", file=sys.stderr)
        return 1
    print(f"every worker of {unit} started after the switch")
    return 0


def main(argv):
    if argv[:1] == ["workers"] and len(argv) == 3:
        return check_workers(argv[1], argv[2])
    if argv[:1] == ["release"] and len(argv) == 4:
        expected = int(argv[3])
        status, body = probe_release(argv[1], argv[2])
        where = f"the new release at {argv[2]}"
    elif argv[:1] == ["server"] and len(argv) == 5:
        expected = int(argv[4])
        try:
            status, body = probe_server(argv[1], argv[2], argv[3])
        except OSError as error:
            print(f"the app server at {argv[1]} does not answer: {error}", file=sys.stderr)
            return 1
        where = f"the app server at {argv[1]}{argv[3]}"
    else:
        print(__doc__, file=sys.stderr)
        return 2
    if status != expected:
        print(f"{where} answered {status}, not {expected}: {body.decode(errors='replace')}", file=sys.stderr)
        return 1
    print(f"{where} answered {status}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
