#!/usr/bin/python
# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
module: nginx_facts
short_description: nginx's whole configuration as it would load it, tested and read into its sites
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - Runs C(nginx -T), which tests the configuration and prints every file it reads, and returns whether the test
    passed (with nginx's own message when not), the upstreams, and each server block with its listens, names, body
    size limit and locations, as nginx would load them (includes followed).
  - A location returns where it sends requests (C(proxy_pass), C(uwsgi_pass)), what it serves itself (C(alias),
    C(root), C(return)), its timeouts and the headers it sets, so that a playbook can compare them with what the app
    server expects.
  - It changes nothing on the host.
options:
  binary:
    description: The nginx binary, by name on the host's PATH or by path.
    type: str
    default: nginx
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - wsgi.stack.read_only
notes:
  - Directives are read as nginx reads them (quotes, escapes, comments, includes in the order nginx follows them);
    variables are left as written; the bodies of Lua blocks are skipped.
  - A location's directives include those of its C(if) and C(limit_except) blocks.
  - A directive that may repeat (C(listen), C(server_name), C(proxy_set_header)) is returned as a list; another one
    with its last value.
"""

EXAMPLES = """
- name: Read nginx's configuration
  wsgi.stack.nginx_facts:
  register: nginx

- name: Say which server block answers for example.com
  ansible.builtin.debug:
    msg: "{{ nginx.servers | selectattr('server_names', 'contains', 'example.com') | map(attribute='file') }}"
"""

RETURN = """
valid:
  description: Whether C(nginx -T) passed.
  type: bool
  returned: always
error:
  description: nginx's message when the test failed (C(nginx -T)'s standard error), else empty.
  type: str
  returned: always
upstreams:
  description: Each upstream's name and its C(server) lines, as written.
  type: dict
  returned: always
  sample: {"hello_app": ["127.0.0.11:8000 weight=1 max_fails=1 fail_timeout=10s", "127.0.0.12:8000 weight=1"]}
servers:
  description: The server blocks, in the order nginx reads them.
  type: list
  elements: dict
  returned: always
  contains:
    file:
      description: The file the block is written in.
      type: str
    listen:
      description: Each C(listen) directive's arguments, joined with spaces.
      type: list
      elements: str
    server_names:
      description: The names of its C(server_name) directives.
      type: list
      elements: str
    client_max_body_size:
      description: Its C(client_max_body_size), or the C(http) block's, or nginx's own V(1m).
      type: str
    locations:
      description: Its locations, each with C(match) (the modifier and path, as written) and C(directives).
      type: list
      elements: dict
"""

import fnmatch
import os
import re

from ansible.module_utils.basic import AnsibleModule

REPEATED = {"listen", "server_name", "proxy_set_header", "uwsgi_param", "add_header", "include", "server", "error_page"}
ESCAPES = {'"': '"', "'": "'", "\\": "\\", "t": "\t", "r": "\r", "n": "\n"}
# The mark nginx -T prints before each file's content; the files follow one another, includes left as written.
FILE_MARK = re.compile(r"^# configuration file (.+):$")
# Blocks of another language, whose braces and quotes are not nginx's.
FOREIGN_BLOCK = re.compile(r"_by_lua_block$|^lua_block$")


def files_of(text):
    """{path: content} of each file nginx -T printed, in its order."""
    files, path, lines = {}, None, []
    for line in text.splitlines(keepends=True):
        mark = FILE_MARK.match(line.rstrip("\r\n"))
        if mark:
            if path is not None:
                files[path] = "".join(lines)
            path, lines = mark.group(1), []
        else:
            lines.append(line)
    if path is not None:
        files[path] = "".join(lines)
    return files


def closing_brace(text, index):
    """The index just past the brace that closes the one before `index`, counting braces only."""
    depth = 1
    while index < len(text) and depth:
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        index += 1
    return index


def tokens(text):
    """nginx's tokens: words (quotes and escapes resolved), ';', '{' and '}'; comments skipped."""
    index, length, statement = 0, len(text), []
    while index < length:
        character = text[index]
        if character == "#":
            end = text.find("\n", index)
            index = length if end < 0 else end
        elif character.isspace():
            index += 1
        elif character in ";{}":
            yield character
            index += 1
            if character == "{" and statement and FOREIGN_BLOCK.search(statement[0]):
                index = closing_brace(text, index)
                yield "}"
            statement = []
        elif character in "\"'":
            word, index = [], index + 1
            while index < length and text[index] != character:
                # nginx resolves \" \' \\ \t \r \n and keeps any other backslash (a regex's \.).
                if text[index] == "\\" and index + 1 < length and text[index + 1] in ESCAPES:
                    index += 1
                    word.append(ESCAPES[text[index]])
                else:
                    word.append(text[index])
                index += 1
            statement.append("".join(word))
            yield statement[-1]
            index += 1
        else:
            word = []
            while index < length and not text[index].isspace() and text[index] not in ";{}":
                if text.startswith("${", index):
                    # ${name} is a variable inside the word, as nginx reads it.
                    end = text.find("}", index) + 1 or length
                    word.append(text[index:end])
                    index = end
                    continue
                # A backslash keeps the next character in the word (a ';' too), resolved as in quotes.
                if text[index] == "\\" and index + 1 < length:
                    word.append(ESCAPES.get(text[index + 1], text[index:index + 2]))
                    index += 2
                    continue
                word.append(text[index])
                index += 1
            statement.append("".join(word))
            yield statement[-1]


def parse(text, file):
    """One file as nested entries: {'name', 'args', 'file', 'block': [...] or None}."""
    root, stack, words = [], [], []
    current = root
    for token in tokens(text):
        if token == ";":
            if words:
                current.append({"name": words[0], "args": words[1:], "file": file, "block": None})
            words = []
        elif token == "{":
            entry = {"name": words[0] if words else "", "args": words[1:], "file": file, "block": []}
            current.append(entry)
            stack.append(current)
            current, words = entry["block"], []
        elif token == "}":
            current = stack.pop() if stack else root
            words = []
        else:
            words.append(token)
    return root


def expand(entries, files, prefix, depth=0):
    """The entries with each include replaced by the files it names, in the order nginx reads them (sorted)."""
    expanded = []
    for entry in entries:
        if entry["name"] == "include" and entry["block"] is None and entry["args"] and depth < 16:
            pattern = entry["args"][0] if os.path.isabs(entry["args"][0]) else os.path.join(prefix, entry["args"][0])
            for path in sorted(path for path in files if fnmatch.fnmatchcase(path, pattern)):
                expanded += expand(parse(files[path], path), files, prefix, depth + 1)
            continue
        if entry["block"] is not None:
            entry = {**entry, "block": expand(entry["block"], files, prefix, depth)}
        expanded.append(entry)
    return expanded


def directives(block):
    """A block's simple directives, those of its if and limit_except blocks included: a repeatable one as a list of
    its argument strings, another as its last."""
    found = {}
    for entry in block:
        if entry["block"] is not None:
            if entry["name"] in ("if", "limit_except"):
                for name, value in directives(entry["block"]).items():
                    if name in REPEATED:
                        found.setdefault(name, []).extend(value)
                    else:
                        found[name] = value
            continue
        value = " ".join(entry["args"])
        if entry["name"] in REPEATED:
            found.setdefault(entry["name"], []).append(value)
        else:
            found[entry["name"]] = value
    return found


def locations(block):
    for entry in block:
        if entry["block"] is None:
            continue
        if entry["name"] == "location":
            yield {"match": " ".join(entry["args"]), "directives": directives(entry["block"])}
        if entry["name"] in ("location", "if", "limit_except"):
            yield from locations(entry["block"])


def summarize(text):
    files = files_of(text)
    if not files:
        return {}, []
    main_file = next(iter(files))
    tree = expand(parse(files[main_file], main_file), files, os.path.dirname(main_file))
    http = next((entry["block"] for entry in tree if entry["name"] == "http" and entry["block"] is not None), [])
    http_directives = directives(http)
    upstreams = {" ".join(entry["args"]): directives(entry["block"]).get("server", [])
                 for entry in http if entry["name"] == "upstream" and entry["block"] is not None}
    servers = []
    for entry in http:
        if entry["name"] != "server" or entry["block"] is None:
            continue
        own = directives(entry["block"])
        servers.append({
            "file": entry["file"],
            "listen": own.get("listen", []),
            "server_names": [name for line in own.get("server_name", []) for name in line.split()],
            "client_max_body_size": own.get("client_max_body_size", http_directives.get("client_max_body_size", "1m")),
            "locations": list(locations(entry["block"])),
        })
    return upstreams, servers


def main():
    module = AnsibleModule(argument_spec={"binary": {"type": "str", "default": "nginx"}}, supports_check_mode=True)
    binary = module.params["binary"]
    path = binary if os.path.isabs(binary) else module.get_bin_path(binary)
    if not path or not os.access(path, os.X_OK):
        module.fail_json(msg=f"binary: no nginx to run at {binary!r}")
    rc, out, err = module.run_command([path, "-T"])
    upstreams, servers = summarize(out) if rc == 0 else ({}, [])
    module.exit_json(changed=False, valid=rc == 0, error="" if rc == 0 else err.strip(), upstreams=upstreams,
                     servers=servers)


if __name__ == "__main__":
    main()
