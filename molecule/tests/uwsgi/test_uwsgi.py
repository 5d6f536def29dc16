"""uWSGI as the app server: its stats server, harakiri, and a clean switch to gunicorn and back."""
import json
import re
import time

from conftest import converge, main_pid, proc_status, run_site, stack_of, under_load

STATS_CLIENT = (
    "import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); chunks = []\n"
    "while chunk := s.recv(65536): chunks.append(chunk)\n"
    "sys.stdout.write(b''.join(chunks).decode())"
)


def stats(host):
    path = host.ansible.get_variables()["uwsgi_stats_socket"]
    return json.loads(host.check_output(f"python3 -c \"{STATS_CLIENT}\" {path}"))


def worker_pids_in_stats(host):
    return {worker["pid"] for worker in stats(host)["workers"] if worker["pid"] > 0}


def test_stats_list_the_configured_workers(host):
    report = stats(host)
    assert len(report["workers"]) == int(host.ansible.get_variables()["uwsgi_processes"])
    assert report["pid"] == main_pid(host, stack_of(host).unit)


def test_harakiri_cuts_a_slow_request_and_replaces_its_worker(host):
    stack = stack_of(host)
    limit = int(host.ansible.get_variables()["uwsgi_harakiri"])
    before = worker_pids_in_stats(host)
    harakiri_before = sum(worker.get("harakiri_count", 0) for worker in stats(host)["workers"])

    cut = stack.get(f"slow?seconds={limit + 4}")
    assert cut.status == 502
    # The other workers go on serving: one request cut short does not mark the app server down in nginx.
    after_cut = [stack.get("healthz").status for request in range(20)]
    assert after_cut == [200] * 20, after_cut

    deadline = time.monotonic() + 20
    while worker_pids_in_stats(host) <= before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert worker_pids_in_stats(host) - before, "a new worker should replace the one harakiri killed"
    assert sum(worker.get("harakiri_count", 0) for worker in stats(host)["workers"]) > harakiri_before
    assert stack.get("healthz").status == 200


def leftovers(host, name, server):
    files = {
        "gunicorn": [f"/etc/systemd/system/gunicorn-{name}.service", f"/etc/systemd/system/gunicorn-{name}.socket",
                     f"/etc/{name}/gunicorn.conf.py", f"/srv/{name}/gunicorn", f"/run/{name}/gunicorn.sock"],
        "uwsgi": [f"/etc/systemd/system/uwsgi-{name}.service", f"/etc/systemd/system/uwsgi-{name}.socket",
                  f"/etc/{name}/uwsgi.ini", f"/srv/{name}/uwsgi", f"/run/{name}/uwsgi.sock"],
    }[server]
    found = [path for path in files if host.file(path).exists]
    # The venvs named after the version they hold, beside the link.
    found += host.run(f"ls -d /srv/{name}/{server}-*").stdout.split()
    units = host.check_output(f"systemctl list-units --all --plain --no-legend '{server}-{name}*'")
    return found + ([units] if units.strip() else [])


def nginx_error_lines(host):
    return host.check_output("wc -l < /var/log/nginx/error.log")


def assert_no_failed_request(host, counts, errors_before):
    """No request failed; if one did, nginx's errors logged meanwhile tell which layer dropped it."""
    errors = host.check_output(f"tail -n +{int(errors_before) + 1} /var/log/nginx/error.log | tail -n 20")
    report = f"{json.dumps(counts)}\nnginx's errors meanwhile:\n{errors}"
    assert counts["requests"] > 100, report
    assert counts["statuses"] == {"200": counts["requests"]}, report
    assert counts["errors"] == {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}, report


def assert_socket_serves(host, stack, path):
    socket = host.file(path)
    assert socket.is_socket
    assert (socket.user, socket.group, socket.mode) == (stack.name, "www-data", 0o660)


def test_switching_app_servers_fails_no_request_and_leaves_nothing_behind(host_restored):
    """The next app server starts on its own socket, nginx moves to it, and only then the one left goes."""
    host = host_restored
    stack = stack_of(host)
    assert stack.listen == f"unix:/run/{stack.name}/uwsgi.sock", "the scenario's first host keeps the default socket"
    assert host.file(f"/srv/{stack.name}/uwsgi/bin/uwsgi").exists
    # A directory the old app server's settings name today, but which it never installed: the switch keeps it.
    bystander = f"/srv/{stack.name}/bystander"
    host.check_output(f"install -d {bystander} && touch {bystander}/uwsgi.ini")

    errors_before = nginx_error_lines(host)
    result, counts = under_load({stack.name: stack}, "healthz", lambda: converge(
        host, flask_app_server="gunicorn", uwsgi_venv_dir=bystander, uwsgi_config_dir=bystander), "to gunicorn",
        fresh_connections=True)
    assert_no_failed_request(host, counts[stack.name], errors_before)
    assert leftovers(host, stack.name, "uwsgi") == []
    assert host.file(f"{bystander}/uwsgi.ini").exists
    host.check_output(f"rm -r {bystander}")
    assert host.service(f"gunicorn-{stack.name}.service").is_running
    assert_socket_serves(host, stack, f"/run/{stack.name}/gunicorn.sock")

    errors_before = nginx_error_lines(host)
    result, counts = under_load({stack.name: stack}, "healthz", lambda: converge(host), "back to uwsgi",
                                fresh_connections=True)
    assert_no_failed_request(host, counts[stack.name], errors_before)
    assert leftovers(host, stack.name, "gunicorn") == []
    assert host.service(stack.unit).is_running
    assert_socket_serves(host, stack, f"/run/{stack.name}/uwsgi.sock")


def listen_stream(host, unit):
    return host.check_output(f"systemctl show -P Listen {unit}")


def test_an_upgrade_moves_the_socket_to_the_default_named_after_the_app_server(first_app_host):
    """Deployments before the socket named its app server listen on /run/APP/app.sock: one run moves them."""
    host = first_app_host
    stack = stack_of(host)
    name = host.ansible.get_variables()["inventory_hostname"]
    socket_unit = stack.unit.replace(".service", ".socket")
    old, new = f"/run/{stack.name}/app.sock", f"/run/{stack.name}/uwsgi.sock"
    try:
        converge(host, flask_app_listen=f"unix:{old}")
        assert listen_stream(host, socket_unit) == f"{old} (Stream)"
        assert not host.file(new).exists
        assert stack.get("healthz").status == 200

        converge(host)
        assert listen_stream(host, socket_unit) == f"{new} (Stream)"
        assert not host.file(old).exists
        assert_socket_serves(host, stack, new)
        assert stack.get("healthz").status == 200
        unit = host.file(f"/etc/systemd/system/{stack.unit}").content_string
        assert new in unit and old not in unit

        again = run_site("--limit", name)
        assert again.returncode == 0, again.stdout + again.stderr
        assert re.search(rf"^{re.escape(name)}\s+:.*\bchanged=0\b", again.stdout, re.MULTILINE), again.stdout
    except BaseException:
        converge(host)
        raise


def test_a_failed_build_of_the_next_app_server_leaves_the_current_one_serving(host_restored):
    host = host_restored
    stack = stack_of(host)
    name = host.ansible.get_variables()["inventory_hostname"]
    # No such gunicorn release exists: its build fails.
    result = run_site("--limit", name, "-e", json.dumps({"flask_app_server": "gunicorn", "gunicorn_version": "0.0.1"}))
    assert result.returncode != 0, result.stdout
    assert "gunicorn==0.0.1" in result.stdout + result.stderr
    assert host.service(stack.unit).is_running
    assert stack.get("healthz").status == 200
    # Only the half-built venv stays, for the next build to redo: no link, no unit, no configuration.
    assert leftovers(host, stack.name, "gunicorn") == [f"/srv/{stack.name}/gunicorn-0.0.1"]
    host.check_output(f"rm -r /srv/{stack.name}/gunicorn-0.0.1")


def test_the_app_user_holds_no_group_of_nginx(host):
    """systemd hands nginx the socket; the app never joins www-data, whose other sockets it could then reach."""
    stack = stack_of(host)
    assert host.service(stack.unit).is_running
    assert host.user(stack.name).groups == [stack.name]
    # The groups the running master holds, supplementary ones (a unit's SupplementaryGroups=) included.
    status = proc_status(host, main_pid(host, stack.unit))
    held = {int(gid) for gid in status["Groups"].split()}
    primary = int(status["Gid"].split()[0])
    assert held <= {primary}, status
    assert primary == int(host.check_output(f"getent group {stack.name} | cut -d: -f3"))
