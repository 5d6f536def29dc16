# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
name: unknown_settings
short_description: The variables named like a wsgi.stack setting that no role of the collection takes
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - Compares variable names with the options of every role's argument specs in the collection and returns those no
    role takes, such as C(uwsgi_extra_options) for C(uwsgi_extra_settings), which a role would silently ignore.
  - Prints a warning for each, naming the closest setting a role takes when there is one.
  - Names that start with C(__) (the roles' own internals) are never reported.
options:
  _terms:
    description: Variable names, typically C(query('ansible.builtin.varnames', '^(flask_app|gunicorn|uwsgi|nginx)_')).
    type: list
    elements: str
    required: true
"""

EXAMPLES = """
- name: Warn about misspelt settings
  ansible.builtin.debug:
    msg: >-
      {{ query('wsgi.stack.unknown_settings',
               *query('ansible.builtin.varnames', '^(flask_app|gunicorn|uwsgi|nginx)_')) }}
"""

RETURN = """
_raw:
  description: The names no role takes, in the order given.
  type: list
  elements: str
"""

import difflib
import functools
from pathlib import Path

import yaml
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

ROLES = Path(__file__).resolve().parents[2] / "roles"


class SpecLoader(yaml.SafeLoader):
    """Reads argument specs as Ansible does, where `!unsafe` marks a default shown as written."""


SpecLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


# The site's task reads it in its condition and its message: the specs are read once.
@functools.cache
def known_settings(roles=ROLES):
    """Every option of every entry point of every role's meta/argument_specs.yml."""
    names = set()
    for specs in roles.glob("*/meta/argument_specs.yml"):
        for entry in (yaml.load(specs.read_text(), Loader=SpecLoader) or {}).get("argument_specs", {}).values():
            names.update((entry or {}).get("options", {}))
    return names


def unknown_settings(names, known):
    """(name, the closest known name or None) for each name no role takes."""
    return [(name, next(iter(difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)), None))
            for name in names if not name.startswith("__") and name not in known]


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        unknown = unknown_settings(terms, known_settings())
        for name, closest in unknown:
            hint = f"; did you mean {closest}?" if closest else ""
            Display().warning(f"{name} is not a setting of any wsgi.stack role, which ignore it{hint}")
        return [name for name, closest in unknown]
