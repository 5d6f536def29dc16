"""Fixtures shared by the scenarios' Testinfra tests.

Containers use the host's network, so the tests reach nginx on 127.0.0.1 directly from the controller, like a
client would, and run commands inside the container through Testinfra's `host`.
"""
import json
import os
import re
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import testinfra

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_STATIC = REPO / "examples" / "app" / "hello" / "static"


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Stack:
    """What the inventory says about one host, as its user knows it."""

    name: str
    listen: str
    port: int
    server_name: str
    location: str
    greeting: str

    def url(self, path=""):
        return f"http://127.0.0.1:{self.port}{self.location}{path}"

    def get(self, path="", headers=None):
        request = urllib.request.Request(self.url(path), headers={"Host": self.server_name, **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Response(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers), error.read())


@pytest.fixture(scope="module")
def stack(host):
    return stack_of(host)


def stack_of(host):
    variables = host.ansible.get_variables()
    name = variables["flask_app_name"]
    return Stack(
        name=name,
        listen=variables.get("flask_app_listen", f"unix:/run/{name}/app.sock"),
        port=int(variables.get("nginx_http_port", 80)),
        server_name=variables["nginx_server_names"][0],
        location=variables.get("nginx_app_location", "/"),
        greeting=variables.get("flask_app_env", {}).get("HELLO_GREETING", "Hello"),
    )


def molecule_inventory():
    return Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "inventory"


@pytest.fixture(scope="session")
def first_app_host():
    """The first host of the app group, for the tests that run a whole playbook once per scenario."""
    listing = json.loads(subprocess.check_output(["ansible-inventory", "-i", str(molecule_inventory()), "--list"]))
    name = sorted(listing["app"]["hosts"])[0]
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=str(molecule_inventory()))


@pytest.fixture(scope="session")
def check_mode_recap():
    """Run the converge playbook once in check mode, with diffs, against every host; return the recap counters."""
    result = subprocess.run(
        ["ansible-playbook", "-i", str(molecule_inventory()), str(REPO / "playbooks" / "site.yml"), "--check", "--diff", "-v"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "ANSIBLE_FORCE_COLOR": "false", "ANSIBLE_NOCOLOR": "true"},
    )
    recap = {}
    for line in result.stdout.splitlines():
        match = re.match(r"^(\S+)\s+:\s+(ok=.*)$", line)
        if match:
            recap[match.group(1)] = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(2))}
    return recap, result
