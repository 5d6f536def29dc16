"""Every plugin's documentation parses as ansible-doc reads it, fragments included, and each module documents
exactly the options it takes."""
import importlib
import json
import subprocess
from pathlib import Path

import pytest
import yaml

PLUGINS = Path(__file__).resolve().parents[3] / "plugins"
KINDS = {"modules": "module", "lookup": "lookup", "test": "test", "filter": "filter"}


def names(kind):
    return sorted(f"wsgi.stack.{path.stem}" for path in (PLUGINS / kind).glob("*.py") if path.name != "__init__.py")


@pytest.fixture(scope="module")
def documented():
    """ansible-doc's reading of every plugin, one call per plugin type."""
    found = {}
    for kind, doc_type in KINDS.items():
        result = subprocess.run(["ansible-doc", "-t", doc_type, "--json", *names(kind)], capture_output=True,
                                text=True, check=True)
        found.update({name: (kind, entry) for name, entry in json.loads(result.stdout).items()})
    return found


def test_ansible_doc_reads_every_plugin(documented):
    assert sorted(documented) == sorted(name for kind in KINDS for name in names(kind))
    for name, (kind, entry) in documented.items():
        assert entry["doc"].get("short_description"), name
        if kind == "modules":
            assert yaml.safe_load(entry["examples"]) and entry["return"], name


@pytest.mark.parametrize("name", names("modules"))
def test_a_module_documents_exactly_the_options_it_takes(name, documented, monkeypatch):
    module = importlib.import_module(f"ansible_collections.wsgi.stack.plugins.modules.{name.split('.')[-1]}")
    taken = {}

    class Stop(Exception):
        pass

    def capture(self, argument_spec, **kwargs):
        taken.update(argument_spec)
        raise Stop

    monkeypatch.setattr(module.AnsibleModule, "__init__", capture)
    with pytest.raises(Stop):
        module.main()
    assert sorted(documented[name][1]["doc"]["options"]) == sorted(taken)
