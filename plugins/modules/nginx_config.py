#!/usr/bin/python
# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
module: nginx_config
short_description: nginx's configuration files written as one transaction, kept only if nginx -t passes
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - Puts a list of paths into their states as M(wsgi.stack.files) does, in one round trip, then tests the whole
    configuration with O(test_command). When the test fails, every path is put back as it was before the call
    (content, link target, owner and mode; a removed file or directory comes back, a new one goes) and the module
    fails with the test's own message; nothing it wrote is left for a later reload or restart to read.
  - Until the test passes, whatever a change replaced is kept under a hidden name beside it (C(.wsgi-stack-undo.*)),
    which nginx's C(include DIR/*) never reads; it is removed once the test passes.
  - The test runs on every real run, whether a path changed or not, so a configuration another hand broke is
    reported before anything reloads nginx. The running nginx is never signalled; reload it in a handler.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - wsgi.stack.paths
options:
  test_command:
    description: The command that tests the whole configuration as the paths leave it, and its arguments.
    type: list
    elements: str
    default: [nginx, -t]
attributes:
  check_mode:
    support: full
    details: Reports what would change; the test does not run, since the files it would test are not written.
  diff_mode:
    support: partial
    details: Lists the paths that change and, for a file, its content before and after.
  platform:
    platforms: posix
notes:
  - Every entry is checked, and the test command looked up, before any change. A failure while applying (the
    filesystem's, or a mode the module cannot parse) puts back what was changed before it, as a failed test does.
  - In check mode nothing is tested; a configuration broken by another hand shows only in a real run.
seealso:
  - module: wsgi.stack.files
"""

EXAMPLES = """
- name: Write nginx's configuration, enable the site and remove the default one
  wsgi.stack.nginx_config:
    paths:
      - {path: /etc/nginx/sites-available/app.conf, content: "{{ lookup('ansible.builtin.template', 'app.conf.j2') }}",
         owner: root, group: root, mode: "0644"}
      - {path: /etc/nginx/sites-enabled/app.conf, state: link, src: /etc/nginx/sites-available/app.conf}
      - {path: /etc/nginx/sites-enabled/default, state: absent}
  notify: nginx config changed
"""

RETURN = """
changed_paths:
  description: The paths that changed (or would change in check mode), in the order given; empty when the test failed.
  type: list
  elements: str
  returned: always
  sample: [/etc/nginx/sites-available/app.conf]
test_stderr:
  description: What the test printed on its standard error (nginx -t writes its verdict there).
  type: str
  returned: when the test ran
  sample: "nginx: configuration file /etc/nginx/nginx.conf test is successful"
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.wsgi.stack.plugins.module_utils.paths import ARGUMENT_SPEC, Applier, Journal, check


def main():
    module = AnsibleModule(
        argument_spec={**ARGUMENT_SPEC, "test_command": {"type": "list", "elements": "str", "default": ["nginx", "-t"]}},
        supports_check_mode=True,
    )
    test = module.params["test_command"]
    # Found before any change: a test that cannot run must not leave untested files behind.
    command = [module.get_bin_path(test[0], required=not module.check_mode) or test[0], *test[1:]]
    check(module, module.params["paths"])
    applier = Applier(module, Journal())
    changed_paths = applier.apply_all(module.params["paths"])
    if module.check_mode:
        module.exit_json(changed=bool(changed_paths), changed_paths=changed_paths, diff=applier.diff)
    try:
        rc, out, err = module.run_command(command)
    except SystemExit:
        # The command could not be run at all (run_command fails the module itself): nothing untested stays.
        applier.journal.undo()
        raise
    if rc != 0:
        fault = f"{' '.join(test)} failed: {(err or out).strip()}"
        if changed_paths:
            applier.fail_undone(fault, test_stderr=err)
        module.fail_json(msg=fault, changed_paths=[], test_stderr=err)
    leftovers = applier.journal.commit()
    if leftovers:
        module.warn("hidden copies of the files before this run could not be removed: " + "; ".join(leftovers))
    module.exit_json(changed=bool(changed_paths), changed_paths=changed_paths, diff=applier.diff, test_stderr=err)


if __name__ == "__main__":
    main()
