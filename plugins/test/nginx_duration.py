# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
name: nginx_duration
short_description: Whether a value is a time as nginx reads it
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - >-
    True for a whole number with an optional unit C(ms), C(s), C(m), C(h), C(d), C(w), C(M) or C(y) (C(10m), C(1h)),
    or an integer (seconds).
  - >-
    A combined time such as C(1h30m) is refused: write it in the smaller unit (C(90m)).
options:
  _input:
    description: The value to look at.
    type: raw
    required: true
"""

EXAMPLES = """
- name: A cache entry's idle time
  ansible.builtin.assert:
    that: nginx_cache_inactive is wsgi.stack.nginx_duration
"""

RETURN = """
_value:
  description: Whether the value is a time nginx reads.
  type: bool
"""

import re

from ansible_collections.wsgi.stack.plugins.plugin_utils.values import as_written

DURATION = re.compile(r"[0-9]+(ms|s|m|h|d|w|M|y)?\Z")


def nginx_duration(value):
    text = as_written(value)
    return text is not None and DURATION.match(text) is not None


class TestModule:
    def tests(self):
        return {"nginx_duration": nginx_duration}
