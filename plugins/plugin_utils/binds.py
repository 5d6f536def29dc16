# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parsing of the addresses app servers bind to, shared by the collection's test plugins."""

from __future__ import annotations

import ipaddress
import re

# A socket the roles create under /run, as systemd's RuntimeDirectory= and nginx's unix: upstreams expect.
UNIX_SOCKET = re.compile(r"unix:/run(/[A-Za-z0-9_][A-Za-z0-9._-]*)+\.sock")
PORT = re.compile(r"[0-9]{1,5}")


def split_host_port(value):
    """Return (host, port) of 'HOST:PORT' or '[V6]:PORT', host without brackets; None when it has no such shape."""
    if not isinstance(value, str):
        return None
    host, separator, port = value.rpartition(":")
    if not separator or not PORT.fullmatch(port):
        return None
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        return None
    return host, int(port)


def ip_of(host):
    """The IP address a bind's host names, or None for anything else (a host name, '*', empty)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def binds_every_address(host):
    """True when a socket bound to this host would accept connections on every address of the machine."""
    if host in ("", "*"):
        return True
    address = ip_of(host)
    if address is None:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_unspecified or bool(mapped and mapped.is_unspecified)
