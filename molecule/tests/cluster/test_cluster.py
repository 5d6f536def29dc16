"""A balancer in front of two app hosts (examples/cluster), each on its own loopback address, as users see it.

Requests go through the balancer's nginx at 127.0.0.10; the example app names the host that answered in X-App-Host.
The session fixture `rollout` deploys version 2 across the app hosts under a bounded load, then a broken version 3,
then rolls back to version 1; the other tests stop, start and kill one app host's app server under requests.
"""
import functools
import http.client
import json
import re
import shutil
import subprocess
import threading
import time
import uuid

import pytest

from conftest import (ANSIBLE_ENV, REPO, RUN_REPORT, app_host_names, inventory_host, molecule_inventory, recap_of,
                      run_doctor, run_site, stack_of, under_load)

APP = REPO / "examples" / "app"
UNIT = "gunicorn-hello"
# nginx_upstream_fail_timeout's default: how long a host that failed stays out before nginx asks it again.
FAIL_TIMEOUT = 10


def web_host_name():
    listing = json.loads(subprocess.check_output(["ansible-inventory", "-i", str(molecule_inventory()), "--list"]))
    return listing["web"]["hosts"][0]


@pytest.fixture(scope="module")
def balancer():
    return stack_of(inventory_host(web_host_name()))


@pytest.fixture(scope="module")
def apps():
    return {name: inventory_host(name) for name in app_host_names()}


def hello_version(directory, version, breakage=""):
    """A copy of examples/app that reports `version`, with `breakage` appended to its module."""
    shutil.copytree(APP, directory, ignore=shutil.ignore_patterns("__pycache__"))
    module = directory / "hello" / "__init__.py"
    text = module.read_text()
    assert 'VERSION = "1"' in text
    module.write_text(text.replace('VERSION = "1"', f'VERSION = "{version}"') + breakage)
    return directory


def answering_hosts(balancer, requests=40):
    """How many of `requests` GETs each app host answered."""
    counts = {}
    for request in range(requests):
        response = balancer.get("version")
        assert response.status == 200, response
        counts[response.headers["X-App-Host"]] = counts.get(response.headers["X-App-Host"], 0) + 1
    return counts


def releases(host):
    return set(host.check_output("ls /srv/hello/releases").split())


def live_version(balancer, apps):
    return {response.headers["X-App-Host"]: response.json()["version"]
            for response in (balancer.get("version") for request in range(4 * len(apps)))}


def timed_site(step, *args):
    started = time.monotonic()
    result = run_site(*args)
    RUN_REPORT.append((step, time.monotonic() - started))
    return result


def assert_no_failed_request(counts):
    assert counts["requests"] > 100, counts
    assert counts["statuses"] == {"200": counts["requests"]}, counts
    assert counts["errors"] == {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}, counts


@pytest.fixture(scope="module")
def rollout(balancer, apps, tmp_path_factory):
    """Version 2 rolled out, a broken version 3 refused, a rollback to version 1: each step under load."""
    tmp = tmp_path_factory.mktemp("hello")
    steps = {"v1": {"releases": {name: releases(host) for name, host in apps.items()}}}
    # Each request on a connection of its own: a reload of nginx closes idle keep-alive connections, which browsers
    # retry on their own but the load tool counts as errors.
    loads = {balancer.name: balancer}

    run, counts = under_load(loads, "version", lambda: timed_site(
        "cluster: deploy v2, one app host at a time", "--diff", "-e",
        json.dumps({"flask_app_source_path": str(hello_version(tmp / "v2", 2))})), "cluster v2", fresh_connections=True)
    steps["v2"] = {"run": run, "load": counts[balancer.name], "live": live_version(balancer, apps),
                   "releases": {name: releases(host) for name, host in apps.items()}}

    broken = "\nimport hello_missing_module  # noqa: E402,F401\n"
    run, counts = under_load(loads, "version", lambda: run_site(
        "-e", json.dumps({"flask_app_source_path": str(hello_version(tmp / "v3", 3, broken))})), "cluster v3 broken",
        fresh_connections=True)
    steps["v3"] = {"run": run, "load": counts[balancer.name], "live": live_version(balancer, apps),
                   "releases": {name: releases(host) for name, host in apps.items()}}

    rollback = ["ansible-playbook", "-i", str(molecule_inventory()), str(REPO / "playbooks" / "rollback.yml")]
    run, counts = under_load(loads, "version", lambda: subprocess.run(
        rollback, capture_output=True, text=True, check=False, env=ANSIBLE_ENV), "cluster rollback",
        fresh_connections=True)
    steps["rollback"] = {"run": run, "load": counts[balancer.name], "live": live_version(balancer, apps)}

    # Version 4 passes the health gate, goes live on the first host, and a command after the switch fails there.
    failing_after = [{"name": "notify-chat", "command": "echo chat server unreachable >&2; exit 3", "run": "after"}]
    run, counts = under_load(loads, "version", lambda: run_site("-e", json.dumps({
        "flask_app_source_path": str(hello_version(tmp / "v4", 4)), "flask_app_deploy_commands": failing_after})),
        "cluster v4 fails after switch", fresh_connections=True)
    steps["v4"] = {"run": run, "load": counts[balancer.name], "answering": answering_hosts(balancer),
                   "upstream": inventory_host(web_host_name()).check_output("nginx -T 2>/dev/null")}
    run = run_site()
    steps["healed"] = {"run": run, "answering": answering_hosts(balancer)}
    return steps


def test_an_app_host_on_a_unix_socket_is_refused_before_any_change(apps):
    result = run_site("-e", json.dumps({"flask_app_listen": "unix:/run/hello/app.sock", "flask_app_listen_allow": []}))
    assert result.returncode != 0
    # The message as the check writes it, quotes and escapes aside, with each host's bad value.
    message = re.sub(r"[\\'\"]", "", result.stdout + result.stderr)
    assert "nginx_upstream_group: each host nginx balances over must set flask_app_listen to ADDRESS:PORT" in message
    assert all(f"{name}: unix:/run/hello/app.sock" in message for name in apps), message
    for name in [web_host_name(), *apps]:
        assert recap_of(result.stdout, name)["changed"] == 0


def test_requests_are_spread_over_both_app_hosts(balancer, apps):
    counts = answering_hosts(balancer)
    assert set(counts) == set(apps), counts
    assert min(counts.values()) >= 10, counts


def converge_balancer(tmp_path, app_host_vars, *args):
    """Converge the balancer alone, with these variables in the app hosts' host_vars (a second inventory source)."""
    extra = tmp_path / "host_vars.yml"
    extra.write_text(json.dumps({"app": {"hosts": app_host_vars}}))
    return run_site("-i", str(extra), "--limit", web_host_name(), *args)


@pytest.fixture
def reconverged(tmp_path):
    """converge_balancer, and the balancer converged back to the inventory's settings after the test."""
    yield functools.partial(converge_balancer, tmp_path)
    result = converge_balancer(tmp_path, {})
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("host_vars", "expected"), [
    ({"wsgi-stack-cluster-app2": {"nginx_upstream_weight": 3}}, {"wsgi-stack-cluster-app1": 10, "wsgi-stack-cluster-app2": 30}),
    ({"wsgi-stack-cluster-app1": {"nginx_upstream_backup": True}}, {"wsgi-stack-cluster-app2": 40}),
])
def test_each_app_host_takes_the_share_its_own_host_vars_give_it(balancer, reconverged, host_vars, expected):
    result = reconverged(host_vars)
    assert result.returncode == 0, result.stdout + result.stderr
    counts = answering_hosts(balancer)
    # The workers share one round (the upstream's zone): the shares hold within a request or two.
    assert set(counts) == set(expected), counts
    for name, share in expected.items():
        assert abs(counts[name] - share) <= 4, counts


def test_least_conn_sends_requests_to_the_host_with_fewer_in_progress(balancer, apps, reconverged):
    result = reconverged({}, "-e", json.dumps({"nginx_upstream_balance": "least_conn"}))
    assert result.returncode == 0, result.stdout + result.stderr
    request, busy = slow_request_on(balancer, apps, "GET", seconds=12)
    try:
        # Every nginx worker sees the slow request in progress on the busy host (the upstream's shared zone).
        counts = answering_hosts(balancer, requests=10)
    finally:
        request.join()
    assert counts == {next(name for name in apps if name != busy): 10}, counts


def test_app_hosts_that_run_another_app_server_than_the_balancer_expects_are_refused(apps, reconverged):
    result = reconverged({name: {"flask_app_server": "uwsgi"} for name in apps})
    assert result.returncode != 0
    message = re.sub(r"[\\'\"]", "", result.stdout + result.stderr)
    assert "nginx_upstream_group: each host nginx balances over must run the app server this host expects" in message
    assert all(f"{name}: uwsgi/uwsgi" in message for name in apps), message
    assert recap_of(result.stdout, web_host_name())["changed"] == 0


def test_the_balancer_keeps_connections_to_the_app_hosts_alive_over_http_1_1(balancer):
    config = inventory_host(web_host_name()).check_output("nginx -T 2>/dev/null")
    for address in ("127.0.0.11:8010", "127.0.0.12:8010"):
        assert f"server {address} weight=1 max_fails=1 fail_timeout=10s;" in config
    assert "keepalive 16;" in config
    # One balancing state for all nginx workers.
    assert "zone hello_app 64k;" in config
    assert "proxy_http_version 1.1;" in config
    assert 'proxy_set_header Connection "";' in config
    # A POST or PATCH once sent is never sent to another host.
    assert "non_idempotent" not in config


def test_static_files_come_from_the_app_through_the_balancer(balancer):
    page = balancer.get("static/style.css")
    assert page.status == 200
    assert page.body == (APP / "hello" / "static" / "style.css").read_bytes()
    assert page.headers.get("X-Served-By") == "flask"


def test_each_app_server_listens_on_its_own_address_only(apps):
    for name, host in apps.items():
        address = host.ansible.get_variables()["flask_app_listen"]
        assert host.check_output(f"systemctl show -P Listen {UNIT}.socket") == f"{address} (Stream)"
    # Containers share the machine's network: one listing shows both app servers' sockets.
    listening = next(iter(apps.values())).check_output("ss -Htln 'sport = :8010'")
    assert sorted(line.split()[3] for line in listening.splitlines()) == ["127.0.0.11:8010", "127.0.0.12:8010"]


def direct_get(address, source):
    """GET /healthz straight from the app server at `address`, from the local address `source`."""
    host, port = address.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=2, source_address=(source, 0))
    try:
        connection.request("GET", "/healthz", headers={"Host": "cluster.hello.test"})
        return connection.getresponse().status
    finally:
        connection.close()


def test_only_the_balancer_s_address_reaches_the_app_servers(apps):
    for name, host in apps.items():
        address = host.ansible.get_variables()["flask_app_listen"]
        assert set(host.check_output(f"systemctl show -P IPAddressDeny {UNIT}.socket").split()) == {"0.0.0.0/0", "::/0"}
        # The balancer's address (nginx_upstream_bind) gets an answer.
        assert direct_get(address, "127.0.0.10") == 200
        # Any other gets nothing, not even a refusal: systemd drops its packets.
        with pytest.raises(TimeoutError):
            direct_get(address, "127.0.0.1")


def test_a_rolling_deploy_of_version_2_fails_no_request(rollout, apps):
    step = rollout["v2"]
    assert step["run"].returncode == 0, step["run"].stdout + step["run"].stderr
    assert_no_failed_request(step["load"])
    assert set(step["load"]["versions"]) == {"1", "2"}, step["load"]
    assert step["live"] == {name: "2" for name in apps}


def test_the_app_hosts_deploy_one_at_a_time_each_out_of_the_balancer_meanwhile(rollout, apps):
    output = rollout["v2"]["run"].stdout
    # One batch, and one play header, per app host.
    assert output.count("PLAY [App layer]") == len(apps), output
    batches = output.split("PLAY [App layer]")[1:]
    for name, batch in zip(sorted(apps), batches):
        address = apps[name].ansible.get_variables()["flask_app_listen"]
        reload_task = "TASK [wsgi.stack.nginx : Reload nginx on the web hosts whose upstream changed]"
        reloaded = f"changed: [{name} -> {web_host_name()}] => (item={web_host_name()})"
        # Each step after the one before: marked down, nginx reloaded, the release switched, the app server reloaded,
        # marked up, reloaded.
        out = batch.index(f"+    server {address} weight=1 max_fails=1 fail_timeout=10s down;")
        out_live = batch.index(reloaded, batch.index(reload_task, out))
        linked = batch.index("TASK [wsgi.stack.flask_app : Switch the live release and record it]", out_live)
        switched = batch.index("Gunicorn | reload gracefully", linked)
        back = batch.index(f"-    server {address} weight=1 max_fails=1 fail_timeout=10s down;", switched)
        assert batch.index(reloaded, batch.index(reload_task, back)) > back


def test_a_failed_host_stops_the_roll_and_the_rest_keep_their_release(rollout, apps):
    step = rollout["v3"]
    assert step["run"].returncode != 0
    assert "No module named 'hello_missing_module'" in step["run"].stdout + step["run"].stderr
    assert_no_failed_request(step["load"])
    assert step["live"] == {name: "2" for name in apps}
    first, *rest = sorted(apps)
    # The first host built version 3, proved it broken and removed it; the others never started on it.
    assert step["releases"][first] == rollout["v2"]["releases"][first]
    assert "TASK [wsgi.stack.flask_app : Remove the release that failed]" in step["run"].stdout
    for name in rest:
        assert recap_of(step["run"].stdout, name)["changed"] == 0
    assert " down;" not in inventory_host(web_host_name()).check_output("nginx -T 2>/dev/null")


def test_a_rollback_goes_back_across_the_group_and_fails_no_request(rollout, apps):
    step = rollout["rollback"]
    assert step["run"].returncode == 0, step["run"].stdout + step["run"].stderr
    assert_no_failed_request(step["load"])
    assert step["live"] == {name: "1" for name in apps}
    assert " down;" not in inventory_host(web_host_name()).check_output("nginx -T 2>/dev/null")


def test_a_rollback_to_the_live_release_leaves_every_host_serving(rollout, apps):
    live = {host.file("/srv/hello/current").linked_to for host in apps.values()}
    assert len(live) == 1, live
    run = subprocess.run(["ansible-playbook", "-i", str(molecule_inventory()), str(REPO / "playbooks" / "rollback.yml"),
                          "-e", f"flask_app_rollback_to={live.pop().rsplit('/', 1)[1]}"],
                         capture_output=True, text=True, check=False, env=ANSIBLE_ENV)
    assert run.returncode == 0, run.stdout + run.stderr
    # No host changes release, so none leaves the balancer: nothing is marked down, switched or reloaded.
    for name in [web_host_name(), *apps]:
        assert recap_of(run.stdout, name)["changed"] == 0, run.stdout


def test_a_host_whose_release_fails_after_its_switch_stays_out_until_a_run_succeeds(rollout, apps):
    step = rollout["v4"]
    first, *rest = sorted(apps)
    assert step["run"].returncode != 0
    assert "chat server unreachable" in step["run"].stdout + step["run"].stderr
    assert_no_failed_request(step["load"])
    # Out of the balancer from before its app server reloaded on version 4 until after it went back: no request saw it.
    assert set(step["load"]["versions"]) == {"1"}, step["load"]
    address = apps[first].ansible.get_variables()["flask_app_listen"]
    assert f"server {address} weight=1 max_fails=1 fail_timeout=10s down;" in step["upstream"]
    assert step["answering"] == {name: 40 for name in rest}
    healed = rollout["healed"]
    assert healed["run"].returncode == 0, healed["run"].stdout + healed["run"].stderr
    assert set(healed["answering"]) == set(apps)


def test_stopping_one_app_server_fails_no_get_and_its_requests_come_back(balancer, apps):
    name, host = next(iter(apps.items()))

    def stop_and_start():
        host.run_expect([0], f"systemctl stop {UNIT}.socket {UNIT}.service")
        time.sleep(4)
        host.run_expect([0], f"systemctl start {UNIT}.socket {UNIT}.service")

    result, counts = under_load({balancer.name: balancer}, "version", stop_and_start, "cluster stop one", settle=3.0)
    assert_no_failed_request(counts[balancer.name])
    # nginx asks a host that failed again once fail_timeout has passed.
    time.sleep(FAIL_TIMEOUT + 1)
    assert answering_hosts(balancer).get(name, 0) >= 10


def journal_has(host, text):
    return text in host.check_output(f"journalctl --unit {UNIT}.service --output cat --no-pager")


def slow_request_on(balancer, apps, method, answer=None, seconds=6):
    """Start a slow request through the balancer; return its thread (which puts the response in `answer`) and the
    app host that logged its start."""
    marker = uuid.uuid4().hex
    started = f"slow {method} {marker} started"
    answer = {} if answer is None else answer
    answer["started"] = started
    data = b"submitted once" if method == "POST" else None
    request = threading.Thread(target=lambda: answer.update(
        response=balancer.get(f"slow?seconds={seconds}&id={marker}", data=data, timeout=30)))
    request.start()
    deadline = time.monotonic() + 5
    while not (serving := [name for name, host in apps.items() if journal_has(host, started)]):
        assert time.monotonic() < deadline, f"no app host logged {started!r}"
        time.sleep(0.2)
    [host] = serving
    return request, host


@pytest.mark.parametrize(("method", "replayed"), [("GET", True), ("POST", False)])
def test_a_request_in_flight_to_a_host_that_dies_is_replayed_only_if_it_is_a_get(balancer, apps, method, replayed):
    answer = {}
    request, dying = slow_request_on(balancer, apps, method, answer)
    apps[dying].run_expect([0], f"systemctl kill --signal=SIGKILL {UNIT}.service")
    request.join()
    response = answer["response"]
    others = [name for name in apps if name != dying]
    if replayed:
        assert response.status == 200, response
        assert response.headers["X-App-Host"] in others
    else:
        assert response.status == 502, response
        assert not any(journal_has(apps[name], answer["started"]) for name in others)
    # The app server comes back on its socket; nginx asks it again after fail_timeout.
    time.sleep(FAIL_TIMEOUT + 1)
    assert answering_hosts(balancer).get(dying, 0) >= 10


def test_the_whole_cluster_converges_again_with_no_change(rollout, apps):
    result = timed_site("cluster: second run, nothing to change")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in [web_host_name(), *apps]:
        assert recap_of(result.stdout, name)["changed"] == 0, result.stdout


def test_the_doctor_finds_each_host_healthy_on_the_layers_it_has(apps, tmp_path):
    # The errors of the failover tests above are older than the doctor's window.
    run, verdicts = run_doctor(tmp_path, 5)
    assert run.returncode == 0, run.stdout + run.stderr
    green = {name: [layer["layer"] for layer in verdict["layers"] if layer["ok"]] for name, verdict in verdicts.items()}
    assert green == {
        web_host_name(): ["services", "nginx configuration", "upstream", "server names", "site", "forwarded headers",
                          "recent errors"],
        # Asked from its own address, the one address besides the balancer's that its allow list admits.
        **{name: ["services", "app server", "recent errors"] for name in apps}}
    for name in apps:
        assert f"{apps[name].ansible.get_variables()['flask_app_listen']}, asked for /healthz" in run.stdout
