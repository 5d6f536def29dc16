# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
name: app_name
short_description: Whether a value can name an app in file, unit and directory names
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - True for 1 to 32 lowercase letters, digits, C(_) or C(-), starting with a letter, such as C(hello) or C(shop-api).
  - The name goes into paths (C(/srv/NAME), C(/etc/NAME)), systemd unit names and nginx's configuration, so nothing
    else is let through, not even a trailing newline.
options:
  _input:
    description: The value to look at.
    type: raw
    required: true
"""

EXAMPLES = """
- name: Refuse an app name that cannot name files and units
  ansible.builtin.assert:
    that: flask_app_name is wsgi.stack.app_name
"""

RETURN = """
_value:
  description: Whether the value is a valid app name.
  type: bool
"""

import re

APP_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}\Z")


def app_name(value):
    return isinstance(value, str) and APP_NAME.match(value) is not None


class TestModule:
    def tests(self):
        return {"app_name": app_name}
