# Copyright (c) wsgi.stack maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = """
name: doctor_verdict
short_description: A deployed stack's verdict per layer, each failure with its likely cause and its fix
version_added: 0.2.0
author: wsgi.stack maintainers (@wsgi-stack)
description:
  - Judges what the doctor role read of a host (the app server's units, socket and answer; nginx's configuration as
    C(nginx -T) prints it, its answers for each name and the recent lines of both logs) and returns one verdict per
    layer, in the order a request crosses them.
  - Each finding has an C(id) (stable, for CI), the likely C(cause) and the C(fix), in plain words naming the variable
    to change where one does.
  - A layer the host does not have (nginx on an app host behind a balancer) is left out; a layer that cannot be judged
    (nginx's configuration does not load) says so.
options:
  _input:
    description:
      - What the doctor read, with the keys C(app) (the app server, or C(none) on a web host without one) and C(web)
        (nginx, or C(none)); the doctor role's C(tasks/verdict.yml) builds it.
    type: dict
    required: true
"""

EXAMPLES = """
- name: Judge what was read, and print it
  ansible.builtin.debug:
    msg: "{{ (__doctor_observed | wsgi.stack.doctor_verdict).lines }}"
"""

RETURN = """
_value:
  description: The verdict.
  type: dict
  contains:
    ok:
      description: Whether every layer passed.
      type: bool
    layers:
      description:
        - Each layer, with C(layer) (its name), C(ok), C(checked) (what was looked at) and C(findings), each of
          those with C(id), C(cause) and C(fix).
      type: list
      elements: dict
    lines:
      description: The verdict as the doctor prints it, a line per layer and a cause and a fix under each failure.
      type: list
      elements: str
"""

import re

from ansible.errors import AnsibleFilterError

FORWARDED = ("Host", "X-Forwarded-For", "X-Forwarded-Proto")
# The nginx error log's own time stamp, local time.
NGINX_TIME = re.compile(r"^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[(\w+)\]")
ERROR_LEVELS = ("error", "crit", "alert", "emerg")
WILDCARDS = ("0.0.0.0", "[::]", "*")
CERTIFICATE_DAYS = 14
# The layers in the order a request crosses them.
LAYERS = ["services", "nginx configuration", "app server", "upstream", "server names", "site", "static files",
          "forwarded headers", "timeouts", "recent errors"]
# What the app servers log when the app cannot be loaded.
BOOT_FAILURES = ("Worker failed to boot", "unable to load app", "no app loaded")
# How the app servers' own exits end a traceback.
APP_SERVER_EXITS = ("gunicorn.errors.", "SystemExit")


def finding(identifier, cause, fix):
    return {"id": identifier, "cause": cause, "fix": fix}


def seconds(value, default):
    """nginx's time (30, 30s, 2m, 1h) in seconds."""
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d)?", str(value or "").strip())
    if not match:
        return default
    return int(match.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}[match.group(2)]


def host_of(address):
    return address.rpartition(":")[0]


def name_matches(pattern, name):
    """Whether an nginx server_name covers a host name."""
    if pattern.startswith("~"):
        try:
            return re.search(pattern[1:], name) is not None
        except re.error:
            return False
    if pattern.startswith("."):
        return name == pattern[1:] or name.endswith(pattern)
    if pattern.startswith("*."):
        return name.endswith(pattern[1:])
    if pattern.endswith(".*"):
        return name.startswith(pattern[:-1])
    return pattern.lower() == name.lower()


def probe_text(probe):
    """What an answer was, in a few words."""
    if probe is None:
        return "not asked"
    if probe.get("status") is not None:
        return f"{probe['status']} {probe.get('reason') or ''}".strip()
    error = probe.get("error") or {}
    return f"{error.get('errno', 'no answer')} ({error.get('message', '')})"


def unit_findings(units, nginx_unit=None):
    found = []
    for unit, state in units.items():
        state = state or {}
        if state.get("load") == "not-found":
            found.append(finding("unit_missing", f"{unit} is not installed",
                                 "Run site.yml: it installs and starts the unit."))
            continue
        if state.get("active") != "active":
            fix = (f"Start it (systemctl start {unit}) and read why it stopped: journalctl -u {unit}."
                   if unit == nginx_unit else
                   f"Start it (systemctl start {unit}), or run site.yml; why it stopped is in journalctl -u {unit}.")
            found.append(finding("unit_inactive", f"{unit} is {state.get('active', 'unknown')}", fix))
        elif state.get("enabled") not in ("enabled", "static", "indirect", "alias", None):
            found.append(finding("unit_disabled", f"{unit} is active but {state.get('enabled')}: it will not start "
                                 "after a reboot", f"systemctl enable {unit}, or run site.yml."))
    return found


def units_text(units):
    """Each unit's state, and its automatic restarts since it was started (a hint, not a failure)."""
    texts = []
    for unit, state in units.items():
        state = state or {}
        restarts = int(state.get("restarts") or 0)
        texts.append(f"{unit} {state.get('active', 'unknown')}" + (f" ({restarts} restarts)" if restarts else ""))
    return ", ".join(texts)


def traceback_last_line(lines):
    """The last line of the app's last Python traceback in the lines (the app server's own, such as gunicorn's
    HaltServer after a worker failed to boot, come after it and name no cause), or None."""
    last_lines = []
    for index, line in enumerate(lines):
        if "Traceback (most recent call last)" in line:
            for after in lines[index + 1:]:
                text = after.strip()
                if text and not after.startswith((" ", "\t")) and not text.startswith(("File ", "^", "~")):
                    last_lines.append(text)
                    break
    own = [text for text in last_lines if not text.startswith(APP_SERVER_EXITS)]
    return (own or last_lines or [None])[-1]


def app_layers(app):
    layers = []
    unit = app["unit"]
    layers.append(layer("services", unit_findings(app.get("units") or {}), units_text(app.get("units") or {})))

    found = []
    listen = app["listen"]
    socket_unit = f"{unit}.socket"
    # What the socket unit listens on, as systemd has it: "/run/app.sock (Stream)", "127.0.0.1:8000 (Stream)".
    socket_state = (app.get("units") or {}).get(socket_unit) or {}
    listening = [entry.rsplit(" (", 1)[0] for entry in socket_state.get("listen", [])]
    wild = [address for address in listening if not address.startswith("/") and host_of(address) in WILDCARDS]
    if wild:
        found.append(finding("wildcard_bind", f"The app server listens on {', '.join(wild)}: every network reaches it "
                             f"around nginx, not only {listen}",
                             f"Bind it to {listen} (flask_app_listen), not to all addresses, and run site.yml."))
    elif listening and listen.removeprefix("unix:") not in listening:
        found.append(finding("listen_mismatch", f"{socket_unit} listens on {', '.join(listening)}, not on {listen}",
                             "Run site.yml: it writes the socket unit from flask_app_listen."))
    if listen.startswith("unix:"):
        path = listen[len("unix:"):]
        stat = app.get("socket") or {}
        if not stat.get("exists"):
            found.append(finding("socket_missing", f"The socket {path} does not exist",
                                 f"Start {socket_unit} (systemctl start {socket_unit}), or run site.yml."))
        else:
            wanted = (app["socket_user"], app["socket_group"], app["socket_mode"])
            have = (stat.get("pw_name"), stat.get("gr_name"), stat.get("mode"))
            if have != wanted:
                found.append(finding(
                    "socket_permissions",
                    f"The socket {path} is {have[0]}:{have[1]} mode {have[2]}; nginx's user {app['nginx_user']} needs "
                    f"{wanted[0]}:{wanted[1]} mode {wanted[2]}",
                    f"Run site.yml: {socket_unit} sets them ({app['server']}_socket_group, "
                    f"{app['server']}_socket_mode)."))
    probe = app.get("probe") or {}
    if probe.get("status") is None:
        errno = (probe.get("error") or {}).get("errno")
        if errno == "EACCES" and not any(item["id"] == "socket_permissions" for item in found):
            found.append(finding("socket_permissions", f"nginx's user {app['nginx_user']} may not connect to {listen}",
                                 f"Run site.yml: {unit}.socket sets the socket's group and mode."))
        elif not found:
            found.append(finding("app_no_answer", f"The app server did not answer on {listen}: {probe_text(probe)}",
                                 f"Read journalctl -u {unit}."))
    elif probe["status"] != app["health_status"]:
        found.append(finding("app_error", f"The app answered {probe_text(probe)} on its health path "
                                          f"{app['health_path']}, not {app['health_status']} (flask_app_health_status)",
                             f"Read the app's error in journalctl -u {unit}."))
    layers.append(layer("app server", found, f"{listen}, asked for {app['health_path']} as {app['nginx_user']}: "
                                             f"{probe_text(probe)}"))
    layers.append(layer("recent errors", journal_findings(app), f"journalctl -u {unit}.service, last {app['since']} s"))
    return layers


def layer(name, found, checked):
    return {"layer": name, "ok": not found, "checked": checked, "findings": found}


def app_location(web):
    """The location that passes requests to the app, or None."""
    for server in site_servers(web):
        for location in server["locations"]:
            directives = location["directives"]
            if location["match"] == web["location"] and ("proxy_pass" in directives or "uwsgi_pass" in directives):
                return location
    return None


def site_servers(web):
    """The server blocks of the app's site: those naming one of its names, or written in its file."""
    servers = (web.get("nginx") or {}).get("servers") or []
    return [server for server in servers if server.get("file") == web.get("site_file")]


def web_layers(web, app):
    nginx = web.get("nginx") or {}
    units = web.get("units") or {}
    layers = [layer("services", unit_findings(units, web.get("unit")), units_text(units))]
    if web.get("nginx") is None:
        return layers  # no nginx on the host: the services layer says so
    if not nginx.get("valid"):
        lines = (nginx.get("error") or "").strip().splitlines() or ["no message"]
        error = next((line for line in lines if "[emerg]" in line), lines[0])
        layers.append(layer("nginx configuration", [finding(
            "nginx_syntax", f"nginx -t fails: {error}",
            "Fix the line nginx names, or run site.yml to write the files it manages again; until then nginx serves "
            "the last configuration that loaded, and a restart fails.")], "nginx -t"))
        return layers
    layers.append(layer("nginx configuration", [], "nginx -t"))

    found = []
    servers = (nginx.get("upstreams") or {}).get(web["upstream"])
    if servers is None:
        found.append(finding("upstream_missing", f"nginx has no upstream {web['upstream']}", "Run site.yml."))
    else:
        addresses = [line.split()[0] for line in servers if line.split()]
        missing = [address for address in web["expected_servers"] if address not in addresses]
        if missing:
            found.append(finding("upstream_mismatch", f"nginx sends the app's requests to {', '.join(addresses)}, but "
                                 f"the app server listens on {', '.join(missing)}",
                                 "Run site.yml: the nginx role writes the upstream from flask_app_listen."))
    layers.append(layer("upstream", found, f"upstream {web['upstream']}"))

    found = []
    covered = {name: any(name_matches(pattern, name) for server in site_servers(web)
                         for pattern in server["server_names"]) for name in web["names"]}
    for name, ok in covered.items():
        if not ok:
            names = sorted({pattern for server in site_servers(web) for pattern in server["server_names"]})
            found.append(finding("server_name", f"No server_name of the site covers {name} (it names "
                                 f"{', '.join(names) or 'none'}): nginx answers it from its default server",
                                 f"Add {name} to nginx_server_names and run site.yml."))
    layers.append(layer("server names", found, ", ".join(web["names"])))

    found = []
    asked = []
    for probe in web.get("probes") or []:
        name, scheme = probe["item"]
        url = f"{scheme}://{name}{web['probe_path']}"
        asked.append(f"{url}: {probe_text(probe)}")
        status = probe.get("status")
        # The scheme that serves the app answers as the app does; the other one (HTTP beside HTTPS) redirects.
        wrong = status != web["health_status"] if scheme == web["app_scheme"] else status is None or status >= 400
        if wrong and covered.get(name, True):
            found.append(finding("site_answer", f"{url} through nginx: {probe_text(probe)}",
                                 "The other layers' findings name the cause."))
        certificate = probe.get("certificate")
        if scheme == "https" and certificate:
            if not any(name_matches(pattern, name) for pattern in certificate.get("names") or []):
                found.append(finding("certificate_name", f"The certificate for {name} names "
                                     f"{', '.join(certificate.get('names') or []) or 'nothing'}",
                                     "Add the name to nginx_server_names and run site.yml to get a certificate for "
                                     "it."))
            days = certificate.get("days_left")
            if days is not None and days < CERTIFICATE_DAYS:
                found.append(finding("certificate_expiring", f"The certificate for {name} expires in {days} days",
                                     "Run site.yml to renew it, and find why the renewal timer did not."))
    layers.append(layer("site", found, "; ".join(asked)))

    static = web.get("static")
    if static:
        found = []
        if not static.get("dir_exists"):
            found.append(finding("static_dir_missing", f"The static files' alias {static['dir']} does not exist: every "
                                 f"{static['location']} request is a 404", "Point nginx_static_dir at the directory "
                                 "that holds them (by default the release's flask_app_static_dir) and run site.yml."))
        elif static.get("probe") and static["probe"].get("status") != 200:
            cause = ("nginx's user may not read it" if static["probe"].get("status") == 403
                     else probe_text(static["probe"]))
            found.append(finding("static_unreadable", f"{static['sample']} through nginx: {cause}",
                                 f"Let {web['user']} read {static['dir']} and every directory above it, or run "
                                 "site.yml."))
        layers.append(layer("static files", found, f"{static['location']} from {static['dir']}"))

    location = app_location(web)
    found = []
    if location is None:
        found.append(finding("app_location_missing", f"No location {web['location']} passes requests to the app",
                             "Run site.yml."))
    else:
        directives = location["directives"]
        sent = {line.split()[0].lower() for line in directives.get("proxy_set_header", []) if line.split()}
        sent |= {line.split()[0][len("HTTP_"):].replace("_", "-").lower()
                 for line in directives.get("uwsgi_param", []) if line.startswith("HTTP_")}
        if "uwsgi_pass" in directives:
            sent.add("host")  # uWSGI's protocol passes the client's own Host as HTTP_HOST
        wanted = FORWARDED + (("X-Forwarded-Prefix",) if web.get("prefix") else ())
        missing = [header for header in wanted if header.lower() not in sent]
        if missing:
            found.append(finding("forwarded_headers", f"The location {web['location']} does not pass "
                                 f"{', '.join(missing)} to the app: it sees nginx's address, scheme or name instead of "
                                 "the client's (wrong redirects, url_for building http:// links)",
                                 "Run site.yml: the nginx role writes them for every location it proxies."))
    layers.append(layer("forwarded headers", found, f"location {web['location']}"))

    if app is not None and location is not None:
        directives = location["directives"]
        read = seconds(directives.get("proxy_read_timeout", directives.get("uwsgi_read_timeout")), 60)
        found = []
        if read < app["timeout"]:
            found.append(finding("timeout_order", f"nginx waits {read:g} s for the app "
                                 f"({web['read_timeout_variable']}) but the app server lets a request run "
                                 f"{app['timeout']} s ({app['timeout_variable']}): "
                                 "a slow request gets a 504 while its worker goes on",
                                 f"Raise {web['read_timeout_variable']} above {app['timeout_variable']}."))
        layers.append(layer("timeouts", found, f"nginx {read:g} s, {app['server']} {app['timeout']} s"))

    found = error_log_findings(web, app)
    layers.append(layer("recent errors", found, f"nginx's error log, last {web['since']} s"))
    return layers


def error_log_findings(web, app):
    found = []
    seen = set()
    for line in web.get("error_log") or []:
        match = NGINX_TIME.match(line)
        # Stamps of one format compare as text; since_stamp is the host's time doctor_since seconds ago.
        if not match or match.group(2) not in ERROR_LEVELS or match.group(1) < web["since_stamp"]:
            continue
        for identifier, cause, fix in log_causes(line, web, app):
            if identifier not in seen:
                seen.add(identifier)
                found.append(finding(identifier, f"{cause} (at {match.group(1)})", fix))
    return found


def journal_findings(app):
    """The app server's journal over the window: the app failing to load, workers killed for their time, and the
    service's failures."""
    found = []
    journal = app.get("journal") or []
    last = traceback_last_line(journal)
    if last and any(marker in line for line in journal for marker in BOOT_FAILURES):
        found.append(finding("app_import", f"The app fails to start in {app['unit']}: {last}",
                             "Fix the app's code or its requirements (the traceback in journalctl -u "
                             f"{app['unit']}), then deploy again with site.yml."))
    if any("WORKER TIMEOUT" in line or "HARAKIRI" in line for line in journal):
        found.append(finding("app_timeout", f"{app['server']} killed a worker that ran longer than {app['timeout']} s "
                             f"({app['timeout_variable']}): its request got a 502, or an empty 500",
                             f"Make the endpoint faster, or raise {app['timeout_variable']} (and "
                             "nginx_upstream_read_timeout above it on the web hosts)."))
    failures = [line for line in journal if re.search(r"\.service: Failed with result", line)]
    if failures:
        found.append(finding("unit_failed", f"{app['unit']}.service failed {len(failures)} times in the last "
                             f"{app['since']} s ({failures[-1].split(': ', 1)[-1]})",
                             f"Read why just before each failure: journalctl -u {app['unit']}.service."))
    return found


def log_causes(line, web, app):
    server = app["server"] if app else "the app server"
    timeout_variable = app["timeout_variable"] if app else "the app server's timeout"
    if "client intended to send too large body" in line:
        size = re.search(r"too large body: (\d+) bytes", line)
        yield ("body_too_large", f"An upload of {size.group(1) if size else 'more'} bytes went over "
               f"client_max_body_size and got a 413", f"Raise {web['body_size_variable']} (now "
               f"{web.get('client_max_body_size', 'its default')}) and run site.yml.")
    elif "upstream timed out" in line:
        yield ("upstream_timeout", f"A request took longer than nginx waits for the app "
               f"({web['read_timeout_variable']}) and got a 504",
               f"Make the endpoint faster, or raise {web['read_timeout_variable']} (and {timeout_variable} with it).")
    elif "upstream prematurely closed" in line:
        yield ("upstream_closed", f"{server} closed the connection before it answered, a 502: a worker was killed "
               f"({timeout_variable}) or crashed", f"Read journalctl -u {app['unit'] if app else 'the app server'}.")
    elif "connect() failed (111" in line or "connect() to unix:" in line and "(111" in line:
        yield ("upstream_refused", "nginx's connection to the app server was refused, a 502: it was not running, "
               "or nginx sends to the wrong port", "See the services and upstream layers.")
    elif "(13: Permission denied)" in line and "upstream" in line:
        yield ("upstream_permission", f"nginx's user {web['user']} may not connect to the app's socket, a 502",
               "Run site.yml: it sets the socket's group and mode.")
    elif "(2: No such file or directory)" in line and "upstream" in line:
        yield ("upstream_no_socket", "The socket nginx connects to does not exist, a 502",
               "See the services and upstream layers.")
    elif "(13: Permission denied)" in line:
        yield ("file_permission", f"nginx's user {web['user']} may not read a file it serves, a 403",
               f"Let {web['user']} read the static directory and every directory above it.")


def lines_of(layers):
    """The verdict as it is printed: a line per layer, and a cause and a fix under each failure."""
    lines = []
    for item in layers:
        lines.append(f"{'ok  ' if item['ok'] else 'FAIL'} {item['layer']}: {item['checked']}")
        for entry in item["findings"]:
            lines += [f"     cause: {entry['cause']}", f"     fix:   {entry['fix']}"]
    return lines


def doctor_verdict(observed):
    if not isinstance(observed, dict) or not {"app", "web"} <= set(observed):
        raise AnsibleFilterError("doctor_verdict takes the dict the doctor role reads, with app and web")
    app, web = observed["app"], observed["web"]
    # A host in both groups has one layer of each name: nginx's findings, then the app server's.
    merged = {}
    for item in (web_layers(web, app) if web else []) + (app_layers(app) if app else []):
        if item["layer"] in merged:
            before = merged[item["layer"]]
            item = layer(item["layer"], before["findings"] + item["findings"], f"{before['checked']}; {item['checked']}")
        merged[item["layer"]] = item
    layers = sorted(merged.values(), key=lambda item: LAYERS.index(item["layer"]))
    return {"ok": all(item["ok"] for item in layers), "layers": layers, "lines": lines_of(layers)}


class FilterModule:
    def filters(self):
        return {"doctor_verdict": doctor_verdict}
