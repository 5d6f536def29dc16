"""Deploys of a packaged app as users do them, each under a bounded load through nginx.

Version 1 of examples/notes (pyproject.toml only, SQLite in its instance folder, SECRET_KEY in instance/config.py,
`init-db` once and `migrate` on every deploy) is what the scenario converged. The session fixture then, on every
host at once and each step under wrk: deploys version 2, tries three broken versions 3, reloads and restarts the app
server, and rolls back to version 1 by name. The tests read the outcome of each step from the load tool's own counts.
Last, the first host deploys notes from git (a lock file and the project) and from a wheel.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest

from conftest import (ANSIBLE_ENV, REPO, app_host_names, exposure, inventory_host, journal_cursor, journal_since,
                      molecule_inventory, recap_of, run_site, stack_of, under_load)

NOTES = REPO / "examples" / "notes"
NOTE = "written under version 1"
BROKEN = {
    # Each breaks version 3 in one way, and names what the run must quote.
    "import-error": ("import click\n", "import click\nimport notes_missing_module  # noqa: F401\n",
                     "No module named 'notes_missing_module'"),
    "failing-health": ('        get_db().execute("SELECT count(*) FROM note").fetchone()\n'
                       '        return jsonify(status="ok", version=VERSION)\n',
                       '        return jsonify(status="down", version=VERSION), 503\n',
                       "answered 503, not 200"),
    "failing-command": ('    click.echo(f"schema up to date for version {VERSION}")\n',
                        '    raise click.ClickException("migration 3 failed: column note.title already exists")\n',
                        "migration 3 failed: column note.title already exists"),
}


def notes_version(directory, version, breakage=None):
    """A copy of examples/notes that reports `version`, broken in one of the BROKEN ways."""
    shutil.copytree(NOTES, directory, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    module = directory / "notes" / "__init__.py"
    text = module.read_text().replace('VERSION = "1"', f'VERSION = "{version}"')
    if breakage:
        before, after, quoted = BROKEN[breakage]
        assert before in text, breakage
        text = text.replace(before, after)
    module.write_text(text)
    return directory


def served_versions(stack, requests=20):
    return {stack.get("version").json()["version"] for request in range(requests)}


def live_release(host):
    return host.check_output("readlink /srv/notes/current").rsplit("/", 1)[1]


def deploy(source):
    return run_site("-e", json.dumps({"flask_app_source_path": str(source)}))


@pytest.fixture(scope="session")
def deployment(tmp_path_factory):
    """Every step, run once for all hosts: {step: {"run": CompletedProcess, "loads": {host: counts}, ...}}."""
    hosts = {name: inventory_host(name) for name in app_host_names()}
    stacks = {name: stack_of(host) for name, host in hosts.items()}
    tmp = tmp_path_factory.mktemp("notes")
    steps = {"v1": {"release": {name: live_release(host) for name, host in hosts.items()}}}
    for stack in stacks.values():
        assert stack.get("notes", data=NOTE.encode()).status == 200

    run, loads = under_load(stacks, "version", lambda: deploy(notes_version(tmp / "v2", 2)), "deploy v2")
    steps["v2"] = {"run": run, "loads": loads,
                   "after": {name: served_versions(stack) for name, stack in stacks.items()},
                   "notes": {name: stack.get("notes").json()["notes"] for name, stack in stacks.items()},
                   "release": {name: live_release(host) for name, host in hosts.items()}}

    for breakage in BROKEN:
        run, loads = under_load(stacks, "version", lambda: deploy(notes_version(tmp / breakage, 3, breakage)),
                                f"v3 {breakage}")
        steps[breakage] = {"run": run, "loads": loads,
                           "release": {name: live_release(host) for name, host in hosts.items()},
                           "releases": {name: host.check_output("ls /srv/notes/releases").split()
                                        for name, host in hosts.items()}}

    for action in ("reload", "restart"):
        result, loads = under_load(stacks, "version", lambda: [
            host.run(f"systemctl {action} {stacks[name].unit}") for name, host in hosts.items()
        ], f"systemctl {action}")
        steps[action] = {"loads": loads}

    rollback = ["ansible-playbook", "-i", str(molecule_inventory()), str(REPO / "playbooks" / "rollback.yml"),
                "-e", json.dumps({"flask_app_rollback_to": steps["v1"]["release"][app_host_names()[0]]})]
    run, loads = under_load(stacks, "version", lambda: subprocess.run(
        rollback, capture_output=True, text=True, check=False, env=ANSIBLE_ENV), "rollback to v1")
    steps["rollback"] = {"run": run, "loads": loads,
                         "after": {name: served_versions(stack) for name, stack in stacks.items()},
                         "notes": {name: stack.get("notes").json()["notes"] for name, stack in stacks.items()}}
    return steps


@pytest.fixture
def name(host):
    return host.ansible.get_variables()["inventory_hostname"]


def assert_no_failed_request(counts):
    assert counts["requests"] > 100, counts
    assert counts["statuses"] == {"200": counts["requests"]}, counts
    assert counts["errors"] == {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}, counts


def test_packaged_app_serves_version_1_with_its_data_apart(host, stack):
    page = stack.get()
    assert page.status == 200 and "Notes, version 1" in page.body.decode()
    css = stack.get("static/style.css")
    assert css.status == 200 and css.body == (NOTES / "notes" / "static" / "style.css").read_bytes()
    database = host.file("/var/lib/notes/instance/notes.sqlite")
    assert database.is_file and database.user == "notes"
    config = host.file("/var/lib/notes/instance/config.py")
    assert (config.user, config.group, config.mode) == ("root", "notes", 0o640)
    assert host.run("sudo -u notes test -w /srv/notes/current/code").rc != 0
    assert host.run("sudo -u notes test -w /srv/notes/current/venv/lib").rc != 0


def test_the_confined_app_keeps_an_upload_in_its_instance_folder(host, stack):
    """The app server's sandbox (at most 2.0 by systemd-analyze) leaves the app what it needs: a large upload spooled
    to its private /tmp, then kept in its instance folder, beside its database."""
    assert exposure(host, stack.unit) <= 2.0
    payload = os.urandom(2 * 1024 * 1024)
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="report.bin"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + payload + f"\r\n--{boundary}--\r\n".encode()
    created = stack.get("files", headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}, data=body)
    assert created.status == 201 and created.json() == {"name": "report.bin", "size": len(payload)}, created
    upload = host.file("/var/lib/notes/instance/uploads/report.bin")
    assert upload.user == "notes" and upload.size == len(payload)
    assert stack.get("files/report.bin").body == payload


def test_a_full_data_directory_fails_writes_with_their_cause_and_loses_nothing(host, stack, name):
    """The data directory on a file system of its own, as on a server with a data partition, filled by the app."""
    data_dir = "/var/lib/notes"
    note = "written before the disk filled"
    assert stack.get("notes", data=note.encode()).status == 200
    host.run_expect([0], f"systemctl stop {stack.unit} && cp -a {data_dir} /root/data.kept"
                         f" && mount -t tmpfs -o size=$(( $(du -sk {data_dir} | cut -f1) + 1024 ))k,mode=0750"
                         f",uid=$(id -u notes),gid=$(id -g notes) tmpfs {data_dir}"
                         f" && cp -a /root/data.kept/. {data_dir}/ && systemctl start {stack.unit}")
    try:
        cursor = journal_cursor(host)
        # dd stops where the file system ends.
        host.run(f"runuser -u notes -- dd if=/dev/zero of={data_dir}/filler bs=64k")
        assert host.check_output(f"df --output=avail {data_dir} | tail -1").strip() == "0"
        assert stack.get("notes", data=b"a note too many").status == 500
        journal = journal_since(host, stack.unit, cursor)
        assert "sqlite3.OperationalError: database or disk is full" in journal, journal
        # Reads go on: the page, the notes written before, the static files.
        assert note in stack.get("notes").json()["notes"]
        assert stack.get("").status == 200 and stack.get("static/style.css").status == 200
        # A run has nothing to write there, and does not fail.
        result = run_site("--limit", name)
        assert result.returncode == 0 and recap_of(result.stdout, name)["changed"] == 0, result.stdout
        # Room again: writes work at once, without a restart.
        host.run_expect([0], f"rm {data_dir}/filler")
        assert stack.get("notes", data=b"written once there was room").status == 200
    finally:
        host.run(f"systemctl stop {stack.unit}; umount {data_dir} && rm -rf {data_dir} && mv /root/data.kept {data_dir};"
                 f" systemctl start {stack.unit}")


def test_deploy_of_version_2_fails_no_request(deployment, name):
    step = deployment["v2"]
    assert step["run"].returncode == 0, step["run"].stdout + step["run"].stderr
    assert_no_failed_request(step["loads"][name])
    # The load saw the switch: both versions answered it, and afterwards only the new one does.
    assert set(step["loads"][name]["versions"]) == {"1", "2"}, step["loads"][name]
    assert step["after"][name] == {"2"}
    assert NOTE in step["notes"][name], "the data written under version 1 must survive the deploy"
    assert step["release"][name] != deployment["v1"]["release"][name]


@pytest.mark.parametrize("breakage", list(BROKEN))
def test_broken_release_leaves_version_2_serving(deployment, name, breakage):
    step = deployment[breakage]
    output = step["run"].stdout + step["run"].stderr
    assert step["run"].returncode != 0, output
    assert BROKEN[breakage][2] in output, output
    assert_no_failed_request(step["loads"][name])
    assert step["loads"][name]["versions"] == {"2": step["loads"][name]["requests"]}
    assert step["release"][name] == deployment["v2"]["release"][name]
    assert sorted(step["releases"][name]) == sorted({deployment["v1"]["release"][name],
                                                     deployment["v2"]["release"][name]})


def test_app_server_reload_fails_no_request(deployment, name):
    assert_no_failed_request(deployment["reload"]["loads"][name])


def test_app_server_restart_fails_no_request(deployment, name):
    assert_no_failed_request(deployment["restart"]["loads"][name])


def test_rollback_to_version_1_by_name_fails_no_request(deployment, name):
    step = deployment["rollback"]
    assert step["run"].returncode == 0, step["run"].stdout + step["run"].stderr
    assert_no_failed_request(step["loads"][name])
    assert step["after"][name] == {"1"}
    assert NOTE in step["notes"][name]


@pytest.fixture(scope="session")
def other_shapes(tmp_path_factory, deployment):
    """The first host deploys notes from git with a lock file and its pyproject.toml, then from a wheel."""
    name = app_host_names()[0]
    host = inventory_host(name)
    tmp = tmp_path_factory.mktemp("shapes")
    results = {}

    source = notes_version(tmp / "git", "git-both")
    (source / "requirements.lock").write_text("flask==3.1.3\n")
    host.check_output("rm -rf /opt/notes-git && mkdir -p /opt/notes-git")
    for path in sorted(source.rglob("*")):
        if path.is_file():
            host.check_output(f"mkdir -p /opt/notes-git/{path.parent.relative_to(source)}")
            host.check_output(f"base64 -d > /opt/notes-git/{path.relative_to(source)} <<'EOF'\n"
                              f"{base64.b64encode(path.read_bytes()).decode()}\nEOF")
    host.check_output("apt-get install -y -qq git >/dev/null && cd /opt/notes-git && git init -q -b main && git add -A"
                      " && git -c user.name=test -c user.email=test@localhost commit -qm 'notes from git'")
    results["git"] = run_site("--limit", name, "-e", json.dumps({
        "flask_app_source_path": "", "flask_app_git_repo": "/opt/notes-git", "flask_app_git_version": "main",
        "flask_app_install": "both", "flask_app_requirements_file": "requirements.lock"}))
    results["git-version"] = stack_of(host).get("version").json()["version"]
    results["git-release"] = live_release(host)
    results["git-commit"] = host.check_output("git -C /opt/notes-git rev-parse HEAD")

    wheels = tmp / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels),
                    str(notes_version(tmp / "wheel", "wheel"))], check=True)
    [wheel] = wheels.glob("notes-*.whl")
    results["wheel"] = run_site("--limit", name, "-e", json.dumps({
        "flask_app_source_path": "", "flask_app_package_path": str(wheel)}))
    results["wheel-version"] = stack_of(host).get("version").json()["version"]
    results["wheel-static"] = stack_of(host).get("static/style.css")
    return name, results


def test_git_checkout_with_a_lock_file_and_a_wheel_deploy_too(other_shapes, name):
    first, results = other_shapes
    if name != first:
        pytest.skip("deployed on the first host only")
    for shape in ("git", "wheel"):
        assert results[shape].returncode == 0, results[shape].stdout + results[shape].stderr
    assert results["git-version"] == "git-both"
    assert results["git-release"] == results["git-commit"][:12]
    assert results["wheel-version"] == "wheel"
    assert results["wheel-static"].body == (NOTES / "notes" / "static" / "style.css").read_bytes()
