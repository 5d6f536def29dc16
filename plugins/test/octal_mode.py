# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
name: octal_mode
short_description: Whether a value is a file mode written in octal with its leading zero
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - >-
    True for a string such as V('0660'): a zero, then three octal digits.
  - >-
    An unquoted 0660 in YAML is the integer 432, which would give another mode: a number is refused, so that the
    message tells the user to quote it.
options:
  _input:
    description: The value to look at.
    type: raw
    required: true
"""

EXAMPLES = """
- name: A socket mode as a quoted octal string
  ansible.builtin.assert:
    that: gunicorn_socket_mode is wsgi.stack.octal_mode
"""

RETURN = """
_value:
  description: Whether the value is a quoted octal mode.
  type: bool
"""

import re

MODE = re.compile(r"0[0-7]{3}\Z")


def octal_mode(value):
    return isinstance(value, str) and MODE.match(value) is not None


class TestModule:
    def tests(self):
        return {"octal_mode": octal_mode}
