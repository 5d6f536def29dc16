"""What a release lets others see, and a venv outliving its interpreter.

Runs after test_deploy.py: every host deploys a version of examples/notes whose source carries a `.env` and a `.git/`
directory, as a developer's checkout does; then the first host finds its venv made by another Python and rebuilds it.
"""
import json
import re

import pytest

from conftest import app_host_names, inventory_host, run_site, stack_of

from test_deploy import NOTES, deploy, live_release, notes_version

SECRET = "DATABASE_URL=postgresql://notes:s3cret@db/notes\n"


def recap(result, name):
    """The PLAY RECAP counters of one host."""
    match = re.search(rf"^{re.escape(name)}\s+:\s+(ok=.*)$", result.stdout, re.MULTILINE)
    assert match, result.stdout + result.stderr
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1))}


@pytest.fixture(scope="session")
def private_source(tmp_path_factory):
    """Version "private" of notes, in a source with a dotenv file and a git directory in it."""
    source = notes_version(tmp_path_factory.mktemp("private") / "notes", "private")
    (source / ".env").write_text(SECRET)
    (source / ".env.local").write_text(SECRET)
    (source / ".git").mkdir()
    (source / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (source / ".git" / "config").write_text('[remote "origin"]\n\turl = https://notes:token@git.example.com/notes\n')
    return source


@pytest.fixture(scope="session")
def private_release(private_source):
    """Every host deploys version "private"."""
    return deploy(private_source)


@pytest.fixture
def name(host):
    return host.ansible.get_variables()["inventory_hostname"]


def test_dotenv_and_vcs_files_stay_on_the_controller(host, private_release):
    assert private_release.returncode == 0, private_release.stdout + private_release.stderr
    assert stack_of(host).get("version").json()["version"] == "private"
    code = "/srv/notes/current/code"
    assert host.file(f"{code}/notes/__init__.py").is_file
    for path in (".env", ".env.local", ".git"):
        assert not host.file(f"{code}/{path}").exists, path
    assert host.run(f"grep -rl s3cret {code}/ /srv/notes/current/venv/").stdout == ""


def test_code_is_readable_by_the_app_group_only_and_static_files_by_nginx(host, private_release):
    assert private_release.returncode == 0, private_release.stdout + private_release.stderr
    module = "/srv/notes/current/code/notes/__init__.py"
    installed = host.check_output("ls /srv/notes/current/venv/lib/python3*/site-packages/notes/__init__.py")
    for path in (module, installed, "/srv/notes/current/wsgi_stack_entry.py"):
        other = host.run(f"runuser -u nobody -- cat {path}")
        assert other.rc != 0 and "Permission denied" in other.stderr, (path, other.stdout, other.stderr)
        assert host.run(f"runuser -u notes -- cat {path}").rc == 0, path
    # Any file another user may read, outside the static folder, build leftovers of the install included.
    readable = host.check_output("find /srv/notes/current/code/ /srv/notes/current/venv/ -type f"
                                 " -not -path '*/notes/static/*' -exec runuser -u nobody -- test -r {} ';' -print")
    assert readable == "", readable
    listing = host.run("runuser -u nobody -- ls /srv/notes/current/code")
    assert listing.rc != 0 and "Permission denied" in listing.stderr, listing.stderr
    css = stack_of(host).get("static/style.css")
    assert css.status == 200 and css.body == (NOTES / "notes" / "static" / "style.css").read_bytes()


@pytest.fixture(scope="session")
def venv_of_another_python(private_source, private_release):
    """The first host's venvs, the release's and the app server's, say they were made by Python 3.1 (as after a
    distribution upgrade); the site runs twice."""
    assert private_release.returncode == 0, private_release.stdout + private_release.stderr
    first = app_host_names()[0]
    host = inventory_host(first)
    cfg = "/srv/notes/current/venv/pyvenv.cfg"
    server_cfg = f"/srv/notes/{host.ansible.get_variables().get('flask_app_server', 'gunicorn')}/pyvenv.cfg"
    host.check_output(f"sed -i 's/^version *=.*/version = 3.1.0/' {cfg} {server_cfg}")
    assert "version = 3.1.0" in host.file(cfg).content_string
    assert "version = 3.1.0" in host.file(server_cfg).content_string
    release = live_release(host)
    same_source = ["--limit", first, "-e", json.dumps({"flask_app_source_path": str(private_source)})]
    rebuilt = run_site(*same_source)
    return {
        "rebuilt": rebuilt,
        "releases": (release, live_release(host)),
        "cfg": host.file(cfg).content_string,
        "server_cfg": host.file(server_cfg).content_string,
        "python": host.check_output("python3 -c 'import sys; print(\"%d.%d\" % sys.version_info[:2])'"),
        "version": stack_of(host).get("version"),
        "again": run_site(*same_source),
    }


def test_venv_made_by_another_python_is_rebuilt(name, venv_of_another_python):
    if name != app_host_names()[0]:
        pytest.skip("simulated on the first host only")
    result = venv_of_another_python
    assert result["rebuilt"].returncode == 0, result["rebuilt"].stdout + result["rebuilt"].stderr
    assert recap(result["rebuilt"], name)["changed"] > 0
    assert result["releases"][0] == result["releases"][1], "the same release must stay live, with its venv rebuilt"
    for cfg in (result["cfg"], result["server_cfg"]):
        assert re.search(rf"^version *= *{re.escape(result['python'])}\.\d+$", cfg, re.MULTILINE), cfg
    assert result["version"].status == 200 and result["version"].json()["version"] == "private"
    assert result["again"].returncode == 0, result["again"].stdout + result["again"].stderr
    assert recap(result["again"], name)["changed"] == 0, result["again"].stdout
