# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """The list of paths that wsgi.stack.files and wsgi.stack.nginx_config put into their states."""

    DOCUMENTATION = r"""
options:
  paths:
    description: What each path must be, applied in this order.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: The absolute path.
        type: path
        required: true
      state:
        description:
          - V(directory) creates the directory and its missing parents; V(file) writes O(paths[].content);
            V(link) points a symbolic link at O(paths[].src); V(absent) removes the path (a directory with all it
            holds).
        type: str
        choices: [directory, file, link, absent]
        default: file
      content:
        description: The whole content of a file (O(paths[].state=file)).
        type: str
      src:
        description: Where a link points (O(paths[].state=link)), written as given.
        type: str
      owner:
        description: The owner of a directory or file.
        type: str
      group:
        description: The group of a directory or file.
        type: str
      mode:
        description: The mode of a directory or file, octal (V('0644')) or symbolic (V(u=rwX,g=rX,o=)).
        type: raw
      follow:
        description:
          - For V(directory), a link to a directory stands for that directory, and its owner and mode are set there.
          - Only for a path whose parents no one but root may write; off, a link fails the entry, since one that
            another user made would hand its target to the owner given.
        type: bool
        default: false
"""
