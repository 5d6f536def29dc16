"""Two apps on one host, deployed by one run of examples/two-apps/site.yml (the site playbook once per app): each
answers on its own name with its own user, socket, units and server block, and neither can read the other's files."""
import pytest
import yaml

from conftest import REPO, stack_of

APPS = {play["vars"]["flask_app_name"]: play["vars"]
        for play in yaml.safe_load((REPO / "examples" / "two-apps" / "site.yml").read_text())}
# What the app's user must not read of the other app: its environment file, its code and its data.
PRIVATE = ["/etc/{app}/env", "/srv/{app}/current/code/{app}/__init__.py", "/var/lib/{app}/instance"]


def test_the_apps_are_two():
    assert sorted(APPS) == ["hello", "notes"]


def test_each_app_answers_on_its_own_name(host):
    hello, notes = stack_of(host, APPS["hello"]), stack_of(host, APPS["notes"])
    assert (hello.server_name, notes.server_name) == ("hello.example.com", "notes.example.com")
    page = hello.get()
    assert page.status == 200 and b"Hello from the first app" in page.body
    page = notes.get("notes")
    assert page.status == 200 and b"Hello from the first app" not in page.body
    # Only notes has /notes: each name reaches its own app.
    assert hello.get("notes").status == 404


@pytest.mark.parametrize("app", sorted(APPS))
def test_each_app_serves_its_static_files_through_nginx(app, host):
    static = host.file(f"/srv/{app}/current/code/{app}/static")
    name = sorted(static.listdir())[0]
    page = stack_of(host, APPS[app]).get(f"static/{name}")
    assert page.status == 200 and page.body == host.file(f"{static.path}/{name}").content


@pytest.mark.parametrize("app", sorted(APPS))
def test_each_app_runs_as_its_own_user_behind_its_own_socket(app, host):
    listen = APPS[app].get("flask_app_listen", f"unix:/run/{app}/gunicorn.sock").removeprefix("unix:")
    socket = host.socket(f"unix://{listen}" if listen.startswith("/") else f"tcp://{listen}")
    assert socket.is_listening
    service = host.service(f"gunicorn-{app}.service")
    assert service.is_running and service.is_enabled
    master = host.check_output(f"systemctl show -P MainPID gunicorn-{app}.service")
    assert host.check_output(f"ps -o user= -p {master}") == app
    site = host.file(f"/etc/nginx/sites-enabled/{app}.conf")
    assert site.is_symlink and APPS[app]["nginx_server_names"][0] in site.content_string


@pytest.mark.parametrize("app,other", [("hello", "notes"), ("notes", "hello")])
def test_neither_app_can_read_the_other_ones_files(app, other, host):
    for pattern in PRIVATE:
        theirs, own = pattern.format(app=other), pattern.format(app=app)
        assert host.file(theirs).exists, theirs
        # The app reads its own: the refusal is the other app's permissions, not a wrong path.
        assert host.run(f"runuser -u {app} -- test -r {own}").rc == 0, own
        assert host.run(f"runuser -u {app} -- test -r {theirs}").rc != 0, theirs
