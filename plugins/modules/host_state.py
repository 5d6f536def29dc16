#!/usr/bin/python
# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
module: host_state
short_description: What a role needs to know of a host, read in one round trip
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - Reads, in one call on the host, which Debian packages are installed, the state of systemd units, users and
    groups, what is at some paths, the content, hash or entries of some files and directories, the version of some
    Python interpreters, and sets the few facts the collection's roles read.
  - A role reads what it would otherwise ask with one task each, then runs a task that changes the host only where
    the answer says it has something to do, so a run that changes nothing costs one round trip instead of many.
  - It changes nothing.
options:
  packages:
    description:
      - Debian package names. A name is installed when dpkg records it as installed and configured; any other
        state, or a name that is not a plain package name (a version or an architecture in it), counts as missing.
    type: list
    elements: str
    default: []
  units:
    description: systemd unit names, with their suffix (V(nginx.service), V(app.socket)).
    type: list
    elements: str
    default: []
  users:
    description: User names.
    type: list
    elements: str
    default: []
  groups:
    description: Group names.
    type: list
    elements: str
    default: []
  paths:
    description:
      - Absolute paths to look at, without following a link at the end.
      - A path with V(*), V(?) or V([) in it is a pattern (V(/srv/app/releases/*/venv)) that stands for the paths it
        matches, if any, names starting with a dot left out; the result holds those paths, not the pattern.
    type: list
    elements: path
    default: []
  read:
    description: Absolute paths of text files (UTF-8) to read whole.
    type: list
    elements: path
    default: []
  list:
    description: Absolute paths of directories whose entries to list.
    type: list
    elements: path
    default: []
  checksums:
    description:
      - Absolute paths of files whose SHA-256 to take, of their bytes as they are; a link is followed, and anything
        but a regular file (nothing, a directory) has none.
    type: list
    elements: path
    default: []
  interpreters:
    description:
      - Python interpreters, by name on the host's PATH (V(python3)) or by path, whose version to find; each one is
        run once. One that cannot be run fails the module, naming it.
    type: list
    elements: str
    default: []
  facts:
    description:
      - Set the facts the collection's roles read, as M(ansible.builtin.setup) names them, without gathering the
        others; C(processor_vcpus), the CPUs online (setup counts the same on every common topology), and C(dns),
        the settings of C(/etc/resolv.conf) (C(nameservers), C(domain), C(search), C(sortlist), C(options)).
      - A play that gathers no facts gets what the roles' defaults need from this one call.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - wsgi.stack.read_only
notes:
  - O(units) needs systemd running on the host; O(packages) needs dpkg.
seealso:
  - module: wsgi.stack.files
  - module: ansible.builtin.setup
"""

EXAMPLES = """
- name: Read what nginx's install and start would find
  wsgi.stack.host_state:
    packages: [nginx]
    units: [nginx.service]
  register: __nginx_host

- name: Install nginx
  ansible.builtin.apt:
    name: nginx
  when: __nginx_host.packages_missing | length > 0

- name: Set the CPU count and the DNS servers, in a play that gathers no facts
  wsgi.stack.host_state:
    facts: true
"""

RETURN = """
packages:
  description: Each package asked for, and its installed version, or V(null) when it is not installed.
  type: dict
  returned: always
  sample: {nginx: 1.22.1-9+deb12u1, git: null}
packages_missing:
  description: The packages asked for that are not installed, in the order given.
  type: list
  elements: str
  returned: always
  sample: [git]
units:
  description:
    - Each unit asked for, with its load, active and enablement states as systemd names them, its automatic
      restarts since it was started (a service's C(NRestarts), V("") for other units) and what it listens on (a
      socket's C(Listen) entries, V([]) for other units).
  type: dict
  returned: always
  sample: {nginx.service: {load: loaded, active: active, enabled: enabled, restarts: "0", listen: []},
           hello.socket: {load: loaded, active: active, enabled: enabled, restarts: "", listen: [/run/hello.sock (Stream)]}}
users:
  description: Each user asked for, or V(null) when the host has none of that name.
  type: dict
  returned: always
  sample: {hello: {uid: 998, gid: 998, group: hello, home: /srv/hello/data, shell: /usr/sbin/nologin}}
groups:
  description: Each group asked for, and its gid, or V(null) when the host has none of that name.
  type: dict
  returned: always
  sample: {hello: 998}
paths:
  description:
    - Each path asked for, with its type (V(file), V(directory), V(link), V(special), or V(null) when nothing is
      there), for a link where it points, and the uid and gid that own it (of the link itself; V(null) when nothing
      is there).
  type: dict
  returned: always
  sample: {/srv/hello/current: {type: link, target: /srv/hello/releases/640a3c4e2108, uid: 0, gid: 0},
           /var/lib/hello: {type: directory, target: null, uid: 998, gid: 998}}
contents:
  description: Each file asked for, and its content, or V(null) when there is no such file.
  type: dict
  returned: always
  sample: {/srv/hello/releases.log: "640a3c4e2108\\n"}
entries:
  description: Each directory asked for, and the names it holds, sorted, or V(null) when there is no such directory.
  type: dict
  returned: always
  sample: {/srv/hello/releases: [640a3c4e2108, 9b1f2a0c77de]}
checksums:
  description: Each file asked for, and the SHA-256 of its bytes in hex, or V(null) when it is not a regular file.
  type: dict
  returned: always
  sample: {/srv/hello/releases/640a3c4e2108/code/requirements.txt: 55aeca0d017f...}
interpreters:
  description: Each interpreter asked for, and its version as MAJOR.MINOR.
  type: dict
  returned: always
  sample: {python3: "3.11"}
ansible_facts:
  description: With O(facts), the facts set for the host; without it, none.
  type: dict
  returned: always
  sample: {processor_vcpus: 2, dns: {nameservers: [127.0.0.53], search: [example.test], options: {edns0: true}}}
"""

import glob
import grp
import hashlib
import os
import pwd
import re
import stat

from ansible.module_utils.basic import AnsibleModule

PLAIN_PACKAGE = re.compile(r"[a-z0-9][a-z0-9+.-]+")
UNIT_PROPERTIES = {"LoadState": "load", "ActiveState": "active", "UnitFileState": "enabled", "NRestarts": "restarts"}


def read_packages(module, names):
    versions = dict.fromkeys(names)
    plain = [name for name in names if PLAIN_PACKAGE.fullmatch(name)]
    if plain:
        # Exits 1 when a name is unknown to dpkg; the others are still listed.
        rc, out, err = module.run_command([module.get_bin_path("dpkg-query", required=True), "--show",
                                           "--showformat", "${Package}\t${db:Status-Abbrev}\t${Version}\n",
                                           "--", *plain])
        if rc not in (0, 1):
            module.fail_json(msg=f"dpkg-query failed: {err.strip()}")
        for line in out.splitlines():
            name, status, version = line.split("\t")
            if name in versions and status[1:2] == "i":
                versions[name] = version
    return versions


def read_units(module, names):
    if not names:
        return {}
    rc, out, err = module.run_command([module.get_bin_path("systemctl", required=True), "show",
                                       "--property", ",".join([*UNIT_PROPERTIES, "Listen"]), "--", *names])
    if rc != 0:
        module.fail_json(msg=f"systemctl show failed: {err.strip()}")
    # One block per unit, in the order asked, separated by an empty line; a property a unit lacks is left out, and
    # Listen comes once per address.
    blocks = []
    for block in out.strip("\n").split("\n\n"):
        properties = {"Listen": []}
        for line in block.splitlines():
            name, value = line.split("=", 1)
            if name == "Listen":
                properties["Listen"].append(value)
            else:
                properties[name] = value
        blocks.append(properties)
    if len(blocks) != len(names):
        module.fail_json(msg=f"systemctl show answered for {len(blocks)} of {len(names)} units")
    return {name: {**{key: block.get(prop, "") for prop, key in UNIT_PROPERTIES.items()}, "listen": block["Listen"]}
            for name, block in zip(names, blocks)}


def read_user(name):
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    try:
        group = grp.getgrgid(entry.pw_gid).gr_name
    except KeyError:
        group = None
    return {"uid": entry.pw_uid, "gid": entry.pw_gid, "group": group, "home": entry.pw_dir, "shell": entry.pw_shell}


def read_group(name):
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        return None


def expand(paths):
    """The paths as given, each pattern among them replaced by what it matches."""
    return [match for path in paths
            for match in (sorted(glob.glob(path)) if glob.has_magic(path) else [path])]


def read_path(path):
    try:
        found = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return {"type": None, "target": None, "uid": None, "gid": None}
    owners = {"uid": found.st_uid, "gid": found.st_gid}
    if stat.S_ISLNK(found.st_mode):
        return {"type": "link", "target": os.readlink(path), **owners}
    kind = "directory" if stat.S_ISDIR(found.st_mode) else "file" if stat.S_ISREG(found.st_mode) else "special"
    return {"type": kind, "target": None, **owners}


def read_text(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (FileNotFoundError, NotADirectoryError):
        return None


def checksum(path):
    """The SHA-256 of a regular file (a link followed), or None for anything else."""
    if not os.path.isfile(path):
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def read_interpreter(module, name):
    executable = name if "/" in name else module.get_bin_path(name)
    if executable is None:
        module.fail_json(msg=f"no interpreter {name} on the host's PATH")
    rc, out, err = module.run_command([executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
    if rc != 0:
        module.fail_json(msg=f"the interpreter {name} does not run: {(err or out).strip()}")
    return out.strip()


def list_directory(path):
    try:
        return sorted(os.listdir(path))
    except (FileNotFoundError, NotADirectoryError):
        return None


def read_resolver(path="/etc/resolv.conf"):
    """The resolver settings of a resolv.conf, keyed as setup's dns fact: a fact gathered before keeps its shape."""
    dns = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return dns
    for fields in (line.split() for line in lines if not line.startswith(("#", ";"))):
        if not fields:
            continue
        key, values = fields[0], fields[1:]
        if key == "nameserver":
            dns.setdefault("nameservers", []).extend(values)
        elif key == "domain" and values:
            dns["domain"] = values[0]
        elif key in ("search", "sortlist"):
            dns[key] = values
        elif key == "options":
            dns["options"] = {name: value or True for name, colon, value in (option.partition(":") for option in values)}
    return dns


def read_facts():
    return {"processor_vcpus": os.cpu_count() or 1, "dns": read_resolver()}


def main():
    module = AnsibleModule(
        argument_spec={
            "packages": {"type": "list", "elements": "str", "default": []},
            "units": {"type": "list", "elements": "str", "default": []},
            "users": {"type": "list", "elements": "str", "default": []},
            "groups": {"type": "list", "elements": "str", "default": []},
            "paths": {"type": "list", "elements": "path", "default": []},
            "read": {"type": "list", "elements": "path", "default": []},
            "list": {"type": "list", "elements": "path", "default": []},
            "checksums": {"type": "list", "elements": "path", "default": []},
            "interpreters": {"type": "list", "elements": "str", "default": []},
            "facts": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    params = module.params
    relative = [path for key in ("paths", "read", "list", "checksums") for path in params[key] if not os.path.isabs(path)]
    if relative:
        module.fail_json(msg=f"paths must be absolute: {', '.join(relative)}")
    try:
        contents = {path: read_text(path) for path in params["read"]}
        entries = {path: list_directory(path) for path in params["list"]}
        checksums = {path: checksum(path) for path in params["checksums"]}
    except (OSError, UnicodeDecodeError) as error:
        module.fail_json(msg=f"cannot read {getattr(error, 'filename', None) or 'a file'}: {error}")
    packages = read_packages(module, params["packages"])
    module.exit_json(
        changed=False,
        packages=packages,
        packages_missing=[name for name, version in packages.items() if version is None],
        units=read_units(module, params["units"]),
        users={name: read_user(name) for name in params["users"]},
        groups={name: read_group(name) for name in params["groups"]},
        paths={path: read_path(path) for path in expand(params["paths"])},
        contents=contents,
        entries=entries,
        checksums=checksums,
        interpreters={name: read_interpreter(module, name) for name in params["interpreters"]},
        ansible_facts=read_facts() if params["facts"] else {},
    )


if __name__ == "__main__":
    main()
