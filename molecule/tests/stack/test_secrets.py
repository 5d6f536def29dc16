"""Secrets in flask_app_env reach the app's environment file and never Ansible's output, not even in a diff."""
import json
import re

from conftest import run_site


def test_changed_secret_is_not_printed(first_app_host):
    variables = first_app_host.ansible.get_variables()
    env_file = first_app_host.file(f"/etc/{variables['flask_app_name']}/env")
    old_secret = variables["flask_app_env"]["HELLO_SECRET_KEY"]
    new_secret = "rotated-secret-7a3b0e91"
    assert f'HELLO_SECRET_KEY="{old_secret}"' in env_file.content_string

    rotated = {"flask_app_env": {**variables["flask_app_env"], "HELLO_SECRET_KEY": new_secret}}
    result = run_site(
        "--check", "--diff", "-vvv", "--limit", variables["inventory_hostname"], "-e", json.dumps(rotated)
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # The environment file's own task reports the change: the secret did reach the task that hides it.
    assert re.search(r"^TASK \[wsgi\.stack\.flask_app : Write the app's environment file\][^\n]*\n(?:(?!TASK \[).*\n)*?changed: ",
                     output, re.MULTILINE), "the rotated secret should change the environment file"
    assert old_secret not in output
    assert new_secret not in output
