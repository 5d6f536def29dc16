# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """The attributes of a module that only reads the host: wsgi.stack.host_state, http_probe, nginx_facts."""

    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
    details: It changes nothing, so it runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
"""
