"""What a release lets others see.

Runs after test_deploy.py: every host deploys a version of examples/notes whose source carries a `.env` and a `.git/`
directory, as a developer's checkout does.
"""

import pytest

from conftest import stack_of

from test_deploy import NOTES, deploy, notes_version

SECRET = "DATABASE_URL=postgresql://notes:s3cret@db/notes\n"


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
