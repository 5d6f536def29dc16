"""Bad settings are refused before any host changes, with a message that names the variable."""
import json
import re
import subprocess

import pytest

from conftest import ANSIBLE_ENV, recap_of, run_sites, scenario_app_server, stack_of, under_load

COMMON_BAD_SETTINGS = [
    ("flask_app_name", "Hello World"),
    ("flask_app_server", "apache"),
    ("flask_app_listen", "0.0.0.0:8000"),
    ("flask_app_listen", "[::]:8000"),
    ("flask_app_listen", "127.0.0.1:99999"),
    ("flask_app_listen", "[::ffff:0:0]:8001"),
    ("flask_app_listen", "localhost:8001"),
    ("flask_app_wsgi_entry", "hello:create_app(); import os"),
    ("flask_app_wsgi_entry", "hello:create_app()\n"),
    ("flask_app_root", "/srv/hello/../../etc"),
    ("flask_app_root", "/usr"),
    ("flask_app_static_dir", "/etc"),
    ("flask_app_static_dir", "hello/../../../etc"),
    ("flask_app_git_version", "--upload-pack=touch /tmp/pwned"),
    ("flask_app_python", "-c"),
    ("flask_app_install", "pipenv"),
    ("flask_app_package_path", "/tmp/hello.whl"),
    ("flask_app_deploy_commands", [{"command": "flask db upgrade", "run": "sometimes"}]),
    ("flask_app_shared_files", [{"path": "../../etc/cron.d/x", "content": "x"}]),
    ("flask_app_health_path", "healthz"),
    ("flask_app_keep_releases", 0),
    ("flask_app_env", {"BAD-NAME": "x"}),
    ("flask_app_env", {"TWO_LINES": "a\nb"}),
    ("flask_app_trusted_proxies", -1),
    ("flask_app_shared_dirs", "uploads"),
    ("flask_app_source_exclude", "node_modules"),
    ("flask_app_deploy_commands", [{"command": None, "run": "every"}]),
    ("nginx_server_names", ["example.com; return 200"]),
    ("nginx_server_names", "example.com"),
    ("nginx_static_dir", "/srv/hello/../../etc"),
    ("nginx_static_dir", "//"),
    ("nginx_static_dir", "/etc/nginx"),
    ("nginx_static_dir", "/var/www/elsewhere"),
    ("nginx_http_port", "eighty"),
    ("nginx_app_location", "/shop"),
    ("nginx_client_max_body_size", "10m; autoindex on"),
    ("nginx_client_max_body_size", "10mb"),
    ("nginx_upstream_servers", ["unix:/tmp/evil.sock; }"]),
    ("nginx_upstream_protocol", "fastcgi"),
    ("nginx_upstream_balance", "random"),
    ("nginx_upstream_bind", "lb1.example.com"),
    ("flask_app_listen_allow", ["web1.example.com"]),
    ("nginx_upstream_max_fails", -1),
    ("nginx_upstream_keepalive_timeout", 90),
    ("nginx_tls_source", "letsencrypt"),
    ("nginx_tls_source", "acme"),
    ("nginx_https_port", 0),
    ("nginx_content_security_policy", "default-src 'self'\"; return 200 \"x"),
    ("nginx_content_security_policy", "default-src 'self'\n"),
]
APP_SERVER_BAD_SETTINGS = {
    "gunicorn": [
        ("gunicorn_workers", 0),
        ("gunicorn_worker_class", "sync; import os"),
        ("gunicorn_access_log", "/var/log/x.log\nbind = 0.0.0.0:80"),
        ("gunicorn_access_log", "/var/log/access.log"),
        ("gunicorn_access_log", "/var/log/nginx/access.log"),
        ("gunicorn_listen", "[::0]:8001"),
        ("gunicorn_keepalive", 30),
        ("gunicorn_user", "hello\nUser=root"),
        ("gunicorn_venv_dir", "/usr/lib/x86_64"),
        ("gunicorn_socket_mode", "777\nUser=root"),
        # An unquoted 0660 in YAML.
        ("gunicorn_socket_mode", 432),
        ("gunicorn_python", "--version"),
        ("gunicorn_listen_allow", "10.0.0.1\nIPAddressAllow=any"),
    ],
    "uwsgi": [
        ("uwsgi_processes", 0),
        ("uwsgi_harakiri", "soon"),
        ("uwsgi_cheaper", 5),
        ("uwsgi_stats_socket", "/tmp/stats.sock"),
        ("uwsgi_extra_settings", {"bad option": 1}),
        ("uwsgi_extra_settings", {"memory-report": "true\nsocket = 0.0.0.0:80"}),
        ("uwsgi_protocol", "fastcgi"),
        ("uwsgi_logto", "/var/log/uwsgi.log"),
        ("uwsgi_logto", "/var/log/nginx/uwsgi.log"),
        ("uwsgi_logto", None),
        ("uwsgi_listen", "[::0]:8001"),
        ("uwsgi_extra_settings", {"http-socket": "127.0.0.1:9090"}),
        ("uwsgi_extra_settings", {"http-to": "0.0.0.0:9090"}),
        ("uwsgi_user", "hello\nUser=root"),
        ("uwsgi_venv_dir", "/usr/lib/x86_64"),
        ("uwsgi_socket_mode", "6600"),
        ("uwsgi_version", "2.0.28; touch /tmp/x"),
        ("uwsgi_extra_settings", {"legion": "hello 127.0.0.1:4242 98 bf-cbc:secret"}),
        ("uwsgi_extra_settings", {"ini": "/tmp/more.ini"}),
        ("uwsgi_extra_settings", {"master-fifo": "/tmp/fifo"}),
        ("uwsgi_extra_settings", {"declare-option": "listen-here=http-socket=127.0.0.1:9090"}),
        ("uwsgi_extra_settings", {"chmod": "666"}),
    ],
}
CASES = ([("common", variable, value) for variable, value in COMMON_BAD_SETTINGS]
         + [(server, variable, value) for server, settings in APP_SERVER_BAD_SETTINGS.items()
            for variable, value in settings])


def scenario_of(kind):
    """The preflight play checks the common settings the same way whatever the app server: the gunicorn scenarios
    refuse them, each scenario refuses its app server's own."""
    return "gunicorn" if kind == "common" else kind


def flat(text):
    """Text without quotes, backslashes and line breaks, so that a value reads the same escaped or not."""
    return re.sub(r"[\\'\"\n]", "", text.replace("\n", "n"))


def shown(value):
    """What of a bad value its message may show: the value itself, a dict's keys or values, a list's items."""
    if isinstance(value, dict):
        return [flat(str(key)) for key in value] + shown(list(value.values()))
    if isinstance(value, list):
        return [part for item in value for part in shown(item)]
    return [flat(json.dumps(value) if value is None else str(value))]


def refusals(output, variable):
    """The lines of the output that name the variable, other than the dump of the argument specs (which names them
    all): the messages that refuse it."""
    return [flat(line) for line in output.splitlines()
            if re.search(rf"\b{variable}\b", line) and "argument_spec_data" not in line]


@pytest.fixture(scope="module")
def bad_runs(first_app_host):
    """Run the site playbook once per bad setting of this scenario against the first host, a few runs at a time,
    while the host's site serves a bounded load; the load's counts come last."""
    first_host = first_app_host.ansible.get_variables()["inventory_hostname"]
    cases = [case for case, (kind, variable, value) in enumerate(CASES) if scenario_of(kind) == scenario_app_server()]
    runs = [["--limit", first_host, "-e", json.dumps({CASES[case][1]: CASES[case][2]})] for case in cases]
    stack = stack_of(first_app_host)
    results, counts = under_load({stack.name: stack}, "healthz", lambda: run_sites(runs), "bad values")
    return first_host, dict(zip(cases, results)), counts[stack.name]


def test_the_site_serves_every_request_while_bad_values_are_refused(bad_runs):
    first_host, runs, counts = bad_runs
    assert runs and counts["requests"] > 100, counts
    assert counts["statuses"] == {"200": counts["requests"]}, counts
    assert not any(counts["errors"].values()), counts


@pytest.mark.parametrize("case", range(len(CASES)), ids=[f"{k}:{v}={json.dumps(x)}" for k, v, x in CASES])
def test_bad_setting_is_refused_before_any_change(bad_runs, case):
    first_host, runs, counts = bad_runs
    kind, variable, value = CASES[case]
    if case not in runs:
        pytest.skip(f"the {scenario_of(kind)} scenarios check this one")
    output, returncode = runs[case]
    assert returncode != 0, output
    lines = refusals(output, variable)
    assert any(part in line for line in lines for part in shown(value)), \
        f"no message names {variable} with its bad value {value!r}:\n{output}"
    recap = recap_of(output, first_host)
    assert (recap["changed"], recap["failed"]) == (0, 1), output
    assert "PLAY [App layer]" not in output, "a layer ran despite the bad setting"


def test_a_run_reports_every_bad_value_of_a_role_at_once(first_app_host):
    """Three bad values of one role: one run names each, so a user does not fix them one run at a time."""
    first_host = first_app_host.ansible.get_variables()["inventory_hostname"]
    bad = {"flask_app_trusted_proxies": -1, "flask_app_git_version": "--upload-pack=x",
           "flask_app_source_path": "", "flask_app_git_repo": "--upload-pack=touch /tmp/pwned"}
    [(output, returncode)] = run_sites([["--limit", first_host, "-e", json.dumps(bad)]])
    assert returncode != 0, output
    assert "flask_app_trusted_proxies must be 0 or more; got -1" in output, output
    assert 'flask_app_git_repo must be a git URL' in output and "--upload-pack=touch /tmp/pwned" in output, output
    git_version = 'flask_app_git_version must be a branch, tag or commit (not an option); got \\"--upload-pack=x\\"'
    assert git_version in output, output
    assert "PLAY [App layer]" not in output, "a layer ran despite the bad settings"


def test_a_misspelt_setting_is_named_with_the_one_meant(first_app_host):
    """A name no role takes is otherwise ignored without a word: the run warns, naming the closest setting."""
    first_host = first_app_host.ansible.get_variables()["inventory_hostname"]
    misspelt = {"uwsgi_extra_options": {"memory-report": True}, "nginx_server_name": ["typo.test"]}
    [(output, returncode)] = run_sites([["--check", "--limit", first_host, "--tags", "flask_app_validate",
                                         "-e", json.dumps(misspelt)]])
    assert returncode == 0, output
    words = " ".join(output.split())
    assert ("uwsgi_extra_options is not a setting of any wsgi.stack role, which ignore it; did you mean "
            "uwsgi_extra_settings?") in words, output
    assert "nginx_server_name is not a setting of any wsgi.stack role, which ignore it; did you mean " \
           "nginx_server_names?" in words, output


@pytest.mark.parametrize(
    ("given", "missing"),
    [({}, "flask_app_name"), ({"flask_app_name": "hello"}, "flask_app_wsgi_entry")],
)
def test_missing_required_setting_is_named(tmp_path, given, missing):
    playbook = tmp_path / "bare.yml"
    playbook.write_text("- hosts: localhost\n  gather_facts: false\n  roles: [wsgi.stack.flask_app]\n")
    bare = subprocess.run(["ansible-playbook", "-i", "localhost,", str(playbook), "-e", json.dumps(given)],
                          capture_output=True, text=True, check=False, env=ANSIBLE_ENV)
    output = bare.stdout + bare.stderr
    assert bare.returncode != 0, output
    # The argument specs' check, or the first default that reads the variable when it is not there at all.
    assert re.search(rf"(missing required arguments: ([a-z_]+, )*{missing}\b|'{missing}' is undefined)", output), output


def test_a_directory_the_host_already_keeps_files_in_is_not_handed_to_the_app(first_app_host):
    """A data directory that is another's (here dpkg's database) is refused on the host before anything changes."""
    first_host = first_app_host.ansible.get_variables()["inventory_hostname"]
    bad = {"flask_app_data_dir": "/var/lib/dpkg"}
    [(output, returncode)] = run_sites([["--limit", first_host, "-e", json.dumps(bad)]])
    assert returncode != 0, output
    assert "flask_app_data_dir must each be a directory of the app's own, new or empty" in output, output
    recap = recap_of(output, first_host)
    assert (recap["changed"], recap["failed"]) == (0, 1), output
    dpkg = first_app_host.file("/var/lib/dpkg")
    assert (dpkg.user, dpkg.group) == ("root", "root")
