"""Each role's README.md is what its meta/argument_specs.yml renders, and ansible-doc shows every variable of main
(or of the first entry point, where an internal role has no main)."""
import importlib.util
import json
import os
import shutil
import subprocess

import pytest
import yaml

from test_tags import REPO

SCRIPT = importlib.util.spec_from_file_location("role_docs", REPO / "scripts" / "role_docs.py")
role_docs = importlib.util.module_from_spec(SCRIPT)
SCRIPT.loader.exec_module(role_docs)

ROLES = role_docs.roles(REPO)
GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text())


def test_every_role_is_documented():
    assert sorted(role.name for role in ROLES) == sorted(path.name for path in (REPO / "roles").iterdir())


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.name)
def test_the_readme_is_what_the_argument_specs_render(role):
    readme = role / "README.md"
    assert readme.is_file(), f"roles/{role.name}/README.md is missing: run make docs"
    assert readme.read_text(encoding="utf-8") == role_docs.render(role), \
        f"roles/{role.name}/README.md is out of date with its meta/argument_specs.yml: run make docs"


def test_check_names_the_readmes_that_are_out_of_date(tmp_path):
    shutil.copy(REPO / "galaxy.yml", tmp_path)
    for role in ROLES[:2]:
        shutil.copytree(role / "meta", tmp_path / "roles" / role.name / "meta")
    fresh, stale = (tmp_path / "roles" / role.name / "README.md" for role in ROLES[:2])
    fresh.write_text(role_docs.render(fresh.parent))
    stale.write_text(role_docs.render(stale.parent).replace("| Variable |", "| Name |"))
    assert list(role_docs.out_of_date(tmp_path)) == [stale]
    stale.unlink()
    assert list(role_docs.out_of_date(tmp_path)) == [stale]


def ansible_doc(role):
    """What `ansible-doc -t role -j` prints of a role of the collection, found through ANSIBLE_COLLECTIONS_PATH."""
    env = dict(os.environ)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(REPO / ".cache" / "collections"))
    fqcn = f"{GALAXY['namespace']}.{GALAXY['name']}.{role.name}"
    run = subprocess.run(["ansible-doc", "-t", "role", "-j", fqcn], capture_output=True, text=True, env=env,
                         check=False)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)[fqcn]


def check_options(documented, specified, where):
    """Every specified option is documented with its type, elements, choices and a description, nested ones too."""
    assert sorted(documented) == sorted(specified), where
    for name, spec in specified.items():
        shown = documented[name]
        assert shown.get("type") and shown["type"] == spec.get("type"), f"{where}{name} shows no type, or another"
        assert shown.get("elements") == spec.get("elements"), f"{where}{name}"
        assert shown.get("choices") == spec.get("choices"), f"{where}{name}"
        assert shown.get("description"), f"{where}{name} shows no description"
        if spec.get("options"):
            check_options(shown.get("options") or {}, spec["options"], f"{where}{name}.")


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.name)
def test_ansible_doc_shows_every_variable_of_main_with_its_default(role):
    doc = ansible_doc(role)
    assert os.path.realpath(doc["path"]) == str(REPO.resolve()), "ansible-doc read another copy of the collection"
    specs = role_docs.load(role / "meta" / "argument_specs.yml")["argument_specs"]
    main = doc["entry_points"][role_docs.lead(specs)]
    specified = specs[role_docs.lead(specs)]
    assert main["short_description"] == specified["short_description"]
    check_options(main["options"], specified["options"], "")
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
    shown = {name: option["default"] for name, option in main["options"].items() if "default" in option}
    assert shown == {name: defaults[name] for name, spec in specified["options"].items() if "default" in spec}
