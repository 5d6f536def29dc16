"""Fixtures shared by the scenarios' Testinfra tests.

Containers use the host's network, so the tests reach nginx on 127.0.0.1 directly from the controller, like a
client would, and run commands inside the container through Testinfra's `host`.
"""
import functools
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import testinfra

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_STATIC = REPO / "examples" / "app" / "hello" / "static"


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Stack:
    """What the inventory says about one host, as its user knows it."""

    name: str
    server: str
    listen: str
    port: int
    server_name: str
    location: str
    greeting: str

    @property
    def unit(self):
        """The app server's systemd service."""
        return f"{self.server}-{self.name}.service"

    def url(self, path=""):
        return f"http://127.0.0.1:{self.port}{self.location}{path}"

    def get(self, path="", headers=None, data=None):
        request = urllib.request.Request(
            self.url(path), headers={"Host": self.server_name, **(headers or {})}, data=data
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Response(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers), error.read())


@pytest.fixture(scope="module")
def stack(host):
    return stack_of(host)


def stack_of(host):
    variables = host.ansible.get_variables()
    name = variables["flask_app_name"]
    server = variables.get("flask_app_server", "gunicorn")
    return Stack(
        name=name,
        server=server,
        # The default socket is named after the app server.
        listen=variables.get("flask_app_listen", f"unix:/run/{name}/{server}.sock"),
        port=int(variables.get("nginx_http_port", 80)),
        server_name=variables["nginx_server_names"][0],
        location=variables.get("nginx_app_location", "/"),
        greeting=variables.get("flask_app_env", {}).get("HELLO_GREETING", "Hello"),
    )


def main_pid(host, unit):
    return int(host.check_output(f"systemctl show -P MainPID {unit}"))


def worker_pids(host, master):
    return set(host.check_output(f"cat /proc/{master}/task/{master}/children").split())


def molecule_inventory():
    return Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "inventory"


@functools.cache
def app_host_names():
    listing = json.loads(subprocess.check_output(["ansible-inventory", "-i", str(molecule_inventory()), "--list"]))
    return sorted(listing["app"]["hosts"])


def first_app_host_name():
    return app_host_names()[0]


def inventory_host(name):
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=str(molecule_inventory()))


@functools.cache
def scenario_app_server():
    """The app server of the scenario's first app host, known before tests are collected."""
    host_vars = json.loads(subprocess.check_output(
        ["ansible-inventory", "-i", str(molecule_inventory()), "--host", first_app_host_name()]
    ))
    return host_vars.get("flask_app_server", "gunicorn")


@pytest.fixture(scope="session")
def first_app_host():
    """The first host of the app group, for the tests that run a whole playbook once per scenario."""
    return inventory_host(first_app_host_name())


ANSIBLE_ENV = {**os.environ, "ANSIBLE_FORCE_COLOR": "false", "ANSIBLE_NOCOLOR": "true"}


def site_command(*args):
    """ansible-playbook running the site playbook on the scenario's inventory, with more arguments."""
    return ["ansible-playbook", "-i", str(molecule_inventory()), str(REPO / "playbooks" / "site.yml"), *args]


def run_site(*args):
    return subprocess.run(site_command(*args), capture_output=True, text=True, check=False, env=ANSIBLE_ENV)


def converge(host, **extra_vars):
    """Converge one host again, with extra variables; it must succeed."""
    name = host.ansible.get_variables()["inventory_hostname"]
    result = run_site("--limit", name, "-e", json.dumps(extra_vars))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def host_restored(first_app_host):
    """The first app host, converged back to the inventory's settings after the test."""
    yield first_app_host
    converge(first_app_host)


@pytest.fixture(scope="session")
def check_mode_recap():
    """Run the converge playbook once in check mode, with diffs, against every host; return the recap counters."""
    result = run_site("--check", "--diff", "-v")
    recap = {}
    for line in result.stdout.splitlines():
        match = re.match(r"^(\S+)\s+:\s+(ok=.*)$", line)
        if match:
            recap[match.group(1)] = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(2))}
    return recap, result


WRK_COUNTS = Path(__file__).resolve().parent / "deploy" / "wrk_counts.lua"


def start_load(stack, path, seconds=900, fresh_connections=False):
    """A bounded wrk load on one site through nginx; it stops by itself after `seconds` at the latest.
    With fresh_connections, each request opens its own: a reload of nginx closes idle keep-alive connections, which
    browsers retry on their own but wrk counts as read errors."""
    closing = ["-H", "Connection: close"] if fresh_connections else []
    return subprocess.Popen(
        ["wrk", "-t1", "-c8", f"-d{seconds}s", "--timeout", "10s", "-s", str(WRK_COUNTS),
         "-H", f"Host: {stack.server_name}", *closing, stack.url(path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def stop_load(process):
    """Stop wrk (SIGINT makes it print its counts) and return them: requests, statuses, versions, errors, p99."""
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=60)[0]
    match = re.search(r"^WSGI_STACK_LOAD (\{.*\})$", output, re.MULTILINE)
    assert match, output
    return json.loads(match.group(1))


LOAD_REPORT = []


def under_load(stacks, path, action, step, settle=2.0, fresh_connections=False):
    """Run `action` (named `step` in the report) while every stack serves a load; return its result and the counts."""
    loads = {name: start_load(stack, path, fresh_connections=fresh_connections) for name, stack in stacks.items()}
    started = time.monotonic()
    time.sleep(settle)
    try:
        result = action()
        time.sleep(settle)
    finally:
        counts = {name: stop_load(process) for name, process in loads.items()}
        elapsed = time.monotonic() - started
    LOAD_REPORT.extend((step, name, count) for name, count in counts.items())
    # A load that ran out before the step ended saw only part of it.
    for name, count in counts.items():
        assert count["duration_s"] >= elapsed - 1, f"{step}: the load on {name} ended {elapsed:.0f} s into the step"
    return result, counts


def pytest_terminal_summary(terminalreporter):
    """The load tool's counts for every step run under load, to read beside the results."""
    if not LOAD_REPORT:
        return
    terminalreporter.section("requests under load, per step and host")
    for step, name, count in LOAD_REPORT:
        failed = count["requests"] - count["statuses"].get("200", 0) + sum(count["errors"].values())
        terminalreporter.write_line(
            f"{step:<16} {name:<28} requests {count['requests']:>6}  failed {failed:>3}  "
            f"p99 {count['p99_ms']:>7.1f} ms  {count['duration_s']:>5.1f} s  versions {count['versions']}")
