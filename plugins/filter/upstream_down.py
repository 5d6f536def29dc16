# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
name: upstream_down
short_description: The app hosts a balancer marks down while some of them deploy
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - Given the servers of an nginx upstream (as M(wsgi.stack.upstream_members) lists them), the hosts taken out for
    their deploy and the upstream's configuration as nginx has it now, returns the hosts to mark C(down).
  - Those are the hosts taken out, and the hosts whose address the configuration does not hold yet (added to the
    group, and not deployed until the web hosts' own run adds them).
  - Returns C(none) when no server would be left to answer (backups count), and the balancer is then left as it is.
options:
  _input:
    description: The upstream's servers, each with at least C(host) and C(address).
    type: list
    elements: dict
    required: true
  out:
    description: Inventory names of the hosts taken out; V([]) takes none out.
    type: list
    elements: str
    required: true
  current:
    description: The upstream's configuration file as it is on the web host.
    type: str
    required: true
"""

EXAMPLES = """
- name: Show which app hosts lb1 would mark down while app1 deploys
  ansible.builtin.debug:
    msg: "{{ hostvars['lb1'].__nginx_balancer.members | wsgi.stack.upstream_down(['app1'], upstream_file_text) }}"
"""

RETURN = """
_value:
  description: Inventory names, in the upstream's order, or C(none).
  type: list
  elements: str
"""

import re

from ansible.errors import AnsibleFilterError

SERVER = re.compile(r"^\s*server\s+([^\s;]+)", re.MULTILINE)


def upstream_down(members, out, current):
    if not isinstance(current, str):
        raise AnsibleFilterError("upstream_down needs the upstream's current configuration as text")
    if isinstance(out, str) or not all(isinstance(host, str) for host in out):
        raise AnsibleFilterError("upstream_down takes a list of inventory host names to take out")
    present = set(SERVER.findall(current))
    down = [member["host"] for member in members
            if member["host"] and (member["host"] in out or member["address"] not in present)]
    if len(down) == len(members):
        return None
    return down


class FilterModule:
    def filters(self):
        return {"upstream_down": upstream_down}
