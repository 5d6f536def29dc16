#!/usr/bin/python
# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
module: files
short_description: Directories, files, links and removals, in one round trip
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - Puts a list of paths into the state given for each, in order, in one call on the host instead of one call per
    path, so a run that changes nothing costs one round trip for the whole list.
  - A file is written only when its content differs, through a temporary file renamed over it; a link is swapped the
    same way, so a reader never finds the path missing.
  - Owner, group and mode are set only where they differ, as M(ansible.builtin.file) sets them; a link is never
    followed unless an entry asks (O(paths[].follow)).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - wsgi.stack.paths
attributes:
  check_mode:
    support: full
  diff_mode:
    support: partial
    details: Lists the paths that change and, for a file, its content before and after.
  platform:
    platforms: posix
notes:
  - Every entry is checked before any change, against the tree as the earlier entries leave it (a path an earlier
    V(absent) entry removes is free for a link). A path of another type than the one asked for (a directory where
    a file or a link goes), an owner or group the host does not know, a file without content or a link without src
    fail the module with nothing changed. It never removes a directory to put something else in its place.
  - A failure of the filesystem itself (a full disk) while applying stops at that path, and what came before it stays.
seealso:
  - module: wsgi.stack.nginx_config
"""

EXAMPLES = """
- name: Make the app's directories, write its environment file and link its current release
  wsgi.stack.files:
    paths:
      - {path: /srv/hello/shared, state: directory, owner: hello, group: hello, mode: "0750"}
      - {path: /srv/hello/shared/app.env, content: "GREETING=hello\\n", owner: root, group: hello, mode: "0640"}
      - {path: /srv/hello/current, state: link, src: /srv/hello/releases/640a3c4e2108}
      - {path: /srv/hello/old.env, state: absent}
"""

RETURN = """
changed_paths:
  description: The paths that changed (or would change in check mode), in the order given.
  type: list
  elements: str
  returned: always
  sample: [/etc/nginx/conf.d/app.conf]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.wsgi.stack.plugins.module_utils.paths import ARGUMENT_SPEC, Applier, check


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    check(module, module.params["paths"])
    applier = Applier(module)
    changed_paths = applier.apply_all(module.params["paths"])
    module.exit_json(changed=bool(changed_paths), changed_paths=changed_paths, diff=applier.diff)


if __name__ == "__main__":
    main()
