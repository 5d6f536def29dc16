# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
name: tree_hash
short_description: A short hash of a directory's files on the controller, names and contents
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - Hashes every regular file under a directory on the controller, hidden ones included, by its path relative to the
    directory and its content, into the first 12 hex digits of a SHA-256.
  - The same files with the same contents give the same hash wherever the directory is; a renamed, added, removed or
    edited file gives another. Symbolic links and empty directories do not count; links to directories are not
    followed.
  - Runs in the controller's own process, without a round trip or a task of its own.
options:
  _terms:
    description: The directory, one per term, where C(~) and environment variables are expanded; a hash for each.
    type: list
    elements: path
    required: true
  exclude:
    description:
      - Names or globs (V(*) and V(?), never across a V(/)) of files and directories left out at any depth, as
        C(.git) or C(*.pyc); a directory left out counts with all it holds.
    type: list
    elements: str
    default: []
"""

EXAMPLES = """
- name: Name the release after the code
  ansible.builtin.set_fact:
    release_id: "{{ lookup('wsgi.stack.tree_hash', '/home/me/app', exclude=['.git', '__pycache__', '*.pyc']) }}"
"""

RETURN = """
_raw:
  description: For each directory, 12 hex digits.
  type: list
  elements: str
"""

import fnmatch
import hashlib
import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase


def sha1_of(path):
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def excluded(name, exclude):
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in exclude)


def tree_hash(top, exclude=()):
    """The files' relative paths and SHA-1s, one 'path sha1' line each in case-blind path order, hashed."""
    if not os.path.isdir(top):
        raise AnsibleLookupError(f"tree_hash: {top!r} is not a directory on the controller")
    lines = []
    for root, dirs, files in os.walk(top, onerror=raise_error):
        dirs[:] = [name for name in dirs if not excluded(name, exclude)]
        for name in files:
            path = os.path.join(root, name)
            if not excluded(name, exclude) and os.path.isfile(path) and not os.path.islink(path):
                lines.append((os.path.relpath(path, top), sha1_of(path)))
    lines.sort(key=lambda line: (line[0].lower(), line[0]))
    return hashlib.sha256("\n".join(f"{path} {sha1}" for path, sha1 in lines).encode()).hexdigest()[:12]


def raise_error(error):
    raise AnsibleLookupError(f"tree_hash: cannot read {error.filename!r}: {error.strerror}")


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        exclude = self.get_option("exclude")
        return [tree_hash(os.path.expanduser(os.path.expandvars(term)), exclude) for term in terms]
