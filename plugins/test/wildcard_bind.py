# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
name: wildcard_bind
short_description: Whether a value binds a port on every address of the machine
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - True for C(:PORT), C(*:PORT), C(0.0.0.0:PORT) and C([::]:PORT) in any spelling of the unspecified address
    (C([::0]), C([0:0::0]), C([::ffff:0.0.0.0]), C([::ffff:0:0])).
  - Used on free-form settings such as C(uwsgi_extra_settings), whose values must not open a socket the roles refuse.
options:
  _input:
    description: The value to look at.
    type: raw
    required: true
"""

EXAMPLES = """
- name: No extra setting may bind every address
  ansible.builtin.assert:
    that: uwsgi_extra_settings.values() | select('wsgi.stack.wildcard_bind') | list | length == 0
"""

RETURN = """
_value:
  description: Whether the value is a bind on a wildcard address.
  type: bool
"""

from ansible_collections.wsgi.stack.plugins.plugin_utils.binds import binds_every_address, split_host_port


def wildcard_bind(value):
    # uWSGI takes several binds in one value, separated by commas.
    for bind in str(value).split(","):
        parsed = split_host_port(bind.strip())
        if parsed is not None and binds_every_address(parsed[0]):
            return True
    return False


class TestModule:
    def tests(self):
        return {"wildcard_bind": wildcard_bind}
