"""The changelog: antsibull-changelog's lint passes, CHANGELOG.md is what changelogs/changelog.yaml renders, and
galaxy.yml's version is never older than the newest release."""
import shutil
import subprocess

import semantic_version
import yaml

from test_tags import REPO


def antsibull_changelog(*args, cwd):
    return subprocess.run(["antsibull-changelog", *args], cwd=cwd, capture_output=True, text=True, check=False)


def test_the_fragments_and_changelog_yaml_pass_the_lint():
    for args in (["lint"], ["lint-changelog-yaml", "--strict", "changelogs/changelog.yaml"]):
        result = antsibull_changelog(*args, cwd=REPO)
        assert (result.returncode, result.stdout + result.stderr) == (0, ""), args


def test_changelog_md_is_up_to_date(tmp_path):
    # generate renders the releases of changelog.yaml, not the fragments still to release.
    shutil.copytree(REPO / "changelogs", tmp_path / "changelogs",
                    ignore=shutil.ignore_patterns(".plugin-cache.yaml", "fragments"))
    shutil.copy(REPO / "galaxy.yml", tmp_path)
    result = antsibull_changelog("generate", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    rendered = (tmp_path / "CHANGELOG.md").read_text()
    assert (REPO / "CHANGELOG.md").read_text() == rendered, "run antsibull-changelog generate"


def test_galaxy_yml_is_not_older_than_the_newest_release():
    releases = yaml.safe_load((REPO / "changelogs" / "changelog.yaml").read_text())["releases"]
    assert releases, "changelogs/changelog.yaml records no release"
    newest = max(semantic_version.Version(str(release)) for release in releases)
    version = semantic_version.Version(str(yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]))
    assert version >= newest, f"galaxy.yml's version {version} is older than the newest release, {newest}"
