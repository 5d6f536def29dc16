# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
name: clean_path
short_description: Whether a value is an absolute path in its normal form, safe to write into a config file
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - True for an absolute path of letters, digits, C(.), C(_), C(-) and C(/) that normalising leaves unchanged.
  - False for C(//), a trailing C(/), C(.) or C(..) parts, repeated slashes, relative paths, and any other character
    (spaces, quotes, C(;), a newline) that could end a directive in nginx, systemd or an app server's config.
options:
  _input:
    description: The path.
    type: str
    required: true
"""

EXAMPLES = """
- name: Check a directory before it lands in an alias directive
  ansible.builtin.assert:
    that: nginx_static_dir is wsgi.stack.clean_path
"""

RETURN = """
_value:
  description: Whether the path is absolute, normalised and made of safe characters.
  type: bool
"""

import posixpath
import re

SAFE = re.compile(r"/[A-Za-z0-9._/-]*")


def clean_path(value):
    if not isinstance(value, str) or not SAFE.fullmatch(value):
        return False
    # normpath keeps a leading '//' (POSIX leaves its meaning open): refuse it here.
    return posixpath.normpath(value) == value and not value.startswith("//")


class TestModule:
    def tests(self):
        return {"clean_path": clean_path}
