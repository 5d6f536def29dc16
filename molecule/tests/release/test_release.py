"""The collection as users get it: its tarball installed into an empty collections path beside only the collections
galaxy.yml names, and `wsgi.stack.site` run by name over SSH as the sudo user `deploy`, with examples/inventory's
settings (the host's own in molecule/release/host_vars).

The tests run in order: a dry run on the brand-new host, the first run without pipelining (Ansible's temporary
files, handed from `deploy` to the unprivileged build user), a second run that changes nothing, and a new release
built with pipelining.
"""
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import ansible_collections
import pytest
import yaml

from conftest import REPO, recap_of

GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text())
HOST_VARS = yaml.safe_load((REPO / "molecule" / "release" / "host_vars" / "wsgi-stack-release.yml").read_text())
HOST = "wsgi-stack-release"


class Installed:
    """The built tarball, the collections path it is installed into, and an inventory that reaches the host over
    SSH; `run` runs an installed playbook as a user would, with none of the test bench's Ansible settings."""

    def __init__(self, work):
        self.work = work
        self.collections = work / "collections"
        self.config = work / "ansible.cfg"
        self.config.write_text("[defaults]\n")
        self.inventory = work / "inventory"

    @property
    def root(self):
        return self.collections / "ansible_collections" / "wsgi" / "stack"

    def env(self, pipelining):
        env = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "MOLECULE_"))}
        return {**env, "ANSIBLE_CONFIG": str(self.config), "ANSIBLE_COLLECTIONS_PATH": str(self.collections),
                "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false", "ANSIBLE_PIPELINING": str(pipelining),
                "ANSIBLE_NOCOLOR": "true"}

    def run(self, *args, pipelining=True, playbook="wsgi.stack.site"):
        return subprocess.run(["ansible-playbook", "-i", str(self.inventory), playbook, *args], cwd=self.work,
                              capture_output=True, text=True, check=False, env=self.env(pipelining))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """Build the tarball and install it, with only galaxy.yml's dependencies, from the copies the test bench's
    Ansible ships (no Galaxy is reached)."""
    installed = Installed(tmp_path_factory.mktemp("user"))
    subprocess.run(["ansible-galaxy", "collection", "build", "--output-path", str(installed.work), str(REPO)],
                   capture_output=True, text=True, check=True)
    [tarball] = installed.work.glob("wsgi-stack-*.tar.gz")
    shipped = Path(next(iter(ansible_collections.__path__)))
    dependencies = [str(shipped.joinpath(*name.split("."))) for name in GALAXY["dependencies"]]
    result = subprocess.run(["ansible-galaxy", "collection", "install", "--offline", "-p", str(installed.collections),
                             str(tarball), *dependencies],
                            capture_output=True, text=True, check=False, env=installed.env(True))
    assert result.returncode == 0, result.stdout + result.stderr

    key = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "deploy_key"
    (installed.inventory / "group_vars").mkdir(parents=True)
    (installed.inventory / "host_vars").mkdir()
    shutil.copy(installed.root / "examples" / "inventory" / "group_vars" / "all.yml",
                installed.inventory / "group_vars" / "all.yml")
    shutil.copy(REPO / "molecule" / "release" / "host_vars" / f"{HOST}.yml", installed.inventory / "host_vars")
    connection = {
        "ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": HOST_VARS["test_ssh_port"],
        "ansible_user": "deploy", "ansible_ssh_private_key_file": str(key),
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes",
    }
    (installed.inventory / "hosts.yml").write_text(yaml.safe_dump(
        {"all": {"hosts": {HOST: connection}, "children": {"app": {"hosts": {HOST: None}},
                                                           "web": {"hosts": {HOST: None}}}}}))
    return installed


def summary(output):
    """The lines of the run's summary of the host."""
    match = re.search(r"^TASK \[Say what the host serves and runs\].*?\n(ok: .*?\n\}\n)", output,
                      re.MULTILINE | re.DOTALL)
    assert match, output
    return json.loads(match.group(1).split(" => ", 1)[1])["msg"]


def live_release(host):
    return Path(host.file("/srv/hello/current").linked_to).name


def gunicorn_version(host):
    return host.check_output("/srv/hello/gunicorn-*/bin/gunicorn --version").split()[-1].strip("()")


def test_the_install_holds_the_collection_and_only_its_dependencies(installed):
    holds = {f"{namespace.name}.{name.name}" for namespace in (installed.collections / "ansible_collections").iterdir()
             for name in namespace.iterdir()}
    assert holds == {"wsgi.stack", *GALAXY["dependencies"]}
    assert (installed.root / "MANIFEST.json").exists()


def test_a_dry_run_on_the_new_host_runs_to_the_end_and_changes_nothing(installed, host):
    result = installed.run("--check", "--diff")
    assert result.returncode == 0, result.stdout + result.stderr
    recap = recap_of(result.stdout, HOST)
    assert recap["failed"] == 0 and recap["changed"] > 0, result.stdout
    # What a run would do: the release and the venvs it would build, and the site's server block as a diff.
    assert re.search(r"A run would build release [0-9a-f]{12} of hello and put it live", result.stdout), result.stdout
    assert "A run would build /srv/hello/gunicorn-" in result.stdout, result.stdout
    serves, nginx, app = summary(result.stdout)
    assert serves == f"serves http://release.hello.test:{HOST_VARS['nginx_http_port']}/"
    assert re.fullmatch(r"nginx 1\.\d+\.\d+", nginx), nginx
    assert re.fullmatch(r"hello release [0-9a-f]{12}, a run would put it live, on gunicorn \S+ at \S+", app), app
    assert re.search(r"^\+\s+server_name release\.hello\.test;", result.stdout, re.MULTILINE), result.stdout
    assert not host.package("nginx").is_installed
    assert not host.file("/srv/hello").exists
    assert not host.file("/etc/systemd/system/gunicorn-hello.service").exists


def test_the_first_run_over_ssh_as_a_sudo_user_deploys_without_pipelining(installed, host, stack):
    result = installed.run(pipelining=False)
    assert result.returncode == 0, result.stdout + result.stderr
    page = stack.get()
    assert page.status == 200 and b"Hello from wsgi.stack" in page.body
    assert summary(result.stdout) == [
        f"serves http://release.hello.test:{HOST_VARS['nginx_http_port']}/",
        f"nginx {host.package('nginx').version.split('-')[0]}",
        f"hello release {live_release(host)}, new in this run, on gunicorn {gunicorn_version(host)} at "
        "unix:/run/hello/gunicorn.sock"]
    # The deploy command ran as the app user in its home, with its environment, and only its shell expanded it.
    record = host.file("/var/lib/hello/deployed-by")
    assert record.content_string == "hello shell Hello from wsgi.stack\n" and record.user == "hello"


def test_the_second_run_changes_nothing(installed, host):
    result = installed.run()
    assert result.returncode == 0, result.stdout + result.stderr
    assert recap_of(result.stdout, HOST)["changed"] == 0, result.stdout
    assert summary(result.stdout)[2].startswith(f"hello release {live_release(host)}, on gunicorn"), result.stdout


def test_a_new_release_builds_its_venv_as_the_build_user_with_pipelining(installed, host, stack, tmp_path):
    source = tmp_path / "app"
    shutil.copytree(installed.root / "examples" / "app", source)
    with (source / "requirements.txt").open("a") as requirements:
        requirements.write(f"# a new requirements file, {time.time_ns()}: a venv of its own, built as hello-build\n")
    before = host.file("/var/lib/hello/deployed-by").mtime
    live = live_release(host)
    # A dry run first, on a host that has releases to keep: it names the release a run would build.
    dry = installed.run("--check", "--diff", "-e", f"flask_app_source_path={source}")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert re.search(r"A run would build release [0-9a-f]{12} of hello", dry.stdout), dry.stdout
    assert live_release(host) == live
    result = installed.run("-e", f"flask_app_source_path={source}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^TASK \[wsgi\.stack\.python_venv : Install the requirements as the build user\] \**\n"
                     rf"changed: \[{HOST}\]", result.stdout, re.MULTILINE), result.stdout
    assert stack.get().status == 200
    assert host.file("/var/lib/hello/deployed-by").mtime > before
