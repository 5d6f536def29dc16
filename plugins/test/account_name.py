# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
name: account_name
short_description: Whether a value can name a system user or group
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - True for 1 to 32 lowercase letters, digits, C(_) or C(-), starting with a letter or C(_), such as C(hello) or
    C(www-data), the names Debian's C(useradd) and C(groupadd) accept without forcing.
  - The name goes into systemd units and configuration files, so nothing else is let through, not even a trailing
    newline.
options:
  _input:
    description: The value to look at.
    type: raw
    required: true
"""

EXAMPLES = """
- name: Refuse user and group names that could write more than a name into a unit
  ansible.builtin.assert:
    that: "[flask_app_user, flask_app_group] | reject('wsgi.stack.account_name') | list == []"
"""

RETURN = """
_value:
  description: Whether the value is a valid user or group name.
  type: bool
"""

import re

ACCOUNT_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}\Z")


def account_name(value):
    return isinstance(value, str) and ACCOUNT_NAME.match(value) is not None


class TestModule:
    def tests(self):
        return {"account_name": account_name}
