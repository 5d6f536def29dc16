"""nginx_config keeps what it writes only when the whole configuration passes its test, and otherwise puts it all back."""
import json
import os
import stat

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.wsgi.stack.plugins.modules import nginx_config


def run(capsys, paths, test_command, check_mode=False):
    args = {"paths": paths, "test_command": test_command, "_ansible_check_mode": check_mode}
    with patch_module_args(args), pytest.raises(SystemExit):
        nginx_config.main()
    return json.loads(capsys.readouterr().out)


def needs(path, word):
    """A test command that passes only while the file holds the word, and says so on stderr as nginx -t does."""
    return ["sh", "-c", f"grep -q {word} {path} && echo 'test is successful' >&2 || "
                        f"{{ echo 'nginx: [emerg] unknown directive in {path}' >&2; exit 1; }}"]


def tree(root):
    """Every path under root with its type, content or target, and mode."""
    found = {}
    for directory, names, files in os.walk(root):
        for name in names + files:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                found[path] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                found[path] = ("directory", stat.S_IMODE(info.st_mode))
            else:
                with open(path) as handle:
                    found[path] = ("file", handle.read(), stat.S_IMODE(info.st_mode))
    return found


@pytest.fixture
def etc(tmp_path):
    """A configuration as a previous run left it."""
    (tmp_path / "sites-available").mkdir()
    site = tmp_path / "sites-available/app.conf"
    site.write_text("good old\n")
    site.chmod(0o644)
    (tmp_path / "sites-available/old.conf").write_text("good\n")
    (tmp_path / "sites-enabled").mkdir()
    (tmp_path / "sites-enabled/app.conf").symlink_to(site)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache/entry").write_text("kept\n")
    return tmp_path


def change_everything(etc, content):
    return [
        {"path": str(etc / "sites-available/app.conf"), "content": content, "mode": "0600"},
        {"path": str(etc / "sites-available/new.conf"), "content": "new\n"},
        {"path": str(etc / "sites-available/old.conf"), "content": "good\n", "mode": "0640"},
        {"path": str(etc / "sites-enabled/app.conf"), "state": "link", "src": str(etc / "sites-available/new.conf")},
        {"path": str(etc / "conf.d/deep"), "state": "directory"},
        {"path": str(etc / "cache"), "state": "absent"},
    ]


def test_a_failed_test_puts_every_path_back_as_it_was(etc, capsys):
    before = tree(etc)
    result = run(capsys, change_everything(etc, "broken\n"), needs(etc / "sites-available/app.conf", "good"))
    assert result["failed"] and result["changed_paths"] == []
    assert "The files are back as they were before this run." in result["msg"]
    assert "nginx: [emerg] unknown directive" in result["msg"], "the test's own message names the fault"
    assert tree(etc) == before, "content, modes, the link's target, the removed and the new paths all as before"


def test_a_passing_test_keeps_the_changes_and_no_hidden_copy(etc, capsys):
    result = run(capsys, change_everything(etc, "good new\n"), needs(etc / "sites-available/app.conf", "good"))
    assert result["changed"] and len(result["changed_paths"]) == 6
    assert "test is successful" in result["test_stderr"]
    assert (etc / "sites-available/app.conf").read_text() == "good new\n"
    assert stat.S_IMODE(os.stat(etc / "sites-available/old.conf").st_mode) == 0o640
    assert os.readlink(etc / "sites-enabled/app.conf") == str(etc / "sites-available/new.conf")
    assert (etc / "conf.d/deep").is_dir() and not (etc / "cache").exists()
    assert [path for path in tree(etc) if ".wsgi-stack" in path] == []


def test_the_test_runs_when_nothing_changed_and_its_failure_is_reported(etc, capsys):
    same = [{"path": str(etc / "sites-available/app.conf"), "content": "good old\n"}]
    assert not run(capsys, same, needs(etc / "sites-available/app.conf", "good"))["changed"]
    result = run(capsys, same, needs(etc / "sites-available/app.conf", "missing-word"))
    assert result["failed"] and "back as they were" not in result["msg"]
    assert (etc / "sites-available/app.conf").read_text() == "good old\n"


def test_check_mode_reports_and_runs_no_test(etc, capsys):
    before = tree(etc)
    marker = etc / "tested"
    result = run(capsys, change_everything(etc, "broken\n"), ["touch", str(marker)], check_mode=True)
    assert result["changed"] and not result.get("failed")
    assert not marker.exists() and tree(etc) == before


def test_a_path_changed_twice_in_one_call_comes_back_as_it_was_first(etc, capsys):
    before = tree(etc)
    site = str(etc / "sites-available/app.conf")
    twice = [{"path": site, "content": "good one\n"}, {"path": site, "content": "broken two\n"},
             {"path": str(etc / "cache"), "state": "absent"}, {"path": str(etc / "cache"), "state": "directory"},
             {"path": str(etc / "cache"), "state": "absent"}]
    result = run(capsys, twice, needs(site, "good"))
    assert result["failed"] and "back as they were" in result["msg"]
    assert tree(etc) == before


def test_a_file_in_a_directory_removed_later_in_the_call_leaves_nothing_behind(etc, capsys):
    paths = [{"path": str(etc / "cache/entry"), "content": "new\n"}, {"path": str(etc / "cache"), "state": "absent"}]
    result = run(capsys, paths, ["true"])
    assert result["changed"] and not result.get("warnings")
    assert not (etc / "cache").exists() and [path for path in tree(etc) if ".wsgi-stack" in path] == []


def test_a_failure_of_the_module_s_own_helpers_mid_call_puts_back_what_came_before(etc, capsys):
    before = tree(etc)
    paths = [{"path": str(etc / "sites-available/app.conf"), "content": "good new\n"},
             {"path": str(etc / "sites-available/old.conf"), "content": "good\n", "mode": "u=rwZ"}]
    result = run(capsys, paths, ["true"])
    assert result["failed"]
    assert tree(etc) == before


def test_a_test_command_the_host_lacks_fails_before_any_change(etc, capsys):
    before = tree(etc)
    result = run(capsys, change_everything(etc, "good new\n"), ["no-such-nginx-here", "-t"])
    assert result["failed"] and "no-such-nginx-here" in result["msg"]
    assert tree(etc) == before


def test_a_test_command_that_cannot_be_run_leaves_nothing_untested(etc, capsys, monkeypatch):
    before = tree(etc)
    monkeypatch.setattr(nginx_config.AnsibleModule, "run_command",
                        lambda self, argv, **kwargs: self.fail_json(msg="Error executing command."))
    result = run(capsys, change_everything(etc, "good new\n"), ["true"])
    assert result["failed"] and tree(etc) == before


def test_a_directory_replaced_by_a_file_leaves_no_copy_and_no_warning(etc, capsys):
    paths = [{"path": str(etc / "cache/entry"), "content": "new\n"}, {"path": str(etc / "cache"), "state": "absent"},
             {"path": str(etc / "cache"), "content": "now a file\n"}]
    result = run(capsys, paths, ["true"])
    assert result["changed"] and not result.get("warnings"), result
    assert (etc / "cache").read_text() == "now a file\n"
    assert [path for path in tree(etc) if ".wsgi-stack" in path] == []


@pytest.mark.parametrize("check_mode", [False, True])
def test_the_diff_shows_each_file_s_content_before_and_after_and_nothing_unchanged(etc, capsys, check_mode):
    site, new = str(etc / "sites-available/app.conf"), str(etc / "sites-available/new.conf")
    paths = [{"path": site, "content": "good new\n"}, {"path": new, "content": "good\n"},
             {"path": str(etc / "sites-available/old.conf"), "content": "good\n"}]
    result = run(capsys, paths, needs(site, "good"), check_mode=check_mode)
    assert result["diff"] == [
        {"before_header": site, "after_header": site, "before": "good old\n", "after": "good new\n"},
        {"before_header": new, "after_header": new, "before": "", "after": "good\n"},
    ]
