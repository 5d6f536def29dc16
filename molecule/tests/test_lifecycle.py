"""A configuration change restarts the app server; a code change reloads it gracefully, keeping its master."""
import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import REPO, molecule_inventory, stack_of


def converge(host, **extra_vars):
    name = host.ansible.get_variables()["inventory_hostname"]
    result = subprocess.run(
        ["ansible-playbook", "-i", str(molecule_inventory()), str(REPO / "playbooks" / "site.yml"),
         "--limit", name, "-e", json.dumps(extra_vars)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "ANSIBLE_FORCE_COLOR": "false", "ANSIBLE_NOCOLOR": "true"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def main_pid(host, unit):
    return int(host.check_output(f"systemctl show -P MainPID {unit}"))


def worker_pids(host, master):
    return set(host.check_output(f"cat /proc/{master}/task/{master}/children").split())


def wait_for_new_workers(host, master, old_workers, seconds=30):
    """Old workers finish their requests before they exit; wait for them to be gone."""
    deadline = time.monotonic() + seconds
    while (workers := worker_pids(host, master)) & old_workers and time.monotonic() < deadline:
        time.sleep(0.5)
    return workers


@pytest.fixture(scope="module")
def changed_app(tmp_path_factory):
    """A copy of the example app whose page says something else."""
    copy = tmp_path_factory.mktemp("app") / "app"
    shutil.copytree(REPO / "examples" / "app", copy)
    template = copy / "hello" / "templates" / "index.html"
    template.write_text(template.read_text().replace("<p>", "<p>Second release. "))
    return copy


@pytest.fixture
def host_restored(first_app_host):
    yield first_app_host
    converge(first_app_host)


def test_config_change_restarts_and_code_change_reloads(host_restored, changed_app):
    host = host_restored
    variables = host.ansible.get_variables()
    unit = f"gunicorn-{variables['flask_app_name']}.service"
    timeout = {"gunicorn_timeout": 31}

    before = main_pid(host, unit)
    converge(host, **timeout)
    restarted = main_pid(host, unit)
    assert restarted != before, "a configuration change must restart gunicorn"

    workers = worker_pids(host, restarted)
    converge(host, flask_app_source_path=str(changed_app), **timeout)
    assert main_pid(host, unit) == restarted, "a code change must reload gunicorn, not restart it"
    new_workers = wait_for_new_workers(host, restarted, workers)
    assert new_workers and new_workers.isdisjoint(workers), "the reload must replace every worker"
    page = stack_of(host).get()
    assert page.status == 200
    assert "Second release." in page.body.decode()
