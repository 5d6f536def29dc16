"""Each role's defaults/main.yml and meta/argument_specs.yml name the same variables with the same defaults."""
from pathlib import Path

import pytest
import yaml

ROLES = sorted(path for path in (Path(__file__).resolve().parents[2] / "roles").iterdir() if path.is_dir())


class SpecLoader(yaml.SafeLoader):
    """Reads argument specs as Ansible does, where `!unsafe` marks a default shown as written, never templated."""


SpecLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def load(path):
    return yaml.load(path.read_text(), Loader=SpecLoader) or {}


def options_of(role):
    """The options of main, or of the first entry point where a role has none (an internal one)."""
    specs = load(role / "meta" / "argument_specs.yml")["argument_specs"]
    return specs["main" if "main" in specs else next(iter(specs))]["options"]


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.name)
def test_defaults_match_argument_specs(role):
    defaults = load(role / "defaults" / "main.yml")
    options = options_of(role)
    documented = {name: spec["default"] for name, spec in options.items() if "default" in spec}
    required = {name for name, spec in options.items() if spec.get("required")}
    assert documented == defaults
    assert not required & set(defaults), "a required variable must not have a default"


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.name)
def test_variables_carry_the_role_prefix(role):
    options = options_of(role)
    assert [name for name in options if not name.startswith(f"{role.name}_")] == []


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.name)
def test_every_option_is_described(role):
    options = options_of(role)
    assert [name for name, spec in options.items() if not spec.get("description")] == []
