# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
name: whole_number
short_description: Whether a value is a whole number within bounds
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - >-
    True for an integer or a string of decimal digits (C(8), V('8')) from O(minimum) to O(maximum).
  - >-
    False for a boolean, a float, a sign, spaces or a trailing newline: the value is written into configuration
    files as it is.
options:
  _input:
    description: The value to look at.
    type: raw
    required: true
  minimum:
    description: The smallest number accepted.
    type: int
    default: 0
  maximum:
    description: The largest number accepted; none when not set.
    type: int
"""

EXAMPLES = """
- name: At least one process
  ansible.builtin.assert:
    that:
      - uwsgi_processes is wsgi.stack.whole_number(1)
      - nginx_http_port is wsgi.stack.whole_number(1, 65535)
"""

RETURN = """
_value:
  description: Whether the value is a whole number from O(minimum) to O(maximum).
  type: bool
"""

import re

from ansible_collections.wsgi.stack.plugins.plugin_utils.values import as_written

DIGITS = re.compile(r"[0-9]+\Z")


def whole_number(value, minimum=0, maximum=None):
    text = as_written(value)
    if text is None or DIGITS.match(text) is None:
        return False
    return int(text) >= minimum and (maximum is None or int(text) <= maximum)


class TestModule:
    def tests(self):
        return {"whole_number": whole_number}
