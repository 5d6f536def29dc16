# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
name: dotted_version
short_description: Whether a value is a release version of digits and dots
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - >-
    True for C(27.0.1) or C(2.0.28): numbers separated by single dots, as pip pins a release with C(==).
options:
  _input:
    description: The value to look at.
    type: raw
    required: true
"""

EXAMPLES = """
- name: Pin gunicorn to a release
  ansible.builtin.assert:
    that: gunicorn_version is wsgi.stack.dotted_version
"""

RETURN = """
_value:
  description: Whether the value is a dotted version.
  type: bool
"""

import re

VERSION = re.compile(r"[0-9]+(\.[0-9]+)*\Z")


def dotted_version(value):
    return isinstance(value, str) and VERSION.match(value) is not None


class TestModule:
    def tests(self):
        return {"dotted_version": dotted_version}
