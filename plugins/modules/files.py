#!/usr/bin/python
# Copyright (c) wsgi.stack maintainers
# MIT License (see galaxy.yml)

from __future__ import annotations

DOCUMENTATION = """
module: files
short_description: Directories, files, links and removals, in one round trip
version_added: 0.3.0
author: wsgi.stack maintainers
description:
  - Puts a list of paths into the state given for each, in order, in one call on the host instead of one call per
    path, so a run that changes nothing costs one round trip for the whole list.
  - A file is written only when its content differs, through a temporary file renamed over it; a link is swapped the
    same way, so a reader never finds the path missing.
  - Owner, group and mode are set only where they differ, as M(ansible.builtin.file) sets them.
options:
  paths:
    description: What each path must be, applied in this order.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: The absolute path.
        type: path
        required: true
      state:
        description:
          - V(directory) creates the directory and its missing parents; V(file) writes O(paths[].content);
            V(link) points a symbolic link at O(paths[].src); V(absent) removes the path (a directory with all it
            holds).
        type: str
        choices: [directory, file, link, absent]
        default: file
      content:
        description: The whole content of a file (O(paths[].state=file)).
        type: str
      src:
        description: Where a link points (O(paths[].state=link)), written as given.
        type: str
      owner:
        description: The owner of a directory or file.
        type: str
      group:
        description: The group of a directory or file.
        type: str
      mode:
        description: The mode of a directory or file, octal (V('0644')) or symbolic (V(u=rwX,g=rX,o=)).
        type: raw
attributes:
  check_mode:
    support: full
  diff_mode:
    support: partial
    details: Lists the paths that change and, for a file, its content before and after.
notes:
  - Every entry is checked before any change, against the tree as the earlier entries leave it (a path an earlier
    V(absent) entry removes is free for a link). A path of another type than the one asked for (a directory where
    a file or a link goes), an owner or group the host does not know, a file without content or a link without src
    fail the module with nothing changed. It never removes a directory to put something else in its place.
  - A failure of the filesystem itself (a full disk) while applying stops at that path, and what came before it stays.
"""

EXAMPLES = """
- name: Write nginx's files and enable the site
  wsgi.stack.files:
    paths:
      - {path: /etc/nginx/conf.d/app.conf, content: "{{ lookup('ansible.builtin.template', 'app.conf.j2') }}",
         owner: root, group: root, mode: "0644"}
      - {path: /etc/nginx/sites-enabled/app.conf, state: link, src: /etc/nginx/sites-available/app.conf}
      - {path: /etc/nginx/sites-enabled/default, state: absent}
  notify: nginx config changed
"""

RETURN = """
changed_paths:
  description: The paths that changed (or would change in check mode), in the order given.
  type: list
  elements: str
  returned: always
  sample: [/etc/nginx/conf.d/app.conf]
"""

import grp
import os
import pwd
import shutil
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native

ENTRY = {
    "path": {"type": "path", "required": True},
    "state": {"type": "str", "choices": ["directory", "file", "link", "absent"], "default": "file"},
    "content": {"type": "str"},
    "src": {"type": "str"},
    "owner": {"type": "str"},
    "group": {"type": "str"},
    "mode": {"type": "raw"},
}


class WrongType(Exception):
    """The path exists as another type than the one asked for."""


def kind(path):
    """What is at the path: 'link', 'directory', 'file', another type's name, or None."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "directory"
    return "file" if stat.S_ISREG(mode) else "special"


def expect(path, wanted, found):
    if found not in (None, wanted):
        raise WrongType(f"{path} is a {found}, not a {wanted}")


def read_bytes(path):
    with open(path, "rb") as handle:
        return handle.read()


def directory(module, entry):
    path = entry["path"]
    found = kind(path)
    expect(path, "directory", found)
    if found is None and not module.check_mode:
        os.makedirs(path)
    return found is None


def regular_file(module, entry, diff):
    path = entry["path"]
    found = kind(path)
    expect(path, "file", found)
    content = to_bytes(entry["content"] or "", errors="surrogate_or_strict")
    before = read_bytes(path) if found else None
    if before == content:
        return False
    diff.append({"before_header": path, "after_header": path,
                 "before": "" if before is None else before.decode(errors="replace"),
                 "after": content.decode(errors="replace")})
    if not module.check_mode:
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".wsgi-stack.")
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        module.atomic_move(temporary, path)
    return True


def link(module, entry):
    path, src = entry["path"], entry["src"]
    found = kind(path)
    expect(path, "link", found)
    if found and os.readlink(path) == src:
        return False
    if not module.check_mode:
        temporary = os.path.join(os.path.dirname(path), f".wsgi-stack.{os.path.basename(path)}.{os.getpid()}")
        if os.path.lexists(temporary):
            os.unlink(temporary)
        os.symlink(src, temporary)
        os.rename(temporary, path)
    return True


def absent(module, entry):
    path = entry["path"]
    found = kind(path)
    if found is None:
        return False
    if not module.check_mode:
        if found == "directory":
            shutil.rmtree(path)
        else:
            os.unlink(path)
    return True


def attributes(module, entry, changed):
    """Owner, group and mode, where they differ; in check mode, whether they would."""
    if entry["state"] not in ("directory", "file") or (module.check_mode and changed):
        return changed
    wanted = {"path": entry["path"], "owner": entry["owner"], "group": entry["group"], "mode": entry["mode"],
              "secontext": [None, None, None, None], "attributes": None}
    return module.set_fs_attributes_if_different(wanted, changed)


def known(name, database):
    """Whether an owner or group name (or a numeric id) exists on the host."""
    if name is None or name.isdigit():
        return True
    try:
        database(name)
    except KeyError:
        return False
    return True


def check(module, entries):
    """Fail, before any change, on every entry that would fail once the earlier ones are applied."""
    planned = {}  # path: the type the earlier entries leave there, None once removed
    for entry in entries:
        path, state = entry["path"], entry["state"]
        if state == "file" and entry["content"] is None:
            module.fail_json(msg=f"{path}: a file needs content", changed_paths=[])
        if state == "link" and not entry["src"]:
            module.fail_json(msg=f"{path}: a link needs src", changed_paths=[])
        # In check mode the user an earlier task would create does not exist yet.
        for name, database in ((entry["owner"], pwd.getpwnam), (entry["group"], grp.getgrnam)):
            if not module.check_mode and not known(name, database):
                module.fail_json(msg=f"{path}: no user or group {name} on the host", changed_paths=[])
        if path in planned:
            found = planned[path]
        elif any(was is None and path.startswith(parent.rstrip("/") + "/") for parent, was in planned.items()):
            found = None
        else:
            found = kind(path)
        if state != "absent":
            try:
                expect(path, state, found)
            except WrongType as error:
                module.fail_json(msg=to_native(error), changed_paths=[])
        planned[path] = None if state == "absent" else state


def apply(module, entry, diff):
    state = entry["state"]
    if state == "directory":
        changed = directory(module, entry)
    elif state == "file":
        changed = regular_file(module, entry, diff)
    elif state == "link":
        changed = link(module, entry)
    else:
        changed = absent(module, entry)
    return attributes(module, entry, changed)


def main():
    module = AnsibleModule(
        argument_spec={"paths": {"type": "list", "elements": "dict", "required": True, "options": ENTRY}},
        supports_check_mode=True,
    )
    check(module, module.params["paths"])
    changed_paths, diff = [], []
    for entry in module.params["paths"]:
        try:
            if apply(module, entry, diff):
                changed_paths.append(entry["path"])
        except (WrongType, OSError) as error:
            module.fail_json(msg=to_native(error), changed_paths=changed_paths)
    module.exit_json(changed=bool(changed_paths), changed_paths=changed_paths, diff=diff)


if __name__ == "__main__":
    main()
