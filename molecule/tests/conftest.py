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
import yaml

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
    # The loopback address the tests reach this host's nginx at: each host of a multi-host scenario has its own.
    address: str = "127.0.0.1"

    @property
    def unit(self):
        """The app server's systemd service."""
        return f"{self.server}-{self.name}.service"

    def url(self, path=""):
        return f"http://{self.address}:{self.port}{self.location}{path}"

    def get(self, path="", headers=None, data=None, timeout=10):
        request = urllib.request.Request(
            self.url(path), headers={"Host": self.server_name, **(headers or {})}, data=data
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Response(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers), error.read())


@pytest.fixture(scope="module")
def stack(host):
    return stack_of(host)


def stack_of(host, play_vars=None):
    """The stack the host's inventory sets up; play_vars, a play's own variables, outrank the inventory's."""
    variables = {**host.ansible.get_variables(), **(play_vars or {})}
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
        address=variables.get("test_address", "127.0.0.1"),
    )


def main_pid(host, unit):
    return int(host.check_output(f"systemctl show -P MainPID {unit}"))


def proc_status(host, pid):
    """/proc/PID/status as a dict of its fields, values stripped."""
    return {key: value.strip() for key, value in
            (line.split(":", 1) for line in host.file(f"/proc/{pid}/status").content_string.splitlines())}


def journal_cursor(host):
    """Where the host's journal ends now, for journal_since."""
    return host.check_output("journalctl --show-cursor -n 0 --quiet | tail -1").removeprefix("-- cursor: ")


def journal_since(host, unit, cursor):
    """What a unit wrote to the journal after the cursor."""
    return host.check_output(f"journalctl --no-pager -u {unit} --after-cursor '{cursor}'")


def exposure(host, unit):
    """systemd-analyze security's overall exposure of a unit, from 0 (confined) to 10 (not)."""
    output = host.check_output(f"systemd-analyze security --no-pager {unit}")
    return float(re.search(r"Overall exposure level for \S+: ([0-9.]+)", output).group(1))


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


def run_doctor(report_dir, since, *args):
    """The doctor on the scenario's inventory, reading the logs of the last `since` seconds: the run, and each host's
    verdict from its JSON report ({} when it wrote none)."""
    report = report_dir / f"doctor-{time.monotonic_ns()}.json"
    run = subprocess.run(["ansible-playbook", "-i", str(molecule_inventory()), str(REPO / "playbooks" / "doctor.yml"),
                          "-e", json.dumps({"doctor_report": str(report), "doctor_since": max(int(since), 1)}), *args],
                         capture_output=True, text=True, check=False, env=ANSIBLE_ENV)
    return run, json.loads(report.read_text()) if report.exists() else {}


def run_sites(argument_lists, at_once=4):
    """The site playbook once per list of arguments, `at_once` runs at a time; each run's output (both streams, in
    order) and return code."""
    results = []
    for start in range(0, len(argument_lists), at_once):
        processes = [subprocess.Popen(site_command(*arguments), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True, env=ANSIBLE_ENV)
                     for arguments in argument_lists[start:start + at_once]]
        results += [(process.communicate()[0], process.returncode) for process in processes]
    return results


def recap_of(output, inventory_hostname):
    """The PLAY RECAP counters of one host (ok, changed, failed...)."""
    line = re.search(rf"^{re.escape(inventory_hostname)}\s+:\s+(ok=.*)$", output, re.MULTILINE)
    assert line, output
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line.group(1))}


ROLES = sorted((path.name for path in (REPO / "roles").iterdir()), key=len, reverse=True)


def role_of_tag(tag):
    return next(role for role in ROLES if tag == role or tag.startswith(role + "_"))


def task_names(tasks_dir, tasks, always=True):
    """The names Ansible prints for these tasks: those of imported files' tasks and of blocks' tasks, not their own;
    with always=False, not those of the tasks tagged `always` either."""
    names = set()
    for task in tasks or []:
        if not always and "always" in task.get("tags", []):
            continue
        if "ansible.builtin.import_tasks" in task:
            imported = yaml.safe_load((tasks_dir / task["ansible.builtin.import_tasks"]).read_text())
            names |= task_names(tasks_dir, imported, always)
        elif "block" in task:
            names |= task_names(tasks_dir, task["block"] + task.get("rescue", []) + task.get("always", []), always)
        elif "name" in task:
            names.add(task["name"])
    return names


def contents_tasks(tasks_dir, file="main.yml", tags=()):
    """A role's table of contents: the tasks of tasks/main.yml, with those of the task files it imports that only
    import or include others (flask_app's stage.yml) in their place, each with the tags it inherits."""
    tasks = []
    for task in yaml.safe_load((tasks_dir / file).read_text()):
        own = [*tags, *task.get("tags", [])]
        imported = task.get("ansible.builtin.import_tasks")
        if imported and all(set(entry) & {"ansible.builtin.import_tasks", "ansible.builtin.include_tasks"}
                            for entry in yaml.safe_load((tasks_dir / imported).read_text())):
            tasks += contents_tasks(tasks_dir, imported, own)
        else:
            tasks.append({**task, "tags": own})
    return tasks


def tagged_task_names(tag):
    """The names of the tasks a tag selects in its role's table of contents, other than those every run has, unless
    the tag selects only those (the checks' tags)."""
    tasks_dir = REPO / "roles" / role_of_tag(tag) / "tasks"
    tagged = [task for task in contents_tasks(tasks_dir) if tag in task["tags"]]
    return task_names(tasks_dir, tagged, always=False) or task_names(tasks_dir, tagged)


def reached_tasks(output, tag):
    """The tasks of those a tag selects that a run reached, after the preflight (whose checks run whatever the tags).
    A role's tasks print with its name; those it includes from another role, without."""
    after_preflight = "".join(output.split("PLAY [")[2:])
    role = role_of_tag(tag)
    # A name's {{ expressions }} match whatever they printed.
    patterns = {name: ".*?".join(re.escape(part) for part in re.split(r"\{\{.*?\}\}", name))
                for name in tagged_task_names(tag)}
    return {name for name, pattern in patterns.items()
            if re.search(rf"^TASK \[(wsgi\.stack\.{role} : )?{pattern}\]", after_preflight, re.MULTILINE)}


def assert_tag_runs_alone(output, returncode, inventory_hostname, tag, whole_run_output):
    """A check-mode run with one tag on a converged host passes, changes nothing, and reaches every task of the tag
    that a run with no tags reaches."""
    assert returncode == 0, output
    recap = recap_of(output, inventory_hostname)
    assert (recap["changed"], recap["failed"]) == (0, 0), output
    expected = reached_tasks(whole_run_output, tag)
    assert expected, f"a run with no tags reaches no task of --tags {tag}"
    assert reached_tasks(output, tag) >= expected, output


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


# How long each fault took to heal, per host: (fault, host, seconds).
FAULT_REPORT = []
EXPOSURE_REPORT = []
# How long whole playbook runs took: (run, seconds).
RUN_REPORT = []


def pytest_terminal_summary(terminalreporter):
    """The units' exposure, the faults' healing times and the load tool's counts for every step run under load, to
    read beside the results."""
    if EXPOSURE_REPORT:
        terminalreporter.section("systemd-analyze security, per host: exposure from 0 (confined) to 10")
        for unit, name, score in EXPOSURE_REPORT:
            terminalreporter.write_line(f"{unit:<40} {name:<28} {score:>6.1f}")
    if FAULT_REPORT:
        terminalreporter.section("faults, per host: seconds until the site served again")
        for fault, name, seconds in FAULT_REPORT:
            terminalreporter.write_line(f"{fault:<40} {name:<28} {seconds:>6.1f} s")
    if RUN_REPORT:
        terminalreporter.section("playbook runs: seconds")
        for run, seconds in RUN_REPORT:
            terminalreporter.write_line(f"{run:<60} {seconds:>6.1f} s")
    if not LOAD_REPORT:
        return
    terminalreporter.section("requests under load, per step and host")
    for step, name, count in LOAD_REPORT:
        failed = count["requests"] - count["statuses"].get("200", 0) + sum(count["errors"].values())
        terminalreporter.write_line(
            f"{step:<16} {name:<28} requests {count['requests']:>6}  failed {failed:>3}  "
            f"p99 {count['p99_ms']:>7.1f} ms  {count['duration_s']:>5.1f} s  versions {count['versions']}"
            + (f"  hosts {count['hosts']}" if count["hosts"] else ""))
