"""The README's table of tags lists every tag the roles' tasks carry, and no other."""
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def task_file_tags(path):
    """Tags of a task file's tasks, of what their includes apply, and of the task files it imports."""
    tags = set()
    for task in yaml.safe_load(path.read_text()):
        tags.update(task.get("tags", []))
        for include in ("ansible.builtin.include_tasks", "ansible.builtin.include_role"):
            if isinstance(task.get(include), dict):
                tags.update(task[include].get("apply", {}).get("tags", []))
        if "ansible.builtin.import_tasks" in task:
            tags.update(task_file_tags(path.parent / task["ansible.builtin.import_tasks"]))
    return tags


def role_tags():
    """Tags of each role's tasks, from its tasks/main.yml down."""
    tags = set().union(*(task_file_tags(main) for main in (REPO / "roles").glob("*/tasks/main.yml")))
    return tags - {"always"}  # Ansible's own


def readme_tags():
    section = REPO.joinpath("README.md").read_text().split("\n## Tags\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {tag for row in rows for tag in re.findall(r"`([a-z_]+)`", row.split("|")[1])}


def test_the_readme_lists_every_tag_of_the_roles():
    assert role_tags(), "no tag found in the roles"
    assert readme_tags() == role_tags()
