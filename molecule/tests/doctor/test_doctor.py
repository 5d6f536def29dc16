"""The doctor (playbooks/doctor.yml) on a deployed host: green and read-only when it is healthy; then broken on purpose,
one way at a time, it must name the cause; once repaired, every layer is green again.

Each breakage is made by hand inside the container, as a user's mistake or an outage would make it, and repaired the
same way. The doctor reads the logs from the breakage on (doctor_since), and after the repair from the repair on.
"""
import contextlib
import json
import re
import shlex
import time

import pytest

from conftest import first_app_host_name, inventory_host, recap_of, run_doctor, run_site, stack_of

SITE = "/etc/nginx/sites-available/hello.conf"
UPSTREAM = "/etc/nginx/wsgi-stack/upstreams/hello.conf"
SOCKET = "/run/hello/app.sock"
UNIT = "gunicorn-hello"
GUNICORN_CONF = "/etc/hello/gunicorn.conf.py"
APP_MODULE = "/srv/hello/current/code/hello/__init__.py"
NAME = "doctor.hello.test"


def doctor(tmp_path, since=3600, *args):
    """One doctor run: its output and return code, and the host's verdict."""
    run, verdicts = run_doctor(tmp_path, since, *args)
    assert first_app_host_name() in verdicts, run.stdout + run.stderr
    return run, verdicts[first_app_host_name()]


def failed(verdict):
    """{layer: {finding id: its causes, one per line}} of the layers that failed."""
    found = {}
    for layer in verdict["layers"]:
        for item in layer["findings"]:
            causes = found.setdefault(layer["layer"], {})
            causes[item["id"]] = "\n".join(filter(None, [causes.get(item["id"]), item["cause"]]))
    return found


def sh(host, command):
    result = host.run(command)
    assert result.rc == 0, (command, result.stdout, result.stderr)
    return result.stdout


def edit(host, path, old, new):
    """Replace `old` by `new` in a file on the host, which must hold it; returns the file as it was."""
    text = host.file(path).content_string
    assert old in text, (path, old)
    put(host, path, text.replace(old, new))
    return text


def put(host, path, text):
    sh(host, f"printf %s {shlex.quote(text)} > {path}")


def reload_nginx(host):
    sh(host, "nginx -t && systemctl reload nginx")
    # The reload returns once signalled; the new workers take the next connections a moment later.
    time.sleep(1)


def provoked(repair, request, *statuses):
    """`repair`, once `request()` has been answered one of `statuses` (else, or unanswered, repaired, and the test
    fails)."""
    try:
        got = request().status
    except OSError:
        repair()
        raise
    if got not in statuses:
        repair()
    assert got in statuses
    return repair


def restart_app(host):
    # systemd replaces no socket whose service runs: the service stops first.
    sh(host, f"systemctl stop {UNIT}.service; systemctl reset-failed {UNIT}.service {UNIT}.socket || true")
    sh(host, f"systemctl restart {UNIT}.socket && systemctl start {UNIT}.service")


def nginx_edit(old, new):
    def breakage(host):
        original = edit(host, SITE, old, new)
        reload_nginx(host)
        return lambda: (put(host, SITE, original), reload_nginx(host))
    return breakage


def stop_app(host):
    sh(host, f"systemctl stop {UNIT}.socket {UNIT}.service")
    stack_of(host).get()
    return lambda: restart_app(host)


def wrong_socket(host):
    original = edit(host, UPSTREAM, f"server unix:{SOCKET}", "server unix:/run/hello/wrong.sock")
    reload_nginx(host)
    stack_of(host).get()
    return lambda: (put(host, UPSTREAM, original), reload_nginx(host))


def socket_mode(host):
    sh(host, f"chmod 0600 {SOCKET}")
    stack_of(host).get()
    return lambda: sh(host, f"chmod 0660 {SOCKET}")


def syntax_error(host):
    original = host.file(SITE).content_string
    put(host, SITE, original + "\nnonsense_directive on;\n")
    return lambda: put(host, SITE, original)


def wildcard_bind(host):
    dropin = f"/run/systemd/system/{UNIT}.socket.d"
    put_dropin = f"printf '[Socket]\\nListenStream=\\nListenStream=0.0.0.0:8039\\n' > {dropin}/doctor.conf"
    sh(host, f"mkdir -p {dropin} && {put_dropin} && systemctl daemon-reload")
    sh(host, f"systemctl stop {UNIT}.service && systemctl restart {UNIT}.socket")

    def repair():
        sh(host, f"rm -r {dropin} && systemctl daemon-reload")
        restart_app(host)
    return repair


def import_failure(host):
    original = host.file(APP_MODULE).content_string
    put(host, APP_MODULE, original + "\nimport hello_missing_module  # noqa\n")
    host.run(f"systemctl restart {UNIT}.service")
    # The app server that cannot start may leave the request unanswered.
    with contextlib.suppress(OSError):
        stack_of(host).get(timeout=5)

    def repair():
        put(host, APP_MODULE, original)
        restart_app(host)
    return repair


def slow_for_nginx(host):
    repair = nginx_edit("proxy_read_timeout 60s;", "proxy_read_timeout 2s;")(host)
    return provoked(repair, lambda: stack_of(host).get("slow?seconds=4", timeout=20), 504)


def slow_for_gunicorn(host):
    # A sync worker, one thread (with more, gunicorn runs gthread, whose workers a slow request never silences).
    original = host.file(GUNICORN_CONF).content_string
    changed = re.sub(r"(?m)^threads = \d+$", "threads = 1", original)
    changed = re.sub(r"(?m)^worker_class = .*$", 'worker_class = "sync"', changed)
    changed = re.sub(r"(?m)^timeout = \d+$", "timeout = 2", changed)
    assert changed.count("= 1\n") and 'worker_class = "sync"' in changed and "\ntimeout = 2\n" in changed
    put(host, GUNICORN_CONF, changed)
    restart_app(host)

    def repair():
        put(host, GUNICORN_CONF, original)
        restart_app(host)
    # gunicorn aborts the worker: an empty 500 when the worker still answers, else nginx's 502.
    return provoked(repair, lambda: stack_of(host).get("slow?seconds=6", timeout=20), 500, 502)


def upload_too_large(host):
    return provoked(lambda: None, lambda: stack_of(host).get(data=b"x" * (11 * 1024 * 1024), timeout=20), 413)


BREAKAGES = {
    "app server stopped": (stop_app, "services", "unit_inactive", f"{UNIT}.socket is inactive"),
    "nginx proxies to the wrong socket": (wrong_socket, "upstream", "upstream_mismatch", "/run/hello/wrong.sock"),
    "socket nginx's user cannot use": (socket_mode, "app server", "socket_permissions", "mode 0600"),
    "forwarded headers missing": (
        nginx_edit("proxy_set_header X-Forwarded-For $remote_addr;\n", ""), "forwarded headers", "forwarded_headers",
        "X-Forwarded-For"),
    "server_name that does not match": (
        nginx_edit(f"server_name {NAME};", "server_name other.hello.test;"), "server names", "server_name", NAME),
    "static alias to a missing directory": (
        nginx_edit("alias /srv/hello/current/code/hello/static/;", "alias /srv/hello/current/code/hello/statics/;"),
        "static files", "static_dir_missing", "/srv/hello/current/code/hello/statics"),
    "nginx syntax error": (syntax_error, "nginx configuration", "nginx_syntax", "nonsense_directive"),
    "app server bound to 0.0.0.0": (wildcard_bind, "app server", "wildcard_bind", "0.0.0.0:8039"),
    "app failing to import": (
        import_failure, "recent errors", "app_import", "No module named 'hello_missing_module'"),
    "endpoint slower than nginx's read timeout": (
        slow_for_nginx, "recent errors", "upstream_timeout", "nginx_upstream_read_timeout"),
    "gunicorn kills the slow worker": (slow_for_gunicorn, "recent errors", "app_timeout", "gunicorn_timeout"),
    "upload over client_max_body_size": (upload_too_large, "recent errors", "body_too_large", "client_max_body_size"),
}


@pytest.fixture(scope="module")
def host():
    return inventory_host(first_app_host_name())


def test_a_healthy_host_is_green_on_every_layer_and_the_doctor_changes_nothing(host, tmp_path):
    run, verdict = doctor(tmp_path, 3600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert verdict["ok"] and failed(verdict) == {}, verdict
    layers = [layer["layer"] for layer in verdict["layers"]]
    assert layers == ["services", "nginx configuration", "app server", "upstream", "server names", "site",
                      "static files", "forwarded headers", "timeouts", "recent errors"], layers
    assert recap_of(run.stdout, first_app_host_name())["changed"] == 0
    # The verdict is printed, a line per layer.
    assert "ok   app server: unix:/run/hello/app.sock" in run.stdout


def test_the_doctor_runs_in_check_mode(host, tmp_path):
    run, verdict = doctor(tmp_path, 3600, "--check")
    assert run.returncode == 0, run.stdout + run.stderr
    assert verdict["ok"], failed(verdict)
    assert len(verdict["layers"]) == 10, verdict


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_the_doctor_names_each_breakage_and_is_green_after_its_repair(host, tmp_path, breakage):
    make, layer, identifier, words = BREAKAGES[breakage]
    started = time.time()
    repair = make(host)
    try:
        # From well before the breakage: the doctor measures its window only once its first probes are done.
        run, verdict = doctor(tmp_path, time.time() - started + 60)
    finally:
        repair()
    assert run.returncode != 0, run.stdout
    found = failed(verdict)
    assert identifier in found.get(layer, {}), found
    assert words in found[layer][identifier], found
    # The verdict is printed, not only written in the report.
    assert f"FAIL {layer}: " in run.stdout
    time.sleep(1.5)
    repaired = time.time()
    time.sleep(1)
    run, verdict = doctor(tmp_path, time.time() - repaired)
    assert run.returncode == 0 and verdict["ok"], failed(verdict)


def test_a_failed_health_check_of_the_site_playbook_prints_the_doctor_s_verdict(host):
    # The live release answers 200 where 204 is now expected: the check after the app server reloaded fails.
    run = run_site("-e", json.dumps({"flask_app_health_status": 204}))
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    assert "wsgi.stack.doctor : Say each layer's verdict" in output, output
    # The doctor names the cause: the app answers 200 where 204 is expected.
    assert "FAIL app server: unix:/run/hello/app.sock, asked for /healthz as www-data: 200 OK" in output, output
    assert "not 204 (flask_app_health_status)" in output, output
    # The check's own message still ends the run.
    assert "went live but" in output.split("wsgi.stack.doctor : Say each layer's verdict")[1], output
