"""tree_hash names a tree by its files' relative paths and contents: the same tree anywhere, another for any change."""
import hashlib
import json
import os
import subprocess

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.wsgi.stack.plugins.lookup.tree_hash import tree_hash

EXCLUDE = [".git", "__pycache__", "*.pyc", ".env.*"]


def make_tree(top, files):
    for path, content in files.items():
        (top / path).parent.mkdir(parents=True, exist_ok=True)
        (top / path).write_bytes(content)
    return top


@pytest.fixture
def app(tmp_path):
    return make_tree(tmp_path / "app", {"hello/__init__.py": b"app = 1\n", "requirements.txt": b"flask\n",
                                        "hello/static/style.css": b"body {}\n", ".flaskenv": b"FLASK_APP=hello\n"})


def test_the_hash_is_sha256_of_path_and_sha1_lines_in_case_blind_order(tmp_path):
    top = make_tree(tmp_path / "t", {"b.txt": b"b", "A.txt": b"a", "sub/c.txt": b"c"})
    lines = [f"A.txt {hashlib.sha1(b'a').hexdigest()}", f"b.txt {hashlib.sha1(b'b').hexdigest()}",
             f"sub/c.txt {hashlib.sha1(b'c').hexdigest()}"]
    assert tree_hash(str(top)) == hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12]


def test_the_same_tree_elsewhere_has_the_same_hash(app, tmp_path):
    copy = make_tree(tmp_path / "elsewhere" / "copy", {
        str(path.relative_to(app)): path.read_bytes() for path in app.rglob("*") if path.is_file()})
    assert tree_hash(str(copy), EXCLUDE) == tree_hash(str(app), EXCLUDE) == tree_hash(str(app) + "/", EXCLUDE)


@pytest.mark.parametrize("change", ["edit", "add", "remove", "rename", "hidden"])
def test_any_change_to_a_counted_file_changes_the_hash(app, change):
    before = tree_hash(str(app), EXCLUDE)
    if change == "edit":
        (app / "requirements.txt").write_bytes(b"flask==3.0\n")
    elif change == "add":
        (app / "hello/views.py").write_bytes(b"")
    elif change == "remove":
        (app / "hello/static/style.css").unlink()
    elif change == "rename":
        (app / "requirements.txt").rename(app / "requirements.in")
    else:
        (app / ".flaskenv").write_bytes(b"FLASK_APP=other\n")
    assert tree_hash(str(app), EXCLUDE) != before


@pytest.mark.parametrize("path", [".git/HEAD", "hello/__pycache__/x.cpython-311.pyc", "deep/er/mod.pyc",
                                  ".env.production", "hello/.git/config"])
def test_excluded_names_do_not_count_at_any_depth(app, path):
    before = tree_hash(str(app), EXCLUDE)
    make_tree(app, {path: b"left out"})
    assert tree_hash(str(app), EXCLUDE) == before
    assert tree_hash(str(app)) != before


def test_a_glob_matches_whole_names_only(app):
    before = tree_hash(str(app), ["*.py"])
    make_tree(app, {"hello/notes.pyx": b"kept"})
    assert tree_hash(str(app), ["*.py"]) != before


def test_links_and_empty_directories_do_not_count(app, tmp_path):
    before = tree_hash(str(app), EXCLUDE)
    outside = make_tree(tmp_path / "outside", {"secret.txt": b"s"})
    os.symlink(outside / "secret.txt", app / "secret.txt")
    os.symlink(outside, app / "linked-dir")
    (app / "empty").mkdir()
    assert tree_hash(str(app), EXCLUDE) == before


def test_a_missing_directory_is_an_error_naming_it(tmp_path):
    with pytest.raises(AnsibleLookupError, match="missing"):
        tree_hash(str(tmp_path / "missing"))


def ansible_renders(expression, **environment):
    """What ansible itself makes of an expression, run as a debug message on the controller."""
    environment = {**os.environ, "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "json",
                   **environment}
    result = subprocess.run(["ansible", "localhost", "-m", "ansible.builtin.debug", "-a", f"msg={expression}"],
                            capture_output=True, text=True, env=environment, check=True)
    [play] = json.loads(result.stdout)["plays"]
    return play["tasks"][0]["hosts"]["localhost"]["msg"]


def test_ansible_finds_the_lookup_by_its_name_and_passes_the_exclusions(app, tmp_path):
    other = make_tree(tmp_path / "other", {"x.py": b"x", "x.pyc": b"left out"})
    expression = f"{{{{ lookup('wsgi.stack.tree_hash', '{app}', '{other}', exclude={EXCLUDE}) }}}}"
    assert ansible_renders(expression) == ",".join([tree_hash(str(app), EXCLUDE), tree_hash(str(other), EXCLUDE)])


def test_a_directory_under_home_or_a_variable_is_expanded(app):
    expression = "{{ [lookup('wsgi.stack.tree_hash', '~/app'), lookup('wsgi.stack.tree_hash', '$APP_DIR')] }}"
    assert ansible_renders(expression, HOME=str(app.parent), APP_DIR=str(app)) == [tree_hash(str(app))] * 2
