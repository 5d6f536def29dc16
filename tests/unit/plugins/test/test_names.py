"""The name tests take app, user and group names that are safe in paths, units and configuration, and nothing else."""
import pytest

from ansible_collections.wsgi.stack.plugins.test.account_name import account_name
from ansible_collections.wsgi.stack.plugins.test.app_name import app_name

APP_NAMES = ["hello", "shop-api", "a", "app_2", "a" * 32]
ACCOUNTS_ONLY = ["_apt", "_hello"]
NEITHER = ["", "Hello", "hello world", "hello\n", "hello;", "hello/x", "../etc", "a" * 33, "-hello", "2hello",
           "héllo", "hello\nUser=root", None, 7, ["hello"]]


@pytest.mark.parametrize("value", APP_NAMES)
def test_app_names_are_account_names_too(value):
    assert app_name(value)
    assert account_name(value)


@pytest.mark.parametrize("value", ACCOUNTS_ONLY)
def test_only_accounts_may_start_with_an_underscore(value):
    assert account_name(value)
    assert not app_name(value)


@pytest.mark.parametrize("value", NEITHER)
def test_anything_else_is_neither(value):
    assert not app_name(value)
    assert not account_name(value)
