"""pip and the packages' build scripts run as an unprivileged build user; root then owns what they built."""
import shutil

import pytest

from conftest import REPO, converge, main_pid, stack_of

# Written by the project's setup.py while pip builds it: the user the build scripts ran as.
RECORDING_SETUP = """\
import getpass
import pathlib

from setuptools import setup

pathlib.Path("hello/built_by.txt").write_text(getpass.getuser())
setup(name="hello", version="1.0", packages=["hello"], package_data={"hello": ["built_by.txt", "templates/*", "static/*"]})
"""


@pytest.fixture(scope="module")
def recording_app(tmp_path_factory):
    """The example app as a project whose build script records who ran it."""
    copy = tmp_path_factory.mktemp("recording") / "app"
    shutil.copytree(REPO / "examples" / "app", copy)
    (copy / "setup.py").write_text(RECORDING_SETUP)
    return copy


def venv_of_release(host, name):
    return host.check_output(f"readlink -f /srv/{name}/current/venv")


def not_locked(host, path):
    """What in a venv another user than root owns, or others may use."""
    return host.check_output(f"find {path} ! -type l \\( ! -user root -o -perm /o=rwx \\) -print")


def test_the_build_scripts_run_as_the_build_user(host_restored, recording_app):
    host = host_restored
    stack = stack_of(host)
    converge(host, flask_app_source_path=str(recording_app), flask_app_install="both")
    venv = venv_of_release(host, stack.name)
    recorded = host.check_output(f"cat {venv}/lib/python3*/site-packages/hello/built_by.txt")
    assert recorded == f"{stack.name}-build"
    # The release's code stays as it was shipped: the build wrote into a copy.
    assert not host.file(f"/srv/{stack.name}/current/code/hello/built_by.txt").exists
    assert host.check_output(f"find /srv/{stack.name}/current/code -name '*.egg-info'") == ""
    assert not_locked(host, venv) == ""
    assert host.check_output(f"stat -c %G {venv}") == stack.name
    build_user = host.user(f"{stack.name}-build")
    assert build_user.shell == "/usr/sbin/nologin"
    assert build_user.home == f"/var/cache/wsgi-stack/{stack.name}-build"
    # Its home, which holds its pip cache, is its own.
    assert host.file(build_user.home).user == build_user.name
    assert host.file(build_user.home).mode == 0o700
    assert stack.get().status == 200


def test_an_upgrade_builds_beside_the_link_and_replaces_an_old_venv(host_restored):
    """A new gunicorn is built beside the link, which then moves; a venv left at the link's path by earlier versions
    of the role is replaced, and a changed interpreter (as after a distribution upgrade) rebuilds the app's venv."""
    host = host_restored
    stack = stack_of(host)
    if stack.server != "gunicorn":
        pytest.skip("gunicorn's venv stands for both app servers': one role builds them")
    root = f"/srv/{stack.name}"
    current = host.check_output(f"readlink {root}/gunicorn")
    # An earlier layout: the venv itself where the link now is.
    host.check_output(f"rm {root}/gunicorn && cp -a {current} {root}/gunicorn")
    app_venv = venv_of_release(host, stack.name)
    host.check_output(f"sed -i 's/^version *=.*/version = 3.9.0/' {app_venv}/pyvenv.cfg")
    before = main_pid(host, f"gunicorn-{stack.name}")

    converge(host, gunicorn_version="23.0.0")
    assert host.file(f"{root}/gunicorn").is_symlink
    assert host.check_output(f"readlink {root}/gunicorn") == f"{root}/gunicorn-23.0.0"
    assert host.check_output(f"ls -d {root}/gunicorn-*") == f"{root}/gunicorn-23.0.0"
    assert "23.0.0" in host.check_output(f"{root}/gunicorn/bin/gunicorn --version")
    assert not_locked(host, f"{root}/gunicorn-23.0.0/") == ""
    assert main_pid(host, f"gunicorn-{stack.name}") != before, "gunicorn must restart on its new venv"
    python = host.check_output(f"{app_venv}/bin/python -c 'import sys; print(\"%d.%d\" % sys.version_info[:2])'")
    assert host.check_output(f"sed -n 's/^version *= *//p' {app_venv}/pyvenv.cfg").startswith(python + ".")
    assert stack.get().status == 200
