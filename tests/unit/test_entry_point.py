"""The WSGI entry flask_app writes is the one both app servers load: the name is spelled in each one's own syntax."""
import re
from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
MODULE = yaml.safe_load((ROLES / "flask_app" / "vars" / "main.yml").read_text())["__flask_app_entry_module"]
LOADERS = {
    "gunicorn": (ROLES / "gunicorn/templates/etc/app/gunicorn.conf.py.j2", r'^wsgi_app = "([^"]+)"$'),
    "uwsgi": (ROLES / "uwsgi/templates/etc/app/uwsgi.ini.j2", r"^module = (\S+)$"),
}


def test_flask_app_writes_the_module_under_its_name_with_an_application():
    entry = ROLES / "flask_app" / "templates" / "srv" / "app" / f"{MODULE}.py.j2"
    assert re.search(r"^application = ", entry.read_text(), re.M)


@pytest.mark.parametrize("server", LOADERS)
def test_the_app_server_loads_flask_apps_entry(server):
    template, pattern = LOADERS[server]
    assert re.findall(pattern, template.read_text(), re.M) == [f"{MODULE}:application"]


def test_the_release_check_imports_the_same_entry():
    probe = (ROLES / "flask_app" / "files" / "wsgi_stack_probe.py").read_text()
    assert f"from {MODULE} import application" in probe
