# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
name: upstream_members
short_description: The servers of an nginx upstream, from the hosts that run the app
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - Returns one entry per host, in the order given, with the address the host's app server listens on
    (its C(flask_app_listen)), the app server and its protocol (C(flask_app_server), C(uwsgi_protocol)), so that
    a balancer can check it speaks the same, and its balancing settings (C(nginx_upstream_weight),
    C(nginx_upstream_backup), C(nginx_upstream_max_fails), C(nginx_upstream_fail_timeout)).
  - A setting the host's own variables leave out takes the value of O(defaults); so does the address, which a host
    reached over the network must set itself.
  - Values are returned as they are written; the nginx role checks them.
options:
  _input:
    description: Inventory host names, for example C(groups['app']).
    type: list
    elements: str
    required: true
  hostvars:
    description: Ansible's C(hostvars).
    type: dict
    required: true
  defaults:
    description:
      - The values for a host that does not set its own, keyed C(address), C(server), C(uwsgi_protocol),
        C(weight), C(backup), C(max_fails) and C(fail_timeout); C(address) may be C(none).
    type: dict
    required: true
"""

EXAMPLES = """
- name: Show the servers nginx balances over
  ansible.builtin.debug:
    msg: >-
      {{ groups['app'] | wsgi.stack.upstream_members(hostvars, {'address': none, 'server': 'gunicorn',
         'uwsgi_protocol': 'uwsgi', 'weight': 1, 'backup': false, 'max_fails': 1, 'fail_timeout': 10}) }}
"""

RETURN = """
_value:
  description: One entry per host.
  type: list
  elements: dict
  contains:
    host:
      description: The inventory name.
      type: str
    address:
      description: C(ADDRESS:PORT) or C(unix:PATH); C(none) where neither the host nor O(defaults) has one.
      type: str
    server:
      description: The host's app server, C(gunicorn) or C(uwsgi).
      type: str
    uwsgi_protocol:
      description: What uWSGI speaks on the host's address, C(uwsgi) or C(http).
      type: str
    weight:
      description: The host's share of requests.
      type: int
    backup:
      description: Whether the host is asked only when every other one is down.
      type: bool
    max_fails:
      description: Failed attempts within C(fail_timeout) that take the host out for C(fail_timeout) seconds.
      type: int
    fail_timeout:
      description: Seconds.
      type: int
"""

from ansible.errors import AnsibleFilterError

# Each entry's key, and the variable a host sets it with.
SETTINGS = {
    "address": "flask_app_listen",
    "server": "flask_app_server",
    "uwsgi_protocol": "uwsgi_protocol",
    "weight": "nginx_upstream_weight",
    "backup": "nginx_upstream_backup",
    "max_fails": "nginx_upstream_max_fails",
    "fail_timeout": "nginx_upstream_fail_timeout",
}


def upstream_members(hosts, hostvars, defaults):
    if isinstance(hosts, (str, bytes)) or not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("upstream_members takes a list of inventory host names")
    missing = sorted(set(SETTINGS) - set(defaults))
    if missing:
        raise AnsibleFilterError(f"upstream_members needs defaults for {', '.join(missing)}")
    unknown = [host for host in hosts if host not in hostvars]
    if unknown:
        raise AnsibleFilterError(f"upstream_members: not in the inventory: {', '.join(unknown)}")
    members = []
    for host in hosts:
        variables = hostvars[host]
        member = {"host": host}
        for key, variable in SETTINGS.items():
            member[key] = variables[variable] if variable in variables else defaults[key]
        members.append(member)
    return members


class FilterModule:
    def filters(self):
        return {"upstream_members": upstream_members}
