# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
name: listen_address
short_description: Whether a value is a bind an app server may listen on
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - True for C(unix:/run/PATH.sock), or for C(ADDRESS:PORT) where ADDRESS is one IPv4 address or one IPv6 address in
    brackets and PORT is from 1 to 65535.
  - False for wildcard addresses in any spelling (C(0.0.0.0), C([::]), C([::0]), C([::ffff:0.0.0.0])), for host
    names (systemd socket units cannot resolve them), for a missing address and for anything after the port,
    including a trailing newline.
options:
  _input:
    description: The bind, as C(flask_app_listen) takes it.
    type: str
    required: true
  unix:
    description: Whether a unix socket is accepted.
    type: bool
    default: true
"""

EXAMPLES = """
- name: Refuse a bind on every address
  ansible.builtin.assert:
    that: flask_app_listen is wsgi.stack.listen_address
    fail_msg: "flask_app_listen must be unix:/run/NAME.sock or ADDRESS:PORT with a specific address"

- name: Only TCP here
  ansible.builtin.assert:
    that: "'127.0.0.1:8001' is wsgi.stack.listen_address(unix=false)"
"""

RETURN = """
_value:
  description: Whether the value is a specific bind.
  type: bool
"""

from ansible_collections.wsgi.stack.plugins.plugin_utils.binds import (
    UNIX_SOCKET, binds_every_address, ip_of, split_host_port)


def listen_address(value, unix=True):
    if isinstance(value, str) and UNIX_SOCKET.fullmatch(value):
        return bool(unix)
    parsed = split_host_port(value)
    if parsed is None:
        return False
    host, port = parsed
    return ip_of(host) is not None and not binds_every_address(host) and 1 <= port <= 65535


class TestModule:
    def tests(self):
        return {"listen_address": listen_address}
