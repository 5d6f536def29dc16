"""Bad settings are refused before any host changes, with a message that names the variable."""
import json
import os
import subprocess

import pytest

from conftest import REPO, molecule_inventory

BAD_SETTINGS = [
    ("flask_app_name", "Hello World"),
    ("flask_app_server", "apache"),
    ("flask_app_listen", "0.0.0.0:8000"),
    ("flask_app_listen", "[::]:8000"),
    ("flask_app_listen", "127.0.0.1:99999"),
    ("flask_app_wsgi_entry", "hello:create_app(); import os"),
    ("flask_app_code_dir", "/srv/hello/../../etc"),
    ("flask_app_env", {"BAD-NAME": "x"}),
    ("flask_app_env", {"TWO_LINES": "a\nb"}),
    ("flask_app_trusted_proxies", -1),
    ("gunicorn_workers", 0),
    ("gunicorn_worker_class", "sync; import os"),
    ("nginx_server_names", ["example.com; return 200"]),
    ("nginx_server_names", "example.com"),
    ("nginx_static_dir", "/srv/hello/../../etc"),
    ("nginx_http_port", "eighty"),
    ("nginx_app_location", "/shop"),
    ("nginx_client_max_body_size", "10m; autoindex on"),
    ("nginx_upstream_servers", ["unix:/tmp/evil.sock; }"]),
]


def run_playbook(*args, inventory="localhost,"):
    return subprocess.Popen(
        ["ansible-playbook", "-i", str(inventory), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "ANSIBLE_FORCE_COLOR": "false", "ANSIBLE_NOCOLOR": "true"},
    )


def finish(processes):
    return [(process.communicate()[0], process.returncode) for process in processes]


@pytest.fixture(scope="module")
def bad_runs(first_app_host):
    """Run the site playbook once per bad setting against the first host, a few runs at a time."""
    first_host = first_app_host.ansible.get_variables()["inventory_hostname"]
    results = []
    for batch_start in range(0, len(BAD_SETTINGS), 4):
        batch = BAD_SETTINGS[batch_start:batch_start + 4]
        results += finish([
            run_playbook(str(REPO / "playbooks" / "site.yml"), "--limit", first_host,
                         "-e", json.dumps({variable: value}), inventory=molecule_inventory())
            for variable, value in batch
        ])
    return dict(zip(range(len(BAD_SETTINGS)), results))


@pytest.mark.parametrize("case", range(len(BAD_SETTINGS)), ids=[f"{v}={json.dumps(x)}" for v, x in BAD_SETTINGS])
def test_bad_setting_is_refused_before_any_change(bad_runs, case):
    variable = BAD_SETTINGS[case][0]
    output, returncode = bad_runs[case]
    assert returncode != 0, output
    assert variable in output, output
    assert "PLAY [App layer]" not in output, "a layer ran despite the bad setting"


@pytest.mark.parametrize(
    ("given", "missing"),
    [({}, "flask_app_name"), ({"flask_app_name": "hello"}, "flask_app_wsgi_entry")],
)
def test_missing_required_setting_is_named(tmp_path, given, missing):
    playbook = tmp_path / "bare.yml"
    playbook.write_text("- hosts: localhost\n  gather_facts: false\n  roles: [wsgi.stack.flask_app]\n")
    [(output, returncode)] = finish([run_playbook(str(playbook), "-e", json.dumps(given))])
    assert returncode != 0, output
    assert missing in output, output
