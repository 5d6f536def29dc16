# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
name: ip_address
short_description: Whether a value is one IPv4 or IPv6 address, or with O(network) a network in CIDR form too
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - True for an address as Python's C(ipaddress) reads it (V(10.0.0.10), V(2001:db8::1)), without brackets, a zone
    or spaces; with O(network), also for a network (V(10.0.0.0/24), V(2001:db8::/64)) whose host bits are zero.
  - False for anything else, a host name and a string with a line break included, so the value can go into a
    configuration line as it is.
options:
  _input:
    description: The value to look at.
    type: raw
    required: true
  network:
    description: Accept a network in CIDR form too.
    type: bool
    default: false
"""

EXAMPLES = """
- name: Only addresses and networks may reach the app server
  ansible.builtin.assert:
    that: flask_app_listen_allow | reject('wsgi.stack.ip_address', network=true) | list == []
"""

RETURN = """
_value:
  description: Whether the value is an address (or a network, with O(network)).
  type: bool
"""

import ipaddress


def ip_address(value, network=False):
    if not isinstance(value, str) or value != value.strip() or "%" in value:
        return False
    try:
        if network and "/" in value:
            ipaddress.ip_network(value, strict=True)
        else:
            ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


class TestModule:
    def tests(self):
        return {"ip_address": ip_address}
