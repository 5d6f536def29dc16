"""The sandbox filter gives every app server the same confinement, writable only where it is told."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wsgi.stack.plugins.filter.systemd_sandbox import systemd_sandbox


def directives(lines):
    return [line for line in lines if not line.startswith("#")]


def test_the_data_directory_is_the_only_writable_path_given():
    lines = directives(systemd_sandbox(["/var/lib/hello"]))
    assert [line for line in lines if line.startswith("ReadWritePaths=")] == ["ReadWritePaths=/var/lib/hello"]
    assert "ProtectSystem=strict" in lines and "CapabilityBoundingSet=" in lines


def test_every_path_given_is_writable_in_the_order_given():
    assert systemd_sandbox(["/var/lib/hello", "/var/log/hello"])[-1] == "ReadWritePaths=/var/lib/hello /var/log/hello"


@pytest.mark.parametrize("allow", [False, "false", "no"])
def test_writable_executable_memory_is_denied_unless_the_app_needs_it(allow):
    assert "MemoryDenyWriteExecute=true" in systemd_sandbox(["/var/lib/hello"])
    assert "MemoryDenyWriteExecute=true" not in systemd_sandbox(["/var/lib/hello"], allow)


def test_each_line_is_a_directive_or_a_comment():
    for line in systemd_sandbox(["/var/lib/hello"]):
        assert line.startswith("# ") or ("=" in line and line.split("=", maxsplit=1)[0].isalpha()), line


def test_no_directive_is_set_twice_but_the_system_call_filter():
    keys = [line.split("=", maxsplit=1)[0] for line in directives(systemd_sandbox(["/var/lib/hello"]))]
    assert keys.count("SystemCallFilter") == 2
    assert len(set(keys)) == len(keys) - 1


@pytest.mark.parametrize("paths", [[], "/var/lib/hello", ["var/lib/hello"], ["/var/lib/hello x"],
                                   ["/var/lib/hello\nUser=root"], ["/var/lib/%h"], [None]])
def test_anything_but_a_list_of_absolute_paths_is_refused(paths):
    with pytest.raises(AnsibleFilterError):
        systemd_sandbox(paths)


def test_a_switch_that_is_not_a_boolean_is_refused():
    with pytest.raises(AnsibleFilterError):
        systemd_sandbox(["/var/lib/hello"], "maybe")
