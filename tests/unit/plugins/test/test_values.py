"""The value tests let through what the roles write into configuration as it is, and nothing else."""
import pytest

from ansible_collections.wsgi.stack.plugins.test.dotted_version import dotted_version
from ansible_collections.wsgi.stack.plugins.test.interpreter import interpreter
from ansible_collections.wsgi.stack.plugins.test.nginx_duration import nginx_duration
from ansible_collections.wsgi.stack.plugins.test.nginx_size import nginx_size
from ansible_collections.wsgi.stack.plugins.test.octal_mode import octal_mode
from ansible_collections.wsgi.stack.plugins.test.whole_number import whole_number

INJECTIONS = ["1; touch x", "1\n", " 1", "1 ", "1}", "1#", "", None, [1], {"a": 1}]


@pytest.mark.parametrize(("value", "minimum", "expected"), [
    (0, 0, True), (8, 1, True), ("8", 1, True), ("0", 1, False), (0, 1, False), ("65535", 0, True),
    (True, 0, False), (1.5, 0, False), ("1.5", 0, False), ("-1", 0, False), (-1, 0, False), ("+1", 0, False),
    ("٣", 0, False),
])
def test_whole_numbers(value, minimum, expected):
    assert whole_number(value, minimum) is expected


@pytest.mark.parametrize("value", ["27.0.1", "2.0.28", "3"])
def test_dotted_versions(value):
    assert dotted_version(value)


@pytest.mark.parametrize("value", ["27..1", ".1", "1.", "1.0rc1", ">=1", "1.0,<2", 27, *INJECTIONS])
def test_not_dotted_versions(value):
    assert not dotted_version(value)


@pytest.mark.parametrize("value", ["python3", "python3.12", "/usr/bin/python3", "/opt/py-3.12/bin/python3"])
def test_interpreters(value):
    assert interpreter(value)


@pytest.mark.parametrize("value", ["-c", "--version", "python3 -I", "python3; touch x", "$(id)", "py\nthon",
                                   "~/py", *INJECTIONS])
def test_not_interpreters(value):
    assert not interpreter(value)


@pytest.mark.parametrize("value", ["0660", "0600", "0777"])
def test_octal_modes(value):
    assert octal_mode(value)


@pytest.mark.parametrize("value", ["660", "0680", "00660", "0o660", 432, 660, "0660\n", "u+rw", *INJECTIONS])
def test_not_octal_modes(value):
    assert not octal_mode(value)


@pytest.mark.parametrize(("value", "units"), [("10m", "kmg"), ("1G", "kmg"), ("512k", "kmg"), ("4096", "kmg"),
                                              (4096, "kmg"), ("10M", "km")])
def test_nginx_sizes(value, units):
    assert nginx_size(value, units)


@pytest.mark.parametrize(("value", "units"), [("1g", "km"), ("10mb", "kmg"), ("1.5m", "kmg"), ("-1m", "kmg"),
                                              (True, "kmg"), *[(value, "kmg") for value in INJECTIONS]])
def test_not_nginx_sizes(value, units):
    assert not nginx_size(value, units)


@pytest.mark.parametrize("value", ["10m", "1h", "500ms", "30", 30, "2M", "1y"])
def test_nginx_durations(value):
    assert nginx_duration(value)


@pytest.mark.parametrize("value", ["1h30m", "10 m", "1.5h", "10min", "-1s", True, *INJECTIONS])
def test_not_nginx_durations(value):
    assert not nginx_duration(value)


@pytest.mark.parametrize(("value", "expected"), [(1, True), ("65535", True), (0, False), (65536, False),
                                                 ("65536", False)])
def test_whole_numbers_within_a_maximum(value, expected):
    assert whole_number(value, 1, 65535) is expected
