# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
name: env_file_value
short_description: A value quoted for a systemd environment file
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - Returns the value as a double-quoted string that systemd's C(EnvironmentFile=) and a POSIX shell both read back
    as the same characters, whatever they are (quotes, C($), backquotes, backslashes, C(#), spaces).
  - A number or boolean is written as Python's C(str) of it.
  - A value with a line break or a NUL character is refused; one line is one variable.
options:
  _input:
    description: The value.
    type: raw
    required: true
"""

EXAMPLES = """
- name: Write the app's environment file
  ansible.builtin.copy:
    dest: /etc/hello/env
    content: |
      {% for name, value in flask_app_env | dictsort %}
      {{ name }}={{ value | wsgi.stack.env_file_value }}
      {% endfor %}
    mode: "0640"
  no_log: true
"""

RETURN = """
_value:
  description: The quoted value, quotes included.
  type: str
"""

from ansible.errors import AnsibleFilterError

# Inside double quotes, a backslash makes these four characters literal, for systemd as for the shell.
ESCAPED = {"\\": "\\\\", '"': '\\"', "$": "\\$", "`": "\\`"}


def env_file_value(value):
    if not isinstance(value, (str, int, float, bool)):
        raise AnsibleFilterError("env_file_value takes a string, number or boolean")
    text = str(value)
    if any(character in text for character in "\n\r\0"):
        raise AnsibleFilterError("env_file_value takes one line: a line break or NUL would end or cut the variable")
    return '"' + "".join(ESCAPED.get(character, character) for character in text) + '"'


class FilterModule:
    def filters(self):
        return {"env_file_value": env_file_value}
