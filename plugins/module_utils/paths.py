# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Put paths into the states asked for: checked first, applied in order, each change optionally undoable."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat
import tempfile

from ansible.module_utils.common.text.converters import to_bytes, to_native

ENTRY = {
    "path": {"type": "path", "required": True},
    "state": {"type": "str", "choices": ["directory", "file", "link", "absent"], "default": "file"},
    "content": {"type": "str"},
    "src": {"type": "str"},
    "owner": {"type": "str"},
    "group": {"type": "str"},
    "mode": {"type": "raw"},
    "follow": {"type": "bool", "default": False},
}
ARGUMENT_SPEC = {"paths": {"type": "list", "elements": "dict", "required": True, "options": ENTRY}}


class WrongType(Exception):
    """The path exists as another type than the one asked for."""


def kind(path):
    """What is at the path: 'link', 'directory', 'file', another type's name, or None."""
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "directory"
    return "file" if stat.S_ISREG(mode) else "special"


def expect(path, wanted, found, follow=False):
    if found not in (None, wanted) and not (follow and wanted == "directory" and found == "link" and os.path.isdir(path)):
        raise WrongType(f"{path} is a {found}, not a {wanted}")


def remove(path):
    if kind(path) == "directory":
        shutil.rmtree(path)
    elif kind(path) is not None:
        os.unlink(path)


class Journal:
    """What each change replaced, kept under a hidden name beside it: put back on undo, dropped on commit."""

    def __init__(self):
        self.undo_steps, self.commit_steps = [], []

    def _saved(self, path):
        """A hidden name beside the path, its own for each change: a path may change twice in one call."""
        saved = os.path.join(os.path.dirname(path),
                             f".wsgi-stack-undo.{os.path.basename(path)}.{os.getpid()}.{len(self.undo_steps)}")
        remove(saved)
        return saved

    def created(self, path):
        self.undo_steps.append(lambda: remove(path))

    def replacing(self, path):
        """Before a file or link is swapped: a second name keeps the old one, owner and mode included."""
        saved = self._saved(path)
        os.link(path, saved, follow_symlinks=False)
        self.undo_steps.append(lambda: os.rename(saved, path))
        # A later entry may have moved the directory it is in aside: remove() finds nothing there then.
        self.commit_steps.append(lambda: remove(saved))

    def removing(self, path):
        """Instead of a removal: the path goes aside, whole, until the commit."""
        saved = self._saved(path)
        os.rename(path, saved)
        self.undo_steps.append(lambda: os.rename(saved, path))
        self.commit_steps.append(lambda: remove(saved))

    def retouching(self, path):
        """Before owner or mode change in place."""
        before = os.lstat(path)
        self.undo_steps.append(lambda: (os.chown(path, before.st_uid, before.st_gid),
                                        os.chmod(path, stat.S_IMODE(before.st_mode))))

    def undo(self):
        """Every step, in reverse; the errors of those that failed, so that one does not stop the others."""
        return self._run(reversed(self.undo_steps))

    def commit(self):
        return self._run(self.commit_steps)

    @staticmethod
    def _run(steps):
        errors = []
        for step in steps:
            try:
                step()
            except OSError as error:
                errors.append(to_native(error))
        return errors


class Applier:
    """Applies entries for a module; with a journal, every change can be undone until the journal commits."""

    def __init__(self, module, journal=None):
        self.module, self.journal, self.diff = module, journal, []

    def _record(self, method, path):
        if self.journal is not None and not self.module.check_mode:
            getattr(self.journal, method)(path)

    def directory(self, entry):
        path = entry["path"]
        found = kind(path)
        expect(path, "directory", found, entry["follow"])
        if found is None and not self.module.check_mode:
            missing = path
            while kind(os.path.dirname(missing)) is None and os.path.dirname(missing) != missing:
                missing = os.path.dirname(missing)
            os.makedirs(path)
            self._record("created", missing)
        return found is None

    def regular_file(self, entry):
        path = entry["path"]
        found = kind(path)
        expect(path, "file", found)
        content = to_bytes(entry["content"] or "", errors="surrogate_or_strict")
        if found:
            with open(path, "rb") as handle:
                before = handle.read()
            if before == content:
                return False
        self.diff.append({"before_header": path, "after_header": path,
                          "before": "" if not found else before.decode(errors="replace"),
                          "after": content.decode(errors="replace")})
        if not self.module.check_mode:
            handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".wsgi-stack.")
            with os.fdopen(handle, "wb") as out:
                out.write(content)
            if found:
                self._record("replacing", path)
            self.module.atomic_move(temporary, path)
            if not found:
                self._record("created", path)
        return True

    def link(self, entry):
        path, src = entry["path"], entry["src"]
        found = kind(path)
        expect(path, "link", found)
        if found and os.readlink(path) == src:
            return False
        if not self.module.check_mode:
            temporary = os.path.join(os.path.dirname(path), f".wsgi-stack.{os.path.basename(path)}.{os.getpid()}")
            remove(temporary)
            os.symlink(src, temporary)
            if found:
                self._record("replacing", path)
            os.rename(temporary, path)
            if not found:
                self._record("created", path)
        return True

    def absent(self, entry):
        path = entry["path"]
        if kind(path) is None:
            return False
        if not self.module.check_mode:
            if self.journal is not None:
                self.journal.removing(path)
            else:
                remove(path)
        return True

    def attributes(self, entry, changed):
        """Owner, group and mode, where they differ; in check mode, whether they would."""
        if entry["state"] not in ("directory", "file") or (self.module.check_mode and changed):
            return changed
        # Followed only when asked: a link another user made would hand its target to the owner given.
        path = os.path.realpath(entry["path"]) if entry["follow"] and kind(entry["path"]) == "link" else entry["path"]
        if not changed:
            self._record("retouching", path)
        wanted = {"path": path, "owner": entry["owner"], "group": entry["group"], "mode": entry["mode"],
                  "secontext": [None, None, None, None], "attributes": None}
        return self.module.set_fs_attributes_if_different(wanted, changed)

    def apply(self, entry):
        state = entry["state"]
        changed = (self.directory(entry) if state == "directory" else self.regular_file(entry) if state == "file"
                   else self.link(entry) if state == "link" else self.absent(entry))
        return self.attributes(entry, changed)

    def apply_all(self, entries):
        """The paths that changed; fails the module at the first error, with the paths changed before it, or with
        none once the journal has put them back."""
        changed_paths = []
        try:
            for entry in entries:
                if self.apply(entry):
                    changed_paths.append(entry["path"])
        except (WrongType, OSError) as error:
            if self.journal is None or self.module.check_mode:
                self.module.fail_json(msg=to_native(error), changed_paths=changed_paths)
            self.fail_undone(to_native(error))
        except SystemExit:
            # The module's own helpers (a mode it cannot parse) fail it themselves: undo all the same.
            if self.journal is not None and not self.module.check_mode:
                self.journal.undo()
            raise
        return changed_paths

    def fail_undone(self, message, **result):
        """Put back what the journal holds, and fail saying whether everything came back."""
        errors = self.journal.undo()
        back = ("not everything could be put back: " + "; ".join(errors)) if errors else \
            "The files are back as they were before this run."
        self.module.fail_json(msg=f"{message} {back}", changed_paths=[], **result)


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
                expect(path, state, found, entry["follow"])
            except WrongType as error:
                module.fail_json(msg=to_native(error), changed_paths=[])
        planned[path] = None if state == "absent" else state
