"""The collection's tarball holds what a playbook uses, and nothing that needs a file the tarball leaves out."""
import re
import subprocess
import tarfile

import pytest
import yaml

from test_role_defaults import load
from test_tags import REPO

GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text())
# A name of the test bench's files, which the tarball leaves out.
LEFT_OUT_FILES = rb"(scripts|molecule)/[\w.-]+\.(sh|py)\b|\.config/molecule"


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    output = tmp_path_factory.mktemp("build")
    subprocess.run(["ansible-galaxy", "collection", "build", "--output-path", str(output), str(REPO)],
                   capture_output=True, text=True, check=True)
    [built] = output.glob("wsgi-stack-*.tar.gz")
    with tarfile.open(built) as archive:
        yield {member.name: archive.extractfile(member).read() if member.isfile() else None
               for member in archive.getmembers()}


def test_the_tarball_holds_the_roles_playbooks_and_plugins(tarball):
    roles = sorted(path.name for path in (REPO / "roles").iterdir())
    for role in roles:
        specs = load(REPO / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]
        # Each documented entry point's tasks: main, or an internal role's own (app_server has no main).
        entry_points = [f"tasks/{name}.yml" for name in specs]
        for part in (*entry_points, "defaults/main.yml", "meta/argument_specs.yml"):
            assert f"roles/{role}/{part}" in tarball
    for path in ("playbooks/site.yml", "playbooks/rollback.yml", "playbooks/vars/rolling.yml", "meta/runtime.yml",
                 "README.md", "LICENSES/MIT.txt", "LICENSES/GPL-3.0-or-later.txt", "MANIFEST.json",
                 "plugins/modules/nginx_config.py",
                 "examples/inventory/group_vars/all.yml", "CHANGELOG.md"):
        assert path in tarball, path


def test_the_tarball_leaves_out_the_test_bench_and_local_state(tarball):
    left_out = [name for name in tarball
                if name.split("/")[0] in (".venv", ".cache", ".ci", ".pytest_cache", "scripts", "molecule", "bench",
                                          "Makefile")
                or "__pycache__" in name or name.endswith((".pyc", ".tar.gz"))]
    assert left_out == []


def test_nothing_in_the_tarball_calls_the_scripts_it_leaves_out(tarball):
    # The changelog tells the project's history, scripts included; nothing else may name one.
    callers = [name for name, content in tarball.items()
               if content and not name.startswith("changelogs/") and re.search(LEFT_OUT_FILES, content)]
    assert callers == []
