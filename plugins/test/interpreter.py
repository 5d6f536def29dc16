# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
name: interpreter
short_description: Whether a value names a Python interpreter to run
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - >-
    True for a command name (C(python3), C(python3.12)) or an absolute path (C(/opt/python/bin/python3)) of letters,
    digits, C(_), C(.), C(/) and C(-), not starting with C(-).
  - >-
    It is run as a command and written into units: nothing that a shell or an option parser would read otherwise
    gets through.
options:
  _input:
    description: The value to look at.
    type: raw
    required: true
"""

EXAMPLES = """
- name: Refuse an interpreter that is not a plain command
  ansible.builtin.assert:
    that: flask_app_python is wsgi.stack.interpreter
"""

RETURN = """
_value:
  description: Whether the value is a plain interpreter name or path.
  type: bool
"""

import re

INTERPRETER = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./-]*\Z")


def interpreter(value):
    return isinstance(value, str) and INTERPRETER.match(value) is not None


class TestModule:
    def tests(self):
        return {"interpreter": interpreter}
