"""The upstream's servers come from each app host's own variables, templated as that host sees them."""
import pytest
from ansible.errors import AnsibleFilterError
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

from ansible_collections.wsgi.stack.plugins.filter.upstream_members import upstream_members

DEFAULTS = {"address": None, "server": "gunicorn", "uwsgi_protocol": "uwsgi", "weight": 1, "backup": False, "max_fails": 1,
            "fail_timeout": 10}
SERVER = {"server": "gunicorn", "uwsgi_protocol": "uwsgi"}

INVENTORY = """
all:
  children:
    web:
      hosts:
        lb1:
    app:
      hosts:
        app1: {ansible_host: 127.0.0.11, nginx_upstream_weight: 3}
        app2: {ansible_host: 127.0.0.12, nginx_upstream_backup: true, nginx_upstream_max_fails: 0, flask_app_server: uwsgi}
        app3: {flask_app_listen: "unix:/run/hello/app.sock"}
      vars:
        flask_app_listen: "{{ ansible_host }}:8000"
    elsewhere:
      hosts:
        app4: {}
"""


@pytest.fixture(scope="module")
def hostvars(tmp_path_factory):
    path = tmp_path_factory.mktemp("inventory") / "hosts.yml"
    path.write_text(INVENTORY)
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[str(path)])
    return HostVars(inventory, VariableManager(loader=loader, inventory=inventory), loader)


def test_each_host_brings_its_address_templated_in_its_own_context_and_its_settings(hostvars):
    members = upstream_members(["app1", "app2"], hostvars, DEFAULTS)
    assert members == [
        {"host": "app1", "address": "127.0.0.11:8000", **SERVER, "weight": 3, "backup": False, "max_fails": 1,
         "fail_timeout": 10},
        {"host": "app2", "address": "127.0.0.12:8000", **SERVER, "server": "uwsgi", "weight": 1, "backup": True,
         "max_fails": 0, "fail_timeout": 10},
    ]


def test_a_host_without_an_address_of_its_own_takes_the_default_one(hostvars):
    assert upstream_members(["app4"], hostvars, DEFAULTS)[0]["address"] is None
    assert upstream_members(["app4"], hostvars, {**DEFAULTS, "address": "unix:/run/x.sock"})[0]["address"] == "unix:/run/x.sock"


def test_the_order_is_the_one_given(hostvars):
    assert [member["host"] for member in upstream_members(["app3", "app1"], hostvars, DEFAULTS)] == ["app3", "app1"]
    assert upstream_members(["app3"], hostvars, DEFAULTS)[0]["address"] == "unix:/run/hello/app.sock"


@pytest.mark.parametrize(("hosts", "defaults", "message"), [
    ("app1", DEFAULTS, "list of inventory host names"),
    (["app1", "nowhere"], DEFAULTS, "not in the inventory: nowhere"),
    (["app1"], {"weight": 1}, "needs defaults for address, backup, fail_timeout, max_fails, server, uwsgi_protocol"),
])
def test_bad_input_is_refused_with_its_cause(hostvars, hosts, defaults, message):
    with pytest.raises(AnsibleFilterError, match=message):
        upstream_members(hosts, hostvars, defaults)
