"""The files module puts every path in its state in one call, changes only what differs and says what it changed."""
import json
import os
import stat

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.wsgi.stack.plugins.modules import files


def run(paths, check_mode=False, capsys=None):
    """Run the module as Ansible would; return its JSON result."""
    args = {"paths": paths, "_ansible_check_mode": check_mode}
    with patch_module_args(args), pytest.raises(SystemExit):
        files.main()
    return json.loads(capsys.readouterr().out)


def mode_of(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_tree_is_made_in_one_call_then_left_alone(tmp_path, capsys):
    paths = [
        {"path": str(tmp_path / "conf"), "state": "directory", "mode": "0750"},
        {"path": str(tmp_path / "conf/app.conf"), "content": "listen 80;\n", "mode": "0640"},
        {"path": str(tmp_path / "enabled"), "state": "link", "src": str(tmp_path / "conf/app.conf")},
        {"path": str(tmp_path / "default"), "state": "absent"},
    ]
    (tmp_path / "default").write_text("welcome\n")
    first = run(paths, capsys=capsys)
    assert first["changed"] and first["changed_paths"] == [entry["path"] for entry in paths]
    assert mode_of(tmp_path / "conf") == 0o750 and mode_of(tmp_path / "conf/app.conf") == 0o640
    assert (tmp_path / "enabled").read_text() == "listen 80;\n"
    assert not (tmp_path / "default").exists()
    second = run(paths, capsys=capsys)
    assert not second["changed"] and second["changed_paths"] == []


def test_only_the_file_that_differs_is_rewritten_and_its_diff_shown(tmp_path, capsys):
    same, other = tmp_path / "same.conf", tmp_path / "other.conf"
    same.write_text("a\n")
    other.write_text("old\n")
    same_inode = same.stat().st_ino
    result = run([{"path": str(same), "content": "a\n"}, {"path": str(other), "content": "new\n"}], capsys=capsys)
    assert result["changed_paths"] == [str(other)]
    assert same.stat().st_ino == same_inode and other.read_text() == "new\n"
    assert result["diff"] == [{"before_header": str(other), "after_header": str(other), "before": "old\n",
                               "after": "new\n"}]


def test_a_mode_alone_is_a_change(tmp_path, capsys):
    target = tmp_path / "site.conf"
    target.write_text("x\n")
    os.chmod(target, 0o600)
    result = run([{"path": str(target), "content": "x\n", "mode": "u=rw,go=r"}], capsys=capsys)
    assert result["changed"] and mode_of(target) == 0o644


def test_a_link_is_swapped_to_its_new_target(tmp_path, capsys):
    live = tmp_path / "current"
    os.symlink("releases/a", live)
    result = run([{"path": str(live), "state": "link", "src": "releases/b"}], capsys=capsys)
    assert result["changed"] and os.readlink(live) == "releases/b"
    assert sorted(os.listdir(tmp_path)) == ["current"]


def test_check_mode_reports_without_changing(tmp_path, capsys):
    target, gone = tmp_path / "new.conf", tmp_path / "old.conf"
    gone.write_text("old\n")
    result = run([{"path": str(target), "content": "x\n"}, {"path": str(gone), "state": "absent"},
                  {"path": str(tmp_path / "dir"), "state": "directory", "mode": "0700"}], check_mode=True,
                 capsys=capsys)
    assert result["changed_paths"] == [str(target), str(gone), str(tmp_path / "dir")]
    assert sorted(os.listdir(tmp_path)) == ["old.conf"]


@pytest.mark.parametrize("state", ["file", "link"])
def test_a_directory_in_the_way_fails_and_stays(tmp_path, capsys, state):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken/keep").write_text("data\n")
    entry = {"path": str(tmp_path / "taken"), "state": state, "content": "x\n", "src": "/elsewhere"}
    earlier = tmp_path / "earlier.conf"
    result = run([{"path": str(earlier), "content": "y\n"}, entry], capsys=capsys)
    assert result["failed"] and "is a directory, not a" in result["msg"]
    assert (tmp_path / "taken/keep").read_text() == "data\n"
    assert not earlier.exists(), "an entry that would fail stops the call before any change"


def test_a_file_without_content_is_refused(tmp_path, capsys):
    result = run([{"path": str(tmp_path / "x.conf")}], capsys=capsys)
    assert result["failed"] and result["msg"].endswith("a file needs content")


def test_an_unknown_owner_fails_before_any_change(tmp_path, capsys):
    earlier = tmp_path / "earlier.conf"
    later = {"path": str(tmp_path / "later.conf"), "content": "y\n", "owner": "no-such-user-here"}
    result = run([{"path": str(earlier), "content": "x\n"}, later], capsys=capsys)
    assert result["failed"] and "no user or group no-such-user-here" in result["msg"]
    assert not earlier.exists()


def test_a_directory_removed_first_makes_way_for_a_link(tmp_path, capsys):
    shipped = tmp_path / "code/instance"
    shipped.mkdir(parents=True)
    (shipped / "config.py").write_text("SECRET = 'x'\n")
    paths = [{"path": str(shipped), "state": "absent"},
             {"path": str(shipped), "state": "link", "src": str(tmp_path / "data/instance")}]
    result = run(paths, capsys=capsys)
    assert result["changed_paths"] == [str(shipped)] * 2
    assert os.readlink(shipped) == str(tmp_path / "data/instance")


def test_check_mode_takes_an_owner_a_real_run_would_create_first(tmp_path, capsys):
    result = run([{"path": str(tmp_path / "app.conf"), "content": "x\n", "owner": "no-such-user-here"}],
                 check_mode=True, capsys=capsys)
    assert not result.get("failed") and result["changed_paths"] == [str(tmp_path / "app.conf")]
    assert not (tmp_path / "app.conf").exists()


def test_a_link_to_a_directory_is_followed_only_when_the_entry_asks(tmp_path, capsys):
    volume = tmp_path / "volume"
    volume.mkdir(mode=0o755)
    (tmp_path / "cache").symlink_to(volume)
    entry = {"path": str(tmp_path / "cache"), "state": "directory", "mode": "0700"}
    refused = run([entry], capsys=capsys)
    assert refused["failed"] and "is a link, not a directory" in refused["msg"] and mode_of(volume) == 0o755
    result = run([{**entry, "follow": True}], capsys=capsys)
    assert result["changed"] and (tmp_path / "cache").is_symlink()
    assert mode_of(volume) == 0o700
    assert not run([{**entry, "follow": True}], capsys=capsys)["changed"]
