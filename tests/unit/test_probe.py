"""The health probe the deploys trust: it passes a healthy release and names what is wrong with a broken one."""
import importlib.util
import subprocess
import sys
import threading
import time
from pathlib import Path
from wsgiref.simple_server import make_server

import pytest

PROBE = Path(__file__).resolve().parents[2] / "roles" / "flask_app" / "files" / "wsgi_stack_probe.py"

HEALTHY = '''
def application(environ, start_response):
    status = "200 OK" if environ["PATH_INFO"] == "/healthz" else "404 Not Found"
    start_response(status, [("Content-Type", "text/plain")])
    return [status.encode()]
'''
UNHEALTHY = '''
def application(environ, start_response):
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"database is down"]
'''
BROKEN = "import module_the_release_lacks\n"


def release(tmp_path, entry):
    (tmp_path / "wsgi_stack_entry.py").write_text(entry)
    return tmp_path


def probe(*args):
    return subprocess.run([sys.executable, str(PROBE), *args], capture_output=True, text=True, check=False)


def test_healthy_release_passes(tmp_path):
    result = probe("release", str(release(tmp_path, HEALTHY)), "/healthz", "200")
    assert result.returncode == 0, result.stderr
    assert "answered 200" in result.stdout


def test_wrong_status_fails_with_the_answer(tmp_path):
    result = probe("release", str(release(tmp_path, UNHEALTHY)), "/healthz", "200")
    assert result.returncode == 1
    assert "answered 503, not 200: database is down" in result.stderr


def test_release_that_cannot_import_fails_with_its_traceback(tmp_path):
    result = probe("release", str(release(tmp_path, BROKEN)), "/healthz", "200")
    assert result.returncode == 1
    assert "ModuleNotFoundError: No module named 'module_the_release_lacks'" in result.stderr


@pytest.fixture
def running_server(tmp_path):
    namespace = {}
    exec(HEALTHY, namespace)  # noqa: S102 - the test's own WSGI app
    server = make_server("127.0.0.1", 0, namespace["application"])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()


def test_running_server_is_asked_over_http(running_server):
    assert probe("server", running_server, "http", "/healthz", "200").returncode == 0
    missing = probe("server", running_server, "http", "/nowhere", "200")
    assert missing.returncode == 1 and "answered 404, not 200" in missing.stderr


def test_server_that_does_not_listen_is_named(tmp_path):
    result = probe("server", f"unix:{tmp_path}/absent.sock", "http", "/healthz", "200")
    assert result.returncode == 1
    assert f"the app server at unix:{tmp_path}/absent.sock does not answer" in result.stderr


def test_wrong_arguments_print_the_usage():
    result = probe("release")
    assert result.returncode == 2 and "release RELEASE_DIR PATH STATUS" in result.stderr


def load_probe():
    spec = importlib.util.spec_from_file_location("wsgi_stack_probe", PROBE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_workers_started_before_the_switch_are_named_and_later_ones_are_not():
    workers_older_than = load_probe().workers_older_than
    master = subprocess.Popen([sys.executable, "-c", WORKERS], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        first = int(master.stdout.readline())
        time.sleep(0.3)
        switch = time.time()
        time.sleep(0.3)
        master.stdin.write("spawn\n")
        master.stdin.flush()
        second = int(master.stdout.readline())
        assert workers_older_than(master.pid, switch) == [first]
        assert workers_older_than(master.pid, switch - 10) == []
        assert sorted(workers_older_than(master.pid, time.time() + 10)) == sorted([first, second])
    finally:
        master.communicate("stop\n", timeout=10)


def test_master_without_workers_is_told_apart():
    alone = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        assert load_probe().workers_older_than(alone.pid, time.time()) is None
    finally:
        alone.communicate(b"", timeout=10)


# A master that starts a worker (a sleeping child) at once and another on "spawn", printing their PIDs.
WORKERS = '''
import subprocess, sys
workers = [subprocess.Popen(["sleep", "60"])]
print(workers[0].pid, flush=True)
for line in sys.stdin:
    if line.strip() == "spawn":
        workers.append(subprocess.Popen(["sleep", "60"]))
        print(workers[-1].pid, flush=True)
    else:
        break
for worker in workers:
    worker.kill()
'''
