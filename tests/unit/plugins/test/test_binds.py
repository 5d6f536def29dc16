"""The bind and address tests refuse every spelling of a wildcard address, host names and trailing junk."""
import pytest

from ansible_collections.wsgi.stack.plugins.test.ip_address import ip_address
from ansible_collections.wsgi.stack.plugins.test.listen_address import listen_address
from ansible_collections.wsgi.stack.plugins.test.wildcard_bind import wildcard_bind

SPECIFIC = ["unix:/run/hello/hello.sock", "unix:/run/hello.sock", "127.0.0.1:8001", "127.0.0.11:1", "[::1]:65535",
            "[fd00::5]:8001", "192.0.2.7:8001"]
WILDCARDS = ["0.0.0.0:8001", "[::]:8001", "[::0]:8001", "[0:0::0]:8001", "[::ffff:0:0]:8001",
             "[::ffff:0.0.0.0]:8001", ":8001", "*:8001"]
MALFORMED = ["localhost:8001", "app.example.com:8001", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1", "127.0.0.1:",
             "::1:8001", "127.0.0.1:8001\n", "127.0.0.1:8001 ", "unix:/run/hello.sock\n", "unix:/tmp/hello.sock",
             "unix:/run/../etc/x.sock", "unix:/run/a b.sock", "127.0.0.1:8001; }", "0127.0.0.1:8001", "", None, 8001]


@pytest.mark.parametrize("value", SPECIFIC)
def test_specific_binds_are_listen_addresses(value):
    assert listen_address(value)
    assert not wildcard_bind(value)


@pytest.mark.parametrize("value", WILDCARDS + MALFORMED)
def test_wildcards_and_malformed_binds_are_refused(value):
    assert not listen_address(value)


@pytest.mark.parametrize("value", WILDCARDS + ["127.0.0.1:9000,0.0.0.0:9090", " [::]:80"])
def test_wildcards_are_found_in_any_spelling(value):
    assert wildcard_bind(value)


@pytest.mark.parametrize("value", ["true", 1, True, "/var/log/hello/uwsgi.log", "hello:create_app()", "12:30"])
def test_other_values_are_not_wildcard_binds(value):
    assert not wildcard_bind(value)


def test_unix_sockets_can_be_refused():
    assert not listen_address("unix:/run/hello.sock", unix=False)
    assert listen_address("127.0.0.1:8001", unix=False)


@pytest.mark.parametrize("value", ["10.0.0.10", "127.0.0.10", "2001:db8::1", "::1"])
def test_an_address_is_an_address_and_a_network_too(value):
    assert ip_address(value) and ip_address(value, network=True)


@pytest.mark.parametrize("value", ["10.0.0.0/24", "2001:db8::/64", "10.0.0.10/32"])
def test_a_network_only_where_networks_are_asked_for(value):
    assert ip_address(value, network=True) and not ip_address(value)


@pytest.mark.parametrize("value", ["10.0.0.1/24", "web1.example.com", "[::1]", "fe80::1%eth0", " 10.0.0.1",
                                   "10.0.0.1\nIPAddressAllow=any", "10.0.0.256", "", 167772161, None, ["10.0.0.1"]])
def test_anything_else_is_neither(value):
    assert not ip_address(value) and not ip_address(value, network=True)
