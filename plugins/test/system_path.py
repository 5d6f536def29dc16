# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
name: system_path
short_description: Whether a path is a directory of the operating system, or above or inside one
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - True for C(/), for a path inside a tree the system owns (C(/etc), C(/root), C(/boot), C(/dev), C(/proc),
    C(/sys), C(/run), C(/usr), C(/bin), C(/sbin), C(/lib*), C(/var/lib), C(/var/log), C(/var/cache), C(/var/spool),
    C(/var/backups), C(/var/mail)) and for a directory that holds other people's data (C(/home), C(/srv), C(/opt),
    C(/var), C(/var/www), C(/tmp), C(/var/tmp), C(/mnt), C(/media) themselves, and C(/home/USER)).
  - Expects a path that passed P(wsgi.stack.clean_path#test); anything else counts as a system path.
  - Used to refuse directories that nginx would serve to anyone or that a role would delete.
options:
  _input:
    description: An absolute, normalised path.
    type: str
    required: true
"""

EXAMPLES = """
- name: Never serve a system directory
  ansible.builtin.assert:
    that: nginx_static_dir is not wsgi.stack.system_path
"""

RETURN = """
_value:
  description: Whether the path is, holds or lies inside a system directory.
  type: bool
"""

from ansible_collections.wsgi.stack.plugins.test.clean_path import clean_path

SYSTEM_TREES = (
    "/etc", "/root", "/boot", "/dev", "/proc", "/sys", "/run", "/usr", "/bin", "/sbin",
    "/lib", "/lib32", "/lib64", "/libx32",
    "/var/lib", "/var/log", "/var/cache", "/var/spool", "/var/backups", "/var/mail",
)
SHARED_PARENTS = ("/home", "/srv", "/opt", "/var", "/var/www", "/tmp", "/var/tmp", "/mnt", "/media")


def system_path(value):
    if not clean_path(value):
        return True
    if value == "/" or value in SHARED_PARENTS or value.rsplit("/", 1)[0] == "/home":
        return True
    return any(value == tree or value.startswith(tree + "/") or tree.startswith(value + "/") for tree in SYSTEM_TREES)


class TestModule:
    def tests(self):
        return {"system_path": system_path}
