# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How a setting that may be a number is written into a file, shared by the collection's test plugins."""

from __future__ import annotations


def as_written(value):
    """A string as it is, an integer in decimal; None for anything else, a boolean included (Python counts True as
    the integer 1, but it would be written True)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    return str(value)
