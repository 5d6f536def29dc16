"""The stack as a user sees it: pages through nginx, static files, the truth about each request, and the hosts."""
import collections
import gzip
import http.client
import json
import posixpath
import re
import time
import uuid

import pytest

from conftest import (EXAMPLE_STATIC, EXPOSURE_REPORT, converge, exposure, main_pid, proc_status, run_site, stack_of,
                      under_load, worker_pids)

# systemd-analyze security's exposure: "OK" up to 2.0 for the app server; nginx's master keeps some of root.
APP_EXPOSURE_BOUND = 2.0
NGINX_EXPOSURE_BOUND = 3.5
CAP_NET_BIND_SERVICE, CAP_SYS_ADMIN = 10, 21


def test_page_comes_from_the_app_through_nginx(stack):
    response = stack.get()
    assert response.status == 200
    assert response.headers.get("X-Served-By") == "flask"
    assert f"<h1>{stack.greeting}</h1>" in response.body.decode()


def test_health_check_answers(stack):
    response = stack.get("healthz")
    assert response.status == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("name", ["logo.png", "style.css"])
def test_static_file_is_served_by_nginx_byte_for_byte(stack, name):
    response = stack.get(f"static/{name}")
    assert response.status == 200
    assert response.body == (EXAMPLE_STATIC / name).read_bytes()
    # The app marks each of its responses; nginx answered this one alone.
    assert "X-Served-By" not in response.headers
    assert "max-age=" in response.headers.get("Cache-Control", "")


def test_static_dotfiles_are_never_served(host, stack):
    static = static_dir(host, stack)
    assert host.file(f"{static}/style.css").exists
    host.check_output(f"install -d {static}/.git && echo SECRET=1 > {static}/.env && echo x > {static}/.git/config")
    try:
        assert stack.get("static/style.css").status == 200
        for path in ("static/.env", "static/.git/config", "static/.git/"):
            response = stack.get(path)
            assert response.status == 404, path
            assert b"SECRET" not in response.body
    finally:
        host.check_output(f"rm -rf {static}/.git {static}/.env")


def static_dir(host, stack):
    return f"/srv/{stack.name}/current/code/{host.ansible.get_variables()['flask_app_static_dir']}"


def test_fingerprinted_static_files_are_cached_for_good(host, stack):
    static = static_dir(host, stack)
    host.check_output(f"cp {static}/style.css {static}/style.0123abcd.css")
    try:
        response = stack.get("static/style.0123abcd.css")
        assert response.status == 200
        assert response.body == (EXAMPLE_STATIC / "style.css").read_bytes()
        assert response.headers.get("Cache-Control") == "public, max-age=31536000, immutable"
        # The location's own header would drop the server's security headers, had they not been repeated there.
        assert response.headers.get("X-Content-Type-Options") == "nosniff"
        assert "immutable" not in stack.get("static/style.css").headers.get("Cache-Control", "")
    finally:
        host.check_output(f"rm -f {static}/style.0123abcd.css")


def test_precompressed_static_files_are_sent_as_they_are(host, stack):
    static = static_dir(host, stack)
    # The .gz says something else than the file beside it: only gzip_static can send it.
    host.check_output(
        f"echo plain > {static}/notes.txt && echo precompressed | gzip -9 > {static}/notes.txt.gz"
        f" && chmod a+r {static}/notes.txt {static}/notes.txt.gz"
    )
    try:
        compressed = stack.get("static/notes.txt", headers={"Accept-Encoding": "gzip"})
        assert compressed.status == 200
        assert compressed.headers.get("Content-Encoding") == "gzip"
        assert gzip.decompress(compressed.body) == b"precompressed\n"
        assert stack.get("static/notes.txt").body == b"plain\n"
    finally:
        host.check_output(f"rm -f {static}/notes.txt {static}/notes.txt.gz")


def test_app_requests_are_logged_and_static_files_are_not(host, stack):
    static_marker, app_marker = f"static-{uuid.uuid4().hex}", f"app-{uuid.uuid4().hex}"
    assert stack.get(f"static/style.css?{static_marker}").status == 200
    assert stack.get(f"healthz?{app_marker}").status == 200
    for attempt in range(50):
        log = host.check_output("cat /var/log/nginx/access.log")
        if app_marker in log:
            break
        time.sleep(0.1)
    assert app_marker in log
    assert static_marker not in log


def test_nginx_keeps_idle_connections_to_an_app_server_that_keeps_them_alive(host, stack):
    variables = host.ansible.get_variables()
    if stack.server != "gunicorn" or variables.get("gunicorn_worker_class", "gthread") == "sync" or stack.listen.startswith("unix:"):
        pytest.skip("a gunicorn with gthread workers on a TCP port is where the kept connections can be counted")
    port = stack.listen.rsplit(":", 1)[1]
    for attempt in range(20):
        assert stack.get("healthz").status == 200
    # Only nginx connects to the app's port; without keep-alive, none of its connections outlives its request.
    kept = host.check_output(f"ss -Htn state established '( dport = :{port} )'").splitlines()
    assert 1 <= len(kept) <= 4, kept


def test_static_alias_does_not_leak_the_code(stack):
    # An alias whose location lacks the trailing slash maps static../X to STATIC_DIR/../X: the app's package here.
    response = stack.get("static../__init__.py")
    assert b"create_app" not in response.body
    assert response.status == 404
    assert stack.get("static/../__init__.py").status in (400, 404)


def test_app_sees_the_client_and_not_forged_headers(stack):
    forged = {
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.test",
        "X-Forwarded-Prefix": "/evil",
        "Forwarded": "for=203.0.113.7;proto=https;host=evil.test",
    }
    seen = stack.get("whoami", headers=forged).json()
    # The headers themselves, as the app server passes them on (proxy_pass or uwsgi_pass): nginx's, none of the client's.
    reached = stack.get("whoami/forwarded", headers=forged).json()
    assert reached["Forwarded"] is None, reached
    assert reached["X-Forwarded-For"] == "127.0.0.1", reached
    public = f"{stack.server_name}:{stack.port}"
    assert seen == {
        "remote_addr": "127.0.0.1",
        "scheme": "http",
        "host": public,
        "url": f"http://{public}{stack.location}whoami",
        "static_url": f"http://{public}{stack.location}static/style.css",
    }


def test_app_server_listens_only_where_configured(host, stack):
    listen = stack.listen.removeprefix("unix:")
    tcp_listeners = host.check_output("ss -Hltnp").splitlines()
    if stack.listen.startswith("unix:"):
        socket = host.file(listen)
        assert socket.is_socket
        assert (socket.user, socket.group, socket.mode) == (stack.name, "www-data", 0o660)
        assert [line for line in tcp_listeners if f'"{stack.server}"' in line] == []
    else:
        port = listen.rsplit(":", 1)[1]
        on_port = [line.split()[3] for line in tcp_listeners if line.split()[3].endswith(f":{port}")]
        assert on_port == [listen]


def test_services_are_enabled_and_running(host, stack):
    units = ["nginx", stack.unit, f"{stack.server}-{stack.name}.socket"]
    for unit in units:
        service = host.service(unit)
        assert service.is_enabled, unit
        assert service.is_running, unit


def test_nginx_reaches_the_app_after_a_reboot(host, stack):
    """At boot /run is empty: systemd makes the socket first, and the app server starts on the first request."""
    if not stack.listen.startswith("unix:"):
        pytest.skip("the app server listens on TCP")
    socket_unit = f"{stack.server}-{stack.name}.socket"
    run_dir = posixpath.dirname(stack.listen[len("unix:"):])
    host.run_expect([0], f"systemctl stop {stack.unit} {socket_unit} && rm -rf {run_dir}"
                         f" && systemctl start {socket_unit}")
    response = stack.get("healthz")
    assert response.status == 200, response.body
    assert host.service(stack.unit).is_running


def test_app_runs_as_its_user_not_root(host, stack):
    master = main_pid(host, stack.unit)
    workers = worker_pids(host, master)
    assert len(workers) >= 1
    users = {host.check_output(f"stat -c %U /proc/{pid}") for pid in {str(master), *workers}}
    assert users == {stack.name}
    assert host.user(stack.name).shell == "/usr/sbin/nologin"


def test_the_app_user_cannot_write_its_code_venvs_units_or_configuration(host, stack):
    config_dir = f"/etc/{stack.name}"
    config_files = host.check_output(f"find {config_dir} -type f").split()
    assert f"{config_dir}/env" in config_files
    for path in [f"/srv/{stack.name}/current/code", f"/srv/{stack.name}/current/venv/bin",
                 f"/srv/{stack.name}/{stack.server}/bin", f"/etc/systemd/system/{stack.unit}",
                 "/etc/systemd/system/nginx.service.d/wsgi-stack-sandbox.conf", config_dir, *config_files]:
        assert host.file(path).exists, path
        assert host.run(f"sudo -u {stack.name} test -w {path}").rc != 0, path
    assert host.run(f"sudo -u {stack.name} test -w /var/lib/{stack.name}").rc == 0


def mount_of(host, pid, path):
    """The device (major:minor), the mount's options and its file system's (after the ' - ') of the mount that holds
    path, as the process sees its file system."""
    holder, device, options, fs_options = "", "", "", ""
    for line in host.check_output(f"cat /proc/{pid}/mountinfo").splitlines():
        fields, fs_fields = (part.split() for part in line.split(" - ", 1))
        point = fields[4]
        # Mounts stack: a later one on the same point hides the earlier.
        if (path == point or path.startswith(point.rstrip("/") + "/")) and len(point) >= len(holder):
            holder, device, options, fs_options = point, fields[2], fields[5], fs_fields[2]
    return device, options.split(","), fs_options.split(",")


def mount_options(host, pid, path):
    return mount_of(host, pid, path)[1]


def test_the_service_writes_only_its_data_directory(host, stack):
    """The app server sees the file system read-only, but for its data directory and its private /tmp and /dev/shm."""
    master = main_pid(host, stack.unit)
    for path in (f"/srv/{stack.name}", "/srv", "/var/www", "/etc", "/run/lock", "/var/lib/dpkg"):
        assert "ro" in mount_options(host, master, path), path
    for path in (f"/var/lib/{stack.name}/instance", "/tmp"):
        assert "rw" in mount_options(host, master, path), path
    # A file system of its own, nothing the app leaves there reaches another process, and writable by the app as
    # the host's is by everyone (sticky, 1777: Python's multiprocessing puts its locks there).
    device, options, fs_options = mount_of(host, master, "/dev/shm")
    assert device != mount_of(host, 1, "/dev/shm")[0]
    # tmpfs lists its mode only when it is not the default, 1777.
    mode = next((option for option in fs_options if option.startswith("mode=")), "mode=1777")
    assert "rw" in options and mode == "mode=1777", fs_options


def test_the_app_server_and_nginx_run_confined(host, stack):
    """Scored by systemd-analyze (the README reports the figures) and seen in what the app server's master holds."""
    name = host.ansible.get_variables()["inventory_hostname"]
    scores = {unit: exposure(host, unit) for unit in (stack.unit, "nginx.service")}
    EXPOSURE_REPORT.extend((unit, name, score) for unit, score in scores.items())
    assert scores[stack.unit] <= APP_EXPOSURE_BOUND and scores["nginx.service"] <= NGINX_EXPOSURE_BOUND, scores
    master = main_pid(host, stack.unit)
    status = proc_status(host, master)
    # No capability it could ever gain, no new privileges (setuid files), a system call filter.
    assert (int(status["CapBnd"], 16), status["NoNewPrivs"], status["Seccomp"]) == (0, "1", "2"), status
    # Its own /dev without the host's devices, and a /proc that shows its own processes only.
    assert mount_of(host, master, "/dev")[0] != mount_of(host, 1, "/dev")[0]
    assert {"hidepid=invisible", "subset=pid"} <= set(mount_of(host, master, "/proc")[2])
    # nginx's master binds port 80 and starts its workers as www-data, and administers nothing.
    nginx_capabilities = int(proc_status(host, main_pid(host, "nginx.service"))["CapBnd"], 16)
    assert nginx_capabilities & 1 << CAP_NET_BIND_SERVICE and not nginx_capabilities & 1 << CAP_SYS_ADMIN


def test_environment_file_is_private(host, stack):
    env = host.file(f"/etc/{stack.name}/env")
    assert (env.user, env.group, env.mode) == ("root", stack.name, 0o640)


def test_nginx_configuration_is_valid(host):
    assert host.run("nginx -t").rc == 0


def test_a_sandbox_restart_a_stopped_run_left_undone_happens_at_the_next_run(first_app_host):
    """The mark is written with nginx's drop-in and removed after the restart it asks for."""
    host = first_app_host
    mark = "/var/lib/wsgi-stack/nginx-sandbox-restart-due"
    host.run_expect([0], f"touch {mark}")
    before = main_pid(host, "nginx.service")
    result = run_site("--limit", host.ansible.get_variables()["inventory_hostname"], "--tags", "nginx_service")
    assert result.returncode == 0, result.stdout + result.stderr
    assert main_pid(host, "nginx.service") not in (0, before) and not host.file(mark).exists
    assert stack_of(host).get().status == 200


def test_a_configuration_nginx_refuses_is_put_back_whole_while_the_site_serves(host_restored, tmp_path):
    host = host_restored
    stack = stack_of(host)
    site = f"/etc/nginx/sites-available/{stack.name}.conf"
    before = host.file(site).content_string
    broken = tmp_path / "broken.conf.j2"
    broken.write_text("server {\n    listen 127.0.0.1:9;\n    no_such_directive on;\n}\n")
    name = host.ansible.get_variables()["inventory_hostname"]
    result, counts = under_load(
        {stack.name: stack}, "healthz",
        lambda: run_site("--limit", name, "-e", json.dumps({"nginx_site_template": str(broken)})),
        "a configuration nginx refuses")
    assert result.returncode != 0, result.stdout
    # The failed task's result may go to either stream (Ansible's display_failed_stderr); in it, quotes come escaped.
    output = result.stdout + result.stderr
    assert re.search(r'unknown directive \\?"no_such_directive\\?"', output), "nginx's own message names the fault"
    assert "The files are back as they were before this run." in output
    assert host.file(site).content_string == before
    assert host.check_output("find /etc/nginx -name '.wsgi-stack*'") == "", "no hidden copy is left behind"
    assert host.run("nginx -t").rc == 0
    load = counts[stack.name]
    assert load["requests"] > 100 and load["statuses"] == {"200": load["requests"]}, load
    assert sum(load["errors"].values()) == 0, load


def test_default_site_is_gone(host):
    assert not host.file("/etc/nginx/sites-enabled/default").exists
    assert "server_tokens off;" in host.check_output("nginx -T 2>/dev/null")


def get_from(stack, source_address):
    """A request to the site from another loopback address, as a client on another machine would be."""
    connection = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=10, source_address=(source_address, 0))
    connection.request("GET", stack.location, headers={"Host": stack.server_name})
    response = connection.getresponse()
    return response.status, dict(response.headers)


def test_maintenance_mode_answers_503_except_to_allowed_addresses(host_restored):
    host = host_restored
    stack = stack_of(host)
    master = main_pid(host, stack.unit)
    converge(host, nginx_maintenance=True, nginx_maintenance_allow=["127.0.0.2"])

    for path in ("", "static/style.css"):
        page = stack.get(path)
        assert page.status == 503, path
        assert page.headers.get("Retry-After") == "600"
        assert "Down for maintenance" in page.body.decode()
        assert "X-Served-By" not in page.headers, "the app must not be asked"
        assert page.headers.get("X-Content-Type-Options") == "nosniff"
    status, headers = get_from(stack, "127.0.0.2")
    assert (status, headers.get("X-Served-By")) == (200, "flask")

    # The flag file alone switches it, without a run, within the second nginx keeps its state.
    host.run(f"rm /var/lib/wsgi-stack/maintenance/{stack.name}.on")
    time.sleep(1.5)
    assert stack.get().status == 200
    assert main_pid(host, stack.unit) == master, "maintenance must not touch the app server"


def test_check_mode_reports_no_change(host, check_mode_recap):
    recap, result = check_mode_recap
    counters = recap.get(host.ansible.get_variables()["inventory_hostname"])
    assert counters is not None, result.stdout + result.stderr
    assert counters["changed"] == 0, result.stdout
    assert counters["failed"] == 0 and counters["unreachable"] == 0, result.stdout


def test_a_run_checks_each_role_s_settings_once(host, stack, check_mode_recap):
    """The preflight play checks every setting; the layers after it find the same values checked and skip them."""
    recap, result = check_mode_recap
    name = host.ansible.get_variables()["inventory_hostname"]
    included = re.findall(r"^included: \S+/roles/(\w+)/tasks/checks\.yml for (.+)$", result.stdout, re.MULTILINE)
    checked = collections.Counter(role for role, hosts in included if name in hosts.split(", "))
    assert checked == {"flask_app": 1, stack.server: 1, "nginx": 1}, result.stdout


def test_a_run_starts_and_enables_what_was_stopped_and_disabled(host_restored):
    """A run that finds the units running skips starting them: one that finds them stopped starts them."""
    host = host_restored
    stack = stack_of(host)
    units = ["nginx.service", f"{stack.server}-{stack.name}.socket", stack.unit]
    host.run_expect([0], f"systemctl disable --now {' '.join(units)}")
    assert not host.service("nginx").is_running
    converge(host)
    for unit in units:
        assert host.service(unit).is_enabled and host.service(unit).is_running, unit
    assert stack.get().status == 200


def test_response_cache_serves_pages_while_the_app_is_down_and_keeps_visitors_apart(host_restored):
    host = host_restored
    stack = stack_of(host)
    converge(host, nginx_cache=True)
    page = "?cached=1"
    assert stack.get(page).headers.get("X-Cache-Status") == "MISS"
    hit = stack.get(page)
    assert hit.status == 200 and hit.headers.get("X-Cache-Status") == "HIT"
    assert "X-Content-Type-Options" in hit.headers, "the security headers must survive the cache's own header"

    # A visitor with a session cookie is answered by the app, and what the app told them is not kept for others.
    personal = "?personal=1"
    assert stack.get(personal, headers={"Cookie": "session=abc"}).headers.get("X-Cache-Status") == "BYPASS"
    assert stack.get(personal).headers.get("X-Cache-Status") == "MISS"
    assert stack.get(page, headers={"Authorization": "Basic dTpw"}).headers.get("X-Cache-Status") == "BYPASS"

    socket_unit = stack.unit.replace(".service", ".socket")
    host.check_output(f"systemctl stop {socket_unit} {stack.unit}")
    try:
        down = stack.get(page)
        assert down.status == 200 and stack.greeting in down.body.decode()
        assert down.headers.get("X-Cache-Status") in ("HIT", "STALE")
        assert stack.get("?never=cached").status == 502
        assert stack.get(page, headers={"Cookie": "session=abc"}).status == 502, "a visitor's page never comes from the cache"
        assert stack.get(page, headers={"Authorization": "Basic dTpw"}).status == 502
    finally:
        host.check_output(f"systemctl start {socket_unit} {stack.unit}")


def test_a_static_directory_outside_the_app_is_served_only_when_asked_and_never_a_system_one(host_restored):
    host = host_restored
    stack = stack_of(host)
    name = host.ansible.get_variables()["inventory_hostname"]
    outside = "/var/www/wsgi-stack-outside"
    host.check_output(f"install -d -m 0755 {outside} && echo outside >{outside}/outside.txt && chmod 0644 {outside}/outside.txt")
    try:
        refused = run_site("--limit", name, "-e", json.dumps({"nginx_static_dir": outside}))
        system = run_site("--limit", name, "-e",
                          json.dumps({"nginx_static_outside_app": True, "nginx_static_dir": "/etc/nginx"}))
        for result, value in ((refused, outside), (system, "/etc/nginx")):
            assert result.returncode != 0, result.stdout
            assert "nginx_static_dir must be an absolute path in normal form" in result.stdout + result.stderr
            assert f'got \\"{value}\\"' in result.stdout + result.stderr, result.stdout + result.stderr
            assert "PLAY [App layer]" not in result.stdout, "a layer ran despite the bad setting"
        converge(host, nginx_static_outside_app=True, nginx_static_dir=outside)
        served = stack.get("static/outside.txt")
        assert (served.status, served.body) == (200, b"outside\n")
    finally:
        host.check_output(f"rm -rf {outside}")
