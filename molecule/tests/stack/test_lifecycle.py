"""A configuration change restarts the app server; a code change reloads it gracefully, keeping its master."""
import json
import shutil
import time

import pytest

from conftest import REPO, converge, main_pid, run_site, stack_of, worker_pids


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


def test_config_change_restarts_and_code_change_reloads(host_restored, changed_app):
    host = host_restored
    stack = stack_of(host)
    unit = stack.unit
    # A setting of the app server's configuration file, changed.
    timeout = {"gunicorn_timeout": 31} if stack.server == "gunicorn" else {"uwsgi_harakiri": 31}

    before = main_pid(host, unit)
    converge(host, **timeout)
    restarted = main_pid(host, unit)
    assert restarted != before, "a configuration change must restart the app server"

    workers = worker_pids(host, restarted)
    converge(host, flask_app_source_path=str(changed_app), **timeout)
    assert main_pid(host, unit) == restarted, "a code change must reload the app server, not restart it"
    new_workers = wait_for_new_workers(host, restarted, workers)
    assert new_workers and new_workers.isdisjoint(workers), "the reload must replace every worker"
    page = stack.get()
    assert page.status == 200
    assert "Second release." in page.body.decode()


def test_a_shared_dir_replaces_the_one_the_code_ships_and_the_app_writes_there(host_restored, tmp_path):
    host = host_restored
    stack = stack_of(host)
    app = tmp_path / "app"
    shutil.copytree(REPO / "examples" / "app", app)
    (app / "uploads").mkdir()
    (app / "uploads" / "shipped.txt").write_text("from the code\n")
    converge(host, flask_app_source_path=str(app), flask_app_shared_dirs=["uploads"])

    link = host.file(f"/srv/{stack.name}/current/code/uploads")
    assert link.is_symlink and link.linked_to == f"/var/lib/{stack.name}/uploads"
    assert not host.file(f"/var/lib/{stack.name}/uploads/shipped.txt").exists, "the code's copy stays out of the data"
    written = f"/srv/{stack.name}/current/code/uploads/written-by-the-app"
    assert host.run(f"sudo -u {stack.name} touch {written}").rc == 0
    assert host.file(written).user == stack.name
    assert host.run(f"sudo -u {stack.name} touch /srv/{stack.name}/current/code/elsewhere").rc != 0


def test_a_failed_run_still_restarts_on_the_settings_it_wrote(host_restored):
    """The environment is written, then a later task fails: the restart it owed happens all the same."""
    host = host_restored
    stack = stack_of(host)
    variables = host.ansible.get_variables()
    before = main_pid(host, stack.unit)
    greeting = "Bonjour from a run that failed later"
    # The example app has no pyproject.toml: this install mode fails after the environment file was written.
    failing = {"flask_app_env": {**variables.get("flask_app_env", {}), "HELLO_GREETING": greeting},
               "flask_app_install": "project"}
    result = run_site("--limit", variables["inventory_hostname"], "-e", json.dumps(failing))
    assert result.returncode != 0, result.stdout
    assert "pyproject.toml or setup.py" in result.stdout + result.stderr, result.stdout
    assert main_pid(host, stack.unit) != before, "the app server must restart on the new environment"
    page = stack.get()
    assert page.status == 200
    assert greeting in page.body.decode()


def test_pruning_keeps_the_last_releases_and_removes_the_venvs_only_the_others_used(
        host_restored, changed_app, tmp_path):
    """With one release kept, the live and previous ones stay; an older one goes, with the venv no kept one uses."""
    host = host_restored
    stack = stack_of(host)
    root = f"/srv/{stack.name}"

    def live():
        return (host.check_output(f"readlink {root}/current").rsplit("/", 1)[1],
                host.check_output(f"readlink -f {root}/current/venv"))

    original, original_venv = live()
    # Other requirements: a release with a venv of its own.
    own_venv_app = tmp_path / "app"
    shutil.copytree(REPO / "examples" / "app", own_venv_app)
    with (own_venv_app / "requirements.txt").open("a") as requirements:
        requirements.write("# pinned apart\n")
    converge(host, flask_app_source_path=str(own_venv_app))
    apart, apart_venv = live()
    converge(host, flask_app_source_path=str(changed_app))
    changed, changed_venv = live()
    assert len({original, apart, changed}) == 3 and apart_venv not in (original_venv, changed_venv)

    # The first run keeps the release it leaves and the previous one; the next one no longer needs `apart`.
    converge(host, flask_app_keep_releases=1)
    converge(host, flask_app_keep_releases=1)
    assert live() == (original, original_venv)
    assert sorted(host.check_output(f"ls {root}/releases").split()) == sorted([original, changed])
    assert not host.file(apart_venv).exists, "a venv only a removed release used must go with it"
    assert host.file(original_venv).is_directory and host.file(changed_venv).is_directory
    assert stack.get().status == 200
