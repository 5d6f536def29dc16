"""The path tests take only normalised absolute paths and find system directories however they are written."""
import pytest

from ansible_collections.wsgi.stack.plugins.test.clean_path import clean_path
from ansible_collections.wsgi.stack.plugins.test.system_path import system_path

APP_PATHS = ["/srv/hello", "/srv/hello/current/code/static", "/var/www/hello/static", "/opt/hello",
             "/home/hello/app/static", "/data/hello"]
SYSTEM = ["/", "/etc", "/etc/nginx", "/root", "/home", "/home/alice", "/srv", "/var", "/var/lib", "/var/lib/hello",
          "/var/log/nginx", "/usr/share", "/proc/self", "/run", "/tmp", "/opt", "/var/www"]
UNCLEAN = ["//", "///etc", "/srv//hello", "/srv/hello/", "/srv/./hello", "/srv/hello/..", "/srv/../etc", "srv/hello",
           "", "/srv/hello\n", "/srv/hello;", "/srv/hel lo", "/srv/'hello'", None, 7]


@pytest.mark.parametrize("value", APP_PATHS + SYSTEM)
def test_normal_paths_are_clean(value):
    assert clean_path(value)


@pytest.mark.parametrize("value", UNCLEAN)
def test_unnormalised_or_unsafe_paths_are_not_clean(value):
    assert not clean_path(value)


@pytest.mark.parametrize("value", SYSTEM + UNCLEAN)
def test_system_directories_and_unclean_paths_are_system_paths(value):
    assert system_path(value)


@pytest.mark.parametrize("value", APP_PATHS)
def test_app_directories_are_not_system_paths(value):
    assert not system_path(value)
