"""Every tag of the roles this scenario applies runs alone on a converged host, in check mode, and changes nothing."""
import pytest

from conftest import REPO, assert_tag_runs_alone, contents_tasks, run_sites, scenario_app_server


def tags_of(role):
    return {tag for task in contents_tasks(REPO / "roles" / role / "tasks") for tag in task["tags"]} - {"always"}


APP_SERVERS = ("gunicorn", "uwsgi")
# python_venv's tasks run under the tag of the role that builds the venv (flask_app_release, ..._install).
TAGS = sorted(set().union(*(tags_of(role) for role in ("flask_app", *APP_SERVERS, "nginx"))))


def applied(tag):
    """Whether the scenario's hosts apply the tag's role: each scenario runs one app server."""
    return not tag.startswith(APP_SERVERS) or tag.startswith(scenario_app_server())


@pytest.fixture(scope="module")
def tag_runs(first_app_host):
    name = first_app_host.ansible.get_variables()["inventory_hostname"]
    tags = [tag for tag in TAGS if applied(tag)]
    return name, dict(zip(tags, run_sites([["--check", "--limit", name, "--tags", tag] for tag in tags])))


@pytest.mark.parametrize("tag", TAGS)
def test_a_tag_runs_alone_and_changes_nothing(tag_runs, check_mode_recap, tag):
    name, runs = tag_runs
    if tag not in runs:
        pytest.skip("the other app server's scenarios run this tag")
    assert_tag_runs_alone(*runs[tag], name, tag, check_mode_recap[1].stdout)
