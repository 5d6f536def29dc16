"""Every tag of the roles this scenario applies runs alone on a converged host, in check mode, and changes nothing."""
import pytest
import yaml

from conftest import REPO, assert_tag_runs_alone, run_sites, scenario_app_server


def tags_of(role):
    tags = set()
    for task in yaml.safe_load((REPO / "roles" / role / "tasks" / "main.yml").read_text()):
        tags.update(task.get("tags", []))
    return tags


# python_venv's tasks run under the tag of the role that builds the venv (flask_app_release, ..._install).
TAGS = sorted(set().union(*(tags_of(role) for role in ("flask_app", scenario_app_server(), "nginx"))))


@pytest.fixture(scope="module")
def tag_runs(first_app_host):
    name = first_app_host.ansible.get_variables()["inventory_hostname"]
    return name, dict(zip(TAGS, run_sites([["--check", "--limit", name, "--tags", tag] for tag in TAGS])))


@pytest.mark.parametrize("tag", TAGS)
def test_a_tag_runs_alone_and_changes_nothing(tag_runs, check_mode_recap, tag):
    name, runs = tag_runs
    assert_tag_runs_alone(*runs[tag], name, tag, check_mode_recap[1].stdout)
