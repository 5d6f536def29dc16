"""A balancer marks down the hosts taken out and those it does not serve yet, unless none would be left."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wsgi.stack.plugins.filter.upstream_down import upstream_down

MEMBERS = [{"host": "app1", "address": "127.0.0.11:8000"}, {"host": "app2", "address": "127.0.0.12:8000"},
           {"host": "app3", "address": "127.0.0.1:8000", "backup": True}]
CURRENT = """upstream hello_app {
    zone hello_app 64k;
    # app1
    server 127.0.0.11:8000 weight=1 max_fails=1 fail_timeout=10s;
    server 127.0.0.12:8000 weight=1 max_fails=1 fail_timeout=10s down;
    server 127.0.0.1:8000 weight=1 max_fails=1 fail_timeout=10s backup;
}
"""


@pytest.mark.parametrize(("out", "down"), [
    ([], []),
    (["app1"], ["app1"]),
    (["app2", "app1"], ["app1", "app2"]),
    (["elsewhere"], []),
])
def test_the_hosts_taken_out_go_down_in_the_upstreams_order(out, down):
    assert upstream_down(MEMBERS, out, CURRENT) == down


def test_a_host_the_configuration_does_not_hold_yet_stays_down_until_its_web_host_adds_it():
    # 127.0.0.1:8000 is a prefix of neither address above, and neither is a prefix of it.
    without_app2 = CURRENT.replace("    server 127.0.0.12:8000 weight=1 max_fails=1 fail_timeout=10s down;\n", "")
    assert upstream_down(MEMBERS, [], without_app2) == ["app2"]
    assert upstream_down(MEMBERS, ["app1"], without_app2) == ["app1", "app2"]


def test_nothing_is_marked_when_no_server_would_be_left_backups_included():
    assert upstream_down(MEMBERS, ["app1", "app2", "app3"], CURRENT) is None
    assert upstream_down(MEMBERS[:2], ["app1"], CURRENT.replace("127.0.0.12", "127.0.0.99")) is None


def test_servers_written_by_hand_are_never_taken_out():
    by_hand = [{"host": "", "address": "127.0.0.11:8000"}, {"host": "", "address": "127.0.0.12:8000"}]
    assert upstream_down(by_hand, ["app1"], CURRENT) == []


@pytest.mark.parametrize(("out", "current"), [("app1", CURRENT), ([1], CURRENT), ([], None)])
def test_bad_input_is_refused(out, current):
    with pytest.raises(AnsibleFilterError):
        upstream_down(MEMBERS, out, current)
