# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
name: nginx_size
short_description: Whether a value is a size as nginx reads it
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - >-
    True for a whole number of bytes with an optional unit, C(k), C(m) or C(g) in either case (C(10m), C(512k),
    C(1G)), or an integer.
  - >-
    nginx reads these for C(client_max_body_size) and the cache's sizes.
options:
  _input:
    description: The value to look at.
    type: raw
    required: true
  units:
    description: The units accepted, lowercase (the uppercase ones are accepted with them).
    type: str
    default: kmg
"""

EXAMPLES = """
- name: A body size nginx reads
  ansible.builtin.assert:
    that: nginx_client_max_body_size is wsgi.stack.nginx_size
"""

RETURN = """
_value:
  description: Whether the value is a size nginx reads.
  type: bool
"""

import re

from ansible_collections.wsgi.stack.plugins.plugin_utils.values import as_written


def nginx_size(value, units="kmg"):
    text = as_written(value)
    pattern = "[0-9]+[" + re.escape(units.lower() + units.upper()) + "]?\\Z"
    return text is not None and re.match(pattern, text) is not None


class TestModule:
    def tests(self):
        return {"nginx_size": nginx_size}
