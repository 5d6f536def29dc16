"""The host_state module answers, in one call, what the roles would otherwise ask with a task each; it changes nothing."""
import grp
import hashlib
import json
import os
import pwd

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.wsgi.stack.plugins.modules import host_state

DPKG_OUT = "nginx\tii \t1.22.1-9+deb12u1\nold-tool\trc \t2.0-1\nhalf\tiU \t1.0-1\n"
SYSTEMCTL_OUT = ("LoadState=loaded\nActiveState=active\nUnitFileState=enabled\nNRestarts=2\n\n"
                 "LoadState=not-found\nActiveState=inactive\nUnitFileState=\n"
                 "Listen=/run/a.sock (Stream)\nListen=127.0.0.1:8000 (Stream)\n")


@pytest.fixture
def commands(monkeypatch):
    """Stand in for dpkg-query and systemctl; record the commands the module runs."""
    calls, answers = [], {}

    def run_command(self, argv, **kwargs):
        calls.append(argv)
        return answers[os.path.basename(argv[0])]

    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, **kwargs: f"/usr/bin/{name}")
    return calls, answers


def run(capsys, **args):
    with patch_module_args({**args, "_ansible_check_mode": True}), pytest.raises(SystemExit):
        host_state.main()
    return json.loads(capsys.readouterr().out)


def test_a_package_is_installed_only_when_dpkg_says_installed_and_configured(commands, capsys):
    calls, answers = commands
    answers["dpkg-query"] = (1, DPKG_OUT, "dpkg-query: no packages found matching unknown\n")
    result = run(capsys, packages=["nginx", "old-tool", "half", "unknown", "nginx=1.22*"])
    assert result["packages"] == {"nginx": "1.22.1-9+deb12u1", "old-tool": None, "half": None, "unknown": None,
                                  "nginx=1.22*": None}
    assert result["packages_missing"] == ["old-tool", "half", "unknown", "nginx=1.22*"]
    assert not result["changed"]
    # A pinned or otherwise unusual name never reaches dpkg-query, which would read it as a pattern.
    assert calls[0][-5:] == ["--", "nginx", "old-tool", "half", "unknown"]


def test_a_failing_dpkg_query_fails_the_module(commands, capsys):
    commands[1]["dpkg-query"] = (2, "", "dpkg-query: error: database is locked\n")
    result = run(capsys, packages=["nginx"])
    assert result["failed"] and "database is locked" in result["msg"]


def test_units_are_read_in_one_call_in_the_order_asked(commands, capsys):
    calls, answers = commands
    answers["systemctl"] = (0, SYSTEMCTL_OUT, "")
    result = run(capsys, units=["nginx.service", "gone.socket"])
    assert result["units"] == {
        "nginx.service": {"load": "loaded", "active": "active", "enabled": "enabled", "restarts": "2", "listen": []},
        "gone.socket": {"load": "not-found", "active": "inactive", "enabled": "", "restarts": "",
                        "listen": ["/run/a.sock (Stream)", "127.0.0.1:8000 (Stream)"]}}
    assert len(calls) == 1 and calls[0][-3:] == ["--", "nginx.service", "gone.socket"]


def test_an_answer_for_fewer_units_than_asked_fails(commands, capsys):
    commands[1]["systemctl"] = (0, SYSTEMCTL_OUT, "")
    result = run(capsys, units=["a.service", "b.service", "c.service"])
    assert result["failed"] and "2 of 3" in result["msg"]


def test_nothing_asked_runs_no_command(commands, capsys):
    result = run(capsys)
    assert commands[0] == [] and result["packages"] == {} and result["units"] == {}


def test_users_and_groups_are_found_or_null(commands, capsys):
    me = pwd.getpwuid(os.getuid())
    group = grp.getgrgid(me.pw_gid).gr_name
    result = run(capsys, users=[me.pw_name, "no-such-user-here"], groups=[group, "no-such-group-here"])
    assert result["users"] == {me.pw_name: {"uid": me.pw_uid, "gid": me.pw_gid, "group": group, "home": me.pw_dir,
                                            "shell": me.pw_shell},
                               "no-such-user-here": None}
    assert result["groups"] == {group: me.pw_gid, "no-such-group-here": None}


def test_paths_contents_and_entries(tmp_path, commands, capsys):
    (tmp_path / "releases" / "b").mkdir(parents=True)
    (tmp_path / "releases" / "a").mkdir()
    (tmp_path / "history").write_text("a\nb\n")
    (tmp_path / "current").symlink_to(tmp_path / "releases" / "b")
    os.mkfifo(tmp_path / "fifo")
    under_a_file = str(tmp_path / "history" / "x")
    result = run(capsys,
                 paths=[str(tmp_path / "current"), str(tmp_path / "releases"), str(tmp_path / "history"),
                        str(tmp_path / "fifo"), str(tmp_path / "missing"), under_a_file],
                 read=[str(tmp_path / "history"), str(tmp_path / "missing"), under_a_file],
                 list=[str(tmp_path / "releases"), str(tmp_path / "missing")])
    mine = {"uid": os.getuid(), "gid": os.getgid()}
    nothing = {"type": None, "target": None, "uid": None, "gid": None}
    assert result["paths"] == {
        str(tmp_path / "current"): {"type": "link", "target": str(tmp_path / "releases" / "b"), **mine},
        str(tmp_path / "releases"): {"type": "directory", "target": None, **mine},
        str(tmp_path / "history"): {"type": "file", "target": None, **mine},
        str(tmp_path / "fifo"): {"type": "special", "target": None, **mine},
        str(tmp_path / "missing"): nothing,
        under_a_file: nothing,
    }
    assert result["contents"] == {str(tmp_path / "history"): "a\nb\n", str(tmp_path / "missing"): None,
                                  under_a_file: None}
    assert result["entries"] == {str(tmp_path / "releases"): ["a", "b"], str(tmp_path / "missing"): None}


def test_a_file_that_cannot_be_read_fails_naming_it(tmp_path, commands, capsys):
    (tmp_path / "binary").write_bytes(b"\xff\xfe")
    result = run(capsys, read=[str(tmp_path / "binary")], list=[str(tmp_path)])
    assert result["failed"] and "cannot read" in result["msg"]
    result = run(capsys, read=[str(tmp_path)])
    assert result["failed"] and str(tmp_path) in result["msg"]


def test_relative_paths_are_refused(commands, capsys):
    result = run(capsys, paths=["srv/app"], read=["/etc/hostname"])
    assert result["failed"] and result["msg"] == "paths must be absolute: srv/app"


def test_a_pattern_in_paths_stands_for_what_it_matches(tmp_path, commands, capsys):
    venvs = tmp_path / "venvs"
    for release, venv in [("a", "requirements-1"), ("b", "project-b"), (".partial", "requirements-1")]:
        (tmp_path / "releases" / release).mkdir(parents=True)
        (tmp_path / "releases" / release / "venv").symlink_to(venvs / venv)
    (tmp_path / "releases" / "c").mkdir()
    result = run(capsys, paths=[str(tmp_path / "releases" / "*" / "venv"), str(tmp_path / "none" / "*"),
                                str(tmp_path / "current")])
    mine = {"uid": os.getuid(), "gid": os.getgid()}
    assert result["paths"] == {
        str(tmp_path / "releases" / "a" / "venv"): {"type": "link", "target": str(venvs / "requirements-1"), **mine},
        str(tmp_path / "releases" / "b" / "venv"): {"type": "link", "target": str(venvs / "project-b"), **mine},
        str(tmp_path / "current"): {"type": None, "target": None, "uid": None, "gid": None},
    }


def test_facts_are_set_only_when_asked(monkeypatch, commands, capsys):
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    monkeypatch.setattr(host_state, "read_resolver", lambda: {"nameservers": ["127.0.0.53", "::1"]})
    assert run(capsys)["ansible_facts"] == {}
    assert run(capsys, facts=True)["ansible_facts"] == {"processor_vcpus": 3, "dns": {"nameservers": ["127.0.0.53", "::1"]}}
    assert commands[0] == [], "the facts come from the kernel and a file, not from a command"


def test_the_resolver_is_read_as_setup_reads_it(tmp_path):
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("# written by hand\n; and this\nsearch example.test corp.test\nnameserver 127.0.0.53\n\n"
                      "domain example.test\noptions edns0 ndots:2\nnameserver ::1\n")
    assert host_state.read_resolver(str(resolv)) == {
        "nameservers": ["127.0.0.53", "::1"], "search": ["example.test", "corp.test"], "domain": "example.test",
        "options": {"edns0": True, "ndots": "2"}}
    assert host_state.read_resolver(str(tmp_path / "missing")) == {}


def test_checksums_are_of_the_bytes_as_they_are(tmp_path, commands, capsys):
    requirements = tmp_path / "requirements.txt"
    requirements.write_bytes(b"flask==3.0.3\r\ngunicorn\r\n")
    (tmp_path / "linked.txt").symlink_to(requirements)
    result = run(capsys, checksums=[str(requirements), str(tmp_path / "linked.txt"), str(tmp_path / "missing.txt"),
                                    str(tmp_path)])
    digest = hashlib.sha256(b"flask==3.0.3\r\ngunicorn\r\n").hexdigest()
    assert result["checksums"] == {str(requirements): digest, str(tmp_path / "linked.txt"): digest,
                                   str(tmp_path / "missing.txt"): None, str(tmp_path): None}


def test_each_interpreter_is_asked_its_version_once(commands, capsys):
    calls, answers = commands
    answers["python3"] = (0, "3.11\n", "")
    answers["python3.13"] = (0, "3.13\n", "")
    result = run(capsys, interpreters=["python3", "/opt/python/bin/python3.13"])
    assert result["interpreters"] == {"python3": "3.11", "/opt/python/bin/python3.13": "3.13"}
    assert [argv[0] for argv in calls] == ["/usr/bin/python3", "/opt/python/bin/python3.13"]


def test_an_interpreter_that_does_not_run_fails_naming_it(monkeypatch, commands, capsys):
    commands[1]["python2"] = (127, "", "python2: not found\n")
    result = run(capsys, interpreters=["python2"])
    assert result["failed"] and "python2 does not run: python2: not found" in result["msg"]
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, **kwargs: None)
    result = run(capsys, interpreters=["python9"])
    assert result["failed"] and result["msg"] == "no interpreter python9 on the host's PATH"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file away")
def test_paths_name_who_owns_them(tmp_path, commands, capsys):
    (tmp_path / "data").mkdir()
    os.chown(tmp_path / "data", 1234, 5678)
    (tmp_path / "link").symlink_to(tmp_path / "data")
    result = run(capsys, paths=[str(tmp_path / "data"), str(tmp_path / "link")])
    assert result["paths"][str(tmp_path / "data")] == {"type": "directory", "target": None, "uid": 1234, "gid": 5678}
    # The link's own owner, not its target's.
    assert result["paths"][str(tmp_path / "link")]["uid"] == os.getuid()
