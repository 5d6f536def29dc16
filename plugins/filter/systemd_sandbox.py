# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
name: systemd_sandbox
short_description: The systemd directives that confine an app server's service
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - Returns the lines of a C([Service]) section that confine a Flask app's server (gunicorn or uWSGI) run as an
    unprivileged user. The file system is read-only but the given paths; devices, kernel and control group settings
    and capabilities are out of reach; sockets are internet and local ones only; system calls those of an ordinary
    service.
  - C(systemd-analyze security) scores such a unit 2.0 or less, "OK".
  - A comment precedes each line that needs a reason.
options:
  _input:
    description: The directories the service may write to, each an absolute path; the first is the app's data.
    type: list
    elements: path
    required: true
  memory_deny_write_execute:
    description:
      - Whether memory may never be both writable and executable.
      - Off only for an app that builds machine code at run time (a JIT such as numba's, or libffi closures).
    type: bool
    default: true
"""

EXAMPLES = """
- name: Write the unit
  ansible.builtin.copy:
    dest: /etc/systemd/system/gunicorn-hello.service
    content: |
      [Service]
      ExecStart=/srv/hello/gunicorn/bin/gunicorn --config /etc/hello/gunicorn.conf.py
      {{ ['/var/lib/hello'] | wsgi.stack.systemd_sandbox | join('\\n') }}
"""

RETURN = """
_value:
  description: The lines, without line ends.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

# Comments say why, where a directive alone does not.
CONFINEMENT = [
    "NoNewPrivileges=true",
    "# /tmp, /var/tmp and /dev/shm are the service's own, empty at each start (a private /dev still holds the shared",
    "# /dev/shm); the rest of the file system is read-only but the paths written last.",
    "PrivateTmp=true",
    "TemporaryFileSystem=/dev/shm:mode=1777,nosuid,nodev",
    "PrivateDevices=true",
    "ProtectSystem=strict",
    "# Read-only again: /proc's and /sys's protections below leave a /run of its own (a container's) writable; the",
    "# runtime directory stays writable.",
    "ReadOnlyPaths=/run",
    "ProtectHome=true",
    "ProtectKernelTunables=true",
    "ProtectKernelModules=true",
    "ProtectKernelLogs=true",
    "ProtectControlGroups=true",
    "ProtectClock=true",
    "ProtectHostname=true",
    "# Other users' processes are hidden, and of /proc only the processes are left (no meminfo, loadavg or stat).",
    "ProtectProc=invisible",
    "ProcSubset=pid",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
    "RestrictNamespaces=true",
    "RestrictRealtime=true",
    "RestrictSUIDSGID=true",
    "LockPersonality=true",
    "RemoveIPC=true",
    "# An unprivileged user needs no capability.",
    "CapabilityBoundingSet=",
    "SystemCallArchitectures=native",
    "# @resources stays allowed: uWSGI raises its own limit of open files (max-fd).",
    "SystemCallFilter=@system-service",
    "SystemCallFilter=~@privileged",
    "SystemCallErrorNumber=EPERM",
    "UMask=0027",
    "# PrivateUsers= is left out: it fails where the host is itself a container.",
]


def systemd_sandbox(writable_paths, memory_deny_write_execute=True):
    if not isinstance(writable_paths, (list, tuple)) or not writable_paths:
        raise AnsibleFilterError("systemd_sandbox takes a non-empty list of directories")
    for path in writable_paths:
        # systemd expands % specifiers in paths.
        if not isinstance(path, str) or not path.startswith("/") or any(c.isspace() or c == "%" for c in path):
            raise AnsibleFilterError(f"systemd_sandbox: {path!r} is not an absolute path without spaces or '%'")
    try:
        deny_write_execute = boolean(memory_deny_write_execute, strict=True)
    except TypeError as error:
        raise AnsibleFilterError(f"systemd_sandbox: memory_deny_write_execute {error}") from error
    lines = list(CONFINEMENT)
    if deny_write_execute:
        lines.append("MemoryDenyWriteExecute=true")
    lines.append("ReadWritePaths=" + " ".join(writable_paths))
    return lines


class FilterModule:
    def filters(self):
        return {"systemd_sandbox": systemd_sandbox}
